//! `--target api-gateway`: API Gateway's mutual TLS rules instead of ALB's, on
//! openssl-made certificates, cross-checked with `openssl verify`.

use albmtls_pki::api_gateway::{Access, INSECURE_ALGORITHM, NO_ISSUER};
use albmtls_pki::{
    BundleRule, CheckOptions, FailureCode, Target, TrustStore, check_bundle_for, check_client, check_client_api_gateway, check_key_match,
};
use albmtls_render::doctor::{DoctorView, write_doctor};
use chrono::Duration;

use crate::Text;
use crate::ossl::{CrlForm, Key, Ossl, check_time};
use crate::pki::{fixture, fixture_path};

fn store(o: &Ossl, bundle: &str, crls: &[&str]) -> TrustStore {
    let mut store = TrustStore::from_bundle(bundle, &o.read(bundle)).unwrap();
    for crl in crls {
        store.add_crl(crl, &o.read(crl)).unwrap();
    }
    store
}

#[test]
fn truststore_rules_are_api_gateways_not_albs() {
    let at = check_time();
    // RSA over 8192 bits: ALB refuses it, API Gateway takes "RSA-2048 or stronger".
    let big = fixture("rsa16384-ca.pem");
    let alb = check_bundle_for("big.pem", &big, at, Target::Alb);
    assert!(
        alb.findings_for(BundleRule::UnsupportedKey)
            .next()
            .unwrap()
            .message
            .starts_with("public key RSA 16384 bits is not supported; ALB accepts RSA 2048-8192")
    );
    let gateway = check_bundle_for("big.pem", &big, at, Target::ApiGateway);
    assert!(gateway.findings.is_empty(), "{:?}", gateway.findings);
    assert!(gateway.text().ends_with("Verdict: API Gateway would take this truststore without warnings."), "{}", gateway.text());

    // Weak keys and SHA-1 break both.
    for (file, rule, words) in [
        (
            "rsa1024-ca.pem",
            BundleRule::UnsupportedKey,
            "public key RSA 1024 bits is not supported; API Gateway accepts RSA of 2048 bits or more",
        ),
        (
            "sha1-ca.pem",
            BundleRule::UnsupportedSignature,
            "signature algorithm sha1WithRSAEncryption is not supported; API Gateway accepts SHA-256",
        ),
    ] {
        let report = check_bundle_for(file, &fixture(file), at, Target::ApiGateway);
        assert!(report.findings_for(rule).next().unwrap().message.starts_with(words), "{report:?}");
        assert!(report.text().ends_with("deny clients chaining to the certificates marked ERROR."));
    }

    // ALB's file rules and CA requirement are not API Gateway's, and the report says so.
    let o = Ossl::new();
    o.ca("Root").client("leaf", "Root", "2");
    let text = format!("# prod - CAs\n{}\n{}", o.text("Root.pem"), o.text("leaf.pem"));
    assert!(check_bundle_for("b.pem", text.as_bytes(), at, Target::Alb).would_reject());
    let report = check_bundle_for("b.pem", text.as_bytes(), at, Target::ApiGateway);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.notes[0].contains("not applied: AWS documents them for ALB only"), "{:?}", report.notes);
    assert!(report.text().starts_with("Bundle b.pem: 2 certificate(s),"));
    assert!(report.text().contains(", API Gateway rules\n"));
}

#[test]
fn api_gateway_checks_neither_expiry_nor_revocation() {
    let o = Ossl::new();
    o.ca("Root").issue("shortlived", "Root", "0x21", &crate::ossl::CLIENT_EXTENSIONS, 1, "sha256");
    o.crl("crl", "Root", &["21"], CrlForm::Current);
    let later = check_time() + Duration::days(2);
    let attime = later.timestamp().to_string();
    let (ok, said) = o.verify(&o.path("Root.pem"), None, "shortlived.pem", &["-attime", &attime]);
    assert!(!ok && said.contains("certificate has expired"), "{said}");

    let store = store(&o, "Root.pem", &["crl.pem"]);
    let gateway = check_client_api_gateway(&store, "shortlived.pem", &o.read("shortlived.pem"), later).unwrap();
    assert_eq!(gateway.access, Access::Granted, "{gateway:?}");
    assert!(gateway.notes[0].starts_with("API Gateway does not check revocation: the 1 CRL(s) given were not used"), "{:?}", gateway.notes);
    assert!(gateway.notes[1].contains("API Gateway does not check validity itself, so this does not deny access"), "{:?}", gateway.notes);
    let text = gateway.text();
    assert!(text.starts_with("api gateway:       access granted\n"), "{text}");
    assert!(text.contains("path:              CN=shortlived (client #1) -> CN=Root (bundle #1)"), "{text}");

    // ALB, on the same inputs: expired, and revoked once the expiry is waived.
    let alb = check_client(&store, "shortlived.pem", &o.read("shortlived.pem"), &CheckOptions::at(later)).unwrap();
    assert_eq!(alb.code, Some(FailureCode::ClientCertExpired));
    let alb = check_client(&store, "shortlived.pem", &o.read("shortlived.pem"), &CheckOptions::at(check_time())).unwrap();
    assert_eq!(alb.code, Some(FailureCode::ClientCertCrlHit));
}

#[test]
fn api_gateway_denials_use_its_documented_messages() {
    let o = Ossl::new();
    o.ca("Root").ca("Other").client("stranger", "Other", "2");
    o.issue("sha1", "Root", "3", &crate::ossl::CLIENT_EXTENSIONS, 30, "sha1");
    o.root("Weak", Key::Rsa(1024), &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], 3650);
    o.client("weakling", "Weak", "4");
    let bundle = o.cat("truststore.pem", &["Root.pem", "Weak.pem"]);
    let store = store(&o, "truststore.pem", &[]);
    let at = check_time();

    let (ok, said) = o.verify(&bundle, None, "stranger.pem", &[]);
    assert!(!ok && said.contains("unable to get local issuer certificate"), "{said}");
    let report = check_client_api_gateway(&store, "stranger.pem", &o.read("stranger.pem"), at).unwrap();
    assert_eq!((report.access, report.message), (Access::Denied, Some(NO_ISSUER)), "{report:?}");
    assert!(report.reason.starts_with("issued by CN=Other, which is neither in the truststore (2 certificate(s)) nor sent by the client"));
    assert!(report.text().starts_with("api gateway:       Access denied. Reason: Could not find issuer for certificate\n"));

    let report = check_client_api_gateway(&store, "sha1.pem", &o.read("sha1.pem"), at).unwrap();
    assert_eq!(report.message, Some(INSECURE_ALGORITHM), "{report:?}");
    assert!(report.reason.starts_with("signature algorithm ecdsa-with-SHA1 is not supported"), "{}", report.reason);

    // A 1024-bit CA: in the truststore, but listed as a warning and not used.
    let (ok, said) = o.verify(&bundle, None, "weakling.pem", &[]);
    assert!(ok, "openssl takes RSA 1024: {said}");
    let report = check_client_api_gateway(&store, "weakling.pem", &o.read("weakling.pem"), at).unwrap();
    assert_eq!(report.message, Some(NO_ISSUER), "{report:?}");
    assert!(report.reason.contains("which is in the truststore (#2) but breaks API Gateway's algorithm rules"), "{}", report.reason);
    assert!(report.truststore_warnings[0].message.starts_with("bundle #2 CN=Weak: public key RSA 1024 bits is not supported"));

    // A key that is not the certificate's: API Gateway's "self signed certificate".
    let key_match = check_key_match(("sha1.pem", &o.read("sha1.pem")), Some(("Root.key", &o.read("Root.key"))), None).unwrap();
    let report = check_client_api_gateway(&store, "stranger.pem", &o.read("stranger.pem"), at).unwrap();
    let mut out = Vec::new();
    write_doctor(&DoctorView::ApiGateway { check: &report, key_match: Some(&key_match) }, false, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("private key Root.key DOES NOT MATCH"), "{text}");
    assert!(text.contains("API Gateway reports a key that does not belong to its certificate as \"self signed certificate\""), "{text}");
}

#[test]
fn rsa_over_8192_bits_is_api_gateway_only_and_said_to_be_unverifiable_here() {
    let ca = fixture("rsa16384-ca.pem");
    let client = fixture("rsa16384-client.pem");
    let o = Ossl::new();
    let (ok, said) = o.verify(&fixture_path("rsa16384-ca.pem"), None, &fixture_path("rsa16384-client.pem"), &[]);
    assert!(ok, "{said}");
    let store = TrustStore::from_bundle("rsa16384-ca.pem", &ca).unwrap();
    let gateway = check_client_api_gateway(&store, "client.pem", &client, check_time()).unwrap();
    assert_eq!(gateway.access, Access::Unverifiable, "{gateway:?}");
    assert!(gateway.reason.contains("an RSA key over 8192 bits, which API Gateway accepts but this build cannot verify"));
    assert!(gateway.truststore_warnings.is_empty());
    let alb = check_client(&store, "client.pem", &client, &CheckOptions::at(check_time())).unwrap();
    assert_eq!(alb.code, Some(FailureCode::ClientCertUntrusted));
    assert!(alb.reason.contains("public key RSA 16384 bits is not supported"), "{}", alb.reason);
}
