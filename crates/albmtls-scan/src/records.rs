//! From blocks of lines to records: the line loop every command runs, compiled for the
//! CPU's SIMD kind, and the record-level [`Sink`] commands implement.

use albmtls_parquet::{ParquetSource, ReadError, RowLines, read_records};
use albmtls_parse::vended::{FieldList, Format, Scratch, parse_delimited, parse_json};
use albmtls_parse::{FieldSet, Filter, ParseError, Problem, Record, Simd, SimdKernel, SimdLevel, is_blank, lines};

use crate::engine::{BlockSink, InputContext, Progress, ScanOutcome, StartError, scan_blocks};
use crate::follow::{FollowEnd, FollowOptions, Poll, follow_blocks};
use crate::options::{ScanOptions, VendedOptions};

/// What a command does with the records of its inputs. Each worker has its own; they are
/// merged when every input is read.
pub trait Sink: Send {
    /// See [`BlockSink::OUTPUT_FOLLOWS_LISTING`].
    const OUTPUT_FOLLOWS_LISTING: bool;

    /// An input is about to be read (a worker reads one input at a time).
    fn begin_input(&mut self, _input: &InputContext<'_>) -> std::io::Result<()> {
        Ok(())
    }

    /// The fields the sink reads from records. Columnar inputs (Parquet) decode only
    /// these and the filter's; a delivered field left out reads as `-`.
    fn fields_needed(&self) -> FieldSet {
        FieldSet::ALL
    }

    /// Whether the sink reads [`Record::line`]. Inputs whose records are not written as
    /// lines (Parquet) build one only for a sink that reads it, and for malformed rows.
    fn reads_lines(&self) -> bool {
        true
    }

    /// A record that passed the filter, from line `line_number` (1-based) of `input`
    /// (the row number for Parquet).
    fn record(&mut self, input: &InputContext<'_>, line_number: u64, record: &Record<'_>) -> std::io::Result<()>;
    /// A record that did not pass the filter.
    fn filtered_out(&mut self, record: &Record<'_>);
    /// A non-blank line that is not a connection-log record.
    fn malformed(&mut self, input: &InputContext<'_>, line_number: u64, line: &[u8], error: ParseError);
    fn blank(&mut self);
    /// `lines` lines of `input` from `first_line` on, longer than the reader's limit
    /// ([`albmtls_source::MAX_LINE`]) and skipped unread.
    fn overlong(&mut self, input: &InputContext<'_>, first_line: u64, lines: u64);
    /// The input is finished (`error` set when it ended early) after `lines` lines.
    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()>;
    /// See [`BlockSink::not_read`].
    fn not_read(&mut self, _input: &InputContext<'_>) -> std::io::Result<()> {
        Ok(())
    }
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
    let outcome = scan_blocks(options, progress, || Lines::new(new_sink(), simd, options))?;
    Ok(outcome.map_sink(|lines| lines.sink))
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
    follow_blocks(
        options,
        follow,
        progress,
        || Lines::new(new_sink(), simd, options),
        |poll| {
            let Poll { number, inputs, read_again, outcome } = poll;
            on_poll(Poll { number, inputs, read_again, outcome: outcome.map_sink(|lines| lines.sink) })
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
    vended: &'a VendedOptions,
    /// The input's format, judged from its first non-blank bytes.
    format: Option<Format>,
    /// The field list of the input's latest `#Fields:` header.
    header_fields: Option<FieldList>,
    scratch: Scratch,
}

impl<'a, S: Sink> Lines<'a, S> {
    fn new(sink: S, simd: SimdLevel, options: &'a ScanOptions) -> Lines<'a, S> {
        Lines {
            sink,
            simd,
            filter: &options.filter,
            keep_all: options.filter.keeps_everything(),
            line_number: 0,
            vended: &options.vended,
            format: None,
            header_fields: None,
            scratch: Scratch::new(),
        }
    }

    /// Reads a block of a vended text delivery (JSON or a field list) line by line.
    fn vended_block(&mut self, input: &InputContext<'_>, bytes: &[u8], format: Format) -> std::io::Result<()> {
        let delimiter = self.vended.delimiter;
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            let line = &rest[..end];
            rest = &rest[end..];
            self.line_number += 1;
            if is_blank(line) {
                self.sink.blank();
                continue;
            }
            let parsed = match format {
                Format::Json => parse_json(line, &mut self.scratch),
                _ if line.first() == Some(&b'#') => {
                    // W3C headers (`#Version:`, `#Fields:`, `#Date:`) describe the rows
                    // and are neither records nor skipped data, so they are not counted:
                    // a report on a W3C delivery equals one on the same classic lines.
                    if let Some(fields) = FieldList::from_header(line, delimiter.unwrap_or(b'\t')) {
                        self.header_fields = Some(fields);
                    }
                    continue;
                }
                _ => match self.header_fields.as_ref().or(self.vended.fields.as_ref()) {
                    Some(fields) => parse_delimited(line, fields, delimiter, &mut self.scratch),
                    None => Err(ParseError { field: albmtls_parse::Field::Timestamp, problem: Problem::NoFieldList }),
                },
            };
            match &parsed {
                Ok(record) if self.keep_all || self.filter.matches_in(record, input.load_balancer) => {
                    self.sink.record(input, self.line_number, record)?
                }
                Ok(record) => self.sink.filtered_out(record),
                Err(error) => self.sink.malformed(input, self.line_number, line, *error),
            }
        }
        Ok(())
    }
}

impl<S: Sink> BlockSink for Lines<'_, S> {
    const OUTPUT_FOLLOWS_LISTING: bool = S::OUTPUT_FOLLOWS_LISTING;

    fn begin_input(&mut self, input: &InputContext<'_>) -> std::io::Result<()> {
        self.line_number = 0;
        self.format = None;
        self.header_fields = None;
        self.sink.begin_input(input)
    }

    fn block(&mut self, input: &InputContext<'_>, bytes: &[u8], overlong_before: u64) -> std::io::Result<()> {
        if overlong_before > 0 {
            self.sink.overlong(input, self.line_number + 1, overlong_before);
            self.line_number += overlong_before;
        }
        if self.format.is_none() && !is_blank(bytes) {
            let format = Format::sniff(bytes, self.vended.fields.is_some());
            tracing::debug!(input = input.name, format = format.name(), "format");
            self.format = Some(format);
        }
        if let Some(format @ (Format::Json | Format::FieldList)) = self.format {
            return self.vended_block(input, bytes, format);
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

    fn parquet(&mut self, input: &InputContext<'_>, source: ParquetSource) -> std::io::Result<Option<String>> {
        let wanted = self.sink.fields_needed().union(self.filter.fields());
        let lines = if self.sink.reads_lines() { RowLines::Every } else { RowLines::BadRowsOnly };
        let (sink, filter, keep_all) = (&mut self.sink, self.filter, self.keep_all);
        let read = read_records(source, wanted, lines, |row, line, record| match record {
            Ok(record) if keep_all || filter.matches_in(record, input.load_balancer) => sink.record(input, row, record),
            Ok(record) => {
                sink.filtered_out(record);
                Ok(())
            }
            Err(error) => {
                sink.malformed(input, row, line, error);
                Ok(())
            }
        });
        match read {
            Ok(rows) => {
                self.line_number = rows;
                Ok(None)
            }
            Err(ReadError::Output(err)) => Err(err),
            Err(ReadError::Unreadable(message)) => Ok(Some(message)),
        }
    }

    fn end_input(&mut self, input: &InputContext<'_>, error: Option<String>) -> std::io::Result<()> {
        self.sink.end_input(input, self.line_number, error)
    }

    fn not_read(&mut self, input: &InputContext<'_>) -> std::io::Result<()> {
        self.sink.not_read(input)
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
                Ok(record) => sink.filtered_out(record),
                Err(error) => sink.malformed(input, line_number, line, *error),
            }
        }
        Ok(line_number)
    }
}
