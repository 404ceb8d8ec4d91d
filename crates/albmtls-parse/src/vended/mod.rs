//! Connection logs delivered as CloudWatch *vended logs*: one JSON object per line, or
//! rows of values under a field list (W3C with its `#Fields:` header, or plain text
//! whose fields the user names). Each row becomes the same [`Record`] a classic line
//! does, through [`Record::from_values`], so everything after parsing is shared.
//!
//! No real vended record is public (see the project's reference notes), so the readers
//! follow the documented field list and are tolerant: names match case-insensitively
//! (`timestamp` for `time`), values may be strings or numbers, a delivery may carry any
//! subset of the fields in any order, and undocumented fields are ignored and counted.
//! Parquet deliveries are read by the `albmtls-parquet` crate into the same records.
//!
//! Where the object names of a delivery say nothing, [`kind_of_text`] and
//! [`kind_of_fields`] tell connection logs from access and health-check logs by their
//! fields.

mod delimited;
mod json;
mod kind;

pub use delimited::{FieldList, FieldListError, parse_delimited};
pub use json::{MAX_JSON_DEPTH, parse_json};
pub use kind::{kind_of_fields, kind_of_text};

use crate::record::{Field, Record};

/// How an input's content is written, judged from its first bytes (after gzip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Space-separated lines, as ALB writes to S3 itself.
    Classic,
    /// One JSON object per line.
    Json,
    /// Rows of delimited values under a field list: W3C (`#Version:` / `#Fields:`
    /// headers) or plain text read with the field list the user gave.
    FieldList,
    /// Apache Parquet (magic `PAR1`).
    Parquet,
}

impl Format {
    /// The magic a Parquet file starts (and ends) with.
    pub const PARQUET_MAGIC: &'static [u8; 4] = b"PAR1";

    /// Judges the format from the input's first bytes: Parquet by its magic, JSON by a
    /// first non-blank `{`, W3C by a first `#` header line. Otherwise classic, unless
    /// `fields_given` (the user named a field list for header-less plain deliveries) and
    /// the first line is not a classic record.
    pub fn sniff(head: &[u8], fields_given: bool) -> Format {
        if head.starts_with(Format::PARQUET_MAGIC) {
            return Format::Parquet;
        }
        let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
        let rest = &head[start..];
        // A byte-order mark some tools put before text.
        let rest = rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest);
        match rest.first() {
            Some(b'{') => Format::Json,
            Some(b'#') => Format::FieldList,
            Some(_) if fields_given => {
                let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
                if Record::parse(line).is_ok() { Format::Classic } else { Format::FieldList }
            }
            _ => Format::Classic,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Classic => "classic",
            Format::Json => "JSON",
            Format::FieldList => "field list (W3C or plain)",
            Format::Parquet => "Parquet",
        }
    }
}

/// The field a vended name stands for: the documented names in any case, `-` for `_`,
/// and `timestamp` (the classic name) or `time` (the vended one) for the time.
pub fn field_for_name(name: &[u8]) -> Option<Field> {
    const LONGEST: usize = 32;
    if name.len() > LONGEST {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    for (out, &b) in lower.iter_mut().zip(name) {
        *out = if b == b'-' { b'_' } else { b.to_ascii_lowercase() };
    }
    let lower = &lower[..name.len()];
    if lower == b"time" {
        return Some(Field::Timestamp);
    }
    Field::ALL.into_iter().find(|f| f.name().as_bytes() == lower)
}

/// Where a value of a vended record lies: in the line as written, or in the scratch
/// buffer when it had to be decoded (JSON escapes) or re-escaped (a subject).
#[derive(Debug, Clone, Copy)]
enum Span {
    Line(usize, usize),
    Own(usize, usize),
}

/// Per-reader buffers reused from row to row, so that reading a vended row allocates
/// only when a row is larger than any before it.
#[derive(Debug, Default)]
pub struct Scratch {
    bytes: Vec<u8>,
    spans: [Option<Span>; 15],
    ignored: u16,
    /// The keys of the last JSON object by position, and their fields: the lines of one
    /// delivery repeat their keys in one order, so a key is compared with the one read at
    /// its place before being looked up by name. Kept from row to row.
    keys: Vec<(Box<[u8]>, Option<Field>)>,
}

/// Keys remembered per object, at most: a hostile line may have any number of keys.
const REMEMBERED_KEYS: usize = 32;

impl Scratch {
    pub fn new() -> Scratch {
        Scratch::default()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.spans = [None; 15];
        self.ignored = 0;
    }

    /// The field the `index`-th key of an object names ([`field_for_name`]).
    fn field_for_key(&mut self, index: usize, key: &[u8]) -> Option<Field> {
        if let Some((known, field)) = self.keys.get(index)
            && **known == *key
        {
            return *field;
        }
        let field = field_for_name(key);
        if index < REMEMBERED_KEYS {
            if index >= self.keys.len() {
                self.keys.resize_with(index + 1, Default::default);
            }
            self.keys[index] = (key.into(), field);
        }
        field
    }

    fn set_line(&mut self, field: Field, start: usize, end: usize) {
        self.spans[field as usize] = Some(Span::Line(start, end));
    }

    /// Stores `value` decoded; `write` appends it to the scratch bytes.
    fn set_own(&mut self, field: Field, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.bytes.len();
        write(&mut self.bytes);
        self.spans[field as usize] = Some(Span::Own(start, self.bytes.len()));
    }

    /// The record the spans describe.
    fn record<'a>(&'a self, line: &'a [u8]) -> Result<Record<'a>, crate::ParseError> {
        let mut values: [Option<&'a [u8]>; 15] = [None; 15];
        for (value, span) in values.iter_mut().zip(self.spans) {
            *value = span.map(|span| {
                let v = match span {
                    Span::Line(start, end) => &line[start..end],
                    Span::Own(start, end) => &self.bytes[start..end],
                };
                // An empty vended value is an absent one, as `-` is.
                if v.is_empty() { &b"-"[..] } else { v }
            });
        }
        Record::from_values(line, &values, self.ignored)
    }
}

/// Appends `raw` (a subject as delivered, unquoted and unescaped) in the classic escaped
/// form the record model keeps subjects in (`"` as `\"`, `\` as `\\`).
pub fn escape_subject_into(raw: &[u8], out: &mut Vec<u8>) {
    // Runs between the bytes to escape are copied whole: most subjects have none.
    let mut rest = raw;
    while let Some(at) = memchr::memchr2(b'"', b'\\', rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(&[b'\\', rest[at]]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

/// Whether a subject needs escaping to reach the classic form.
pub fn needs_subject_escape(raw: &[u8]) -> bool {
    memchr::memchr2(b'"', b'\\', raw).is_some()
}

/// Writes a subject given as plain text into the scratch buffer or refers to it in the
/// line, whichever keeps it in the classic escaped form.
fn set_subject_plain(scratch: &mut Scratch, line: &[u8], start: usize, end: usize) {
    let raw = &line[start..end];
    if needs_subject_escape(raw) {
        scratch.set_own(Field::LeafClientCertSubject, |out| escape_subject_into(raw, out));
    } else {
        scratch.set_line(Field::LeafClientCertSubject, start, end);
    }
}

/// Appends a value of a record (a subject in its escaped form, see
/// [`escape_subject_into`]) to a classic-shaped line, as a classic line writes it: after a
/// space, a subject in quotes, an empty value as `-`.
pub fn push_classic_value(line: &mut Vec<u8>, field: Field, value: &[u8]) {
    if !line.is_empty() {
        line.push(b' ');
    }
    if field == Field::LeafClientCertSubject && value != b"-" && !value.is_empty() {
        line.push(b'"');
        line.extend_from_slice(value);
        line.push(b'"');
    } else if value.is_empty() {
        line.push(b'-');
    } else {
        line.extend_from_slice(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to 6 bytes over an alphabet of plain bytes, quotes and
    /// backslashes is escaped as escaping byte by byte does.
    #[test]
    fn subjects_are_escaped_as_byte_by_byte_escaping_does() {
        let alphabet = [b'a', b'"', b'\\', 0xC3];
        for len in 0..=6u32 {
            for n in 0..alphabet.len().pow(len) {
                let raw: Vec<u8> = (0..len).map(|i| alphabet[n / alphabet.len().pow(i) % alphabet.len()]).collect();
                let expected: Vec<u8> = raw.iter().flat_map(|&b| if b == b'"' || b == b'\\' { vec![b'\\', b] } else { vec![b] }).collect();
                let mut out = b"prefix ".to_vec();
                escape_subject_into(&raw, &mut out);
                assert_eq!(out[7..], expected[..], "{raw:?}");
                assert_eq!(needs_subject_escape(&raw), expected.len() > raw.len(), "{raw:?}");
            }
        }
    }

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        assert_eq!(Format::sniff(b"PAR1\x15\x04", false), Format::Parquet);
        assert_eq!(Format::sniff(b"\n  {\"time\":1}\n", false), Format::Json);
        assert_eq!(Format::sniff(b"\xef\xbb\xbf{\"time\":1}\n", false), Format::Json);
        assert_eq!(Format::sniff(b"#Version: 1.0\n#Fields: time\n", false), Format::FieldList);
        let classic = b"2024-11-01T00:00:00Z 1.2.3.4 1 443 - - - \"-\" - - -\n";
        assert_eq!(Format::sniff(classic, false), Format::Classic);
        assert_eq!(Format::sniff(classic, true), Format::Classic, "a classic file in a tree of plain deliveries");
        assert_eq!(Format::sniff(b"2024-11-01T00:00:00Z\t1.2.3.4\tSuccess\n", true), Format::FieldList);
        assert_eq!(Format::sniff(b"", false), Format::Classic);
    }

    #[test]
    fn names_match_in_any_case_and_time_under_either_name() {
        assert_eq!(field_for_name(b"time"), Some(Field::Timestamp));
        assert_eq!(field_for_name(b"TIMESTAMP"), Some(Field::Timestamp));
        assert_eq!(field_for_name(b"LEAF_CLIENT_CERT_SUBJECT"), Some(Field::LeafClientCertSubject));
        assert_eq!(field_for_name(b"client-ip"), Some(Field::ClientIp));
        assert_eq!(field_for_name(b"x-edge-location"), None);
        assert_eq!(field_for_name(&[b'a'; 100]), None);
    }
}
