//! Test PKI builders.

use chrono::{DateTime, TimeZone, Utc};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber, date_time_ymd,
};

/// The check time used throughout: 2026-01-01T00:00:00Z.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn ec_key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

/// RSA keys come from fixtures: rcgen's ring backend cannot generate them.
pub fn rsa_key(which: &str) -> KeyPair {
    let pem = String::from_utf8(fixture(&format!("rsa2048-{which}.key"))).unwrap();
    KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "US");
    dn.push(DnType::OrganizationName, "Example Co");
    dn.push(DnType::CommonName, cn);
    dn
}

pub fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p.not_before = date_time_ymd(2020, 1, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    p.serial_number = Some(SerialNumber::from(vec![0x01]));
    p
}

pub fn leaf_params(cn: &str, serial: u8) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.not_before = date_time_ymd(2024, 1, 1);
    p.not_after = date_time_ymd(2030, 1, 1);
    p.serial_number = Some(SerialNumber::from(vec![serial]));
    p
}

/// A CA: its certificate and the issuer that signs with its key.
pub struct Ca {
    pub cert: Certificate,
    pub issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn root(params: CertificateParams, key: KeyPair) -> Ca {
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, issuer: Issuer::new(params, key) }
    }

    pub fn root_named(cn: &str) -> Ca {
        Ca::root(ca_params(cn), ec_key())
    }

    pub fn sub(&self, params: CertificateParams, key: KeyPair) -> Ca {
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Ca { cert, issuer: Issuer::new(params, key) }
    }

    pub fn sign(&self, params: CertificateParams, key: &KeyPair) -> Certificate {
        params.signed_by(key, &self.issuer).unwrap()
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A CRL from this CA revoking `serials` on 2025-06-01.
    pub fn crl(&self, serials: &[u8]) -> rcgen::CertificateRevocationList {
        CertificateRevocationListParams {
            this_update: date_time_ymd(2025, 6, 1),
            next_update: date_time_ymd(2035, 6, 1),
            crl_number: SerialNumber::from(vec![7]),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(vec![*s]),
                    revocation_time: date_time_ymd(2025, 6, 1),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .unwrap()
    }
}

/// PEM of several certificates, concatenated in order.
pub fn chain_pem(certs: &[&Certificate]) -> String {
    certs.iter().map(|c| c.pem()).collect()
}

/// Panics unless `openssl` runs here: the cross-checks need it, and without it they fail
/// (CI installs it), never skip.
pub fn require_openssl() {
    let ok = std::process::Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(ok, "openssl is not on PATH: install it (apt-get install openssl) to run the doctor's openssl cross-checks");
}
