//! Parquet deliveries of ALB connection logs (CloudWatch vended logs to S3), read into
//! the same [`Record`](albmtls_parse::Record)s classic lines give.
//!
//! Its own crate so that the record model stays light: the `parquet` crate (arrow-rs) is
//! needed here only. Only the columns a command needs are decoded, one row group at a
//! time and one record batch of it at a time, so memory follows the row-group size, not
//! the file's. Columns are
//! matched to fields by name as the other vended readers match them
//! ([`albmtls_parse::vended::field_for_name`]); strings, integers, floats and timestamps
//! are accepted for any field, as no real vended Parquet file is public to say which
//! types AWS writes.

mod pages;
mod read;
mod write;

pub use read::{MAX_ROWS_PER_BYTE, ParquetSource, ReadError, RowLines, column_names, panic_raised_by_parquet_crate, read_records};
pub use write::{Column, ColumnType, WriteError, write_rows};
