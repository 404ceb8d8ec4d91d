//! The mTLS doctor's results (`bundle check`, `cert check`, `crl inspect`, `crl contains`,
//! `headers decode`) as text for people or as JSON.
//!
//! Subjects, issuers, serials, file names and header values come from certificates and
//! requests anyone can craft: text output passes each through [`crate::escape::for_people`].

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use albmtls_parse::remediation::{self, Remediation};
use albmtls_pki::{
    BundleReport, CertCheckReport, CertInfo, CrlContainsReport, CrlReport, CrlSignatureStatus, HeadersReport, KeyMatchReport, Severity,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::escape::for_people as esc;

/// One doctor result, ready to render.
pub enum DoctorView<'a> {
    Bundle(&'a BundleReport),
    /// `cert check`, with the key/CSR comparison when one was asked for.
    CertCheck {
        check: &'a CertCheckReport,
        key_match: Option<&'a KeyMatchReport>,
    },
    Crl(&'a CrlReport),
    CrlContains(&'a CrlContainsReport),
    /// `headers decode`, with the chain check when a bundle was given.
    Headers {
        headers: &'a HeadersReport,
        check: Option<&'a CertCheckReport>,
    },
    /// A key and/or CSR compared with a certificate, on its own.
    KeyMatch(&'a KeyMatchReport),
}

/// Writes `view` as text (ending in a newline) or as pretty JSON.
pub fn write_doctor(view: &DoctorView<'_>, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        match view {
            DoctorView::Bundle(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::CertCheck { check, key_match } => serde_json::to_writer_pretty(&mut *out, &Verdict::new(check, *key_match))?,
            DoctorView::Crl(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::CrlContains(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::Headers { headers, check } => {
                serde_json::to_writer_pretty(&mut *out, &Decoded { headers, check: check.map(|c| Verdict::new(c, None)) })?;
            }
            DoctorView::KeyMatch(report) => serde_json::to_writer_pretty(&mut *out, report)?,
        }
        return writeln!(out);
    }
    let mut text = String::new();
    let written = match view {
        DoctorView::Bundle(report) => bundle(report, &mut text),
        DoctorView::CertCheck { check, key_match } => verdict(check, *key_match, &mut text),
        DoctorView::Crl(report) => crl(report, &mut text),
        DoctorView::CrlContains(report) => crl_contains(report, &mut text),
        DoctorView::Headers { headers: report, check } => headers(report, &mut text).and_then(|()| match check {
            Some(check) => {
                text.push('\n');
                verdict(check, None, &mut text)
            }
            None => Ok(()),
        }),
        DoctorView::KeyMatch(report) => keys(report, &mut text),
    };
    written.expect("formatting into a String cannot fail");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    out.write_all(text.as_bytes())
}

/// `cert check`'s JSON: the verdict, what to do about it, and the key match.
#[derive(Serialize)]
struct Verdict<'a> {
    #[serde(flatten)]
    check: &'a CertCheckReport,
    remediation: Option<&'static Remediation>,
    key_match: Option<&'a KeyMatchReport>,
}

impl<'a> Verdict<'a> {
    fn new(check: &'a CertCheckReport, key_match: Option<&'a KeyMatchReport>) -> Verdict<'a> {
        Verdict { check, remediation: check.code.map(remediation::for_code), key_match }
    }
}

#[derive(Serialize)]
struct Decoded<'a> {
    #[serde(flatten)]
    headers: &'a HeadersReport,
    check: Option<Verdict<'a>>,
}

/// RFC 3339 with a `Z`, second precision: the form used in every doctor report.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARN ",
    }
}

fn certificate(cert: &CertInfo, f: &mut String) -> fmt::Result {
    writeln!(f, "#{} {}", cert.position, esc(&cert.subject))?;
    let issuer_note = if cert.self_issued { " (self-issued)" } else { "" };
    writeln!(f, "    issuer:      {}{issuer_note}", esc(&cert.issuer))?;
    writeln!(f, "    version:     {}", cert.version)?;
    writeln!(f, "    serial:      {}", cert.serial)?;
    writeln!(f, "    validity:    {} .. {}", time(cert.not_before), time(cert.not_after))?;
    writeln!(f, "    key:         {}", esc(&cert.key.to_string()))?;
    writeln!(f, "    signature:   {}", esc(&cert.signature_algorithm))?;
    let ca = match (cert.is_ca, cert.path_len_constraint) {
        (None, _) => "no basic constraints".to_string(),
        (Some(false), _) => "CA:FALSE".to_string(),
        (Some(true), None) => "CA:TRUE".to_string(),
        (Some(true), Some(len)) => format!("CA:TRUE, pathlen {len}"),
    };
    writeln!(f, "    basic:       {ca}")?;
    writeln!(f, "    key usage:   {}", list_or_absent(&cert.key_usage))?;
    writeln!(f, "    ext. usage:  {}", list_or_absent(&cert.extended_key_usage))?;
    write!(f, "    size:        {} bytes DER", cert.der_size)
}

fn list_or_absent(list: &Option<Vec<String>>) -> String {
    match list {
        None => "(absent)".to_string(),
        Some(items) if items.is_empty() => "(empty)".to_string(),
        Some(items) => esc(&items.join(", ")).into_owned(),
    }
}

fn bundle(report: &BundleReport, f: &mut String) -> fmt::Result {
    writeln!(
        f,
        "Bundle {}: {} certificate(s), {} bytes, subjects {} bytes, checked at {}",
        esc(&report.name),
        report.certificates.len(),
        report.file_size,
        report.total_subject_size,
        time(report.checked_at)
    )?;
    for cert in &report.certificates {
        writeln!(f)?;
        certificate(cert, f)?;
        writeln!(f)?;
    }
    writeln!(f)?;
    if report.findings.is_empty() {
        writeln!(f, "No problems found.")?;
    } else {
        let count = |severity| report.findings.iter().filter(|finding| finding.severity == severity).count();
        writeln!(f, "Problems: {} error(s), {} warning(s)", count(Severity::Error), count(Severity::Warning))?;
        for finding in &report.findings {
            let place = match (finding.position, &finding.subject, finding.line) {
                (Some(pos), Some(subject), _) => format!("#{pos} {}: ", esc(subject)),
                (Some(pos), None, _) => format!("#{pos}: "),
                (None, _, Some(line)) => format!("line {line}: "),
                (None, _, None) => String::new(),
            };
            writeln!(f, "  {} {place}{}", label(finding.severity), esc(&finding.message))?;
        }
    }
    if report.would_reject() {
        write!(f, "Verdict: ALB would reject this bundle (InvalidCaCertificatesBundle).")
    } else {
        write!(f, "Verdict: ALB would accept this bundle.")
    }
}

fn cert_check(report: &CertCheckReport, f: &mut String) -> fmt::Result {
    writeln!(f, "tls_verify_status: {}", report.tls_verify_status)?;
    if let Some(cert) = &report.certificate {
        writeln!(f, "certificate:       {}", esc(cert))?;
    }
    writeln!(f, "reason:            {}", esc(&report.reason))?;
    writeln!(f, "what to check:     {}", esc(&report.what_to_check))?;
    writeln!(
        f,
        "client:            {} ({} certificate(s), TLS Certificate message {} bytes)",
        esc(&report.client),
        report.presented.len(),
        report.tls_message_size
    )?;
    writeln!(f, "bundle:            {}", esc(&report.bundle))?;
    writeln!(f, "checked at:        {}", time(report.checked_at))?;
    if !report.path.is_empty() {
        let path: Vec<String> = report.path.iter().map(|p| format!("{} ({})", esc(&p.subject), esc(&p.source))).collect();
        writeln!(f, "path:              {}", path.join(" -> "))?;
    }
    for note in &report.notes {
        writeln!(f, "note:              {}", esc(note))?;
    }
    write!(f, "presented:")?;
    for cert in &report.presented {
        f.push('\n');
        certificate(cert, f)?;
    }
    Ok(())
}

fn verdict(check: &CertCheckReport, key_match: Option<&KeyMatchReport>, f: &mut String) -> fmt::Result {
    cert_check(check, f)?;
    if let Some(entry) = check.code.map(remediation::for_code) {
        f.push('\n');
        let mut steps = Vec::new();
        crate::remediation::write_steps_text(entry, &mut steps).expect("writing to a Vec cannot fail");
        f.push_str(&String::from_utf8_lossy(&steps));
    }
    if let Some(key_match) = key_match {
        f.push('\n');
        keys(key_match, f)?;
    }
    Ok(())
}

fn keys(report: &KeyMatchReport, f: &mut String) -> fmt::Result {
    write!(f, "certificate {} ({})", esc(&report.certificate.subject), esc(&report.certificate.key.to_string()))?;
    for item in &report.items {
        let verdict = if item.matches { "MATCHES" } else { "DOES NOT MATCH" };
        write!(f, "\n  {} {} {verdict}: {}", item.kind.replace('_', " "), esc(&item.name), esc(&item.detail))?;
    }
    Ok(())
}

fn crl(report: &CrlReport, f: &mut String) -> fmt::Result {
    use albmtls_pki::crl::{MAX_CRL_FILE_SIZE, MAX_REVOCATION_ENTRIES};
    writeln!(f, "CRL {} ({}, {} bytes)", esc(&report.name), report.format, report.file_size)?;
    writeln!(f, "    issuer:       {}", esc(&report.issuer))?;
    writeln!(f, "    version:      {}", report.version)?;
    writeln!(f, "    this update:  {}", time(report.this_update))?;
    let next = report.next_update.map(time).unwrap_or_else(|| "(none)".to_string());
    writeln!(f, "    next update:  {next}")?;
    if let Some(number) = &report.crl_number {
        writeln!(f, "    CRL number:   {number}")?;
    }
    writeln!(f, "    signature:    {}", esc(&report.signature_algorithm))?;
    writeln!(
        f,
        "    entries:      {} (quota {MAX_REVOCATION_ENTRIES} per trust store; file size quota {MAX_CRL_FILE_SIZE} bytes)",
        report.entry_count
    )?;
    if !report.negative_serials.is_empty() {
        let shown: Vec<String> = report.negative_serials.iter().take(20).map(ToString::to_string).collect();
        writeln!(f, "    negative:     {}", shown.join(", "))?;
    }
    if let Some(sig) = &report.signature {
        let who = match (&sig.ca_position, &sig.ca_subject) {
            (Some(pos), Some(subject)) => format!(" (bundle #{pos} {})", esc(subject)),
            _ => String::new(),
        };
        let status = match sig.status {
            CrlSignatureStatus::Verified => "signed by a bundle CA",
            CrlSignatureStatus::BadSignature => "signature does NOT verify with the bundle CA of that name",
            CrlSignatureStatus::NoIssuerInBundle => "no CA in the bundle has the issuer's name",
            CrlSignatureStatus::Unverifiable => "signature algorithm not verifiable by this build",
        };
        writeln!(f, "    signer:       {status}{who} [{}]", esc(&sig.bundle))?;
    }
    if report.findings.is_empty() {
        write!(f, "No problems found.")
    } else {
        write!(f, "Problems:")?;
        for finding in &report.findings {
            write!(f, "\n  {} {}", label(finding.severity), esc(&finding.message))?;
        }
        Ok(())
    }
}

fn crl_contains(report: &CrlContainsReport, f: &mut String) -> fmt::Result {
    if report.revoked {
        let when = report.revocation_date.map(time).unwrap_or_default();
        let reason = report.reason.as_ref().map(|r| format!(", reason {}", esc(r))).unwrap_or_default();
        write!(f, "serial {} is REVOKED by {} (issuer {}) on {when}{reason}", report.serial, esc(&report.crl), esc(&report.issuer))
    } else {
        write!(f, "serial {} is not in {} (issuer {})", report.serial, esc(&report.crl), esc(&report.issuer))
    }
}

fn headers(report: &HeadersReport, f: &mut String) -> fmt::Result {
    writeln!(f, "Headers {} ({} mode)", esc(&report.name), report.mode)?;
    let field = |f: &mut String, label: &str, value: &Option<String>| match value {
        Some(v) => writeln!(f, "{label}{}", esc(v)),
        None => Ok(()),
    };
    field(f, "serial number: ", &report.serial_number)?;
    field(f, "issuer:        ", &report.issuer)?;
    field(f, "subject:       ", &report.subject)?;
    if let Some(validity) = &report.validity {
        writeln!(f, "validity:      {}", esc(&validity.raw))?;
    }
    if !report.chain.is_empty() {
        writeln!(f, "chain ({} certificate(s), leaf first):", report.chain.len())?;
        for cert in &report.chain {
            certificate(cert, f)?;
            writeln!(f)?;
        }
    }
    if let Some(leaf) = &report.leaf {
        writeln!(f, "leaf header:")?;
        certificate(leaf, f)?;
        writeln!(f)?;
    }
    if report.problems.is_empty() {
        write!(f, "No problems found.")
    } else {
        write!(f, "Problems:")?;
        for p in &report.problems {
            write!(f, "\n  {} {}: {}", label(p.severity), esc(&p.header), esc(&p.message))?;
        }
        Ok(())
    }
}
