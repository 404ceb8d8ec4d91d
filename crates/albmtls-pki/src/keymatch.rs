//! `cert check --key/--csr`: do the private key, the CSR and the certificate belong
//! together? They do when their public keys are equal.

use aws_lc_rs::signature::KeyPair;
use serde::Serialize;
use x509_parser::der_parser::ber::BerObjectContent;
use x509_parser::der_parser::der::parse_der;
use x509_parser::prelude::{FromDer, X509CertificationRequest};

use crate::cert::{CertInfo, describe_certificate, key_info, read_certificates};
use crate::error::PkiError;

/// One input compared with the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyMatchItem {
    pub name: String,
    /// `private_key` or `csr`.
    pub kind: &'static str,
    pub matches: bool,
    /// What was compared, or why it differs.
    pub detail: String,
}

/// The result of [`check_key_match`].
#[derive(Debug, Clone, Serialize)]
pub struct KeyMatchReport {
    pub certificate: CertInfo,
    pub items: Vec<KeyMatchItem>,
}

impl KeyMatchReport {
    /// Whether every given input matches the certificate.
    pub fn all_match(&self) -> bool {
        self.items.iter().all(|i| i.matches)
    }
}

/// Compares the public key of the first certificate in `cert` with that of a private key
/// and/or a CSR (each `(name, bytes)`, PEM).
pub fn check_key_match(cert: (&str, &[u8]), key: Option<(&str, &[u8])>, csr: Option<(&str, &[u8])>) -> Result<KeyMatchReport, PkiError> {
    let ders = read_certificates(cert.0, cert.1)?;
    let info = describe_certificate(cert.0, 1, &ders[0])?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&ders[0]).map_err(|e| PkiError::BadCertificate {
        name: cert.0.to_string(),
        position: 1,
        reason: e.to_string(),
    })?;
    let cert_key: Vec<u8> = parsed.public_key().subject_public_key.data.to_vec();
    let mut items = Vec::new();
    if let Some((name, bytes)) = key {
        let public = private_key_public_bytes(name, bytes)?;
        let matches = public == cert_key;
        let detail = if matches {
            "same public key".to_string()
        } else {
            "the key's public half differs from the certificate's: this key did not request this certificate".to_string()
        };
        items.push(KeyMatchItem { name: name.to_string(), kind: "private_key", matches, detail });
    }
    if let Some((name, bytes)) = csr {
        let bad = |reason: String| PkiError::BadCsr { name: name.to_string(), reason };
        let block = ::pem::parse_many(bytes)
            .map_err(|e| bad(e.to_string()))?
            .into_iter()
            .find(|p| p.tag() == "CERTIFICATE REQUEST" || p.tag() == "NEW CERTIFICATE REQUEST")
            .ok_or_else(|| bad("no CERTIFICATE REQUEST block".to_string()))?;
        let (_, request) = X509CertificationRequest::from_der(block.contents()).map_err(|e| bad(e.to_string()))?;
        let spki = &request.certification_request_info.subject_pki;
        let matches = spki.subject_public_key.data.as_ref() == cert_key.as_slice();
        let detail = if matches { "same public key".to_string() } else { format!("the CSR carries a different key ({})", key_info(spki)) };
        items.push(KeyMatchItem { name: name.to_string(), kind: "csr", matches, detail });
    }
    Ok(KeyMatchReport { certificate: info, items })
}

/// The public key as it appears in a certificate's subjectPublicKey BIT STRING.
fn private_key_public_bytes(name: &str, bytes: &[u8]) -> Result<Vec<u8>, PkiError> {
    let bad = |reason: &str| PkiError::BadKey { name: name.to_string(), reason: reason.to_string() };
    let blocks = ::pem::parse_many(bytes).map_err(|e| bad(&e.to_string()))?;
    if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") || contains_proc_type(&blocks) {
        return Err(PkiError::EncryptedKey { name: name.to_string() });
    }
    let block = blocks.iter().find(|b| b.tag().ends_with("PRIVATE KEY")).ok_or_else(|| bad("no PRIVATE KEY block"))?;
    let der = block.contents();
    match block.tag() {
        "PRIVATE KEY" => pkcs8_public(der).ok_or_else(|| bad("unsupported or corrupt PKCS#8 key")),
        "RSA PRIVATE KEY" => aws_lc_rs::rsa::KeyPair::from_der(der)
            .map(|k| k.public_key().as_ref().to_vec())
            .map_err(|e| bad(&format!("RSA key rejected: {e}"))),
        "EC PRIVATE KEY" => sec1_public(der).ok_or_else(|| bad("EC key without embedded public key, or corrupt")),
        other => Err(bad(&format!("unsupported key type `{other}`"))),
    }
}

fn contains_proc_type(blocks: &[::pem::Pem]) -> bool {
    blocks.iter().any(|b| b.headers().get("Proc-Type").is_some())
}

fn pkcs8_public(der: &[u8]) -> Option<Vec<u8>> {
    if let Ok(rsa) = aws_lc_rs::rsa::KeyPair::from_pkcs8(der) {
        return Some(rsa.public_key().as_ref().to_vec());
    }
    if let Ok(ed) = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        return Some(ed.public_key().as_ref().to_vec());
    }
    for alg in [
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        &aws_lc_rs::signature::ECDSA_P521_SHA512_ASN1_SIGNING,
    ] {
        if let Ok(ec) = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, der) {
            return Some(ec.public_key().as_ref().to_vec());
        }
    }
    // Other curves: the PKCS#8 body is a SEC1 key; read its public key directly.
    let (_, outer) = parse_der(der).ok()?;
    let items = outer.as_sequence().ok()?;
    let inner = items.get(2)?.as_slice().ok()?;
    sec1_public(inner)
}

/// SEC1 `ECPrivateKey`: the optional `[1] publicKey BIT STRING`.
fn sec1_public(der: &[u8]) -> Option<Vec<u8>> {
    let (_, key) = parse_der(der).ok()?;
    for item in key.as_sequence().ok()? {
        if item.header.tag().0 == 1 && item.header.is_contextspecific() {
            let (_, bits) = parse_der(item.as_slice().ok()?).ok()?;
            if let BerObjectContent::BitString(_, data) = bits.content {
                return Some(data.data.to_vec());
            }
        }
    }
    None
}
