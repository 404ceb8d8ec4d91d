//! `bundle check`: lint a CA bundle against the rules ALB applies when a trust store is
//! created or modified (`CreateTrustStore` / `ModifyTrustStore`), or against API
//! Gateway's truststore rules; and `bundle check --fix`, which writes the bundle with
//! every certificate the rules refuse removed (the articles' "remove, then re-upload").
//!
//! Severity policy for ALB, from the AWS references:
//! - **Error** (ALB rejects the whole upload with `InvalidCaCertificatesBundle`): the file
//!   rules (PEM only, `#` comments without `-`, no blank lines, no text such as
//!   `openssl x509 -text` output around blocks), the certificate requirements (X.509v3,
//!   RSA 2048–8192 or ECDSA P-256/384/521, SHA-256/384/512 signatures, basic constraints
//!   `CA:TRUE`) and the trust-store quotas (25 certificates, 16 KB per certificate,
//!   10,000 bytes of subjects; the first and last are default, adjustable quotas).
//! - **Warning**: an expired or not-yet-valid CA. The documented upload requirements do
//!   not mention validity, so the upload is not known to fail; but every client chaining
//!   to it fails verification (`Failed:ClientCertExpired`/`NotYetValid` at handshake).
//!   Also warnings: duplicates (they still count toward the quotas), a CA whose key usage
//!   lacks `keyCertSign`, a CA whose EKU excludes `clientAuth` (both accepted at upload as
//!   far as AWS documents; `cert check` fails chains through them, as openssl does), and
//!   CRLF line endings.
//!
//! For API Gateway (`Target::ApiGateway`) only the key and signature rules (RSA 2048 bits
//! or more with no upper limit, ECDSA of 256 bits or more, SHA-256 or stronger), PEM
//! readability and the warnings apply: API Gateway accepts a truststore with invalid
//! certificates and lists them in `truststoreWarnings`; clients chaining to them are denied.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cert::{CertInfo, describe_certificate, rfc3339};
use crate::{Severity, Target};

/// Default quota: CA certificates per trust store (adjustable, L-43FE5A42).
pub const MAX_CERTIFICATES: usize = 25;
/// Quota: size of one CA certificate (not adjustable).
pub const MAX_CERTIFICATE_SIZE: usize = 16 * 1024;
/// Default quota: total subject bytes per trust store (adjustable, L-F31E307C).
pub const MAX_TOTAL_SUBJECT_SIZE: usize = 10_000;

/// Which rule a finding is about. Serialized in snake_case; stable for JSON consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleRule {
    NotPem,
    NoCertificates,
    TextOutsideBlocks,
    CommentWithDash,
    BlankLine,
    CrlfLineEndings,
    NonCertificateBlock,
    MalformedBlock,
    UnparsableCertificate,
    NotVersion3,
    UnsupportedKey,
    UnsupportedSignature,
    NotCa,
    Expired,
    NotYetValid,
    CertificateTooLarge,
    TooManyCertificates,
    SubjectQuotaExceeded,
    Duplicate,
    NoKeyCertSign,
    EkuExcludesClientAuth,
}

impl BundleRule {
    /// Whether AWS documents this rule for `target`. ALB's file rules, version and CA
    /// requirements and quotas are documented for ALB trust stores only.
    pub fn applies_to(self, target: Target) -> bool {
        use BundleRule as R;
        match target {
            Target::Alb => true,
            Target::ApiGateway => matches!(
                self,
                R::NotPem
                    | R::NoCertificates
                    | R::MalformedBlock
                    | R::UnparsableCertificate
                    | R::UnsupportedKey
                    | R::UnsupportedSignature
                    | R::Expired
                    | R::NotYetValid
                    | R::Duplicate
                    | R::NoKeyCertSign
                    | R::EkuExcludesClientAuth
            ),
        }
    }
}

/// One problem in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleFinding {
    pub severity: Severity,
    pub rule: BundleRule,
    /// 1-based position of the certificate the finding is about.
    pub position: Option<usize>,
    /// Subject of that certificate.
    pub subject: Option<String>,
    /// 1-based line in the file, for file-format findings.
    pub line: Option<usize>,
    /// What is wrong and what to do, in one sentence.
    pub message: String,
}

/// The result of [`check_bundle`].
#[derive(Debug, Clone, Serialize)]
pub struct BundleReport {
    pub name: String,
    /// Whose rules were applied.
    pub target: Target,
    pub file_size: usize,
    pub checked_at: DateTime<Utc>,
    pub certificates: Vec<CertInfo>,
    pub total_subject_size: usize,
    pub findings: Vec<BundleFinding>,
    /// What the check did not cover and why.
    pub notes: Vec<String>,
    /// Same as [`BundleReport::would_reject`], for JSON consumers.
    pub would_reject: bool,
}

impl BundleReport {
    /// Whether the bundle breaks a rule of severity error: for ALB, the upload fails
    /// (`InvalidCaCertificatesBundle`); for API Gateway, clients chaining to a listed
    /// certificate are denied. The caller should exit non-zero.
    pub fn would_reject(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Findings of one rule, e.g. for tests and filters.
    pub fn findings_for(&self, rule: BundleRule) -> impl Iterator<Item = &BundleFinding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// A certificate block found by the line scanner. Every block takes a position, readable
/// or not, so that findings and `--fix` name the block they are about.
struct Block {
    position: usize,
    /// `None` when the block is not valid PEM (its `MalformedBlock` finding says why).
    der: Option<Vec<u8>>,
}

/// Checks a CA bundle as ALB would on upload. `at` is the time validity is judged at
/// (normally now). Never fails: unreadable input is itself a finding.
pub fn check_bundle(name: &str, bytes: &[u8], at: DateTime<Utc>) -> BundleReport {
    check_bundle_for(name, bytes, at, Target::Alb)
}

/// Checks a CA bundle against `target`'s rules.
pub fn check_bundle_for(name: &str, bytes: &[u8], at: DateTime<Utc>, target: Target) -> BundleReport {
    analyse(name, bytes, at, target).0
}

fn analyse(name: &str, bytes: &[u8], at: DateTime<Utc>, target: Target) -> (BundleReport, Vec<Block>) {
    let mut findings = Vec::new();
    let blocks = scan_file(bytes, &mut findings);
    let mut certificates: Vec<CertInfo> = Vec::new();
    for block in &blocks {
        let Some(der) = &block.der else { continue };
        match describe_certificate(name, block.position, der) {
            Ok(info) => {
                findings.extend(certificate_findings(&info, &certificates, at, target));
                certificates.push(info);
            }
            Err(e) => findings.push(BundleFinding {
                severity: Severity::Error,
                rule: BundleRule::UnparsableCertificate,
                position: Some(block.position),
                subject: None,
                line: None,
                message: format!("{e}; {target} cannot use a bundle with an unreadable certificate"),
            }),
        }
    }
    if blocks.is_empty() && !findings.iter().any(|f| f.rule == BundleRule::NotPem) {
        findings.push(file_finding(
            BundleRule::NoCertificates,
            None,
            "no `-----BEGIN CERTIFICATE-----` block found; a bundle needs at least one CA certificate".to_string(),
        ));
    }
    if blocks.len() > MAX_CERTIFICATES {
        findings.push(file_finding(
            BundleRule::TooManyCertificates,
            None,
            format!(
                "{} certificates exceed the quota of {MAX_CERTIFICATES} CA certificates per trust store (default; adjustable via quota L-43FE5A42)",
                blocks.len()
            ),
        ));
    }
    let total_subject_size = certificates.iter().map(|c| c.subject_size).sum();
    if total_subject_size > MAX_TOTAL_SUBJECT_SIZE {
        findings.push(file_finding(
            BundleRule::SubjectQuotaExceeded,
            None,
            format!(
                "the subjects total {total_subject_size} bytes, over the quota of {MAX_TOTAL_SUBJECT_SIZE} bytes per trust store (default; adjustable via quota L-F31E307C)"
            ),
        ));
    }
    findings.retain(|f| f.rule.applies_to(target));
    let notes = match target {
        Target::Alb => Vec::new(),
        Target::ApiGateway => vec![
            "ALB's file rules (comments, blank lines, text between blocks), its X.509v3 and CA:TRUE requirements and its trust-store quotas are not applied: AWS documents them for ALB only".to_string(),
            "API Gateway accepts a truststore with invalid certificates, lists them in the domain's truststoreWarnings, and denies clients chaining to them: run `aws apigateway get-domain-name --domain-name DOMAIN --query mutualTlsAuthentication` after each upload".to_string(),
        ],
    };
    let mut report = BundleReport {
        name: name.to_string(),
        target,
        file_size: bytes.len(),
        checked_at: at,
        certificates,
        total_subject_size,
        findings,
        notes,
        would_reject: false,
    };
    report.would_reject = report.would_reject();
    (report, blocks)
}

/// A certificate `bundle check --fix` removed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedCertificate {
    pub position: usize,
    /// `None` when the certificate could not be read at all.
    pub subject: Option<String>,
    pub reasons: Vec<String>,
}

/// The result of [`fix_bundle`]: the bundle as given, what was removed, and the bundle
/// written, checked again.
#[derive(Debug, Clone, Serialize)]
pub struct BundleFix {
    pub original: BundleReport,
    pub dropped: Vec<DroppedCertificate>,
    /// How many file-format findings (comments, blank lines, stray text, other blocks)
    /// the rewrite leaves behind by writing certificate blocks only.
    pub file_findings_removed: usize,
    /// The fixed bundle, checked as the original was.
    pub fixed: BundleReport,
    #[serde(skip)]
    pem: Vec<u8>,
}

impl BundleFix {
    /// The fixed bundle: the kept certificates as PEM blocks, in their original order,
    /// LF line endings, nothing else. Empty when no certificate could be kept.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    /// Whether any certificate was kept (an empty bundle is not worth writing).
    pub fn has_certificates(&self) -> bool {
        !self.fixed.certificates.is_empty()
    }
}

/// `bundle check --fix`: removes every certificate that breaks a rule of severity error,
/// and duplicates (they only use up the quotas), and writes the rest as clean PEM,
/// which also leaves every file-format problem behind. The result is checked again
/// under `fixed_name`, so what is left (quotas, warnings) is reported, not assumed.
pub fn fix_bundle(name: &str, bytes: &[u8], at: DateTime<Utc>, target: Target, fixed_name: &str) -> BundleFix {
    let (original, blocks) = analyse(name, bytes, at, target);
    let mut dropped: Vec<DroppedCertificate> = Vec::new();
    let mut pem = String::new();
    for block in &blocks {
        let reasons: Vec<String> = original
            .findings
            .iter()
            .filter(|f| f.position == Some(block.position) && (f.severity == Severity::Error || f.rule == BundleRule::Duplicate))
            .map(|f| f.message.clone())
            .collect();
        if let (Some(der), true) = (&block.der, reasons.is_empty()) {
            let config = ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF);
            pem.push_str(&::pem::encode_config(&::pem::Pem::new("CERTIFICATE", der.clone()), config));
        } else {
            let subject = original.certificates.iter().find(|c| c.position == block.position).map(|c| c.subject.clone());
            dropped.push(DroppedCertificate { position: block.position, subject, reasons });
        }
    }
    let file_findings_removed = original.findings.iter().filter(|f| f.position.is_none() && f.line.is_some()).count();
    let fixed = analyse(fixed_name, pem.as_bytes(), at, target).0;
    BundleFix { original, dropped, file_findings_removed, fixed, pem: pem.into_bytes() }
}

fn file_finding(rule: BundleRule, line: Option<usize>, message: String) -> BundleFinding {
    let severity = if rule == BundleRule::CrlfLineEndings { Severity::Warning } else { Severity::Error };
    BundleFinding { severity, rule, position: None, subject: None, line, message }
}

fn cert_finding(severity: Severity, rule: BundleRule, cert: &CertInfo, message: String) -> BundleFinding {
    BundleFinding { severity, rule, position: Some(cert.position), subject: Some(cert.subject.clone()), line: None, message }
}

/// The rules about one certificate of a bundle (`earlier` are the ones before it), as
/// `bundle check` applies them and `cert check` applies them to its trust store.
pub(crate) fn certificate_findings(cert: &CertInfo, earlier: &[CertInfo], at: DateTime<Utc>, target: Target) -> Vec<BundleFinding> {
    use BundleRule as R;
    use Severity::{Error, Warning};
    let mut out = Vec::new();
    if cert.version != 3 {
        out.push(cert_finding(
            Error,
            R::NotVersion3,
            cert,
            format!("X.509v{} certificate; ALB accepts only X.509v3: re-issue it as v3 with CA extensions", cert.version),
        ));
    }
    if let Some(problem) = cert.key_problem_for(target) {
        out.push(cert_finding(Error, R::UnsupportedKey, cert, format!("{problem}: re-key the CA or remove it")));
    }
    if let Some(problem) = cert.signature_problem_for(target) {
        out.push(cert_finding(Error, R::UnsupportedSignature, cert, format!("{problem}: re-sign it or remove it")));
    }
    match cert.is_ca {
        Some(true) => {}
        Some(false) => out.push(cert_finding(
            Error,
            R::NotCa,
            cert,
            "basic constraints say CA:FALSE (a leaf certificate); the basic constraints extension must specify CA: remove it from the bundle".to_string(),
        )),
        None => out.push(cert_finding(
            Error,
            R::NotCa,
            cert,
            "no basic constraints extension; it must specify CA:TRUE: re-issue the CA with `basicConstraints=critical,CA:TRUE`".to_string(),
        )),
    }
    if cert.der_size > MAX_CERTIFICATE_SIZE {
        out.push(cert_finding(
            Error,
            R::CertificateTooLarge,
            cert,
            format!("{} bytes, over the {MAX_CERTIFICATE_SIZE}-byte (16 KB) limit per CA certificate", cert.der_size),
        ));
    }
    let (expired, not_yet) = match target {
        Target::Alb => (
            "clients chaining to it fail with Failed:ClientCertExpired (whether the upload itself fails is not documented; the requirements do not mention validity): replace it with its renewed CA",
            "clients chaining to it fail with Failed:ClientCertNotYetValid until then (whether the upload fails is not documented)",
        ),
        Target::ApiGateway => (
            "API Gateway does not check expiry itself, so clients chaining to it are still accepted: replace it with its renewed CA",
            "API Gateway does not check validity itself, so clients chaining to it are accepted anyway",
        ),
    };
    if at > cert.not_after {
        out.push(cert_finding(Warning, R::Expired, cert, format!("expired on {}; {expired}", rfc3339(cert.not_after))));
    } else if at < cert.not_before {
        out.push(cert_finding(Warning, R::NotYetValid, cert, format!("not valid before {}; {not_yet}", rfc3339(cert.not_before))));
    }
    let (untrusted, purpose) = match target {
        Target::Alb => ("likely Failed:ClientCertUntrusted", "likely fail with Failed:ClientCertPurposeInvalid"),
        Target::ApiGateway => ("API Gateway's response is not documented", "are likely denied (not documented for API Gateway)"),
    };
    // Usage lints only make sense for real CAs; a leaf already fails the CA rule.
    let is_ca = cert.is_ca == Some(true);
    if is_ca
        && let Some(usage) = &cert.key_usage
        && !usage.iter().any(|u| u == "keyCertSign")
    {
        out.push(cert_finding(
            Warning,
            R::NoKeyCertSign,
            cert,
            format!(
                "key usage ({}) lacks keyCertSign; accepted at upload as far as AWS documents, but certificates it issued fail verification ({untrusted}; openssl says \"key usage does not include certificate signing\")",
                usage.join(", ")
            ),
        ));
    }
    if is_ca
        && let Some(eku) = &cert.extended_key_usage
        && !eku.iter().any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage")
    {
        out.push(cert_finding(
            Warning,
            R::EkuExcludesClientAuth,
            cert,
            format!(
                "extended key usage ({}) excludes clientAuth; accepted at upload as far as AWS documents, but chains through it {purpose} (openssl -purpose sslclient says \"unsuitable certificate purpose\")",
                eku.join(", ")
            ),
        ));
    }
    if let Some(first) = earlier.iter().find(|e| e.sha256 == cert.sha256) {
        out.push(cert_finding(
            Warning,
            R::Duplicate,
            cert,
            format!("duplicate of certificate #{}; it still counts toward the quotas: remove one copy", first.position),
        ));
    }
    out.retain(|f| f.rule.applies_to(target));
    out
}

/// Scans the file line by line, reporting file-rule violations and returning the
/// certificate blocks in order.
fn scan_file(bytes: &[u8], out: &mut Vec<BundleFinding>) -> Vec<Block> {
    use BundleRule as R;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let message = if bytes.first() == Some(&0x30) && !crate::cert::contains(bytes, b"-----BEGIN") {
                "the file is binary (looks like DER); ALB takes PEM only: convert it with `openssl x509 -inform DER -outform PEM`"
                    .to_string()
            } else {
                format!("the file is not text (invalid UTF-8 at byte {}); ALB takes PEM only", e.valid_up_to())
            };
            out.push(file_finding(R::NotPem, None, message));
            return Vec::new();
        }
    };
    let mut blocks = Vec::new();
    let mut lines: Vec<&str> = text.split('\n').collect();
    // A final newline ends the last line; it does not start a blank one.
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let mut crlf_lines = 0usize;
    let mut blank_lines: Vec<usize> = Vec::new();
    let mut outside_text: Option<(usize, usize, &str)> = None; // (first line, count, first text)
    let mut inside: Option<(usize, String)> = None; // (start line, block text)
    let mut foreign: Option<(usize, String)> = None; // non-certificate block: (start line, label)
    let flush_outside = |outside: &mut Option<(usize, usize, &str)>, out: &mut Vec<BundleFinding>| {
        if let Some((line, count, first)) = outside.take() {
            let hint = if first.trim_start().starts_with("Certificate:") || first.trim_start().starts_with("Data:") {
                " (looks like `openssl x509 -text` output)"
            } else {
                ""
            };
            out.push(file_finding(
                R::TextOutsideBlocks,
                Some(line),
                format!(
                    "{count} line(s) of text outside certificate blocks{hint}, starting `{}`; only PEM blocks and `#` comments are allowed: delete them",
                    truncate(first.trim(), 40)
                ),
            ));
        }
    };
    for (index, raw_line) in lines.iter().enumerate() {
        let line_no = index + 1;
        let line = match raw_line.strip_suffix('\r') {
            Some(stripped) => {
                crlf_lines += 1;
                stripped
            }
            None => raw_line,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            blank_lines.push(line_no);
            continue;
        }
        if let Some((_, label)) = &foreign {
            if trimmed == format!("-----END {label}-----") {
                foreign = None;
            }
            continue;
        }
        if let Some((start, block)) = inside.as_mut() {
            block.push_str(trimmed);
            block.push('\n');
            if trimmed == "-----END CERTIFICATE-----" {
                let position = blocks.len() + 1;
                let der = match ::pem::parse(block.as_bytes()) {
                    Ok(parsed) => Some(parsed.into_contents()),
                    Err(e) => {
                        out.push(BundleFinding {
                            severity: Severity::Error,
                            rule: R::MalformedBlock,
                            position: Some(position),
                            subject: None,
                            line: Some(*start),
                            message: format!("certificate block #{position} is not valid PEM ({e}): re-export it"),
                        });
                        None
                    }
                };
                blocks.push(Block { position, der });
                inside = None;
            } else if trimmed.starts_with("-----") {
                out.push(file_finding(
                    R::MalformedBlock,
                    Some(line_no),
                    format!(
                        "`{}` inside the certificate block opened at line {start}: each block needs its own END line",
                        truncate(trimmed, 40)
                    ),
                ));
            }
            continue;
        }
        if trimmed == "-----BEGIN CERTIFICATE-----" {
            flush_outside(&mut outside_text, out);
            inside = Some((line_no, format!("{trimmed}\n")));
        } else if let Some(label) = trimmed.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            flush_outside(&mut outside_text, out);
            out.push(file_finding(
                R::NonCertificateBlock,
                Some(line_no),
                format!("a `{label}` block; a CA bundle holds only `CERTIFICATE` blocks: remove it"),
            ));
            foreign = Some((line_no, label.to_string()));
        } else if trimmed.starts_with('#') {
            flush_outside(&mut outside_text, out);
            if trimmed.contains('-') {
                out.push(file_finding(
                    R::CommentWithDash,
                    Some(line_no),
                    format!("comment `{}` contains `-`; comments must not: remove the dashes", truncate(trimmed, 40)),
                ));
            }
        } else {
            match outside_text.as_mut() {
                Some((_, count, _)) => *count += 1,
                None => outside_text = Some((line_no, 1, line)),
            }
        }
    }
    flush_outside(&mut outside_text, out);
    if let Some((start, _)) = inside {
        out.push(file_finding(
            R::MalformedBlock,
            Some(start),
            "certificate block is not closed: add `-----END CERTIFICATE-----`".to_string(),
        ));
    }
    if let Some(&first) = blank_lines.first() {
        let shown: Vec<String> = blank_lines.iter().take(10).map(usize::to_string).collect();
        let more = if blank_lines.len() > 10 { ", …" } else { "" };
        out.push(file_finding(
            R::BlankLine,
            Some(first),
            format!(
                "{} blank line(s) (line {}{more}); the bundle must not contain blank lines: delete them",
                blank_lines.len(),
                shown.join(", ")
            ),
        ));
    }
    if crlf_lines > 0 {
        out.push(file_finding(
            R::CrlfLineEndings,
            None,
            format!("{crlf_lines} line(s) end in CRLF; ALB does not document Windows line endings: convert with `dos2unix`"),
        ));
    }
    out.sort_by_key(|f| (f.line.unwrap_or(usize::MAX), f.position.unwrap_or(0)));
    blocks
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}
