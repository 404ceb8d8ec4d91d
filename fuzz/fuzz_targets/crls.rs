//! Any bytes as a CRL: `crl inspect` (alone and against a bundle), `crl contains` and
//! `crl convert`. A report or an error, never a panic; PEM and DER convert into each other
//! and back to the same CRL.
#![no_main]

use albmtls_pki::{CrlFormat, TrustStore, convert_crl, crl_contains, inspect_crl};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;

const BUNDLE: &[u8] = include_bytes!("../../crates/albmtls-pki/tests/fixtures/v3-ca.pem");

fuzz_target!(|data: &[u8]| {
    let at = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("a valid time");
    let _ = inspect_crl("fuzz.crl", data, None, at);
    let mut store = TrustStore::from_bundle("ca.pem", BUNDLE).expect("the fixture CA loads");
    let _ = inspect_crl("fuzz.crl", data, Some(&store), at);
    let _ = store.add_crl("fuzz.crl", data);
    let serial: String = data.iter().take(8).map(|b| format!("{b:02X}")).collect();
    let _ = crl_contains("fuzz.crl", data, &serial);
    if let Ok(der) = convert_crl("fuzz.crl", data, CrlFormat::Der) {
        let pem = convert_crl("fuzz.der", &der, CrlFormat::Pem).expect("a CRL read once converts to PEM");
        let back = convert_crl("fuzz.pem", &pem, CrlFormat::Der).expect("its PEM reads back");
        assert!(back == der, "PEM and DER round trip");
    }
});
