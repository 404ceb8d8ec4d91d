//! The report as terminal tables, or as Markdown (the same sections, Markdown tables).

use std::io::{self, Write};

use albmtls_parse::remediation;
use albmtls_parse::{Field, StatusKey};
use albmtls_report::Report;
use albmtls_report::report::{Failure, format_bucket, format_time};
use comfy_table::Cell;

use crate::grid::{Tables, number};
use crate::{percent, plural};

pub(crate) fn write_tables(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    if t.markdown {
        writeln!(out, "# albmtls report")?;
    }
    let range = match report.span {
        Some((first, last)) => format!(", {} to {}", format_time(first), format_time(last)),
        None => String::new(),
    };
    let summary = format!(
        "{} records from {} input{}{}; {} failed ({}%).",
        report.records,
        report.inputs_read,
        plural(report.inputs_read),
        range,
        report.failed_records(),
        percent(report.failed_records(), report.records),
    );
    writeln!(out, "{}", t.prose(&summary))?;
    write_skipped_summary(report, t, out)?;
    if !report.missing_shards.is_empty() {
        writeln!(out, "{}", t.prose(&crate::missing_shards_note(&report.missing_shards)))?;
    }
    if let Some(note) = crate::not_delivered_note(report) {
        writeln!(out, "{note}")?;
    }

    t.heading(out, "Verify status")?;
    let mut table = t.new_table(&["status", "count", "share %", "meaning"]);
    for status in &report.statuses {
        let summary = remediation::for_status(status.status.text()).summary;
        table.add_row(vec![
            t.status_cell(&status.status),
            number(status.count),
            number(format!("{:.2}", status.share)),
            Cell::new(summary),
        ]);
    }
    if let Some(n) = crate::not_delivered(report, Field::TlsVerifyStatus) {
        let share = percent(n, report.records);
        table.add_row(vec![Cell::new(crate::NOT_DELIVERED), number(n), number(share), Cell::new(crate::STATUS_NOT_DELIVERED)]);
    }
    Tables::keep_whole(&mut table, 0, report.statuses.iter().map(|s| t.text(s.status.text()).chars().count()));
    writeln!(out, "{table}")?;

    if !report.failures.is_empty() {
        t.heading(out, "Failures")?;
        let mut table = t.new_table(&["status", "count", "clients", "subjects", "first seen", "last seen"]);
        for f in &report.failures {
            table.add_row(vec![
                t.status_cell(&f.status),
                number(f.count),
                number(crate::distinct_or_not_delivered(f.distinct_clients, f.clients_not_delivered)),
                number(crate::distinct_or_not_delivered(f.distinct_subjects, f.subjects_not_delivered)),
                Cell::new(format_time(f.first_seen)),
                Cell::new(format_time(f.last_seen)),
            ]);
        }
        Tables::keep_whole(&mut table, 0, report.failures.iter().map(|f| t.text(f.status.text()).chars().count()));
        writeln!(out, "{table}")?;
        for failure in &report.failures {
            write_failure(failure, t, out)?;
        }
    }

    if !report.timeline.is_empty() {
        t.heading(out, &format!("Timeline ({} buckets)", report.bucket))?;
        if let Some(note) = crate::sparse_timeline_note(report) {
            writeln!(out, "{}\n", t.prose(&note))?;
        }
        write_timeline(report, t, out)?;
    }
    crate::table_sections::write_sections(report, t, out)?;
    write_skipped_details(report, t, out)
}

fn write_failure(f: &Failure, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    t.heading(out, &format!("{} ({} record{})", t.text(f.status.text()), f.count, plural(f.count)))?;
    if !f.documented() {
        writeln!(out, "{}", crate::remediation::NOT_DOCUMENTED)?;
    }
    let mut table = t.new_table(&["top clients", "count", "top subjects", "count"]);
    // Records whose input lacked the field are a row of their own, never a made-up value.
    let not_delivered = |n: u64| (n > 0).then(|| (crate::NOT_DELIVERED.to_owned(), n.to_string()));
    let clients: Vec<(String, String)> =
        f.top_clients.iter().map(|c| (c.ip.to_string(), c.count.to_string())).chain(not_delivered(f.clients_not_delivered)).collect();
    let subjects: Vec<(String, String)> = f
        .top_subjects
        .iter()
        .map(|s| (t.text(&s.subject).into_owned(), s.count.to_string()))
        .chain(not_delivered(f.subjects_not_delivered))
        .collect();
    for i in 0..clients.len().max(subjects.len()) {
        let (client, client_count) = clients.get(i).cloned().unwrap_or_default();
        let (subject, subject_count) = subjects.get(i).cloned().unwrap_or_default();
        table.add_row(vec![Cell::new(client), number(client_count), Cell::new(subject), number(subject_count)]);
    }
    writeln!(out, "{table}")?;
    crate::remediation::write_steps_text(f.remediation, out)
}

/// Timeline columns: total, Success, all failures, then the most frequent failure codes.
const TIMELINE_CODE_COLUMNS: usize = 4;

/// Width of the timeline's first four columns (bucket start, records, Success, failed)
/// with their borders, and of one more code column, in a table of typical counts.
const TIMELINE_FIXED_WIDTH: u16 = 50;
const TIMELINE_CODE_WIDTH: u16 = 8;

fn write_timeline(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    // In a terminal of known width, codes are abbreviated (a legend follows) and only as
    // many code columns are shown as fit; elsewhere the table keeps its full headers.
    let code_columns = match t.style.width {
        Some(width) => usize::from(width.saturating_sub(TIMELINE_FIXED_WIDTH) / TIMELINE_CODE_WIDTH).min(TIMELINE_CODE_COLUMNS),
        None => TIMELINE_CODE_COLUMNS,
    };
    let codes: Vec<&StatusKey> = report.failures.iter().take(code_columns).map(|f| &f.status).collect();
    let full: Vec<String> = codes.iter().map(|c| t.text(c.code().unwrap_or(c.text())).into_owned()).collect();
    let code_headers = if t.style.width.is_some() { abbreviations(&full) } else { full.clone() };
    let mut header = vec!["bucket start", "records", "Success", "failed"];
    header.extend(code_headers.iter().map(String::as_str));
    let mut table = t.new_table(&header);
    for row in &report.timeline {
        let mut cells =
            vec![Cell::new(format_bucket(row.start)), number(row.total()), number(row.count(&StatusKey::Success)), number(row.failed())];
        cells.extend(codes.iter().map(|c| number(row.count(c))));
        table.add_row(cells);
    }
    Tables::keep_whole(&mut table, 0, report.timeline.iter().map(|row| format_bucket(row.start).len()));
    writeln!(out, "{table}")?;
    let legend: Vec<String> = code_headers
        .iter()
        .zip(&full)
        .filter(|(short, long)| short != long)
        .map(|(short, long)| format!("{short} = Failed:{long}"))
        .collect();
    if !legend.is_empty() {
        writeln!(out, "{}", t.prose(&legend.join(", ")))?;
    }
    Ok(())
}

/// Short column headers for failure codes: the capitals of a CamelCase code
/// (`ClientCertExpired` -> `CCE`), numbered when two would read the same; short codes
/// stay as they are.
fn abbreviations(codes: &[String]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for code in codes {
        let capitals: String = code.chars().filter(char::is_ascii_uppercase).collect();
        let base = if code.chars().count() <= 6 {
            code.clone()
        } else if capitals.len() >= 2 {
            capitals
        } else {
            code.chars().take(4).collect()
        };
        let mut short = base.clone();
        let mut n = 2;
        while taken.contains(&short) {
            short = format!("{base}{n}");
            n += 1;
        }
        taken.push(short);
    }
    taken
}

fn write_skipped_summary(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
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
    for (field, n) in &s.malformed_values {
        parts.push(format!("{n} malformed {} value{}", field.name(), plural(*n)));
    }
    if s.ignored_fields > 0 {
        parts.push(format!("{} value{} of undocumented fields in vended records, ignored", s.ignored_fields, plural(s.ignored_fields)));
    }
    if !s.input_errors.is_empty() {
        parts.push(format!("{} input{} with errors", s.input_errors.len(), plural(s.input_errors.len() as u64)));
    }
    if parts.is_empty() { Ok(()) } else { writeln!(out, "{}", t.prose(&format!("Not counted: {}.", parts.join(", ")))) }
}

fn write_skipped_details(report: &Report, t: Tables, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.skipped;
    if !s.malformed_samples.is_empty() {
        t.heading(out, &format!("Malformed lines (first {} of {})", s.malformed_samples.len(), report.malformed))?;
        let mut table = t.new_table(&["input", "line", "problem", "text"]);
        for m in &s.malformed_samples {
            let text: String = m.text.chars().take(80).collect();
            table.add_row(vec![Cell::new(t.text(&m.input)), number(m.line), Cell::new(m.reason()), Cell::new(t.text(&text))]);
        }
        writeln!(out, "{table}")?;
    }
    if !s.overlong_samples.is_empty() {
        t.heading(
            out,
            &format!(
                "Lines longer than {} MiB, skipped unread and counted as overlong (first {} of {})",
                albmtls_parse::MAX_LINE >> 20,
                s.overlong_samples.len(),
                s.overlong_lines
            ),
        )?;
        let mut table = t.new_table(&["input", "line"]);
        for o in &s.overlong_samples {
            table.add_row(vec![Cell::new(t.text(&o.input)), number(o.line)]);
        }
        writeln!(out, "{table}")?;
    }
    if !s.input_errors.is_empty() {
        t.heading(out, "Inputs with errors (records read before each error are counted)")?;
        let mut table = t.new_table(&["input", "after line", "error"]);
        for e in &s.input_errors {
            table.add_row(vec![Cell::new(t.text(&e.input)), number(e.after_line), Cell::new(t.text(&e.message))]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviated_codes_are_distinct() {
        let codes: Vec<String> =
            ["ClientCertInvalid", "ClientCertIncompatible", "ClientCertExpired", "Weird", "lowercasecode"].map(str::to_owned).to_vec();
        assert_eq!(abbreviations(&codes), ["CCI", "CCI2", "CCE", "Weird", "lowe"]);
    }
}
