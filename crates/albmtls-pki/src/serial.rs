//! Certificate serial numbers as ALB, CRLs and openssl show them: compared by value
//! (sign and magnitude), written in upper-case hex with `-` for negative serials.

use std::fmt;

use serde::Serialize;

use crate::error::PkiError;

/// A certificate serial number, compared by value: sign and magnitude.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerialNumber {
    negative: bool,
    /// Big-endian magnitude without leading zero bytes (empty for zero).
    magnitude: Vec<u8>,
}

impl SerialNumber {
    /// Parses hex as logs and tools print it: case-insensitive, optional colons or
    /// spaces, optional `0x`, optional leading `-`; leading zeros do not matter.
    pub fn parse_hex(input: &str) -> Result<SerialNumber, PkiError> {
        let bad = |reason: &str| PkiError::BadSerial { input: input.to_string(), reason: reason.to_string() };
        let trimmed = input.trim();
        let (negative, rest) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let rest = rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")).unwrap_or(rest);
        let digits: String = rest.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
        if digits.is_empty() {
            return Err(bad("no hex digits"));
        }
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(bad(&format!("`{c}` is not a hex digit")));
        }
        let padded = if digits.len() % 2 == 1 { format!("0{digits}") } else { digits };
        let bytes: Vec<u8> = padded
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let hi = char::from(pair[0]).to_digit(16).unwrap_or(0);
                let lo = char::from(pair[1]).to_digit(16).unwrap_or(0);
                u8::try_from(hi * 16 + lo).unwrap_or(0)
            })
            .collect();
        let magnitude = strip_zeros(&bytes);
        Ok(SerialNumber { negative: negative && !magnitude.is_empty(), magnitude })
    }

    /// From the content bytes of a DER INTEGER (two's complement).
    pub fn from_der_integer(content: &[u8]) -> SerialNumber {
        match content.first() {
            Some(first) if first & 0x80 != 0 => {
                // Negate two's complement: invert, add one.
                let mut bytes: Vec<u8> = content.iter().map(|b| !b).collect();
                for byte in bytes.iter_mut().rev() {
                    let (sum, carry) = byte.overflowing_add(1);
                    *byte = sum;
                    if !carry {
                        break;
                    }
                }
                SerialNumber { negative: true, magnitude: strip_zeros(&bytes) }
            }
            _ => SerialNumber { negative: false, magnitude: strip_zeros(content) },
        }
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

impl fmt::Display for SerialNumber {
    /// Upper-case hex as ALB logs it (`02`), with `-` for negative serials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "-" } else { "" };
        if self.magnitude.is_empty() {
            return f.write_str("00");
        }
        f.write_str(sign)?;
        self.magnitude.iter().try_for_each(|byte| write!(f, "{byte:02X}"))
    }
}

impl Serialize for SerialNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::SerialNumber;

    #[test]
    fn der_integers_keep_their_sign() {
        let show = |bytes: &[u8]| SerialNumber::from_der_integer(bytes).to_string();
        assert_eq!(show(&[0x02]), "02");
        assert_eq!(show(&[0x00, 0x80]), "80");
        assert_eq!(show(&[0x80]), "-80");
        assert_eq!(show(&[0xFF]), "-01");
        assert_eq!(show(&[0xFB]), "-05");
        assert_eq!(show(&[0xFF, 0x00]), "-0100");
        assert_eq!(show(&[0x00]), "00");
        assert_eq!(show(&[]), "00");
        assert_eq!(show(&[0x00, 0xFE, 0xF2]), "FEF2");
        assert_eq!(SerialNumber::parse_hex("-0").unwrap(), SerialNumber::parse_hex("00").unwrap());
    }
}
