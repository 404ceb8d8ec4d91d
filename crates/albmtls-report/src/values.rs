//! How the report's values appear in its serde form and to people: times, time buckets,
//! subjects, percentages, and statuses with their counts as one JSON object.

use albmtls_parse::{Micros, StatusKey, unescape_subject};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// `(status, count)` pairs as a JSON object keyed by the status text, in text order.
pub(crate) struct StatusMap<'a>(pub(crate) &'a [(StatusKey, u64)]);

impl Serialize for StatusMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sorted: Vec<&(StatusKey, u64)> = self.0.iter().collect();
        sorted.sort_by(|a, b| a.0.text().cmp(b.0.text()));
        let mut map = serializer.serialize_map(Some(sorted.len()))?;
        for (status, count) in sorted {
            map.serialize_entry(status.text(), count)?;
        }
        map.end()
    }
}

/// `part` as a percentage of `whole`, rounded to two decimals.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 * 10_000.0 / whole as f64).round() / 100.0 }
}

/// A subject for people: escapes undone, invalid UTF-8 replaced.
pub fn display_subject(raw: &[u8]) -> String {
    String::from_utf8_lossy(&unescape_subject(raw)).into_owned()
}

/// `2023-10-04T17:05:15.514108Z`.
pub fn format_time(micros: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_else(|| micros.to_string())
}

/// `2023-10-04T17:05:00Z`.
pub fn format_bucket(micros: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| micros.to_string())
}
