//! The report as CSV: one table per section, one row per status (or load balancer, TLS
//! value, ...). Values are exact (the csv crate quotes what needs quoting); nothing is
//! escaped for terminals.
//!
//! Whatever the section, rows for what the report lacks follow its table, so a
//! spreadsheet of any section shows it: an input that could not be read (or not to the
//! end), a shard a merge went without. They name the case in the first column and
//! describe it in the last.

use std::io::{self, Write};

use albmtls_parse::Field;
use albmtls_report::Report;
use albmtls_report::report::format_time;
use albmtls_report::sections::Traffic;

use crate::NOT_DELIVERED;

/// The first cell of a row that names an input with an error rather than a value.
const INPUT_ERROR: &str = "(input error)";

/// The first cell of a row that names a shard a merge went without.
const MISSING_SHARD: &str = "(missing shard)";

/// The section a CSV file holds (`--section`): each is one table with its own columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CsvSection {
    /// One row per status, with the failure details alongside.
    #[default]
    Statuses,
    /// One row per load balancer and status.
    LoadBalancers,
    /// One row per listener port and status.
    Listeners,
    /// One row per protocol, cipher and key exchange.
    Tls,
    /// Latency percentiles: one row for every record, then one per protocol and per
    /// load balancer.
    Latency,
    /// One row per certificate in the expiry window.
    Expiring,
}

type CsvWriter<'a> = ::csv::Writer<&'a mut dyn Write>;

pub(crate) fn write_csv(report: &Report, section: CsvSection, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = ::csv::Writer::from_writer(out);
    let columns = match section {
        CsvSection::Statuses => write_statuses(report, &mut csv)?,
        CsvSection::LoadBalancers => {
            let rows = report.load_balancers.iter().map(|lb| (lb.elb.clone(), &lb.traffic));
            write_traffic(rows, &mut csv)?
        }
        CsvSection::Listeners => {
            let columns = write_traffic(report.listeners.iter().map(|l| (l.port.to_string(), &l.traffic)), &mut csv)?;
            if let Some(n) = crate::not_delivered(report, Field::ListenerPort) {
                row(&mut csv, [NOT_DELIVERED.to_owned(), n.to_string(), String::new(), String::new(), String::new()])?;
            }
            columns
        }
        CsvSection::Tls => write_tls(report, &mut csv)?,
        CsvSection::Latency => write_latency(report, &mut csv)?,
        CsvSection::Expiring => write_expiring(report, &mut csv)?,
    };
    write_what_is_missing(report, columns, &mut csv)?;
    csv.flush()
}

/// One row per status, with the failure details alongside, and one for the records
/// without a status when the inputs did not deliver it; returns the column count.
fn write_statuses(report: &Report, csv: &mut CsvWriter<'_>) -> io::Result<usize> {
    let header = [
        "status",
        "count",
        "share_percent",
        "distinct_clients",
        "distinct_subjects",
        "first_seen",
        "last_seen",
        "top_client",
        "top_client_count",
        "top_subject",
        "summary",
    ];
    row(csv, header)?;
    for status in &report.statuses {
        let failure = report.failures.iter().find(|f| f.status == status.status);
        row(
            csv,
            [
                status.status.text().to_owned(),
                status.count.to_string(),
                format!("{:.2}", status.share),
                failure.map(|f| f.distinct_clients.to_string()).unwrap_or_default(),
                failure.map(|f| f.distinct_subjects.to_string()).unwrap_or_default(),
                failure.map(|f| format_time(f.first_seen)).unwrap_or_default(),
                failure.map(|f| format_time(f.last_seen)).unwrap_or_default(),
                failure.and_then(|f| f.top_clients.first()).map(|c| c.ip.to_string()).unwrap_or_default(),
                failure.and_then(|f| f.top_clients.first()).map(|c| c.count.to_string()).unwrap_or_default(),
                failure.and_then(|f| f.top_subjects.first()).map(|s| s.subject.clone()).unwrap_or_default(),
                failure.map(|f| f.remediation.summary.to_owned()).unwrap_or_default(),
            ],
        )?;
    }
    if let Some(n) = crate::not_delivered(report, Field::TlsVerifyStatus) {
        let mut cells = vec![String::new(); header.len()];
        cells[0] = NOT_DELIVERED.to_owned();
        cells[1] = n.to_string();
        cells[2] = crate::percent(n, report.records);
        cells[header.len() - 1] = crate::STATUS_NOT_DELIVERED.to_owned();
        row(csv, cells)?;
    }
    Ok(header.len())
}

/// One row per load balancer (or listener port) and status, the records without a status
/// under "not delivered"; returns the column count.
fn write_traffic<'r>(rows: impl Iterator<Item = (String, &'r Traffic)>, csv: &mut CsvWriter<'_>) -> io::Result<usize> {
    let header = ["load_balancer_or_port", "records", "failed", "status", "count"];
    row(csv, header)?;
    for (key, traffic) in rows {
        let statuses = traffic.status_counts.iter().map(|(status, n)| (status.text(), *n));
        let not_delivered = (traffic.status_not_delivered > 0).then_some((NOT_DELIVERED, traffic.status_not_delivered));
        for (status, n) in statuses.chain(not_delivered) {
            row(csv, [key.clone(), traffic.records.to_string(), traffic.failed.to_string(), status.to_owned(), n.to_string()])?;
        }
    }
    Ok(header.len())
}

/// One row per protocol, cipher, key exchange and legacy client; returns the column count.
fn write_tls(report: &Report, csv: &mut CsvWriter<'_>) -> io::Result<usize> {
    let header = ["kind", "value", "records", "post_quantum"];
    row(csv, header)?;
    let tls = &report.tls;
    for (kind, counts, field) in [
        ("protocol", &tls.protocols, Some(Field::TlsProtocol)),
        ("cipher", &tls.ciphers, Some(Field::TlsCipher)),
        ("key_exchange", &tls.key_exchanges, None),
    ] {
        for (value, n) in counts {
            let pq = if kind == "key_exchange" { albmtls_parse::tls::is_post_quantum(value.as_bytes()).to_string() } else { String::new() };
            row(csv, [kind.to_owned(), value.clone(), n.to_string(), pq])?;
        }
        if let Some(n) = field.and_then(|field| crate::not_delivered(report, field)) {
            row(csv, [kind.to_owned(), NOT_DELIVERED.to_owned(), n.to_string(), String::new()])?;
        }
    }
    for c in &tls.legacy_clients {
        row(csv, ["legacy_client".to_owned(), format!("{} {}", c.ip, c.protocol), c.count.to_string(), String::new()])?;
    }
    Ok(header.len())
}

/// One row per protocol (and `all`, and the records whose protocol was not delivered) and
/// per load balancer with latency percentiles; returns the column count.
fn write_latency(report: &Report, csv: &mut CsvWriter<'_>) -> io::Result<usize> {
    let header = ["by", "value", "records", "p50_seconds", "p90_seconds", "p99_seconds", "max_seconds"];
    row(csv, header)?;
    let latency = &report.handshake_latency;
    let mut rows = vec![("all", "all", &latency.overall)];
    rows.extend(latency.by_protocol.iter().map(|(p, s)| ("protocol", p.as_str(), s)));
    rows.extend(latency.protocol_not_delivered.as_ref().map(|s| ("protocol", NOT_DELIVERED, s)));
    rows.extend(latency.by_load_balancer.iter().map(|(lb, s)| ("load_balancer", lb.as_str(), s)));
    let value = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (by, name, s) in rows {
        row(csv, [by.to_owned(), name.to_owned(), s.records.to_string(), value(s.p50), value(s.p90), value(s.p99), value(s.max)])?;
    }
    Ok(header.len())
}

/// One row per certificate in the expiry window; returns the column count.
fn write_expiring(report: &Report, csv: &mut CsvWriter<'_>) -> io::Result<usize> {
    let header = ["subject", "serial", "not_after", "days_left", "connections", "last_seen", "last_client_ip"];
    row(csv, header)?;
    for c in &report.expiring.certificates {
        row(
            csv,
            [
                c.subject.clone().unwrap_or_else(|| NOT_DELIVERED.to_owned()),
                c.serial.clone().unwrap_or_else(|| NOT_DELIVERED.to_owned()),
                format_time(c.not_after),
                c.days_left.to_string(),
                c.connections.to_string(),
                format_time(c.last_seen),
                c.last_client_ip.to_string(),
            ],
        )?;
    }
    Ok(header.len())
}

/// A row per input with an error and per shard a merge went without, `columns` wide:
/// what it is in the first cell, what it means in the last.
fn write_what_is_missing(report: &Report, columns: usize, csv: &mut CsvWriter<'_>) -> io::Result<()> {
    let notes = report
        .skipped
        .input_errors
        .iter()
        .map(|error| (INPUT_ERROR, format!("{}: {} (after line {})", error.input, error.message, error.after_line)))
        .chain(report.missing_shards.iter().map(|shard| (MISSING_SHARD, crate::missing_shards_note(std::slice::from_ref(shard)))));
    for (what, text) in notes {
        let mut cells = vec![String::new(); columns];
        cells[0] = what.to_owned();
        cells[columns - 1] = text;
        row(csv, cells)?;
    }
    Ok(())
}

fn row<I>(csv: &mut CsvWriter<'_>, cells: I) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    csv.write_record(cells).map_err(io::Error::other)
}
