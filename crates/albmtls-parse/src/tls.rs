//! What the TLS fields of a record mean: the handshake latency in milliseconds, the
//! client certificate's validity, post-quantum key exchanges and legacy protocols.
//!
//! Each reader tells a well-formed value from `-` (absent) and from text that is neither
//! (malformed), so that aggregates can count malformed values under their field while
//! the record still counts everywhere else.

use crate::time::{Micros, parse_timestamp};

/// A field value that is neither `-` nor what the field documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// The most milliseconds a latency may have: more than a day means the text is not a
/// handshake latency.
pub const MAX_LATENCY_MS: u32 = 86_400_000;

/// `tls_handshake_latency` (`4.036`: seconds with up to three decimals) in milliseconds;
/// `Ok(None)` for `-`.
#[inline]
pub fn latency_ms(text: &[u8]) -> Result<Option<u32>, Malformed> {
    if text == b"-" {
        return Ok(None);
    }
    let (whole, fraction) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 5 || fraction.len() > 3 {
        return Err(Malformed);
    }
    let mut ms: u32 = 0;
    for &b in whole {
        ms = ms * 10 + u32::from(digit(b)?);
    }
    for &b in fraction {
        ms = ms * 10 + u32::from(digit(b)?);
    }
    // `4.036` has read 4036; `4.5` has read 45, which is 4500 ms.
    let ms = ms * [1000, 100, 10, 1][fraction.len()];
    if ms > MAX_LATENCY_MS { Err(Malformed) } else { Ok(Some(ms)) }
}

#[inline(always)]
fn digit(b: u8) -> Result<u8, Malformed> {
    if b.is_ascii_digit() { Ok(b - b'0') } else { Err(Malformed) }
}

/// `leaf_client_cert_validity` (`NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z`):
/// the NotAfter time; `Ok(None)` for `-`.
pub fn not_after(text: &[u8]) -> Result<Option<Micros>, Malformed> {
    if text == b"-" {
        return Ok(None);
    }
    let rest = text.strip_prefix(b"NotBefore=").ok_or(Malformed)?;
    let semicolon = memchr::memchr(b';', rest).ok_or(Malformed)?;
    parse_timestamp(&rest[..semicolon]).ok_or(Malformed)?;
    let after = rest[semicolon + 1..].strip_prefix(b"NotAfter=").ok_or(Malformed)?;
    parse_timestamp(after).map(Some).ok_or(Malformed)
}

/// Whether a `tls_keyexchange` value names a hybrid post-quantum group (`X25519MLKEM768`,
/// `SecP256r1MLKEM768`, `SecP384r1MLKEM1024`, and any later ML-KEM group); case is not
/// guaranteed, so it is ignored.
pub fn is_post_quantum(key_exchange: &[u8]) -> bool {
    key_exchange.windows(5).any(|w| w.eq_ignore_ascii_case(b"MLKEM"))
}

/// Whether a `tls_keyexchange` value looks like a group name (letters, digits, `_`, `-`,
/// `.`); anything else is counted as malformed. `-` is absent, not malformed.
pub fn is_key_exchange_name(key_exchange: &[u8]) -> bool {
    !key_exchange.is_empty() && key_exchange.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Protocols that security policies of today refuse: TLS 1.0 and 1.1 (and SSL).
pub fn is_legacy_protocol(protocol: &[u8]) -> bool {
    matches!(protocol, b"TLSv1" | b"TLSv1.1" | b"TLSv1.0" | b"SSLv3")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_in_milliseconds() {
        assert_eq!(latency_ms(b"4.036"), Ok(Some(4036)));
        assert_eq!(latency_ms(b"0.337"), Ok(Some(337)));
        assert_eq!(latency_ms(b"0.5"), Ok(Some(500)));
        assert_eq!(latency_ms(b"0.05"), Ok(Some(50)));
        assert_eq!(latency_ms(b"12"), Ok(Some(12_000)));
        assert_eq!(latency_ms(b"3."), Ok(Some(3000)));
        assert_eq!(latency_ms(b"-"), Ok(None));
        for bad in [&b"abc"[..], b".5", b"1.2345", b"1e3", b"-1", b"99999.999", b"1.2.3", b""] {
            assert_eq!(latency_ms(bad), Err(Malformed), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn validity_gives_not_after() {
        let v = b"NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z";
        assert_eq!(not_after(v), Ok(parse_timestamp(b"2026-06-17T22:43:21Z")));
        assert_eq!(not_after(b"-"), Ok(None));
        for bad in [&b"NotBefore=a;NotAfter=b"[..], b"NotAfter=2026-06-17T22:43:21Z", b"NotBefore=2023-09-21T22:43:21Z", b"x"] {
            assert_eq!(not_after(bad), Err(Malformed));
        }
    }

    #[test]
    fn post_quantum_groups_and_legacy_protocols() {
        for pq in ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "x25519mlkem768"] {
            assert!(is_post_quantum(pq.as_bytes()), "{pq}");
        }
        assert!(!is_post_quantum(b"secp256r1") && !is_post_quantum(b"x25519"));
        assert!(is_key_exchange_name(b"X25519MLKEM768") && !is_key_exchange_name(b"x<y") && !is_key_exchange_name(b""));
        assert!(is_legacy_protocol(b"TLSv1") && is_legacy_protocol(b"TLSv1.1"));
        assert!(!is_legacy_protocol(b"TLSv1.2") && !is_legacy_protocol(b"-"));
    }
}
