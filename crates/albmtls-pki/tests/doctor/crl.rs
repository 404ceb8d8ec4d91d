//! CRL inspect / convert / contains.

use albmtls_pki::{CrlFormat, CrlSignatureStatus, PkiError, SerialNumber, Severity, TrustStore, convert_crl, crl_contains, inspect_crl};

use crate::Text;
use crate::pki::{Ca, at, fixture};

#[test]
fn inspect_reports_fields_and_verifies_the_signer() {
    let root = Ca::root_named("Root CA");
    let crl = root.crl(&[3, 4, 5]);
    let pem = crl.pem().unwrap();
    let bundle = format!("{}{}", Ca::root_named("Unrelated").pem(), root.pem());
    let store = TrustStore::from_bundle("ca.pem", bundle.as_bytes()).unwrap();
    let report = inspect_crl("crl.pem", pem.as_bytes(), Some(&store), at()).unwrap();
    assert_eq!(report.issuer, "CN=Root CA,O=Example Co,C=US");
    assert_eq!(report.entry_count, 3);
    assert_eq!(report.format, CrlFormat::Pem);
    assert_eq!(report.crl_number.as_deref(), Some("7"));
    assert_eq!(report.this_update.to_rfc3339(), "2025-06-01T00:00:00+00:00");
    let sig = report.signature.as_ref().unwrap();
    assert_eq!((sig.status, sig.ca_position), (CrlSignatureStatus::Verified, Some(2)));
    assert!(report.findings.is_empty(), "{report:?}");
    let text = report.text();
    assert!(text.contains("    signer:       signed by a bundle CA (bundle #2 CN=Root CA,O=Example Co,C=US) [ca.pem]"), "{text}");

    let impostor = Ca::root_named("Root CA");
    let forged = impostor.crl(&[3]).pem().unwrap();
    let report = inspect_crl("forged.pem", forged.as_bytes(), Some(&store), at()).unwrap();
    assert_eq!(report.signature.as_ref().unwrap().status, CrlSignatureStatus::BadSignature);
    assert!(report.has_errors());

    let other = TrustStore::from_bundle("other.pem", Ca::root_named("Other").pem().as_bytes()).unwrap();
    let report = inspect_crl("crl.pem", pem.as_bytes(), Some(&other), at()).unwrap();
    assert_eq!(report.signature.unwrap().status, CrlSignatureStatus::NoIssuerInBundle);

    let later = chrono::DateTime::parse_from_rfc3339("2036-01-01T00:00:00Z").unwrap().to_utc();
    let stale = inspect_crl("crl.pem", pem.as_bytes(), None, later).unwrap();
    assert!(stale.findings[0].message.starts_with("past its next update (2035-06-01T00:00:00Z)"));
}

#[test]
fn negative_serials_are_flagged() {
    let bytes = fixture("negative-serial.crl.pem");
    let report = inspect_crl("neg.pem", &bytes, None, at()).unwrap();
    assert_eq!(report.entry_count, 2);
    let negative: Vec<String> = report.negative_serials.iter().map(ToString::to_string).collect();
    assert_eq!(negative, ["-05"]);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert!(report.findings[0].message.contains("ALB cannot revoke certificates with negative serials"));
    assert_eq!(serde_json::to_value(&report).unwrap()["negative_serials"][0], "-05");
}

#[test]
fn contains_compares_serials_numerically() {
    let bytes = fixture("negative-serial.crl.pem");
    for input in ["1001", "0x1001", "10:01", "00001001", "  001001 "] {
        let found = crl_contains("neg.pem", &bytes, input).unwrap();
        assert!(found.revoked, "{input}");
        assert_eq!(found.serial.to_string(), "1001");
    }
    assert!(crl_contains("neg.pem", &bytes, "-05").unwrap().revoked);
    assert!(!crl_contains("neg.pem", &bytes, "05").unwrap().revoked);
    let missing = crl_contains("neg.pem", &bytes, "1002").unwrap();
    assert_eq!(missing.text(), "serial 1002 is not in neg.pem (issuer CN=Fixture v3 CA)");

    let root = Ca::root_named("Root CA");
    let crl = root.crl(&[0xFE]);
    let hit = crl_contains("crl.der", crl.der().as_ref(), "fe").unwrap();
    assert_eq!(
        hit.text(),
        "serial FE is REVOKED by crl.der (issuer CN=Root CA,O=Example Co,C=US) on 2025-06-01T00:00:00Z, reason keyCompromise"
    );
    let err = crl_contains("crl.der", crl.der().as_ref(), "xyz").unwrap_err();
    assert!(matches!(err, PkiError::BadSerial { .. }));
    assert_eq!(
        err.to_string(),
        "serial number `xyz` is not valid: `x` is not a hex digit; give it in hex as in the log, e.g. `02` or `FE:F2:57:37`"
    );
    assert_eq!(SerialNumber::parse_hex("FEF257372D5C14D4").unwrap().to_string(), "FEF257372D5C14D4");
}

#[test]
fn convert_round_trips() {
    let pem = fixture("negative-serial.crl.pem");
    let der = fixture("negative-serial.crl.der");
    assert_eq!(convert_crl("neg.pem", &pem, CrlFormat::Der).unwrap(), der);
    let back = convert_crl("neg.der", &der, CrlFormat::Pem).unwrap();
    assert_eq!(String::from_utf8(back).unwrap(), String::from_utf8(pem).unwrap());
    let report = inspect_crl("neg.der", &der, None, at()).unwrap();
    assert!(report.findings.iter().any(|f| f.message.contains("the file is DER")));
}

#[test]
fn bad_crl_inputs_are_errors() {
    let err = inspect_crl("x.crl", b"not a crl", None, at()).unwrap_err();
    assert!(err.to_string().starts_with("x.crl: not a CRL"), "{err}");
    let pem = String::from_utf8(fixture("negative-serial.crl.pem")).unwrap();
    let err = inspect_crl("two.pem", format!("{pem}{pem}").as_bytes(), None, at()).unwrap_err();
    assert_eq!(err.to_string(), "two.pem: holds 2 CRLs; a revocation file for ALB holds one CRL, split it into 2 files");
    assert!(matches!(convert_crl("cert.pem", &fixture("v3-ca.pem"), CrlFormat::Der), Err(PkiError::BadCrl { .. })));
}
