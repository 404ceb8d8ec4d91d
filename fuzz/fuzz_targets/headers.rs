//! Any bytes as an HTTP request or header lines given to `headers decode`: a report or an
//! error, never a panic, and its text for people holds no control character from the input.
#![no_main]

use albmtls_pki::{HeaderNames, decode_headers};
use albmtls_render::doctor::{DoctorView, write_doctor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = decode_headers("request.txt", data, &HeaderNames::default()) else { return };
    let mut text = Vec::new();
    write_doctor(&DoctorView::Headers { headers: &report, check: None }, false, &mut text).expect("writing to a Vec cannot fail");
    let text = String::from_utf8(text).expect("doctor text is UTF-8");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "a control character reached the text: {text:?}");
});
