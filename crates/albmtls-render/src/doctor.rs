//! The mTLS doctor's results (`bundle check` and `--fix`, `cert check` for ALB or API
//! Gateway, `crl inspect`, `crl contains`, `headers decode`) as text for people or as JSON.
//!
//! Subjects, issuers, serials, file names and header values come from certificates and
//! requests anyone can craft: text output passes each through [`crate::escape::for_people`].

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use albmtls_parse::remediation::{self, Remediation};
use albmtls_pki::api_gateway::Access;
use albmtls_pki::verify::{MAX_CHAIN_DEPTH, MAX_TLS_MESSAGE_SIZE};
use albmtls_pki::{
    ApiGatewayReport, BundleFix, BundleReport, CertCheckReport, CertInfo, ChainOrder, CrlContainsReport, CrlReport, CrlSignatureStatus,
    Finding, HeadersReport, KeyMatchReport, PathEntry, Severity, Target,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::escape::for_people as esc;

/// One doctor result, ready to render.
pub enum DoctorView<'a> {
    Bundle(&'a BundleReport),
    /// `bundle check --fix`: the check, what was dropped, and where the fixed bundle went
    /// (`None` when nothing was written because no certificate was left).
    BundleFix {
        fix: &'a BundleFix,
        written_to: Option<&'a str>,
    },
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
    /// `cert check --target api-gateway`, with the key/CSR comparison when asked for.
    ApiGateway {
        check: &'a ApiGatewayReport,
        key_match: Option<&'a KeyMatchReport>,
    },
}

/// Writes `view` as text (ending in a newline) or as pretty JSON.
pub fn write_doctor(view: &DoctorView<'_>, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        match view {
            DoctorView::Bundle(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::BundleFix { fix, written_to } => serde_json::to_writer_pretty(&mut *out, &Fixed { fix, written_to: *written_to })?,
            DoctorView::CertCheck { check, key_match } => serde_json::to_writer_pretty(&mut *out, &Verdict::new(check, *key_match))?,
            DoctorView::Crl(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::CrlContains(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::Headers { headers, check } => {
                serde_json::to_writer_pretty(&mut *out, &Decoded { headers, check: check.map(|c| Verdict::new(c, None)) })?;
            }
            DoctorView::KeyMatch(report) => serde_json::to_writer_pretty(&mut *out, report)?,
            DoctorView::ApiGateway { check, key_match } => {
                serde_json::to_writer_pretty(&mut *out, &GatewayVerdict { check, key_match: *key_match })?;
            }
        }
        return writeln!(out);
    }
    let mut text = String::new();
    let written = match view {
        DoctorView::Bundle(report) => bundle(report, &mut text),
        DoctorView::BundleFix { fix, written_to } => bundle_fix(fix, *written_to, &mut text),
        DoctorView::CertCheck { check, key_match } => verdict(check, *key_match, &mut text),
        DoctorView::Crl(report) => crl(report, &mut text),
        DoctorView::CrlContains(report) => crl_contains(report, &mut text),
        DoctorView::Headers { headers: report, check } => headers(report, &mut text).and_then(|()| match check {
            Some(check) => {
                text.push_str("\n\n");
                verdict(check, None, &mut text)
            }
            None => Ok(()),
        }),
        DoctorView::KeyMatch(report) => keys(report, &mut text),
        DoctorView::ApiGateway { check, key_match } => api_gateway(check, *key_match, &mut text),
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
struct Fixed<'a> {
    #[serde(flatten)]
    fix: &'a BundleFix,
    written_to: Option<&'a str>,
}

#[derive(Serialize)]
struct GatewayVerdict<'a> {
    #[serde(flatten)]
    check: &'a ApiGatewayReport,
    key_match: Option<&'a KeyMatchReport>,
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
    bundle_findings(report, f)?;
    f.push_str(bundle_verdict(report));
    Ok(())
}

/// The bundle's description and findings, up to (not including) the verdict.
fn bundle_findings(report: &BundleReport, f: &mut String) -> fmt::Result {
    let rules = match report.target {
        Target::Alb => String::new(),
        target => format!(", {target} rules"),
    };
    writeln!(
        f,
        "Bundle {}: {} certificate(s), {} bytes, subjects {} bytes, checked at {}{rules}",
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
    for note in &report.notes {
        writeln!(f, "Note: {}", esc(note))?;
    }
    if report.findings.is_empty() {
        writeln!(f, "No problems found.")
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
        Ok(())
    }
}

fn bundle_verdict(report: &BundleReport) -> &'static str {
    match (report.target, report.would_reject()) {
        (Target::Alb, true) => "Verdict: ALB would reject this bundle (InvalidCaCertificatesBundle).",
        (Target::Alb, false) => "Verdict: ALB would accept this bundle.",
        (Target::ApiGateway, true) => {
            "Verdict: API Gateway would take this truststore with warnings (truststoreWarnings) and deny clients chaining to the certificates marked ERROR."
        }
        (Target::ApiGateway, false) => "Verdict: API Gateway would take this truststore without warnings.",
    }
}

fn bundle_fix(fix: &BundleFix, written_to: Option<&str>, f: &mut String) -> fmt::Result {
    bundle_findings(&fix.original, f)?;
    writeln!(f, "{}", bundle_verdict(&fix.original))?;
    writeln!(f)?;
    if fix.dropped.is_empty() {
        writeln!(f, "Fix: no certificate had to be dropped.")?;
    } else {
        writeln!(f, "Fix: dropped {} certificate(s):", fix.dropped.len())?;
        for dropped in &fix.dropped {
            let subject = dropped.subject.as_deref().map(|s| format!(" {}", esc(s))).unwrap_or_else(|| " (unreadable)".to_string());
            writeln!(f, "  #{}{subject}: {}", dropped.position, esc(&dropped.reasons.join("; ")))?;
        }
    }
    if fix.file_findings_removed > 0 {
        writeln!(f, "Fix: {} file-format problem(s) are gone: the fixed bundle holds only certificate blocks.", fix.file_findings_removed)?;
    }
    match written_to {
        Some(path) => {
            writeln!(f, "Wrote {} with {} certificate(s).", esc(path), fix.fixed.certificates.len())?;
            writeln!(f)?;
            bundle(&fix.fixed, f)
        }
        None => write!(f, "Nothing written: no certificate is left that {} accepts.", fix.original.target),
    }
}

fn cert_check(report: &CertCheckReport, f: &mut String) -> fmt::Result {
    writeln!(f, "tls_verify_status: {}", report.tls_verify_status)?;
    if report.trust_store_refused() {
        writeln!(f, "trust store:       ALB refuses it as it is (see below); this status is for it fixed, refused CAs left out")?;
    }
    if let Some(cert) = &report.certificate {
        writeln!(f, "certificate:       {}", esc(cert))?;
    }
    writeln!(f, "reason:            {}", esc(&report.reason))?;
    writeln!(f, "what to check:     {}", esc(&report.what_to_check))?;
    writeln!(
        f,
        "client:            {} ({} certificate(s), TLS Certificate message {} bytes)",
        esc(&report.client),
        report.presented_sizes.len(),
        report.tls_message_size
    )?;
    writeln!(f, "bundle:            {}", esc(&report.bundle))?;
    writeln!(f, "checked at:        {}", time(report.checked_at))?;
    path_and_notes(&report.path, &report.notes, f)?;
    trust_store(&report.trust_store, f)?;
    chain_sizes(&report.presented, &report.presented_sizes, Some(report.tls_message_size), f)?;
    write!(f, "presented:")?;
    for cert in &report.presented {
        f.push('\n');
        certificate(cert, f)?;
    }
    Ok(())
}

/// The verified path, leaf to trust anchor, and the notes that do not change a verdict.
fn path_and_notes(path: &[PathEntry], notes: &[String], f: &mut String) -> fmt::Result {
    if !path.is_empty() {
        let path: Vec<String> = path.iter().map(|p| format!("{} ({})", esc(&p.subject), esc(&p.source))).collect();
        writeln!(f, "path:              {}", path.join(" -> "))?;
    }
    for note in notes {
        writeln!(f, "note:              {}", esc(note))?;
    }
    Ok(())
}

fn trust_store(findings: &[Finding], f: &mut String) -> fmt::Result {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(f, "trust store:")?;
    for finding in findings {
        writeln!(f, "  {} {}", label(finding.severity), esc(&finding.message))?;
    }
    Ok(())
}

/// Every presented certificate with its DER size and the running total, against ALB's
/// depth and TLS message limits when `tls_message` is given.
fn chain_sizes(presented: &[CertInfo], sizes: &[usize], tls_message: Option<usize>, f: &mut String) -> fmt::Result {
    match tls_message {
        Some(message) => writeln!(
            f,
            "chain:             {} certificate(s) presented (ALB allows a depth of {MAX_CHAIN_DEPTH}); TLS Certificate message {message} of {MAX_TLS_MESSAGE_SIZE} bytes",
            sizes.len()
        )?,
        None => writeln!(f, "chain:             {} certificate(s) presented", sizes.len())?,
    }
    let mut total = 0;
    for (i, size) in sizes.iter().enumerate() {
        total += size;
        let subject =
            presented.iter().find(|c| c.position == i + 1).map_or_else(|| "(unreadable)".to_string(), |c| esc(&c.subject).into_owned());
        writeln!(f, "  #{} {subject}: {size} bytes DER, running total {total} bytes", i + 1)?;
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
    let crl = esc(&report.crl);
    let issuer = esc(&report.issuer);
    let negative = "ALB cannot revoke certificates with negative serial numbers (documented)";
    match (report.revoked, report.alb_can_revoke) {
        (true, true) => {
            let when = report.revocation_date.map(time).unwrap_or_default();
            let reason = report.reason.as_ref().map(|r| format!(", reason {}", esc(r))).unwrap_or_default();
            write!(f, "serial {} is REVOKED by {crl} (issuer {issuer}) on {when}{reason}", report.serial)
        }
        (true, false) => {
            let when = report.revocation_date.map(time).unwrap_or_default();
            write!(
                f,
                "serial {} is listed by {crl} (issuer {issuer}) on {when}, but the entry has no effect on ALB: {negative}, so the certificate stays trusted; re-issue the client with a positive serial to make it revocable",
                report.serial
            )
        }
        (false, true) => write!(f, "serial {} is not in {crl} (issuer {issuer})", report.serial),
        (false, false) => {
            write!(f, "serial {} is not in {crl} (issuer {issuer}); ALB could not revoke it anyway: {negative}", report.serial)
        }
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
        let order = match report.chain_order {
            Some(ChainOrder::LeafFirst) => "leaf first, each issued by the next, as ALB writes it",
            Some(ChainOrder::Reversed) => "REVERSED: root first, leaf last",
            Some(ChainOrder::Unlinked) => "out of order or incomplete",
            Some(ChainOrder::Single) | None => "leaf only",
        };
        writeln!(f, "chain ({} certificate(s), {order}):", report.chain.len())?;
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

fn api_gateway(report: &ApiGatewayReport, key_match: Option<&KeyMatchReport>, f: &mut String) -> fmt::Result {
    let access = match (report.access, report.message) {
        (Access::Granted, _) => "access granted".to_string(),
        (Access::Denied, Some(message)) => message.to_string(),
        (Access::Denied, None) => "access denied (API Gateway's message for this is not documented)".to_string(),
        (Access::Unverifiable, _) => "cannot tell: this build cannot verify the chain".to_string(),
    };
    writeln!(f, "api gateway:       {access}")?;
    if let Some(cert) = &report.certificate {
        writeln!(f, "certificate:       {}", esc(cert))?;
    }
    writeln!(f, "reason:            {}", esc(&report.reason))?;
    writeln!(f, "what to check:     {}", esc(&report.what_to_check))?;
    writeln!(f, "client:            {}", esc(&report.client))?;
    writeln!(f, "truststore:        {}", esc(&report.truststore))?;
    writeln!(f, "checked at:        {}", time(report.checked_at))?;
    path_and_notes(&report.path, &report.notes, f)?;
    if !report.truststore_warnings.is_empty() {
        writeln!(f, "truststore warnings (API Gateway keeps the truststore and denies clients chaining to these):")?;
        for finding in &report.truststore_warnings {
            writeln!(f, "  {} {}", label(finding.severity), esc(&finding.message))?;
        }
    }
    chain_sizes(&report.presented, &report.presented_sizes, None, f)?;
    write!(f, "presented:")?;
    for cert in &report.presented {
        f.push('\n');
        certificate(cert, f)?;
    }
    if let Some(key_match) = key_match {
        f.push('\n');
        keys(key_match, f)?;
        let key_differs = key_match.items.iter().any(|i| i.kind == "private_key" && !i.matches);
        if key_differs {
            write!(
                f,
                "\n  API Gateway reports a key that does not belong to its certificate as \"self signed certificate\": use the key, CSR and certificate of one request"
            )?;
        } else if !key_match.all_match() {
            write!(
                f,
                "\n  the certificate was not issued from this CSR, so the key that made the CSR is not the certificate's either: a client using that key gets API Gateway's \"self signed certificate\": use the key, CSR and certificate of one request"
            )?;
        }
    }
    Ok(())
}
