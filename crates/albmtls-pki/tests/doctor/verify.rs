//! `cert check`: one test per verdict, asserting what the user reads.

use albmtls_pki::{CertCheckReport, CheckOptions, FailureCode, PkiError, TrustStore, check_client, check_key_match};
use rcgen::{CustomExtension, ExtendedKeyUsagePurpose, KeyUsagePurpose, date_time_ymd};

use crate::Text;
use crate::pki::{Ca, at, ca_params, chain_pem, ec_key, fixture, leaf_params, rsa_key};

fn check(bundle: &str, client: &str) -> CertCheckReport {
    check_with(bundle, &[], client, CheckOptions::at(at()))
}

fn check_with(bundle: &str, crls: &[(&str, &[u8])], client: &str, options: CheckOptions) -> CertCheckReport {
    let mut store = TrustStore::from_bundle("ca.pem", bundle.as_bytes()).unwrap();
    for (name, bytes) in crls {
        store.add_crl(name, bytes).unwrap();
    }
    check_client(&store, "client.pem", client.as_bytes(), &options).unwrap()
}

fn assert_failed(report: &CertCheckReport, code: FailureCode, reason_part: &str) {
    assert_eq!(report.code, Some(code), "{report:?}");
    assert_eq!(report.tls_verify_status, code.status_text());
    assert!(report.reason.contains(reason_part), "reason `{}` lacks `{reason_part}`", report.reason);
    assert!(report.text().starts_with(&format!("tls_verify_status: {}\n", code.status_text())));
}

#[test]
fn ecdsa_chain_with_intermediate_succeeds() {
    let root = Ca::root_named("Root CA");
    let int = root.sub(ca_params("Issuing CA"), ec_key());
    let leaf = int.sign(leaf_params("client one", 0x0A), &ec_key());
    let report = check(&root.pem(), &chain_pem(&[&leaf, &int.cert]));
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.tls_verify_status, "Success");
    let path: Vec<&str> = report.path.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(path, ["client #1", "client #2", "bundle #1"]);
    assert!(
        report.text().contains(
            "path:              CN=client one,O=Example Co,C=US (client #1) -> CN=Issuing CA,O=Example Co,C=US (client #2) -> CN=Root CA,O=Example Co,C=US (bundle #1)"
        ),
        "{report:?}"
    );
    assert_eq!(report.presented[0].serial, "0A");
}

#[test]
fn rsa_chain_succeeds() {
    let root = Ca::root(ca_params("RSA Root"), rsa_key("a"));
    let leaf = root.sign(leaf_params("rsa client", 2), &rsa_key("b"));
    let report = check(&root.pem(), &leaf.pem());
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.presented[0].key.to_string(), "RSA 2048 bits");
    assert_eq!(report.presented[0].signature_algorithm, "sha256WithRSAEncryption");
}

#[test]
fn expired_client_certificate() {
    let root = Ca::root_named("Root CA");
    let mut params = leaf_params("client-expired", 2);
    params.not_before = date_time_ymd(2024, 1, 2);
    params.not_after = date_time_ymd(2024, 4, 2);
    let leaf = root.sign(params, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertExpired, "expired on 2024-04-02T00:00:00Z; checked at 2026-01-01T00:00:00Z");
    assert_eq!(report.certificate.as_deref(), Some("#1 CN=client-expired,O=Example Co,C=US"));
    assert!(report.what_to_check.contains("IgnoreClientCertificateExpiry"));

    let mut ignore = CheckOptions::at(at());
    ignore.ignore_client_certificate_expiry = true;
    let waived = check_with(&root.pem(), &[], &leaf.pem(), ignore);
    assert!(waived.is_success(), "{waived:?}");
    assert!(waived.notes[0].contains("IgnoreClientCertificateExpiry is on"));
}

#[test]
fn expired_intermediate_is_named() {
    let root = Ca::root_named("Root CA");
    let mut int_params = ca_params("Old Issuing CA");
    int_params.not_after = date_time_ymd(2025, 1, 1);
    let int = root.sub(int_params, ec_key());
    let leaf = int.sign(leaf_params("client", 3), &ec_key());
    let report = check(&root.pem(), &chain_pem(&[&leaf, &int.cert]));
    assert_failed(&report, FailureCode::ClientCertExpired, "expired on 2025-01-01T00:00:00Z");
    assert_eq!(report.certificate.as_deref(), Some("#2 CN=Old Issuing CA,O=Example Co,C=US"));
}

#[test]
fn not_yet_valid_client_certificate() {
    let root = Ca::root_named("Root CA");
    let mut params = leaf_params("future client", 2);
    params.not_before = date_time_ymd(2030, 1, 1);
    params.not_after = date_time_ymd(2031, 1, 1);
    let leaf = root.sign(params, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertNotYetValid, "not valid before 2030-01-01T00:00:00Z");
}

#[test]
fn expired_trust_store_ca_fails_with_expired() {
    let mut params = ca_params("Expired Root");
    params.not_before = date_time_ymd(2010, 1, 1);
    params.not_after = date_time_ymd(2025, 1, 1);
    let root = Ca::root(params, ec_key());
    let mut leaf_p = leaf_params("client", 2);
    leaf_p.not_before = date_time_ymd(2024, 1, 1);
    let leaf = root.sign(leaf_p, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertExpired, "the trust-store CA expired on 2025-01-01T00:00:00Z");
    assert_eq!(report.certificate.as_deref(), Some("bundle #1 CN=Expired Root,O=Example Co,C=US"));
}

#[test]
fn unknown_issuer_is_untrusted() {
    let root = Ca::root_named("Root CA");
    let other = Ca::root_named("Other Root");
    let leaf = other.sign(leaf_params("stranger", 2), &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(
        &report,
        FailureCode::ClientCertUntrusted,
        "issued by CN=Other Root,O=Example Co,C=US, which is neither in the trust store (1 CA(s)) nor sent by the client",
    );
    assert!(report.path.is_empty());
}

#[test]
fn missing_intermediate_is_untrusted() {
    let root = Ca::root_named("Root CA");
    let int = root.sub(ca_params("Issuing CA"), ec_key());
    let leaf = int.sign(leaf_params("client", 2), &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertUntrusted, "issued by CN=Issuing CA,O=Example Co,C=US");
    assert!(report.what_to_check.contains("intermediate"));
}

#[test]
fn look_alike_issuer_is_reported() {
    let root = Ca::root_named("Root CA");
    let impostor = Ca::root_named("Root CA");
    let leaf = impostor.sign(leaf_params("client", 2), &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    // Same issuer name, different key: the signature check fails, as openssl's
    // "certificate signature failure" (see the openssl tests).
    assert_failed(
        &report,
        FailureCode::ClientCertInvalid,
        "a signature in the chain does not verify (issuer CN=Root CA,O=Example Co,C=US is known by name",
    );
}

#[test]
fn revoked_client_certificate_is_a_crl_hit() {
    let root = Ca::root_named("Root CA");
    let leaf = root.sign(leaf_params("revoked client", 0x2A), &ec_key());
    let crl = root.crl(&[0x29, 0x2A]);
    let pem = crl.pem().unwrap();
    let report = check_with(&root.pem(), &[("crl.pem", pem.as_bytes())], &leaf.pem(), CheckOptions::at(at()));
    assert_failed(
        &report,
        FailureCode::ClientCertCrlHit,
        "serial 2A is revoked by CRL crl.pem (revoked 2025-06-01T00:00:00Z, reason keyCompromise)",
    );
    // A certificate the CRL does not list still passes.
    let fine = root.sign(leaf_params("good client", 0x2B), &ec_key());
    let ok = check_with(&root.pem(), &[("crl.pem", pem.as_bytes())], &fine.pem(), CheckOptions::at(at()));
    assert!(ok.is_success(), "{ok:?}");
}

#[test]
fn crl_signed_by_another_key_is_a_processing_error() {
    let root = Ca::root_named("Root CA");
    let impostor = Ca::root_named("Root CA");
    let leaf = root.sign(leaf_params("client", 5), &ec_key());
    let crl = impostor.crl(&[9]);
    let report = check_with(&root.pem(), &[("bad.crl", crl.der().as_ref())], &leaf.pem(), CheckOptions::at(at()));
    assert_failed(&report, FailureCode::ClientCertCrlProcessingError, "its signature does not verify with the issuing CA's key");
}

#[test]
fn crl_with_negative_serial_fixture_still_processes() {
    // openssl-made CRL revoking 0x1001 (the v1 client) and -0x05.
    let store_pem = String::from_utf8(fixture("v3-ca.pem")).unwrap();
    let mut store = TrustStore::from_bundle("v3-ca.pem", store_pem.as_bytes()).unwrap();
    store.add_crl("negative-serial.crl.pem", &fixture("negative-serial.crl.pem")).unwrap();
    assert_eq!(store.certificates().count(), 1);
}

#[test]
fn chain_deeper_than_four_is_rejected() {
    let root = Ca::root_named("Root CA");
    let i1 = root.sub(ca_params("Int 1"), ec_key());
    let i2 = i1.sub(ca_params("Int 2"), ec_key());
    let i3 = i2.sub(ca_params("Int 3"), ec_key());
    let leaf = i3.sign(leaf_params("deep client", 2), &ec_key());
    let report = check(&root.pem(), &chain_pem(&[&leaf, &i3.cert, &i2.cert, &i1.cert]));
    assert_failed(
        &report,
        FailureCode::ClientCertMaxChainDepthExceeded,
        "the path from the client certificate to the trust-store CA has 5 certificates; ALB's maximum chain depth is 4",
    );
    // Depth 4 (leaf, two intermediates, root) is fine.
    let leaf2 = i2.sign(leaf_params("ok client", 3), &ec_key());
    assert!(check(&root.pem(), &chain_pem(&[&leaf2, &i2.cert, &i1.cert])).is_success());
    // Presenting five certificates fails before any path building.
    let presented = check(&root.pem(), &chain_pem(&[&leaf, &i3.cert, &i2.cert, &i1.cert, &root.cert]));
    assert_failed(&presented, FailureCode::ClientCertMaxChainDepthExceeded, "the client presents 5 certificates");
}

#[test]
fn oversized_chain_exceeds_tls_message_size() {
    let root = Ca::root_named("Root CA");
    let mut params = leaf_params("fat client", 2);
    params.custom_extensions = vec![CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x04; 70_000])];
    let leaf = root.sign(params, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertMaxSizeExceeded, "over ALB's 65536-byte TLS message limit");
    assert!(report.tls_message_size > 70_000);
}

#[test]
fn x509v1_client_certificate_is_type_unsupported() {
    let bundle = String::from_utf8(fixture("v3-ca.pem")).unwrap();
    let client = String::from_utf8(fixture("v1-client.pem")).unwrap();
    let report = check(&bundle, &client);
    assert_failed(&report, FailureCode::ClientCertTypeUnsupported, "X.509v1 certificate; ALB supports only X.509v3");
    assert_eq!(report.certificate.as_deref(), Some("#1 CN=v1 client"));
}

#[test]
fn x509v1_trust_store_ca_is_refused_and_left_out() {
    let ca_pem = String::from_utf8(fixture("v1-ca.pem")).unwrap();
    let key = rsa_key("b");
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, key).unwrap();
    let leaf = leaf_params("client of v1 CA", 4).signed_by(&ec_key(), &issuer).unwrap();
    let report = check(&ca_pem, &leaf.pem());
    // ALB refuses a bundle holding an X.509v1 CA; without it, nothing issued this client.
    assert_failed(
        &report,
        FailureCode::ClientCertUntrusted,
        "which is in the bundle (#1) but breaks ALB's trust-store rules (X.509v1 certificate",
    );
    assert!(report.trust_store_refused() && !report.passes());
    assert!(report.trust_store[0].message.contains("ALB refuses the whole bundle at upload (InvalidCaCertificatesBundle)"), "{report:?}");
}

#[test]
fn ed25519_client_key_is_type_unsupported() {
    let root = Ca::root_named("Root CA");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let leaf = root.sign(leaf_params("ed client", 2), &key);
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertTypeUnsupported, "public key Ed25519 is not supported");
}

#[test]
fn server_only_eku_is_purpose_invalid() {
    let root = Ca::root_named("Root CA");
    let mut params = leaf_params("server cert", 2);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = root.sign(params, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertPurposeInvalid, "extended key usage (serverAuth) lacks clientAuth");
}

#[test]
fn key_usage_without_signature_is_purpose_invalid() {
    let root = Ca::root_named("Root CA");
    let mut params = leaf_params("encipher only", 2);
    params.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let leaf = root.sign(params, &ec_key());
    let report = check(&root.pem(), &leaf.pem());
    assert_failed(&report, FailureCode::ClientCertPurposeInvalid, "key usage (keyEncipherment) allows neither digitalSignature");
}

#[test]
fn ca_certificate_presented_as_client_is_invalid() {
    let root = Ca::root_named("Root CA");
    let int = root.sub(ca_params("Issuing CA"), ec_key());
    let report = check(&root.pem(), &int.pem());
    assert_failed(&report, FailureCode::ClientCertInvalid, "the client certificate is a CA certificate");
}

#[test]
fn garbage_inputs_are_errors_not_panics() {
    let root = Ca::root_named("Root CA");
    let store = TrustStore::from_bundle("ca.pem", root.pem().as_bytes()).unwrap();
    let options = CheckOptions::at(at());
    let err = check_client(&store, "junk.pem", b"hello world", &options).unwrap_err();
    assert!(matches!(err, PkiError::NoCertificate { .. }));
    assert!(err.to_string().starts_with("junk.pem: no certificate found"));
    let broken = "-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0B\n-----END CERTIFICATE-----\n";
    let report = check_client(&store, "broken.pem", broken.as_bytes(), &options).unwrap();
    assert_eq!(report.code, Some(FailureCode::ClientCertInvalid));
    assert!(report.reason.contains("broken.pem: certificate #1 is not valid X.509 DER"), "{}", report.reason);
    assert!(TrustStore::from_bundle("empty.pem", b"").is_err());
    // Arbitrary bytes starting like DER.
    for len in 0..64 {
        let bytes: Vec<u8> = std::iter::once(0x30).chain((0..len).map(|i| (i * 37 % 251) as u8)).collect();
        let _ = check_client(&store, "fuzz.der", &bytes, &options);
        let _ = albmtls_pki::check_bundle("fuzz.der", &bytes, at());
        let _ = albmtls_pki::inspect_crl("fuzz.der", &bytes, Some(&store), at());
    }
    let before_1970 = CheckOptions::at(chrono::DateTime::from_timestamp(-10, 0).unwrap());
    let leaf = root.sign(leaf_params("client", 2), &ec_key());
    assert!(matches!(check_client(&store, "c.pem", leaf.pem().as_bytes(), &before_1970), Err(PkiError::TimeOutOfRange { .. })));
}

#[test]
fn key_and_csr_match_the_certificate() {
    let root = Ca::root_named("Root CA");
    let key = ec_key();
    let mut request = rcgen::CertificateParams::default();
    request.distinguished_name.push(rcgen::DnType::CommonName, "client");
    let csr = request.serialize_request(&key).unwrap().pem().unwrap();
    let leaf = root.sign(leaf_params("client", 2), &key);
    let cert_pem = leaf.pem();
    let key_pem = key.serialize_pem();
    let report =
        check_key_match(("c.pem", cert_pem.as_bytes()), Some(("c.key", key_pem.as_bytes())), Some(("c.csr", csr.as_bytes()))).unwrap();
    assert!(report.all_match(), "{report:?}");

    let other = ec_key().serialize_pem();
    let report = check_key_match(("c.pem", cert_pem.as_bytes()), Some(("other.key", other.as_bytes())), None).unwrap();
    assert!(!report.all_match());
    assert!(report.text().contains("private key other.key DOES NOT MATCH"), "{report:?}");

    // RSA: PKCS#8 fixture key against an rcgen certificate made with it.
    let rsa_leaf = root.sign(leaf_params("rsa", 3), &rsa_key("b"));
    let rsa_pem = String::from_utf8(fixture("rsa2048-b.key")).unwrap();
    let wrong_pem = String::from_utf8(fixture("rsa2048-a.key")).unwrap();
    let leaf_pem = rsa_leaf.pem();
    assert!(check_key_match(("r.pem", leaf_pem.as_bytes()), Some(("b.key", rsa_pem.as_bytes())), None).unwrap().all_match());
    assert!(!check_key_match(("r.pem", leaf_pem.as_bytes()), Some(("a.key", wrong_pem.as_bytes())), None).unwrap().all_match());
}
