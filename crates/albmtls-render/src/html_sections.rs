//! The HTML sections per load balancer (failures as stacked bars), listener, TLS posture
//! (the post-quantum share), handshake latency and the expiry timeline.

use std::io::{self, Write};

use albmtls_report::Report;
use albmtls_report::report::Failure;
use albmtls_report::report::format_time;
use albmtls_report::sections::{LatencySummary, Traffic};

use albmtls_parse::Field;

use crate::escape::{html_attr, html_text};
use crate::{NOT_DELIVERED, percent};

/// Width in pixels of the largest bar.
const BAR_WIDTH: u64 = 320;

/// Colours of the failure codes in the stacked bars, in the order of the report's
/// failures (most records first). A report with more codes reuses them; each segment's
/// title names its code.
const CODE_COLOURS: [&str; 10] =
    ["#d1242f", "#bc4c00", "#8250df", "#bf3989", "#0969da", "#9a6700", "#1b7c83", "#953800", "#116329", "#6e7781"];

fn code_colour(index: usize) -> &'static str {
    CODE_COLOURS[index % CODE_COLOURS.len()]
}

/// Which colour is which failure code.
fn legend(failures: &[Failure], out: &mut dyn Write) -> io::Result<()> {
    write!(out, "<p class=\"legend\">Failures by code:")?;
    for (i, failure) in failures.iter().enumerate() {
        write!(out, " <span class=\"swatch\" style=\"background: {}\"></span> {}", code_colour(i), html_text(failure.code()))?;
    }
    writeln!(out, "</p>")
}

/// A bar of `traffic`'s failures, one segment per code in the report's order, scaled so
/// that `largest` failures fill the column.
fn failure_bar(traffic: &Traffic, failures: &[Failure], largest: u64, out: &mut dyn Write) -> io::Result<()> {
    for (i, failure) in failures.iter().enumerate() {
        let n = traffic.count(&failure.status);
        if n > 0 {
            let width = ((n * BAR_WIDTH).checked_div(largest).unwrap_or(0)).max(1);
            write!(
                out,
                "<span class=\"bar\" style=\"width: {width}px; background: {}\" title=\"{}: {n}\"></span>",
                code_colour(i),
                html_attr(failure.code())
            )?;
        }
    }
    Ok(())
}

/// A table of traffic per load balancer or listener, failures stacked by code;
/// `not_delivered` adds a row for the records whose input did not deliver the column's
/// field.
fn traffic_rows<'a>(
    rows: impl Iterator<Item = (String, &'a Traffic)>,
    failures: &[Failure],
    first: &str,
    not_delivered: Option<u64>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rows: Vec<(String, &Traffic)> = rows.collect();
    let largest = rows.iter().map(|(_, t)| t.failed).max().unwrap_or(0);
    if largest > 0 {
        legend(failures, out)?;
    }
    writeln!(out, "<table class=\"traffic\">")?;
    writeln!(
        out,
        "<tr><th>{first}</th><th class=\"num\">records</th><th class=\"num\">failed</th><th class=\"num\">failed %</th><th>failures by code</th></tr>"
    )?;
    for (name, traffic) in rows {
        write!(
            out,
            "<tr><td class=\"text\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"bars\">",
            html_text(&name),
            traffic.records,
            traffic.failed,
            percent(traffic.failed, traffic.records)
        )?;
        failure_bar(traffic, failures, largest, out)?;
        writeln!(out, "</td></tr>")?;
    }
    if let Some(n) = not_delivered {
        writeln!(out, "<tr><td class=\"muted\">{NOT_DELIVERED}</td><td class=\"num\">{n}</td><td></td><td></td><td></td></tr>")?;
    }
    writeln!(out, "</table>")
}

fn counts_table(
    title: &str,
    counts: &std::collections::BTreeMap<String, u64>,
    not_delivered: Option<u64>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let total: u64 = counts.values().sum();
    let mut rows: Vec<_> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    writeln!(out, "<table>")?;
    writeln!(out, "<tr><th>{title}</th><th class=\"num\">records</th><th class=\"num\">share %</th></tr>")?;
    for (name, n) in rows {
        writeln!(
            out,
            "<tr><td class=\"text\">{}</td><td class=\"num\">{n}</td><td class=\"num\">{}</td></tr>",
            html_text(name),
            percent(*n, total)
        )?;
    }
    if let Some(n) = not_delivered {
        writeln!(out, "<tr><td class=\"muted\">{NOT_DELIVERED}</td><td class=\"num\">{n}</td><td></td></tr>")?;
    }
    writeln!(out, "</table>")
}

pub(crate) fn write_sections(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.load_balancers.is_empty() {
        writeln!(out, "<section>\n<h2>Load balancers</h2>")?;
        traffic_rows(report.load_balancers.iter().map(|lb| (lb.elb.clone(), &lb.traffic)), &report.failures, "load balancer", None, out)?;
        writeln!(out, "</section>")?;
    }
    let ports_not_delivered = crate::not_delivered(report, Field::ListenerPort);
    if !report.listeners.is_empty() || ports_not_delivered.is_some() {
        writeln!(out, "<section>\n<h2>Listeners</h2>")?;
        traffic_rows(
            report.listeners.iter().map(|l| (l.port.to_string(), &l.traffic)),
            &report.failures,
            "port",
            ports_not_delivered,
            out,
        )?;
        writeln!(out, "</section>")?;
    }
    let tls = &report.tls;
    let protocols_not_delivered = crate::not_delivered(report, Field::TlsProtocol);
    let ciphers_not_delivered = crate::not_delivered(report, Field::TlsCipher);
    if !tls.protocols.is_empty() || !tls.key_exchanges.is_empty() || protocols_not_delivered.is_some() || ciphers_not_delivered.is_some() {
        writeln!(out, "<section>\n<h2>TLS</h2>")?;
        if tls.key_exchange_records > 0 {
            let width = (tls.post_quantum_records * BAR_WIDTH).checked_div(tls.key_exchange_records).unwrap_or(0);
            writeln!(
                out,
                "<p class=\"lead\">Post-quantum key exchange: <strong>{}%</strong> of {} handshakes that name one (field 13). \
                 <span class=\"bar success\" style=\"width: {}px\"></span><span class=\"bar other\" style=\"width: {}px\"></span></p>",
                tls.post_quantum_share,
                tls.key_exchange_records,
                width,
                BAR_WIDTH - width
            )?;
        }
        counts_table("protocol", &tls.protocols, protocols_not_delivered, out)?;
        counts_table("cipher", &tls.ciphers, ciphers_not_delivered, out)?;
        if !tls.key_exchanges.is_empty() {
            counts_table("key exchange", &tls.key_exchanges, None, out)?;
        }
        if !tls.legacy_clients.is_empty() {
            writeln!(out, "<h3>Clients on TLS 1.0/1.1 ({} records)</h3>", tls.legacy_records)?;
            writeln!(out, "<table>\n<tr><th>client</th><th>protocol</th><th class=\"num\">records</th></tr>")?;
            for c in &tls.legacy_clients {
                writeln!(out, "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>", c.ip, html_text(&c.protocol), c.count)?;
            }
            writeln!(out, "</table>")?;
        }
        writeln!(out, "</section>")?;
    }
    let latency = &report.handshake_latency;
    if latency.overall.records > 0 {
        writeln!(out, "<section>\n<h2>Handshake latency (seconds)</h2>")?;
        let mut by_protocol = vec![("all", &latency.overall)];
        by_protocol.extend(latency.by_protocol.iter().map(|(p, s)| (p.as_str(), s)));
        by_protocol.extend(latency.protocol_not_delivered.as_ref().map(|s| (NOT_DELIVERED, s)));
        latency_table("protocol", by_protocol, out)?;
        latency_table("load balancer", latency.by_load_balancer.iter().map(|(lb, s)| (lb.as_str(), s)).collect(), out)?;
        writeln!(out, "</section>")?;
    }
    let expiring = &report.expiring;
    if let Some(as_of) = expiring.as_of {
        writeln!(out, "<section>\n<h2>Certificates expiring within {} days of {}</h2>", expiring.within_days, format_time(as_of))?;
        if expiring.certificates.is_empty() {
            writeln!(out, "<p class=\"muted\">None of the certificates of successful connections.</p>")?;
        } else {
            // The timeline: one bar per certificate, its length the days left in the window.
            let window = u64::from(expiring.within_days.max(1));
            writeln!(out, "<table class=\"timeline\">")?;
            writeln!(
                out,
                "<tr><th>not after</th><th class=\"num\">days left</th><th>in the window</th><th>subject</th><th>serial</th><th class=\"num\">connections</th><th>last seen</th><th>last client</th></tr>"
            )?;
            for c in &expiring.certificates {
                let width = (c.days_left.max(0) as u64 * BAR_WIDTH / window).max(1);
                writeln!(
                    out,
                    "<tr><td class=\"when\">{}</td><td class=\"num\">{}</td><td class=\"bars\"><span class=\"bar failed\" style=\"width: {width}px\"></span></td><td class=\"subject\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"when\">{}</td><td>{}</td></tr>",
                    format_time(c.not_after),
                    c.days_left,
                    html_text(c.subject.as_deref().unwrap_or(NOT_DELIVERED)),
                    html_text(c.serial.as_deref().unwrap_or(NOT_DELIVERED)),
                    c.connections,
                    format_time(c.last_seen),
                    c.last_client_ip
                )?;
            }
            writeln!(out, "</table>")?;
        }
        writeln!(out, "</section>")?;
    }
    Ok(())
}

fn latency_table(first: &str, rows: Vec<(&str, &LatencySummary)>, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<table>")?;
    writeln!(
        out,
        "<tr><th>{first}</th><th class=\"num\">records</th><th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p99</th><th class=\"num\">max</th></tr>"
    )?;
    for (name, s) in rows {
        let seconds = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        let LatencySummary { records, p50, p90, p99, max } = s;
        writeln!(
            out,
            "<tr><td class=\"text\">{}</td><td class=\"num\">{records}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            html_text(name),
            seconds(*p50),
            seconds(*p90),
            seconds(*p99),
            seconds(*max)
        )?;
    }
    writeln!(out, "</table>")
}
