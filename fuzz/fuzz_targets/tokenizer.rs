//! Any bytes as one line: the tokenizer returns a record or an error, never panics,
//! every slice it returns lies inside the line, the client address it reads is the one
//! std reads from the same text, and every SIMD kind this CPU has gives the same answer.
#![no_main]

#[cfg(target_arch = "x86_64")]
use albmtls_parse::simd::{Avx2, Avx512};
use albmtls_parse::{Record, unescape_subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let parsed = Record::parse(line);
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(avx2) = Avx2::detect() {
            assert_eq!(Record::parse_with(avx2, line), parsed);
        }
        if let Some(avx512) = Avx512::detect() {
            assert_eq!(Record::parse_with(avx512, line), parsed);
        }
    }
    if let Ok(record) = parsed {
        let inside = |s: &[u8]| line.as_ptr_range().contains(&s.as_ptr()) || s.is_empty();
        assert!(inside(record.timestamp) && inside(record.status));
        if let Some(subject) = record.subject {
            assert!(inside(subject));
            let _ = unescape_subject(subject);
        }
        assert!((11..=15).contains(&record.field_count()));
        let by_std = std::str::from_utf8(record.client_ip_text).ok().and_then(|text| text.parse().ok());
        assert_eq!(by_std, Some(record.client_ip), "client address {:?}", String::from_utf8_lossy(record.client_ip_text));
    }
});
