//! Rendering a [`Report`] in the Prometheus text exposition format (version 0.0.4), for
//! node_exporter's textfile collector: run albmtls on a schedule, write the output to
//! `*.prom` in the collector's directory, and alert on failure codes.
//!
//! Every metric is a gauge: a report describes the window of logs it read, so its numbers
//! can go down from one run to the next, which a counter must never do.
//!
//! Labels carry only statuses and codes, which are few. Client addresses and certificate
//! subjects are deliberately left out: each distinct value would become its own time
//! series, and an attack or a fleet of clients would blow up the Prometheus server. The
//! HTML and table reports are the place for them.

use std::io::{self, Write};

use albmtls_parse::{FailureCode, Micros};
use albmtls_report::Report;

/// Writes `report` as Prometheus text exposition.
///
/// Every documented failure code is written, with 0 when the report has none, so that an
/// alert such as `albmtls_failed_connections{code="ClientCertExpired"} > 0` sees a series
/// that exists and drops to 0 rather than one that vanishes. Undocumented `Failed:` codes
/// are written when they occur, with `documented="false"`.
pub fn write_prometheus(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    gauge(out, "albmtls_records", "Connection-log records counted (lines that parsed and passed the filters).")?;
    writeln!(out, "albmtls_records {}", report.records)?;

    gauge(out, "albmtls_connections", "Records by tls_verify_status, exactly as the log writes it (\"-\" is a connection without TLS).")?;
    let mut statuses: Vec<(&str, u64)> = vec![("Success", 0), ("-", 0)];
    statuses.extend(FailureCode::ALL.iter().map(|c| (c.status_text(), 0)));
    let mut others: Vec<(&str, u64)> = Vec::new();
    for status in &report.statuses {
        match statuses.iter_mut().find(|(s, _)| *s == status.status.text()) {
            Some(slot) => slot.1 = status.count,
            None => others.push((status.status.text(), status.count)),
        }
    }
    others.sort_unstable();
    statuses.extend(others);
    for (status, count) in &statuses {
        writeln!(out, "albmtls_connections{{status=\"{}\"}} {count}", label_value(status))?;
    }

    let codes = failure_codes(report);
    gauge(out, "albmtls_failed_connections", "Records whose tls_verify_status is Failed:<code>, by code.")?;
    for c in &codes {
        writeln!(out, "albmtls_failed_connections{{code=\"{}\",documented=\"{}\"}} {}", label_value(c.code), c.documented, c.count)?;
    }
    gauge(out, "albmtls_failure_distinct_clients", "Distinct client IP addresses that failed with each code.")?;
    for c in &codes {
        writeln!(out, "albmtls_failure_distinct_clients{{code=\"{}\"}} {}", label_value(c.code), c.distinct_clients)?;
    }
    gauge(
        out,
        "albmtls_failure_distinct_subjects",
        "Distinct leaf certificate subjects that failed with each code (\"-\" counts as one).",
    )?;
    for c in &codes {
        writeln!(out, "albmtls_failure_distinct_subjects{{code=\"{}\"}} {}", label_value(c.code), c.distinct_subjects)?;
    }
    let last_seen: Vec<(&str, String)> = codes.iter().filter_map(|c| Some((c.code, seconds(c.last_seen?)))).collect();
    if !last_seen.is_empty() {
        gauge(out, "albmtls_failure_last_seen_timestamp_seconds", "Time of the latest record with each failure code, in Unix seconds.")?;
        for (code, value) in &last_seen {
            writeln!(out, "albmtls_failure_last_seen_timestamp_seconds{{code=\"{}\"}} {value}", label_value(code))?;
        }
    }

    gauge(out, "albmtls_malformed_lines", "Non-blank lines that are not connection-log records (not counted).")?;
    writeln!(out, "albmtls_malformed_lines {}", report.malformed)?;
    gauge(out, "albmtls_overlong_lines", "Lines longer than the reader's limit, skipped unread.")?;
    writeln!(out, "albmtls_overlong_lines {}", report.skipped.overlong_lines)?;
    gauge(out, "albmtls_filtered_out_records", "Records that parsed but did not pass the filters.")?;
    writeln!(out, "albmtls_filtered_out_records {}", report.filtered_out)?;
    gauge(out, "albmtls_inputs_read", "Inputs (files, objects, streams) read.")?;
    writeln!(out, "albmtls_inputs_read {}", report.inputs_read)?;
    gauge(out, "albmtls_missing_shards", "Shards of a sharded run that this merged report goes without (albmtls merge --allow-missing).")?;
    writeln!(out, "albmtls_missing_shards {}", report.missing_shards.len())?;
    gauge(out, "albmtls_input_errors", "Inputs that could not be opened or were cut short by an error.")?;
    writeln!(out, "albmtls_input_errors {}", report.skipped.input_errors.len())?;
    // Named in comments, which scrapers ignore: a label per input would be a series per
    // broken file.
    for error in &report.skipped.input_errors {
        let line = format!("{}: {} (after line {})", error.input, error.message, error.after_line);
        writeln!(out, "# input error: {}", line.replace(['\n', '\r'], " "))?;
    }
    gauge(out, "albmtls_skipped_files", "Files skipped because they are not connection logs, by kind.")?;
    for (kind, n) in [
        ("access_log_or_other", report.skipped.files_not_connection_logs),
        ("health_check_log", report.skipped.health_check_logs),
        ("test_file", report.skipped.test_files),
    ] {
        writeln!(out, "albmtls_skipped_files{{kind=\"{kind}\"}} {n}")?;
    }

    let first = report.span.map(|(first, _)| seconds(first));
    let last = report.span.map(|(_, last)| seconds(last));
    if let Some(first) = first {
        gauge(out, "albmtls_first_record_timestamp_seconds", "Time of the earliest record read, in Unix seconds.")?;
        writeln!(out, "albmtls_first_record_timestamp_seconds {first}")?;
    }
    // The one to alert on for freshness: `time() - albmtls_last_record_timestamp_seconds`
    // grows when logs stop arriving.
    if let Some(last) = last {
        gauge(out, "albmtls_last_record_timestamp_seconds", "Time of the latest record read, in Unix seconds.")?;
        writeln!(out, "albmtls_last_record_timestamp_seconds {last}")?;
    }
    Ok(())
}

fn gauge(out: &mut dyn Write, name: &str, help: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} gauge")
}

struct CodeStats<'a> {
    code: &'a str,
    documented: bool,
    count: u64,
    distinct_clients: u64,
    distinct_subjects: u64,
    last_seen: Option<Micros>,
}

/// Every documented code (zeros included), then the undocumented ones the report has.
fn failure_codes(report: &Report) -> Vec<CodeStats<'_>> {
    let mut codes: Vec<CodeStats<'_>> = FailureCode::ALL
        .iter()
        .map(|c| CodeStats { code: c.as_str(), documented: true, count: 0, distinct_clients: 0, distinct_subjects: 0, last_seen: None })
        .collect();
    for f in &report.failures {
        let stats = CodeStats {
            code: f.code(),
            documented: f.documented(),
            count: f.count,
            distinct_clients: f.distinct_clients,
            distinct_subjects: f.distinct_subjects,
            last_seen: Some(f.last_seen),
        };
        match codes.iter_mut().find(|c| c.code == f.code()) {
            Some(slot) => *slot = stats,
            None => codes.push(stats),
        }
    }
    codes
}

/// Escapes a label value as the format requires: backslash, double quote and line feed.
fn label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// A time as exact decimal Unix seconds, `1696439115.514108`; printed from integers
/// because an `f64` cannot hold all 16 digits.
fn seconds(micros: Micros) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let abs = micros.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}
