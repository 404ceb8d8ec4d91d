//! Any bytes as a Parquet file: rows and bad rows, or an error saying the file cannot be
//! read, never a panic; row numbers count up from 1 without gaps.
#![no_main]

use albmtls_parquet::{ParquetSource, read_records};
use albmtls_parse::FieldSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut expected = 1;
    let _ = read_records(ParquetSource::Bytes(data.to_vec().into()), FieldSet::ALL, |row, _, _| {
        assert_eq!(row, expected);
        expected += 1;
        Ok(())
    });
});
