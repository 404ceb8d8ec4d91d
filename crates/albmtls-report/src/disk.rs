//! How byte strings from logs (subjects, serials, load balancer names, TLS values) are
//! written in partial files.
//!
//! They are kept as bytes because a log may hold any byte, but nearly all of them are
//! UTF-8: those are written as JSON text, and only the others as the list of their bytes,
//! so every value round-trips exactly. A list of numbers takes about four bytes per byte
//! of text; with millions of distinct subjects that made a partial file four times the
//! size of the logs it counts, and slow to merge.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serialize, Serializer};

/// Writes `bytes` as text when it is UTF-8, else as the list of its bytes.
pub(crate) fn serialize_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serializer.serialize_str(text),
        Err(_) => serializer.collect_seq(bytes),
    }
}

/// Reads what [`serialize_bytes`] wrote: text, or a list of bytes.
pub(crate) fn deserialize_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    deserializer.deserialize_any(BytesVisitor)
}

struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text or a list of bytes")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        Ok(text.as_bytes().to_vec())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the file: never trusted for more than a line's worth.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(byte) = seq.next_element::<u8>()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

/// A byte string to write with [`serialize_bytes`], inside a tuple or list.
pub(crate) struct LogBytes<'a>(pub &'a [u8]);

impl Serialize for LogBytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_bytes(self.0, serializer)
    }
}

/// A byte string read with [`deserialize_bytes`], inside a tuple or list.
pub(crate) struct LogBytesBuf(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for LogBytesBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LogBytesBuf, D::Error> {
        deserialize_bytes(deserializer).map(LogBytesBuf)
    }
}

/// A key of a [`Keyed`](crate::keyed::Keyed) table as written in a partial file.
pub trait DiskKey: Sized {
    fn serialize_key<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    fn deserialize_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Listener ports, as numbers.
impl DiskKey for u16 {
    fn serialize_key<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(*self)
    }

    fn deserialize_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
        serde::Deserialize::deserialize(deserializer)
    }
}

/// Values from logs: text when they are UTF-8, else the list of their bytes.
impl DiskKey for Vec<u8> {
    fn serialize_key<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_bytes(self, serializer)
    }

    fn deserialize_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        deserialize_bytes(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_written_as_text_and_anything_else_as_bytes_and_both_read_back_exactly() {
        let cases: [(&[u8], &str); 4] = [
            (b"CN=client-0001.example.com,O=Example", r#""CN=client-0001.example.com,O=Example""#),
            ("CN=J\u{f6}rg \\\"q\\\"".as_bytes(), r#""CN=Jörg \\\"q\\\"""#),
            (b"", r#""""#),
            (b"CN=\xff\xfe", "[67,78,61,255,254]"),
        ];
        for (bytes, json) in cases {
            assert_eq!(serde_json::to_string(&LogBytes(bytes)).unwrap(), json);
            assert_eq!(serde_json::from_str::<LogBytesBuf>(json).unwrap().0, bytes);
        }
    }

    #[test]
    fn anything_but_text_or_bytes_is_refused() {
        for json in ["3", "[256]", "[-1]", r#"{"a": 1}"#, "null", r#"["a"]"#] {
            assert!(serde_json::from_str::<LogBytesBuf>(json).is_err(), "{json}");
        }
    }
}
