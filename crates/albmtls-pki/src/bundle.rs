//! `bundle check`: lint a CA bundle against the rules ALB applies when a trust store is
//! created or modified (`CreateTrustStore` / `ModifyTrustStore`).
//!
//! Severity policy, from the AWS references:
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
//!   lacks `keyCertSign`, a CA whose EKU excludes `clientAuth`, and CRLF line endings.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Severity;
use crate::cert::{CertInfo, describe_certificate, rfc3339};

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
    pub file_size: usize,
    pub checked_at: DateTime<Utc>,
    pub certificates: Vec<CertInfo>,
    pub total_subject_size: usize,
    pub findings: Vec<BundleFinding>,
    /// Same as [`BundleReport::would_reject`], for JSON consumers.
    pub would_reject: bool,
}

impl BundleReport {
    /// Whether ALB would refuse this bundle: the caller should exit non-zero.
    pub fn would_reject(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Findings of one rule, e.g. for tests and filters.
    pub fn findings_for(&self, rule: BundleRule) -> impl Iterator<Item = &BundleFinding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// A certificate block found by the line scanner.
struct Block {
    position: usize,
    der: Vec<u8>,
}

/// Checks a CA bundle as ALB would on upload. `at` is the time validity is judged at
/// (normally now). Never fails: unreadable input is itself a finding.
pub fn check_bundle(name: &str, bytes: &[u8], at: DateTime<Utc>) -> BundleReport {
    let mut findings = Vec::new();
    let blocks = scan_file(bytes, &mut findings);
    let mut certificates: Vec<CertInfo> = Vec::new();
    for block in &blocks {
        match describe_certificate(name, block.position, &block.der) {
            Ok(info) => {
                check_certificate(&info, &certificates, at, &mut findings);
                certificates.push(info);
            }
            Err(e) => findings.push(BundleFinding {
                severity: Severity::Error,
                rule: BundleRule::UnparsableCertificate,
                position: Some(block.position),
                subject: None,
                line: None,
                message: format!("{e}; ALB rejects a bundle with any unreadable certificate"),
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
    let mut report = BundleReport {
        name: name.to_string(),
        file_size: bytes.len(),
        checked_at: at,
        certificates,
        total_subject_size,
        findings,
        would_reject: false,
    };
    report.would_reject = report.would_reject();
    report
}

fn file_finding(rule: BundleRule, line: Option<usize>, message: String) -> BundleFinding {
    let severity = if rule == BundleRule::CrlfLineEndings { Severity::Warning } else { Severity::Error };
    BundleFinding { severity, rule, position: None, subject: None, line, message }
}

fn cert_finding(severity: Severity, rule: BundleRule, cert: &CertInfo, message: String) -> BundleFinding {
    BundleFinding { severity, rule, position: Some(cert.position), subject: Some(cert.subject.clone()), line: None, message }
}

fn check_certificate(cert: &CertInfo, earlier: &[CertInfo], at: DateTime<Utc>, out: &mut Vec<BundleFinding>) {
    use BundleRule as R;
    use Severity::{Error, Warning};
    if cert.version != 3 {
        out.push(cert_finding(
            Error,
            R::NotVersion3,
            cert,
            format!("X.509v{} certificate; ALB accepts only X.509v3: re-issue it as v3 with CA extensions", cert.version),
        ));
    }
    if let Some(problem) = cert.key_problem() {
        out.push(cert_finding(Error, R::UnsupportedKey, cert, format!("{problem}: re-key the CA or remove it")));
    }
    if let Some(problem) = cert.signature_problem() {
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
    if at > cert.not_after {
        out.push(cert_finding(
            Warning,
            R::Expired,
            cert,
            format!(
                "expired on {}; clients chaining to it fail with Failed:ClientCertExpired: replace it with its renewed CA",
                rfc3339(cert.not_after)
            ),
        ));
    } else if at < cert.not_before {
        out.push(cert_finding(
            Warning,
            R::NotYetValid,
            cert,
            format!(
                "not valid before {}; clients chaining to it fail with Failed:ClientCertNotYetValid until then",
                rfc3339(cert.not_before)
            ),
        ));
    }
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
            format!("key usage ({}) lacks keyCertSign, so certificates it issued fail verification", usage.join(", ")),
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
                "extended key usage ({}) excludes clientAuth; chains through it can fail with Failed:ClientCertPurposeInvalid",
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
                match ::pem::parse(block.as_bytes()) {
                    Ok(parsed) => blocks.push(Block { position, der: parsed.into_contents() }),
                    Err(e) => out.push(BundleFinding {
                        severity: Severity::Error,
                        rule: R::MalformedBlock,
                        position: Some(position),
                        subject: None,
                        line: Some(*start),
                        message: format!("certificate block #{position} is not valid PEM ({e}): re-export it"),
                    }),
                }
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
