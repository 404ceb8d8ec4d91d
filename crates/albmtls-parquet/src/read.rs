//! Reading a Parquet file row group by row group into records.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

use albmtls_parse::vended::{escape_subject_into, field_for_name, needs_subject_escape, push_classic_value};
use albmtls_parse::{Field, FieldSet, ParseError, Problem, Record};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, BinaryViewArray, FixedSizeBinaryArray, StringViewArray};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field as ArrowField, Schema, TimeUnit};
use bytes::Bytes;
use chrono::{Datelike, Timelike};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};

use crate::pages;

/// The most rows a row group may hold per byte of its columns. Real connection logs take
/// several bytes a row (times, addresses and trace IDs vary from row to row); a hostile
/// file's run-length-encoded columns can claim billions in a few bytes.
pub const MAX_ROWS_PER_BYTE: u64 = 64;

/// Where a Parquet file's bytes are: a file, read by ranges as the format is meant to be
/// (a local file, or the temporary file an S3 object or a compressed file was stored
/// in), or bytes already in memory.
pub enum ParquetSource {
    File(File),
    Bytes(Bytes),
}

/// Why reading a Parquet file stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The caller's handler failed (output could not be written).
    #[error(transparent)]
    Output(io::Error),
    /// The file, or one of its row groups, cannot be decoded. Rows before it were read.
    #[error("{0}")]
    Unreadable(String),
}

/// Which rows are also written as a classic-shaped line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLines {
    /// Every row (grep prints them).
    Every,
    /// Only rows that are not records, for their samples; a record's line is empty.
    BadRowsOnly,
}

/// Reads every row of `source` into a record and hands it to `on_row` with its 1-based
/// row number and the record as a classic-shaped line (for grep and for samples of bad
/// rows; empty for records when `lines` says so). Only the columns of `wanted` are
/// decoded; a delivered column that is not wanted reads as `-` (`0.0.0.0` and `0` for
/// the address and ports), and the record still says the field was delivered. Returns
/// the number of rows read.
pub fn read_records(
    source: ParquetSource,
    wanted: FieldSet,
    lines: RowLines,
    mut on_row: impl FnMut(u64, &[u8], Result<&Record<'_>, ParseError>) -> io::Result<()>,
) -> Result<u64, ReadError> {
    let mut at = Position::default();
    // The parquet crate panics on some malformed files (a dictionary-encoded page without
    // its dictionary page, found by fuzzing) instead of returning an error. A file is
    // anyone's bytes: such a panic ends this file as unreadable, never the run.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match source {
        ParquetSource::File(file) => {
            let pages = file.reopen()?;
            read_from(file, &pages, wanted, lines, &mut on_row, &mut at)
        }
        ParquetSource::Bytes(bytes) => read_from(bytes.clone(), &bytes, wanted, lines, &mut on_row, &mut at),
    }));
    match read {
        Ok(read) => read?,
        Err(panic) => {
            let what = match at.row_group {
                Some(group) => format!("row group {group}"),
                None => "the file".to_owned(),
            };
            return Err(ReadError::Unreadable(format!(
                "{what} cannot be decoded (the Parquet reader failed: {}); the {} rows before it were read",
                panic_text(&panic),
                at.rows
            )));
        }
    }
    Ok(at.rows)
}

/// How far a read got: rows handed out, and the row group being read.
#[derive(Default)]
struct Position {
    rows: u64,
    row_group: Option<usize>,
}

/// The names of the top-level columns of `source`, from its footer alone: what tells a
/// connection-log delivery from an access or health-check log delivered the same way.
pub fn column_names(source: &ParquetSource) -> Result<Vec<String>, ReadError> {
    let names = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match source {
        ParquetSource::File(file) => {
            names_from(file.try_clone().map_err(|e| ReadError::Unreadable(format!("cannot read the file again ({e})")))?)
        }
        ParquetSource::Bytes(bytes) => names_from(bytes.clone()),
    }));
    names.unwrap_or_else(|panic| {
        Err(ReadError::Unreadable(format!("the file cannot be decoded (the Parquet reader failed: {})", panic_text(&panic))))
    })
}

fn names_from<R: ChunkReader + 'static>(reader: R) -> Result<Vec<String>, ReadError> {
    let file = open(reader)?;
    let schema = file.metadata().file_metadata().schema_descr_ptr();
    Ok(schema.root_schema().get_fields().iter().map(|field| field.name().to_owned()).collect())
}

/// Reads the footer of the file `reader` holds, once [`pages::check_footer`] passed it.
fn open<R: ChunkReader + 'static>(reader: R) -> Result<SerializedFileReader<R>, ReadError> {
    pages::check_footer(&reader).map_err(|why| ReadError::Unreadable(format!("not a readable Parquet file: {why}")))?;
    SerializedFileReader::new(reader).map_err(not_readable)
}

/// Reads the footer of the file `reader` holds for arrow-rs' reader, once
/// [`pages::check_footer`] passed it. Text and byte columns are read as views into the
/// decompressed pages.
fn open_for_arrow<R: ChunkReader + 'static>(reader: &R) -> Result<ArrowReaderMetadata, ReadError> {
    pages::check_footer(reader).map_err(|why| ReadError::Unreadable(format!("not a readable Parquet file: {why}")))?;
    // An Arrow schema a writer embeds is more bytes to decode (IPC flatbuffers) and tells
    // albmtls nothing the Parquet schema does not.
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let metadata = ArrowReaderMetadata::load(reader, options.clone()).map_err(not_readable)?;
    let fields: Vec<ArrowField> = metadata
        .schema()
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 => field.as_ref().clone().with_data_type(DataType::Utf8View),
            DataType::Binary => field.as_ref().clone().with_data_type(DataType::BinaryView),
            _ => field.as_ref().clone(),
        })
        .collect();
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options.with_schema(Arc::new(Schema::new(fields)))).map_err(not_readable)
}

fn not_readable(e: parquet::errors::ParquetError) -> ReadError {
    ReadError::Unreadable(format!("not a readable Parquet file ({e}); it may be truncated: re-download it"))
}

/// What a caught panic said.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// Whether a panic was raised inside the parquet crate (or the `arrow-*` crates of its
/// readers, or the `bytes` crate it slices pages with), which [`read_records`]
/// catches and reports as an unreadable file.
///
/// The panic hook runs before the unwinding reaches that catch, so a program that
/// reads Parquet installs a hook that stays quiet for these panics (the file's error
/// says what happened) and handles every other panic as the bug it is.
pub fn panic_raised_by_parquet_crate(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|at| {
        let file = at.file().replace('\\', "/");
        // `.../parquet-60.1.0/src/...` from a registry, `.../parquet/src/...` when vendored;
        // never this crate (`albmtls-parquet/src/...`). The parquet crate slices pages with
        // `bytes`, whose out-of-range panics are raised there (a fuzz find); albmtls slices
        // no `Bytes` itself.
        let parquet = (file.contains("/parquet-") || file.contains("/parquet/src/")) && !file.contains("albmtls-parquet");
        // Its Arrow readers are the `arrow-*` crates.
        parquet || file.contains("/arrow-") || file.contains("/bytes-") || file.contains("/bytes/src/")
    })
}

/// The rows of one record batch handed out at a time: arrow-rs' default. Batches of
/// 8,192 rows were measured no faster.
const BATCH_ROWS: usize = 1024;

/// A handle on the same bytes again: each row group is read by a reader of its own.
trait Reopen: Sized {
    fn reopen(&self) -> Result<Self, ReadError>;
}

impl Reopen for File {
    fn reopen(&self) -> Result<File, ReadError> {
        self.try_clone().map_err(|e| ReadError::Unreadable(format!("cannot read the file again ({e})")))
    }
}

impl Reopen for Bytes {
    fn reopen(&self) -> Result<Bytes, ReadError> {
        Ok(self.clone())
    }
}

/// A column read for a field, as arrow-rs decoded one record batch of it.
struct Cells<'b> {
    field: Field,
    nulls: Option<&'b NullBuffer>,
    values: Values<'b>,
}

/// Appends the text of a column's value at a row to a buffer.
type WriteValue<'b> = Box<dyn Fn(usize, &mut Vec<u8>) -> Result<(), Problem> + 'b>;

/// A time in some unit to microseconds, `None` when out of range.
type ToMicros = fn(i64) -> Option<i64>;

/// How a column's values become a field's text.
enum Values<'b> {
    /// Text or bytes, as they are (views into the decompressed pages).
    Text(&'b StringViewArray),
    Binary(&'b BinaryViewArray),
    Fixed(&'b FixedSizeBinaryArray),
    /// Times in some unit, written as text into the row's scratch bytes.
    Times(&'b [i64], ToMicros, RefCell<TimeWriter>),
    /// 32-bit integers (ports, as writers store them), written as text.
    Int32(&'b [i32]),
    /// Other numbers, written as text.
    Written(WriteValue<'b>),
    /// A type no field is written in (booleans, dates, decimals, nested values): every
    /// row of the column is malformed in this field.
    WrongType,
}

impl<'b> Cells<'b> {
    fn new(field: Field, array: &'b ArrayRef) -> Cells<'b> {
        let values = match array.data_type() {
            DataType::Utf8View => Values::Text(array.as_string_view()),
            DataType::BinaryView => Values::Binary(array.as_binary_view()),
            DataType::FixedSizeBinary(_) => Values::Fixed(array.as_fixed_size_binary()),
            DataType::Int8 => integers::<Int8Type>(array),
            DataType::Int16 => integers::<Int16Type>(array),
            DataType::Int32 => Values::Int32(array.as_primitive::<Int32Type>().values()),
            DataType::Int64 => integers::<Int64Type>(array),
            DataType::UInt8 => integers::<UInt8Type>(array),
            DataType::UInt16 => integers::<UInt16Type>(array),
            DataType::UInt32 => integers::<UInt32Type>(array),
            DataType::UInt64 => integers::<UInt64Type>(array),
            DataType::Float32 => floats::<Float32Type>(array),
            DataType::Float64 => floats::<Float64Type>(array),
            DataType::Timestamp(unit, _) => {
                let (values, to_micros): (&[i64], ToMicros) = match unit {
                    TimeUnit::Second => (array.as_primitive::<TimestampSecondType>().values(), |v| v.checked_mul(1_000_000)),
                    TimeUnit::Millisecond => (array.as_primitive::<TimestampMillisecondType>().values(), |v| v.checked_mul(1_000)),
                    TimeUnit::Microsecond => (array.as_primitive::<TimestampMicrosecondType>().values(), Some),
                    TimeUnit::Nanosecond => (array.as_primitive::<TimestampNanosecondType>().values(), |v| Some(v.div_euclid(1_000))),
                };
                Values::Times(values, to_micros, RefCell::new(TimeWriter::default()))
            }
            _ => Values::WrongType,
        };
        Cells { field, nulls: array.nulls(), values }
    }
}

impl Values<'_> {
    /// Appends the text of a number or time at `row`; the other kinds of values are read
    /// as they are, and have no text to write.
    fn write_text(&self, row: usize, out: &mut Vec<u8>) -> Result<(), Problem> {
        match self {
            Values::Int32(values) => out.extend_from_slice(itoa::Buffer::new().format(values[row]).as_bytes()),
            Values::Times(values, to_micros, writer) => writer.borrow_mut().write(to_micros(values[row]), out)?,
            Values::Written(write) => write(row, out)?,
            Values::Text(_) | Values::Binary(_) | Values::Fixed(_) | Values::WrongType => return Err(Problem::WrongType),
        }
        Ok(())
    }
}

fn integers<T: ArrowPrimitiveType>(array: &ArrayRef) -> Values<'_>
where
    T::Native: itoa::Integer,
{
    let values = array.as_primitive::<T>().values();
    Values::Written(Box::new(move |row, out| {
        out.extend_from_slice(itoa::Buffer::new().format(values[row]).as_bytes());
        Ok(())
    }))
}

/// Display's shortest form, written without a String per value.
fn floats<T: ArrowPrimitiveType>(array: &ArrayRef) -> Values<'_>
where
    T::Native: std::fmt::Display,
{
    let values = array.as_primitive::<T>().values();
    Values::Written(Box::new(move |row, out| write!(out, "{}", values[row]).map_err(|_| Problem::Unreadable)))
}

/// Where a field's value for the row being built lies.
#[derive(Clone, Copy)]
enum Cell<'b> {
    In(&'b [u8]),
    /// In the row's scratch bytes.
    Written(usize, usize),
}

/// Reads the file `reader` holds; `pages` is a second handle on it, from which page
/// headers are checked before the parquet crate reads them ([`pages::check_chunk`]).
fn read_from<R: ChunkReader + Reopen + 'static>(
    reader: R,
    pages: &impl ChunkReader,
    wanted: FieldSet,
    lines: RowLines,
    on_row: &mut impl FnMut(u64, &[u8], Result<&Record<'_>, ParseError>) -> io::Result<()>,
    at: &mut Position,
) -> Result<(), ReadError> {
    let metadata = open_for_arrow(&reader)?;
    let parquet_schema = metadata.parquet_schema();
    let mut delivered = FieldSet::EMPTY;
    let mut ignored = 0u16;
    // (leaf index, field, whether its values are handed out)
    let mut projected: Vec<(usize, Field, bool)> = Vec::new();
    let mut first_delivered = None;
    for (index, column) in parquet_schema.columns().iter().enumerate() {
        let top_level = column.path().parts().len() == 1 && column.max_rep_level() == 0;
        match field_for_name(column.name().as_bytes()).filter(|_| top_level) {
            Some(field) if !delivered.contains(field) => {
                delivered = delivered.with(field);
                if wanted.contains(field) {
                    projected.push((index, field, true));
                }
                first_delivered.get_or_insert((index, field, false));
            }
            _ => ignored = ignored.saturating_add(1),
        }
    }
    // Rows are only as many as the columns read hold: with no wanted column delivered,
    // one delivered column is decoded for its count alone, never written.
    if projected.is_empty()
        && let Some(column) = first_delivered
    {
        projected.push(column);
    }
    // arrow-rs hands out a batch's columns in the file's order.
    projected.sort_by_key(|&(index, ..)| index);
    let mask = ProjectionMask::leaves(parquet_schema, projected.iter().map(|&(index, ..)| index));
    // The classic line's field order, whatever order the file's columns are in.
    let mut line_order: Vec<usize> = (0..projected.len()).filter(|&i| projected[i].2).collect();
    line_order.sort_by_key(|&i| projected[i].1);
    let mut not_decoded_values: [Option<&[u8]>; 15] = [None; 15];
    for field in delivered.iter() {
        not_decoded_values[field as usize] = Some(not_decoded(field));
    }
    let mut line = Vec::with_capacity(512);
    let mut scratch = Vec::with_capacity(256);
    for group_index in 0..metadata.metadata().num_row_groups() {
        at.row_group = Some(group_index);
        let unreadable =
            |why: String| ReadError::Unreadable(format!("row group {group_index} cannot be decoded ({why}); the rows before it were read"));
        let group = metadata.metadata().row_group(group_index);
        let group_rows = u64::try_from(group.num_rows()).unwrap_or(0);
        // Run-length encoding lets a few bytes hold billions of values, which albmtls would
        // decode in memory and hand out one by one: a row group's rows are bounded by its
        // size, as a gzip member's lines are by its compression ratio.
        let group_bytes = group
            .columns()
            .iter()
            .map(|c| u64::try_from(c.compressed_size()).unwrap_or(0))
            .fold(0u64, u64::saturating_add)
            .min(pages.len());
        if group_rows > MAX_ROWS_PER_BYTE.saturating_mul(group_bytes) {
            return Err(unreadable(format!(
                "it claims {group_rows} rows in {group_bytes} bytes of columns, over the limit of {MAX_ROWS_PER_BYTE} rows per byte"
            )));
        }
        if projected.is_empty() && group_rows > 0 {
            return Err(unreadable(format!("it claims {group_rows} rows, but the file has no column of a connection log to hold them")));
        }
        for &(index, field, _) in &projected {
            // The parquet crate asserts (panics) on a chunk whose byte range is negative;
            // a hostile footer can say so, and that is an unreadable row group here.
            let meta = group.column(index);
            let start = meta.dictionary_page_offset().unwrap_or_else(|| meta.data_page_offset());
            if start < 0 || meta.compressed_size() < 0 || start.checked_add(meta.compressed_size()).is_none() {
                return Err(unreadable(format!(
                    "column {} claims the impossible byte range {start}+{}",
                    field.name(),
                    meta.compressed_size()
                )));
            }
            if let Err(why) = pages::check_chunk(pages, start as u64, meta.compressed_size() as u64, meta.compression()) {
                return Err(unreadable(format!("column {}: {why}", field.name())));
            }
        }
        if projected.is_empty() {
            continue;
        }
        let batches = ParquetRecordBatchReaderBuilder::new_with_metadata(reader.reopen()?, metadata.clone())
            .with_projection(mask.clone())
            .with_row_groups(vec![group_index])
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| unreadable(e.to_string()))?;
        let mut group_read = 0u64;
        for batch in batches {
            let batch = batch.map_err(|e| unreadable(e.to_string()))?;
            group_read += batch.num_rows() as u64;
            // Every row is backed by a value (or a null) of every column read: a footer that
            // claims fewer rows than its columns hold is not a row group albmtls can trust.
            if group_read > group_rows {
                return Err(unreadable(format!("its columns hold more than the {group_rows} rows it claims")));
            }
            let columns: Vec<Cells<'_>> = line_order.iter().map(|&i| Cells::new(projected[i].1, batch.column(i))).collect();
            for row in 0..batch.num_rows() {
                at.rows += 1;
                hand_out_row(&columns, row, at.rows, &not_decoded_values, ignored, lines, &mut line, &mut scratch, on_row)?;
            }
        }
        if group_read != group_rows {
            return Err(ReadError::Unreadable(format!(
                "row group {group_index} is not whole: its columns hold {group_read} rows for the {group_rows} it claims; those \
                 {group_read} rows and the row groups before it were read"
            )));
        }
    }
    Ok(())
}

/// Builds row `row` of a batch into a record and hands it to `on_row` as row `number` of
/// the file.
#[allow(clippy::too_many_arguments)]
#[inline]
fn hand_out_row(
    columns: &[Cells<'_>],
    row: usize,
    number: u64,
    not_decoded_values: &[Option<&'static [u8]>; 15],
    ignored: u16,
    lines: RowLines,
    line: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    on_row: &mut impl FnMut(u64, &[u8], Result<&Record<'_>, ParseError>) -> io::Result<()>,
) -> Result<(), ReadError> {
    scratch.clear();
    let mut problem = None;
    let mut cells = [Cell::In(b"-"); 15];
    for column in columns {
        let field = column.field;
        let bytes = if column.nulls.is_some_and(|nulls| nulls.is_null(row)) {
            Some(&b"-"[..])
        } else {
            match &column.values {
                Values::Text(array) => Some(array.value(row).as_bytes()),
                Values::Binary(array) => Some(array.value(row)),
                Values::Fixed(array) => Some(array.value(row)),
                numbers @ (Values::Int32(_) | Values::Times(..) | Values::Written(_)) => {
                    let start = scratch.len();
                    if let Err(p) = numbers.write_text(row, scratch) {
                        problem.get_or_insert(ParseError { field, problem: p });
                        scratch.truncate(start);
                        scratch.push(b'-');
                    }
                    cells[field as usize] = Cell::Written(start, scratch.len());
                    None
                }
                Values::WrongType => {
                    problem.get_or_insert(ParseError { field, problem: Problem::WrongType });
                    Some(&b"-"[..])
                }
            }
        };
        if let Some(bytes) = bytes {
            cells[field as usize] = match bytes {
                // An empty value is an absent one, as `-` is.
                [] => Cell::In(b"-"),
                // The record keeps a subject in the classic escaped form.
                subject if field == Field::LeafClientCertSubject && needs_subject_escape(subject) => {
                    let start = scratch.len();
                    escape_subject_into(subject, scratch);
                    Cell::Written(start, scratch.len())
                }
                bytes => Cell::In(bytes),
            };
        }
    }
    let mut values = *not_decoded_values;
    for column in columns {
        values[column.field as usize] = Some(match cells[column.field as usize] {
            Cell::In(bytes) => bytes,
            Cell::Written(start, end) => &scratch[start..end],
        });
    }
    let line_of = |line: &mut Vec<u8>| {
        line.clear();
        for column in columns {
            push_classic_value(line, column.field, values[column.field as usize].unwrap_or(b"-"));
        }
    };
    let with_line = lines == RowLines::Every || problem.is_some();
    if with_line {
        line_of(line);
    } else {
        line.clear();
    }
    let parsed = match problem {
        Some(error) => Err(error),
        None => Record::from_values(line, &values, ignored),
    };
    let handed = match parsed {
        Ok(record) => on_row(number, record.line, Ok(&record)),
        Err(error) => {
            if !with_line {
                line_of(line);
            }
            on_row(number, line, Err(error))
        }
    };
    handed.map_err(ReadError::Output)
}

/// What a delivered column the caller did not want reads as: absent, as `-`, but an
/// address or port as a value (`-` there would mean "not delivered").
fn not_decoded(field: Field) -> &'static [u8] {
    match field {
        Field::ClientIp => b"0.0.0.0",
        Field::ClientPort | Field::ListenerPort => b"0",
        _ => b"-",
    }
}

/// Writes times as ALB writes them: `2024-04-05T18:31:29.268987Z`. Digits are written in
/// place (a chrono format string is parsed again for every row), and the rows of a file
/// come in time order, many within one second: the text up to the second is kept from the
/// time before.
struct TimeWriter {
    /// The second `text` was written for (`i64::MIN`: none yet).
    second: i64,
    text: [u8; 27],
}

impl Default for TimeWriter {
    fn default() -> TimeWriter {
        TimeWriter { second: i64::MIN, text: *b"0000-00-00T00:00:00.000000Z" }
    }
}

impl TimeWriter {
    fn write(&mut self, micros: Option<i64>, out: &mut Vec<u8>) -> Result<(), Problem> {
        let micros = micros.ok_or(Problem::NotATimestamp)?;
        let (second, fraction) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
        if second != self.second {
            let time = chrono::DateTime::from_timestamp(second, 0).ok_or(Problem::NotATimestamp)?;
            let (date, clock) = (time.date_naive(), time.time());
            // The classic form has four digits of year; the record reader refuses any other.
            let year = u32::try_from(date.year()).ok().filter(|&year| year <= 9999).ok_or(Problem::NotATimestamp)?;
            let fields = [
                (0..4, year),
                (5..7, date.month()),
                (8..10, date.day()),
                (11..13, clock.hour()),
                (14..16, clock.minute()),
                (17..19, clock.second()),
            ];
            for (place, value) in fields {
                write_digits(&mut self.text[place], value);
            }
            self.second = second;
        }
        write_digits(&mut self.text[20..26], fraction as u32);
        out.extend_from_slice(&self.text);
        Ok(())
    }
}

/// `value`'s last decimal digits, as many as `digits` holds.
fn write_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column type a number may come in is written in its `Display` form.
    #[test]
    fn numbers_of_every_column_type_are_written_in_their_display_form() {
        use arrow_array::{Float32Array, Float64Array, Int8Array, Int32Array, Int64Array, UInt64Array};
        fn written(array: ArrayRef) -> Vec<String> {
            let cells = Cells::new(Field::TlsHandshakeLatency, &array);
            (0..array.len())
                .map(|row| {
                    let mut out = Vec::new();
                    cells.values.write_text(row, &mut out).unwrap();
                    String::from_utf8(out).unwrap()
                })
                .collect()
        }
        let bytes = [0i8, -128, 127];
        assert_eq!(written(Arc::new(Int8Array::from(bytes.to_vec()))), bytes.map(|v| v.to_string()));
        let ints = [0, 1, -1, 443, i32::MIN, i32::MAX];
        assert_eq!(written(Arc::new(Int32Array::from(ints.to_vec()))), ints.map(|v| v.to_string()));
        let longs = [0, -7, 1_712_341_889, i64::MIN, i64::MAX];
        assert_eq!(written(Arc::new(Int64Array::from(longs.to_vec()))), longs.map(|v| v.to_string()));
        let unsigned = [0, u64::MAX];
        assert_eq!(written(Arc::new(UInt64Array::from(unsigned.to_vec()))), unsigned.map(|v| v.to_string()));
        let doubles = [0.0, 0.337, 4.036, -1.5, 1e21, f64::NAN, f64::INFINITY];
        assert_eq!(written(Arc::new(Float64Array::from(doubles.to_vec()))), doubles.map(|v| v.to_string()));
        let floats = [0.0f32, 0.337, 12.5, f32::MIN_POSITIVE];
        assert_eq!(written(Arc::new(Float32Array::from(floats.to_vec()))), floats.map(|v| v.to_string()));
    }

    /// Timestamps of every unit are written in the classic form, to the microsecond.
    #[test]
    fn timestamps_of_every_unit_are_written_as_alb_writes_times() {
        use arrow_array::{TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray};
        let write = |array: ArrayRef| {
            let cells = Cells::new(Field::Timestamp, &array);
            let mut out = Vec::new();
            cells.values.write_text(0, &mut out).map(|()| String::from_utf8(out).unwrap())
        };
        assert_eq!(write(Arc::new(TimestampSecondArray::from(vec![1_712_341_889]))).unwrap(), "2024-04-05T18:31:29.000000Z");
        assert_eq!(write(Arc::new(TimestampMillisecondArray::from(vec![1_712_341_889_268]))).unwrap(), "2024-04-05T18:31:29.268000Z");
        assert_eq!(
            write(Arc::new(TimestampNanosecondArray::from(vec![1_712_341_889_268_987_999]))).unwrap(),
            "2024-04-05T18:31:29.268987Z"
        );
        assert_eq!(write(Arc::new(TimestampNanosecondArray::from(vec![-1]))).unwrap(), "1969-12-31T23:59:59.999999Z");
        assert_eq!(write(Arc::new(TimestampSecondArray::from(vec![i64::MAX]))), Err(Problem::NotATimestamp));
    }

    #[test]
    fn times_are_written_as_chrono_formats_them_and_years_past_9999_are_refused() {
        let last = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
        let samples = [0, 1, -1, 999_999, 1_712_341_889_268_987, 951_782_400_000_000, -62_167_219_200_000_000, last];
        let more = (0..2000i64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64).rem_euclid(last + 62_167_219_200_000_000) - 62_167_219_200_000_000);
        // One writer for all, as for a column: times within a second of the one before
        // (the neighbours of each sample) reuse its text.
        let mut writer = TimeWriter::default();
        let neighbours = |micros: i64| [micros, micros.saturating_add(1), micros.saturating_sub(1)];
        for micros in samples.into_iter().chain(more).flat_map(neighbours).filter(|m| (-62_167_219_200_000_000..=last).contains(m)) {
            let mut out = Vec::new();
            writer.write(Some(micros), &mut out).unwrap();
            let time = chrono::DateTime::from_timestamp_micros(micros).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), "{micros}");
        }
        for refused in [Some(last + 1), Some(-62_167_219_200_000_001), Some(i64::MAX), None] {
            assert_eq!(writer.write(refused, &mut Vec::new()), Err(Problem::NotATimestamp), "{refused:?}");
        }
    }
}
