//! Every output format of albmtls, in one place: the report as a terminal table,
//! Markdown, CSV, JSON, a self-contained HTML page, Prometheus text or a mergeable
//! partial file; `explain`'s catalogue entries; the doctor's verdicts; Athena SQL.
//!
//! This crate owns *how results look*. It receives finished values (a
//! [`albmtls_report::Report`], a doctor report, a remediation entry) and writes them to
//! a `std::io::Write` the caller gives; it must not compute aggregates, read inputs or
//! decide exit statuses. Text from logs, certificates and headers is untrusted: human
//! formats escape it with [`escape::for_people`], HTML with its own escaping, and
//! machine formats keep it exact.

pub mod athena;
mod csv;
pub use csv::CsvSection;
pub mod doctor;
pub mod escape;
pub mod follow;
mod grid;
pub mod html;
mod html_sections;
pub mod prom;
pub mod remediation;
mod table;
mod table_sections;

use std::io::{self, Write};

use albmtls_report::{Aggregate, Partial, Report};

/// The formats of `albmtls report` and `albmtls merge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Tables for a terminal.
    Table,
    Markdown,
    Csv,
    Json,
    /// One self-contained HTML page.
    Html,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
    /// A mergeable aggregate for `albmtls merge`.
    Partial,
}

impl ReportFormat {
    /// The format a file name asks for by its extension, if it names one:
    /// `.json`, `.md`, `.csv`, `.html`/`.htm`, `.prom`, `.txt` or `.partial.json`.
    pub fn for_file_name(name: &str) -> Option<ReportFormat> {
        let name = name.to_lowercase();
        if name.ends_with(".partial.json") {
            return Some(ReportFormat::Partial);
        }
        Some(match name.rsplit_once('.')?.1 {
            "json" => ReportFormat::Json,
            "md" => ReportFormat::Markdown,
            "csv" => ReportFormat::Csv,
            "html" | "htm" => ReportFormat::Html,
            "prom" => ReportFormat::Prometheus,
            "txt" => ReportFormat::Table,
            _ => return None,
        })
    }
}

impl ReportFormat {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Table => "table",
            ReportFormat::Markdown => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
            ReportFormat::Prometheus => "prom",
            ReportFormat::Partial => "partial",
        }
    }

    /// The media type of the format, for HTTP and S3 `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            ReportFormat::Table => "text/plain; charset=utf-8",
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Json | ReportFormat::Partial => "application/json",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// How terminal tables look.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStyle {
    pub color: bool,
    /// Terminal width; `None` lets tables take the width they need.
    pub width: Option<u16>,
}

/// A report and what it was built from, ready to write in any [`ReportFormat`].
pub struct ReportView<'a> {
    pub report: &'a Report,
    /// The aggregate the report was cut from: what a partial file holds.
    pub aggregate: &'a Aggregate,
    /// The run that made the report, recorded in partial files.
    pub run: &'a str,
    /// The share of the inputs this run read (`2/8`), recorded in partial files.
    pub shard: Option<&'a str>,
    pub style: TableStyle,
    /// Which section CSV writes: one table per file.
    pub csv_section: CsvSection,
    /// How the report was made, for formats that state it (HTML).
    pub made: Option<&'a Provenance>,
}

/// When and how a report was made, so a page found in a mailbox or on a wiki says what
/// it is.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// When it was made, RFC 3339 UTC.
    pub generated_at: String,
    /// The command line, as typed (quoted where the shell would need it).
    pub command_line: String,
    /// The albmtls version.
    pub version: String,
    /// Times of the earliest and latest record read, whether or not the filters kept it.
    pub input_span: Option<(albmtls_parse::Micros, albmtls_parse::Micros)>,
}

/// Writes the report in `format`.
pub fn write_report(view: &ReportView<'_>, format: ReportFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ReportFormat::Table => table::write_tables(view.report, grid::Tables { markdown: false, style: view.style }, out),
        ReportFormat::Markdown => table::write_tables(view.report, grid::Tables { markdown: true, style: TableStyle::default() }, out),
        ReportFormat::Csv => csv::write_csv(view.report, view.csv_section, out),
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, view.report)?;
            writeln!(out)
        }
        ReportFormat::Html => html::write_html(view.report, "albmtls report", view.made, out),
        ReportFormat::Prometheus => prom::write_prometheus(view.report, out),
        ReportFormat::Partial => {
            Partial::write_json(view.aggregate, view.run, view.shard, out)?;
            writeln!(out)
        }
    }
}

/// What a merge that went without some shards says about its counts.
pub(crate) fn missing_shards_note(missing: &[String]) -> String {
    let (s, are) = if missing.len() == 1 { ("", "is") } else { ("s", "are") };
    format!("Incomplete: shard{s} {} of the run {are} missing from this merge; the counts cover only the other shards.", missing.join(", "))
}

/// What a timeline of only the buckets with records says about itself, if it is one.
pub(crate) fn sparse_timeline_note(report: &Report) -> Option<String> {
    let sparse = report.sparse_timeline?;
    let advice = match sparse.bucket_that_fits {
        Some(wider) => format!("--bucket {wider} or wider shows every bucket"),
        None => "not even 1d buckets are few enough, so some record is probably dated far from the others: narrow the time with --since and --until".to_owned(),
    };
    Some(format!(
        "This timeline shows only the buckets with records: from the first to the last there are {} {} buckets, more than the {} a timeline is filled to, so a gap without records does not show as a row; {advice}.",
        sparse.buckets_in_span, report.bucket, sparse.most_filled
    ))
}

/// `s` for counts other than one.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `part` as a percentage of `whole` with two decimals (as the report's shares are
/// rounded), `0.00` when `whole` is 0.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    format!("{:.2}", albmtls_report::report::percent(part, whole))
}

/// What tables show in place of a value the inputs did not deliver.
pub(crate) const NOT_DELIVERED: &str = "not delivered";

/// Records whose input did not deliver `field`, when there are any.
pub(crate) fn not_delivered(report: &Report, field: albmtls_parse::Field) -> Option<u64> {
    report.not_delivered.get(&field).copied().filter(|n| *n > 0)
}

/// What the verify-status tables say of records whose status was not delivered.
pub(crate) const STATUS_NOT_DELIVERED: &str = "the inputs did not deliver tls_verify_status: these records have no status";

/// A distinct count, or [`NOT_DELIVERED`] when no record delivered the field.
pub(crate) fn distinct_or_not_delivered(distinct: u64, not_delivered: u64) -> String {
    if distinct == 0 && not_delivered > 0 { NOT_DELIVERED.to_owned() } else { distinct.to_string() }
}

/// The sentence naming the fields a vended delivery of a subset of fields lacked, if any.
pub(crate) fn not_delivered_note(report: &albmtls_report::Report) -> Option<String> {
    if report.not_delivered.is_empty() {
        return None;
    }
    let fields: Vec<String> =
        report.not_delivered.iter().map(|(field, n)| format!("{} ({n} record{})", field.name(), plural(*n))).collect();
    Some(format!("Fields the inputs did not deliver: {}; tables that need them say \"{NOT_DELIVERED}\".", fields.join(", ")))
}
