//! The report as CSV: one row per status, with the failure details alongside. Values are
//! exact (the csv crate quotes what needs quoting); nothing is escaped for terminals.

use std::io::{self, Write};

use albmtls_parse::Field;
use albmtls_report::Report;
use albmtls_report::report::format_time;

use crate::NOT_DELIVERED;

/// The `status` of a row that names an input with an error rather than a status.
const INPUT_ERROR: &str = "(input error)";

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
    /// One row per protocol (and `all`) with latency percentiles.
    Latency,
    /// One row per certificate in the expiry window.
    Expiring,
}

pub(crate) fn write_csv(report: &Report, section: CsvSection, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = ::csv::Writer::from_writer(out);
    let mut write = |row: &[String]| csv_row(&mut csv, row);
    match section {
        CsvSection::Statuses => {}
        CsvSection::LoadBalancers | CsvSection::Listeners => {
            write(&["load_balancer_or_port", "records", "failed", "status", "count"].map(String::from))?;
            let rows: Vec<(String, &albmtls_report::sections::Traffic)> = if section == CsvSection::LoadBalancers {
                report.load_balancers.iter().map(|lb| (lb.elb.clone(), &lb.traffic)).collect()
            } else {
                report.listeners.iter().map(|l| (l.port.to_string(), &l.traffic)).collect()
            };
            for (key, traffic) in rows {
                let statuses = traffic.status_counts.iter().map(|(status, n)| (status.text(), *n));
                let not_delivered = (traffic.status_not_delivered > 0).then_some((NOT_DELIVERED, traffic.status_not_delivered));
                for (status, n) in statuses.chain(not_delivered) {
                    write(&[key.clone(), traffic.records.to_string(), traffic.failed.to_string(), status.to_owned(), n.to_string()])?;
                }
            }
            if section == CsvSection::Listeners
                && let Some(n) = crate::not_delivered(report, Field::ListenerPort)
            {
                write(&[NOT_DELIVERED.to_owned(), n.to_string(), String::new(), String::new(), String::new()])?;
            }
            return csv.flush();
        }
        CsvSection::Tls => {
            write(&["kind", "value", "records", "post_quantum"].map(String::from))?;
            let tls = &report.tls;
            for (kind, counts, field) in [
                ("protocol", &tls.protocols, Some(Field::TlsProtocol)),
                ("cipher", &tls.ciphers, Some(Field::TlsCipher)),
                ("key_exchange", &tls.key_exchanges, None),
            ] {
                for (value, n) in counts {
                    let pq = if kind == "key_exchange" {
                        albmtls_parse::tls::is_post_quantum(value.as_bytes()).to_string()
                    } else {
                        String::new()
                    };
                    write(&[kind.to_owned(), value.clone(), n.to_string(), pq])?;
                }
                if let Some(n) = field.and_then(|field| crate::not_delivered(report, field)) {
                    write(&[kind.to_owned(), NOT_DELIVERED.to_owned(), n.to_string(), String::new()])?;
                }
            }
            for c in &tls.legacy_clients {
                write(&["legacy_client".to_owned(), format!("{} {}", c.ip, c.protocol), c.count.to_string(), String::new()])?;
            }
            return csv.flush();
        }
        CsvSection::Latency => {
            write(&["protocol", "records", "p50_seconds", "p90_seconds", "p99_seconds", "max_seconds"].map(String::from))?;
            let latency = &report.handshake_latency;
            let mut rows = vec![("all", &latency.overall)];
            rows.extend(latency.by_protocol.iter().map(|(p, s)| (p.as_str(), s)));
            rows.extend(latency.protocol_not_delivered.as_ref().map(|s| (NOT_DELIVERED, s)));
            let value = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for (protocol, s) in rows {
                write(&[protocol.to_owned(), s.records.to_string(), value(s.p50), value(s.p90), value(s.p99), value(s.max)])?;
            }
            return csv.flush();
        }
        CsvSection::Expiring => {
            write(&["subject", "serial", "not_after", "days_left", "connections", "last_seen", "last_client_ip"].map(String::from))?;
            for c in &report.expiring.certificates {
                write(&[
                    c.subject.clone().unwrap_or_else(|| NOT_DELIVERED.to_owned()),
                    c.serial.clone().unwrap_or_else(|| NOT_DELIVERED.to_owned()),
                    format_time(c.not_after),
                    c.days_left.to_string(),
                    c.connections.to_string(),
                    format_time(c.last_seen),
                    c.last_client_ip.to_string(),
                ])?;
            }
            return csv.flush();
        }
    }
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
    csv.write_record(header).map_err(io::Error::other)?;
    for status in &report.statuses {
        let failure = report.failures.iter().find(|f| f.status == status.status);
        let row = [
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
        ];
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    if let Some(n) = crate::not_delivered(report, Field::TlsVerifyStatus) {
        let mut row: Vec<String> = vec![String::new(); header.len()];
        row[0] = NOT_DELIVERED.to_owned();
        row[1] = n.to_string();
        row[2] = crate::percent(n, report.records);
        row[header.len() - 1] = crate::STATUS_NOT_DELIVERED.to_owned();
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    // Inputs that could not be read (or not to the end) follow the statuses, one row
    // each, so a spreadsheet of the report shows what it is missing.
    for error in &report.skipped.input_errors {
        let mut row: Vec<String> = vec![String::new(); header.len()];
        row[0] = INPUT_ERROR.to_owned();
        row[header.len() - 1] = format!("{}: {} (after line {})", error.input, error.message, error.after_line);
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    csv.flush()
}

fn csv_row<W: Write>(csv: &mut ::csv::Writer<W>, row: &[String]) -> io::Result<()> {
    csv.write_record(row).map_err(io::Error::other)
}
