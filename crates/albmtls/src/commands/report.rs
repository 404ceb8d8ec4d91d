//! `albmtls report` and `albmtls merge`: build one aggregate (by reading inputs, or by
//! folding partial files), then render, save and check it against thresholds.

use std::io::{Read, Write};

use albmtls_parse::{Field, FieldSet, ParseError, Record};
use albmtls_render::{ReportView, TableStyle, write_report};
use albmtls_report::{Aggregate, InputError, Partial, Report};
use albmtls_s3::{S3Client, S3Location, S3Object, S3Options};
use albmtls_scan::{InputContext, Sink, scan};
use anyhow::{Context, Result};

use super::{Exit, output_failed};
use crate::files::{read_all, write_atomically};
use crate::printer::Printer;
use crate::settings::{Destination, MergeSettings, ReportOutput, ReportSettings, Threshold};

struct ReportSink(Aggregate);

impl Sink for ReportSink {
    // Counts do not depend on the order; malformed-line samples are ordered by each
    // input's place in the listing, not by when it was read.
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    /// What `Aggregate::add` reads; the generation (`field_count`) needs only to know
    /// which fields were delivered, not their values.
    fn fields_needed(&self) -> FieldSet {
        [Field::Timestamp, Field::ClientIp, Field::LeafClientCertSubject, Field::TlsVerifyStatus].into_iter().collect()
    }

    #[inline(always)]
    fn record(&mut self, _: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.0.add(record);
        Ok(())
    }

    fn filtered_out(&mut self) {
        self.0.filtered_out += 1;
    }

    fn malformed(&mut self, input: &InputContext<'_>, line_number: u64, line: &[u8], error: ParseError) {
        self.0.add_malformed(input.index, input.name, line_number, line, error);
    }

    fn blank(&mut self) {
        self.0.blank_lines += 1;
    }

    fn overlong(&mut self, lines: u64) {
        self.0.overlong_lines += lines;
    }

    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()> {
        self.0.inputs_read += 1;
        if let Some(message) = error {
            self.0.input_errors.push(InputError { input: input.name.to_owned(), after_line: lines, message });
        }
        Ok(())
    }

    fn records(&self) -> u64 {
        self.0.records
    }

    fn merge(&mut self, other: ReportSink) {
        self.0.merge(other.0);
    }
}

/// Reads all inputs into one aggregate (also used by tests of the parallel path).
pub fn aggregate(settings: &ReportSettings, printer: &Printer) -> Result<(Aggregate, Vec<String>)> {
    let outcome = scan(&settings.scan, printer, || ReportSink(Aggregate::new()))?;
    let ReportSink(mut total) = outcome.sink;
    total.skipped_files.merge(&outcome.skipped_files);
    Ok((total, outcome.listing_errors))
}

pub fn run(settings: &ReportSettings, printer: &Printer) -> Result<Exit> {
    let (aggregate, listing_errors) = aggregate(settings, printer)?;
    let shard = settings.scan.shard.map(|s| s.to_string());
    finish(aggregate, !listing_errors.is_empty(), shard, &settings.output, &settings.scan.s3, printer)
}

/// `albmtls merge`: folds partial files into the report a single run would give.
pub fn merge(settings: &MergeSettings, printer: &Printer) -> Result<Exit> {
    let mut total = Aggregate::new();
    let mut client = None;
    for part in &settings.parts {
        let text = part.to_string_lossy();
        let (name, bytes) = if text.starts_with("s3://") {
            let client = match &mut client {
                Some(client) => client,
                None => client.insert(S3Client::connect(settings.s3.clone())?),
            };
            (text.to_string(), read_s3_object(client, &text)?)
        } else {
            read_all(part)?
        };
        total.merge(Partial::from_json(&name, &bytes)?.aggregate);
    }
    finish(total, false, None, &settings.output, &settings.s3, printer)
}

/// Reads one whole object (a partial file: small) through the same streaming reader
/// log objects use, so retries and error messages are the same.
fn read_s3_object(client: &S3Client, url: &str) -> Result<Vec<u8>> {
    let location = S3Location::parse(url)?;
    let object = S3Object { bucket: location.bucket().to_owned(), key: location.prefix().to_owned(), size: 0 };
    let mut bytes = Vec::new();
    for input in client.open_all(vec![object]) {
        input.into_parts().1.read_to_end(&mut bytes).with_context(|| format!("reading {url}"))?;
    }
    Ok(bytes)
}

/// Renders or saves the aggregate, then applies the alert thresholds.
fn finish(
    aggregate: Aggregate,
    listing_failed: bool,
    shard: Option<String>,
    output: &ReportOutput,
    s3: &S3Options,
    printer: &Printer,
) -> Result<Exit> {
    for error in &aggregate.input_errors {
        printer.error(&format!("{}: {} (after line {})", error.input, error.message, error.after_line));
    }
    let report = Report::build(&aggregate, output.options);
    let to_terminal = matches!(output.destination, Destination::Stdout);
    let style = TableStyle { color: printer.color && to_terminal, width: None };
    let view = ReportView { report: &report, aggregate: &aggregate, shard: shard.as_deref(), style };
    let write = |out: &mut dyn Write| write_report(&view, output.format, out);
    match &output.destination {
        Destination::File(path) => write_atomically(path, write)?,
        Destination::S3(location) => {
            let mut body = Vec::new();
            write(&mut body).context("rendering the report")?;
            S3Client::connect(s3.clone())?.put(location, body, output.format.media_type())?;
            tracing::info!(%location, "report stored");
        }
        Destination::Stdout => {
            if let Err(err) = printer.with_stdout(write).and_then(|()| printer.flush()) {
                return Ok(output_failed(printer, &err));
            }
        }
    }
    if report.records == 0 && aggregate.malformed > 0 {
        printer.warn("no line could be read as a connection-log record: are these access logs rather than connection logs?");
    }
    let crossed = crossed_thresholds(&report, &output.thresholds);
    for message in &crossed {
        printer.error(message);
    }
    Ok(if listing_failed || !aggregate.input_errors.is_empty() {
        Exit::Error
    } else if !crossed.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

/// A message for every `--fail-on` threshold the report exceeds.
fn crossed_thresholds(report: &Report, thresholds: &[Threshold]) -> Vec<String> {
    thresholds
        .iter()
        .filter_map(|threshold| {
            let count: u64 = report
                .statuses
                .iter()
                .filter(|s| threshold.status.matches(&s.status.as_verify_status(), s.status.text().as_bytes()))
                .map(|s| s.count)
                .sum();
            (count > threshold.above)
                .then(|| format!("threshold crossed: --fail-on {} ({count} records, more than {})", threshold.text, threshold.above))
        })
        .collect()
}
