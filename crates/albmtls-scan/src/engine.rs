//! Reading every input of a run on a pool of workers: each input decoded and cut into
//! blocks of whole lines for a per-worker [`BlockSink`]; the sinks are merged at the end.
//!
//! Runs whose output does not follow the listing read the largest inputs first, and the
//! last inputs of a run are decoded ahead on reader threads (a large local gzip file on a
//! thread per worker), so that the run does not end with one core reading while the
//! others wait.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use std::io::{Read, Seek};

use albmtls_parquet::ParquetSource;
use albmtls_parse::keys::{LogFileKind, SkippedFiles};
use albmtls_parse::vended::{FieldList, Format, kind_of_fields, kind_of_text};
use albmtls_source::{Encoding, Folders, LocalInput, ParallelGzip, chunks_in_run, decode, read_chunks, worth_parallel};

use crate::inputs::{Everything, Input, Listed, ListingError, S3Connection, Source, Unread, list_inputs};
use crate::options::ScanOptions;

/// The decoded bytes of an input whose content decides whether it is read: enough for
/// the first record or the W3C headers, which name the fields.
const CONTENT_CHECK_BYTES: usize = 64 * 1024;

/// One input being read: its position in the run and its name for messages.
#[derive(Debug, Clone, Copy)]
pub struct InputContext<'a> {
    /// Where the input stands in the listing (paths as named, directories sorted), which
    /// is not always the order inputs are read in.
    pub index: usize,
    pub name: &'a str,
    /// The load balancer the input's name gives (`app/NAME/ID`), for lines without
    /// field 14.
    pub load_balancer: Option<&'a [u8]>,
}

/// What a command does with the decoded blocks of its inputs. Each worker has its own;
/// they are merged when every input is read.
pub trait BlockSink: Send {
    /// Whether the command's output follows the order inputs are listed in, as grep's
    /// does. When it does not, the largest inputs are read first: a run that ends on a
    /// large file leaves every core but one idle while that file is read.
    const OUTPUT_FOLLOWS_LISTING: bool;

    /// An input is about to be read. A worker reads one input at a time, from
    /// `begin_input` to `end_input`.
    fn begin_input(&mut self, input: &InputContext<'_>) -> std::io::Result<()>;

    /// A block of whole lines (the last line of an input may lack its `\n`), after
    /// `overlong_before` lines that were too long to keep and were skipped unread.
    fn block(&mut self, input: &InputContext<'_>, bytes: &[u8], overlong_before: u64) -> std::io::Result<()>;

    /// A Parquet input: its records come a row group at a time, not in blocks of lines.
    /// Returns why the input ended early, if it did (`Err` only when output failed).
    fn parquet(&mut self, input: &InputContext<'_>, source: ParquetSource) -> std::io::Result<Option<String>>;

    /// The input is finished; `error` says why when it ended early.
    fn end_input(&mut self, input: &InputContext<'_>, error: Option<String>) -> std::io::Result<()>;

    /// The input is left unread: its name said nothing and its content is another kind
    /// of log (the run counts it as skipped). Comes instead of `begin_input` and
    /// `end_input`, so that a sink whose output follows the listing can close its place.
    fn not_read(&mut self, _input: &InputContext<'_>) -> std::io::Result<()> {
        Ok(())
    }

    /// Records counted so far, for progress.
    fn records(&self) -> u64;

    /// Folds another worker's results into this one.
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// Where a run reports what it is doing; the caller decides what, if anything, to show.
pub trait Progress: Sync {
    /// A path could not be listed or opened; the run goes on without it.
    fn listing_error(&self, error: &ListingError);
    /// Reading starts, over `inputs` inputs.
    fn start(&self, inputs: u64);
    /// One input is finished; `records` and `downloaded` (S3 body bytes) are running totals.
    fn input_done(&self, records: u64, downloaded: Option<u64>);
    /// Every input is read.
    fn finish(&self);
}

/// What the whole run produced.
pub struct ScanOutcome<S> {
    /// Every input's results, merged: one sink per worker is kept while reading, so
    /// memory follows distinct keys, not the number of inputs.
    pub sink: S,
    /// Files passed over by name, and those whose content showed another kind of log.
    pub skipped_files: SkippedFiles,
    /// Paths that could not be listed or opened at all.
    pub listing_errors: Vec<ListingError>,
    /// Connection-log inputs the paths named, before sharding: 0 means the paths hold
    /// no connection logs at all (an empty folder, a wrong prefix, only access logs),
    /// unless S3 listings left some out by time. In a sharded run, inputs whose content
    /// decides count whatever they hold: other shards read them.
    pub inputs_listed: usize,
    /// S3 objects the listings left out because the time range cannot hold them.
    pub outside_time_range: albmtls_s3::OutsideTimeRange,
    /// Writing output failed (a closed pipe, a full disk); the run stopped there.
    pub output_error: Option<std::io::Error>,
    /// Inputs that could not be opened or fetched before any of their content was read
    /// (their errors reached the sinks as usual).
    pub(crate) unread: Vec<Unread>,
}

impl<S> ScanOutcome<S> {
    /// The same outcome around what `f` makes of the sink.
    pub fn map_sink<T>(self, f: impl FnOnce(S) -> T) -> ScanOutcome<T> {
        let ScanOutcome { sink, skipped_files, listing_errors, inputs_listed, outside_time_range, output_error, unread } = self;
        ScanOutcome { sink: f(sink), skipped_files, listing_errors, inputs_listed, outside_time_range, output_error, unread }
    }
}

/// Why a run could not start at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source}")]
pub struct StartError {
    threads: usize,
    source: rayon::ThreadPoolBuildError,
}

/// Reads every input named in `options` into block sinks made by `new_sink`.
pub fn scan_blocks<B: BlockSink>(
    options: &ScanOptions,
    progress: &dyn Progress,
    new_sink: impl Fn() -> B + Sync,
) -> Result<ScanOutcome<B>, StartError> {
    let pool = worker_pool(options.threads)?;
    let listed = list_inputs(options, B::OUTPUT_FOLLOWS_LISTING, &mut Everything, &mut S3Connection::default(), &pool);
    Ok(read_listed(&pool, options, listed, progress, &new_sink))
}

/// The workers of a run, named so that a stack dump or `top -H` tells them apart.
pub(crate) fn worker_pool(threads: usize) -> Result<rayon::ThreadPool, StartError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("albmtls-worker-{i}"))
        .build()
        .map_err(|source| StartError { threads, source })
}

/// Reads the inputs of one listing on `pool`, one sink per worker, merged at the end.
pub(crate) fn read_listed<B: BlockSink>(
    pool: &rayon::ThreadPool,
    options: &ScanOptions,
    listed: Listed,
    progress: &dyn Progress,
    new_sink: &(impl Fn() -> B + Sync),
) -> ScanOutcome<B> {
    let Listed { inputs, skipped: skipped_by_name, errors: listing_errors, s3_stats, listed: inputs_listed, outside_time_range } = listed;
    for error in &listing_errors {
        progress.listing_error(error);
    }
    tracing::info!(
        inputs = inputs.len(),
        skipped_files = skipped_by_name.total(),
        threads = options.threads,
        shard = options.shard.map(|s| s.to_string()),
        "reading inputs"
    );
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let output_error = Mutex::new(None);
    let unread = Mutex::new(Vec::new());
    let records = AtomicU64::new(0);
    let total_inputs = inputs.len();
    let started_inputs = AtomicUsize::new(0);
    let bytes_not_started = AtomicU64::new(inputs.iter().filter_map(|(_, input)| input.size).sum());
    let skipped_by_content = Mutex::new(SkippedFiles::default());
    let fields_given = options.vended.fields.as_ref();
    progress.start(inputs.len() as u64);
    // One sink per worker for the whole run, merged once at the end: a sink per share of
    // the work would make the merge re-insert every key of every share. Inputs are handed
    // out in order to whichever worker is free, not in halves: S3 objects are prefetched
    // in that order, so a split would send one worker to the middle of the list, where
    // nothing has been downloaded yet.
    let queue = Mutex::new(inputs.into_iter());
    let sinks: Vec<B> = pool.broadcast(|_| {
        let mut sink = new_sink();
        // This pass's open folders: a followed run's next pass looks its folders up again.
        let mut folders = Folders::default();
        loop {
            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
            let Some((index, input)) = next else { break };
            if stop.load(Ordering::Relaxed) {
                continue;
            }
            let name = input.display_name();
            let load_balancer = albmtls_parse::keys::load_balancer_of_name(&name);
            let context = InputContext { index, name: &name, load_balancer: load_balancer.as_deref().map(str::as_bytes) };
            let before = sink.records();
            let input_started = Instant::now();
            let inputs_left = total_inputs - started_inputs.fetch_add(1, Ordering::Relaxed);
            let size = input.size.unwrap_or(0);
            let bytes_after = bytes_not_started.fetch_sub(size, Ordering::Relaxed).saturating_sub(size);
            let again = input.to_unread(&name);
            let cores_would_idle = cores_would_idle(options.threads, inputs_left, size, bytes_after);
            let reading = Reading { workers: options.threads, fields_given, stop: &stop, cores_would_idle };
            let outcome = read_input(input, &context, &reading, &mut folders, &mut sink);
            let read = sink.records() - before;
            tracing::debug!(input = %name, records = read, elapsed_ms = input_started.elapsed().as_millis() as u64, "input done");
            match outcome {
                Ok(Ended::Read) => {}
                Ok(Ended::NotFetched) => unread.lock().unwrap_or_else(|p| p.into_inner()).push(again),
                Ok(Ended::NotAConnectionLog(kind)) => {
                    tracing::info!(input = %name, kind = ?kind, "skipped: its fields are not a connection log's");
                    skipped_by_content.lock().unwrap_or_else(|p| p.into_inner()).count(kind);
                }
                Err(err) => {
                    stop.store(true, Ordering::Relaxed);
                    output_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(err);
                }
            }
            let total = records.fetch_add(read, Ordering::Relaxed) + read;
            progress.input_done(total, s3_stats.as_ref().map(|s| s.bytes_downloaded()));
        }
        sink
    });
    let merge_started = Instant::now();
    let sink = sinks
        .into_iter()
        .reduce(|mut a, b| {
            a.merge(b);
            a
        })
        .unwrap_or_else(new_sink);
    tracing::debug!(elapsed_ms = merge_started.elapsed().as_millis() as u64, "worker results merged");
    progress.finish();
    tracing::info!(records = sink.records(), elapsed_ms = started.elapsed().as_millis() as u64, "all inputs read");
    let skipped_by_content = skipped_by_content.into_inner().unwrap_or_else(|p| p.into_inner());
    let inputs_listed = match options.shard {
        None => inputs_listed.saturating_sub(skipped_by_content.total() as usize),
        Some(_) => inputs_listed,
    };
    let mut skipped_files = skipped_by_name;
    skipped_files.merge(&skipped_by_content);
    ScanOutcome {
        sink,
        skipped_files,
        listing_errors,
        inputs_listed,
        outside_time_range,
        output_error: output_error.into_inner().unwrap_or_else(|p| p.into_inner()),
        unread: unread.into_inner().unwrap_or_else(|p| p.into_inner()),
    }
}

/// How reading one input ended.
enum Ended {
    /// Read to its end, or to an error in its content (or its output): done with.
    Read,
    /// It could not be opened, or its bytes not fetched, before any of its content
    /// reached the sink: reading it again later may succeed, and counts nothing twice.
    NotFetched,
    /// Not at all: its content showed another kind of log (its name said nothing).
    NotAConnectionLog(LogFileKind),
}

/// The raw bytes of an input, remembering whether fetching them failed: an error there
/// (a file that cannot be read, a GET that failed) is worth another try, unlike an
/// error in what the bytes say.
struct Fetched {
    inner: Box<dyn Read + Send>,
    failed: Arc<AtomicBool>,
}

impl Read for Fetched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf);
        if read.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        read
    }
}

/// What a worker needs to know about the run to read one input.
struct Reading<'a> {
    workers: usize,
    /// The field list the user named for header-less deliveries.
    fields_given: Option<&'a FieldList>,
    stop: &'a AtomicBool,
    /// Whether the other workers will run out of inputs before this one is read, so
    /// that its decoding should be helped by threads of its own.
    cores_would_idle: bool,
}

/// Whether the other workers run out of work while one reads an input of `size` bytes:
/// fewer inputs are left than workers (`inputs_left` counts this one), or this input is
/// larger than the share of each other worker in the `bytes_after` of the inputs not yet
/// started (a large file beside a few small ones, or a test file, in one folder).
fn cores_would_idle(workers: usize, inputs_left: usize, size: u64, bytes_after: u64) -> bool {
    // One worker still gets a reader thread for its last input: decoding and tokenizing
    // then overlap on two cores.
    inputs_left < workers.max(2) || (workers > 1 && size > bytes_after / (workers as u64 - 1))
}

/// Reads one input to its end (or its first error), or leaves it unread when its content
/// must show a connection log and does not. Returns `Err` only when output can no longer
/// be written.
fn read_input<B: BlockSink>(
    input: Input,
    context: &InputContext<'_>,
    reading: &Reading<'_>,
    folders: &mut Folders,
    sink: &mut B,
) -> std::io::Result<Ended> {
    let content_check = input.content_check;
    let local_file = match &input.source {
        Source::Local(LocalInput::File(path)) => Some(path.clone()),
        _ => None,
    };
    let fetch_failed = Arc::new(AtomicBool::new(false));
    // Until content reaches the sink, a failure to fetch the bytes leaves nothing counted.
    let ended_by_failure = || if fetch_failed.load(Ordering::Relaxed) { Ended::NotFetched } else { Ended::Read };
    // The sink hears of an input once it is known to be read: an input whose content
    // shows another kind of log is no input of the run.
    let failed = |sink: &mut B, message: String| {
        sink.begin_input(context)?;
        sink.end_input(context, Some(message)).map(|()| ended_by_failure())
    };
    let raw = match input.open(folders) {
        Ok(raw) => Box::new(Fetched { inner: raw, failed: Arc::clone(&fetch_failed) }),
        Err(err) => {
            fetch_failed.store(true, Ordering::Relaxed);
            // The report shows the input's name in a column of its own.
            return failed(sink, err.problem());
        }
    };
    let (encoding, reader) = match decode(context.name, raw) {
        Ok(decoded) => decoded,
        Err(err) => return failed(sink, err.problem()),
    };
    // Parquet is told from text by its magic, after gzip; it is read whole, not in lines.
    let peek_bytes = if content_check { CONTENT_CHECK_BYTES } else { Format::PARQUET_MAGIC.len() };
    let (head, reader) = match peek(reader, peek_bytes) {
        Ok(peeked) => peeked,
        Err(err) => return failed(sink, describe_read_error(&err)),
    };
    if head.starts_with(Format::PARQUET_MAGIC) {
        drop(head);
        let source = match (encoding, local_file) {
            // A plain local file is read by ranges: the footer, then each row group.
            (Encoding::Plain, Some(path)) => std::fs::File::open(&path).map(ParquetSource::File).inspect_err(|_| {
                fetch_failed.store(true, Ordering::Relaxed);
            }),
            _ => spool(reader).map(ParquetSource::File),
        };
        let source = match source {
            Ok(source) => source,
            Err(err) => return failed(sink, format!("cannot read the Parquet data: {err}")),
        };
        if content_check {
            match albmtls_parquet::column_names(&source) {
                Ok(names) => match kind_of_fields(names.iter().map(|n| n.as_bytes())) {
                    LogFileKind::Connection => {}
                    kind => return sink.not_read(context).map(|()| Ended::NotAConnectionLog(kind)),
                },
                // Unreadable is not "another kind of log": it is counted as an error.
                Err(err) => return failed(sink, err.to_string()),
            }
        }
        sink.begin_input(context)?;
        let error = sink.parquet(context, source)?;
        return sink.end_input(context, error).map(|()| Ended::Read);
    }
    if content_check {
        match kind_of_text(&head, reading.fields_given) {
            LogFileKind::Connection => {}
            kind => return sink.not_read(context).map(|()| Ended::NotAConnectionLog(kind)),
        }
    }
    drop(head);
    sink.begin_input(context)?;
    let reader = match local_file.as_deref() {
        Some(path) if encoding == Encoding::Gzip => parallel_when_cores_idle(path, reading, reader),
        _ => Decoded::Stream(reader),
    };
    let chunks = match reader {
        Decoded::Stream(reader) => chunks_in_run(reader, reading.cores_would_idle),
        Decoded::Parallel(reader) => Ok(read_chunks(reader)),
    };
    let chunks = match chunks {
        Ok(chunks) => chunks,
        Err(err) => return sink.end_input(context, Some(format!("cannot start a reader thread: {err}"))).map(|()| Ended::Read),
    };
    let mut delivered = false;
    for chunk in chunks {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                let mut message = format!("{} after {} decoded bytes", describe_read_error(&err.source), err.decoded_bytes);
                if err.dropped_partial_line > 0 {
                    message.push_str(&format!("; an incomplete last line ({} bytes) was dropped", err.dropped_partial_line));
                }
                message.push_str("; the lines before it were counted");
                let ended = if delivered { Ended::Read } else { ended_by_failure() };
                return sink.end_input(context, Some(message)).map(|()| ended);
            }
        };
        if reading.stop.load(Ordering::Relaxed) {
            return Ok(Ended::Read);
        }
        delivered = true;
        sink.block(context, chunk.bytes(), chunk.overlong_lines_before)?;
    }
    sink.end_input(context, None).map(|()| Ended::Read)
}

/// Where the decoded bytes of a text input come from.
enum Decoded {
    /// One stream, decoded on the worker's thread or a reader thread of its own.
    Stream(Box<dyn Read + Send>),
    /// A large local gzip file, inflated by a thread per worker.
    Parallel(Box<ParallelGzip>),
}

/// A local gzip file read while cores would idle ([`cores_would_idle`]), large enough to
/// be cut, is inflated on a thread per worker; anything else, or a file that
/// cannot be opened so, is read as the stream `reader` already opened.
fn parallel_when_cores_idle(path: &std::path::Path, reading: &Reading<'_>, reader: Box<dyn Read + Send>) -> Decoded {
    if reading.workers < 2 || !reading.cores_would_idle {
        return Decoded::Stream(reader);
    }
    let size = match std::fs::metadata(path) {
        Ok(metadata) if worth_parallel(metadata.len()) => metadata.len(),
        _ => return Decoded::Stream(reader),
    };
    // More inflate threads than cores only add queued segments (memory), not speed.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    match ParallelGzip::open(path, size, reading.workers.min(cores)) {
        Ok(Some(parallel)) => {
            tracing::debug!(input = %path.display(), size, "inflating on a thread per worker");
            Decoded::Parallel(Box::new(parallel))
        }
        Ok(None) => {
            tracing::debug!(input = %path.display(), size, "too few gzip members to cut; reading as one stream");
            Decoded::Stream(reader)
        }
        Err(err) => {
            tracing::debug!(input = %path.display(), error = %err, "cannot inflate in parallel; reading as one stream");
            Decoded::Stream(reader)
        }
    }
}

/// The first `n` bytes of a stream (fewer if it is shorter), and the whole stream again.
fn peek(mut reader: Box<dyn Read + Send>, n: usize) -> std::io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(n);
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    let again = std::io::Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(again)))
}

/// The most of a Parquet stream (an S3 object, a gzip-compressed file) stored before it
/// is read. Parquet needs its footer before any row, so such a stream is copied whole
/// into an anonymous temporary file (in `$TMPDIR`, gone when read) and read from there
/// by ranges, as a local file is: memory follows the row groups, not the file. Vended
/// objects cover minutes of traffic, far below this; a larger one (or a gzip bomb that
/// starts with Parquet's magic) is an input error that names the limit.
pub const PARQUET_SPOOL_LIMIT: u64 = 1 << 30;

fn spool(reader: Box<dyn Read + Send>) -> std::io::Result<std::fs::File> {
    let mut file = tempfile::tempfile()
        .map_err(|err| std::io::Error::new(err.kind(), format!("cannot create a temporary file to hold it ({err}): check $TMPDIR")))?;
    let copied = std::io::copy(&mut reader.take(PARQUET_SPOOL_LIMIT + 1), &mut file)?;
    if copied > PARQUET_SPOOL_LIMIT {
        return Err(std::io::Error::other(format!(
            "it is larger than {} GiB, the Parquet limit (the most albmtls stores of a compressed or S3 Parquet file before reading it): \
             decompress or download it to a local, uncompressed file and name that",
            PARQUET_SPOOL_LIMIT >> 30
        )));
    }
    file.rewind()?;
    Ok(file)
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

#[cfg(test)]
mod tests {
    use super::cores_would_idle;

    #[test]
    fn a_large_input_beside_small_ones_is_read_with_help() {
        const MB: u64 = 1 << 20;
        // The largest of 48 similar files, read first: the other worker has 47 to go.
        assert!(!cores_would_idle(2, 48, 3 * MB, 47 * 3 * MB));
        // A 141 MB file beside a small note: the other worker is done at once.
        assert!(cores_would_idle(2, 2, 141 * MB, 1_000));
        // The last input, and the last but one of two equal ones.
        assert!(cores_would_idle(2, 1, 3 * MB, 0));
        assert!(!cores_would_idle(2, 2, 3 * MB, 3 * MB));
        // Four workers: the other three share what is left.
        assert!(!cores_would_idle(4, 10, 30 * MB, 90 * MB));
        assert!(cores_would_idle(4, 10, 31 * MB, 90 * MB));
        // One worker gets a reader thread for its last input only; sizes unknown
        // (stdin) leave the count of inputs to decide.
        assert!(!cores_would_idle(1, 5, 100 * MB, MB));
        assert!(cores_would_idle(1, 1, 0, 0));
        assert!(!cores_would_idle(2, 3, 0, 0));
    }
}
