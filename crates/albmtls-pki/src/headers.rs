//! `headers decode`: the `X-Amzn-Mtls-Clientcert*` headers ALB adds for targets.
//!
//! Passthrough mode sends the whole chain, leaf first, as URL-encoded PEM with `+=/` left
//! unencoded; AWS's own example nevertheless encodes `=` as `%3D`, so both are accepted,
//! and `+` is a literal `+` (base64), never a space. Verify mode sends the leaf's serial,
//! issuer, subject, validity and the leaf itself.
//!
//! Whether ALB strips or appends a client-sent `X-Amzn-Mtls-*` header is undocumented, so
//! repeated headers (or values merged with `,` by a proxy) are reported as possible
//! forgery. ALB writes the chain leaf first and root last (documented); a chain in
//! another order is reported, a reversed one as an error.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::Severity;
use crate::cert::{CertInfo, describe_certificate, rfc3339};
use crate::error::PkiError;
use crate::serial::SerialNumber;
use crate::trust_store::TrustStore;
use crate::verify::{CertCheckReport, CheckOptions, check_client_chain};

/// The header names to look for. Listener attributes such as
/// `routing.http.request.x_amzn_mtls_clientcert.header_name` can rename each one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderNames {
    pub clientcert: String,
    pub serial_number: String,
    pub issuer: String,
    pub subject: String,
    pub validity: String,
    pub leaf: String,
}

impl Default for HeaderNames {
    fn default() -> HeaderNames {
        HeaderNames {
            clientcert: "X-Amzn-Mtls-Clientcert".to_string(),
            serial_number: "X-Amzn-Mtls-Clientcert-Serial-Number".to_string(),
            issuer: "X-Amzn-Mtls-Clientcert-Issuer".to_string(),
            subject: "X-Amzn-Mtls-Clientcert-Subject".to_string(),
            validity: "X-Amzn-Mtls-Clientcert-Validity".to_string(),
            leaf: "X-Amzn-Mtls-Clientcert-Leaf".to_string(),
        }
    }
}

/// The parsed `X-Amzn-Mtls-Clientcert-Validity` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidityHeader {
    pub raw: String,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
}

/// How the certificates of the passthrough chain header follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainOrder {
    /// One certificate: nothing to order.
    Single,
    /// Each certificate is issued by the next: leaf first, root last, as ALB writes it.
    LeafFirst,
    /// Each certificate issues the next: root first, leaf last.
    Reversed,
    /// Neither: out of order, or a certificate missing in between.
    Unlinked,
}

/// One problem found while decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeaderProblem {
    pub severity: Severity,
    /// The header name as it appeared.
    pub header: String,
    pub message: String,
}

/// The result of [`decode_headers`].
#[derive(Debug, Clone, Serialize)]
pub struct HeadersReport {
    pub name: String,
    /// `passthrough`, `verify`, or `mixed` (both kinds of header: suspicious).
    pub mode: &'static str,
    /// The chain from the passthrough header, in header order (ALB writes the leaf first).
    pub chain: Vec<CertInfo>,
    /// How that chain is ordered; `None` without a chain header.
    pub chain_order: Option<ChainOrder>,
    /// The leaf from the verify-mode `-Leaf` header.
    pub leaf: Option<CertInfo>,
    pub serial_number: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub validity: Option<ValidityHeader>,
    pub problems: Vec<HeaderProblem>,
    #[serde(skip)]
    chain_der: Vec<Vec<u8>>,
    #[serde(skip)]
    leaf_der: Option<Vec<u8>>,
}

impl HeadersReport {
    /// The decoded chain as DER, leaf first; the `-Leaf` certificate when no chain header.
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        if self.chain_der.is_empty() { self.leaf_der.iter().cloned().collect() } else { self.chain_der.clone() }
    }

    /// Runs the client-certificate check on the decoded chain.
    pub fn check(&self, store: &TrustStore, options: &CheckOptions) -> Result<CertCheckReport, PkiError> {
        check_client_chain(store, &self.name, &self.chain_der(), options)
    }

    /// Whether a problem of severity error was found (undecodable value, mismatch, duplicate).
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Decodes the mTLS headers from a raw HTTP request or from `Name: value` lines. Header
/// names are case-insensitive; the request line and the body are skipped.
pub fn decode_headers(name: &str, bytes: &[u8], names: &HeaderNames) -> Result<HeadersReport, PkiError> {
    let text = String::from_utf8_lossy(bytes);
    let headers = split_headers(&text);
    let mut report = HeadersReport {
        name: name.to_string(),
        mode: "passthrough",
        chain: Vec::new(),
        chain_order: None,
        leaf: None,
        serial_number: None,
        issuer: None,
        subject: None,
        validity: None,
        problems: Vec::new(),
        chain_der: Vec::new(),
        leaf_der: None,
    };
    let wanted = [&names.clientcert, &names.serial_number, &names.issuer, &names.subject, &names.validity, &names.leaf];
    let mut found_any = false;
    for wanted_name in wanted {
        let values: Vec<&(String, String)> = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(wanted_name)).collect();
        let Some((shown, first)) = values.first().map(|(n, v)| (n.clone(), v.clone())) else { continue };
        found_any = true;
        if values.len() > 1 {
            let differ = values.iter().any(|(_, v)| *v != first);
            report.problems.push(HeaderProblem {
                severity: Severity::Error,
                header: shown.clone(),
                message: format!(
                    "appears {} times{}; a client may have sent its own copy (possible forgery). The first is used. Rename ALB's headers with the listener attribute `routing.http.request.*.header_name` and drop client copies",
                    values.len(),
                    if differ { " with different values" } else { "" }
                ),
            });
        }
        if wanted_name == &names.clientcert {
            report.chain_der = decode_pem_value(&shown, &first, &mut report.problems);
        } else if wanted_name == &names.leaf {
            report.leaf_der = decode_pem_value(&shown, &first, &mut report.problems).into_iter().next();
        } else if wanted_name == &names.serial_number {
            report.serial_number = Some(first);
        } else if wanted_name == &names.issuer {
            report.issuer = Some(first);
        } else if wanted_name == &names.subject {
            report.subject = Some(first);
        } else {
            report.validity = Some(parse_validity(&first));
        }
    }
    if !found_any {
        return Err(PkiError::NoMtlsHeaders { name: name.to_string() });
    }
    for (i, der) in report.chain_der.iter().enumerate() {
        match describe_certificate(&names.clientcert, i + 1, der) {
            Ok(info) => report.chain.push(info),
            Err(e) => report.problems.push(problem(&names.clientcert, e.to_string())),
        }
    }
    if let Some(der) = &report.leaf_der {
        match describe_certificate(&names.leaf, 1, der) {
            Ok(info) => report.leaf = Some(info),
            Err(e) => report.problems.push(problem(&names.leaf, e.to_string())),
        }
    }
    let verify_mode = report.serial_number.is_some()
        || report.issuer.is_some()
        || report.subject.is_some()
        || report.validity.is_some()
        || report.leaf_der.is_some();
    report.mode = match (report.chain_der.is_empty(), verify_mode) {
        (false, true) => "mixed",
        (true, true) => "verify",
        _ => "passthrough",
    };
    if !report.chain.is_empty() {
        let order = chain_order(&report.chain);
        report.chain_order = Some(order);
        if let Some(p) = order_problem(order, &report.chain, &names.clientcert) {
            report.problems.push(p);
        }
    }
    cross_check(&mut report, names);
    Ok(report)
}

/// How the certificates follow each other, judged by issuer and subject names.
fn chain_order(chain: &[CertInfo]) -> ChainOrder {
    if chain.len() < 2 {
        return ChainOrder::Single;
    }
    let pairs = || chain.windows(2);
    if pairs().all(|w| w[0].issuer == w[1].subject) {
        ChainOrder::LeafFirst
    } else if pairs().all(|w| w[1].issuer == w[0].subject) {
        ChainOrder::Reversed
    } else {
        ChainOrder::Unlinked
    }
}

fn order_problem(order: ChainOrder, chain: &[CertInfo], header: &str) -> Option<HeaderProblem> {
    match order {
        ChainOrder::Single | ChainOrder::LeafFirst => None,
        ChainOrder::Reversed => Some(problem(
            header,
            format!(
                "the chain is reversed (root first, leaf last: #{} {} is the leaf); ALB writes the leaf first and the root last, so this header was likely rewritten by a proxy or sent by a client, and a target taking the first certificate as the client would take the CA #1 {}",
                chain.len(),
                chain[chain.len() - 1].subject,
                chain[0].subject
            ),
        )),
        ChainOrder::Unlinked => {
            let gap = chain.windows(2).position(|w| w[0].issuer != w[1].subject).map_or(1, |i| i + 1);
            Some(HeaderProblem {
                severity: Severity::Warning,
                header: header.to_string(),
                message: format!(
                    "#{gap} is not issued by #{}: the chain is out of order or incomplete; ALB passes it leaf first as the client presented it, so the client sends its intermediates out of order or leaves one out",
                    gap + 1
                ),
            })
        }
    }
}

fn problem(header: &str, message: String) -> HeaderProblem {
    HeaderProblem { severity: Severity::Error, header: header.to_string(), message }
}

/// Header lines up to the end of the header block, with obsolete line folding joined.
fn split_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if headers.is_empty() {
                continue;
            }
            break; // the body starts here
        }
        if index == 0 && line.contains(" HTTP/") && !line.contains(':') {
            continue; // request line
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

/// URL-decodes a PEM header value and returns the DER of each certificate.
fn decode_pem_value(header: &str, value: &str, problems: &mut Vec<HeaderProblem>) -> Vec<Vec<u8>> {
    // Commas are percent-encoded by ALB; a raw one means a proxy joined two header copies.
    if value.contains(',') {
        problems.push(problem(
            header,
            "contains `,`: two values were merged (a client-sent copy joined to ALB's?): possible forgery".to_string(),
        ));
    }
    let decoded = match percent_decode_str(value).decode_utf8() {
        Ok(text) => text.into_owned(),
        Err(e) => {
            problems.push(problem(header, format!("URL-decoding gives invalid UTF-8 ({e}); the value is corrupt")));
            return Vec::new();
        }
    };
    match ::pem::parse_many(decoded.as_bytes()) {
        Ok(blocks) => {
            let certs: Vec<Vec<u8>> = blocks.into_iter().filter(|b| b.tag() == "CERTIFICATE").map(::pem::Pem::into_contents).collect();
            if certs.is_empty() {
                problems.push(problem(header, "no PEM certificate after URL-decoding".to_string()));
            }
            certs
        }
        Err(e) => {
            problems.push(problem(header, format!("URL-decoded value is not valid PEM ({e})")));
            Vec::new()
        }
    }
}

fn parse_validity(raw: &str) -> ValidityHeader {
    let mut header = ValidityHeader { raw: raw.to_string(), not_before: None, not_after: None };
    for part in raw.split(';') {
        let Some((key, value)) = part.split_once('=') else { continue };
        let time = DateTime::parse_from_rfc3339(value.trim()).ok().map(|t| t.with_timezone(&Utc));
        match key.trim() {
            k if k.eq_ignore_ascii_case("NotBefore") => header.not_before = time,
            k if k.eq_ignore_ascii_case("NotAfter") => header.not_after = time,
            _ => {}
        }
    }
    header
}

/// The verify-mode headers describe the leaf: they must agree with it and with the chain.
fn cross_check(report: &mut HeadersReport, names: &HeaderNames) {
    let mut problems = Vec::new();
    let leaf = report.leaf.as_ref().or(report.chain.first());
    if let (Some(header_leaf), Some(chain_leaf)) = (&report.leaf, report.chain.first())
        && header_leaf.sha256 != chain_leaf.sha256
    {
        problems.push(problem(&names.leaf, "differs from the first certificate of the chain header".to_string()));
    }
    if let Some(leaf) = leaf {
        if let Some(serial) = &report.serial_number {
            let same = SerialNumber::parse_hex(serial).ok().zip(SerialNumber::parse_hex(&leaf.serial).ok()).is_some_and(|(a, b)| a == b);
            if !same {
                problems.push(problem(&names.serial_number, format!("`{serial}` is not the leaf's serial {}", leaf.serial)));
            }
        }
        for (header, value, actual) in [(&names.subject, &report.subject, &leaf.subject), (&names.issuer, &report.issuer, &leaf.issuer)] {
            if let Some(value) = value
                && value != actual
            {
                problems.push(HeaderProblem {
                    severity: Severity::Warning,
                    header: header.clone(),
                    message: format!("`{value}` differs from the leaf's `{actual}` (escaping may differ; compare by eye)"),
                });
            }
        }
        if let Some(validity) = &report.validity
            && (validity.not_before != Some(leaf.not_before) || validity.not_after != Some(leaf.not_after))
        {
            problems.push(problem(
                &names.validity,
                format!("`{}` does not match the leaf's {} .. {}", validity.raw, rfc3339(leaf.not_before), rfc3339(leaf.not_after)),
            ));
        }
    }
    report.problems.extend(problems);
}
