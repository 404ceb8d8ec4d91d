//! Any bytes as one line: the tokenizer returns a record or an error, never panics,
//! every slice it returns lies inside the line, and the client address it reads is the
//! one std reads from the same text.
#![no_main]

use albmtls_parse::{Record, unescape_subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    if let Ok(record) = Record::parse(line) {
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
