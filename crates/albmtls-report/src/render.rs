//! Rendering a [`Report`] as terminal tables, Markdown, CSV or JSON.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table, presets};

use crate::report::{Failure, Report};

/// Output formats of `albmtls report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Markdown,
    Csv,
    Json,
}

/// How terminal tables look.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStyle {
    pub color: bool,
    /// Terminal width; `None` lets tables take the width they need.
    pub width: Option<u16>,
}

/// Writes `report` in `format`.
pub fn render(report: &Report, format: Format, style: TableStyle, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)
        }
        Format::Csv => render_csv(report, out),
        Format::Table => render_tables(report, Tables { markdown: false, style }, out),
        Format::Markdown => render_tables(report, Tables { markdown: true, style: TableStyle::default() }, out),
    }
}

#[derive(Clone, Copy)]
struct Tables {
    markdown: bool,
    style: TableStyle,
}

impl Tables {
    fn new_table(self, header: &[&str]) -> Table {
        let mut table = Table::new();
        table.load_preset(if self.markdown { presets::ASCII_MARKDOWN } else { presets::UTF8_FULL_CONDENSED });
        if self.style.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        if !self.markdown {
            // On a terminal, wrap cells to its width; into a pipe, tables keep their width.
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        if let Some(width) = self.style.width {
            table.set_width(width);
        }
        table.set_header(header.iter().map(|h| self.header_cell(h)));
        table
    }

    fn header_cell(self, text: &str) -> Cell {
        let cell = Cell::new(text);
        if self.style.color { cell.add_attribute(Attribute::Bold) } else { cell }
    }

    fn status_cell(self, status: &str) -> Cell {
        let cell = Cell::new(status);
        match (self.style.color, status) {
            (false, _) => cell,
            (true, "Success") => cell.fg(Color::Green),
            (true, s) if s.starts_with("Failed:") => cell.fg(Color::Red),
            (true, _) => cell,
        }
    }

    fn heading(self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        if self.markdown {
            writeln!(out, "\n## {text}\n")
        } else if self.style.color {
            writeln!(out, "\n\x1b[1m{text}\x1b[0m")
        } else {
            writeln!(out, "\n{text}")
        }
    }
}

fn number(cell: impl ToString) -> Cell {
    Cell::new(cell).set_alignment(CellAlignment::Right)
}

fn render_tables(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    if t.markdown {
        writeln!(out, "# albmtls report")?;
    }
    let range = match (&report.first_seen, &report.last_seen) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "{} records from {} input{}{}; {} failed ({}%).",
        report.records,
        report.inputs_read,
        if report.inputs_read == 1 { "" } else { "s" },
        range,
        report.failed_records(),
        share(report.failed_records(), report.records),
    )?;
    write_skipped_summary(report, out)?;

    t.heading(out, "Verify status")?;
    let mut table = t.new_table(&["status", "count", "share %", "meaning"]);
    for status in &report.statuses {
        let summary = crate::remediation::for_status(&status.status).summary;
        table.add_row(vec![
            t.status_cell(&status.status),
            number(status.count),
            number(format!("{:.2}", status.share)),
            Cell::new(summary),
        ]);
    }
    writeln!(out, "{table}")?;

    if !report.failures.is_empty() {
        t.heading(out, "Failures")?;
        let mut table = t.new_table(&["status", "count", "clients", "subjects", "first seen", "last seen"]);
        for f in &report.failures {
            table.add_row(vec![
                t.status_cell(&f.status),
                number(f.count),
                number(f.distinct_clients),
                number(f.distinct_subjects),
                Cell::new(&f.first_seen),
                Cell::new(&f.last_seen),
            ]);
        }
        writeln!(out, "{table}")?;
        for failure in &report.failures {
            render_failure(failure, t, out)?;
        }
    }

    if !report.timeline.is_empty() {
        t.heading(out, &format!("Timeline ({} buckets)", report.bucket))?;
        render_timeline(report, t, out)?;
    }
    write_skipped_details(report, t, out)
}

fn render_failure(f: &Failure, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    t.heading(out, &format!("{} ({} record{})", f.status, f.count, plural(f.count)))?;
    writeln!(out, "{}", f.remediation.summary)?;
    if !f.documented {
        writeln!(out, "This code is not in the AWS documentation; albmtls counts it on its own.")?;
    }
    let mut table = t.new_table(&["top clients", "count", "top subjects", "count"]);
    let rows = f.top_clients.len().max(f.top_subjects.len());
    for i in 0..rows {
        let client = f.top_clients.get(i);
        let subject = f.top_subjects.get(i);
        table.add_row(vec![
            Cell::new(client.map(|c| c.ip.to_string()).unwrap_or_default()),
            number(client.map(|c| c.count.to_string()).unwrap_or_default()),
            Cell::new(subject.map(|s| s.subject.as_str()).unwrap_or_default()),
            number(subject.map(|s| s.count.to_string()).unwrap_or_default()),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "What to do:")?;
    for (i, step) in f.remediation.steps.iter().enumerate() {
        writeln!(out, "  {}. {step}", i + 1)?;
    }
    writeln!(out, "Commands: albmtls explain {}", if f.documented { f.code.as_str() } else { "unknown" })
}

/// Timeline columns: total, Success, all failures, then the most frequent failure codes.
const TIMELINE_CODE_COLUMNS: usize = 4;

fn render_timeline(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    let codes: Vec<&str> = report.failures.iter().take(TIMELINE_CODE_COLUMNS).map(|f| f.status.as_str()).collect();
    let mut header = vec!["bucket start", "records", "Success", "failed"];
    header.extend(codes.iter().map(|c| c.strip_prefix("Failed:").unwrap_or(c)));
    let mut table = t.new_table(&header);
    for row in &report.timeline {
        let total: u64 = row.status_counts.values().sum();
        let failed: u64 = row.status_counts.iter().filter(|(s, _)| s.starts_with("Failed:")).map(|(_, n)| n).sum();
        let mut cells = vec![
            Cell::new(&row.bucket_start),
            number(total),
            number(row.status_counts.get("Success").copied().unwrap_or(0)),
            number(failed),
        ];
        cells.extend(codes.iter().map(|c| number(row.status_counts.get(*c).copied().unwrap_or(0))));
        table.add_row(cells);
    }
    writeln!(out, "{table}")
}

fn write_skipped_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.skipped;
    let mut parts = Vec::new();
    if report.malformed > 0 {
        parts.push(format!("{} malformed line{}", report.malformed, plural(report.malformed)));
    }
    if s.overlong_lines > 0 {
        parts.push(format!("{} overlong line{}", s.overlong_lines, plural(s.overlong_lines)));
    }
    if report.filtered_out > 0 {
        parts.push(format!("{} record{} outside the filters", report.filtered_out, plural(report.filtered_out)));
    }
    let other_files = s.files_not_connection_logs + s.health_check_logs + s.test_files;
    if other_files > 0 {
        parts.push(format!("{other_files} file{} that are not connection logs", plural(other_files)));
    }
    if !s.input_errors.is_empty() {
        parts.push(format!("{} input{} with errors", s.input_errors.len(), plural(s.input_errors.len() as u64)));
    }
    if parts.is_empty() { Ok(()) } else { writeln!(out, "Not counted: {}.", parts.join(", ")) }
}

fn write_skipped_details(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.skipped;
    if !s.malformed_samples.is_empty() {
        t.heading(out, &format!("Malformed lines (first {} of {})", s.malformed_samples.len(), report.malformed))?;
        let mut table = t.new_table(&["input", "line", "problem", "text"]);
        for m in &s.malformed_samples {
            let text: String = m.text.chars().take(80).collect();
            table.add_row(vec![Cell::new(&m.input), number(m.line), Cell::new(m.reason()), Cell::new(text)]);
        }
        writeln!(out, "{table}")?;
    }
    if !s.input_errors.is_empty() {
        t.heading(out, "Inputs with errors (records read before each error are counted)")?;
        let mut table = t.new_table(&["input", "after line", "error"]);
        for e in &s.input_errors {
            table.add_row(vec![Cell::new(&e.input), number(e.after_line), Cell::new(&e.message)]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

fn render_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
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
            status.status.clone(),
            status.count.to_string(),
            format!("{:.2}", status.share),
            failure.map(|f| f.distinct_clients.to_string()).unwrap_or_default(),
            failure.map(|f| f.distinct_subjects.to_string()).unwrap_or_default(),
            failure.map(|f| f.first_seen.clone()).unwrap_or_default(),
            failure.map(|f| f.last_seen.clone()).unwrap_or_default(),
            failure.and_then(|f| f.top_clients.first()).map(|c| c.ip.to_string()).unwrap_or_default(),
            failure.and_then(|f| f.top_clients.first()).map(|c| c.count.to_string()).unwrap_or_default(),
            failure.and_then(|f| f.top_subjects.first()).map(|s| s.subject.clone()).unwrap_or_default(),
            failure.map(|f| f.remediation.summary.to_owned()).unwrap_or_default(),
        ];
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    csv.flush()
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 { "0.00".into() } else { format!("{:.2}", part as f64 * 100.0 / whole as f64) }
}
