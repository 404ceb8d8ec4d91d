//! A trust store as ALB holds it: the CA bundle and the CRLs added to it, read once and
//! used by `cert check`, `headers decode --bundle` and `crl inspect --bundle`.

use webpki::OwnedCertRevocationList;

use crate::cert::{CertInfo, describe_certificate, read_certificates};
use crate::crl::Crl;
use crate::error::PkiError;

/// A trust store: the CA bundle plus the CRLs added to it.
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub(crate) name: String,
    pub(crate) cas: Vec<StoreCa>,
    pub(crate) crls: Vec<StoreCrl>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoreCa {
    pub(crate) der: Vec<u8>,
    pub(crate) info: CertInfo,
}

#[derive(Debug, Clone)]
pub(crate) struct StoreCrl {
    pub(crate) name: String,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) issuer: String,
    /// webpki's parse; an error here means ALB-style processing of this CRL fails.
    pub(crate) parsed: Result<OwnedCertRevocationList, String>,
}

impl TrustStore {
    /// Loads the CA certificates of a bundle. This is lenient about the file rules (use
    /// [`crate::check_bundle`] for those) but every certificate must parse.
    pub fn from_bundle(name: &str, bytes: &[u8]) -> Result<TrustStore, PkiError> {
        let cas = read_certificates(name, bytes)?
            .into_iter()
            .enumerate()
            .map(|(i, der)| describe_certificate(name, i + 1, &der).map(|info| StoreCa { der, info }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustStore { name: name.to_string(), cas, crls: Vec::new() })
    }

    /// Adds a CRL (PEM or DER), as `AddTrustStoreRevocations` does.
    pub fn add_crl(&mut self, name: &str, bytes: &[u8]) -> Result<(), PkiError> {
        let crl = Crl::parse(name, bytes)?;
        let (issuer_raw, issuer) = crl.issuer_raw_and_name()?;
        let parsed = OwnedCertRevocationList::from_der(crl.der()).map_err(|e| format!("{e:?}"));
        self.crls.push(StoreCrl { name: name.to_string(), issuer_raw, issuer, parsed });
        Ok(())
    }

    /// The bundle's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CA certificates, in bundle order.
    pub fn certificates(&self) -> impl Iterator<Item = &CertInfo> {
        self.cas.iter().map(|ca| &ca.info)
    }

    /// The DER of the CA certificates, in bundle order.
    pub fn certificate_ders(&self) -> impl Iterator<Item = &[u8]> {
        self.cas.iter().map(|ca| ca.der.as_slice())
    }
}
