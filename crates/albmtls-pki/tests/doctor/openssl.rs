//! Where openssl answers the same question, our answer must agree. openssl must be on
//! PATH: these tests fail, never skip, without it.

use std::path::Path;
use std::process::Command;

use albmtls_pki::{CheckOptions, TrustStore, check_client, describe_certificate, inspect_crl, read_certificates};
use rcgen::date_time_ymd;

use crate::pki::{Ca, at, ca_params, ec_key, fixture, fixture_path, leaf_params, require_openssl};

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn verdicts_agree_with_openssl_verify() {
    require_openssl();
    let dir = tempfile::tempdir().unwrap();
    let root = Ca::root_named("Root CA");
    let int = root.sub(ca_params("Issuing CA"), ec_key());
    let good = int.sign(leaf_params("good", 2), &ec_key());
    let mut expired_params = leaf_params("expired", 3);
    expired_params.not_after = date_time_ymd(2025, 1, 1);
    let expired = int.sign(expired_params, &ec_key());
    let stranger = Ca::root_named("Other").sign(leaf_params("stranger", 4), &ec_key());
    let impostor = Ca::root_named("Issuing CA").sign(leaf_params("impostor", 5), &ec_key());
    let ca = write(dir.path(), "ca.pem", &root.pem());
    let untrusted = write(dir.path(), "int.pem", &int.pem());
    let store = TrustStore::from_bundle("ca.pem", root.pem().as_bytes()).unwrap();
    let attime = at().timestamp().to_string();
    for (name, leaf, openssl_says) in [
        ("good", &good, None),
        ("expired", &expired, Some("certificate has expired")),
        ("stranger", &stranger, Some("unable to get local issuer certificate")),
        ("impostor", &impostor, Some("certificate signature failure")),
    ] {
        let leaf_path = write(dir.path(), &format!("{name}.pem"), &leaf.pem());
        let (ok, output) =
            openssl(&["verify", "-attime", &attime, "-purpose", "sslclient", "-CAfile", &ca, "-untrusted", &untrusted, &leaf_path]);
        let client = format!("{}{}", leaf.pem(), int.pem());
        let ours = check_client(&store, name, client.as_bytes(), &CheckOptions::at(at())).unwrap();
        match openssl_says {
            None => {
                assert!(ok, "openssl: {output}");
                assert!(ours.is_success(), "{ours:?}");
            }
            Some(text) => {
                assert!(!ok && output.contains(text), "openssl: {output}");
                let expected = match text {
                    "certificate has expired" => "Failed:ClientCertExpired",
                    "unable to get local issuer certificate" => "Failed:ClientCertUntrusted",
                    _ => "Failed:ClientCertInvalid",
                };
                assert_eq!(ours.tls_verify_status, expected, "{ours:?}");
            }
        }
    }
}

#[test]
fn v1_client_is_rejected_by_both() {
    require_openssl();
    let (_, text) = openssl(&["x509", "-in", &fixture_path("v1-client.pem"), "-noout", "-text"]);
    assert!(text.contains("Version: 1 (0x0)"));
    let info = describe_certificate("v1", 1, &read_certificates("v1", &fixture("v1-client.pem")).unwrap()[0]).unwrap();
    assert_eq!(info.version, 1);
}

#[test]
fn serial_and_subject_agree_with_openssl_x509() {
    require_openssl();
    for file in ["v1-ca.pem", "v3-ca.pem", "rsa1024-ca.pem", "sha1-ca.pem", "v1-client.pem"] {
        let path = fixture_path(file);
        let info = describe_certificate(file, 1, &read_certificates(file, &fixture(file)).unwrap()[0]).unwrap();
        let (_, serial) = openssl(&["x509", "-in", &path, "-noout", "-serial"]);
        let theirs = serial.trim().trim_start_matches("serial=").trim_start_matches('0');
        assert_eq!(info.serial.trim_start_matches('0'), theirs, "{file}");
        let (_, subject) = openssl(&["x509", "-in", &path, "-noout", "-subject", "-nameopt", "RFC2253"]);
        assert_eq!(format!("subject={}", info.subject), subject.trim(), "{file}");
    }
    // A multi-attribute rcgen subject, where RDN order matters.
    let root = Ca::root_named("Root, Inc");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "root.pem", &root.pem());
    let (_, subject) = openssl(&["x509", "-in", &path, "-noout", "-subject", "-nameopt", "RFC2253"]);
    let info = describe_certificate("root", 1, root.cert.der()).unwrap();
    assert_eq!(format!("subject={}", info.subject), subject.trim());
}

#[test]
fn crl_inspection_agrees_with_openssl_crl() {
    require_openssl();
    let (_, text) = openssl(&["crl", "-in", &fixture_path("negative-serial.crl.pem"), "-noout", "-text"]);
    let report = inspect_crl("neg", &fixture("negative-serial.crl.pem"), None, at()).unwrap();
    assert_eq!(text.matches("Serial Number:").count(), report.entry_count);
    assert!(text.contains("Serial Number: -05"));
    let (_, issuer) = openssl(&["crl", "-in", &fixture_path("negative-serial.crl.pem"), "-noout", "-issuer", "-nameopt", "RFC2253"]);
    assert_eq!(format!("issuer={}", report.issuer), issuer.trim());
    let (ok, verify) = openssl(&["crl", "-in", &fixture_path("negative-serial.crl.pem"), "-noout", "-CAfile", &fixture_path("v3-ca.pem")]);
    let store = TrustStore::from_bundle("v3", &fixture("v3-ca.pem")).unwrap();
    let ours = inspect_crl("neg", &fixture("negative-serial.crl.pem"), Some(&store), at()).unwrap();
    assert!(ok && verify.contains("verify OK"), "{verify}");
    assert_eq!(ours.signature.unwrap().status, albmtls_pki::CrlSignatureStatus::Verified);
}

#[test]
fn traditional_key_formats_match_their_certificates() {
    require_openssl();
    let dir = tempfile::tempdir().unwrap();
    let root = Ca::root_named("Root CA");
    let ec = ec_key();
    let ec_cert = root.sign(leaf_params("ec", 2), &ec).pem();
    let pkcs8 = write(dir.path(), "ec.key", &ec.serialize_pem());
    let sec1 = dir.path().join("sec1.key").to_string_lossy().into_owned();
    assert!(openssl(&["ec", "-in", &pkcs8, "-out", &sec1]).0);
    let sec1_pem = std::fs::read(&sec1).unwrap();
    assert!(String::from_utf8_lossy(&sec1_pem).contains("BEGIN EC PRIVATE KEY"));
    let report = albmtls_pki::check_key_match(("ec.pem", ec_cert.as_bytes()), Some(("sec1.key", &sec1_pem)), None).unwrap();
    assert!(report.all_match(), "{report:?}");

    let rsa_cert = root.sign(leaf_params("rsa", 3), &crate::pki::rsa_key("a")).pem();
    let pkcs1 = dir.path().join("pkcs1.key").to_string_lossy().into_owned();
    assert!(openssl(&["rsa", "-in", &fixture_path("rsa2048-a.key"), "-traditional", "-out", &pkcs1]).0);
    let pkcs1_pem = std::fs::read(&pkcs1).unwrap();
    assert!(String::from_utf8_lossy(&pkcs1_pem).contains("BEGIN RSA PRIVATE KEY"));
    let report = albmtls_pki::check_key_match(("rsa.pem", rsa_cert.as_bytes()), Some(("pkcs1.key", &pkcs1_pem)), None).unwrap();
    assert!(report.all_match(), "{report:?}");
}

#[test]
fn p521_and_sha512_chains_get_the_same_verdict_as_openssl() {
    require_openssl();
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let (ok, out) = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-521",
        "-nodes",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
        "-subj",
        "/CN=P521 Root",
        "-days",
        "36500",
        "-sha512",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    assert!(ok, "{out}");
    let (ok, out) = openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &path("c.key"),
        "-out",
        &path("c.csr"),
        "-subj",
        "/CN=p521 client",
    ]);
    assert!(ok, "{out}");
    let ext = write(dir.path(), "client.ext", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
    let (ok, out) = openssl(&[
        "x509",
        "-req",
        "-in",
        &path("c.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-sha256",
        "-days",
        "3650",
        "-out",
        &path("c.pem"),
        "-extfile",
        &ext,
    ]);
    assert!(ok, "{out}");
    let bundle = std::fs::read(path("ca.pem")).unwrap();
    assert!(albmtls_pki::check_bundle("ca.pem", &bundle, chrono::Utc::now()).findings.is_empty(), "P-521 + SHA-512 is allowed in a bundle");
    let store = TrustStore::from_bundle("ca.pem", &bundle).unwrap();
    let client = std::fs::read(path("c.pem")).unwrap();
    let report = check_client(&store, "c.pem", &client, &CheckOptions::at(chrono::Utc::now())).unwrap();
    assert_eq!(report.tls_verify_status, "Success", "{report:?}");
    let (ok, out) = openssl(&["verify", "-purpose", "sslclient", "-CAfile", &path("ca.pem"), &path("c.pem")]);
    assert!(ok && out.contains("OK"), "openssl agrees: {out}");
    let ca_key = std::fs::read(path("ca.key")).unwrap();
    let matched = albmtls_pki::check_key_match(("ca.pem", &bundle), Some(("ca.key", &ca_key)), None).unwrap();
    assert!(matched.all_match(), "a P-521 key matches its certificate: {matched:?}");
}
