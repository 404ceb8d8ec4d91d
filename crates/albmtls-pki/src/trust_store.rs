//! A trust store as ALB holds it: the CA bundle and the CRLs added to it, read once and
//! used by `cert check`, `headers decode --bundle` and `crl inspect --bundle`.
//!
//! Reading is lenient (every certificate must parse, nothing more) so that a bundle ALB
//! would refuse can still be examined; `TrustStore::audit` then applies the same bundle
//! rules as `bundle check` and the trust-store-wide revocation quotas, and names the CAs
//! a check must leave out.

use chrono::{DateTime, Utc};
use webpki::OwnedCertRevocationList;

use crate::bundle::{certificate_findings, check_bundle_for};
use crate::cert::{CertInfo, describe_certificate, read_certificates};
use crate::crl::{Crl, CrlFormat, MAX_CRL_FILE_SIZE, MAX_REVOCATION_ENTRIES};
use crate::error::PkiError;
use crate::{Finding, Severity, Target};

/// Default quota: revocation lists per trust store (adjustable, L-332EE142).
pub const MAX_REVOCATION_LISTS: usize = 30;

/// A trust store: the CA bundle plus the CRLs added to it.
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub(crate) name: String,
    bundle: Vec<u8>,
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
    pub(crate) crl: Crl,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) issuer: String,
    /// webpki's parse; an error here means ALB-style processing of this CRL fails.
    pub(crate) parsed: Result<OwnedCertRevocationList, String>,
}

impl StoreCrl {
    pub(crate) fn name(&self) -> &str {
        self.crl.name()
    }
}

/// What [`TrustStore::audit`] found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Audit {
    /// Indexes into the CAs of the ones the target refuses; a check leaves them out.
    pub(crate) refused: Vec<usize>,
    /// Why, and the store-wide findings, in the order a person should read them.
    pub(crate) findings: Vec<Finding>,
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
        Ok(TrustStore { name: name.to_string(), bundle: bytes.to_vec(), cas, crls: Vec::new() })
    }

    /// Adds a CRL (PEM or DER), as `AddTrustStoreRevocations` does. A DER CRL is accepted
    /// here for checking; `cert check` flags it, since ALB takes PEM.
    pub fn add_crl(&mut self, name: &str, bytes: &[u8]) -> Result<(), PkiError> {
        let crl = Crl::parse(name, bytes)?;
        let (issuer_raw, issuer) = crl.issuer_raw_and_name()?;
        let parsed = OwnedCertRevocationList::from_der(crl.der()).map_err(|e| format!("{e:?}"));
        self.crls.push(StoreCrl { crl, issuer_raw, issuer, parsed });
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

    /// The bundle rules of `bundle check` and the trust-store-wide revocation quotas,
    /// for `target`. ALB refuses the whole bundle when one certificate breaks a rule,
    /// and the whole import when a quota is exceeded; API Gateway keeps the truststore
    /// and denies clients chaining to an invalid certificate.
    pub(crate) fn audit(&self, target: Target, at: DateTime<Utc>) -> Audit {
        let mut audit = Audit::default();
        let consequence = match target {
            Target::Alb => {
                "ALB refuses the whole bundle at upload (InvalidCaCertificatesBundle); the check leaves this CA out, as `bundle check --fix` does"
            }
            Target::ApiGateway => {
                "API Gateway keeps the truststore but lists this certificate in truststoreWarnings and denies clients chaining to it; the check leaves it out"
            }
        };
        if target == Target::Alb {
            for finding in check_bundle_for(&self.name, &self.bundle, at, target).findings {
                if finding.severity == Severity::Error && finding.position.is_none() {
                    let line = finding.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                    audit.findings.push(Finding::error(format!(
                        "{}: {line}{}; ALB refuses the whole bundle at upload (InvalidCaCertificatesBundle)",
                        self.name, finding.message
                    )));
                }
            }
        }
        let infos: Vec<CertInfo> = self.cas.iter().map(|ca| ca.info.clone()).collect();
        for (i, info) in infos.iter().enumerate() {
            let errors: Vec<String> = certificate_findings(info, &infos[..i], at, target)
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.message)
                .collect();
            if !errors.is_empty() {
                audit.refused.push(i);
                audit.findings.push(Finding::error(format!(
                    "bundle #{} {}: {}; {consequence}",
                    info.position,
                    info.subject,
                    errors.join("; ")
                )));
            }
        }
        if target == Target::Alb {
            self.revocation_findings(&mut audit.findings);
        }
        audit
    }

    /// The revocation quotas ALB applies to a trust store as a whole, and the PEM rule.
    fn revocation_findings(&self, out: &mut Vec<Finding>) {
        if self.crls.len() > MAX_REVOCATION_LISTS {
            out.push(Finding::error(format!(
                "{} CRLs exceed the quota of {MAX_REVOCATION_LISTS} revocation lists per trust store (default; adjustable via quota L-332EE142): ALB refuses to add more (the error code is not documented)",
                self.crls.len()
            )));
        }
        let entries: usize = self.crls.iter().map(|c| c.crl.entry_count()).sum();
        if entries > MAX_REVOCATION_ENTRIES {
            out.push(Finding::error(format!(
                "the {} CRLs hold {entries} revocation entries in all, over the quota of {MAX_REVOCATION_ENTRIES} per trust store (default; adjustable via quota L-37E1617B): ALB refuses the import that crosses it (TooManyTrustStoreRevocationEntries)",
                self.crls.len()
            )));
        }
        for crl in &self.crls {
            if crl.crl.file_size() > MAX_CRL_FILE_SIZE {
                out.push(Finding::error(format!(
                    "{}: {} bytes, over the {MAX_CRL_FILE_SIZE}-byte (50 MB) revocation list size limit: ALB refuses to import it",
                    crl.name(),
                    crl.crl.file_size()
                )));
            }
            if crl.crl.format() == CrlFormat::Der {
                out.push(Finding::warning(format!(
                    "{}: DER; accepted here for checking, but ALB takes PEM CRLs (AWS's procedure converts DER to PEM before importing; DER is not documented): convert it with `albmtls crl convert --to pem`",
                    crl.name()
                )));
            }
        }
    }
}
