//! `crl inspect`: describe a CRL and check it against the ALB quotas, the negative-serial
//! limitation, the form RFC 5280 requires and, given a trust store, who signed it.
//!
//! These are the doctor's one set of CRL rules: `cert check` applies the same findings
//! (`content_findings`, `signer_findings`) to the CRLs of the issuers in a chain, so
//! the two commands cannot disagree about a CRL. Rules whose effect on ALB is not
//! documented say so and name the likely result.

use chrono::{DateTime, Utc};
use serde::Serialize;
use x509_parser::error::X509Error;
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

use crate::Severity;
use crate::cert::{asn1_to_utc, rfc2253, rfc3339, signature_name};
use crate::crl::{Crl, CrlFormat, MAX_CRL_FILE_SIZE, MAX_REVOCATION_ENTRIES};
use crate::error::PkiError;
use crate::serial::SerialNumber;
use crate::trust_store::TrustStore;

/// Which rule a CRL finding is about. Serialized in snake_case; stable for JSON consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrlRule {
    FileTooLarge,
    TooManyEntries,
    NotVersion2,
    NoExtensions,
    NoNextUpdate,
    UnsupportedFeature,
    Stale,
    FutureThisUpdate,
    NegativeSerials,
    Der,
    BadSignature,
    NoIssuerInBundle,
    Unverifiable,
    SignerLacksCrlSign,
}

impl CrlRule {
    /// Whether a CRL breaking this rule makes the check of a certificate from its issuer
    /// fail (`Failed:ClientCertCrlProcessingError`, documented or likely), rather than
    /// being refused at import (the quotas) or only worth a warning.
    pub fn fails_processing(self) -> bool {
        use CrlRule as R;
        matches!(
            self,
            R::NotVersion2 | R::NoExtensions | R::NoNextUpdate | R::UnsupportedFeature | R::Stale | R::BadSignature | R::SignerLacksCrlSign
        )
    }
}

/// One problem with a CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrlFinding {
    pub severity: Severity,
    pub rule: CrlRule,
    /// What is wrong, what ALB does about it and what to do, in one sentence.
    pub message: String,
}

impl CrlFinding {
    fn new(rule: CrlRule, message: String) -> CrlFinding {
        use CrlRule as R;
        let severity = match rule {
            R::FutureThisUpdate | R::NegativeSerials | R::Der | R::NoIssuerInBundle | R::Unverifiable => Severity::Warning,
            _ => Severity::Error,
        };
        CrlFinding { severity, rule, message }
    }
}

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
/// limitation, RFC 5280's form and, given a trust store, its signature. `at` judges
/// this/next update.
pub fn inspect_crl(name: &str, bytes: &[u8], store: Option<&TrustStore>, at: DateTime<Utc>) -> Result<CrlReport, PkiError> {
    let crl = Crl::parse(name, bytes)?;
    let parsed = crl.parsed()?;
    let mut findings = content_findings(&crl, &parsed, at);
    let signature = store.map(|store| {
        let candidates: Vec<SignerCandidate<'_>> = store
            .cas
            .iter()
            .map(|ca| SignerCandidate { label: format!("bundle #{} {}", ca.info.position, ca.info.subject), der: &ca.der })
            .collect();
        let (signer, found) = signer_findings(&parsed, &candidates, store.name());
        findings.extend(found);
        let ca = signer.candidate.map(|i| &store.cas[i].info);
        CrlSignature {
            bundle: store.name().to_string(),
            status: signer.status,
            ca_position: ca.map(|ca| ca.position),
            ca_subject: ca.map(|ca| ca.subject.clone()),
        }
    });
    Ok(CrlReport {
        name: name.to_string(),
        format: crl.format(),
        file_size: crl.file_size(),
        version: crl_version(&parsed),
        issuer: rfc2253(parsed.issuer()),
        this_update: asn1_to_utc(parsed.last_update()),
        next_update: parsed.next_update().map(asn1_to_utc),
        crl_number: parsed.crl_number().map(ToString::to_string),
        signature_algorithm: signature_name(&parsed.signature_algorithm),
        entry_count: crl.entry_count(),
        negative_serials: negative_serials(&parsed),
        signature,
        findings,
    })
}

fn crl_version(parsed: &CertificateRevocationList<'_>) -> u32 {
    parsed.version().map_or(1, |v| v.0 + 1)
}

fn negative_serials(parsed: &CertificateRevocationList<'_>) -> Vec<SerialNumber> {
    parsed.iter_revoked_certificates().map(|r| SerialNumber::from_der_integer(r.raw_serial())).filter(SerialNumber::is_negative).collect()
}

/// What ALB likely does with a CRL that breaks a rule whose effect is not documented.
const LIKELY_PROCESSING_ERROR: &str = "whether ALB accepts it is not documented: likely refused at import (InvalidRevocationContent) or, once imported, every certificate from this issuer fails with Failed:ClientCertCrlProcessingError";

/// The rules about a CRL on its own (no signer needed), judged at `at`.
pub(crate) fn content_findings(crl: &Crl, parsed: &CertificateRevocationList<'_>, at: DateTime<Utc>) -> Vec<CrlFinding> {
    use CrlRule as R;
    let mut findings = Vec::new();
    let mut add = |rule: R, message: String| findings.push(CrlFinding::new(rule, message));
    if crl.file_size() > MAX_CRL_FILE_SIZE {
        add(
            R::FileTooLarge,
            format!(
                "the file is {} bytes, over the {MAX_CRL_FILE_SIZE}-byte (50 MB) revocation list size limit, so ALB refuses to import it: split the CRL",
                crl.file_size()
            ),
        );
    }
    let entry_count = crl.entry_count();
    if entry_count > MAX_REVOCATION_ENTRIES {
        add(
            R::TooManyEntries,
            format!(
                "{entry_count} entries exceed the quota of {MAX_REVOCATION_ENTRIES} revocation entries per trust store (default; adjustable via quota L-37E1617B), so ALB refuses to import it (TooManyTrustStoreRevocationEntries)"
            ),
        );
    }
    let negative = negative_serials(parsed);
    if !negative.is_empty() {
        add(
            R::NegativeSerials,
            format!(
                "{} entr(ies) revoke negative serial numbers ({}); ALB cannot revoke certificates with negative serials, so those certificates stay trusted: re-issue them with positive serials",
                negative.len(),
                negative.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let version = crl_version(parsed);
    let form_problem = if version != 2 {
        add(
            R::NotVersion2,
            format!(
                "a version {version} CRL; RFC 5280 requires version 2 with the CRL number and authority key identifier extensions, and openssl accepts it, but {LIKELY_PROCESSING_ERROR}: re-issue it as a v2 CRL (`openssl ca -gencrl` with a crlnumber file)"
            ),
        );
        true
    } else if parsed.extensions().is_empty() {
        add(
            R::NoExtensions,
            format!(
                "a version 2 CRL without extensions; RFC 5280 requires the CRL number and authority key identifier extensions, and openssl accepts it, but {LIKELY_PROCESSING_ERROR}: re-issue it with a crlnumber file and `authorityKeyIdentifier=keyid` in crl_extensions"
            ),
        );
        true
    } else {
        false
    };
    let next_update = parsed.next_update().map(asn1_to_utc);
    match next_update {
        None => add(
            R::NoNextUpdate,
            format!("no nextUpdate time; RFC 5280 requires one, and {LIKELY_PROCESSING_ERROR}: re-issue it with a nextUpdate (`-crldays`)"),
        ),
        Some(next) if next <= at => add(
            R::Stale,
            format!(
                "past its next update ({}), checked at {}; how ALB treats a stale CRL is not documented: likely every certificate from {} fails with Failed:ClientCertCrlProcessingError (openssl says \"CRL has expired\"): publish a fresh CRL and import it again",
                rfc3339(next),
                rfc3339(at),
                rfc2253(parsed.issuer())
            ),
        ),
        Some(_) => {}
    }
    // The checks above name the usual reasons the verifier refuses a CRL; anything else
    // it refuses is reported as it says it.
    if !form_problem
        && next_update.is_some()
        && let Err(e) = webpki::BorrowedCertRevocationList::from_der(crl.der())
    {
        add(
            R::UnsupportedFeature,
            format!("the CRL uses a feature this check (rustls-webpki) cannot process ({e:?}); {LIKELY_PROCESSING_ERROR}"),
        );
    }
    let this_update = asn1_to_utc(parsed.last_update());
    if this_update > at {
        add(R::FutureThisUpdate, format!("its this-update time {} is in the future (checked at {})", rfc3339(this_update), rfc3339(at)));
    }
    if crl.format() == CrlFormat::Der {
        add(
            R::Der,
            "the file is DER; ALB takes PEM CRLs (AWS's own procedure converts DER to PEM before importing; DER is not documented): convert it with `albmtls crl convert --to pem`".to_string(),
        );
    }
    // Errors first; otherwise in the order above.
    findings.sort_by_key(|f| f.severity);
    findings
}

/// A certificate that may have signed a CRL: a bundle CA or a certificate the client sent.
pub(crate) struct SignerCandidate<'a> {
    /// How findings name it: `bundle #2`, `client #2`.
    pub(crate) label: String,
    pub(crate) der: &'a [u8],
}

/// Which candidate signed the CRL.
pub(crate) struct SignerMatch {
    pub(crate) status: CrlSignatureStatus,
    /// Index into the candidates of the signer (or the first candidate with the name).
    pub(crate) candidate: Option<usize>,
}

/// The rules about who signed a CRL: a candidate with the issuer's name must verify the
/// signature, and its key usage (when present) must include cRLSign. `where_` names the
/// candidates' source in messages (the bundle's name).
pub(crate) fn signer_findings(
    crl: &CertificateRevocationList<'_>,
    candidates: &[SignerCandidate<'_>],
    where_: &str,
) -> (SignerMatch, Vec<CrlFinding>) {
    let mut result = SignerMatch { status: CrlSignatureStatus::NoIssuerInBundle, candidate: None };
    let mut findings = Vec::new();
    for (i, candidate) in candidates.iter().enumerate() {
        let Ok((_, ca)) = X509Certificate::from_der(candidate.der) else { continue };
        if ca.subject().as_raw() != crl.issuer().as_raw() {
            continue;
        }
        let status = match crl.verify_signature(ca.public_key()) {
            Ok(()) => CrlSignatureStatus::Verified,
            Err(X509Error::SignatureUnsupportedAlgorithm) => CrlSignatureStatus::Unverifiable,
            Err(_) => CrlSignatureStatus::BadSignature,
        };
        if result.status == CrlSignatureStatus::NoIssuerInBundle || status == CrlSignatureStatus::Verified {
            result = SignerMatch { status, candidate: Some(i) };
        }
        if status == CrlSignatureStatus::Verified {
            if let Ok(Some(ku)) = ca.key_usage()
                && !ku.value.crl_sign()
            {
                findings.push(CrlFinding::new(CrlRule::SignerLacksCrlSign, no_crl_sign_message(&candidate.label)));
            }
            break;
        }
    }
    let label = result.candidate.map(|i| candidates[i].label.as_str()).unwrap_or_default();
    let message = match result.status {
        CrlSignatureStatus::Verified => None,
        CrlSignatureStatus::BadSignature => Some((
            CrlRule::BadSignature,
            format!(
                "its signature does not verify with the issuing CA's key ({label} has the issuer's name but did not sign it: a re-keyed or look-alike CA); likely refused at import, or every certificate from this issuer fails with Failed:ClientCertCrlProcessingError: get the CRL the current CA signed"
            ),
        )),
        CrlSignatureStatus::NoIssuerInBundle => Some((
            CrlRule::NoIssuerInBundle,
            format!(
                "no CA in {where_} has the CRL's issuer name; it can only apply to certificates issued by an intermediate the clients send themselves (whether ALB imports such a CRL is not documented)"
            ),
        )),
        CrlSignatureStatus::Unverifiable => Some((
            CrlRule::Unverifiable,
            "the signature algorithm cannot be verified by this build; check with `openssl crl -CAfile BUNDLE -noout`".to_string(),
        )),
    };
    if let Some((rule, message)) = message {
        findings.push(CrlFinding::new(rule, message));
    }
    (result, findings)
}

/// The one wording of the cRLSign rule, for `crl inspect` and `cert check` alike.
pub(crate) fn no_crl_sign_message(signer: &str) -> String {
    format!(
        "the signing CA ({signer}) has a key usage without cRLSign; whether ALB uses its CRLs is not documented: likely every certificate from this CA fails with Failed:ClientCertCrlProcessingError (openssl says \"key usage does not include CRL signing\"): re-issue the CA with cRLSign"
    )
}
