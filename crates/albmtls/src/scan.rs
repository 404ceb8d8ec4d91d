//! The pipeline both `report` and `grep` run: local and S3 inputs in parallel (rayon),
//! each decoded, tokenized, filtered and handed to a per-worker sink; sinks are merged at
//! the end. Commands whose output does not follow the listing read the largest inputs
//! first, and the last inputs of a run are decoded ahead on reader threads, so that the
//! run does not end with one core reading while the others wait.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[cfg(target_arch = "x86_64")]
use albmtls_parse::simd::{Avx2, Avx512};
use albmtls_parse::{Filter, ParseError, Record, Simd, SimdLevel, is_blank, lines};
use albmtls_s3::{S3Client, S3Input, S3Location, S3Object, S3Stats};
use albmtls_source::keys::LogFileKind;
use albmtls_source::{LocalInput, SkippedFiles, SourceError, chunks_in_run, decode, expand_paths, sort_largest_first};
use anyhow::{Context, Result};
use chrono::DateTime;
use rayon::prelude::*;

use crate::printer::Printer;
use crate::settings::ScanSettings;

/// One input being read: its position in the run and its name for messages.
pub struct InputContext<'a> {
    /// Where the input stands in the listing (paths as named, directories sorted), which
    /// is not always the order inputs are read in.
    pub index: usize,
    pub name: &'a str,
}

/// What a command does with the lines of one input.
pub trait Sink: Send {
    /// Whether the command's output follows the order inputs are listed in, as grep's
    /// does. When it does not, the largest inputs are read first: a run that ends on a
    /// large file leaves every core but one idle while that file is read.
    const OUTPUT_FOLLOWS_LISTING: bool;

    fn record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()>;
    fn filtered_out(&mut self);
    fn malformed(&mut self, input: &InputContext<'_>, line_number: u64, line: &[u8], error: ParseError);
    fn blank(&mut self);
    fn overlong(&mut self, lines: u64);
    /// The input is finished (`error` set when it ended early) after `lines` lines.
    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()>;
    fn records(&self) -> u64;
    /// Folds another sink's results into this one.
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// What the whole run produced.
pub struct ScanOutcome<S> {
    /// Every input's results, merged: one sink per worker is kept while reading, so
    /// memory follows distinct keys, not the number of inputs.
    pub sink: S,
    pub skipped_files: SkippedFiles,
    /// Paths that could not be listed or opened at all.
    pub listing_errors: Vec<String>,
    /// Writing output failed (a closed pipe, a full disk); the run stopped there.
    pub output_error: Option<std::io::Error>,
}

/// One thing to read: a local file or stdin, or an S3 object already downloading.
enum Input {
    Local(LocalInput),
    S3(S3Input),
}

impl Input {
    fn display_name(&self) -> String {
        match self {
            Input::Local(local) => local.display_name(),
            Input::S3(object) => object.display_name(),
        }
    }

    fn open(self) -> Result<Box<dyn Read + Send>, SourceError> {
        match self {
            Input::Local(local) => local.open(),
            Input::S3(object) => Ok(object.into_parts().1),
        }
    }
}

/// What the paths on the command line expand to.
struct Listed {
    /// Each input with its place in the listing, in the order they are to be read.
    inputs: Vec<(usize, Input)>,
    skipped: SkippedFiles,
    errors: Vec<String>,
    s3_stats: Option<Arc<S3Stats>>,
}

/// Expands local paths and lists `s3://` prefixes, keeps this shard's share, orders the
/// inputs (largest first unless `keep_listing_order`), and starts S3 downloads in that
/// order (they run ahead of the workers, bounded by `--concurrency`).
fn list_inputs(settings: &ScanSettings, keep_listing_order: bool) -> Listed {
    enum Pending {
        Local(LocalInput),
        S3(S3Object),
    }
    impl Pending {
        /// Size as stored, the best guess before reading at how long an input takes.
        fn size(&self) -> Option<u64> {
            match self {
                Pending::Local(local) => local.size(),
                Pending::S3(object) => Some(object.size),
            }
        }
    }
    let since = settings.filter.since.and_then(DateTime::from_timestamp_micros);
    let until = settings.filter.until.and_then(DateTime::from_timestamp_micros);
    let mut pending = Vec::new();
    let mut skipped: Vec<(String, LogFileKind)> = Vec::new();
    let mut errors = Vec::new();
    let mut client: Option<Result<S3Client, String>> = None;
    for path in &settings.paths {
        let text = path.to_string_lossy();
        if !text.starts_with("s3://") {
            let expansion = expand_paths(std::slice::from_ref(path));
            pending.extend(expansion.inputs.into_iter().map(Pending::Local));
            skipped.extend(expansion.skipped.into_iter().map(|(p, kind)| (p.display().to_string(), kind)));
            errors.extend(expansion.errors.iter().map(ToString::to_string));
            continue;
        }
        let location = match S3Location::parse(&text) {
            Ok(location) => location,
            Err(err) => {
                errors.push(err.to_string());
                continue;
            }
        };
        let connected = client.get_or_insert_with(|| S3Client::connect(settings.s3.clone()).map_err(|e| e.to_string()));
        let listing = match connected {
            Ok(client) => client.list(&location, since, until).map_err(|e| e.to_string()),
            Err(err) => Err(err.clone()),
        };
        match listing {
            Ok(listing) => {
                tracing::info!(%location, objects = listing.objects.len(), outside_time_range = listing.outside_time_range, "listed");
                pending.extend(listing.objects.into_iter().map(Pending::S3));
                skipped.extend(listing.skipped);
            }
            Err(err) => errors.push(format!("{location}: {err}")),
        }
    }

    let in_shard = |name: &str| settings.shard.is_none_or(|shard| shard.includes(name));
    let mut skipped_files = SkippedFiles::default();
    for (name, kind) in &skipped {
        if in_shard(name) {
            skipped_files.count(*kind);
        }
    }
    pending.retain(|p| match p {
        Pending::Local(local) => in_shard(&local.display_name()),
        Pending::S3(object) => in_shard(&object.url()),
    });
    let mut pending: Vec<(usize, Pending)> = pending.into_iter().enumerate().collect();
    if !keep_listing_order {
        sort_largest_first(&mut pending, |(_, p)| p.size());
    }
    let s3_objects: Vec<S3Object> = pending
        .iter()
        .filter_map(|(_, p)| match p {
            Pending::S3(object) => Some(object.clone()),
            Pending::Local(_) => None,
        })
        .collect();
    let client = client.and_then(Result::ok);
    let s3_stats = client.as_ref().map(S3Client::stats);
    // open_all keeps the order it is given, so the S3 inputs slot back in one by one.
    let mut opened = match &client {
        Some(client) if !s3_objects.is_empty() => client.open_all(s3_objects),
        _ => Vec::new(),
    }
    .into_iter();
    let inputs = pending
        .into_iter()
        .filter_map(|(index, p)| match p {
            Pending::Local(local) => Some((index, Input::Local(local))),
            Pending::S3(_) => opened.next().map(|object| (index, Input::S3(object))),
        })
        .collect();
    Listed { inputs, skipped: skipped_files, errors, s3_stats }
}

/// Reads every input named in `settings` into sinks made by `new_sink`.
pub fn scan<S: Sink>(settings: &ScanSettings, printer: &Printer, new_sink: impl Fn() -> S + Sync) -> Result<ScanOutcome<S>> {
    let Listed { inputs, skipped: skipped_files, errors: listing_errors, s3_stats } = list_inputs(settings, S::OUTPUT_FOLLOWS_LISTING);
    for error in &listing_errors {
        printer.error(error);
    }
    let simd = SimdLevel::detect();
    tracing::info!(
        inputs = inputs.len(),
        skipped_files = skipped_files.total(),
        threads = settings.threads,
        shard = settings.shard.map(|s| s.to_string()),
        simd = simd.name(),
        "reading inputs"
    );
    let started = std::time::Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .thread_name(|i| format!("albmtls-worker-{i}"))
        .build()
        .context("starting worker threads")?;
    let stop = AtomicBool::new(false);
    let output_error = Mutex::new(None);
    let records = AtomicU64::new(0);
    let total_inputs = inputs.len();
    let started_inputs = AtomicUsize::new(0);
    printer.start_progress(inputs.len() as u64);
    let sink: S = pool.install(|| {
        // Hand inputs out in order to whichever worker is free (par_bridge), not in
        // halves: S3 objects are prefetched in that order, so an indexed split would send
        // one worker to the middle of the list, where nothing has been downloaded yet.
        inputs
            .into_iter()
            .par_bridge()
            .fold(&new_sink, |mut sink, (index, input)| {
                if stop.load(Ordering::Relaxed) {
                    return sink;
                }
                let name = input.display_name();
                let context = InputContext { index, name: &name };
                let before = sink.records();
                let input_started = std::time::Instant::now();
                let inputs_left = total_inputs - started_inputs.fetch_add(1, Ordering::Relaxed);
                let outcome = read_input(input, &context, settings, simd, &mut sink, &stop, inputs_left);
                let read = sink.records() - before;
                tracing::debug!(input = %name, records = read, elapsed_ms = input_started.elapsed().as_millis() as u64, "input done");
                if let Err(err) = outcome {
                    stop.store(true, Ordering::Relaxed);
                    output_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(err);
                }
                let total = records.fetch_add(read, Ordering::Relaxed) + read;
                printer.progress_input_done(total, s3_stats.as_ref().map(|s| s.bytes_downloaded()));
                sink
            })
            .reduce(&new_sink, |mut a, b| {
                a.merge(b);
                a
            })
    });
    printer.finish_progress();
    let records = sink.records();
    tracing::info!(records, elapsed_ms = started.elapsed().as_millis() as u64, "all inputs read");
    Ok(ScanOutcome { sink, skipped_files, listing_errors, output_error: output_error.into_inner().unwrap_or_else(|p| p.into_inner()) })
}

/// Reads one input to its end (or its first error). Returns `Err` only when output
/// can no longer be written.
fn read_input<S: Sink>(
    input: Input,
    context: &InputContext<'_>,
    settings: &ScanSettings,
    simd: SimdLevel,
    sink: &mut S,
    stop: &AtomicBool,
    inputs_left: usize,
) -> std::io::Result<()> {
    let reader = match input.open().and_then(|raw| decode(context.name, raw)) {
        Ok((_, reader)) => reader,
        // The report shows the input's name in a column of its own.
        Err(err) => return sink.end_input(context, 0, Some(err.problem())),
    };
    let chunks = match chunks_in_run(reader, inputs_left, settings.threads) {
        Ok(chunks) => chunks,
        Err(err) => return sink.end_input(context, 0, Some(format!("cannot start a reader thread: {err}"))),
    };
    let filter = &settings.filter;
    let keep_all = filter.keeps_everything();
    let mut line_number = 0u64;
    for chunk in chunks {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                let mut message = format!("{} after {} decoded bytes", describe_read_error(&err.source), err.decoded_bytes);
                if err.dropped_partial_line > 0 {
                    message.push_str(&format!("; an incomplete last line ({} bytes) was dropped", err.dropped_partial_line));
                }
                message.push_str("; the lines before it were counted");
                return sink.end_input(context, line_number, Some(message));
            }
        };
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if chunk.overlong_lines_before > 0 {
            line_number += chunk.overlong_lines_before;
            sink.overlong(chunk.overlong_lines_before);
        }
        let bytes = chunk.bytes();
        line_number = match (simd, keep_all) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `Avx512` is proof that the CPU has the features this loop is compiled for.
            (SimdLevel::Avx512(simd), true) => unsafe { read_lines_avx512::<S, true>(simd, bytes, line_number, context, filter, sink)? },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            (SimdLevel::Avx512(simd), false) => unsafe { read_lines_avx512::<S, false>(simd, bytes, line_number, context, filter, sink)? },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `Avx2` is proof that the CPU has the features this loop is compiled for.
            (SimdLevel::Avx2(simd), true) => unsafe { read_lines_avx2::<S, true>(simd, bytes, line_number, context, filter, sink)? },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            (SimdLevel::Avx2(simd), false) => unsafe { read_lines_avx2::<S, false>(simd, bytes, line_number, context, filter, sink)? },
            (SimdLevel::Baseline(simd), true) => read_lines::<S, true>(simd, bytes, line_number, context, filter, sink)?,
            (SimdLevel::Baseline(simd), false) => read_lines::<S, false>(simd, bytes, line_number, context, filter, sink)?,
        };
    }
    sink.end_input(context, line_number, None)
}

/// Defines a copy of [`read_lines`] compiled for the features a SIMD kind vouches for:
/// the parser and aggregate it inlines then use them, while the binary still runs on
/// any x86_64. The feature list must be the one the kind's documentation names.
macro_rules! read_lines_compiled_for {
    ($name:ident, $kind:ty, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name<S: Sink, const KEEP_ALL: bool>(
            simd: $kind,
            bytes: &[u8],
            line_number: u64,
            context: &InputContext<'_>,
            filter: &Filter,
            sink: &mut S,
        ) -> std::io::Result<u64> {
            read_lines::<S, KEEP_ALL>(simd, bytes, line_number, context, filter, sink)
        }
    };
}
read_lines_compiled_for!(read_lines_avx2, Avx2, "avx2,bmi1,bmi2,lzcnt,popcnt");
read_lines_compiled_for!(read_lines_avx512, Avx512, "avx2,bmi1,bmi2,lzcnt,popcnt,avx512f,avx512bw");

/// Hands every line of a block of whole lines to `sink`; returns the last line's number.
/// `KEEP_ALL` gives the unfiltered run a loop where the record never leaves the inlined
/// parse and aggregate, so the compiler keeps its fields in registers.
#[inline(always)]
fn read_lines<S: Sink, const KEEP_ALL: bool>(
    simd: impl Simd,
    bytes: &[u8],
    mut line_number: u64,
    context: &InputContext<'_>,
    filter: &Filter,
    sink: &mut S,
) -> std::io::Result<u64> {
    for line in lines(simd, bytes) {
        line_number += 1;
        // Records start with a digit; only lines that do not are worth a blank check.
        if line.first().is_none_or(u8::is_ascii_whitespace) && is_blank(line) {
            sink.blank();
            continue;
        }
        // Matched by reference: binding the record by value copies a few hundred bytes.
        match &Record::parse_with(simd, line) {
            Ok(record) if KEEP_ALL || filter.matches(record) => sink.record(context, line_number, record)?,
            Ok(_) => sink.filtered_out(),
            Err(error) => sink.malformed(context, line_number, line, *error),
        }
    }
    Ok(line_number)
}

fn describe_read_error(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            "gzip data is truncated (the file ends mid-stream; was it copied while still being written?)".to_owned()
        }
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            format!("gzip data is corrupt ({err}); re-download the file")
        }
        _ => format!("read failed: {err}"),
    }
}
