//! Writing records as a vended Parquet delivery might: for the corpus generator and for
//! tests, which need real Parquet files with the types a writer may choose.

use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

/// How a column stores its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text, as written in a classic line.
    Text,
    /// A 32-bit integer (ports).
    Int32,
    /// A timestamp in microseconds since the epoch.
    TimestampMicros,
}

/// One column of the file: its name (the field's vended name) and type.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
}

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("column {column}: `{value}` is not a {kind:?} value")]
    BadValue { column: String, value: String, kind: ColumnType },
    #[error("writing Parquet failed: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// A Parquet file (snappy-compressed) holding `rows`, one value per column each (`None`
/// or `-` for null), in row groups of `row_group_rows` rows.
pub fn write_rows(columns: &[Column], rows: &[Vec<Option<String>>], row_group_rows: usize) -> Result<Vec<u8>, WriteError> {
    let fields = columns
        .iter()
        .map(|column| {
            let builder = match column.kind {
                ColumnType::Text => {
                    Type::primitive_type_builder(&column.name, PhysicalType::BYTE_ARRAY).with_logical_type(Some(LogicalType::String))
                }
                ColumnType::Int32 => Type::primitive_type_builder(&column.name, PhysicalType::INT32),
                ColumnType::TimestampMicros => Type::primitive_type_builder(&column.name, PhysicalType::INT64)
                    .with_logical_type(Some(LogicalType::timestamp(true, TimeUnit::MICROS))),
            };
            builder.with_repetition(Repetition::OPTIONAL).build().map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let schema = Arc::new(Type::group_type_builder("connection_log").with_fields(fields).build()?);
    let properties = Arc::new(WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build());
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut out, schema, properties)?;
    for group in rows.chunks(row_group_rows.max(1)) {
        let mut group_writer = writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut column_writer) = group_writer.next_column()? {
            let column = &columns[index];
            let cells: Vec<Option<&str>> =
                group.iter().map(|row| row.get(index).and_then(|v| v.as_deref()).filter(|v| *v != "-")).collect();
            let defs: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
            let bad = |value: &str| WriteError::BadValue { column: column.name.clone(), value: value.to_owned(), kind: column.kind };
            match column.kind {
                ColumnType::Text => {
                    let values: Vec<ByteArray> = cells.iter().flatten().map(|v| ByteArray::from(v.as_bytes().to_vec())).collect();
                    column_writer.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None)?;
                }
                ColumnType::Int32 => {
                    let values = cells.iter().flatten().map(|v| v.parse::<i32>().map_err(|_| bad(v))).collect::<Result<Vec<_>, _>>()?;
                    column_writer.typed::<Int32Type>().write_batch(&values, Some(&defs), None)?;
                }
                ColumnType::TimestampMicros => {
                    let values = cells
                        .iter()
                        .flatten()
                        .map(|v| albmtls_parse::parse_timestamp(v.as_bytes()).ok_or_else(|| bad(v)))
                        .collect::<Result<Vec<_>, _>>()?;
                    column_writer.typed::<Int64Type>().write_batch(&values, Some(&defs), None)?;
                }
            }
            column_writer.close()?;
            index += 1;
        }
        group_writer.close()?;
    }
    writer.close()?;
    Ok(out)
}
