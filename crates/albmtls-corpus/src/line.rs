//! Writing one connection-log line, field by field, in any of the four generations.
//!
//! This is the only place that knows the text conventions (reference §2): single spaces,
//! only the subject quoted (`"-"` when absent), `-` for every other absent value,
//! timestamps with six fractional digits and `Z`, latency in seconds with three decimals.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// The 13 documented `Failed:` codes (reference §3), in documentation order.
///
/// Kept here rather than borrowed from the parser so the ground truth does not inherit a
/// parser mistake.
pub const FAILURE_CODES: [&str; 13] = [
    "ClientCertMaxChainDepthExceeded",
    "ClientCertMaxSizeExceeded",
    "ClientCertCrlHit",
    "ClientCertCrlProcessingError",
    "ClientCertUntrusted",
    "ClientCertNotYetValid",
    "ClientCertExpired",
    "ClientCertTypeUnsupported",
    "ClientCertInvalid",
    "ClientCertPurposeInvalid",
    "ClientCertRejected",
    "UnmappedConnectionError",
    "ClientCertIncompatible",
];

/// Index of `UnmappedConnectionError` in [`FAILURE_CODES`]: the one failure written without a
/// client certificate (the client sent none, or the handshake broke before it).
pub(crate) const UNMAPPED: usize = 11;

/// The undocumented code the generator mixes in (rarely) so readers prove they keep unknown
/// codes as their own bucket. It is seen only in third-party emulators, never from ALB.
pub const UNKNOWN_FAILURE_STATUS: &str = "Failed:ClientCertRevoked";

/// The load balancer id written in field 14 unless a spec says otherwise.
pub const DEFAULT_ELB: &str = "app/my-lb/50dc6c495c0c9188";

/// Which fields a line carries: the format grew at the end over time (reference §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Generation {
    /// Ends at `tls_verify_status` (no trace id).
    Fields11,
    /// Ends at `conn_trace_id`.
    Fields12,
    /// Ends at `tls_keyexchange`.
    Fields13,
    /// Ends at `elb ip_address` (current format).
    Fields15,
}

impl Generation {
    /// Oldest first.
    pub const ALL: [Generation; 4] = [Generation::Fields11, Generation::Fields12, Generation::Fields13, Generation::Fields15];

    /// Number of space-separated fields a line of this generation has.
    pub fn field_count(self) -> u8 {
        match self {
            Generation::Fields11 => 11,
            Generation::Fields12 => 12,
            Generation::Fields13 => 13,
            Generation::Fields15 => 15,
        }
    }
}

/// Everything one line says. Absent values are `None` and written as `-` (`"-"` for the subject).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFields<'a> {
    pub generation: Generation,
    pub timestamp: DateTime<Utc>,
    pub client_ip: &'a str,
    pub client_port: u16,
    pub listener_port: u16,
    pub tls_protocol: Option<&'a str>,
    pub tls_cipher: Option<&'a str>,
    /// Handshake latency in milliseconds, written as seconds with three decimals.
    pub handshake_latency_ms: Option<u32>,
    /// The subject exactly as it goes between the quotes (see [`escape_subject`]).
    pub subject: Option<&'a str>,
    /// `NotBefore=…;NotAfter=…` (see [`format_validity`]).
    pub validity: Option<&'a str>,
    pub serial: Option<&'a str>,
    pub verify_status: Option<&'a str>,
    /// Ignored by [`Generation::Fields11`].
    pub conn_trace_id: Option<&'a str>,
    /// Ignored before [`Generation::Fields13`].
    pub tls_keyexchange: Option<&'a str>,
    /// Ignored before [`Generation::Fields15`].
    pub elb: &'a str,
    /// Ignored before [`Generation::Fields15`].
    pub node_ip: &'a str,
}

impl LineFields<'static> {
    /// A successful mTLS connection in the current 15-field format; tests start from it and
    /// change the fields they care about with struct-update syntax.
    pub fn example() -> LineFields<'static> {
        LineFields {
            generation: Generation::Fields15,
            timestamp: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("valid date") + chrono::Duration::microseconds(514_108),
            client_ip: "203.0.113.10",
            client_port: 50_123,
            listener_port: 443,
            tls_protocol: Some("TLSv1.3"),
            tls_cipher: Some("TLS_AES_128_GCM_SHA256"),
            handshake_latency_ms: Some(36),
            subject: Some("CN=client-0042.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US"),
            validity: Some("NotBefore=2026-01-02T19:17:20Z;NotAfter=2027-01-02T19:17:20Z"),
            serial: Some("0A3F5C2E9B7D1144"),
            verify_status: Some("Success"),
            conn_trace_id: Some("TID_3180a73013c8ca4bac2f731159d4b0fe"),
            tls_keyexchange: Some("X25519MLKEM768"),
            elb: DEFAULT_ELB,
            node_ip: "10.0.1.23",
        }
    }
}

/// Appends one line, newline included, to `out`.
pub fn write_line(out: &mut Vec<u8>, f: &LineFields<'_>) {
    push_timestamp(out, &f.timestamp);
    out.push(b' ');
    out.extend_from_slice(f.client_ip.as_bytes());
    out.push(b' ');
    push_u64(out, u64::from(f.client_port));
    out.push(b' ');
    push_u64(out, u64::from(f.listener_port));
    out.push(b' ');
    push_opt(out, f.tls_protocol);
    out.push(b' ');
    push_opt(out, f.tls_cipher);
    out.push(b' ');
    match f.handshake_latency_ms {
        Some(ms) => {
            push_u64(out, u64::from(ms / 1000));
            out.push(b'.');
            push_padded(out, u64::from(ms % 1000), 3);
        }
        None => out.push(b'-'),
    }
    out.extend_from_slice(b" \"");
    push_opt(out, f.subject);
    out.extend_from_slice(b"\" ");
    push_opt(out, f.validity);
    out.push(b' ');
    push_opt(out, f.serial);
    out.push(b' ');
    push_opt(out, f.verify_status);
    if f.generation >= Generation::Fields12 {
        out.push(b' ');
        push_opt(out, f.conn_trace_id);
    }
    if f.generation >= Generation::Fields13 {
        out.push(b' ');
        push_opt(out, f.tls_keyexchange);
    }
    if f.generation >= Generation::Fields15 {
        out.push(b' ');
        out.extend_from_slice(f.elb.as_bytes());
        out.push(b' ');
        out.extend_from_slice(f.node_ip.as_bytes());
    }
    out.push(b'\n');
}

/// Escapes a distinguished name for the quoted subject field: `"` becomes `\"` and `\`
/// becomes `\\` (RFC 2253 style; how ALB escapes is undocumented, reference §2).
pub fn escape_subject(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len() + 4);
    for c in dn.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `NotBefore=<ISO8601>;NotAfter=<ISO8601>` with whole seconds.
pub fn format_validity(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> String {
    format!("NotBefore={};NotAfter={}", not_before.format("%Y-%m-%dT%H:%M:%SZ"), not_after.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// A `TID_` + 32 lowercase hex trace id for the given 128 bits.
pub fn format_trace_id(bits: u128) -> String {
    let mut out = Vec::with_capacity(36);
    push_trace_id(&mut out, bits);
    String::from_utf8(out).expect("hex is ASCII")
}

/// The timestamp text of field 1: `2026-11-01T12:00:00.514108Z`.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(27);
    push_timestamp(&mut out, t);
    String::from_utf8(out).expect("digits are ASCII")
}

pub(crate) fn push_trace_id(out: &mut Vec<u8>, bits: u128) {
    out.extend_from_slice(b"TID_");
    for shift in (0..32).rev() {
        out.push(HEX_LOWER[((bits >> (shift * 4)) & 0xf) as usize]);
    }
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

fn push_opt(out: &mut Vec<u8>, value: Option<&str>) {
    out.extend_from_slice(value.map_or(b"-".as_slice(), str::as_bytes));
}

fn push_timestamp(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    let (date, time) = (t.date_naive(), t.time());
    push_padded(out, u64::try_from(date.year()).unwrap_or(0), 4);
    out.push(b'-');
    push_padded(out, u64::from(date.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(date.day()), 2);
    out.push(b'T');
    push_padded(out, u64::from(time.hour()), 2);
    out.push(b':');
    push_padded(out, u64::from(time.minute()), 2);
    out.push(b':');
    push_padded(out, u64::from(time.second()), 2);
    out.push(b'.');
    // A leap second shows up as nanosecond >= 1e9; ALB never writes one, clamp it.
    push_padded(out, u64::from(time.nanosecond().min(999_999_999) / 1000), 6);
    out.push(b'Z');
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_padded(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut v = v;
    while v > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = i.min(buf.len() - width);
    out.extend_from_slice(&buf[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(f: &LineFields<'_>) -> String {
        let mut out = Vec::new();
        write_line(&mut out, f);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn example_line_has_fifteen_fields_in_order() {
        assert_eq!(
            line(&LineFields::example()),
            "2026-11-01T12:00:00.514108Z 203.0.113.10 50123 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.036 \
             \"CN=client-0042.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" \
             NotBefore=2026-01-02T19:17:20Z;NotAfter=2027-01-02T19:17:20Z 0A3F5C2E9B7D1144 Success \
             TID_3180a73013c8ca4bac2f731159d4b0fe X25519MLKEM768 app/my-lb/50dc6c495c0c9188 10.0.1.23\n"
        );
    }

    #[test]
    fn absent_values_and_older_generations() {
        let plain = LineFields {
            generation: Generation::Fields11,
            listener_port: 80,
            tls_protocol: None,
            tls_cipher: None,
            handshake_latency_ms: None,
            subject: None,
            validity: None,
            serial: None,
            verify_status: None,
            ..LineFields::example()
        };
        assert_eq!(line(&plain), "2026-11-01T12:00:00.514108Z 203.0.113.10 50123 80 - - - \"-\" - - -\n");
        let g13 = LineFields { generation: Generation::Fields13, handshake_latency_ms: Some(4036), ..LineFields::example() };
        let text = line(&g13);
        assert!(text.contains(" 4.036 "));
        assert!(text.ends_with("TID_3180a73013c8ca4bac2f731159d4b0fe X25519MLKEM768\n"));
    }

    #[test]
    fn helpers_format_like_alb() {
        assert_eq!(escape_subject(r#"CN=a,O="Quoted" Corp\x"#), r#"CN=a,O=\"Quoted\" Corp\\x"#);
        assert_eq!(format_trace_id(0xab), "TID_000000000000000000000000000000ab");
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format_timestamp(&t), "2026-01-02T03:04:05.000000Z");
        assert_eq!(format_validity(t, t), "NotBefore=2026-01-02T03:04:05Z;NotAfter=2026-01-02T03:04:05Z");
    }
}
