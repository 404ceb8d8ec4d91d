//! `albmtls report` and `albmtls merge`: build one aggregate (by reading inputs, or by
//! folding partial files), then render, save and check it against thresholds.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use albmtls_parse::{Field, FieldSet, ParseError, Record, StatusFilter};
use albmtls_render::follow::{FollowFrame, write_json_line, write_screen};
use albmtls_render::{Provenance, ReportView, TableStyle, write_report};
use albmtls_report::{Aggregate, InputError, Partial, RecentChanges, Report};
use albmtls_s3::{S3Client, S3Error, S3Location, S3Object, S3Options};
use albmtls_scan::{FollowOptions, InputContext, ListingError, Poll, Shard, Sink, follow, scan};
use anyhow::{Context, Result, bail};

use super::{Exit, Span, UndocumentedCodes, no_connection_logs, none_listed_in_time_range, nothing_in_time_range, output_failed};
use crate::files::{PARTIALS, read_all, read_limited, write_atomically};
use crate::printer::Printer;
use crate::settings::{Counted, Destination, FollowView, MergeSettings, ReportOutput, ReportSettings, Threshold};

/// The window of "last N minutes" changes a followed report shows.
const RECENT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The aggregate, and what the records the filters left out tell (not part of the
/// aggregate, which counts only what passed): when they were written, to explain an
/// empty report, and which undocumented codes asked for they have, to warn only of
/// codes the inputs do not have.
struct ReportSink(Aggregate, Span, UndocumentedCodes);

impl ReportSink {
    fn new(settings: &ReportSettings) -> ReportSink {
        ReportSink(Aggregate::new(), Span::default(), UndocumentedCodes::asked(asked_statuses(settings)))
    }
}

/// The statuses `--status` and `--fail-on` name.
fn asked_statuses(settings: &ReportSettings) -> impl Iterator<Item = &StatusFilter> {
    let thresholds = settings.output.thresholds.iter().filter_map(|t| match &t.what {
        Counted::Status(status) => Some(status),
        _ => None,
    });
    settings.scan.filter.statuses.iter().chain(thresholds)
}

impl Sink for ReportSink {
    // Counts do not depend on the order; malformed-line samples are ordered by each
    // input's place in the listing, not by when it was read.
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    /// What `Aggregate::add` reads: with the load-balancer, listener, TLS, latency and
    /// expiry sections, every field but the client port, trace id and target address.
    fn fields_needed(&self) -> FieldSet {
        Field::ALL.into_iter().filter(|f| !matches!(f, Field::ClientPort | Field::ConnTraceId | Field::IpAddress)).collect()
    }

    /// Samples of malformed lines are given their line; records are only counted.
    fn reads_lines(&self) -> bool {
        false
    }

    #[inline(always)]
    fn record(&mut self, input: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.0.add_from(record, input.load_balancer);
        Ok(())
    }

    fn filtered_out(&mut self, record: &Record<'_>) {
        self.1.add(record.time);
        self.2.left_out(record);
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
        self.1.merge(other.1);
        self.2.merge(&other.2);
    }
}

/// Reads all inputs into one aggregate. Paths that could not be listed are input errors
/// of the aggregate (every format lists them), and returned apart as well.
pub fn aggregate(settings: &ReportSettings, printer: &Printer) -> Result<Scanned> {
    let outcome = scan(&settings.scan, printer, || ReportSink::new(settings))?;
    let ReportSink(mut total, filtered_span, left_out_codes) = outcome.sink;
    total.skipped_files.merge(&outcome.skipped_files);
    let listing_errors = as_input_errors(outcome.listing_errors);
    total.input_errors.extend(listing_errors.iter().cloned());
    total.input_errors.sort();
    Ok(Scanned {
        aggregate: total,
        listing_errors,
        inputs_listed: outcome.inputs_listed,
        outside_time_range: outcome.outside_time_range,
        filtered_span,
        left_out_codes,
    })
}

/// Paths that could not be listed, as the input errors every report format lists.
fn as_input_errors(errors: Vec<ListingError>) -> Vec<InputError> {
    errors.into_iter().map(|e| InputError { input: e.input, after_line: 0, message: e.message }).collect()
}

/// What reading the inputs of a report gave.
pub struct Scanned {
    pub aggregate: Aggregate,
    /// Paths that could not be listed at all (also in the aggregate's input errors).
    pub listing_errors: Vec<InputError>,
    /// Connection-log inputs found before sharding.
    pub inputs_listed: usize,
    /// S3 objects the listings left out because the time range cannot hold them.
    pub outside_time_range: albmtls_s3::OutsideTimeRange,
    /// When the records the filters left out were written.
    pub filtered_span: Span,
    /// Which undocumented codes asked for the records the filters left out have.
    pub left_out_codes: UndocumentedCodes,
}

pub fn run(settings: &ReportSettings, printer: &Printer) -> Result<Exit> {
    if let Some((options, view)) = &settings.follow {
        return run_followed(settings, options, *view, printer);
    }
    let Scanned { aggregate, listing_errors, inputs_listed, outside_time_range, filtered_span, left_out_codes } =
        aggregate(settings, printer)?;
    // A prefix whose connection logs all lie outside the time range is not a wrong prefix,
    // and a path that could not be listed has its own error: neither need hold no logs.
    let no_inputs = (inputs_listed == 0 && outside_time_range.objects == 0 && listing_errors.is_empty())
        .then(|| no_connection_logs(&settings.scan.paths, &aggregate.skipped_files));
    let mut read = filtered_span;
    if let Some((first, last)) = aggregate.time_span() {
        read.add(first);
        read.add(last);
    }
    let time = settings.scan.filter.time;
    let empty_because_of_time = if aggregate.records == 0 {
        nothing_in_time_range(time, read).or_else(|| none_listed_in_time_range(&settings.scan.paths, time, &outside_time_range))
    } else {
        None
    };
    for warning in unseen_statuses(&aggregate, &left_out_codes, &settings.scan.filter.statuses) {
        printer.warn(&warning);
    }
    let shard = settings.scan.shard.map(|s| s.to_string());
    let built = Built { aggregate, listing_errors: &listing_errors, shard, missing_shards: Vec::new(), input_span: read, left_out_codes };
    let exit = finish(built, &settings.output, &mut S3Output::new(&settings.scan.s3), printer)?;
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
    let mut objects_seen: Vec<(S3Location, String)> = Vec::new();
    for part in &settings.parts {
        let text = part.to_string_lossy();
        let (name, bytes) = if text.starts_with("s3://") {
            let location = S3Location::parse(&text)?;
            if let Some((_, earlier)) = objects_seen.iter().find(|(seen, _)| *seen == location) {
                bail!("{text} and {earlier} are the same object: each partial may be merged once");
            }
            objects_seen.push((location.clone(), text.to_string()));
            let client = match &mut client {
                Some(client) => client,
                None => client.insert(S3Client::connect(settings.s3.clone())?),
            };
            (text.to_string(), read_s3_object(client, &location)?)
        } else {
            if let Ok(canonical) = std::fs::canonicalize(part) {
                if let Some((_, earlier)) = paths_seen.iter().find(|(p, _)| *p == canonical) {
                    bail!("{} and {earlier} are the same file: each partial may be merged once", part.display());
                }
                paths_seen.push((canonical, part.display().to_string()));
            }
            read_all(part, PARTIALS)?
        };
        let partial = Partial::from_json(&name, &bytes)?;
        shards.add(&name, &partial.run, partial.shard.as_deref())?;
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
    let built = Built {
        aggregate: total,
        listing_errors: &[],
        shard: None,
        missing_shards: missing,
        input_span: span,
        left_out_codes: UndocumentedCodes::default(),
    };
    finish(built, &settings.output, &mut S3Output::new(&settings.s3), printer)
}

/// The shards of the partials given so far, to refuse duplicates and find gaps.
#[derive(Default)]
struct ShardSet {
    /// The shard count of the run, and each shard seen with the file it came from.
    sharded: Option<(u32, Vec<(u32, String)>)>,
    /// Partials of unsharded runs: the run that wrote each, and its name. Several runs
    /// may be merged (a week of nightly partials); one run's partial only once.
    whole: Vec<(String, String)>,
}

impl ShardSet {
    fn add(&mut self, name: &str, run: &str, shard: Option<&str>) -> Result<()> {
        let Some(text) = shard else {
            if let Some((count, seen)) = &self.sharded {
                bail!("{name} is from an unsharded run but {} is shard {}/{count}: merge the partials of one run", seen[0].1, seen[0].0);
            }
            if let Some((_, earlier)) = self.whole.iter().find(|(seen, _)| seen == run) {
                bail!(
                    "{earlier} and {name} are one run's partial (one file under two names, or a copy of it): merging both would count its records twice; give each partial once"
                );
            }
            self.whole.push((run.to_owned(), name.to_owned()));
            return Ok(());
        };
        let shard = Shard::parse(text).with_context(|| format!("{name}: the shard it records"))?;
        if let Some((_, whole)) = self.whole.first() {
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
fn read_s3_object(client: &S3Client, location: &S3Location) -> Result<Vec<u8>> {
    let object = S3Object { bucket: location.bucket().to_owned(), key: location.prefix().to_owned(), size: 0, content_check: false };
    let url = object.url();
    let mut bytes = Vec::new();
    for input in client.open_all(vec![object]) {
        let read = read_limited(&url, input.into_parts().1, PARTIALS);
        // Named on the command line, not listed: "deleted after it was listed?" would mislead.
        let missing = |err: &anyhow::Error| {
            err.chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<S3Error>())
                .any(|e| matches!(e, S3Error::NoSuchKey { .. }))
        };
        match read {
            Ok(read) => bytes.extend(read),
            Err(err) if missing(&err) => bail!(
                "{url}: there is no such object: check the key, and that the shard run that writes it finished (it stores its partial only at its end)"
            ),
            Err(err) => return Err(err),
        }
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
    /// Which undocumented codes asked for the records the filters left out have.
    left_out_codes: UndocumentedCodes,
}

/// Renders or saves the aggregate, then applies the alert thresholds.
fn finish(built: Built<'_>, output: &ReportOutput, s3: &mut S3Output<'_>, printer: &Printer) -> Result<Exit> {
    let Built { aggregate, listing_errors, shard, missing_shards, input_span, left_out_codes } = built;
    // Paths that could not be listed were reported as they were found.
    let new_errors: Vec<InputError> = aggregate.input_errors.iter().filter(|e| !listing_errors.contains(e)).cloned().collect();
    print_input_errors(&new_errors, printer);
    let mut report = Report::build(&aggregate, output.options);
    report.missing_shards = missing_shards;
    let made = provenance(input_span);
    let view = view(&report, &aggregate, shard.as_deref(), &made, output, printer);
    if let Err(err) = store(&view, output, s3, printer)? {
        return Ok(output_failed(printer, &err));
    }
    Ok(verdict(&report, &aggregate, &left_out_codes, output, printer))
}

/// `report --follow`: the report over everything read so far, shown after every poll.
fn run_followed(settings: &ReportSettings, options: &FollowOptions, show: FollowView, printer: &Printer) -> Result<Exit> {
    let output = &settings.output;
    let shard = settings.scan.shard.map(|s| s.to_string());
    let following: Vec<String> = settings.scan.paths.iter().map(|p| p.display().to_string()).collect();
    let following = following.join(" ");
    let mut total = Aggregate::new();
    let mut input_span = Span::default();
    let mut left_out_codes = UndocumentedCodes::asked(asked_statuses(settings));
    let mut recent = RecentChanges::new(RECENT_WINDOW);
    let mut failure: Option<anyhow::Error> = None;
    let mut output_error: Option<std::io::Error> = None;
    let mut s3 = S3Output::new(&settings.scan.s3);
    // The errors of the last poll's inputs that could not be fetched: in the report until
    // the next poll reads them again, then replaced by how that went.
    let mut unfetched: Vec<InputError> = Vec::new();
    follow(
        &settings.scan,
        options,
        printer,
        || ReportSink::new(settings),
        |poll: Poll<ReportSink>| {
            let Poll { number, inputs, read_again, outcome } = poll;
            let ReportSink(mut read, filtered_span, left_out) = outcome.sink;
            left_out_codes.merge(&left_out);
            read.skipped_files.merge(&outcome.skipped_files);
            total.input_errors.retain(|error| !unfetched.contains(error));
            total.inputs_read -= unfetched.len() as u64;
            unfetched = read.input_errors.iter().filter(|error| read_again.contains(&error.input)).cloned().collect();
            for error in &read.input_errors {
                let again = if unfetched.contains(error) { "; it is read again at the next poll" } else { "" };
                printer.error(&format!("{}: {} (after line {}){again}", error.input, error.message, error.after_line));
            }
            // A path that cannot be listed fails every poll; the report lists it once.
            for error in as_input_errors(outcome.listing_errors) {
                if !total.input_errors.contains(&error) {
                    read.input_errors.push(error);
                }
            }
            input_span.merge(filtered_span);
            if let Some((first, last)) = read.time_span() {
                input_span.add(first);
                input_span.add(last);
            }
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
            let made = provenance(input_span);
            let view = view(&report, &total, shard.as_deref(), &made, output, printer);
            let shown = match show {
                FollowView::Redraw => printer.with_stdout(|out| write_screen(&view, &frame, out)),
                FollowView::JsonLines => printer.with_stdout(|out| write_json_line(&view, &frame, out)),
                FollowView::Rewrite => match store(&view, output, &mut s3, printer) {
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
    Ok(verdict(&report, &total, &left_out_codes, output, printer))
}

fn print_input_errors(errors: &[InputError], printer: &Printer) {
    for error in errors {
        printer.error(&format!("{}: {} (after line {})", error.input, error.message, error.after_line));
    }
}

/// When, how and by which version the report was made, and what its inputs span.
fn provenance(input_span: Span) -> Provenance {
    Provenance {
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command_line: command_line(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        input_span: input_span.get(),
    }
}

fn view<'a>(
    report: &'a Report,
    aggregate: &'a Aggregate,
    shard: Option<&'a str>,
    made: &'a Provenance,
    output: &ReportOutput,
    printer: &Printer,
) -> ReportView<'a> {
    let to_terminal = matches!(output.destination, Destination::Stdout);
    let style = TableStyle { color: printer.color && to_terminal, width: if to_terminal { printer.table_width } else { None } };
    ReportView { report, aggregate, run: this_run(), shard, style, made: Some(made), csv_section: output.csv_section }
}

/// This run's identity, recorded in the partial files it writes so that a merge can tell
/// one partial given twice from partials of two runs: random, and the same all run long.
fn this_run() -> &'static str {
    use std::hash::{BuildHasher, Hasher};
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        // Each RandomState is keyed from the operating system's randomness; the time and
        // process id make a collision of two runs even less likely.
        let keyed = |salt: u64| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(salt);
            hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
            hasher.write_u32(std::process::id());
            hasher.finish()
        };
        format!("{:016x}{:016x}", keyed(0), keyed(1))
    })
}

/// The S3 client outputs are stored with: connected at the first `-o s3://…` and kept,
/// so that the rewrites of a followed run fetch credentials once.
struct S3Output<'a> {
    options: &'a S3Options,
    client: Option<S3Client>,
}

impl S3Output<'_> {
    fn new(options: &S3Options) -> S3Output<'_> {
        S3Output { options, client: None }
    }

    fn put(&mut self, location: &S3Location, body: Vec<u8>, media_type: &str) -> Result<(), S3Error> {
        let client = match &mut self.client {
            Some(client) => client,
            None => self.client.insert(S3Client::connect(self.options.clone())?),
        };
        client.put(location, body, media_type)
    }
}

/// Writes the report where `output` says. The outer error is a failure to store the
/// report (a file or S3 object); the inner one, stdout failing (a closed pipe).
fn store(view: &ReportView<'_>, output: &ReportOutput, s3: &mut S3Output<'_>, printer: &Printer) -> Result<std::io::Result<()>> {
    let write = |out: &mut dyn Write| write_report(view, output.format, out);
    match &output.destination {
        Destination::File(path) => write_atomically(path, write)?,
        Destination::S3(location) => {
            let mut body = Vec::new();
            write(&mut body).context("rendering the report")?;
            s3.put(location, body, output.format.media_type())
                .with_context(|| format!("storing {location} failed, nothing was written there"))?;
            tracing::info!(%location, "report stored");
        }
        Destination::Stdout => return Ok(printer.with_stdout(write).and_then(|()| printer.flush())),
    }
    Ok(Ok(()))
}

/// Warnings about what the report could not cover, and the exit status: 2 when inputs
/// failed (paths that could not be listed among them), 1 when a `--fail-on` threshold
/// is crossed, else 0.
fn verdict(report: &Report, aggregate: &Aggregate, left_out_codes: &UndocumentedCodes, output: &ReportOutput, printer: &Printer) -> Exit {
    if report.records == 0 && aggregate.malformed > 0 {
        printer.warn("no line could be read as a connection-log record: are these access logs rather than connection logs?");
    }
    let threshold_statuses: Vec<StatusFilter> = output
        .thresholds
        .iter()
        .filter_map(|t| match &t.what {
            Counted::Status(status) => Some(status.clone()),
            _ => None,
        })
        .collect();
    for warning in unseen_statuses(aggregate, left_out_codes, &threshold_statuses) {
        printer.warn(&format!("--fail-on: {warning}"));
    }
    let crossed = crossed_thresholds(report, &output.thresholds);
    // Crossing a threshold is what --fail-on asks to hear about, not a failure of the run.
    for message in &crossed {
        printer.notice(message);
    }
    if !aggregate.input_errors.is_empty() {
        Exit::Error
    } else if !crossed.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    }
}

/// A warning for each undocumented code asked for that no record has, counted or left
/// out by the filters: most likely a typing mistake, which would otherwise give an empty
/// report or a threshold never hit.
fn unseen_statuses(aggregate: &Aggregate, left_out_codes: &UndocumentedCodes, statuses: &[StatusFilter]) -> Vec<String> {
    statuses
        .iter()
        .filter(|filter| !aggregate.statuses().any(|(status, _)| filter.matches(&status.as_verify_status(), status.text().as_bytes())))
        .filter(|filter| !left_out_codes.seen(filter))
        .filter_map(StatusFilter::unseen_warning)
        .collect()
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
