//! The report as CSV: one row per status, with the failure details alongside. Values are
//! exact (the csv crate quotes what needs quoting); nothing is escaped for terminals.

use std::io::{self, Write};

use albmtls_report::Report;
use albmtls_report::report::format_time;

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
    /// Latency percentiles: one row for every record, then one per protocol and per
    /// load balancer.
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
                for (status, n) in &traffic.status_counts {
                    write(&[
                        key.clone(),
                        traffic.records.to_string(),
                        traffic.failed.to_string(),
                        status.text().to_owned(),
                        n.to_string(),
                    ])?;
                }
            }
            return csv.flush();
        }
        CsvSection::Tls => {
            write(&["kind", "value", "records", "post_quantum"].map(String::from))?;
            let tls = &report.tls;
            for (kind, counts) in [("protocol", &tls.protocols), ("cipher", &tls.ciphers), ("key_exchange", &tls.key_exchanges)] {
                for (value, n) in counts {
                    let pq = if kind == "key_exchange" {
                        albmtls_parse::tls::is_post_quantum(value.as_bytes()).to_string()
                    } else {
                        String::new()
                    };
                    write(&[kind.to_owned(), value.clone(), n.to_string(), pq])?;
                }
            }
            for c in &tls.legacy_clients {
                write(&["legacy_client".to_owned(), format!("{} {}", c.ip, c.protocol), c.count.to_string(), String::new()])?;
            }
            return csv.flush();
        }
        CsvSection::Latency => {
            write(&["by", "value", "records", "p50_seconds", "p90_seconds", "p99_seconds", "max_seconds"].map(String::from))?;
            let latency = &report.handshake_latency;
            let mut rows = vec![("all", "all", &latency.overall)];
            rows.extend(latency.by_protocol.iter().map(|(p, s)| ("protocol", p.as_str(), s)));
            rows.extend(latency.by_load_balancer.iter().map(|(lb, s)| ("load_balancer", lb.as_str(), s)));
            let value = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for (by, name, s) in rows {
                write(&[by.to_owned(), name.to_owned(), s.records.to_string(), value(s.p50), value(s.p90), value(s.p99), value(s.max)])?;
            }
            return csv.flush();
        }
        CsvSection::Expiring => {
            write(&["subject", "serial", "not_after", "days_left", "connections", "last_seen", "last_client_ip"].map(String::from))?;
            for c in &report.expiring.certificates {
                write(&[
                    c.subject.clone(),
                    c.serial.clone(),
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
