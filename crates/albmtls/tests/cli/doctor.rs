//! The doctor commands end to end: a real PKI made with rcgen, files on disk, exit codes.

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber, date_time_ymd,
};

use crate::harness::TestDir;

fn key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn named(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Example Co");
    dn.push(DnType::CommonName, cn);
    dn
}

/// Writes ca.pem, good.pem (+ good.key), revoked.pem (serial 03), expired.pem and crl.pem.
fn pki(t: &TestDir) {
    let mut ca = CertificateParams::default();
    ca.distinguished_name = named("Test Root CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2020, 1, 1);
    ca.not_after = date_time_ymd(2040, 1, 1);
    let ca_key = key();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    t.write("ca.pem", ca_cert.pem().as_bytes());
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |cn: &str, serial: u8, until: (i32, u8, u8)| {
        let mut p = CertificateParams::default();
        p.distinguished_name = named(cn);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.not_before = date_time_ymd(2024, 1, 1);
        p.not_after = date_time_ymd(until.0, until.1, until.2);
        p.serial_number = Some(SerialNumber::from(vec![serial]));
        let k = key();
        (p.signed_by(&k, &issuer).unwrap(), k)
    };
    let (good, good_key) = leaf("good.example.com", 2, (2039, 1, 1));
    t.write("good.pem", good.pem().as_bytes());
    t.write("good.key", good_key.serialize_pem().as_bytes());
    t.write("other.key", key().serialize_pem().as_bytes());
    t.write("revoked.pem", leaf("revoked.example.com", 3, (2039, 1, 1)).0.pem().as_bytes());
    t.write("expired.pem", leaf("expired.example.com", 4, (2025, 1, 1)).0.pem().as_bytes());
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2025, 6, 1),
        next_update: date_time_ymd(2039, 6, 1),
        crl_number: SerialNumber::from(vec![1]),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(vec![3]),
            revocation_time: date_time_ymd(2025, 6, 1),
            reason_code: Some(rcgen::RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    t.write("crl.pem", crl.pem().unwrap().as_bytes());
}

#[test]
fn bundle_check_accepts_a_good_bundle_and_rejects_file_rule_breaks() {
    let t = TestDir::new();
    pki(&t);
    let ok = t.run(&["bundle", "check", "ca.pem"]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("CN=Test Root CA"), "{}", ok.stdout);
    let ca = std::fs::read_to_string(t.path().join("ca.pem")).unwrap();
    t.write("bad.pem", format!("# prod - CAs\n{ca}\n{ca}").as_bytes());
    let bad = t.run(&["bundle", "check", "--format", "json", "bad.pem"]);
    assert_eq!(bad.code, 1, "ALB would reject it: exit 1");
    let json = bad.json();
    assert_eq!(json["would_reject"], true);
    let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"comment_with_dash") && rules.contains(&"blank_line"), "{rules:?}");
}

#[test]
fn cert_check_gives_alb_verdicts_with_what_to_do() {
    let t = TestDir::new();
    pki(&t);
    let good = t.run(&["cert", "check", "--bundle", "ca.pem", "--crl", "crl.pem", "--key", "good.key", "good.pem"]);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    assert!(good.stdout.contains("tls_verify_status: Success"), "{}", good.stdout);

    let expired = t.run(&["cert", "check", "--bundle", "ca.pem", "expired.pem"]);
    assert_eq!(expired.code, 1);
    assert!(expired.stdout.contains("tls_verify_status: Failed:ClientCertExpired"), "{}", expired.stdout);
    assert!(
        expired.stdout.contains("What to do (") && expired.stdout.contains("albmtls explain Failed:ClientCertExpired"),
        "{}",
        expired.stdout
    );
    let before = t.run(&["cert", "check", "--bundle", "ca.pem", "--at", "2024-06-01", "expired.pem"]);
    assert_eq!(before.code, 0, "valid at the time asked about: {}", before.stdout);
    let waived = t.run(&["cert", "check", "--bundle", "ca.pem", "--ignore-expiry", "expired.pem"]);
    assert_eq!(waived.code, 0, "{}", waived.stdout);

    let revoked = t.run(&["cert", "check", "--bundle", "ca.pem", "--crl", "crl.pem", "--format", "json", "revoked.pem"]);
    assert_eq!(revoked.code, 1);
    let json = revoked.json();
    assert_eq!(json["tls_verify_status"], "Failed:ClientCertCrlHit");
    assert_eq!(json["remediation"]["status"], "Failed:ClientCertCrlHit");

    let wrong_key = t.run(&["cert", "check", "--bundle", "ca.pem", "--key", "other.key", "good.pem"]);
    assert_eq!(wrong_key.code, 1, "a key that does not match fails the check: {}", wrong_key.stdout);

    let missing = t.run(&["cert", "check", "--bundle", "nope.pem", "good.pem"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("nope.pem: cannot read it"), "{}", missing.stderr);
}

#[test]
fn crl_inspect_contains_and_convert_round_trip() {
    let t = TestDir::new();
    pki(&t);
    let inspect = t.run(&["crl", "inspect", "--bundle", "ca.pem", "crl.pem"]);
    assert_eq!(inspect.code, 0, "{}{}", inspect.stdout, inspect.stderr);
    assert!(inspect.stdout.contains("CN=Test Root CA"), "{}", inspect.stdout);
    assert_eq!(t.run(&["crl", "contains", "03", "crl.pem"]).code, 0);
    assert_eq!(t.run(&["crl", "contains", "0x0003", "crl.pem"]).code, 0);
    assert_eq!(t.run(&["crl", "contains", "04", "crl.pem"]).code, 1);
    assert_eq!(t.run(&["crl", "convert", "--to", "der", "-o", "crl.der", "crl.pem"]).code, 0);
    let der = std::fs::read(t.path().join("crl.der")).unwrap();
    assert_eq!(der[0], 0x30, "DER starts with a SEQUENCE");
    let back = t.run(&["crl", "convert", "--to", "pem", "crl.der"]);
    assert_eq!(back.stdout, std::fs::read_to_string(t.path().join("crl.pem")).unwrap().replace("\r\n", "\n"));
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".albmtls-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left behind");
}

#[test]
fn headers_decode_url_encoded_chain_and_check_it() {
    let t = TestDir::new();
    pki(&t);
    let pem = std::fs::read_to_string(t.path().join("good.pem")).unwrap();
    let encoded = pem.replace(' ', "%20").replace('\n', "%0A").replace('=', "%3D");
    let request = format!("GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Amzn-Mtls-Clientcert: {encoded}\r\n\r\n");
    let run = t.run_with_stdin(&["headers", "decode", "--bundle", "ca.pem", "--format", "json", "-"], Some(request.as_bytes()));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["check"]["tls_verify_status"], "Success");
    assert!(json.to_string().contains("good.example.com"));
}

#[test]
fn negative_serials_are_typed_without_a_double_dash() {
    let t = crate::guide::example_pki();
    let listed = t.run(&["crl", "contains", "-5", "crl.pem"]);
    assert_eq!(listed.code, 1, "ALB ignores the entry, so it does not refuse the certificate: {}{}", listed.stdout, listed.stderr);
    assert!(listed.stdout.starts_with("serial -05 is listed by crl.pem"), "{}", listed.stdout);
    let json = t.run(&["crl", "contains", "--format", "json", "-05", "crl.pem"]).json();
    assert_eq!(
        (json["serial"].as_str(), json["revoked"].as_bool(), json["alb_can_revoke"].as_bool()),
        (Some("-05"), Some(true), Some(false))
    );
    let help = t.run(&["crl", "contains", "-h"]);
    assert_eq!(help.code, 0, "flags still work: {}", help.stderr);
    assert!(help.stdout.contains("Usage: albmtls crl contains"));
}

#[test]
fn bundle_fix_writes_only_a_bundle_worth_uploading() {
    let t = crate::guide::example_pki();
    let missing_output = t.run(&["bundle", "check", "--fix", "bad-bundle.pem"]);
    assert_eq!(missing_output.code, 2);
    assert!(missing_output.stderr.contains("--output"), "{}", missing_output.stderr);
    let fixed =
        t.run(&["bundle", "check", "--at", "2026-11-02T10:00:00Z", "--fix", "-o", "fixed.pem", "--format", "json", "bad-bundle.pem"]);
    assert_eq!(fixed.code, 0, "{}{}", fixed.stdout, fixed.stderr);
    let json = fixed.json();
    assert_eq!(json["written_to"], "fixed.pem");
    assert_eq!(json["dropped"].as_array().unwrap().len(), 3);
    let again = t.run(&["bundle", "check", "--at", "2026-11-02T10:00:00Z", "fixed.pem"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    // Nothing usable left: nothing written, exit 1.
    let none = t.run(&["bundle", "check", "--fix", "-o", "empty.pem", "weak.pem"]);
    assert_eq!(none.code, 1, "{}", none.stdout);
    assert!(none.stdout.ends_with("Nothing written: no certificate is left that ALB accepts.\n"), "{}", none.stdout);
    assert!(!t.path().join("empty.pem").exists());
}

#[test]
fn api_gateway_target_refuses_an_alb_only_option() {
    let t = crate::guide::example_pki();
    let run = t.run(&["cert", "check", "--target", "api-gateway", "--ignore-expiry", "--bundle", "ca-bundle.pem", "laptop.pem"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--ignore-expiry is an ALB listener option; API Gateway does not check expiry at all"), "{}", run.stderr);
    let json = t.run(&["cert", "check", "--target", "api-gateway", "--format", "json", "--bundle", "root.pem", "build-agent-leaf.pem"]);
    assert_eq!(json.code, 1);
    assert_eq!(json.json()["message"], "Access denied. Reason: Could not find issuer for certificate");
}

#[test]
fn api_gateway_target_fails_a_csr_the_certificate_was_not_issued_from() {
    let t = crate::guide::example_pki();
    let base = ["cert", "check", "--target", "api-gateway", "--at", "2026-11-02T10:00:00Z", "--bundle", "ca-bundle.pem"];
    let matching = t.run(&[&base[..], &["--key", "build-agent.key", "build-agent.pem"]].concat());
    assert_eq!(matching.code, 0, "{}{}", matching.stdout, matching.stderr);

    let run = t.run(&[&base[..], &["--key", "build-agent.key", "--csr", "build-agent-renewal.csr", "build-agent.pem"]].concat());
    assert_eq!(run.code, 1, "a CSR of another key fails the check: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("api gateway:       access granted\n"), "the chain itself is fine: {}", run.stdout);
    assert!(
        run.stdout.contains("\n  csr build-agent-renewal.csr DOES NOT MATCH: the CSR carries a different key (ECDSA P-256)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(
            "a client using that key gets API Gateway's \"self signed certificate\": use the key, CSR and certificate of one request\n"
        ),
        "{}",
        run.stdout
    );

    let json = t.run(&[&base[..], &["--format", "json", "--csr", "build-agent-renewal.csr", "build-agent.pem"]].concat());
    assert_eq!(json.code, 1);
    let items = &json.json()["key_match"]["items"];
    assert_eq!((items[0]["kind"].as_str(), items[0]["matches"].as_bool()), (Some("csr"), Some(false)), "{items}");
}
