//! The table and Markdown sections per load balancer and listener, TLS posture,
//! handshake latency and expiring certificates.

use std::io::{self, Write};

use albmtls_report::Report;
use albmtls_report::report::format_time;
use albmtls_report::sections::{LatencySummary, Traffic};
use comfy_table::Cell;

use albmtls_parse::Field;

use crate::grid::{Tables, number};
use crate::{NOT_DELIVERED, percent, plural};

/// Status columns of the per-LB and per-listener tables: the most frequent failures.
const STATUS_COLUMNS: usize = 3;

pub(crate) fn write_sections(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    let codes: Vec<_> = report.failures.iter().take(STATUS_COLUMNS).map(|f| &f.status).collect();
    let code_headers: Vec<String> = codes.iter().map(|c| t.text(c.code().unwrap_or(c.text())).into_owned()).collect();
    let traffic_cells = |traffic: &Traffic| {
        let mut cells =
            vec![number(traffic.records), number(traffic.failed), number(format!("{}%", percent(traffic.failed, traffic.records)))];
        cells.extend(codes.iter().map(|c| number(traffic.count(c))));
        cells
    };
    let header = |first: &'static str| {
        let mut header = vec![first, "records", "failed", "failed %"];
        header.extend(code_headers.iter().map(String::as_str));
        header
    };

    if !report.load_balancers.is_empty() {
        t.heading(out, "Load balancers")?;
        let mut table = t.new_table(&header("load balancer"));
        for lb in &report.load_balancers {
            let mut row = vec![Cell::new(t.text(&lb.elb))];
            row.extend(traffic_cells(&lb.traffic));
            table.add_row(row);
        }
        writeln!(out, "{table}")?;
    }
    let ports_not_delivered = crate::not_delivered(report, Field::ListenerPort);
    if !report.listeners.is_empty() || ports_not_delivered.is_some() {
        t.heading(out, "Listeners")?;
        let mut table = t.new_table(&header("port"));
        for listener in &report.listeners {
            let mut row = vec![number(listener.port)];
            row.extend(traffic_cells(&listener.traffic));
            table.add_row(row);
        }
        if let Some(n) = ports_not_delivered {
            table.add_row(vec![Cell::new(NOT_DELIVERED), number(n)]);
        }
        writeln!(out, "{table}")?;
    }

    let tls = &report.tls;
    let protocols_not_delivered = crate::not_delivered(report, Field::TlsProtocol);
    let ciphers_not_delivered = crate::not_delivered(report, Field::TlsCipher);
    if !tls.protocols.is_empty() || !tls.key_exchanges.is_empty() || protocols_not_delivered.is_some() || ciphers_not_delivered.is_some() {
        t.heading(out, "TLS")?;
        if tls.key_exchange_records > 0 {
            writeln!(
                out,
                "Post-quantum key exchange: {}% of {} handshake{} that name one (field 13).",
                tls.post_quantum_share,
                tls.key_exchange_records,
                plural(tls.key_exchange_records)
            )?;
        }
        for (title, counts, not_delivered) in [
            ("protocol", &tls.protocols, protocols_not_delivered),
            ("cipher", &tls.ciphers, ciphers_not_delivered),
            ("key exchange", &tls.key_exchanges, None),
        ] {
            if counts.is_empty() && not_delivered.is_none() {
                continue;
            }
            let total: u64 = counts.values().sum();
            let mut table = t.new_table(&[title, "records", "share %"]);
            let mut rows: Vec<_> = counts.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            for (name, n) in rows {
                table.add_row(vec![Cell::new(t.text(name)), number(n), number(percent(*n, total))]);
            }
            if let Some(n) = not_delivered {
                table.add_row(vec![Cell::new(NOT_DELIVERED), number(n)]);
            }
            writeln!(out, "{table}")?;
        }
        if !tls.legacy_clients.is_empty() {
            t.heading(out, &format!("Clients on TLS 1.0/1.1 ({} record{})", tls.legacy_records, plural(tls.legacy_records)))?;
            let mut table = t.new_table(&["client", "protocol", "records"]);
            for c in &tls.legacy_clients {
                table.add_row(vec![Cell::new(c.ip), Cell::new(t.text(&c.protocol)), number(c.count)]);
            }
            writeln!(out, "{table}")?;
        }
    }

    let latency = &report.handshake_latency;
    if latency.overall.records > 0 {
        t.heading(out, "Handshake latency (seconds)")?;
        let row = |name: &str, s: &LatencySummary| {
            let seconds = |v: Option<f64>| number(v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into()));
            vec![Cell::new(t.text(name)), number(s.records), seconds(s.p50), seconds(s.p90), seconds(s.p99), seconds(s.max)]
        };
        let mut table = t.new_table(&["protocol", "records", "p50", "p90", "p99", "max"]);
        table.add_row(row("all", &latency.overall));
        for (protocol, summary) in &latency.by_protocol {
            table.add_row(row(protocol, summary));
        }
        if let Some(summary) = &latency.protocol_not_delivered {
            table.add_row(row(NOT_DELIVERED, summary));
        }
        writeln!(out, "{table}")?;
        let mut table = t.new_table(&["load balancer", "records", "p50", "p90", "p99", "max"]);
        for (elb, summary) in &latency.by_load_balancer {
            table.add_row(row(elb, summary));
        }
        writeln!(out, "{table}")?;
    }

    let expiring = &report.expiring;
    if let Some(as_of) = expiring.as_of {
        t.heading(out, &format!("Certificates expiring within {} days of {}", expiring.within_days, format_time(as_of)))?;
        if expiring.certificates.is_empty() {
            writeln!(out, "None of the certificates of successful connections.")?;
        } else {
            let mut table = t.new_table(&["not after", "days left", "subject", "serial", "connections", "last seen", "last client"]);
            for c in &expiring.certificates {
                table.add_row(vec![
                    Cell::new(format_time(c.not_after)),
                    number(c.days_left),
                    Cell::new(c.subject.as_deref().map_or(NOT_DELIVERED.into(), |subject| t.text(subject))),
                    Cell::new(c.serial.as_deref().map_or(NOT_DELIVERED.into(), |serial| t.text(serial))),
                    number(c.connections),
                    Cell::new(format_time(c.last_seen)),
                    Cell::new(c.last_client_ip),
                ]);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}
