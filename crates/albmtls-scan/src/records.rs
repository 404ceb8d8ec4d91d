//! From blocks of lines to records: the line loop every command runs, compiled for the
//! CPU's SIMD kind, and the record-level [`Sink`] commands implement.

use albmtls_parse::{Filter, ParseError, Record, Simd, SimdKernel, SimdLevel, is_blank, lines};

use crate::engine::{BlockSink, InputContext, Progress, ScanOutcome, StartError, scan_blocks};
use crate::follow::{FollowEnd, FollowOptions, Poll, follow_blocks};
use crate::options::ScanOptions;

/// What a command does with the records of its inputs. Each worker has its own; they are
/// merged when every input is read.
pub trait Sink: Send {
    /// See [`BlockSink::OUTPUT_FOLLOWS_LISTING`].
    const OUTPUT_FOLLOWS_LISTING: bool;

    /// An input is about to be read (a worker reads one input at a time).
    fn begin_input(&mut self, _input: &InputContext<'_>) -> std::io::Result<()> {
        Ok(())
    }

    /// A record that passed the filter, from line `line_number` (1-based) of `input`.
    fn record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()>;
    /// A record that did not pass the filter.
    fn filtered_out(&mut self);
    /// A non-blank line that is not a connection-log record.
    fn malformed(&mut self, input: &InputContext<'_>, line_number: u64, line: &[u8], error: ParseError);
    fn blank(&mut self);
    /// `lines` lines of `input` from `first_line` on, longer than the reader's limit
    /// ([`albmtls_source::MAX_LINE`]) and skipped unread.
    fn overlong(&mut self, input: &InputContext<'_>, first_line: u64, lines: u64);
    /// The input is finished (`error` set when it ended early) after `lines` lines.
    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()>;
    fn records(&self) -> u64;
    /// Folds another sink's results into this one.
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// Reads every input named in `options` into record sinks made by `new_sink`.
pub fn scan<S: Sink>(
    options: &ScanOptions,
    progress: &dyn Progress,
    new_sink: impl Fn() -> S + Sync,
) -> Result<ScanOutcome<S>, StartError> {
    let simd = SimdLevel::detect();
    tracing::info!(simd = simd.name(), "line loop");
    let keep_all = options.filter.keeps_everything();
    let filter = &options.filter;
    let outcome = scan_blocks(options, progress, || Lines { sink: new_sink(), simd, filter, keep_all, line_number: 0 })?;
    let ScanOutcome { sink, skipped_files, listing_errors, output_error } = outcome;
    Ok(ScanOutcome { sink: sink.sink, skipped_files, listing_errors, output_error })
}

/// Reads what `options` names now, then every new input as it appears (see
/// [`follow_blocks`]), handing each poll's records, in sinks made by `new_sink`, to
/// `on_poll`; `on_poll` returns `false` to stop.
pub fn follow<S: Sink>(
    options: &ScanOptions,
    follow: &FollowOptions,
    progress: &dyn Progress,
    new_sink: impl Fn() -> S + Sync,
    mut on_poll: impl FnMut(Poll<S>) -> bool,
) -> Result<FollowEnd, StartError> {
    let simd = SimdLevel::detect();
    let keep_all = options.filter.keeps_everything();
    let filter = &options.filter;
    follow_blocks(
        options,
        follow,
        progress,
        || Lines { sink: new_sink(), simd, filter, keep_all, line_number: 0 },
        |poll| {
            let Poll { number, inputs, outcome } = poll;
            let ScanOutcome { sink, skipped_files, listing_errors, output_error } = outcome;
            on_poll(Poll { number, inputs, outcome: ScanOutcome { sink: sink.sink, skipped_files, listing_errors, output_error } })
        },
    )
}

/// A record sink fed block by block, counting lines per input.
struct Lines<'a, S> {
    sink: S,
    simd: SimdLevel,
    filter: &'a Filter,
    keep_all: bool,
    /// The last line number handed out in the input being read.
    line_number: u64,
}

impl<S: Sink> BlockSink for Lines<'_, S> {
    const OUTPUT_FOLLOWS_LISTING: bool = S::OUTPUT_FOLLOWS_LISTING;

    fn begin_input(&mut self, input: &InputContext<'_>) -> std::io::Result<()> {
        self.line_number = 0;
        self.sink.begin_input(input)
    }

    fn block(&mut self, input: &InputContext<'_>, bytes: &[u8], overlong_before: u64) -> std::io::Result<()> {
        if overlong_before > 0 {
            self.sink.overlong(input, self.line_number + 1, overlong_before);
            self.line_number += overlong_before;
        }
        self.line_number = if self.keep_all {
            self.simd.dispatch(LineLoop::<S, true> {
                bytes,
                line_number: self.line_number,
                input,
                filter: self.filter,
                sink: &mut self.sink,
            })?
        } else {
            self.simd.dispatch(LineLoop::<S, false> {
                bytes,
                line_number: self.line_number,
                input,
                filter: self.filter,
                sink: &mut self.sink,
            })?
        };
        Ok(())
    }

    fn end_input(&mut self, input: &InputContext<'_>, error: Option<String>) -> std::io::Result<()> {
        self.sink.end_input(input, self.line_number, error)
    }

    fn records(&self) -> u64 {
        self.sink.records()
    }

    fn merge(&mut self, other: Self) {
        self.sink.merge(other.sink);
    }
}

/// Hands every line of `bytes` (whole lines) to `sink` as the engine does, with the line
/// loop compiled for `simd`; returns the last line's number. Lines are numbered on from
/// `line_number`. For benchmarks and tests that drive the line loop without files.
pub fn read_block<S: Sink>(
    simd: SimdLevel,
    bytes: &[u8],
    line_number: u64,
    input: &InputContext<'_>,
    filter: &Filter,
    sink: &mut S,
) -> std::io::Result<u64> {
    if filter.keeps_everything() {
        simd.dispatch(LineLoop::<S, true> { bytes, line_number, input, filter, sink })
    } else {
        simd.dispatch(LineLoop::<S, false> { bytes, line_number, input, filter, sink })
    }
}

/// The line loop as a [`SimdKernel`], so that it is compiled for the SIMD kind it runs
/// with. `KEEP_ALL` gives the unfiltered run a loop where the record never leaves the
/// inlined parse and aggregate, so the compiler keeps its fields in registers.
struct LineLoop<'a, S, const KEEP_ALL: bool> {
    bytes: &'a [u8],
    line_number: u64,
    input: &'a InputContext<'a>,
    filter: &'a Filter,
    sink: &'a mut S,
}

impl<S: Sink, const KEEP_ALL: bool> SimdKernel for LineLoop<'_, S, KEEP_ALL> {
    type Output = std::io::Result<u64>;

    #[inline(always)]
    fn run<M: Simd>(self, simd: M) -> std::io::Result<u64> {
        let LineLoop { bytes, mut line_number, input, filter, sink } = self;
        for line in lines(simd, bytes) {
            line_number += 1;
            // Records start with a digit; only lines that do not are worth a blank check.
            if line.first().is_none_or(u8::is_ascii_whitespace) && is_blank(line) {
                sink.blank();
                continue;
            }
            // Matched by reference: binding the record by value copies a few hundred bytes.
            match &Record::parse_with(simd, line) {
                Ok(record) if KEEP_ALL || filter.matches_in(record, input.load_balancer) => sink.record(input, line_number, record)?,
                Ok(_) => sink.filtered_out(),
                Err(error) => sink.malformed(input, line_number, line, *error),
            }
        }
        Ok(line_number)
    }
}
