//! One place that reads and describes certificates, and holds the ALB algorithm rules
//! every other module applies.

use std::fmt;

use chrono::{DateTime, Utc};
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::Target;
use crate::error::PkiError;
use crate::serial::SerialNumber;

/// A certificate as the reports show it. Field names are stable: they are the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertInfo {
    /// 1-based position in the file (or header) it came from.
    pub position: usize,
    /// Subject distinguished name in RFC 2253 form, as ALB logs and headers show it.
    pub subject: String,
    /// Issuer distinguished name in RFC 2253 form.
    pub issuer: String,
    /// X.509 version as people say it: 1, 2 or 3.
    pub version: u32,
    /// Serial number in upper-case hex without DER's sign byte, as ALB logs it (`02`,
    /// `FEF257372D5C14D4`); a negative serial keeps its sign, as openssl shows it (`-05`).
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key: KeyInfo,
    /// Signature algorithm name in OpenSSL spelling (`sha256WithRSAEncryption`, `ecdsa-with-SHA384`).
    pub signature_algorithm: String,
    /// The basic-constraints CA flag; `None` when the extension is absent.
    pub is_ca: Option<bool>,
    pub path_len_constraint: Option<u32>,
    /// Key usage bits in OpenSSL spelling; `None` when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    /// Extended key usages (`clientAuth`, `serverAuth`, dotted OIDs for others); `None` when absent.
    pub extended_key_usage: Option<Vec<String>>,
    pub self_issued: bool,
    /// DER size in bytes.
    pub der_size: usize,
    /// DER size of the subject name, which counts toward the trust-store subject quota.
    pub subject_size: usize,
    /// SHA-256 of the DER, upper-case hex.
    pub sha256: String,
}

/// Public-key type and strength.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    pub algorithm: KeyAlgorithm,
    /// Modulus size for RSA, field size for EC keys.
    pub bits: Option<u32>,
    /// NIST curve name (`P-256`) or the curve OID when unnamed.
    pub curve: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAlgorithm {
    Rsa,
    RsaPss,
    Ecdsa,
    Ed25519,
    Ed448,
    Dsa,
    /// Any other algorithm, by OID.
    Other(String),
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.algorithm, self.bits, &self.curve) {
            (KeyAlgorithm::Rsa, Some(bits), _) => write!(f, "RSA {bits} bits"),
            (KeyAlgorithm::RsaPss, Some(bits), _) => write!(f, "RSASSA-PSS {bits} bits"),
            (KeyAlgorithm::Ecdsa, _, Some(curve)) => write!(f, "ECDSA {curve}"),
            (KeyAlgorithm::Ed25519, _, _) => f.write_str("Ed25519"),
            (KeyAlgorithm::Ed448, _, _) => f.write_str("Ed448"),
            (KeyAlgorithm::Dsa, _, _) => f.write_str("DSA"),
            (KeyAlgorithm::Other(oid), _, _) => write!(f, "unknown key algorithm {oid}"),
            (alg, _, _) => write!(f, "{alg:?} (unreadable parameters)"),
        }
    }
}

impl CertInfo {
    /// Whether `at` lies within notBefore..=notAfter.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// `#2 CN=Example Root` — how findings name a certificate.
    pub fn label(&self) -> String {
        format!("#{} {}", self.position, self.subject)
    }

    /// Why ALB refuses this certificate's public key, if it does.
    pub fn key_problem(&self) -> Option<String> {
        self.key_problem_for(Target::Alb)
    }

    /// Why ALB refuses this certificate's signature algorithm, if it does.
    pub fn signature_problem(&self) -> Option<String> {
        self.signature_problem_for(Target::Alb)
    }

    /// Why `target` refuses this certificate's public key, if it does.
    pub fn key_problem_for(&self, target: Target) -> Option<String> {
        key_problem(&self.key, target)
    }

    /// Why `target` refuses this certificate's signature algorithm, if it does. Both
    /// services take the same list: SHA-256 or stronger with RSA, ECDSA or RSASSA-PSS.
    pub fn signature_problem_for(&self, target: Target) -> Option<String> {
        if SHA2_SIGNATURES.contains(&self.signature_algorithm.as_str()) {
            None
        } else {
            Some(format!(
                "signature algorithm {} is not supported; {target} accepts SHA-256/384/512 with RSA, ECDSA or RSASSA-PSS",
                self.signature_algorithm
            ))
        }
    }

    /// Whether the serial number is negative, which ALB cannot revoke through a CRL.
    pub fn has_negative_serial(&self) -> bool {
        self.serial.starts_with('-')
    }
}

/// RFC 3339 with a `Z`, second precision: the form used in every text report.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Signature algorithms ALB and API Gateway accept, in the spelling [`signature_name`] produces.
const SHA2_SIGNATURES: &[&str] = &[
    "sha256WithRSAEncryption",
    "sha384WithRSAEncryption",
    "sha512WithRSAEncryption",
    "ecdsa-with-SHA256",
    "ecdsa-with-SHA384",
    "ecdsa-with-SHA512",
    "rsassaPss with SHA-256",
    "rsassaPss with SHA-384",
    "rsassaPss with SHA-512",
];

/// ALB: RSA 2048-8192 bits or ECDSA P-256/384/521. API Gateway: RSA 2048 bits or more
/// (no upper limit) or ECDSA of 256 bits or more, which among named curves are the same three.
pub(crate) fn key_problem(key: &KeyInfo, target: Target) -> Option<String> {
    let ok = match (&key.algorithm, key.bits, key.curve.as_deref()) {
        (KeyAlgorithm::Rsa | KeyAlgorithm::RsaPss, Some(bits), _) => match target {
            Target::Alb => (2048..=8192).contains(&bits),
            Target::ApiGateway => bits >= 2048,
        },
        (KeyAlgorithm::Ecdsa, _, Some(curve)) => matches!(curve, "P-256" | "P-384" | "P-521"),
        _ => false,
    };
    let accepted = match target {
        Target::Alb => "ALB accepts RSA 2048-8192 bits or ECDSA P-256, P-384, P-521",
        Target::ApiGateway => "API Gateway accepts RSA of 2048 bits or more or ECDSA of 256 bits or more (P-256, P-384, P-521)",
    };
    (!ok).then(|| format!("public key {key} is not supported; {accepted}"))
}

/// Reads every certificate from PEM (`CERTIFICATE` blocks; other blocks such as keys are
/// skipped) or from a single DER certificate. Returns the DER of each, in file order.
pub fn read_certificates(name: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, PkiError> {
    if contains(bytes, b"-----BEGIN") {
        let blocks = ::pem::parse_many(bytes).map_err(|e| PkiError::BadPem { name: name.to_string(), reason: e.to_string() })?;
        let ders: Vec<Vec<u8>> = blocks
            .into_iter()
            .filter(|p| p.tag() == "CERTIFICATE" || p.tag() == "X509 CERTIFICATE")
            .map(::pem::Pem::into_contents)
            .collect();
        if ders.is_empty() {
            return Err(PkiError::NoCertificate { name: name.to_string() });
        }
        Ok(ders)
    } else if bytes.first() == Some(&0x30) {
        Ok(vec![bytes.to_vec()])
    } else {
        Err(PkiError::NoCertificate { name: name.to_string() })
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Describes one DER certificate. `position` is its 1-based place in `name`.
pub fn describe_certificate(name: &str, position: usize, der: &[u8]) -> Result<CertInfo, PkiError> {
    let bad = |reason: String| PkiError::BadCertificate { name: name.to_string(), position, reason };
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes of trailing data after the certificate", rest.len())));
    }
    let basic = cert.basic_constraints().map_err(|e| bad(format!("basic constraints: {e}")))?;
    let key_usage = cert.key_usage().map_err(|e| bad(format!("key usage: {e}")))?;
    let eku = cert.extended_key_usage().map_err(|e| bad(format!("extended key usage: {e}")))?;
    let subject = rfc2253(cert.subject());
    let issuer = rfc2253(cert.issuer());
    Ok(CertInfo {
        position,
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        subject,
        issuer,
        version: cert.version().0 + 1,
        serial: SerialNumber::from_der_integer(cert.raw_serial()).to_string(),
        not_before: asn1_to_utc(cert.validity().not_before),
        not_after: asn1_to_utc(cert.validity().not_after),
        key: key_info(cert.public_key()),
        signature_algorithm: signature_name(&cert.signature_algorithm),
        is_ca: basic.as_ref().map(|b| b.value.ca),
        path_len_constraint: basic.and_then(|b| b.value.path_len_constraint),
        key_usage: key_usage.map(|ku| key_usage_names(ku.value)),
        extended_key_usage: eku.map(|e| eku_names(e.value)),
        der_size: der.len(),
        subject_size: cert.subject().as_raw().len(),
        sha256: hex_upper(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref()),
    })
}

pub(crate) fn asn1_to_utc(t: ASN1Time) -> DateTime<Utc> {
    // ASN1Time spans years 0..=9999, inside chrono's range; the fallback is unreachable in practice.
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

fn key_usage_names(ku: &KeyUsage) -> Vec<String> {
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect()
}

fn eku_names(eku: &ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut names: Vec<String> = [
        (eku.any, "anyExtendedKeyUsage"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_string())
    .collect();
    names.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    names
}

pub(crate) fn key_info(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
    let oid = spki.algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => Some(bit_length(rsa.modulus)),
                _ => None,
            };
            let algorithm = if oid.ends_with(".1") { KeyAlgorithm::Rsa } else { KeyAlgorithm::RsaPss };
            KeyInfo { algorithm, bits, curve: None }
        }
        "1.2.840.10045.2.1" => {
            let curve_oid = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
            let (curve, bits) = match curve_oid.as_deref() {
                Some("1.2.840.10045.3.1.7") => (Some("P-256".to_string()), Some(256)),
                Some("1.3.132.0.34") => (Some("P-384".to_string()), Some(384)),
                Some("1.3.132.0.35") => (Some("P-521".to_string()), Some(521)),
                Some("1.3.132.0.10") => (Some("secp256k1".to_string()), Some(256)),
                Some(other) => (Some(other.to_string()), None),
                None => (None, None),
            };
            KeyInfo { algorithm: KeyAlgorithm::Ecdsa, bits, curve }
        }
        "1.3.101.112" => KeyInfo { algorithm: KeyAlgorithm::Ed25519, bits: Some(256), curve: None },
        "1.3.101.113" => KeyInfo { algorithm: KeyAlgorithm::Ed448, bits: Some(456), curve: None },
        "1.2.840.10040.4.1" => KeyInfo { algorithm: KeyAlgorithm::Dsa, bits: None, curve: None },
        _ => KeyInfo { algorithm: KeyAlgorithm::Other(oid), bits: None, curve: None },
    }
}

fn bit_length(unsigned_be: &[u8]) -> u32 {
    match unsigned_be.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => {
            let len = u32::try_from(unsigned_be.len() - i).unwrap_or(u32::MAX / 8);
            (len - 1) * 8 + (8 - unsigned_be[i].leading_zeros())
        }
    }
}

/// Signature algorithm in OpenSSL's spelling; RSASSA-PSS carries its hash.
pub(crate) fn signature_name(alg: &AlgorithmIdentifier<'_>) -> String {
    let oid = alg.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        "1.3.101.113" => "ED448",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.2.840.113549.1.1.10" => {
            let hash =
                alg.parameters.as_ref().and_then(|p| RsaSsaPssParams::try_from(p).ok()).map(|p| p.hash_algorithm_oid().to_id_string());
            return match hash.as_deref() {
                // RFC 4055: absent hash parameters mean SHA-1.
                None | Some("1.3.14.3.2.26") => "rsassaPss with SHA-1".to_string(),
                Some("2.16.840.1.101.3.4.2.1") => "rsassaPss with SHA-256".to_string(),
                Some("2.16.840.1.101.3.4.2.2") => "rsassaPss with SHA-384".to_string(),
                Some("2.16.840.1.101.3.4.2.3") => "rsassaPss with SHA-512".to_string(),
                Some(other) => format!("rsassaPss with hash {other}"),
            };
        }
        _ => return oid,
    };
    name.to_string()
}

/// RFC 2253 rendering: last RDN first, `,` between RDNs, `+` inside multi-valued RDNs,
/// special characters escaped. Attribute names follow OpenSSL (`emailAddress`).
pub(crate) fn rfc2253(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name.iter_rdn().map(|rdn| rdn.iter().map(attribute_2253).collect::<Vec<_>>().join("+")).collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn attribute_2253(atv: &AttributeTypeAndValue<'_>) -> String {
    let oid = atv.attr_type().to_id_string();
    let key = match oid.as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.12" => "title",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => oid.as_str(),
    };
    match atv.as_str() {
        Ok(value) => format!("{key}={}", escape_2253(value)),
        Err(_) => format!("{key}=#{}", hex_upper(atv.attr_value().data)),
    }
}

fn escape_2253(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let needs = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') || (i == 0 && (c == '#' || c == ' ')) || (i == last && c == ' ');
        if needs {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{bit_length, escape_2253};

    #[test]
    fn rfc2253_escapes_specials_and_edge_spaces() {
        assert_eq!(escape_2253("Root, Inc"), "Root\\, Inc");
        assert_eq!(escape_2253("#1 a+b "), "\\#1 a\\+b\\ ");
        assert_eq!(escape_2253(" x"), "\\ x");
    }

    #[test]
    fn key_sizes() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
    }
}
