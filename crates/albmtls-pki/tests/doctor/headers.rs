//! `headers decode`: passthrough and verify-mode headers.

use albmtls_pki::{CheckOptions, HeaderNames, PkiError, Severity, TrustStore, decode_headers};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Text;
use crate::pki::{Ca, at, ca_params, chain_pem, ec_key, leaf_params};

/// What ALB does: URL-encode with `+=/` (and the unreserved `-_.~`) left alone.
const ALB_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'+').remove(b'=').remove(b'/');

fn encode(pem: &str) -> String {
    utf8_percent_encode(pem, ALB_SAFE).to_string()
}

struct Setup {
    root: Ca,
    chain: String,
    leaf_pem: String,
    ders: Vec<Vec<u8>>,
}

fn setup() -> Setup {
    loop {
        let root = Ca::root_named("Root CA");
        let int = root.sub(ca_params("Issuing CA"), ec_key());
        let leaf = int.sign(leaf_params("client_.com", 0xA5), &ec_key());
        let chain = chain_pem(&[&leaf, &int.cert]);
        // The `+`-is-literal check needs a `+` in the base64; random keys almost always give one.
        if chain.contains('+') {
            let ders = vec![leaf.der().to_vec(), int.cert.der().to_vec()];
            return Setup { root, leaf_pem: leaf.pem(), chain, ders };
        }
    }
}

#[test]
fn passthrough_chain_decodes_leaf_first_with_both_equals_forms() {
    let s = setup();
    let encoded = encode(&s.chain);
    assert!(encoded.starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
    assert!(encoded.contains('+'), "`+` stays literal in ALB's encoding");
    for value in [encoded.clone(), encoded.replace('=', "%3D")] {
        let request = format!("GET /api HTTP/1.1\r\nHost: example.com\r\nx-amzn-mtls-clientcert: {value}\r\n\r\nbody: not a header\r\n");
        let report = decode_headers("request.txt", request.as_bytes(), &HeaderNames::default()).unwrap();
        assert!(report.problems.is_empty(), "{report:?}");
        assert_eq!(report.mode, "passthrough");
        assert_eq!(report.chain_der(), s.ders);
        assert_eq!(report.chain[0].subject, "CN=client_.com,O=Example Co,C=US");
        assert_eq!(report.chain[1].subject, "CN=Issuing CA,O=Example Co,C=US");
    }
}

#[test]
fn decoded_chain_can_be_checked_against_a_bundle() {
    let s = setup();
    let lines = format!("X-Amzn-Mtls-Clientcert: {}\n", encode(&s.chain));
    let report = decode_headers("h.txt", lines.as_bytes(), &HeaderNames::default()).unwrap();
    let store = TrustStore::from_bundle("ca.pem", s.root.pem().as_bytes()).unwrap();
    let verdict = report.check(&store, &CheckOptions::at(at())).unwrap();
    assert!(verdict.is_success(), "{verdict:?}");
    let other = TrustStore::from_bundle("other.pem", Ca::root_named("Other").pem().as_bytes()).unwrap();
    let verdict = report.check(&other, &CheckOptions::at(at())).unwrap();
    assert_eq!(verdict.tls_verify_status, "Failed:ClientCertUntrusted");
}

#[test]
fn duplicated_headers_are_flagged_as_possible_forgery() {
    let s = setup();
    let forged = encode(&Ca::root_named("Evil").sign(leaf_params("admin", 1), &ec_key()).pem());
    let lines = format!("X-Amzn-Mtls-Clientcert: {forged}\nX-AMZN-MTLS-CLIENTCERT: {}\n", encode(&s.chain));
    let report = decode_headers("h.txt", lines.as_bytes(), &HeaderNames::default()).unwrap();
    assert!(report.has_errors());
    let p = &report.problems[0];
    assert_eq!(p.header, "X-Amzn-Mtls-Clientcert");
    assert!(
        p.message.starts_with("appears 2 times with different values; a client may have sent its own copy (possible forgery)"),
        "{}",
        p.message
    );

    let merged = format!("X-Amzn-Mtls-Clientcert: {forged},{}\n", encode(&s.chain));
    let report = decode_headers("h.txt", merged.as_bytes(), &HeaderNames::default()).unwrap();
    assert!(report.problems.iter().any(|p| p.message.contains("two values were merged")), "{report:?}");
}

#[test]
fn verify_mode_headers_are_read_and_cross_checked() {
    let s = setup();
    let store_leaf =
        decode_headers("h", format!("X-Amzn-Mtls-Clientcert-Leaf: {}\n", encode(&s.leaf_pem)).as_bytes(), &HeaderNames::default()).unwrap();
    let leaf = store_leaf.leaf.clone().unwrap();
    let validity =
        format!("NotBefore={};NotAfter={}", leaf.not_before.format("%Y-%m-%dT%H:%M:%SZ"), leaf.not_after.format("%Y-%m-%dT%H:%M:%SZ"));
    let lines = format!(
        "X-Amzn-Mtls-Clientcert-Serial-Number: A5\nX-Amzn-Mtls-Clientcert-Issuer: CN=Issuing CA,O=Example Co,C=US\nX-Amzn-Mtls-Clientcert-Subject: CN=client_.com,O=Example Co,C=US\nX-Amzn-Mtls-Clientcert-Validity: {validity}\nX-Amzn-Mtls-Clientcert-Leaf: {}\n",
        encode(&s.leaf_pem)
    );
    let report = decode_headers("h.txt", lines.as_bytes(), &HeaderNames::default()).unwrap();
    assert_eq!(report.mode, "verify");
    assert!(report.problems.is_empty(), "{report:?}");
    assert_eq!(report.serial_number.as_deref(), Some("A5"));
    assert_eq!(report.validity.as_ref().unwrap().not_after, Some(leaf.not_after));
    assert_eq!(report.chain_der(), vec![s.ders[0].clone()]);

    let wrong = lines.replace("Serial-Number: A5", "Serial-Number: A6");
    let report = decode_headers("h.txt", wrong.as_bytes(), &HeaderNames::default()).unwrap();
    let p = report.problems.iter().find(|p| p.header == "X-Amzn-Mtls-Clientcert-Serial-Number").unwrap();
    assert_eq!((p.severity, p.message.as_str()), (Severity::Error, "`A6` is not the leaf's serial A5"));
}

#[test]
fn renamed_headers_and_missing_headers() {
    let s = setup();
    let names = HeaderNames { clientcert: "X-Client-Chain".to_string(), ..HeaderNames::default() };
    let lines = format!("x-client-chain: {}\n", encode(&s.chain));
    assert_eq!(decode_headers("h", lines.as_bytes(), &names).unwrap().chain.len(), 2);
    let err = decode_headers("h", lines.as_bytes(), &HeaderNames::default()).unwrap_err();
    assert!(matches!(err, PkiError::NoMtlsHeaders { .. }));
    let report = decode_headers("h", b"X-Amzn-Mtls-Clientcert: %ZZnot-pem\n", &HeaderNames::default()).unwrap();
    assert!(report.has_errors());
    assert!(report.chain.is_empty());
}

#[test]
fn passthrough_chain_order_is_checked_leaf_first_root_last() {
    let o = crate::ossl::Ossl::new();
    o.ca("Root").intermediate("Issuing", "Root", "2").client("client", "Issuing", "3");
    let decode = |files: &[&str]| {
        let pem: String = files.iter().map(|f| o.text(f)).collect();
        let lines = format!("X-Amzn-Mtls-Clientcert: {}\n", encode(&pem));
        decode_headers("request.txt", lines.as_bytes(), &HeaderNames::default()).unwrap()
    };
    let ordered = decode(&["client.pem", "Issuing.pem", "Root.pem"]);
    assert_eq!(ordered.chain_order, Some(albmtls_pki::ChainOrder::LeafFirst));
    assert!(ordered.problems.is_empty(), "{:?}", ordered.problems);
    assert!(ordered.text().contains("chain (3 certificate(s), leaf first, each issued by the next, as ALB writes it):"));

    let reversed = decode(&["Root.pem", "Issuing.pem", "client.pem"]);
    assert_eq!(reversed.chain_order, Some(albmtls_pki::ChainOrder::Reversed));
    assert!(reversed.has_errors());
    let p = &reversed.problems[0];
    assert!(
        p.message.starts_with(
            "the chain is reversed (root first, leaf last: #3 CN=client is the leaf); ALB writes the leaf first and the root last"
        ),
        "{}",
        p.message
    );
    assert!(reversed.text().contains("chain (3 certificate(s), REVERSED: root first, leaf last):"));

    let gap = decode(&["client.pem", "Root.pem"]);
    assert_eq!(gap.chain_order, Some(albmtls_pki::ChainOrder::Unlinked));
    assert_eq!(gap.problems[0].severity, Severity::Warning);
    assert!(gap.problems[0].message.starts_with("#1 is not issued by #2: the chain is out of order or incomplete"));

    assert_eq!(decode(&["client.pem"]).chain_order, Some(albmtls_pki::ChainOrder::Single));
}
