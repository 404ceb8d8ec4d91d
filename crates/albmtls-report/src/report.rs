//! The finished report: an [`Aggregate`] sorted, cut to the top N, bucketed in time and
//! joined with the remediation catalogue.
//!
//! It is typed (statuses, microsecond times, addresses, the bucket width): text appears
//! only in its serde form, which is the JSON contract scripts rely on (`albmtls report
//! --format json`), and in the renderers of `albmtls-render`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use albmtls_parse::remediation::{self, Remediation};
use albmtls_parse::{Field, Micros, StatusKey, time::MICROS_PER_MINUTE};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::aggregate::{Aggregate, InputError, MalformedSample, OverlongSample};
use crate::sections::{self, Expiring, HandshakeLatency, ListenerRow, LoadBalancerRow, TlsPosture};
use crate::values::StatusMap;
pub use crate::values::{display_subject, format_bucket, format_time, percent};

/// Timelines longer than this (in buckets) are not filled with empty buckets.
pub const MAX_FILLED_BUCKETS: u64 = 100_000;

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

    /// The width in microseconds.
    pub fn micros(self) -> Micros {
        self.minutes() * MICROS_PER_MINUTE
    }

    /// The bucket exactly `duration` wide, if there is one.
    pub fn of_duration(duration: std::time::Duration) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| u128::from(b.minutes().unsigned_abs()) * 60_000_000 == duration.as_micros())
    }

    /// Buckets from the one holding `first_minute` to the one holding `last_minute`.
    fn count_between(self, first_minute: i64, last_minute: i64) -> u64 {
        let width = self.minutes();
        let between = i128::from(last_minute.div_euclid(width)) - i128::from(first_minute.div_euclid(width));
        u64::try_from(between + 1).unwrap_or(u64::MAX)
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

impl Serialize for Bucket {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

/// How to shape the report.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// Entries in each top list.
    pub top: usize,
    /// Timeline bucket; `None` picks one from the time span.
    pub bucket: Option<Bucket>,
    /// The expiry window after the latest record, in days.
    pub expiring_within_days: u32,
}

impl ReportOptions {
    pub const EXPIRING_WITHIN_DAYS: u32 = 30;
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { top: 10, bucket: None, expiring_within_days: ReportOptions::EXPIRING_WITHIN_DAYS }
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

/// One status and how many records have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: StatusKey,
    pub count: u64,
    /// Percentage of all records, to two decimals.
    pub share: f64,
}

/// One `Failed:…` status and who hit it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusKey,
    pub count: u64,
    pub distinct_clients: u64,
    pub distinct_subjects: u64,
    pub top_clients: Vec<ClientCount>,
    pub top_subjects: Vec<SubjectCount>,
    /// Records of this failure whose input did not deliver the client address.
    pub clients_not_delivered: u64,
    /// Records of this failure whose input did not deliver the subject.
    pub subjects_not_delivered: u64,
    pub first_seen: Micros,
    pub last_seen: Micros,
    pub remediation: &'static Remediation,
}

impl Failure {
    /// The part after `Failed:`.
    pub fn code(&self) -> &str {
        self.status.code().unwrap_or(self.status.text())
    }

    /// Whether AWS documents the code.
    pub fn documented(&self) -> bool {
        self.status.is_documented()
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Failure", 12)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("documented", &self.documented())?;
        s.serialize_field("count", &self.count)?;
        s.serialize_field("distinct_clients", &self.distinct_clients)?;
        s.serialize_field("distinct_subjects", &self.distinct_subjects)?;
        s.serialize_field("top_clients", &self.top_clients)?;
        s.serialize_field("top_subjects", &self.top_subjects)?;
        // Only vended deliveries of a subset of fields have these; classic reports keep
        // their shape.
        if self.clients_not_delivered > 0 {
            s.serialize_field("clients_not_delivered", &self.clients_not_delivered)?;
        }
        if self.subjects_not_delivered > 0 {
            s.serialize_field("subjects_not_delivered", &self.subjects_not_delivered)?;
        }
        s.serialize_field("first_seen", &format_time(self.first_seen))?;
        s.serialize_field("last_seen", &format_time(self.last_seen))?;
        s.serialize_field("remediation", self.remediation)?;
        s.end()
    }
}

/// Records per status in one timeline bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub start: Micros,
    /// Every status with records in the bucket, in text order.
    pub status_counts: Vec<(StatusKey, u64)>,
    /// Records in the bucket whose input did not deliver their status.
    pub status_not_delivered: u64,
}

impl TimelineRow {
    /// Records of `status` in the bucket.
    pub fn count(&self, status: &StatusKey) -> u64 {
        self.status_counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
    }

    /// Records in the bucket.
    pub fn total(&self) -> u64 {
        self.status_counts.iter().map(|(_, n)| n).sum::<u64>() + self.status_not_delivered
    }

    /// Records with any `Failed:` status in the bucket.
    pub fn failed(&self) -> u64 {
        self.status_counts.iter().filter(|(s, _)| s.is_failure()).map(|(_, n)| n).sum()
    }
}

impl Serialize for TimelineRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TimelineRow", 3)?;
        s.serialize_field("bucket_start", &format_bucket(self.start))?;
        s.serialize_field("status_counts", &StatusMap(&self.status_counts))?;
        if self.status_not_delivered > 0 {
            s.serialize_field("status_not_delivered", &self.status_not_delivered)?;
        }
        s.end()
    }
}

/// A timeline of only the buckets with records: from the first to the last, the span
/// has more buckets than a timeline is filled to ([`MAX_FILLED_BUCKETS`]), so the empty
/// ones between them are left out and a gap in the records does not show as a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SparseTimeline {
    /// Buckets from the first with records to the last, empty ones included.
    pub buckets_in_span: u64,
    /// The most buckets a timeline is filled to.
    pub most_filled: u64,
    /// The finest wider bucket whose timeline would be filled, if any is wide enough.
    pub bucket_that_fits: Option<Bucket>,
}

/// What was not counted, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub blank_lines: u64,
    pub overlong_lines: u64,
    /// Where the first overlong lines are.
    pub overlong_samples: Vec<OverlongSample>,
    /// Malformed lines by the first field found wrong.
    pub malformed_by_field: BTreeMap<Field, u64>,
    pub malformed_samples: Vec<MalformedSample>,
    /// Values of records that were counted anyway (the record counts everywhere else;
    /// the value is left out of its own section): latency, validity, key exchange.
    pub malformed_values: BTreeMap<Field, u64>,
    pub files_not_connection_logs: u64,
    pub health_check_logs: u64,
    pub test_files: u64,
    pub input_errors: Vec<InputError>,
    /// Values of undocumented fields in vended records, ignored.
    #[serde(skip_serializing_if = "is_zero")]
    pub ignored_fields: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The finished report.
#[derive(Debug, Clone)]
pub struct Report {
    pub records: u64,
    pub malformed: u64,
    pub filtered_out: u64,
    pub inputs_read: u64,
    /// Times of the earliest and latest record.
    pub span: Option<(Micros, Micros)>,
    /// Every status seen, by count (most first), ties in text order.
    pub statuses: Vec<StatusCount>,
    /// The `Failed:` statuses, in the same order.
    pub failures: Vec<Failure>,
    pub bucket: Bucket,
    /// Every bucket from the first with records to the last, unless `sparse_timeline`
    /// says only those with records are there.
    pub timeline: Vec<TimelineRow>,
    /// Set when the timeline has only the buckets with records, and why.
    pub sparse_timeline: Option<SparseTimeline>,
    /// Records by how many fields their line carried.
    pub field_counts: BTreeMap<usize, u64>,
    /// Records whose input did not deliver a field classic lines always carry (a vended
    /// delivery of a subset of fields), by field. Empty for classic inputs.
    pub not_delivered: BTreeMap<Field, u64>,
    /// Per load balancer, most failed first.
    pub load_balancers: Vec<LoadBalancerRow>,
    /// Per listener port, most failed first.
    pub listeners: Vec<ListenerRow>,
    pub tls: TlsPosture,
    pub handshake_latency: HandshakeLatency,
    pub expiring: Expiring,
    pub skipped: Skipped,
    /// Shards (`2/8`) a merge was told to go without (`albmtls merge --allow-missing`):
    /// the counts cover only the other shards' inputs.
    pub missing_shards: Vec<String>,
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let counts: Vec<(StatusKey, u64)> = self.statuses.iter().map(|s| (s.status.clone(), s.count)).collect();
        let mut s = serializer.serialize_struct("Report", 19)?;
        s.serialize_field("records", &self.records)?;
        s.serialize_field("malformed", &self.malformed)?;
        s.serialize_field("filtered_out", &self.filtered_out)?;
        s.serialize_field("inputs_read", &self.inputs_read)?;
        s.serialize_field("first_seen", &self.span.map(|(first, _)| format_time(first)))?;
        s.serialize_field("last_seen", &self.span.map(|(_, last)| format_time(last)))?;
        s.serialize_field("status_counts", &StatusMap(&counts))?;
        s.serialize_field("statuses", &self.statuses)?;
        s.serialize_field("failures", &self.failures)?;
        s.serialize_field("bucket", &self.bucket)?;
        s.serialize_field("timeline", &self.timeline)?;
        // Only timelines too long to fill have it; others keep their shape.
        if let Some(sparse) = &self.sparse_timeline {
            s.serialize_field("sparse_timeline", sparse)?;
        }
        s.serialize_field("field_counts", &self.field_counts)?;
        if !self.not_delivered.is_empty() {
            s.serialize_field("not_delivered", &self.not_delivered)?;
        }
        s.serialize_field("load_balancers", &self.load_balancers)?;
        s.serialize_field("listeners", &self.listeners)?;
        s.serialize_field("tls", &self.tls)?;
        s.serialize_field("handshake_latency", &self.handshake_latency)?;
        s.serialize_field("expiring", &self.expiring)?;
        s.serialize_field("skipped", &self.skipped)?;
        s.serialize_field("missing_shards", &self.missing_shards)?;
        s.end()
    }
}

impl Report {
    pub fn build(aggregate: &Aggregate, options: ReportOptions) -> Report {
        let span = aggregate.time_span();
        let bucket = options.bucket.unwrap_or_else(|| Bucket::for_span(span.map_or(0, |(a, b)| b - a)));
        let records = aggregate.records;

        let mut statuses: Vec<StatusCount> = aggregate
            .statuses()
            .map(|(status, stats)| StatusCount { status, count: stats.count, share: percent(stats.count, records) })
            .collect();
        statuses.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.text().cmp(b.status.text())));

        let mut failures: Vec<Failure> = aggregate
            .statuses()
            .filter(|(status, _)| status.is_failure())
            .map(|(status, stats)| Failure {
                remediation: remediation::for_status(status.text()),
                status,
                count: stats.count,
                distinct_clients: stats.clients.len() as u64,
                distinct_subjects: stats.subjects.len() as u64,
                top_clients: top(stats.clients.iter(), options.top).map(|(ip, count)| ClientCount { ip, count }).collect(),
                top_subjects: top(stats.subjects.iter(), options.top)
                    .map(|(subject, count)| SubjectCount { subject: display_subject(subject), count })
                    .collect(),
                clients_not_delivered: stats.clients_not_delivered,
                subjects_not_delivered: stats.subjects_not_delivered,
                first_seen: stats.first_seen.unwrap_or_default(),
                last_seen: stats.last_seen.unwrap_or_default(),
            })
            .collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.text().cmp(b.status.text())));

        let mut timeline: BTreeMap<i64, BucketCounts> = BTreeMap::new();
        let bucket_of = |minute: i64| minute.div_euclid(bucket.minutes()) * bucket.minutes();
        for (status, stats) in aggregate.statuses() {
            for (minute, n) in stats.per_minute.iter() {
                let counts = &mut timeline.entry(bucket_of(minute)).or_default().statuses;
                counts.entry(status.text().to_owned()).or_insert_with(|| (status.clone(), 0)).1 += n;
            }
        }
        for (minute, n) in aggregate.status_not_delivered().per_minute.iter() {
            timeline.entry(bucket_of(minute)).or_default().status_not_delivered += n;
        }
        // Every bucket from the first to the last, empty ones included: a bucket left out
        // would make an outage look like steady traffic. A span of more buckets than
        // anyone reads (a stray timestamp decades away, a hand-made partial file) keeps
        // only the buckets with records rather than filling memory, and says so.
        let mut sparse_timeline = None;
        if let (Some(&first), Some(&last)) = (timeline.keys().next(), timeline.keys().next_back()) {
            let buckets_in_span = bucket.count_between(first, last);
            if buckets_in_span <= MAX_FILLED_BUCKETS {
                let mut start = first;
                while start < last {
                    timeline.entry(start).or_default();
                    start += bucket.minutes();
                }
            } else {
                let bucket_that_fits =
                    Bucket::ALL.into_iter().find(|wider| *wider > bucket && wider.count_between(first, last) <= MAX_FILLED_BUCKETS);
                sparse_timeline = Some(SparseTimeline { buckets_in_span, most_filled: MAX_FILLED_BUCKETS, bucket_that_fits });
            }
        }

        Report {
            records,
            malformed: aggregate.malformed,
            filtered_out: aggregate.filtered_out,
            inputs_read: aggregate.inputs_read,
            span,
            statuses,
            failures,
            bucket,
            timeline: timeline
                .into_iter()
                .map(|(minute, counts)| TimelineRow {
                    start: minute * MICROS_PER_MINUTE,
                    status_counts: counts.statuses.into_values().collect(),
                    status_not_delivered: counts.status_not_delivered,
                })
                .collect(),
            sparse_timeline,
            field_counts: aggregate.field_counts.iter().collect(),
            not_delivered: aggregate.not_delivered.clone(),
            load_balancers: sections::load_balancers(aggregate),
            listeners: sections::listeners(aggregate),
            tls: sections::tls(aggregate, options.top),
            handshake_latency: sections::handshake_latency(aggregate),
            expiring: sections::expiring(aggregate, span.map(|(_, last)| last), options.expiring_within_days),
            skipped: Skipped {
                malformed_values: sections::malformed_values(aggregate),
                blank_lines: aggregate.blank_lines,
                overlong_lines: aggregate.overlong_lines,
                overlong_samples: aggregate.overlong_samples.clone(),
                malformed_by_field: aggregate.malformed_by_field.clone(),
                malformed_samples: aggregate.malformed_samples.clone(),
                files_not_connection_logs: aggregate.skipped_files.access_logs_and_other,
                health_check_logs: aggregate.skipped_files.health_check_logs,
                test_files: aggregate.skipped_files.test_files,
                input_errors: aggregate.input_errors.clone(),
                ignored_fields: aggregate.ignored_fields,
            },
            missing_shards: Vec::new(),
        }
    }

    /// Every `Failed:` record, documented or not.
    pub fn failed_records(&self) -> u64 {
        self.failures.iter().map(|f| f.count).sum()
    }

    /// Records of `status`.
    pub fn count(&self, status: &StatusKey) -> u64 {
        self.statuses.iter().find(|s| &s.status == status).map_or(0, |s| s.count)
    }
}

/// The records of one timeline bucket while the report is built: per status (by text,
/// which orders the row), and those whose status was not delivered.
#[derive(Default)]
struct BucketCounts {
    statuses: BTreeMap<String, (StatusKey, u64)>,
    status_not_delivered: u64,
}

/// The `n` largest counts, ties broken by key so output is stable, best first.
///
/// A failure code may have millions of clients: they are streamed through a heap of the
/// `n` best so far (its top is the worst of them), so memory follows `n`, not the keys.
fn top<K: Ord + Copy>(items: impl Iterator<Item = (K, u64)>, n: usize) -> impl Iterator<Item = (K, u64)> {
    /// Orders better entries first: more records, then the smaller key.
    #[derive(PartialEq, Eq)]
    struct Ranked<K>((K, u64));
    impl<K: Ord> Ord for Ranked<K> {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            other.0.1.cmp(&self.0.1).then_with(|| self.0.0.cmp(&other.0.0))
        }
    }
    impl<K: Ord> PartialOrd for Ranked<K> {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    let mut best: std::collections::BinaryHeap<Ranked<K>> = std::collections::BinaryHeap::with_capacity(n);
    for item in items {
        if best.len() < n {
            best.push(Ranked(item));
        } else if let Some(mut worst) = best.peek_mut()
            && Ranked(item) < *worst
        {
            *worst = Ranked(item);
        }
    }
    best.into_sorted_vec().into_iter().map(|Ranked(item)| item)
}

#[cfg(test)]
mod tests {
    use super::top;

    #[test]
    fn top_equals_sorting_everything_and_taking_the_first_n() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 33
        };
        // Few distinct counts, so ties on the count are broken by the key.
        let items: Vec<(u64, u64)> = (0..5000).map(|key| (key * 7919 % 5003, next() % 12)).collect();
        let mut sorted = items.clone();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for n in [0, 1, 3, 10, 4999, 5000, 6000] {
            let expected: Vec<(u64, u64)> = sorted.iter().copied().take(n).collect();
            assert_eq!(top(items.iter().copied(), n).collect::<Vec<_>>(), expected, "n = {n}");
        }
    }
}
