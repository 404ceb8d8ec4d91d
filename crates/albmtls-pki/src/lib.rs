//! The mTLS doctor: explains what an AWS Application Load Balancer will say about
//! certificates before a client ever connects.
//!
//! This crate owns five things:
//! - **CA bundles** ([`bundle`]): lint a trust-store bundle against the ALB upload rules
//!   (file format, X.509 version, key and signature algorithms, CA flag, quotas).
//! - **Client certificates** ([`verify`]): build the chain against a bundle and give the
//!   `tls_verify_status` ALB would log (`Success` or the exact `Failed:` code), plus the
//!   key / CSR / certificate match check ([`keymatch`]).
//! - **CRLs** ([`crl`], [`crl_inspect`]): inspect, convert between PEM and DER, and look
//!   a serial up.
//! - **Passthrough and verify headers** ([`headers`]): decode `X-Amzn-Mtls-Clientcert*`.
//! - **API Gateway** ([`api_gateway`]): the same questions under API Gateway's mutual TLS
//!   rules ([`Target::ApiGateway`]), so one doctor serves both services.
//!
//! Where AWS does not document what a service does, the finding says so ("not
//! documented; likely ...") instead of stating a guess as fact.
//!
//! [`cert`] is the one place that describes a certificate, [`serial`] the one that reads
//! and shows serial numbers, and [`trust_store`] the one that holds a bundle with its
//! CRLs; every check uses them.
//!
//! It must not parse connection logs (that is `albmtls-parse`), format results for
//! people (every result is a plain value with a `serde` form; `albmtls-render` writes
//! the text), read files (inputs are a display name plus bytes), or touch the network.

pub mod api_gateway;
pub mod bundle;
pub mod cert;
pub mod crl;
pub mod crl_inspect;
pub mod error;
pub mod headers;
pub mod keymatch;
pub mod serial;
pub mod trust_store;
pub mod verify;

pub use albmtls_parse::FailureCode;
pub use api_gateway::{ApiGatewayReport, check_client_api_gateway};
pub use bundle::{BundleFinding, BundleFix, BundleReport, BundleRule, DroppedCertificate, check_bundle, check_bundle_for, fix_bundle};
pub use cert::{CertInfo, KeyAlgorithm, KeyInfo, describe_certificate, read_certificates};
pub use crl::{Crl, CrlContainsReport, CrlFormat, convert_crl, crl_contains};
pub use crl_inspect::{CrlFinding, CrlReport, CrlRule, CrlSignature, CrlSignatureStatus, inspect_crl};
pub use error::PkiError;
pub use headers::{ChainOrder, HeaderNames, HeaderProblem, HeadersReport, ValidityHeader, decode_headers};
pub use keymatch::{KeyMatchItem, KeyMatchReport, check_key_match};
pub use serial::SerialNumber;
pub use trust_store::TrustStore;
pub use verify::{CertCheckReport, CheckOptions, PathEntry, check_client, check_client_chain};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// ALB refuses the input (for a bundle: the upload fails with
    /// `InvalidCaCertificatesBundle`), or the input is broken.
    Error,
    /// Accepted, but likely to cause failures later or to be a mistake.
    Warning,
}

/// Which service's rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// An Application Load Balancer listener in mutual TLS verify mode.
    #[default]
    Alb,
    /// An API Gateway custom domain name with mutual TLS.
    ApiGateway,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Target::Alb => "ALB",
            Target::ApiGateway => "API Gateway",
        })
    }
}

/// A problem, with how serious it is and what to do, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    pub(crate) fn error(message: impl Into<String>) -> Finding {
        Finding { severity: Severity::Error, message: message.into() }
    }

    pub(crate) fn warning(message: impl Into<String>) -> Finding {
        Finding { severity: Severity::Warning, message: message.into() }
    }
}
