//! `albmtls report` and `albmtls merge`: build one aggregate (by reading inputs, or by
//! folding partial files), then render, save and check it against thresholds.

use std::io::Write;
use std::time::{Duration, Instant};

use albmtls_parse::{ParseError, Record};
use albmtls_render::follow::{FollowFrame, write_json_line, write_screen};
use albmtls_render::{ReportView, TableStyle, write_report};
use albmtls_report::{Aggregate, InputError, Partial, RecentChanges, Report};
use albmtls_s3::{S3Client, S3Location, S3Object, S3Options};
use albmtls_scan::{FollowOptions, InputContext, Poll, Sink, follow, scan};
use anyhow::{Context, Result};

use super::{Exit, output_failed};
use crate::files::{PARTIALS, read_all, read_limited, write_atomically};
use crate::printer::Printer;
use crate::settings::{Counted, Destination, FollowView, MergeSettings, ReportOutput, ReportSettings, Threshold};

/// The window of "last N minutes" changes a followed report shows.
const RECENT_WINDOW: Duration = Duration::from_secs(5 * 60);

struct ReportSink(Aggregate);

impl Sink for ReportSink {
    // Counts do not depend on the order; malformed-line samples are ordered by each
    // input's place in the listing, not by when it was read.
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    #[inline(always)]
    fn record(&mut self, input: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.0.add_from(record, input.load_balancer);
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

    fn overlong(&mut self, input: &InputContext<'_>, first_line: u64, lines: u64) {
        self.0.add_overlong(input.index, input.name, first_line, lines);
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
    if let Some((options, view)) = &settings.follow {
        return run_followed(settings, options, *view, printer);
    }
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
            read_all(part, PARTIALS)?
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
        bytes.extend(read_limited(url, input.into_parts().1, PARTIALS)?);
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
    print_input_errors(&aggregate.input_errors, printer);
    let report = Report::build(&aggregate, output.options);
    let view = view(&report, &aggregate, shard.as_deref(), output, printer);
    if let Err(err) = store(&view, output, s3, printer)? {
        return Ok(output_failed(printer, &err));
    }
    Ok(verdict(&report, &aggregate, listing_failed, output, printer))
}

/// `report --follow`: the report over everything read so far, shown after every poll.
fn run_followed(settings: &ReportSettings, options: &FollowOptions, show: FollowView, printer: &Printer) -> Result<Exit> {
    let output = &settings.output;
    let shard = settings.scan.shard.map(|s| s.to_string());
    let following: Vec<String> = settings.scan.paths.iter().map(|p| p.display().to_string()).collect();
    let following = following.join(" ");
    let mut total = Aggregate::new();
    let mut recent = RecentChanges::new(RECENT_WINDOW);
    let mut listing_failed = false;
    let mut failure: Option<anyhow::Error> = None;
    let mut output_error: Option<std::io::Error> = None;
    follow(
        &settings.scan,
        options,
        printer,
        || ReportSink(Aggregate::new()),
        |poll: Poll<ReportSink>| {
            let Poll { number, inputs, outcome } = poll;
            let ReportSink(mut read) = outcome.sink;
            read.skipped_files.merge(&outcome.skipped_files);
            print_input_errors(&read.input_errors, printer);
            listing_failed |= !outcome.listing_errors.is_empty();
            total.merge(read);
            let report = Report::build(&total, output.options);
            let frame = FollowFrame {
                poll: number,
                polled_at: chrono::Utc::now().timestamp_micros(),
                new_inputs: inputs,
                poll_interval: options.poll,
                following: &following,
                recent: &recent.update(Instant::now(), &report),
                window: recent.window(),
            };
            let view = view(&report, &total, shard.as_deref(), output, printer);
            let shown = match show {
                FollowView::Redraw => printer.with_stdout(|out| write_screen(&view, &frame, out)),
                FollowView::JsonLines => printer.with_stdout(|out| write_json_line(&view, &frame, out)),
                FollowView::Rewrite => match store(&view, output, &settings.scan.s3, printer) {
                    Ok(written) => written,
                    Err(err) => {
                        failure = Some(err);
                        return false;
                    }
                },
            };
            match shown.and_then(|()| printer.flush()) {
                Ok(()) => true,
                Err(err) => {
                    output_error = Some(err);
                    false
                }
            }
        },
    )?;
    if let Some(err) = failure {
        return Err(err);
    }
    if let Some(err) = output_error {
        return Ok(output_failed(printer, &err));
    }
    let report = Report::build(&total, output.options);
    Ok(verdict(&report, &total, listing_failed, output, printer))
}

fn print_input_errors(errors: &[InputError], printer: &Printer) {
    for error in errors {
        printer.error(&format!("{}: {} (after line {})", error.input, error.message, error.after_line));
    }
}

fn view<'a>(
    report: &'a Report,
    aggregate: &'a Aggregate,
    shard: Option<&'a str>,
    output: &ReportOutput,
    printer: &Printer,
) -> ReportView<'a> {
    let to_terminal = matches!(output.destination, Destination::Stdout);
    let style = TableStyle { color: printer.color && to_terminal, width: None };
    ReportView { report, aggregate, shard, style, csv_section: output.csv_section }
}

/// Writes the report where `output` says. The outer error is a failure to store the
/// report (a file or S3 object); the inner one, stdout failing (a closed pipe).
fn store(view: &ReportView<'_>, output: &ReportOutput, s3: &S3Options, printer: &Printer) -> Result<std::io::Result<()>> {
    let write = |out: &mut dyn Write| write_report(view, output.format, out);
    match &output.destination {
        Destination::File(path) => write_atomically(path, write)?,
        Destination::S3(location) => {
            let mut body = Vec::new();
            write(&mut body).context("rendering the report")?;
            S3Client::connect(s3.clone())?.put(location, body, output.format.media_type())?;
            tracing::info!(%location, "report stored");
        }
        Destination::Stdout => return Ok(printer.with_stdout(write).and_then(|()| printer.flush())),
    }
    Ok(Ok(()))
}

/// Warnings about what the report could not cover, and the exit status: 2 when inputs
/// failed, 1 when a `--fail-on` threshold is crossed, else 0.
fn verdict(report: &Report, aggregate: &Aggregate, listing_failed: bool, output: &ReportOutput, printer: &Printer) -> Exit {
    if report.records == 0 && aggregate.malformed > 0 {
        printer.warn("no line could be read as a connection-log record: are these access logs rather than connection logs?");
    }
    let crossed = crossed_thresholds(report, &output.thresholds);
    for message in &crossed {
        printer.error(message);
    }
    if listing_failed || !aggregate.input_errors.is_empty() {
        Exit::Error
    } else if !crossed.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    }
}

/// A message for every `--fail-on` threshold the report exceeds.
fn crossed_thresholds(report: &Report, thresholds: &[Threshold]) -> Vec<String> {
    thresholds
        .iter()
        .filter_map(|threshold| {
            let (count, unit) = match &threshold.what {
                Counted::Status(status) => (
                    report
                        .statuses
                        .iter()
                        .filter(|s| status.matches(&s.status.as_verify_status(), s.status.text().as_bytes()))
                        .map(|s| s.count)
                        .sum(),
                    "records",
                ),
                Counted::Expiring => (report.expiring.certificates.len() as u64, "certificates expiring"),
                Counted::LegacyTls => (report.tls.legacy_records, "records on TLS 1.0/1.1"),
            };
            (count > threshold.above)
                .then(|| format!("threshold crossed: --fail-on {} ({count} {unit}, more than {})", threshold.text, threshold.above))
        })
        .collect()
}
