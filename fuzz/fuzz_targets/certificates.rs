//! Any bytes as a CA bundle (`bundle check`) and as a client certificate checked against a
//! fixed trust store (`cert check`): a report or an error, never a panic, and the text a
//! person reads holds no control character from the input.
#![no_main]

use std::sync::LazyLock;

use albmtls_pki::{CheckOptions, TrustStore, check_bundle, check_client};
use albmtls_render::doctor::{DoctorView, write_doctor};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;

static STORE: LazyLock<TrustStore> = LazyLock::new(|| {
    TrustStore::from_bundle("ca.pem", include_bytes!("../../crates/albmtls-pki/tests/fixtures/v3-ca.pem")).expect("the fixture CA loads")
});

fuzz_target!(|data: &[u8]| {
    let at = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("a valid time");
    let bundle = check_bundle("fuzz.pem", data, at);
    assert_readable(&DoctorView::Bundle(&bundle));
    if let Ok(check) = check_client(&STORE, "client.pem", data, &CheckOptions::at(at)) {
        assert_readable(&DoctorView::CertCheck { check: &check, key_match: None });
    }
});

/// Renders the text and JSON forms; the text must not pass control characters through.
fn assert_readable(view: &DoctorView<'_>) {
    let mut text = Vec::new();
    write_doctor(view, false, &mut text).expect("writing to a Vec cannot fail");
    let text = String::from_utf8(text).expect("doctor text is UTF-8");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "a control character reached the text: {text:?}");
    write_doctor(view, true, &mut std::io::sink()).expect("writing to a sink cannot fail");
}
