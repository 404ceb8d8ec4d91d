//! `crl inspect`: describe a CRL and check it against the ALB quotas, the negative-serial
//! limitation and, given a trust store, who signed it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use x509_parser::error::X509Error;
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use crate::Severity;
use crate::cert::{asn1_to_utc, rfc2253, rfc3339, signature_name};
use crate::crl::{Crl, CrlFinding, CrlFormat, MAX_CRL_FILE_SIZE, MAX_REVOCATION_ENTRIES, SerialNumber};
use crate::error::PkiError;
use crate::trust_store::TrustStore;

/// Whether a CA of the bundle signed the CRL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrlSignatureStatus {
    /// A bundle CA with the CRL's issuer name verifies the signature.
    Verified,
    /// CAs with the issuer name exist, but none verifies the signature.
    BadSignature,
    /// No bundle CA has the CRL's issuer name.
    NoIssuerInBundle,
    /// The algorithm cannot be verified by this build.
    Unverifiable,
}

/// The result of checking a CRL's signature against a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlSignature {
    pub bundle: String,
    pub status: CrlSignatureStatus,
    /// The bundle position of the CA that signed it (or the first candidate).
    pub ca_position: Option<usize>,
    pub ca_subject: Option<String>,
}

/// The result of [`inspect_crl`].
#[derive(Debug, Clone, Serialize)]
pub struct CrlReport {
    pub name: String,
    pub format: CrlFormat,
    pub file_size: usize,
    pub version: u32,
    pub issuer: String,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    /// CRL number extension, decimal.
    pub crl_number: Option<String>,
    pub signature_algorithm: String,
    pub entry_count: usize,
    /// Revoked serials ALB cannot act on because they are negative.
    pub negative_serials: Vec<SerialNumber>,
    /// Present when a bundle was given.
    pub signature: Option<CrlSignature>,
    pub findings: Vec<CrlFinding>,
}

impl CrlReport {
    /// Whether ALB would refuse this CRL or could not use it (a finding of severity error).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// `crl inspect`: describes a CRL and checks it against the ALB quotas, the negative-serial
/// limitation and, given a trust store, its signature. `at` judges this/next update.
pub fn inspect_crl(name: &str, bytes: &[u8], store: Option<&TrustStore>, at: DateTime<Utc>) -> Result<CrlReport, PkiError> {
    let crl = Crl::parse(name, bytes)?;
    let parsed = crl.parsed()?;
    let negative_serials: Vec<SerialNumber> = parsed
        .iter_revoked_certificates()
        .map(|r| SerialNumber::from_der_integer(r.raw_serial()))
        .filter(SerialNumber::is_negative)
        .collect();
    let entry_count = parsed.iter_revoked_certificates().count();
    let this_update = asn1_to_utc(parsed.last_update());
    let next_update = parsed.next_update().map(asn1_to_utc);
    let mut findings = Vec::new();
    let error = |message: String| CrlFinding { severity: Severity::Error, message };
    let warning = |message: String| CrlFinding { severity: Severity::Warning, message };
    if crl.file_size() > MAX_CRL_FILE_SIZE {
        findings.push(error(format!(
            "the file is {} bytes, over the {MAX_CRL_FILE_SIZE}-byte (50 MB) revocation list size limit: split the CRL",
            crl.file_size()
        )));
    }
    if entry_count > MAX_REVOCATION_ENTRIES {
        findings.push(error(format!(
            "{entry_count} entries exceed the quota of {MAX_REVOCATION_ENTRIES} revocation entries per trust store (default; adjustable via quota L-37E1617B)"
        )));
    }
    if !negative_serials.is_empty() {
        findings.push(warning(format!(
            "{} entr(ies) revoke negative serial numbers ({}); ALB cannot revoke certificates with negative serials, so they stay trusted: re-issue those certificates",
            negative_serials.len(),
            negative_serials.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(next) = next_update
        && next < at
    {
        findings.push(warning(format!(
            "past its next update ({}); how ALB treats a stale CRL is undocumented: publish a fresh one",
            rfc3339(next)
        )));
    }
    if this_update > at {
        findings.push(warning(format!("its this-update time {} is in the future", rfc3339(this_update))));
    }
    if crl.format() == CrlFormat::Der {
        findings
            .push(warning("the file is DER; AWS documents PEM CRLs for trust stores: convert it with `crl convert --to pem`".to_string()));
    }
    let signature = store.map(|store| check_signature(&parsed, store, &mut findings));
    Ok(CrlReport {
        name: name.to_string(),
        format: crl.format(),
        file_size: crl.file_size(),
        version: parsed.version().map_or(1, |v| v.0 + 1),
        issuer: rfc2253(parsed.issuer()),
        this_update,
        next_update,
        crl_number: parsed.crl_number().map(ToString::to_string),
        signature_algorithm: signature_name(&parsed.signature_algorithm),
        entry_count,
        negative_serials,
        signature,
        findings,
    })
}

fn check_signature(crl: &CertificateRevocationList<'_>, store: &TrustStore, findings: &mut Vec<CrlFinding>) -> CrlSignature {
    let mut result = CrlSignature {
        bundle: store.name().to_string(),
        status: CrlSignatureStatus::NoIssuerInBundle,
        ca_position: None,
        ca_subject: None,
    };
    for (i, der) in store.certificate_ders().enumerate() {
        let Ok((_, ca)) = X509Certificate::from_der(der) else { continue };
        if ca.subject().as_raw() != crl.issuer().as_raw() {
            continue;
        }
        let candidate_status = match crl.verify_signature(ca.public_key()) {
            Ok(()) => CrlSignatureStatus::Verified,
            Err(X509Error::SignatureUnsupportedAlgorithm) => CrlSignatureStatus::Unverifiable,
            Err(_) => CrlSignatureStatus::BadSignature,
        };
        let better = result.status == CrlSignatureStatus::NoIssuerInBundle || candidate_status == CrlSignatureStatus::Verified;
        if better {
            result.status = candidate_status;
            result.ca_position = Some(i + 1);
            result.ca_subject = Some(rfc2253(ca.subject()));
        }
        if candidate_status == CrlSignatureStatus::Verified {
            if let Ok(Some(ku)) = ca.key_usage()
                && !ku.value.crl_sign()
            {
                findings.push(CrlFinding {
                    severity: Severity::Error,
                    message: format!(
                        "the signing CA (bundle #{}) has key usage without cRLSign, so its CRLs are not accepted: re-issue the CA with cRLSign",
                        i + 1
                    ),
                });
            }
            break;
        }
    }
    let message = match result.status {
        CrlSignatureStatus::Verified => None,
        CrlSignatureStatus::BadSignature => Some((
            Severity::Error,
            "the bundle CA with the issuer's name did not sign this CRL (re-keyed or look-alike CA); ALB would fail with Failed:ClientCertCrlProcessingError or refuse it".to_string(),
        )),
        CrlSignatureStatus::NoIssuerInBundle => Some((
            Severity::Warning,
            format!("no CA in {} has the CRL's issuer name; this CRL applies to no certificate the trust store accepts", store.name()),
        )),
        CrlSignatureStatus::Unverifiable => Some((
            Severity::Warning,
            "the signature algorithm cannot be verified by this build; check with `openssl crl -CAfile BUNDLE -noout`".to_string(),
        )),
    };
    if let Some((severity, message)) = message {
        findings.push(CrlFinding { severity, message });
    }
    result
}
