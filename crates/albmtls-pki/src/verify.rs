//! `cert check`: build the client's chain against a trust store (and its CRLs) and give
//! the `tls_verify_status` ALB would log, with a reason a person can act on.
//!
//! rustls-webpki does the path building, signature and CRL checks. It accepts things ALB
//! does not, so these are checked here: X.509v1 certificates, ALB's key and signature
//! algorithm lists, the trust-store CA itself (its validity, key usage and EKU, which
//! webpki does not look at for a trust anchor), chain depth 4, the 64 KB TLS message, and
//! the doctor's CRL rules (shared with `crl inspect`). Where AWS does not document which
//! code a case produces, the choice is an inference and the reason says so.
//!
//! The trust store is first audited with `bundle check`'s rules: a CA ALB refuses makes
//! ALB refuse the whole bundle, so the check reports that and leaves the CA out, which is
//! what the bundle looks like once fixed (`bundle check --fix`). A chain that only
//! verifies through such a CA is never called `Success`.
//!
//! Check order: message size, presented depth, parseability, certificate type (version,
//! key, signature algorithm), CRL processing, then webpki (validity, EKU, trust,
//! revocation, in its order: the leaf first), then revocation by the CRLs kept from
//! webpki because they list a presented negative serial (every entry but that one), then
//! the trust-store CA and path depth, and finally the leaf key usage.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use serde::Serialize;
use webpki::{
    CertRevocationList, EndEntityCert, Error as WebpkiError, KeyUsage, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::cert::{CertInfo, describe_certificate, read_certificates, rfc3339};
use crate::crl_inspect::{CrlRule, CrlSignatureStatus, SignerCandidate, content_findings, no_crl_sign_message, signer_findings};
use crate::error::PkiError;
use crate::serial::SerialNumber;
use crate::trust_store::{StoreCa, TrustStore};
use crate::{FailureCode, Finding, Severity, Target};

/// ALB quota: maximum certificate chain depth.
pub const MAX_CHAIN_DEPTH: usize = 4;
/// ALB quota: TLS message size (64 K).
pub const MAX_TLS_MESSAGE_SIZE: usize = 64 * 1024;

/// The signature algorithms ALB accepts: SHA-256/384/512 with RSA 2048-8192 (PKCS#1 v1.5
/// and PSS) or with ECDSA on P-256, P-384 and P-521. API Gateway takes the same list
/// (without ALB's 8192-bit cap, which no algorithm here can verify past).
pub(crate) static SHA2_VERIFICATION_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
    webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
    webpki::aws_lc_rs::ECDSA_P256_SHA256,
    webpki::aws_lc_rs::ECDSA_P256_SHA384,
    webpki::aws_lc_rs::ECDSA_P256_SHA512,
    webpki::aws_lc_rs::ECDSA_P384_SHA256,
    webpki::aws_lc_rs::ECDSA_P384_SHA384,
    webpki::aws_lc_rs::ECDSA_P384_SHA512,
    webpki::aws_lc_rs::ECDSA_P521_SHA256,
    webpki::aws_lc_rs::ECDSA_P521_SHA384,
    webpki::aws_lc_rs::ECDSA_P521_SHA512,
];

/// How to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// Verification time (the connection's timestamp, or now).
    pub at: DateTime<Utc>,
    /// The listener's `IgnoreClientCertificateExpiry`: an expired client (leaf)
    /// certificate is judged at its last valid second instead.
    pub ignore_client_certificate_expiry: bool,
}

impl CheckOptions {
    /// Check at `at`, expiry enforced.
    pub fn at(at: DateTime<Utc>) -> CheckOptions {
        CheckOptions { at, ignore_client_certificate_expiry: false }
    }
}

/// One certificate on the verified path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    /// `leaf`, `intermediate` or `trust_anchor`.
    pub role: &'static str,
    pub subject: String,
    /// Where it came from: `client #2` or `bundle #1`.
    pub source: String,
}

/// The verdict of [`check_client`], as ALB would log it, and why.
#[derive(Debug, Clone, Serialize)]
pub struct CertCheckReport {
    pub client: String,
    pub bundle: String,
    pub checked_at: DateTime<Utc>,
    /// `Success` or `Failed:<code>`, exactly as in the connection log. When the trust
    /// store breaks ALB's rules ([`CertCheckReport::trust_store`]), this is the status
    /// with the refused CAs left out, as the bundle must be before ALB accepts it.
    pub tls_verify_status: String,
    /// The failure code; `None` on success.
    pub code: Option<FailureCode>,
    /// The certificate the verdict is about, e.g. `#1 CN=client` (client file position).
    pub certificate: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// What to check or do.
    pub what_to_check: String,
    /// The certificates the client presents that could be read, leaf first.
    pub presented: Vec<CertInfo>,
    /// The DER size of every certificate the client presents, in order, readable or not.
    pub presented_sizes: Vec<usize>,
    /// The verified path (leaf to trust-store CA); empty when none was found.
    pub path: Vec<PathEntry>,
    /// Size of the TLS 1.3 Certificate message carrying the presented chain.
    pub tls_message_size: usize,
    /// What ALB would refuse about the trust store itself (bundle rules, revocation
    /// quotas) and what it takes in another form (DER CRLs).
    pub trust_store: Vec<Finding>,
    /// Further observations that do not change the verdict.
    pub notes: Vec<String>,
}

impl CertCheckReport {
    /// Whether the chain gets `Success` (from the trust store as ALB would accept it).
    pub fn is_success(&self) -> bool {
        self.code.is_none()
    }

    /// Whether ALB would refuse the trust store itself (bundle upload or CRL import).
    pub fn trust_store_refused(&self) -> bool {
        self.trust_store.iter().any(|f| f.severity == Severity::Error)
    }

    /// Whether ALB, with this trust store, would let this client in: `Success` from a
    /// trust store ALB accepts. The doctor exits 0 only then.
    pub fn passes(&self) -> bool {
        self.is_success() && !self.trust_store_refused()
    }
}

/// Checks a client certificate file (PEM with optional intermediates after the leaf, or
/// one DER certificate) against `store`.
pub fn check_client(store: &TrustStore, name: &str, bytes: &[u8], options: &CheckOptions) -> Result<CertCheckReport, PkiError> {
    let ders = read_certificates(name, bytes)?;
    check_client_chain(store, name, &ders, options)
}

/// Checks a chain given as DER certificates, leaf first (as the client sends it).
pub fn check_client_chain(store: &TrustStore, name: &str, chain: &[Vec<u8>], options: &CheckOptions) -> Result<CertCheckReport, PkiError> {
    if chain.is_empty() {
        return Err(PkiError::NoCertificate { name: name.to_string() });
    }
    let audit = store.audit(Target::Alb, options.at);
    let mut report = CertCheckReport {
        client: name.to_string(),
        bundle: store.name.clone(),
        checked_at: options.at,
        tls_verify_status: "Success".to_string(),
        code: None,
        certificate: None,
        reason: String::new(),
        what_to_check: String::new(),
        presented: Vec::new(),
        presented_sizes: chain.iter().map(Vec::len).collect(),
        path: Vec::new(),
        tls_message_size: tls_message_size(chain),
        trust_store: audit.findings,
        notes: Vec::new(),
    };
    let mut checker = Checker { store, refused: &audit.refused, name, chain, options, report: &mut report };
    checker.run()?;
    Ok(report)
}

/// TLS 1.3 Certificate message: 4-byte handshake header, 1-byte context, 3-byte list
/// length, then per certificate a 3-byte length and 2-byte extensions length.
pub(crate) fn tls_message_size(chain: &[Vec<u8>]) -> usize {
    8 + chain.iter().map(|c| c.len() + 5).sum::<usize>()
}

pub(crate) fn unix_time(at: DateTime<Utc>) -> Result<UnixTime, PkiError> {
    u64::try_from(at.timestamp())
        .map(|secs| UnixTime::since_unix_epoch(Duration::from_secs(secs)))
        .map_err(|_| PkiError::TimeOutOfRange { time: rfc3339(at) })
}

/// Describes every presented certificate; the first that cannot be read is returned as
/// its error, the others are still described.
pub(crate) fn describe_chain(name: &str, chain: &[Vec<u8>]) -> (Vec<CertInfo>, Option<PkiError>) {
    let mut infos = Vec::new();
    let mut first_error = None;
    for (i, der) in chain.iter().enumerate() {
        match describe_certificate(name, i + 1, der) {
            Ok(info) => infos.push(info),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    (infos, first_error)
}

/// The trust anchors webpki may use: every CA of the store but the `refused` ones, with
/// their index into the store.
pub(crate) fn anchors<'a>(cas: &'a [StoreCa], refused: &[usize]) -> Vec<(usize, TrustAnchor<'a>)> {
    cas.iter()
        .enumerate()
        .filter(|(i, _)| !refused.contains(i))
        .filter_map(|(i, ca)| {
            let der = CertificateDer::from(ca.der.as_slice());
            webpki::anchor_from_trusted_cert(&der).ok().map(|a| (i, a.to_owned()))
        })
        .collect()
}

/// A path webpki built: the entries (leaf to trust anchor), the positions in the
/// client's chain of the certificates on it (leaf first) and the store index of the CA.
pub(crate) struct BuiltPath {
    pub(crate) entries: Vec<PathEntry>,
    pub(crate) client_positions: Vec<usize>,
    pub(crate) ca_index: usize,
}

/// Builds and verifies the path from `chain[0]` to one of `anchors` for TLS client use.
pub(crate) fn build_path(
    anchors: &[(usize, TrustAnchor<'_>)],
    chain: &[Vec<u8>],
    presented: &[CertInfo],
    store: &TrustStore,
    time: UnixTime,
    crls: &[CertRevocationList<'_>],
) -> Result<BuiltPath, WebpkiError> {
    let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(_, a)| a.clone()).collect();
    let leaf_der = CertificateDer::from(chain[0].as_slice());
    let end_entity = EndEntityCert::try_from(&leaf_der)?;
    let intermediates: Vec<CertificateDer<'_>> = chain[1..].iter().map(|d| CertificateDer::from(d.as_slice())).collect();
    let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
    let revocation = RevocationOptionsBuilder::new(&crl_refs)
        .ok()
        .map(|b| b.with_depth(RevocationCheckDepth::Chain).with_status_policy(UnknownStatusPolicy::Allow).build());
    let path = end_entity.verify_for_usage(
        SHA2_VERIFICATION_ALGS,
        &anchor_list,
        &intermediates,
        time,
        KeyUsage::client_auth(),
        revocation,
        None,
    )?;
    let subject_at = |position: usize| presented.iter().find(|c| c.position == position).map(|c| c.subject.clone()).unwrap_or_default();
    let mut entries = vec![PathEntry { role: "leaf", subject: subject_at(1), source: "client #1".to_string() }];
    let mut client_positions = vec![1];
    for intermediate in path.intermediate_certificates() {
        let position = chain.iter().position(|d| d.as_slice() == intermediate.der().as_ref()).unwrap_or(0) + 1;
        entries.push(PathEntry { role: "intermediate", subject: subject_at(position), source: format!("client #{position}") });
        client_positions.push(position);
    }
    let anchor = path.anchor();
    let ca_index = anchors
        .iter()
        .find(|(_, a)| a.subject_public_key_info == anchor.subject_public_key_info && a.subject == anchor.subject)
        .map(|(i, _)| *i)
        .unwrap_or(0);
    let ca = &store.cas[ca_index].info;
    entries.push(PathEntry { role: "trust_anchor", subject: ca.subject.clone(), source: format!("bundle #{}", ca.position) });
    Ok(BuiltPath { entries, client_positions, ca_index })
}

/// A CRL kept from webpki because it lists a negative serial the client presents.
struct WithheldCrl {
    /// Index into the store's CRLs.
    index: usize,
    /// Whether a CA verified its signature, so that its other entries can be applied.
    signature_verified: bool,
}

/// A verdict before it is written into the report.
struct Failure {
    code: FailureCode,
    certificate: Option<String>,
    reason: String,
}

impl Failure {
    fn new(code: FailureCode, certificate: Option<&CertInfo>, reason: impl Into<String>) -> Failure {
        Failure { code, certificate: certificate.map(CertInfo::label), reason: reason.into() }
    }
}

struct Checker<'a> {
    store: &'a TrustStore,
    /// Store indexes of the CAs ALB refuses in a bundle; never trust anchors here.
    refused: &'a [usize],
    name: &'a str,
    chain: &'a [Vec<u8>],
    options: &'a CheckOptions,
    report: &'a mut CertCheckReport,
}

impl Checker<'_> {
    fn run(&mut self) -> Result<(), PkiError> {
        match self.verdict()? {
            None => {
                self.report.reason = if self.report.trust_store_refused() {
                    "the chain verifies against the trust store as ALB would accept it, but ALB refuses this trust store as it is (see trust store)".to_string()
                } else {
                    "the chain verifies against the trust store".to_string()
                };
                self.report.what_to_check = if self.report.trust_store_refused() {
                    "fix the trust store first: `albmtls bundle check --fix -o fixed.pem BUNDLE` for the bundle, the quotas for CRLs"
                        .to_string()
                } else {
                    "nothing; if ALB still logs a failure, compare the bundle and CRLs here with the trust store's".to_string()
                };
            }
            Some(failure) => {
                self.report.tls_verify_status = failure.code.status_text().to_string();
                self.report.code = Some(failure.code);
                self.report.certificate = failure.certificate;
                self.report.reason = failure.reason;
                self.report.what_to_check = what_to_check(failure.code).to_string();
            }
        }
        Ok(())
    }

    fn verdict(&mut self) -> Result<Option<Failure>, PkiError> {
        use FailureCode as C;
        // Described first, so that every verdict shows what the client presents.
        let (presented, unreadable) = describe_chain(self.name, self.chain);
        self.report.presented = presented;
        if self.report.tls_message_size > MAX_TLS_MESSAGE_SIZE {
            return Ok(Some(Failure::new(
                C::ClientCertMaxSizeExceeded,
                None,
                format!(
                    "the client's chain needs a {}-byte TLS Certificate message, over ALB's {MAX_TLS_MESSAGE_SIZE}-byte TLS message limit",
                    self.report.tls_message_size
                ),
            )));
        }
        if self.chain.len() > MAX_CHAIN_DEPTH {
            return Ok(Some(Failure::new(
                C::ClientCertMaxChainDepthExceeded,
                None,
                format!("the client presents {} certificates; ALB's maximum chain depth is {MAX_CHAIN_DEPTH}", self.chain.len()),
            )));
        }
        if let Some(e) = unreadable {
            return Ok(Some(Failure::new(C::ClientCertInvalid, None, e.to_string())));
        }
        if let Some(failure) = self.type_check() {
            return Ok(Some(failure));
        }
        let withheld = match self.crl_check() {
            Ok(withheld) => withheld,
            Err(failure) => return Ok(Some(failure)),
        };
        self.webpki_check(&withheld)
    }

    fn type_check(&self) -> Option<Failure> {
        let inference = "(ALB's exact code for this case is undocumented; TypeUnsupported is inferred)";
        for cert in &self.report.presented {
            if cert.version != 3 {
                return Some(Failure::new(
                    FailureCode::ClientCertTypeUnsupported,
                    Some(cert),
                    format!("X.509v{} certificate; ALB supports only X.509v3 client certificates", cert.version),
                ));
            }
            // A self-issued root the client sends along is replaced by the trust store's copy.
            if cert.self_issued && cert.position > 1 {
                continue;
            }
            if let Some(problem) = cert.key_problem() {
                return Some(Failure::new(FailureCode::ClientCertTypeUnsupported, Some(cert), format!("{problem} {inference}")));
            }
            if let Some(problem) = cert.signature_problem() {
                return Some(Failure::new(FailureCode::ClientCertTypeUnsupported, Some(cert), format!("{problem} {inference}")));
            }
        }
        None
    }

    /// Applies the doctor's CRL rules (those of `crl inspect`) to the CRLs of the issuers
    /// of the presented certificates. Returns the CRLs webpki must not see: those that
    /// list a negative serial the client presents. webpki cannot skip one entry of a CRL,
    /// and ALB ignores exactly that entry, so their other entries are applied by
    /// [`Checker::crl_hit`] instead.
    fn crl_check(&mut self) -> Result<Vec<WithheldCrl>, Failure> {
        let mut withheld = Vec::new();
        let candidates: Vec<SignerCandidate<'_>> = self
            .store
            .cas
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.refused.contains(i))
            .map(|(_, ca)| SignerCandidate { label: format!("bundle #{} {}", ca.info.position, ca.info.subject), der: &ca.der })
            .chain(self.chain.iter().enumerate().map(|(i, der)| SignerCandidate { label: format!("client #{}", i + 1), der }))
            .collect();
        for (index, store_crl) in self.store.crls.iter().enumerate() {
            let Some(cert) = self.report.presented.iter().find(|c| c.issuer == store_crl.issuer) else { continue };
            let Ok(parsed) = store_crl.crl.parsed() else { continue };
            let mut findings = content_findings(&store_crl.crl, &parsed, self.options.at);
            let (signer, signer_problems) = signer_findings(&parsed, &candidates, self.store.name());
            findings.extend(signer_problems);
            if let Some(finding) = findings.iter().find(|f| f.rule.fails_processing()) {
                return Err(Failure::new(
                    FailureCode::ClientCertCrlProcessingError,
                    Some(cert),
                    format!("the CRL {} from {} (the issuer of this certificate): {}", store_crl.name(), store_crl.issuer, finding.message),
                ));
            }
            for finding in findings.iter().filter(|f| f.rule == CrlRule::FutureThisUpdate) {
                self.report.notes.push(format!("{}: {}", store_crl.name(), finding.message));
            }
            let listed_negative: Vec<&CertInfo> = self
                .report
                .presented
                .iter()
                .filter(|c| c.issuer == store_crl.issuer && c.has_negative_serial())
                .filter(|c| {
                    let Ok((_, x509)) = X509Certificate::from_der(&self.chain[c.position - 1]) else { return false };
                    let serial = SerialNumber::from_der_integer(x509.raw_serial());
                    parsed.iter_revoked_certificates().any(|r| SerialNumber::from_der_integer(r.raw_serial()) == serial)
                })
                .collect();
            for cert in &listed_negative {
                self.report.notes.push(format!(
                    "serial {} of {} is listed in the CRL {}, but ALB cannot revoke certificates with a negative serial number through a CRL (documented), so the entry has no effect on ALB and this verdict ignores it (openssl verify -crl_check does count it as revoked): re-issue the client with a positive serial to make it revocable",
                    cert.serial,
                    cert.label(),
                    store_crl.name()
                ));
            }
            if !listed_negative.is_empty() {
                // Entries are only as good as the signature over them; webpki would check it.
                let signature_verified = signer.status == CrlSignatureStatus::Verified;
                if !signature_verified {
                    self.report.notes.push(format!(
                        "the other entries of the CRL {} were not applied: its signature cannot be verified here, so its entries cannot be trusted; check it with `openssl crl -CAfile BUNDLE -noout`",
                        store_crl.name()
                    ));
                }
                withheld.push(WithheldCrl { index, signature_verified });
            }
        }
        Ok(withheld)
    }

    fn webpki_check(&mut self, withheld: &[WithheldCrl]) -> Result<Option<Failure>, PkiError> {
        let leaf = &self.report.presented[0];
        let mut time = unix_time(self.options.at)?;
        if self.options.ignore_client_certificate_expiry && self.options.at > leaf.not_after {
            time = unix_time(leaf.not_after)?;
            self.report.notes.push(format!(
                "the client certificate expired on {}; IgnoreClientCertificateExpiry is on, so the chain is judged at that time",
                rfc3339(leaf.not_after)
            ));
        }
        let anchors = anchors(&self.store.cas, self.refused);
        let crls: Vec<CertRevocationList<'_>> = self
            .store
            .crls
            .iter()
            .enumerate()
            .filter(|(i, _)| !withheld.iter().any(|w| w.index == *i))
            .filter_map(|(_, c)| c.parsed.as_ref().ok().map(|p| CertRevocationList::from(p.clone())))
            .collect();
        match build_path(&anchors, self.chain, &self.report.presented, self.store, time, &crls) {
            Ok(path) => {
                self.report.path = path.entries;
                // webpki revokes along the path before anything after_path checks.
                let applies = |index: usize| withheld.iter().any(|w| w.index == index && w.signature_verified);
                if let Some(hit) = self.crl_hit(&path.client_positions, applies) {
                    return Ok(Some(hit));
                }
                Ok(self.after_path(&self.store.cas[path.ca_index].info))
            }
            Err(e) => Ok(Some(self.map_webpki(e, withheld))),
        }
    }

    /// Checks webpki leaves to the caller: the trust-store CA itself (validity, key
    /// usage and EKU, as `bundle check` judges them and openssl enforces them), the path
    /// depth and the leaf's key usage.
    fn after_path(&self, ca: &CertInfo) -> Option<Failure> {
        use FailureCode as C;
        let at = self.options.at;
        let ca_label = format!("bundle #{} {}", ca.position, ca.subject);
        let failure = |code: FailureCode, reason: String| Some(Failure { code, certificate: Some(ca_label.clone()), reason });
        if at > ca.not_after {
            return failure(
                C::ClientCertExpired,
                format!("the trust-store CA expired on {}; checked at {}", rfc3339(ca.not_after), rfc3339(at)),
            );
        }
        if at < ca.not_before {
            return failure(
                C::ClientCertNotYetValid,
                format!("the trust-store CA is not valid before {}; checked at {}", rfc3339(ca.not_before), rfc3339(at)),
            );
        }
        if let Some(usage) = &ca.key_usage
            && !usage.iter().any(|u| u == "keyCertSign")
        {
            return failure(
                C::ClientCertUntrusted,
                format!(
                    "the trust-store CA's key usage ({}) lacks keyCertSign, so it cannot vouch for the certificates it signed; ALB's code for this is not documented: likely Failed:ClientCertUntrusted (openssl says \"key usage does not include certificate signing\")",
                    usage.join(", ")
                ),
            );
        }
        if let Some(eku) = &ca.extended_key_usage
            && !eku.iter().any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage")
        {
            return failure(
                C::ClientCertPurposeInvalid,
                format!(
                    "the trust-store CA's extended key usage ({}) excludes clientAuth; ALB's behaviour is not documented: likely Failed:ClientCertPurposeInvalid, as openssl -purpose sslclient fails it (\"unsuitable certificate purpose\")",
                    eku.join(", ")
                ),
            );
        }
        if self.report.path.len() > MAX_CHAIN_DEPTH {
            return Some(Failure::new(
                C::ClientCertMaxChainDepthExceeded,
                None,
                format!(
                    "the path from the client certificate to the trust-store CA has {} certificates; ALB's maximum chain depth is {MAX_CHAIN_DEPTH}",
                    self.report.path.len()
                ),
            ));
        }
        let leaf = &self.report.presented[0];
        if let Some(usage) = &leaf.key_usage
            && !usage.iter().any(|u| u == "digitalSignature" || u == "keyAgreement")
        {
            return Some(Failure::new(
                C::ClientCertPurposeInvalid,
                Some(leaf),
                format!(
                    "key usage ({}) allows neither digitalSignature nor keyAgreement, so the key cannot authenticate a TLS client",
                    usage.join(", ")
                ),
            ));
        }
        None
    }

    // The deprecated unit variants are still matched: older 0.103 releases return them.
    #[allow(deprecated)]
    fn map_webpki(&self, error: WebpkiError, withheld: &[WithheldCrl]) -> Failure {
        use FailureCode as C;
        use WebpkiError as E;
        let presented = &self.report.presented;
        let leaf = &presented[0];
        match error {
            E::UnknownIssuer => self.untrusted(),
            E::CertExpired { not_after, .. } => {
                let cert =
                    presented.iter().find(|c| u64::try_from(c.not_after.timestamp()).ok() == Some(not_after.as_secs())).unwrap_or(leaf);
                Failure::new(
                    C::ClientCertExpired,
                    Some(cert),
                    format!("expired on {}; checked at {}", rfc3339(cert.not_after), rfc3339(self.options.at)),
                )
            }
            E::CertNotValidYet { not_before, .. } => {
                let cert =
                    presented.iter().find(|c| u64::try_from(c.not_before.timestamp()).ok() == Some(not_before.as_secs())).unwrap_or(leaf);
                Failure::new(
                    C::ClientCertNotYetValid,
                    Some(cert),
                    format!("not valid before {}; checked at {}", rfc3339(cert.not_before), rfc3339(self.options.at)),
                )
            }
            E::CertRevoked => {
                let presented: Vec<usize> = (1..=self.chain.len()).collect();
                self.crl_hit(&presented, |index| !withheld.iter().any(|w| w.index == index)).unwrap_or_else(|| {
                    Failure::new(FailureCode::ClientCertCrlHit, None, "a certificate in the chain is revoked by a CRL in the trust store")
                })
            }
            E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
                let cert = presented
                    .iter()
                    .find(|c| c.extended_key_usage.as_ref().is_some_and(|e| !e.iter().any(|u| u == "clientAuth")))
                    .unwrap_or(leaf);
                let eku = cert.extended_key_usage.as_ref().map(|e| e.join(", ")).unwrap_or_default();
                Failure::new(
                    C::ClientCertPurposeInvalid,
                    Some(cert),
                    format!("extended key usage ({eku}) lacks clientAuth (TLS Web Client Authentication)"),
                )
            }
            E::UnsupportedCertVersion => Failure::new(C::ClientCertTypeUnsupported, None, "a certificate in the chain is not X.509v3"),
            E::MaximumPathDepthExceeded => Failure::new(
                C::ClientCertMaxChainDepthExceeded,
                None,
                format!("the path to the trust store is longer than ALB's maximum chain depth of {MAX_CHAIN_DEPTH}"),
            ),
            E::UnsupportedSignatureAlgorithm
            | E::UnsupportedSignatureAlgorithmContext(_)
            | E::UnsupportedSignatureAlgorithmForPublicKey
            | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => Failure::new(
                C::ClientCertTypeUnsupported,
                None,
                "a signature in the chain uses an algorithm ALB does not support (it accepts SHA-256/384/512 with RSA 2048-8192, ECDSA or RSASSA-PSS)",
            ),
            E::InvalidSignatureForPublicKey => self.bad_signature(),
            E::IssuerNotCrlSigner => Failure::new(C::ClientCertCrlProcessingError, None, no_crl_sign_message("the issuing CA")),
            E::InvalidCrlSignatureForPublicKey
            | E::UnsupportedCrlSignatureAlgorithm
            | E::UnsupportedCrlSignatureAlgorithmContext(_)
            | E::UnsupportedCrlSignatureAlgorithmForPublicKey
            | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
            | E::UnsupportedCrlVersion
            | E::UnsupportedDeltaCrl
            | E::UnsupportedIndirectCrl
            | E::UnsupportedRevocationReason
            | E::UnsupportedRevocationReasonsPartitioning
            | E::UnsupportedCrlIssuingDistributionPoint
            | E::InvalidCrlNumber
            | E::UnknownRevocationStatus => Failure::new(
                C::ClientCertCrlProcessingError,
                None,
                format!("a CRL for this chain cannot be used ({}): {error:?}", crl_error_words(&error)),
            ),
            E::CaUsedAsEndEntity => Failure::new(
                C::ClientCertInvalid,
                Some(leaf),
                "the client certificate is a CA certificate (basic constraints CA:TRUE); clients must present a leaf",
            ),
            E::EndEntityUsedAsCa => Failure::new(
                C::ClientCertInvalid,
                None,
                "a certificate in the chain that signs another is not a CA (basic constraints CA:FALSE or absent)",
            ),
            other => Failure::new(C::ClientCertInvalid, None, format!("the chain is invalid: {other:?}")),
        }
    }

    /// No path to a trust anchor: say which link is missing, or which refused CA it needs.
    fn untrusted(&self) -> Failure {
        let presented = &self.report.presented;
        let subjects: Vec<&str> = presented.iter().map(|c| c.subject.as_str()).collect();
        // The top of what the client sent: the first certificate whose issuer it did not send.
        let top = presented.iter().find(|c| !c.self_issued && !subjects.contains(&c.issuer.as_str()));
        let named = |subject: &str| -> Vec<(usize, &StoreCa)> {
            self.store.cas.iter().enumerate().filter(|(_, ca)| ca.info.subject == subject).collect()
        };
        let Some(cert) = top else {
            let root = presented.iter().find(|c| c.self_issued).unwrap_or(&presented[0]);
            return Failure::new(
                FailureCode::ClientCertUntrusted,
                Some(root),
                "the chain ends in a self-signed certificate that is not in the trust store",
            );
        };
        let candidates = named(&cert.issuer);
        let usable = candidates.iter().find(|(i, _)| !self.refused.contains(i));
        let reason = match (usable, candidates.first()) {
            (Some((_, ca)), _) => format!(
                "issued by {}; a CA of that name is in the bundle (#{}) but no path to it verifies (re-keyed CA, or a constraint on the way)",
                cert.issuer, ca.info.position
            ),
            (None, Some((_, ca))) => format!(
                "issued by {}, which is in the bundle (#{}) but breaks ALB's trust-store rules ({}); ALB refuses a bundle holding it (InvalidCaCertificatesBundle), so no ALB trust store can verify this chain: re-issue the CA within ALB's rules and the client certificates under it",
                cert.issuer,
                ca.info.position,
                refusal_reasons(&ca.info, self.options.at)
            ),
            (None, None) => format!(
                "issued by {}, which is neither in the trust store ({} CA(s)) nor sent by the client",
                cert.issuer,
                self.store.cas.len()
            ),
        };
        Failure::new(FailureCode::ClientCertUntrusted, Some(cert), reason)
    }

    fn bad_signature(&self) -> Failure {
        // Same name as a bundle CA, different key: the signature check is what fails.
        let leaf = &self.report.presented[0];
        Failure::new(
            FailureCode::ClientCertInvalid,
            Some(leaf),
            format!(
                "a signature in the chain does not verify (issuer {} is known by name but its key did not sign, or the certificate was altered)",
                leaf.issuer
            ),
        )
    }

    /// The first of the presented certificates at `positions` (1-based, in that order)
    /// that a CRL of the store revokes on ALB, looking only at the CRLs (by store index)
    /// `applies` accepts. Entries for negative serials never revoke: ALB ignores them.
    fn crl_hit(&self, positions: &[usize], applies: impl Fn(usize) -> bool) -> Option<Failure> {
        for &position in positions {
            let Some(info) = self.report.presented.iter().find(|c| c.position == position) else { continue };
            if info.has_negative_serial() {
                continue;
            }
            let Ok((_, cert)) = X509Certificate::from_der(&self.chain[position - 1]) else { continue };
            for (index, crl) in self.store.crls.iter().enumerate() {
                let Ok(list) = &crl.parsed else { continue };
                if !applies(index) || crl.issuer_raw.as_slice() != cert.issuer().as_raw() {
                    continue;
                }
                if let Ok(Some(entry)) = CertRevocationList::from(list.clone()).find_serial(cert.raw_serial()) {
                    let reason = entry.reason_code.map(|r| format!(", reason {}", crate::crl::reason_name(r as u8))).unwrap_or_default();
                    let when = DateTime::from_timestamp(i64::try_from(entry.revocation_date.as_secs()).unwrap_or(i64::MAX), 0)
                        .map(rfc3339)
                        .unwrap_or_default();
                    return Some(Failure::new(
                        FailureCode::ClientCertCrlHit,
                        Some(info),
                        format!("serial {} is revoked by CRL {} (revoked {when}{reason})", info.serial, crl.name()),
                    ));
                }
            }
        }
        None
    }
}

/// Why ALB refuses `ca` in a bundle, in `bundle check`'s words.
fn refusal_reasons(ca: &CertInfo, at: DateTime<Utc>) -> String {
    crate::bundle::certificate_findings(ca, &[], at, Target::Alb)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message)
        .collect::<Vec<_>>()
        .join("; ")
}

fn crl_error_words(error: &WebpkiError) -> &'static str {
    match error {
        WebpkiError::InvalidCrlSignatureForPublicKey => "its signature does not verify with the issuing CA's key",
        _ => "unsupported CRL feature",
    }
}

fn what_to_check(code: FailureCode) -> &'static str {
    use FailureCode as C;
    match code {
        C::ClientCertUntrusted => "add the issuing CA to the trust-store bundle, or make the client send its intermediate certificates",
        C::ClientCertExpired => {
            "re-issue the certificate (or renew the CA); to accept expired client certificates set the listener's IgnoreClientCertificateExpiry"
        }
        C::ClientCertNotYetValid => "check the issuer's and the client's clocks; use the certificate only after its notBefore",
        C::ClientCertCrlHit => "issue the client a new certificate, or remove the serial from the CRL and re-add the CRL",
        C::ClientCertCrlProcessingError => {
            "check the CRL: current (before its nextUpdate), v2 with extensions, signed by the CA that issued the certificate with its current key, CA key usage includes cRLSign, within the quotas (run crl inspect --bundle)"
        }
        C::ClientCertMaxChainDepthExceeded => {
            "shorten the chain: at most 4 certificates from the client certificate up to the trust-store CA"
        }
        C::ClientCertMaxSizeExceeded => "send fewer or smaller certificates (drop the root, trim extensions)",
        C::ClientCertTypeUnsupported => {
            "re-issue as X.509v3 with an RSA 2048-8192 or ECDSA P-256/384/521 key and a SHA-256/384/512 signature"
        }
        C::ClientCertPurposeInvalid => {
            "re-issue with extendedKeyUsage including clientAuth and keyUsage including digitalSignature (for a CA: an EKU with clientAuth, or none)"
        }
        C::ClientCertInvalid => "re-issue the certificate and compare with `openssl verify -CAfile BUNDLE -untrusted CHAIN CLIENT`",
        C::ClientCertRejected | C::UnmappedConnectionError | C::ClientCertIncompatible => {
            "this check cannot produce this code; see the AWS troubleshooting guide"
        }
    }
}
