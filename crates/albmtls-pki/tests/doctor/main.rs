//! Integration tests: real PKIs built with rcgen (plus openssl-made fixtures for what
//! rcgen cannot make), every verdict and bundle rule, and cross-checks with openssl.

mod agreement;
mod api_gateway;
mod bundle;
mod crl;
mod headers;
mod openssl;
mod ossl;
mod pki;
mod verify;

use albmtls_pki::{
    ApiGatewayReport, BundleFix, BundleReport, CertCheckReport, CrlContainsReport, CrlReport, HeadersReport, KeyMatchReport,
};
use albmtls_render::doctor::{DoctorView, write_doctor};

/// A doctor result as `albmtls` prints it, without the final newline.
trait Text {
    fn view(&self) -> DoctorView<'_>;

    fn text(&self) -> String {
        let mut out = Vec::new();
        write_doctor(&self.view(), false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.strip_suffix('\n').unwrap_or(&text).to_owned()
    }
}

impl Text for BundleReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::Bundle(self)
    }
}

impl Text for CertCheckReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::CertCheck { check: self, key_match: None }
    }
}

impl Text for CrlReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::Crl(self)
    }
}

impl Text for CrlContainsReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::CrlContains(self)
    }
}

impl Text for HeadersReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::Headers { headers: self, check: None }
    }
}

impl Text for KeyMatchReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::KeyMatch(self)
    }
}

impl Text for BundleFix {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::BundleFix { fix: self, written_to: self.has_certificates().then_some(self.fixed.name.as_str()) }
    }
}

impl Text for ApiGatewayReport {
    fn view(&self) -> DoctorView<'_> {
        DoctorView::ApiGateway { check: self, key_match: None }
    }
}
