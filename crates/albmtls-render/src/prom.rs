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

    write_posture(report, out)?;

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
    // Only vended deliveries of a subset of fields have these: the per-status and
    // per-listener series above count only the records that delivered those fields.
    if !report.not_delivered.is_empty() {
        gauge(
            out,
            "albmtls_not_delivered_records",
            "Records whose input did not deliver a field (a vended delivery of a subset of fields), by field.",
        )?;
        for (field, n) in &report.not_delivered {
            writeln!(out, "albmtls_not_delivered_records{{field=\"{}\"}} {n}", field.name())?;
        }
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

/// Per load balancer and listener, TLS protocols and key exchanges, handshake latency and
/// expiring certificates. Load balancers, ports, protocols and groups are few per
/// account, so they may be labels; subjects and clients stay out, as above.
fn write_posture(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.load_balancers.is_empty() {
        gauge(out, "albmtls_lb_connections", "Records by load balancer (field 14, else the file name, else \"-\") and tls_verify_status.")?;
        for lb in &report.load_balancers {
            for (status, n) in &lb.traffic.status_counts {
                writeln!(out, "albmtls_lb_connections{{elb=\"{}\",status=\"{}\"}} {n}", label_value(&lb.elb), label_value(status.text()))?;
            }
        }
    }
    if !report.listeners.is_empty() {
        gauge(out, "albmtls_listener_connections", "Records by listener port and tls_verify_status.")?;
        for listener in &report.listeners {
            for (status, n) in &listener.traffic.status_counts {
                writeln!(out, "albmtls_listener_connections{{port=\"{}\",status=\"{}\"}} {n}", listener.port, label_value(status.text()))?;
            }
        }
    }
    let tls = &report.tls;
    if !tls.protocols.is_empty() {
        gauge(out, "albmtls_tls_protocol_connections", "Records by negotiated TLS protocol.")?;
        for (protocol, n) in &tls.protocols {
            writeln!(out, "albmtls_tls_protocol_connections{{protocol=\"{}\"}} {n}", label_value(protocol))?;
        }
    }
    if !tls.key_exchanges.is_empty() {
        gauge(out, "albmtls_tls_key_exchange_connections", "Records by key exchange group (field 13), as written.")?;
        for (group, n) in &tls.key_exchanges {
            let pq = albmtls_parse::tls::is_post_quantum(group.as_bytes());
            writeln!(out, "albmtls_tls_key_exchange_connections{{group=\"{}\",post_quantum=\"{pq}\"}} {n}", label_value(group))?;
        }
    }
    gauge(out, "albmtls_tls_post_quantum_ratio", "Share of records naming a key exchange whose group is a hybrid ML-KEM one (0 to 1).")?;
    let ratio = if tls.key_exchange_records == 0 { 0.0 } else { tls.post_quantum_records as f64 / tls.key_exchange_records as f64 };
    writeln!(out, "albmtls_tls_post_quantum_ratio {ratio}")?;
    gauge(out, "albmtls_tls_legacy_connections", "Records on TLS 1.0 or 1.1.")?;
    writeln!(out, "albmtls_tls_legacy_connections {}", tls.legacy_records)?;

    let latency = &report.handshake_latency;
    if latency.overall.records > 0 {
        gauge(
            out,
            "albmtls_handshake_latency_seconds",
            "Handshake latency percentiles (exact, from millisecond values) by protocol; protocol=\"all\" for every record; stat is p50, p90, p99 or max.",
        )?;
        let mut rows = vec![("all", &latency.overall)];
        rows.extend(latency.by_protocol.iter().map(|(p, s)| (p.as_str(), s)));
        rows.extend(latency.protocol_not_delivered.as_ref().map(|s| (crate::NOT_DELIVERED, s)));
        for (protocol, s) in rows {
            // `stat`, not `quantile`: that label belongs to summaries, which are counters.
            for (stat, value) in [("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("max", s.max)] {
                if let Some(value) = value {
                    writeln!(out, "albmtls_handshake_latency_seconds{{protocol=\"{}\",stat=\"{stat}\"}} {value}", label_value(protocol))?;
                }
            }
        }
        gauge(
            out,
            "albmtls_lb_handshake_latency_seconds",
            "Handshake latency percentiles (exact, from millisecond values) by load balancer; stat is p50, p90, p99 or max.",
        )?;
        for (elb, s) in &latency.by_load_balancer {
            for (stat, value) in [("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("max", s.max)] {
                if let Some(value) = value {
                    writeln!(out, "albmtls_lb_handshake_latency_seconds{{elb=\"{}\",stat=\"{stat}\"}} {value}", label_value(elb))?;
                }
            }
        }
    }
    gauge(
        out,
        "albmtls_expiring_certificates",
        "Client certificates of successful connections whose NotAfter falls within the expiry window after the latest record.",
    )?;
    writeln!(
        out,
        "albmtls_expiring_certificates{{within_days=\"{}\"}} {}",
        report.expiring.within_days,
        report.expiring.certificates.len()
    )?;
    if let Some(soonest) = report.expiring.certificates.first() {
        gauge(
            out,
            "albmtls_expiring_certificate_soonest_timestamp_seconds",
            "NotAfter of the certificate in the window that expires first, in Unix seconds.",
        )?;
        writeln!(out, "albmtls_expiring_certificate_soonest_timestamp_seconds {}", seconds(soonest.not_after))?;
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
