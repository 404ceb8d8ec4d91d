//! CRLs: reading one (PEM or DER), `crl convert` and `crl contains`. Serial numbers are
//! in [`crate::serial`], `crl inspect` in [`crate::crl_inspect`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use x509_parser::prelude::{CertificateRevocationList, FromDer};

use crate::cert::{asn1_to_utc, rfc2253};
use crate::error::PkiError;
use crate::serial::SerialNumber;

/// ALB quota: revocation list file size (50 MB, taken as MiB).
pub const MAX_CRL_FILE_SIZE: usize = 50 * 1024 * 1024;
/// Default quota: revocation entries per trust store (adjustable, L-37E1617B).
pub const MAX_REVOCATION_ENTRIES: usize = 500_000;

/// How a CRL file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrlFormat {
    Pem,
    Der,
}

impl fmt::Display for CrlFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CrlFormat::Pem => "PEM",
            CrlFormat::Der => "DER",
        })
    }
}

/// One CRL read from a file and checked to parse.
#[derive(Debug, Clone)]
pub struct Crl {
    name: String,
    format: CrlFormat,
    file_size: usize,
    entry_count: usize,
    der: Vec<u8>,
}

impl Crl {
    /// Reads a CRL from PEM (one `X509 CRL` block) or DER.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Crl, PkiError> {
        let bad = |reason: String| PkiError::BadCrl { name: name.to_string(), reason };
        let (format, der) = if crate::cert::contains(bytes, b"-----BEGIN") {
            let blocks = ::pem::parse_many(bytes).map_err(|e| bad(format!("malformed PEM: {e}")))?;
            let mut crls: Vec<Vec<u8>> = blocks.into_iter().filter(|p| p.tag() == "X509 CRL").map(::pem::Pem::into_contents).collect();
            match crls.len() {
                0 => return Err(bad("no `X509 CRL` PEM block".to_string())),
                1 => (CrlFormat::Pem, crls.remove(0)),
                count => return Err(PkiError::MultipleCrls { name: name.to_string(), count }),
            }
        } else {
            (CrlFormat::Der, bytes.to_vec())
        };
        let (rest, parsed) = CertificateRevocationList::from_der(&der).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes of trailing data after the CRL", rest.len())));
        }
        let entry_count = parsed.iter_revoked_certificates().count();
        Ok(Crl { name: name.to_string(), format, file_size: bytes.len(), entry_count, der })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The size of the file it was read from, in bytes.
    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// How many certificates it revokes.
    pub fn entry_count(&self) -> usize {
        self.entry_count
    }

    /// The encoding of the file it was read from.
    pub fn format(&self) -> CrlFormat {
        self.format
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The CRL encoded as `to`: DER bytes, or PEM text with a final newline.
    pub fn convert(&self, to: CrlFormat) -> Vec<u8> {
        match to {
            CrlFormat::Der => self.der.clone(),
            CrlFormat::Pem => {
                // LF, as openssl writes it: the result is meant for Unix tools and S3.
                let config = ::pem::EncodeConfig::new().set_line_ending(::pem::LineEnding::LF);
                ::pem::encode_config(&::pem::Pem::new("X509 CRL", self.der.clone()), config).into_bytes()
            }
        }
    }

    pub(crate) fn parsed(&self) -> Result<CertificateRevocationList<'_>, PkiError> {
        CertificateRevocationList::from_der(&self.der)
            .map(|(_, crl)| crl)
            .map_err(|e| PkiError::BadCrl { name: self.name.clone(), reason: e.to_string() })
    }

    pub(crate) fn issuer_raw_and_name(&self) -> Result<(Vec<u8>, String), PkiError> {
        let crl = self.parsed()?;
        Ok((crl.issuer().as_raw().to_vec(), rfc2253(crl.issuer())))
    }
}

/// `crl convert`: re-encodes a CRL file as PEM or DER.
pub fn convert_crl(name: &str, bytes: &[u8], to: CrlFormat) -> Result<Vec<u8>, PkiError> {
    Crl::parse(name, bytes).map(|crl| crl.convert(to))
}

/// RFC 5280 CRLReason names.
pub(crate) fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown",
    }
}

/// The result of [`crl_contains`].
#[derive(Debug, Clone, Serialize)]
pub struct CrlContainsReport {
    pub crl: String,
    pub issuer: String,
    pub serial: SerialNumber,
    /// Whether the CRL lists the serial.
    pub revoked: bool,
    /// Whether ALB can act on an entry for this serial: not for a negative serial, which
    /// ALB cannot revoke through a CRL (documented).
    pub alb_can_revoke: bool,
    pub revocation_date: Option<DateTime<Utc>>,
    /// RFC 5280 reason name, when the entry has one.
    pub reason: Option<String>,
}

impl CrlContainsReport {
    /// Whether ALB, with this CRL in the trust store, refuses the certificate.
    pub fn revokes_on_alb(&self) -> bool {
        self.revoked && self.alb_can_revoke
    }
}

/// `crl contains SERIAL`: whether the CRL revokes a serial (hex, as in the log; a
/// negative serial as openssl writes it, `-05`).
pub fn crl_contains(name: &str, bytes: &[u8], serial: &str) -> Result<CrlContainsReport, PkiError> {
    let wanted = SerialNumber::parse_hex(serial)?;
    let crl = Crl::parse(name, bytes)?;
    let parsed = crl.parsed()?;
    let entry = parsed.iter_revoked_certificates().find(|r| SerialNumber::from_der_integer(r.raw_serial()) == wanted);
    Ok(CrlContainsReport {
        crl: name.to_string(),
        issuer: rfc2253(parsed.issuer()),
        revoked: entry.is_some(),
        alb_can_revoke: !wanted.is_negative(),
        revocation_date: entry.map(|e| asn1_to_utc(e.revocation_date)),
        reason: entry.and_then(|e| e.reason_code()).map(|(_, code)| reason_name(code.0).to_string()),
        serial: wanted,
    })
}
