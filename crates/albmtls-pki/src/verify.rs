//! `cert check`: build the client's chain against a trust store (and its CRLs) and give
//! the `tls_verify_status` ALB would log, with a reason a person can act on.
//!
//! rustls-webpki does the path building, signature and CRL checks. It accepts things ALB
//! does not, so these are checked here: X.509v1 certificates, ALB's key and signature
//! algorithm lists, the validity of the trust-store CA itself, chain depth 4 and the
//! 64 KB TLS message. Where AWS does not document which code a case produces, the
//! choice is an inference and the reason says so.
//!
//! Check order: message size, presented depth, parseability, certificate type (version,
//! key, signature algorithm), CRL processing, then webpki (validity, EKU, trust,
//! revocation, in its order: the leaf first), then the trust-store CA and path depth,
//! and finally the leaf key usage.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use serde::Serialize;
use webpki::{
    CertRevocationList, EndEntityCert, Error as WebpkiError, KeyUsage, RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::FailureCode;
use crate::cert::{CertInfo, describe_certificate, read_certificates, rfc3339};
use crate::error::PkiError;
use crate::trust_store::TrustStore;

/// ALB quota: maximum certificate chain depth.
pub const MAX_CHAIN_DEPTH: usize = 4;
/// ALB quota: TLS message size (64 K).
pub const MAX_TLS_MESSAGE_SIZE: usize = 64 * 1024;

/// The signature algorithms ALB accepts: SHA-256/384/512 with RSA 2048-8192 (PKCS#1 v1.5
/// and PSS) or with ECDSA on P-256, P-384 and P-521.
static ALB_VERIFICATION_ALGS: &[&dyn SignatureVerificationAlgorithm] = &[
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
    /// `Success` or `Failed:<code>`, exactly as in the connection log.
    pub tls_verify_status: String,
    /// The failure code; `None` on success.
    pub code: Option<FailureCode>,
    /// The certificate the verdict is about, e.g. `#1 CN=client` (client file position).
    pub certificate: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// What to check or do.
    pub what_to_check: String,
    /// The certificates the client presents, leaf first.
    pub presented: Vec<CertInfo>,
    /// The verified path (leaf to trust-store CA); empty when none was found.
    pub path: Vec<PathEntry>,
    /// Size of the TLS 1.3 Certificate message carrying the presented chain.
    pub tls_message_size: usize,
    /// Further observations that do not change the verdict.
    pub notes: Vec<String>,
}

impl CertCheckReport {
    /// Whether ALB would log `Success`.
    pub fn is_success(&self) -> bool {
        self.code.is_none()
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
        path: Vec::new(),
        tls_message_size: tls_message_size(chain),
        notes: Vec::new(),
    };
    let mut checker = Checker { store, name, chain, options, report: &mut report };
    checker.run()?;
    Ok(report)
}

/// TLS 1.3 Certificate message: 4-byte handshake header, 1-byte context, 3-byte list
/// length, then per certificate a 3-byte length and 2-byte extensions length.
fn tls_message_size(chain: &[Vec<u8>]) -> usize {
    8 + chain.iter().map(|c| c.len() + 5).sum::<usize>()
}

fn unix_time(at: DateTime<Utc>) -> Result<UnixTime, PkiError> {
    u64::try_from(at.timestamp())
        .map(|secs| UnixTime::since_unix_epoch(Duration::from_secs(secs)))
        .map_err(|_| PkiError::TimeOutOfRange { time: rfc3339(at) })
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
    name: &'a str,
    chain: &'a [Vec<u8>],
    options: &'a CheckOptions,
    report: &'a mut CertCheckReport,
}

impl Checker<'_> {
    fn run(&mut self) -> Result<(), PkiError> {
        match self.verdict()? {
            None => {
                self.report.reason = "the chain verifies against the trust store".to_string();
                self.report.what_to_check =
                    "nothing; if ALB still logs a failure, compare the bundle and CRLs here with the trust store's".to_string();
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
        for (i, der) in self.chain.iter().enumerate() {
            match describe_certificate(self.name, i + 1, der) {
                Ok(info) => self.report.presented.push(info),
                Err(e) => return Ok(Some(Failure::new(C::ClientCertInvalid, None, e.to_string()))),
            }
        }
        if let Some(failure) = self.type_check() {
            return Ok(Some(failure));
        }
        if let Some(failure) = self.crl_processing_check() {
            return Ok(Some(failure));
        }
        self.webpki_check()
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

    /// A CRL for one of the presented certificates' issuers that cannot be processed.
    fn crl_processing_check(&self) -> Option<Failure> {
        for cert in &self.report.presented {
            for crl in &self.store.crls {
                if let Err(e) = &crl.parsed
                    && crl.issuer == cert.issuer
                {
                    return Some(Failure::new(
                        FailureCode::ClientCertCrlProcessingError,
                        Some(cert),
                        format!("the CRL {} from {} (the issuer of this certificate) cannot be processed: {e}", crl.name, crl.issuer),
                    ));
                }
            }
        }
        None
    }

    fn webpki_check(&mut self) -> Result<Option<Failure>, PkiError> {
        let leaf = &self.report.presented[0];
        let mut time = unix_time(self.options.at)?;
        if self.options.ignore_client_certificate_expiry && self.options.at > leaf.not_after {
            time = unix_time(leaf.not_after)?;
            self.report.notes.push(format!(
                "the client certificate expired on {}; IgnoreClientCertificateExpiry is on, so the chain is judged at that time",
                rfc3339(leaf.not_after)
            ));
        }
        let anchors: Vec<(usize, TrustAnchor<'_>)> = self
            .store
            .cas
            .iter()
            .enumerate()
            .filter_map(|(i, ca)| {
                let der = CertificateDer::from(ca.der.as_slice());
                webpki::anchor_from_trusted_cert(&der).ok().map(|a| (i, a.to_owned()))
            })
            .collect();
        let anchor_list: Vec<TrustAnchor<'_>> = anchors.iter().map(|(_, a)| a.clone()).collect();
        let leaf_der = CertificateDer::from(self.chain[0].as_slice());
        let end_entity = match EndEntityCert::try_from(&leaf_der) {
            Ok(ee) => ee,
            Err(e) => return Ok(Some(self.map_webpki(e)?)),
        };
        let intermediates: Vec<CertificateDer<'_>> = self.chain[1..].iter().map(|d| CertificateDer::from(d.as_slice())).collect();
        let crls: Vec<CertRevocationList<'_>> =
            self.store.crls.iter().filter_map(|c| c.parsed.as_ref().ok().map(|p| CertRevocationList::from(p.clone()))).collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&crl_refs)
            .ok()
            .map(|b| b.with_depth(RevocationCheckDepth::Chain).with_status_policy(UnknownStatusPolicy::Allow).build());
        let result = end_entity.verify_for_usage(
            ALB_VERIFICATION_ALGS,
            &anchor_list,
            &intermediates,
            time,
            KeyUsage::client_auth(),
            revocation,
            None,
        );
        let path = match result {
            Ok(path) => path,
            Err(e) => return Ok(Some(self.map_webpki(e)?)),
        };
        let mut entries = vec![PathEntry { role: "leaf", subject: leaf.subject.clone(), source: "client #1".to_string() }];
        for intermediate in path.intermediate_certificates() {
            let position = self.chain.iter().position(|d| d.as_slice() == intermediate.der().as_ref()).unwrap_or(0) + 1;
            let subject = self.report.presented.get(position - 1).map(|c| c.subject.clone()).unwrap_or_default();
            entries.push(PathEntry { role: "intermediate", subject, source: format!("client #{position}") });
        }
        let anchor = path.anchor();
        let ca_index = anchors
            .iter()
            .find(|(_, a)| a.subject_public_key_info == anchor.subject_public_key_info && a.subject == anchor.subject)
            .map(|(i, _)| *i)
            .unwrap_or(0);
        let ca = &self.store.cas[ca_index].info;
        entries.push(PathEntry { role: "trust_anchor", subject: ca.subject.clone(), source: format!("bundle #{}", ca.position) });
        self.report.path = entries;
        Ok(self.after_path(ca))
    }

    /// Checks webpki leaves to the caller: the trust-store CA itself, the path depth and
    /// the leaf's key usage.
    fn after_path(&mut self, ca: &CertInfo) -> Option<Failure> {
        use FailureCode as C;
        let at = self.options.at;
        let ca_label = format!("bundle #{} {}", ca.position, ca.subject);
        let bundle_problems: Vec<String> =
            [ca.key_problem(), ca.signature_problem(), (ca.is_ca != Some(true)).then(|| "basic constraints do not say CA".to_string())]
                .into_iter()
                .flatten()
                .collect();
        if !bundle_problems.is_empty() {
            self.report.notes.push(format!(
                "the trust-store CA {ca_label} breaks ALB's bundle rules ({}); ALB would refuse this bundle at upload: run bundle check",
                bundle_problems.join("; ")
            ));
        }
        if ca.version != 3 {
            return Some(Failure {
                code: C::ClientCertTypeUnsupported,
                certificate: Some(ca_label),
                reason: format!(
                    "the trust-store CA is X.509v{}; ALB supports only X.509v3 and refuses such a bundle at upload",
                    ca.version
                ),
            });
        }
        if at > ca.not_after {
            return Some(Failure {
                code: C::ClientCertExpired,
                certificate: Some(ca_label),
                reason: format!("the trust-store CA expired on {}; checked at {}", rfc3339(ca.not_after), rfc3339(at)),
            });
        }
        if at < ca.not_before {
            return Some(Failure {
                code: C::ClientCertNotYetValid,
                certificate: Some(ca_label),
                reason: format!("the trust-store CA is not valid before {}; checked at {}", rfc3339(ca.not_before), rfc3339(at)),
            });
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
    fn map_webpki(&self, error: WebpkiError) -> Result<Failure, PkiError> {
        use FailureCode as C;
        use WebpkiError as E;
        let presented = &self.report.presented;
        let leaf = &presented[0];
        let failure = match error {
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
            E::CertRevoked => self.revoked(),
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
            E::InvalidCrlSignatureForPublicKey
            | E::UnsupportedCrlSignatureAlgorithm
            | E::UnsupportedCrlSignatureAlgorithmContext(_)
            | E::UnsupportedCrlSignatureAlgorithmForPublicKey
            | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_)
            | E::IssuerNotCrlSigner
            | E::UnsupportedCrlVersion
            | E::UnsupportedDeltaCrl
            | E::UnsupportedIndirectCrl
            | E::UnsupportedRevocationReason
            | E::UnsupportedRevocationReasonsPartitioning
            | E::UnsupportedCrlIssuingDistributionPoint
            | E::InvalidCrlNumber
            | E::CrlExpired { .. }
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
        };
        Ok(failure)
    }

    /// ALB-supported algorithms that ring cannot verify, if the chain or its CAs use one.
    fn untrusted(&self) -> Failure {
        let presented = &self.report.presented;
        let subjects: Vec<&str> = presented.iter().map(|c| c.subject.as_str()).collect();
        // The top of what the client sent: the first certificate whose issuer it did not send.
        let top = presented.iter().find(|c| !c.self_issued && !subjects.contains(&c.issuer.as_str()));
        let bundle_has = |subject: &str| self.store.cas.iter().find(|ca| ca.info.subject == subject);
        match top {
            Some(cert) => match bundle_has(&cert.issuer) {
                Some(ca) => Failure::new(
                    FailureCode::ClientCertUntrusted,
                    Some(cert),
                    format!(
                        "issued by {}; a CA of that name is in the bundle (#{}) but no path to it verifies (re-keyed CA, or a constraint on the way)",
                        cert.issuer, ca.info.position
                    ),
                ),
                None => Failure::new(
                    FailureCode::ClientCertUntrusted,
                    Some(cert),
                    format!(
                        "issued by {}, which is neither in the trust store ({} CA(s)) nor sent by the client",
                        cert.issuer,
                        self.store.cas.len()
                    ),
                ),
            },
            None => {
                let root = presented.iter().find(|c| c.self_issued).unwrap_or(&presented[0]);
                Failure::new(
                    FailureCode::ClientCertUntrusted,
                    Some(root),
                    "the chain ends in a self-signed certificate that is not in the trust store",
                )
            }
        }
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

    fn revoked(&self) -> Failure {
        for (i, der) in self.chain.iter().enumerate() {
            let Ok((_, cert)) = X509Certificate::from_der(der) else { continue };
            for crl in &self.store.crls {
                let Ok(list) = &crl.parsed else { continue };
                if crl.issuer_raw.as_slice() != cert.issuer().as_raw() {
                    continue;
                }
                if let Ok(Some(entry)) = CertRevocationList::from(list.clone()).find_serial(cert.raw_serial()) {
                    let info = &self.report.presented[i];
                    let reason = entry.reason_code.map(|r| format!(", reason {}", crate::crl::reason_name(r as u8))).unwrap_or_default();
                    let when = DateTime::from_timestamp(i64::try_from(entry.revocation_date.as_secs()).unwrap_or(i64::MAX), 0)
                        .map(rfc3339)
                        .unwrap_or_default();
                    return Failure::new(
                        FailureCode::ClientCertCrlHit,
                        Some(info),
                        format!("serial {} is revoked by CRL {} (revoked {when}{reason})", info.serial, crl.name),
                    );
                }
            }
        }
        Failure::new(FailureCode::ClientCertCrlHit, None, "a certificate in the chain is revoked by a CRL in the trust store")
    }
}

fn crl_error_words(error: &WebpkiError) -> &'static str {
    use WebpkiError as E;
    match error {
        E::InvalidCrlSignatureForPublicKey => "its signature does not verify with the issuing CA's key",
        E::IssuerNotCrlSigner => "the issuing CA's key usage lacks cRLSign",
        E::CrlExpired { .. } => "it is past its next update",
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
            "check the CRL: signed by the CA that issued the certificate with its current key, CA key usage includes cRLSign, within the quotas (run crl inspect --bundle)"
        }
        C::ClientCertMaxChainDepthExceeded => {
            "shorten the chain: at most 4 certificates from the client certificate up to the trust-store CA"
        }
        C::ClientCertMaxSizeExceeded => "send fewer or smaller certificates (drop the root, trim extensions)",
        C::ClientCertTypeUnsupported => {
            "re-issue as X.509v3 with an RSA 2048-8192 or ECDSA P-256/384/521 key and a SHA-256/384/512 signature"
        }
        C::ClientCertPurposeInvalid => "re-issue with extendedKeyUsage including clientAuth and keyUsage including digitalSignature",
        C::ClientCertInvalid => "re-issue the certificate and compare with `openssl verify -CAfile BUNDLE -untrusted CHAIN CLIENT`",
        C::ClientCertRejected | C::UnmappedConnectionError | C::ClientCertIncompatible => {
            "this check cannot produce this code; see the AWS troubleshooting guide"
        }
    }
}
