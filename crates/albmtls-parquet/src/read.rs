//! Reading a Parquet file row group by row group into records.

use std::fs::File;
use std::io::{self, Write};

use albmtls_parse::vended::{field_for_name, push_classic_value};
use albmtls_parse::{Field, FieldSet, ParseError, Problem, Record};
use bytes::Bytes;
use chrono::{Datelike, Timelike};
use parquet::basic::{LogicalType, TimeUnit};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType, FixedLenByteArray, Int96};
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

/// Reads every row of `source` into a record and hands it to `on_row` with its 1-based
/// row number and the record as a classic-shaped line (for grep and for samples of bad
/// rows). Only the columns of `wanted` are decoded; a delivered column that is not
/// wanted reads as `-` (`0.0.0.0` and `0` for the address and ports), and the record
/// still says the field was delivered. Returns the
/// number of rows read.
pub fn read_records(
    source: ParquetSource,
    wanted: FieldSet,
    mut on_row: impl FnMut(u64, &[u8], Result<&Record<'_>, ParseError>) -> io::Result<()>,
) -> Result<u64, ReadError> {
    let mut at = Position::default();
    // The parquet crate panics on some malformed files (a dictionary-encoded page without
    // its dictionary page, found by fuzzing) instead of returning an error. A file is
    // anyone's bytes: such a panic ends this file as unreadable, never the run.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match source {
        ParquetSource::File(file) => {
            let pages = file.try_clone().map_err(|e| ReadError::Unreadable(format!("cannot read the file again ({e})")))?;
            read_from(file, &pages, wanted, &mut on_row, &mut at)
        }
        ParquetSource::Bytes(bytes) => read_from(bytes.clone(), &bytes, wanted, &mut on_row, &mut at),
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

fn not_readable(e: parquet::errors::ParquetError) -> ReadError {
    ReadError::Unreadable(format!("not a readable Parquet file ({e}); it may be truncated: re-download it"))
}

/// What a caught panic said.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// Whether a panic was raised inside the parquet crate (or the `bytes` crate it slices
/// pages with), which [`read_records`]
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
        parquet || file.contains("/bytes-") || file.contains("/bytes/src/")
    })
}

/// How a column's values become a field's text.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Plain,
    /// An INT64 timestamp in this unit, written as ALB writes times.
    Timestamp(TimeUnit),
}

/// One decoded column chunk: its definition levels and its non-null values.
struct Chunk {
    field: Field,
    shape: Shape,
    max_def: i16,
    defs: Vec<i16>,
    values: Values,
    /// The next value to hand out.
    next: usize,
}

enum Values {
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I96(Vec<Int96>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Booleans hold no field's value; every row reads as of the wrong type. How many
    /// values were read.
    Bool(usize),
}

impl Values {
    /// Values read (nulls are not values).
    fn len(&self) -> usize {
        match self {
            Values::Bytes(v) => v.len(),
            Values::Fixed(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::I96(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Bool(n) => *n,
        }
    }
}

/// Reads the file `reader` holds; `pages` is a second handle on it, from which page
/// headers are checked before the parquet crate reads them ([`pages::check_chunk`]).
fn read_from<R: ChunkReader + 'static>(
    reader: R,
    pages: &impl ChunkReader,
    wanted: FieldSet,
    on_row: &mut impl FnMut(u64, &[u8], Result<&Record<'_>, ParseError>) -> io::Result<()>,
    at: &mut Position,
) -> Result<(), ReadError> {
    let file = open(reader)?;
    let schema = file.metadata().file_metadata().schema_descr_ptr();
    let mut delivered = FieldSet::EMPTY;
    let mut ignored = 0u16;
    let mut projected = Vec::new();
    let mut first_delivered = None;
    for (index, column) in schema.columns().iter().enumerate() {
        let top_level = column.path().parts().len() == 1 && column.max_rep_level() == 0;
        match field_for_name(column.name().as_bytes()).filter(|_| top_level) {
            Some(field) if !delivered.contains(field) => {
                delivered = delivered.with(field);
                let shape = match column.logical_type_ref() {
                    Some(LogicalType::Timestamp(t)) => Shape::Timestamp(t.unit),
                    _ => Shape::Plain,
                };
                let column = (index, field, shape, column.max_def_level(), true);
                if wanted.contains(field) {
                    projected.push(column);
                }
                first_delivered.get_or_insert(column);
            }
            _ => ignored = ignored.saturating_add(1),
        }
    }
    // The classic line's field order, whatever order the file's columns are in.
    projected.sort_by_key(|&(_, field, ..)| field);
    // Rows are only as many as the columns read hold (checked below): with no wanted column
    // delivered, one delivered column is decoded for its count alone, never written.
    if projected.is_empty()
        && let Some((index, field, shape, max_def, _)) = first_delivered
    {
        projected.push((index, field, shape, max_def, false));
    }
    let mut line = Vec::with_capacity(512);
    let mut text = Vec::with_capacity(256);
    let mut spans = Vec::with_capacity(Field::ALL.len());
    for group_index in 0..file.num_row_groups() {
        at.row_group = Some(group_index);
        let unreadable = |e: parquet::errors::ParquetError| {
            ReadError::Unreadable(format!("row group {group_index} cannot be decoded ({e}); the rows before it were read"))
        };
        let group = file.get_row_group(group_index).map_err(unreadable)?;
        let group_rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        // Run-length encoding lets a few bytes hold billions of values, which albmtls would
        // decode in memory and hand out one by one: a row group's rows are bounded by its
        // size, as a gzip member's lines are by its compression ratio.
        let group_bytes = (0..group.num_columns())
            .map(|i| u64::try_from(group.metadata().column(i).compressed_size()).unwrap_or(0))
            .fold(0u64, u64::saturating_add)
            .min(pages.len());
        if group_rows as u64 > MAX_ROWS_PER_BYTE.saturating_mul(group_bytes) {
            return Err(unreadable(parquet::errors::ParquetError::General(format!(
                "it claims {group_rows} rows in {group_bytes} bytes of columns, over the limit of {MAX_ROWS_PER_BYTE} rows per byte"
            ))));
        }
        if projected.is_empty() && group_rows > 0 {
            return Err(unreadable(parquet::errors::ParquetError::General(format!(
                "it claims {group_rows} rows, but the file has no column of a connection log to hold them"
            ))));
        }
        let mut chunks = Vec::with_capacity(projected.len());
        for &(index, field, shape, max_def, written) in &projected {
            // The parquet crate asserts (panics) on a chunk whose byte range is negative;
            // a hostile footer can say so, and that is an unreadable row group here.
            let meta = group.metadata().column(index);
            let start = meta.dictionary_page_offset().unwrap_or_else(|| meta.data_page_offset());
            if start < 0 || meta.compressed_size() < 0 || start.checked_add(meta.compressed_size()).is_none() {
                return Err(unreadable(parquet::errors::ParquetError::General(format!(
                    "column {} claims the impossible byte range {start}+{}",
                    field.name(),
                    meta.compressed_size()
                ))));
            }
            if let Err(why) = pages::check_chunk(pages, start as u64, meta.compressed_size() as u64) {
                return Err(unreadable(parquet::errors::ParquetError::General(format!("column {}: {why}", field.name()))));
            }
            let reader = group.get_column_reader(index).map_err(unreadable)?;
            let mut defs = Vec::new();
            let values = read_column(reader, group_rows, max_def, &mut defs).map_err(unreadable)?;
            // Every row is backed by a value (or a null) of every column read: a footer that
            // claims more rows than its columns hold would otherwise make each missing one a
            // bad row, billions of them for a few bytes (found by the fuzz target).
            let held = if max_def > 0 { defs.len() } else { values.len() };
            if held != group_rows {
                return Err(unreadable(parquet::errors::ParquetError::General(format!(
                    "column {} holds {held} values for {group_rows} rows",
                    field.name()
                ))));
            }
            if written {
                chunks.push(Chunk { field, shape, max_def, defs, values, next: 0 });
            }
        }
        for row in 0..group_rows {
            at.rows += 1;
            line.clear();
            spans.clear();
            let mut problem = None;
            for chunk in &mut chunks {
                let start = line.len() + usize::from(!line.is_empty());
                let present = chunk.max_def == 0 || chunk.defs[row] == chunk.max_def;
                text.clear();
                if present {
                    if let Err(p) = chunk.write(&mut text) {
                        problem.get_or_insert(ParseError { field: chunk.field, problem: p });
                    }
                } else {
                    text.push(b'-');
                }
                push_classic_value(&mut line, chunk.field, &text);
                spans.push((chunk.field, start, line.len()));
            }
            let mut values: [Option<&[u8]>; 15] = [None; 15];
            for field in delivered.iter() {
                values[field as usize] = Some(not_decoded(field));
            }
            for &(field, start, end) in &spans {
                let value = &line[start..end];
                // The classic line quotes the subject; the record keeps it without.
                let value = if field == Field::LeafClientCertSubject && value.len() >= 2 && value[0] == b'"' {
                    &value[1..value.len() - 1]
                } else {
                    value
                };
                values[field as usize] = Some(value);
            }
            let parsed = match problem {
                Some(error) => Err(error),
                None => Record::from_values(&line, &values, ignored),
            };
            on_row(at.rows, &line, parsed.as_ref().map_err(|e| *e)).map_err(ReadError::Output)?;
        }
    }
    Ok(())
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

fn read_typed<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    rows: usize,
    max_def: i16,
    defs: &mut Vec<i16>,
) -> parquet::errors::Result<Vec<T::T>> {
    let mut values = Vec::new();
    let levels = if max_def > 0 { Some(defs) } else { None };
    reader.read_records(rows, levels, None, &mut values)?;
    Ok(values)
}

fn read_column(reader: ColumnReader, rows: usize, max_def: i16, defs: &mut Vec<i16>) -> parquet::errors::Result<Values> {
    Ok(match reader {
        ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(read_typed(r, rows, max_def, defs)?),
        ColumnReader::FixedLenByteArrayColumnReader(r) => Values::Fixed(read_typed(r, rows, max_def, defs)?),
        ColumnReader::Int32ColumnReader(r) => Values::I32(read_typed(r, rows, max_def, defs)?),
        ColumnReader::Int64ColumnReader(r) => Values::I64(read_typed(r, rows, max_def, defs)?),
        ColumnReader::Int96ColumnReader(r) => Values::I96(read_typed(r, rows, max_def, defs)?),
        ColumnReader::FloatColumnReader(r) => Values::F32(read_typed(r, rows, max_def, defs)?),
        ColumnReader::DoubleColumnReader(r) => Values::F64(read_typed(r, rows, max_def, defs)?),
        ColumnReader::BoolColumnReader(r) => Values::Bool(read_typed(r, rows, max_def, defs)?.len()),
    })
}

impl Chunk {
    /// Appends the next value's text to `out`.
    fn write(&mut self, out: &mut Vec<u8>) -> Result<(), Problem> {
        let index = self.next;
        self.next += 1;
        let missing = || Problem::Unreadable;
        match &self.values {
            Values::Bytes(v) => out.extend_from_slice(v.get(index).ok_or_else(missing)?.data()),
            Values::Fixed(v) => out.extend_from_slice(v.get(index).ok_or_else(missing)?.data()),
            Values::I32(v) => out.extend_from_slice(itoa::Buffer::new().format(*v.get(index).ok_or_else(missing)?).as_bytes()),
            Values::I64(v) => {
                let value = *v.get(index).ok_or_else(missing)?;
                match self.shape {
                    Shape::Timestamp(unit) => {
                        let micros = match unit {
                            TimeUnit::MILLIS => value.checked_mul(1_000),
                            TimeUnit::MICROS => Some(value),
                            TimeUnit::NANOS => Some(value.div_euclid(1_000)),
                        };
                        write_time(micros, out)?;
                    }
                    Shape::Plain => out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes()),
                }
            }
            Values::I96(v) => write_time(Some(v.get(index).ok_or_else(missing)?.to_micros()), out)?,
            // Display's shortest form, written without a String per value.
            Values::F32(v) => write!(out, "{}", v.get(index).ok_or_else(missing)?).map_err(|_| Problem::Unreadable)?,
            Values::F64(v) => write!(out, "{}", v.get(index).ok_or_else(missing)?).map_err(|_| Problem::Unreadable)?,
            Values::Bool(_) => return Err(Problem::WrongType),
        }
        Ok(())
    }
}

/// A time as ALB writes it: `2024-04-05T18:31:29.268987Z`. Digits are written in place:
/// a chrono format string is parsed again for every row, and this runs for every row.
fn write_time(micros: Option<i64>, out: &mut Vec<u8>) -> Result<(), Problem> {
    let time = micros.and_then(chrono::DateTime::from_timestamp_micros).ok_or(Problem::NotATimestamp)?;
    let (date, clock) = (time.date_naive(), time.time());
    // The classic form has four digits of year; the record reader refuses any other.
    let year = u32::try_from(date.year()).ok().filter(|&year| year <= 9999).ok_or(Problem::NotATimestamp)?;
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let fields = [
        (0..4, year),
        (5..7, date.month()),
        (8..10, date.day()),
        (11..13, clock.hour()),
        (14..16, clock.minute()),
        (17..19, clock.second()),
        (20..26, clock.nanosecond() / 1000),
    ];
    for (place, mut value) in fields {
        for digit in text[place].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    out.extend_from_slice(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers are written as their `Display` form, as `to_string` gave before.
    #[test]
    fn numbers_of_every_column_type_are_written_in_their_display_form() {
        let written = |values: Values, shape: Shape, n: usize| -> Vec<String> {
            let mut chunk = Chunk { field: Field::TlsHandshakeLatency, shape, max_def: 0, defs: Vec::new(), values, next: 0 };
            (0..n)
                .map(|_| {
                    let mut out = Vec::new();
                    chunk.write(&mut out).unwrap();
                    String::from_utf8(out).unwrap()
                })
                .collect()
        };
        let ints = [0, 1, -1, 443, i32::MIN, i32::MAX];
        assert_eq!(written(Values::I32(ints.to_vec()), Shape::Plain, 6), ints.map(|v| v.to_string()));
        let longs = [0, -7, 1_712_341_889, i64::MIN, i64::MAX];
        assert_eq!(written(Values::I64(longs.to_vec()), Shape::Plain, 5), longs.map(|v| v.to_string()));
        let doubles = [0.0, 0.337, 4.036, -1.5, 1e21, f64::NAN, f64::INFINITY];
        assert_eq!(written(Values::F64(doubles.to_vec()), Shape::Plain, 7), doubles.map(|v| v.to_string()));
        let floats = [0.0f32, 0.337, 12.5, f32::MIN_POSITIVE];
        assert_eq!(written(Values::F32(floats.to_vec()), Shape::Plain, 4), floats.map(|v| v.to_string()));
        let mut past_end =
            Chunk { field: Field::ClientPort, shape: Shape::Plain, max_def: 0, defs: Vec::new(), values: Values::I32(vec![]), next: 0 };
        assert_eq!(past_end.write(&mut Vec::new()), Err(Problem::Unreadable));
    }

    #[test]
    fn times_are_written_as_chrono_formats_them_and_years_past_9999_are_refused() {
        let last = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z
        let samples = [0, 1, -1, 999_999, 1_712_341_889_268_987, 951_782_400_000_000, -62_167_219_200_000_000, last];
        let more = (0..2000i64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64).rem_euclid(last + 62_167_219_200_000_000) - 62_167_219_200_000_000);
        for micros in samples.into_iter().chain(more) {
            let mut out = Vec::new();
            write_time(Some(micros), &mut out).unwrap();
            let time = chrono::DateTime::from_timestamp_micros(micros).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), "{micros}");
        }
        for refused in [Some(last + 1), Some(-62_167_219_200_000_001), Some(i64::MAX), None] {
            assert_eq!(write_time(refused, &mut Vec::new()), Err(Problem::NotATimestamp), "{refused:?}");
        }
    }
}
