//! The doctor agrees with ALB's documented rules and with itself on every case it
//! answers: one test per verdict, on certificates, bundles and CRLs openssl made, and
//! cross-checked with `openssl verify` where openssl answers the same question (and
//! where it answers differently from ALB, the test pins that difference).

use albmtls_pki::{
    BundleRule, CertCheckReport, CheckOptions, CrlRule, FailureCode, Severity, TrustStore, check_bundle, check_client, crl_contains,
    fix_bundle, inspect_crl,
};
use chrono::{DateTime, Utc};

use crate::Text;
use crate::ossl::{CLIENT_EXTENSIONS, CrlForm, Key, Ossl};

fn now() -> DateTime<Utc> {
    crate::ossl::check_time()
}

/// `cert check` of `client` (a file in `o`) against the bundle file and CRL files.
fn check(o: &Ossl, bundle: &str, crls: &[&str], client: &str) -> CertCheckReport {
    check_at(o, bundle, crls, client, now())
}

fn check_at(o: &Ossl, bundle: &str, crls: &[&str], client: &str, at: DateTime<Utc>) -> CertCheckReport {
    let mut store = TrustStore::from_bundle(bundle, &o.read(bundle)).unwrap();
    for crl in crls {
        store.add_crl(crl, &o.read(crl)).unwrap();
    }
    check_client(&store, client, &o.read(client), &CheckOptions::at(at)).unwrap()
}

fn crl_message(o: &Ossl, crl: &str, bundle: &str, rule: CrlRule) -> String {
    let store = TrustStore::from_bundle(bundle, &o.read(bundle)).unwrap();
    let report = inspect_crl(crl, &o.read(crl), Some(&store), now()).unwrap();
    let finding = report.findings.iter().find(|f| f.rule == rule).unwrap_or_else(|| panic!("no {rule:?} in {report:?}"));
    assert_eq!(finding.severity, Severity::Error, "{finding:?}");
    assert!(report.has_errors());
    finding.message.clone()
}

#[test]
fn negative_serial_in_a_crl_does_not_revoke_on_alb() {
    let o = Ossl::new();
    o.ca("Root").client("neg", "Root", "-5").client("pos", "Root", "0x1001").crl("crl", "Root", &["-05", "1001"], CrlForm::Current);
    let ca_and_crl = o.cat("ca+crl.pem", &["Root.pem", "crl.pem"]);

    // openssl counts the entry; ALB documents that it cannot revoke a negative serial.
    let (ok, said) = o.verify(&ca_and_crl, None, "neg.pem", &["-crl_check"]);
    assert!(!ok && said.contains("certificate revoked"), "{said}");
    let report = check(&o, "Root.pem", &["crl.pem"], "neg.pem");
    assert_eq!(report.tls_verify_status, "Success", "{report:?}");
    assert!(report.passes());
    let note = report.notes.iter().find(|n| n.contains("negative serial")).expect("a note on the ignored entry");
    assert!(note.starts_with("serial -05 of #1 CN=neg is listed in the CRL crl.pem, but ALB cannot revoke"), "{note}");
    assert!(note.contains("no effect on ALB") && note.contains("re-issue the client with a positive serial"), "{note}");

    // Shown as openssl shows it, never as the two's complement FB.
    let openssl_serial = o.run(&["x509", "-in", "neg.pem", "-noout", "-serial"]);
    assert_eq!(openssl_serial.trim(), "serial=-05");
    assert_eq!(report.presented[0].serial, "-05");
    assert!(report.text().contains("    serial:      -05\n"), "{}", report.text());
    assert!(!report.text().contains("FB"));

    // The positive serial on the same CRL: both say revoked.
    let (ok, said) = o.verify(&ca_and_crl, None, "pos.pem", &["-crl_check"]);
    assert!(!ok && said.contains("certificate revoked"), "{said}");
    let hit = check(&o, "Root.pem", &["crl.pem"], "pos.pem");
    assert_eq!(hit.code, Some(FailureCode::ClientCertCrlHit), "{hit:?}");
    assert!(hit.reason.starts_with("serial 1001 is revoked by CRL crl.pem"), "{}", hit.reason);

    // `crl contains` says the same thing.
    for typed in ["-5", "-05", "-0x05", "-00:05"] {
        let found = crl_contains("crl.pem", &o.read("crl.pem"), typed).unwrap();
        assert!(found.revoked && !found.alb_can_revoke && !found.revokes_on_alb(), "{typed}: {found:?}");
        assert!(
            found.text().starts_with(
                "serial -05 is listed by crl.pem (issuer CN=Root) on 2025-01-01T00:00:00Z, but the entry has no effect on ALB"
            ),
            "{}",
            found.text()
        );
        assert!(found.text().ends_with("re-issue the client with a positive serial to make it revocable"));
    }
    let absent = crl_contains("crl.pem", &o.read("crl.pem"), "-6").unwrap();
    assert!(
        absent.text().ends_with("ALB could not revoke it anyway: ALB cannot revoke certificates with negative serial numbers (documented)")
    );
    assert!(crl_contains("crl.pem", &o.read("crl.pem"), "1001").unwrap().revokes_on_alb());
}

#[test]
fn a_presented_negative_serial_does_not_shield_the_other_entries_of_its_crl() {
    let o = Ossl::new();
    o.ca("Root").client("neg", "Root", "-5").client("pos", "Root", "0x1001").crl("crl", "Root", &["-05", "1001"], CrlForm::Current);
    // The revoked client sends, after its own certificate, one whose negative serial the
    // same CRL lists: only that entry is without effect on ALB.
    o.cat("pos+neg.pem", &["pos.pem", "neg.pem"]);
    let ca_and_crl = o.cat("ca+crl.pem", &["Root.pem", "crl.pem"]);
    let (ok, said) = o.verify(&ca_and_crl, Some("neg.pem"), "pos.pem", &["-crl_check"]);
    assert!(!ok && said.contains("certificate revoked"), "{said}");

    let report = check(&o, "Root.pem", &["crl.pem"], "pos+neg.pem");
    assert_eq!(report.tls_verify_status, "Failed:ClientCertCrlHit", "{report:?}");
    assert_eq!(report.certificate.as_deref(), Some("#1 CN=pos"));
    assert!(report.reason.starts_with("serial 1001 is revoked by CRL crl.pem (revoked 2025-01-01T00:00:00Z"), "{}", report.reason);
    let note = report.notes.iter().find(|n| n.contains("negative serial")).expect("a note on the ignored entry");
    assert!(note.starts_with("serial -05 of #2 CN=neg is listed in the CRL crl.pem"), "{note}");

    // The same chain against a CRL listing the negative serial only: nothing revokes it.
    o.crl("negative-only", "Root", &["-05"], CrlForm::Current);
    assert!(check(&o, "Root.pem", &["negative-only.pem"], "pos+neg.pem").passes());
}

#[test]
fn stale_crl_is_flagged_by_cert_check_and_crl_inspect_alike() {
    let o = Ossl::new();
    o.ca("Root").client("client", "Root", "7").crl("stale", "Root", &["99"], CrlForm::Stale);
    let (ok, said) = o.verify(&o.cat("ca+crl.pem", &["Root.pem", "stale.pem"]), None, "client.pem", &["-crl_check"]);
    assert!(!ok && said.contains("CRL has expired"), "{said}");

    let report = check(&o, "Root.pem", &["stale.pem"], "client.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertCrlProcessingError), "{report:?}");
    let inspected = crl_message(&o, "stale.pem", "Root.pem", CrlRule::Stale);
    assert!(inspected.starts_with("past its next update (2024-02-01T00:00:00Z"), "{inspected}");
    assert!(inspected.contains("how ALB treats a stale CRL is not documented: likely every certificate from CN=Root fails"));
    assert_eq!(report.reason, format!("the CRL stale.pem from CN=Root (the issuer of this certificate): {inspected}"));
    // `explain` names the same cause.
    let entry = albmtls_parse::remediation::for_code(FailureCode::ClientCertCrlProcessingError);
    assert!(entry.causes[0].contains("nextUpdate"), "{:?}", entry.causes);

    // A current CRL from the same CA changes nothing for a serial it does not list.
    o.crl("fresh", "Root", &["99"], CrlForm::Current);
    assert!(check(&o, "Root.pem", &["fresh.pem"], "client.pem").passes());
}

#[test]
fn crl_from_a_ca_without_crl_sign_fails_both_checks() {
    let o = Ossl::new();
    o.root("Root", Key::P256, &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], 3650)
        .client("client", "Root", "9")
        .crl("crl", "Root", &["99"], CrlForm::Current);
    let (ok, said) = o.verify(&o.cat("ca+crl.pem", &["Root.pem", "crl.pem"]), None, "client.pem", &["-crl_check"]);
    assert!(!ok && said.contains("key usage does not include CRL signing"), "{said}");

    let report = check(&o, "Root.pem", &["crl.pem"], "client.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertCrlProcessingError), "{report:?}");
    let inspected = crl_message(&o, "crl.pem", "Root.pem", CrlRule::SignerLacksCrlSign);
    assert!(inspected.starts_with("the signing CA (bundle #1 CN=Root) has a key usage without cRLSign"), "{inspected}");
    assert!(report.reason.ends_with(&inspected), "{} / {inspected}", report.reason);

    // The same rule for an intermediate's CRL, the intermediate sent by the client.
    let o = Ossl::new();
    o.ca("Root")
        .issue("Issuing", "Root", "2", &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], 3650, "sha256")
        .client("client", "Issuing", "3")
        .crl("int-crl", "Issuing", &["99"], CrlForm::Current);
    o.cat("chain.pem", &["client.pem", "Issuing.pem"]);
    let (ok, said) = o.verify(&o.cat("ca+crl.pem", &["Root.pem", "int-crl.pem"]), Some("Issuing.pem"), "client.pem", &["-crl_check"]);
    assert!(!ok && said.contains("key usage does not include CRL signing"), "{said}");
    let report = check(&o, "Root.pem", &["int-crl.pem"], "chain.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertCrlProcessingError), "{report:?}");
    assert!(report.reason.contains("the signing CA (client #2) has a key usage without cRLSign"), "{}", report.reason);
}

#[test]
fn v1_and_extensionless_v2_crls_get_the_same_word_from_both_checks() {
    for (form, rule, words) in [
        (CrlForm::Version1, CrlRule::NotVersion2, "a version 1 CRL; RFC 5280 requires version 2"),
        (CrlForm::Version2WithoutExtensions, CrlRule::NoExtensions, "a version 2 CRL without extensions"),
    ] {
        let o = Ossl::new();
        o.ca("Root").client("client", "Root", "7").crl("crl", "Root", &["99"], form);
        // openssl accepts both; ALB's handling is not documented, and the doctor says so.
        let (ok, said) = o.verify(&o.cat("ca+crl.pem", &["Root.pem", "crl.pem"]), None, "client.pem", &["-crl_check"]);
        assert!(ok, "{said}");
        let inspected = crl_message(&o, "crl.pem", "Root.pem", rule);
        assert!(inspected.starts_with(words), "{inspected}");
        assert!(inspected.contains("openssl accepts it, but whether ALB accepts it is not documented: likely"), "{inspected}");
        let report = check(&o, "Root.pem", &["crl.pem"], "client.pem");
        assert_eq!(report.code, Some(FailureCode::ClientCertCrlProcessingError), "{report:?}");
        assert!(report.reason.ends_with(&inspected));
    }
}

#[test]
fn rsa1024_ca_is_named_as_the_cause_and_the_bundle_refused() {
    let o = Ossl::new();
    o.root("Weak", Key::Rsa(1024), &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"], 3650)
        .client("client", "Weak", "2");
    // openssl (security level 1) verifies the chain; ALB refuses the CA in a trust store.
    let (ok, said) = o.verify(&o.path("Weak.pem"), None, "client.pem", &[]);
    assert!(ok, "{said}");
    let bundle = check_bundle("Weak.pem", &o.read("Weak.pem"), now());
    let refusal = bundle.findings_for(BundleRule::UnsupportedKey).next().unwrap().message.clone();
    assert!(refusal.starts_with("public key RSA 1024 bits is not supported"), "{refusal}");

    let report = check(&o, "Weak.pem", &[], "client.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertUntrusted), "{report:?}");
    assert!(!report.reason.contains("does not verify"), "the cause is the key, not a signature: {}", report.reason);
    assert!(
        report
            .reason
            .starts_with("issued by CN=Weak, which is in the bundle (#1) but breaks ALB's trust-store rules (public key RSA 1024 bits")
    );
    assert!(report.reason.contains("ALB refuses a bundle holding it (InvalidCaCertificatesBundle)"), "{}", report.reason);
    assert!(report.trust_store_refused() && !report.passes());
    assert!(report.trust_store[0].message.starts_with(&format!("bundle #1 CN=Weak: {refusal}")), "{:?}", report.trust_store);
    let text = report.text();
    assert!(text.contains("\ntrust store:       ALB refuses it as it is (see below)"), "{text}");
    assert!(text.contains("\ntrust store:\n  ERROR bundle #1 CN=Weak: public key RSA 1024 bits"), "{text}");
}

#[test]
fn ca_false_trust_anchor_is_refused_not_trusted() {
    let o = Ossl::new();
    o.root("Leafy", Key::P256, &["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyCertSign"], 3650)
        .client("client", "Leafy", "2")
        .root("Bare", Key::P256, &["keyUsage=critical,keyCertSign"], 3650)
        .client("client2", "Bare", "3");
    let (ok, said) = o.verify(&o.path("Leafy.pem"), None, "client.pem", &[]);
    assert!(!ok && said.contains("invalid CA certificate"), "{said}");
    let report = check(&o, "Leafy.pem", &[], "client.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertUntrusted), "{report:?}");
    assert!(report.reason.contains("basic constraints say CA:FALSE"), "{}", report.reason);
    assert!(report.trust_store_refused());

    // No basic constraints at all: openssl treats the self-signed v3 root as a CA; ALB
    // documents that the extension must say CA.
    let (ok, said) = o.verify(&o.path("Bare.pem"), None, "client2.pem", &[]);
    assert!(ok, "{said}");
    let report = check(&o, "Bare.pem", &[], "client2.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertUntrusted), "{report:?}");
    assert!(report.reason.contains("no basic constraints extension; it must specify CA:TRUE"), "{}", report.reason);
}

#[test]
fn trust_anchor_usage_and_validity_agree_with_bundle_check_and_openssl() {
    let o = Ossl::new();
    o.root(
        "ServerOnly",
        Key::P256,
        &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign", "extendedKeyUsage=serverAuth"],
        3650,
    )
    .client("a", "ServerOnly", "2")
    .root("NoCertSign", Key::P256, &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,digitalSignature,cRLSign"], 3650)
    .client("b", "NoCertSign", "3")
    .root("ShortLived", Key::P256, &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], 2)
    .client("c", "ShortLived", "4");
    let later = now() + chrono::Duration::days(3);
    let attime = later.timestamp().to_string();
    for (root, client, bundle_rule, code, openssl_says, at) in [
        (
            "ServerOnly",
            "a",
            BundleRule::EkuExcludesClientAuth,
            FailureCode::ClientCertPurposeInvalid,
            "unsuitable certificate purpose",
            now(),
        ),
        (
            "NoCertSign",
            "b",
            BundleRule::NoKeyCertSign,
            FailureCode::ClientCertUntrusted,
            "key usage does not include certificate signing",
            now(),
        ),
        ("ShortLived", "c", BundleRule::Expired, FailureCode::ClientCertExpired, "certificate has expired", later),
    ] {
        let ca = format!("{root}.pem");
        let when: &[&str] = if root == "ShortLived" { &["-attime", &attime] } else { &[] };
        let (ok, said) = o.verify(&o.path(&ca), None, &format!("{client}.pem"), when);
        assert!(!ok && said.contains(openssl_says), "{root}: {said}");
        let bundle = check_bundle(&ca, &o.read(&ca), at);
        let warning = bundle.findings_for(bundle_rule).next().unwrap_or_else(|| panic!("{root}: {bundle:?}"));
        assert_eq!(warning.severity, Severity::Warning, "accepted at upload as far as AWS documents");
        let report = check_at(&o, &ca, &[], &format!("{client}.pem"), at);
        assert_eq!(report.code, Some(code), "{root}: {report:?}");
        assert_eq!(report.certificate.as_deref(), Some(&*format!("bundle #1 CN={root}")));
        if root != "ShortLived" {
            assert!(warning.message.contains("likely") && warning.message.contains(code.status_text()), "{}", warning.message);
            assert!(report.reason.contains(&format!("likely {}", code.status_text())), "{}", report.reason);
            assert!(report.reason.contains(openssl_says), "{}", report.reason);
        }
    }
}

#[test]
fn every_presented_certificate_is_shown_when_depth_or_size_is_exceeded() {
    let o = Ossl::new();
    o.ca("Root").intermediate("Int1", "Root", "2").intermediate("Int2", "Int1", "3").intermediate("Int3", "Int2", "4");
    o.client("deep", "Int3", "5");
    let files = ["deep.pem", "Int3.pem", "Int2.pem", "Int1.pem", "Root.pem"];
    o.cat("five.pem", &files);
    // The article's count, and openssl's DER sizes.
    let (_, printed) = o.try_run(&["crl2pkcs7", "-nocrl", "-certfile", "five.pem"]);
    o.write("five.p7", &printed);
    let subjects = o.run(&["pkcs7", "-in", "five.p7", "-print_certs", "-noout"]);
    assert_eq!(subjects.matches("subject=").count(), 5);
    let sizes: Vec<usize> = files.iter().map(|f| o.der_size(f)).collect();

    let report = check(&o, "Root.pem", &[], "five.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertMaxChainDepthExceeded), "{report:?}");
    assert_eq!(report.presented.len(), 5);
    assert_eq!(report.presented_sizes, sizes);
    let text = report.text();
    assert!(text.contains("client:            five.pem (5 certificate(s), TLS Certificate message "), "{text}");
    assert!(text.contains("\nchain:             5 certificate(s) presented (ALB allows a depth of 4); TLS Certificate message "), "{text}");
    let mut total = 0;
    for (i, (size, file)) in sizes.iter().zip(files).enumerate() {
        total += size;
        let subject = file.trim_end_matches(".pem");
        let line = format!("\n  #{} CN={subject}: {size} bytes DER, running total {total} bytes\n", i + 1);
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    assert_eq!(text.matches("\n    size:        ").count(), 5, "every certificate is described");

    // Over 64 KB: a leaf with a huge subjectAltName (its own section, after the others).
    let names: Vec<String> = (1..=3000).map(|i| format!("DNS.{i} = host-{i:05}.example.com")).collect();
    let mut extensions: Vec<&str> = CLIENT_EXTENSIONS.to_vec();
    extensions.extend(["subjectAltName = @alt", "[alt]"]);
    extensions.extend(names.iter().map(String::as_str));
    o.issue("fat", "Root", "6", &extensions, 30, "sha256");
    let fat = o.der_size("fat.pem");
    assert!(fat > 64 * 1024, "{fat}");
    let report = check(&o, "Root.pem", &[], "fat.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertMaxSizeExceeded), "{report:?}");
    assert_eq!(report.presented_sizes, [fat]);
    assert!(report.text().contains(&format!("\n  #1 CN=fat: {fat} bytes DER, running total {fat} bytes\n")));
}

#[test]
fn bundle_fix_removes_what_alb_refuses_and_says_why() {
    let o = Ossl::new();
    o.ca("Good")
        .root("Weak", Key::Rsa(1024), &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], 3650)
        .root("Leafy", Key::P256, &["basicConstraints=critical,CA:FALSE"], 3650)
        .root(
            "ServerOnly",
            Key::P256,
            &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign", "extendedKeyUsage=serverAuth"],
            3650,
        );
    let good = o.text("Good.pem");
    let text = format!(
        "# prod - CAs\n{good}\n{}Certificate:\n    Data:\n{}{}{good}",
        o.text("Weak.pem"),
        o.text("Leafy.pem"),
        o.text("ServerOnly.pem")
    );
    let fix = fix_bundle("bundle.pem", text.as_bytes(), now(), albmtls_pki::Target::Alb, "fixed.pem");
    assert!(fix.original.would_reject());
    let dropped: Vec<(usize, Option<&str>)> = fix.dropped.iter().map(|d| (d.position, d.subject.as_deref())).collect();
    assert_eq!(dropped, [(2, Some("CN=Weak")), (3, Some("CN=Leafy")), (5, Some("CN=Good"))]);
    assert!(fix.dropped[0].reasons[0].starts_with("public key RSA 1024 bits is not supported"));
    assert!(fix.dropped[1].reasons[0].starts_with("basic constraints say CA:FALSE"));
    assert!(fix.dropped[2].reasons[0].starts_with("duplicate of certificate #1"));
    assert_eq!(fix.file_findings_removed, 3, "the comment, the blank line and the text");
    // The fixed bundle is accepted; the EKU warning stays, explained.
    assert!(!fix.fixed.would_reject(), "{:?}", fix.fixed);
    let kept: Vec<&str> = fix.fixed.certificates.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(kept, ["CN=Good", "CN=ServerOnly"]);
    let eku = fix.fixed.findings_for(BundleRule::EkuExcludesClientAuth).next().unwrap();
    assert_eq!(eku.severity, Severity::Warning);
    // openssl reads the written file as the same two certificates.
    o.write("fixed.pem", std::str::from_utf8(fix.pem()).unwrap());
    let (_, p7) = o.try_run(&["crl2pkcs7", "-nocrl", "-certfile", "fixed.pem"]);
    o.write("fixed.p7", &p7);
    let printed = o.run(&["pkcs7", "-in", "fixed.p7", "-print_certs", "-noout"]);
    assert_eq!(printed.matches("subject=").count(), 2, "{printed}");
    assert!(!std::str::from_utf8(fix.pem()).unwrap().contains("\n\n"));

    let text = fix.text();
    assert!(text.contains("Fix: dropped 3 certificate(s):\n  #2 CN=Weak: public key RSA 1024 bits"), "{text}");
    assert!(text.contains("Fix: 3 file-format problem(s) are gone"), "{text}");
    assert!(text.contains("Wrote fixed.pem with 2 certificate(s).\n\nBundle fixed.pem: 2 certificate(s)"), "{text}");
    assert!(text.ends_with("Verdict: ALB would accept this bundle."), "{text}");

    let nothing = fix_bundle("weak.pem", &o.read("Weak.pem"), now(), albmtls_pki::Target::Alb, "fixed.pem");
    assert!(!nothing.has_certificates() && nothing.pem().is_empty());
}

#[test]
fn bundle_fix_drops_a_malformed_block_by_itself_and_keeps_the_valid_ca_after_it() {
    let o = Ossl::new();
    o.ca("Broken").ca("Good");
    // A stray character in the base64: the block is not PEM any more.
    let broken = o.text("Broken.pem").replacen("\nMII", "\nM*I", 1);
    o.write("broken.pem", &broken);
    let (ok, said) = o.try_run(&["x509", "-in", "broken.pem", "-noout"]);
    assert!(!ok, "openssl cannot read the broken block either: {said}");
    let text = format!("{broken}{}", o.text("Good.pem"));

    let fix = fix_bundle("bundle.pem", text.as_bytes(), now(), albmtls_pki::Target::Alb, "fixed.pem");
    let malformed: Vec<(Option<usize>, Option<usize>)> =
        fix.original.findings_for(BundleRule::MalformedBlock).map(|f| (f.position, f.line)).collect();
    assert_eq!(malformed, [(Some(1), Some(1))], "{:?}", fix.original.findings);
    let positions: Vec<(usize, &str)> = fix.original.certificates.iter().map(|c| (c.position, c.subject.as_str())).collect();
    assert_eq!(positions, [(2, "CN=Good")], "the valid CA keeps its own position");
    let dropped: Vec<(usize, Option<&str>)> = fix.dropped.iter().map(|d| (d.position, d.subject.as_deref())).collect();
    assert_eq!(dropped, [(1, None)], "only the malformed block is dropped");
    assert_eq!(fix.dropped[0].reasons.len(), 1, "{:?}", fix.dropped[0].reasons);
    assert!(fix.dropped[0].reasons[0].starts_with("certificate block #1 is not valid PEM"), "{:?}", fix.dropped[0].reasons);
    assert!(
        fix.text().contains("Fix: dropped 1 certificate(s):\n  #1 (unreadable): certificate block #1 is not valid PEM"),
        "{}",
        fix.text()
    );

    // The written bundle is the valid CA, as openssl reads it.
    assert!(!fix.fixed.would_reject(), "{:?}", fix.fixed);
    o.write("fixed.pem", std::str::from_utf8(fix.pem()).unwrap());
    assert_eq!(fix.fixed.certificates.len(), 1);
    assert_eq!(
        o.run(&["x509", "-in", "fixed.pem", "-noout", "-fingerprint", "-sha256"]),
        o.run(&["x509", "-in", "Good.pem", "-noout", "-fingerprint", "-sha256"])
    );
}

#[test]
fn trust_store_quotas_count_every_crl_given() {
    let o = Ossl::new();
    o.ca("Root").client("client", "Root", "7");
    // 31 CRLs: one over the revocation-lists quota.
    let mut store = TrustStore::from_bundle("Root.pem", &o.read("Root.pem")).unwrap();
    o.crl("crl", "Root", &["99"], CrlForm::Current);
    for i in 0..31 {
        store.add_crl(&format!("crl-{i}.pem"), &o.read("crl.pem")).unwrap();
    }
    let report = check_client(&store, "client.pem", &o.read("client.pem"), &CheckOptions::at(now())).unwrap();
    assert_eq!(report.tls_verify_status, "Success");
    assert!(!report.passes());
    assert!(
        report.trust_store[0].message.starts_with("31 CRLs exceed the quota of 30 revocation lists per trust store"),
        "{:?}",
        report.trust_store
    );

    // Entries summed over the CRLs: two of 250,001 entries.
    let serials: Vec<String> = (0..250_001u32).map(|i| format!("{:X}", 0x10_0000 + i)).collect();
    let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
    o.crl("big", "Root", &refs, CrlForm::Current);
    let mut store = TrustStore::from_bundle("Root.pem", &o.read("Root.pem")).unwrap();
    store.add_crl("big-a.pem", &o.read("big.pem")).unwrap();
    store.add_crl("big-b.pem", &o.read("big.pem")).unwrap();
    let report = check_client(&store, "client.pem", &o.read("client.pem"), &CheckOptions::at(now())).unwrap();
    assert!(
        report.trust_store.iter().any(|f| f.severity == Severity::Error
            && f.message.starts_with("the 2 CRLs hold 500002 revocation entries in all, over the quota of 500000 per trust store")),
        "{:?}",
        report.trust_store
    );
    // Each on its own is within the quota.
    let single = inspect_crl("big.pem", &o.read("big.pem"), None, now()).unwrap();
    assert!(!single.has_errors(), "{:?}", single.findings);
}

#[test]
fn der_crl_is_used_for_the_check_but_flagged() {
    let o = Ossl::new();
    o.ca("Root").client("client", "Root", "7").crl("crl", "Root", &["07"], CrlForm::Current);
    o.run(&["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"]);
    let report = check(&o, "Root.pem", &["crl.der"], "client.pem");
    assert_eq!(report.code, Some(FailureCode::ClientCertCrlHit), "the DER CRL still counts: {report:?}");
    let finding = &report.trust_store[0];
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.message.starts_with("crl.der: DER; accepted here for checking, but ALB takes PEM CRLs"), "{}", finding.message);
    assert!(report.text().contains("\ntrust store:\n  WARN  crl.der: DER;"), "{}", report.text());
}
