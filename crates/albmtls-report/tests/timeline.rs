//! Timelines have every bucket from the first to the last, so an outage shows.

use albmtls_parse::Record;
use albmtls_report::report::format_bucket;
use albmtls_report::{Aggregate, Bucket, Report, ReportOptions};

fn report(lines: &[&str], bucket: Bucket) -> Report {
    let mut aggregate = Aggregate::new();
    for line in lines {
        aggregate.add(&Record::parse(line.as_bytes()).unwrap());
    }
    Report::build(&aggregate, ReportOptions { bucket: Some(bucket), ..ReportOptions::default() })
}

fn line(time: &str) -> String {
    format!("{time} 203.0.113.7 1 443 TLSv1.3 X - \"CN=a\" - 02 Success TID_1")
}

#[test]
fn empty_buckets_between_the_first_and_the_last_are_rows() {
    let lines = [line("2026-11-02T10:00:01Z"), line("2026-11-02T13:59:00Z"), line("2026-11-02T10:30:00Z")];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = report(&lines, Bucket::Hour);
    let starts: Vec<String> = r.timeline.iter().map(|row| format_bucket(row.start)).collect();
    assert_eq!(starts, ["2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z", "2026-11-02T12:00:00Z", "2026-11-02T13:00:00Z"]);
    assert_eq!(r.timeline.iter().map(|row| row.total()).collect::<Vec<_>>(), [2, 0, 0, 1]);
    assert!(r.timeline[1].status_counts.is_empty());
}

#[test]
fn a_stray_timestamp_decades_away_does_not_fill_memory() {
    let lines = [line("2026-11-02T10:00:01Z"), line("2096-11-02T10:00:01Z")];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = report(&lines, Bucket::Minute);
    assert_eq!(r.timeline.len(), 2, "only the buckets with records");
    let r = report(&lines, Bucket::Day);
    assert_eq!(r.timeline.len(), 25_569, "seventy years of days are filled, both ends included");
}
