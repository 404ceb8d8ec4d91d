//! `albmtls report` and `albmtls merge`: build one aggregate (by reading inputs, or by
//! folding partial files), then render, save and check it against thresholds.

use std::io::{Read, Write};
use std::path::PathBuf;

use albmtls_parse::{ParseError, Record, StatusFilter};
use albmtls_render::{Provenance, ReportView, TableStyle, write_report};
use albmtls_report::{Aggregate, InputError, Partial, Report};
use albmtls_s3::{S3Client, S3Location, S3Object, S3Options};
use albmtls_scan::{InputContext, Shard, Sink, scan};
use anyhow::{Context, Result, bail};

use super::{Exit, Span, no_connection_logs, nothing_in_time_range, output_failed};
use crate::files::{read_all, write_atomically};
use crate::printer::Printer;
use crate::settings::{Destination, MergeSettings, ReportOutput, ReportSettings, Threshold};

/// The aggregate, and the time span of the records the filters left out (to explain an
/// empty report; not part of the aggregate, which counts only what passed).
struct ReportSink(Aggregate, Span);

impl Sink for ReportSink {
    // Counts do not depend on the order; malformed-line samples are ordered by each
    // input's place in the listing, not by when it was read.
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    #[inline(always)]
    fn record(&mut self, _: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.0.add(record);
        Ok(())
    }

    fn filtered_out(&mut self, record: &Record<'_>) {
        self.1.add(record.time);
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
        self.1.merge(other.1);
    }
}

/// Reads all inputs into one aggregate. Paths that could not be listed are input errors
/// of the aggregate (every format lists them), and returned apart as well.
pub fn aggregate(settings: &ReportSettings, printer: &Printer) -> Result<Scanned> {
    let outcome = scan(&settings.scan, printer, || ReportSink(Aggregate::new(), Span::default()))?;
    let ReportSink(mut total, filtered_span) = outcome.sink;
    total.skipped_files.merge(&outcome.skipped_files);
    let listing_errors: Vec<InputError> =
        outcome.listing_errors.into_iter().map(|e| InputError { input: e.input, after_line: 0, message: e.message }).collect();
    total.input_errors.extend(listing_errors.iter().cloned());
    total.input_errors.sort();
    Ok(Scanned { aggregate: total, listing_errors, inputs_listed: outcome.inputs_listed, filtered_span })
}

/// What reading the inputs of a report gave.
pub struct Scanned {
    pub aggregate: Aggregate,
    /// Paths that could not be listed at all (also in the aggregate's input errors).
    pub listing_errors: Vec<InputError>,
    /// Connection-log inputs found before sharding.
    pub inputs_listed: usize,
    /// When the records the filters left out were written.
    pub filtered_span: Span,
}

pub fn run(settings: &ReportSettings, printer: &Printer) -> Result<Exit> {
    let Scanned { aggregate, listing_errors, inputs_listed, filtered_span } = aggregate(settings, printer)?;
    let no_inputs = (inputs_listed == 0).then(|| no_connection_logs(&settings.scan.paths, &aggregate.skipped_files));
    let mut read = filtered_span;
    if let Some((first, last)) = aggregate.time_span() {
        read.add(first);
        read.add(last);
    }
    let empty_because_of_time = if aggregate.records == 0 { nothing_in_time_range(settings.scan.filter.time, read) } else { None };
    for warning in unseen_statuses(&aggregate, &settings.scan.filter.statuses) {
        printer.warn(&warning);
    }
    let shard = settings.scan.shard.map(|s| s.to_string());
    let built = Built { aggregate, listing_errors: &listing_errors, shard, missing_shards: Vec::new(), input_span: read };
    let exit = finish(built, &settings.output, &settings.scan.s3, printer)?;
    if let Some(message) = empty_because_of_time {
        printer.notice(&message);
    }
    Ok(match no_inputs {
        Some(message) => {
            printer.error(&message);
            Exit::Error
        }
        None => exit,
    })
}

/// `albmtls merge`: folds partial files into the report a single run would give.
///
/// Each partial of a sharded run records its shard; the shards given must be distinct
/// and, unless `--allow-missing`, complete: a shard counted twice or left out would give
/// a report that looks whole and is not.
pub fn merge(settings: &MergeSettings, printer: &Printer) -> Result<Exit> {
    let mut total = Aggregate::new();
    let mut client = None;
    let mut shards = ShardSet::default();
    let mut paths_seen: Vec<(PathBuf, String)> = Vec::new();
    for part in &settings.parts {
        let text = part.to_string_lossy();
        let (name, bytes) = if text.starts_with("s3://") {
            let client = match &mut client {
                Some(client) => client,
                None => client.insert(S3Client::connect(settings.s3.clone())?),
            };
            (text.to_string(), read_s3_object(client, &text)?)
        } else {
            if let Ok(canonical) = std::fs::canonicalize(part) {
                if let Some((_, earlier)) = paths_seen.iter().find(|(p, _)| *p == canonical) {
                    bail!("{} and {earlier} are the same file: each partial may be merged once", part.display());
                }
                paths_seen.push((canonical, part.display().to_string()));
            }
            read_all(part)?
        };
        let partial = Partial::from_json(&name, &bytes)?;
        shards.add(&name, partial.shard.as_deref())?;
        total.merge(partial.aggregate);
    }
    let missing = shards.missing();
    if !missing.is_empty() && !settings.allow_missing {
        bail!(
            "shard{} {} of the run {} missing: the merge would cover only part of the inputs; pass every shard's partial, or --allow-missing to merge these (the report then names the missing shards)",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
        );
    }
    if !missing.is_empty() {
        printer.warn(&format!(
            "merged without shard{} {}: the report covers only the shards given",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ));
    }
    let mut span = Span::default();
    if let Some((first, last)) = total.time_span() {
        span.add(first);
        span.add(last);
    }
    let built = Built { aggregate: total, listing_errors: &[], shard: None, missing_shards: missing, input_span: span };
    finish(built, &settings.output, &settings.s3, printer)
}

/// The shards of the partials given so far, to refuse duplicates and find gaps.
#[derive(Default)]
struct ShardSet {
    /// The shard count of the run, and each shard seen with the file it came from.
    sharded: Option<(u32, Vec<(u32, String)>)>,
    /// A partial of an unsharded run, by name.
    whole: Option<String>,
}

impl ShardSet {
    fn add(&mut self, name: &str, shard: Option<&str>) -> Result<()> {
        let Some(text) = shard else {
            if let Some((count, seen)) = &self.sharded {
                bail!("{name} is from an unsharded run but {} is shard {}/{count}: merge the partials of one run", seen[0].1, seen[0].0);
            }
            self.whole = Some(name.to_owned());
            return Ok(());
        };
        let shard = Shard::parse(text).with_context(|| format!("{name}: the shard it records"))?;
        if let Some(whole) = &self.whole {
            bail!("{name} is shard {shard} but {whole} is from an unsharded run: merge the partials of one run");
        }
        let (count, seen) = self.sharded.get_or_insert_with(|| (shard.count(), Vec::new()));
        if *count != shard.count() {
            bail!(
                "{name} is shard {shard} but {} is shard {}/{count}: merge the partials of one run (one shard count)",
                seen[0].1,
                seen[0].0
            );
        }
        if let Some((_, earlier)) = seen.iter().find(|(index, _)| *index == shard.index()) {
            bail!("shard {shard} is given twice ({earlier} and {name}): its records would be counted twice");
        }
        seen.push((shard.index(), name.to_owned()));
        Ok(())
    }

    /// The shards of the run that no partial covers, as `I/N`.
    fn missing(&self) -> Vec<String> {
        let Some((count, seen)) = &self.sharded else { return Vec::new() };
        (0..*count).filter(|i| !seen.iter().any(|(index, _)| index == i)).map(|i| format!("{i}/{count}")).collect()
    }
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

/// An aggregate ready to render, with what its report says about how it was built.
struct Built<'a> {
    aggregate: Aggregate,
    /// Paths that could not be listed (already reported as they were found).
    listing_errors: &'a [InputError],
    /// The share of the inputs this run read, recorded in partial files.
    shard: Option<String>,
    /// Shards a merge went without.
    missing_shards: Vec<String>,
    /// When the records read (kept or not) were written.
    input_span: Span,
}

/// Renders or saves the aggregate, then applies the alert thresholds.
fn finish(built: Built<'_>, output: &ReportOutput, s3: &S3Options, printer: &Printer) -> Result<Exit> {
    let Built { aggregate, listing_errors, shard, missing_shards, input_span } = built;
    // Paths that could not be listed were reported as they were found.
    for error in aggregate.input_errors.iter().filter(|e| !listing_errors.contains(e)) {
        printer.error(&format!("{}: {} (after line {})", error.input, error.message, error.after_line));
    }
    let mut report = Report::build(&aggregate, output.options);
    report.missing_shards = missing_shards;
    let to_terminal = matches!(output.destination, Destination::Stdout);
    let style = TableStyle { color: printer.color && to_terminal, width: if to_terminal { printer.table_width } else { None } };
    let made = Provenance {
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command_line: command_line(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        input_span: input_span.get(),
    };
    let view = ReportView { report: &report, aggregate: &aggregate, shard: shard.as_deref(), style, made: Some(&made) };
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
    let threshold_statuses: Vec<StatusFilter> = output.thresholds.iter().map(|t| t.status.clone()).collect();
    for warning in unseen_statuses(&aggregate, &threshold_statuses) {
        printer.warn(&format!("--fail-on: {warning}"));
    }
    let crossed = crossed_thresholds(&report, &output.thresholds);
    // Crossing a threshold is what --fail-on asks to hear about, not a failure of the run.
    for message in &crossed {
        printer.notice(message);
    }
    Ok(if !aggregate.input_errors.is_empty() {
        Exit::Error
    } else if !crossed.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

/// A warning for each undocumented code asked for that no record has: most likely a
/// typing mistake, which would otherwise give an empty report or a threshold never hit.
fn unseen_statuses(aggregate: &Aggregate, statuses: &[StatusFilter]) -> Vec<String> {
    statuses
        .iter()
        .filter(|filter| !aggregate.statuses().any(|(status, _)| filter.matches(&status.as_verify_status(), status.text().as_bytes())))
        .filter_map(StatusFilter::unseen_warning)
        .collect()
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

/// The command line as typed, quoted where a shell would need it, for the report to say
/// how it was made.
fn command_line() -> String {
    let quote = |arg: String| {
        if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
            arg
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        }
    };
    let mut args = std::env::args_os().map(|a| quote(a.to_string_lossy().into_owned()));
    // The program as the user would type it, not the path it was found at.
    let program = args.next().map(|_| "albmtls".to_owned());
    program.into_iter().chain(args).collect::<Vec<_>>().join(" ")
}
