//! Any bytes as one line of a JSON delivery: a record or an error, never a panic; a
//! record's values come from the line or were decoded from it, its subject is in the
//! classic escaped form, and it lacks exactly the fields it says it lacks.
#![no_main]

use albmtls_parse::vended::{Scratch, parse_json};
use albmtls_parse::{Field, unescape_subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let mut scratch = Scratch::new();
    if let Ok(record) = parse_json(line, &mut scratch) {
        assert!(line.starts_with(record.line) || record.line.is_empty());
        assert!((11..=15).contains(&record.field_count()));
        if let Some(subject) = record.subject {
            // Unescaping then escaping again gives the same text: it is well formed.
            let raw = unescape_subject(subject);
            let mut again = Vec::new();
            for &b in raw.iter() {
                if b == b'"' || b == b'\\' {
                    again.push(b'\\');
                }
                again.push(b);
            }
            assert_eq!(again, subject);
        }
        for field in Field::ALL {
            if record.missing.contains(field) && field != Field::Timestamp {
                assert!(matches!(record.field(field), b"-"), "{field} is missing but reads {:?}", record.field(field));
            }
        }
    }
});
