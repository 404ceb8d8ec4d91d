//! Any bytes as one line: the tokenizer returns a record or an error, never panics, and
//! every slice it returns lies inside the line.
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
    }
});
