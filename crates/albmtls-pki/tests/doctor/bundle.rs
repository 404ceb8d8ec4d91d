//! `bundle check`: every ALB bundle rule, with the message the user sees.

use albmtls_pki::{BundleReport, BundleRule, Severity, check_bundle};
use rcgen::{CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, date_time_ymd};

use crate::Text;
use crate::pki::{Ca, at, ca_params, ec_key, fixture, leaf_params};

fn check(text: &str) -> BundleReport {
    check_bundle("ca.pem", text.as_bytes(), at())
}

/// The single finding of `rule`, which must exist.
fn only(report: &BundleReport, rule: BundleRule) -> albmtls_pki::BundleFinding {
    let found: Vec<_> = report.findings_for(rule).cloned().collect();
    assert_eq!(found.len(), 1, "expected one {rule:?} finding in:\n{report:?}");
    found[0].clone()
}

#[test]
fn clean_bundle_is_accepted_and_described() {
    let ec = Ca::root_named("EC Root");
    let rsa = Ca::root(ca_params("RSA Root"), crate::pki::rsa_key("a"));
    let text = format!("# Example bundle\n{}{}", ec.pem(), rsa.pem());
    let report = check(&text);
    assert!(report.findings.is_empty(), "{report:?}");
    assert!(!report.would_reject());
    assert_eq!(report.certificates.len(), 2);
    let first = &report.certificates[0];
    assert_eq!(first.subject, "CN=EC Root,O=Example Co,C=US");
    assert_eq!(first.version, 3);
    assert_eq!(first.key.to_string(), "ECDSA P-256");
    assert_eq!(first.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(first.is_ca, Some(true));
    assert_eq!(report.certificates[1].key.to_string(), "RSA 2048 bits");
    let text = report.text();
    assert!(text.contains("#2 CN=RSA Root,O=Example Co,C=US\n    issuer:      CN=RSA Root,O=Example Co,C=US (self-issued)"), "{text}");
    assert!(text.contains("    key usage:   digitalSignature, keyCertSign, cRLSign"), "{text}");
    assert!(text.ends_with("No problems found.\nVerdict: ALB would accept this bundle."), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["would_reject"], false);
    assert_eq!(json["certificates"][0]["key"]["curve"], "P-256");
}

#[test]
fn file_rules() {
    let root = Ca::root_named("Root");
    let pem = root.pem();

    let report = check(&format!("# bundle - prod\n{pem}"));
    let f = only(&report, BundleRule::CommentWithDash);
    assert_eq!((f.severity, f.line), (Severity::Error, Some(1)));
    assert_eq!(f.message, "comment `# bundle - prod` contains `-`; comments must not: remove the dashes");
    assert!(report.would_reject());

    let report = check(&format!("{pem}\n{pem}"));
    let f = only(&report, BundleRule::BlankLine);
    assert!(f.message.starts_with("1 blank line(s) (line "), "{}", f.message);

    let text = format!("Certificate:\n    Data:\n        Version: 3 (0x2)\n{pem}");
    let report = check(&text);
    let f = only(&report, BundleRule::TextOutsideBlocks);
    assert_eq!(f.line, Some(1));
    assert!(
        f.message.starts_with("3 line(s) of text outside certificate blocks (looks like `openssl x509 -text` output)"),
        "{}",
        f.message
    );
    assert_eq!(report.certificates.len(), 1, "the certificate after the text is still checked");

    let key = ec_key().serialize_pem();
    let report = check(&format!("{pem}{key}"));
    assert_eq!(
        only(&report, BundleRule::NonCertificateBlock).message,
        "a `PRIVATE KEY` block; a CA bundle holds only `CERTIFICATE` blocks: remove it"
    );

    let report = check_bundle("ca.der", root.cert.der().as_ref(), at());
    assert!(only(&report, BundleRule::NotPem).message.contains("looks like DER"));

    assert!(check("").findings_for(BundleRule::NoCertificates).count() == 1);
    let unclosed = pem.replace("-----END CERTIFICATE-----\n", "");
    assert!(only(&check(&unclosed), BundleRule::MalformedBlock).message.contains("not closed"));

    let report = check(&pem.replace('\n', "\r\n"));
    assert_eq!(only(&report, BundleRule::CrlfLineEndings).severity, Severity::Warning);
    assert!(!report.would_reject());
}

#[test]
fn leaf_certificates_violate_basic_constraints() {
    let root = Ca::root_named("Root");
    let leaf = root.sign(leaf_params("client.alb-mtls-example.com", 2), &ec_key());
    let report = check(&format!("{}{}", root.pem(), leaf.pem()));
    let f = only(&report, BundleRule::NotCa);
    assert_eq!(f.position, Some(2));
    assert_eq!(f.subject.as_deref(), Some("CN=client.alb-mtls-example.com,O=Example Co,C=US"));
    assert!(f.message.contains("the basic constraints extension must specify CA"), "{}", f.message);
    assert_eq!(report.findings.len(), 1, "a leaf gets no CA usage lints on top:\n{report:?}");
    assert!(report.text().contains("ERROR #2 CN=client.alb-mtls-example.com,O=Example Co,C=US: basic constraints say CA:FALSE"));
    assert!(report.text().ends_with("Verdict: ALB would reject this bundle (InvalidCaCertificatesBundle)."));

    let mut params = ca_params("No Constraints");
    params.is_ca = IsCa::NoCa;
    let bare = Ca::root(params, ec_key());
    assert!(only(&check(&bare.pem()), BundleRule::NotCa).message.starts_with("no basic constraints extension"));
}

#[test]
fn version_key_and_signature_rules_from_fixtures() {
    let v1 = String::from_utf8(fixture("v1-ca.pem")).unwrap();
    let report = check(&v1);
    assert!(only(&report, BundleRule::NotVersion3).message.starts_with("X.509v1 certificate; ALB accepts only X.509v3"));

    let weak = String::from_utf8(fixture("rsa1024-ca.pem")).unwrap();
    let f = only(&check(&weak), BundleRule::UnsupportedKey);
    assert!(f.message.starts_with("public key RSA 1024 bits is not supported; ALB accepts RSA 2048-8192 bits"), "{}", f.message);

    let sha1 = String::from_utf8(fixture("sha1-ca.pem")).unwrap();
    let f = only(&check(&sha1), BundleRule::UnsupportedSignature);
    assert!(f.message.starts_with("signature algorithm sha1WithRSAEncryption is not supported"), "{}", f.message);

    let ed = Ca::root(ca_params("Ed Root"), rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap());
    let report = check(&ed.pem());
    assert_eq!(report.findings_for(BundleRule::UnsupportedKey).count(), 1);
    assert!(only(&report, BundleRule::UnsupportedSignature).message.contains("ED25519"));

    let p384 = Ca::root(ca_params("P384 Root"), rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap());
    assert!(check(&p384.pem()).findings.is_empty());
}

#[test]
fn validity_is_a_warning_not_a_rejection() {
    let mut params = ca_params("Old Root");
    params.not_before = date_time_ymd(2000, 1, 1);
    params.not_after = date_time_ymd(2020, 1, 1);
    let report = check(&Ca::root(params, ec_key()).pem());
    let f = only(&report, BundleRule::Expired);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.starts_with("expired on 2020-01-01T00:00:00Z; clients chaining to it fail with Failed:ClientCertExpired"));
    assert!(!report.would_reject());

    let mut params = ca_params("Future Root");
    params.not_before = date_time_ymd(2027, 1, 1);
    let report = check(&Ca::root(params, ec_key()).pem());
    assert_eq!(only(&report, BundleRule::NotYetValid).severity, Severity::Warning);
}

#[test]
fn quotas_and_duplicates() {
    let roots: Vec<String> = (0..26).map(|i| Ca::root_named(&format!("Root {i}")).pem()).collect();
    let report = check(&roots.concat());
    assert_eq!(
        only(&report, BundleRule::TooManyCertificates).message,
        "26 certificates exceed the quota of 25 CA certificates per trust store (default; adjustable via quota L-43FE5A42)"
    );
    assert!(check(&roots[..25].concat()).findings.is_empty());

    let long: Vec<String> = (0..11)
        .map(|i| {
            let mut params = ca_params(&format!("Long {i}"));
            params.distinguished_name.push(DnType::OrganizationalUnitName, "x".repeat(950));
            Ca::root(params, ec_key()).pem()
        })
        .collect();
    let report = check(&long.concat());
    let f = only(&report, BundleRule::SubjectQuotaExceeded);
    assert!(f.message.contains("over the quota of 10000 bytes per trust store"), "{}", f.message);
    assert!(report.total_subject_size > 10_000);

    let mut params = ca_params("Huge Root");
    params.custom_extensions = vec![CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 2], vec![0x04; 17_000])];
    let report = check(&Ca::root(params, ec_key()).pem());
    assert!(only(&report, BundleRule::CertificateTooLarge).message.contains("over the 16384-byte (16 KB) limit"));

    let root = Ca::root_named("Root").pem();
    let report = check(&format!("{root}{root}"));
    let f = only(&report, BundleRule::Duplicate);
    assert_eq!((f.position, f.severity), (Some(2), Severity::Warning));
    assert!(f.message.starts_with("duplicate of certificate #1"));
}

#[test]
fn ca_usage_lints() {
    let mut params = ca_params("Odd Root");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let report = check(&Ca::root(params, ec_key()).pem());
    assert!(only(&report, BundleRule::NoKeyCertSign).message.contains("lacks keyCertSign"));
    assert!(only(&report, BundleRule::EkuExcludesClientAuth).message.contains("Failed:ClientCertPurposeInvalid"));
    assert!(!report.would_reject());
}
