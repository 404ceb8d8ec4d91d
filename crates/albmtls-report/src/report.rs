//! The finished report: an [`Aggregate`] sorted, cut to the top N, bucketed in time and
//! joined with the remediation catalogue. Its serde form is the JSON contract scripts
//! rely on (`albmtls report --format json`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use albmtls_parse::{Micros, time::MICROS_PER_MINUTE, unescape_subject};
use serde::Serialize;

use crate::aggregate::{Aggregate, InputError, MalformedSample, StatusKey};
use crate::remediation::{self, Remediation};

/// Width of one timeline bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    Minute,
    FiveMinutes,
    FifteenMinutes,
    Hour,
    Day,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [Bucket::Minute, Bucket::FiveMinutes, Bucket::FifteenMinutes, Bucket::Hour, Bucket::Day];

    pub fn minutes(self) -> i64 {
        match self {
            Bucket::Minute => 1,
            Bucket::FiveMinutes => 5,
            Bucket::FifteenMinutes => 15,
            Bucket::Hour => 60,
            Bucket::Day => 1440,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Minute => "1m",
            Bucket::FiveMinutes => "5m",
            Bucket::FifteenMinutes => "15m",
            Bucket::Hour => "1h",
            Bucket::Day => "1d",
        }
    }

    /// The finest bucket that keeps a timeline of `span` to about 150 rows or fewer.
    pub fn for_span(span_micros: Micros) -> Bucket {
        let minutes = span_micros / MICROS_PER_MINUTE;
        Bucket::ALL.into_iter().find(|b| minutes / b.minutes() <= 150).unwrap_or(Bucket::Day)
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Bucket {
    type Err = String;

    fn from_str(s: &str) -> Result<Bucket, String> {
        Bucket::ALL.into_iter().find(|b| b.label() == s).ok_or_else(|| format!("unknown bucket `{s}`: use one of 1m, 5m, 15m, 1h, 1d"))
    }
}

/// How to shape the report.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// Entries in each top list.
    pub top: usize,
    /// Timeline bucket; `None` picks one from the time span.
    pub bucket: Option<Bucket>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { top: 10, bucket: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientCount {
    pub ip: IpAddr,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectCount {
    /// Unescaped, lossily decoded; `-` when the line had no certificate.
    pub subject: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: String,
    pub count: u64,
    /// Percentage of all records.
    pub share: f64,
}

/// One `Failed:…` status and who hit it.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// Exact text, e.g. `Failed:ClientCertExpired`.
    pub status: String,
    /// The part after `Failed:`.
    pub code: String,
    pub documented: bool,
    pub count: u64,
    pub distinct_clients: u64,
    pub distinct_subjects: u64,
    pub top_clients: Vec<ClientCount>,
    pub top_subjects: Vec<SubjectCount>,
    pub first_seen: String,
    pub last_seen: String,
    pub remediation: &'static Remediation,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub bucket_start: String,
    pub status_counts: BTreeMap<String, u64>,
}

/// What was not counted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub blank_lines: u64,
    pub overlong_lines: u64,
    pub malformed_by_field: BTreeMap<String, u64>,
    pub malformed_samples: Vec<MalformedSample>,
    pub files_not_connection_logs: u64,
    pub health_check_logs: u64,
    pub test_files: u64,
    pub input_errors: Vec<InputError>,
}

/// The finished report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub records: u64,
    pub malformed: u64,
    pub filtered_out: u64,
    pub inputs_read: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Exact status text → count, every status seen.
    pub status_counts: BTreeMap<String, u64>,
    /// The same, ordered by count, with shares.
    pub statuses: Vec<StatusCount>,
    pub failures: Vec<Failure>,
    pub bucket: String,
    pub timeline: Vec<TimelineRow>,
    pub field_counts: BTreeMap<String, u64>,
    pub skipped: Skipped,
}

impl Report {
    pub fn build(aggregate: &Aggregate, options: ReportOptions) -> Report {
        let span = aggregate.time_span();
        let bucket = options.bucket.unwrap_or_else(|| Bucket::for_span(span.map_or(0, |(a, b)| b - a)));
        let records = aggregate.records;

        let mut statuses: Vec<StatusCount> = aggregate
            .statuses()
            .map(|(key, stats)| StatusCount { status: key.text().to_owned(), count: stats.count, share: percent(stats.count, records) })
            .collect();
        statuses.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));

        let mut failures: Vec<Failure> = aggregate
            .statuses()
            .filter(|(key, _)| key.is_failure())
            .map(|(key, stats)| {
                let documented = matches!(key, StatusKey::Failed(_));
                let remediation = remediation::for_status(key.text());
                Failure {
                    status: key.text().to_owned(),
                    code: key.text().strip_prefix("Failed:").unwrap_or(key.text()).to_owned(),
                    documented,
                    count: stats.count,
                    distinct_clients: stats.clients.len() as u64,
                    distinct_subjects: stats.subjects.len() as u64,
                    top_clients: top(stats.clients.iter().map(|(ip, n)| (*ip, *n)), options.top)
                        .map(|(ip, count)| ClientCount { ip, count })
                        .collect(),
                    top_subjects: top(stats.subjects.iter().map(|(s, n)| (s.as_slice(), *n)), options.top)
                        .map(|(subject, count)| SubjectCount { subject: display_subject(subject), count })
                        .collect(),
                    first_seen: stats.first_seen.map(format_time).unwrap_or_default(),
                    last_seen: stats.last_seen.map(format_time).unwrap_or_default(),
                    remediation,
                }
            })
            .collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));

        let mut timeline: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
        for (key, stats) in aggregate.statuses() {
            for (minute, n) in stats.per_minute.iter() {
                let start = minute.div_euclid(bucket.minutes()) * bucket.minutes();
                *timeline.entry(start).or_default().entry(key.text().to_owned()).or_default() += n;
            }
        }

        Report {
            records,
            malformed: aggregate.malformed,
            filtered_out: aggregate.filtered_out,
            inputs_read: aggregate.inputs_read,
            first_seen: span.map(|(first, _)| format_time(first)),
            last_seen: span.map(|(_, last)| format_time(last)),
            status_counts: statuses.iter().map(|s| (s.status.clone(), s.count)).collect(),
            statuses,
            failures,
            bucket: bucket.label().to_owned(),
            timeline: timeline
                .into_iter()
                .map(|(minute, status_counts)| TimelineRow { bucket_start: format_bucket(minute * MICROS_PER_MINUTE), status_counts })
                .collect(),
            field_counts: aggregate.field_counts.iter().map(|(n, c)| (n.to_string(), c)).collect(),
            skipped: Skipped {
                blank_lines: aggregate.blank_lines,
                overlong_lines: aggregate.overlong_lines,
                malformed_by_field: aggregate.malformed_by_field.iter().map(|(f, n)| (f.name().to_owned(), *n)).collect(),
                malformed_samples: aggregate.malformed_samples.clone(),
                files_not_connection_logs: aggregate.skipped_files.access_logs_and_other,
                health_check_logs: aggregate.skipped_files.health_check_logs,
                test_files: aggregate.skipped_files.test_files,
                input_errors: aggregate.input_errors.clone(),
            },
        }
    }

    /// Every `Failed:` record, documented or not.
    pub fn failed_records(&self) -> u64 {
        self.failures.iter().map(|f| f.count).sum()
    }
}

/// The `n` largest counts, ties broken by key so output is stable.
fn top<K: Ord + Copy>(items: impl Iterator<Item = (K, u64)>, n: usize) -> impl Iterator<Item = (K, u64)> {
    let mut all: Vec<(K, u64)> = items.collect();
    all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(n);
    all.into_iter()
}

fn percent(part: u64, whole: u64) -> f64 {
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
fn format_bucket(micros: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| micros.to_string())
}
