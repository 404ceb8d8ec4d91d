//! Any bytes as a Parquet file: rows and bad rows, or an error saying the file cannot be
//! read, never a panic of ours; row numbers count up from 1 without gaps.
//!
//! The parquet crate panics on some malformed files, and `read_records` catches those
//! panics and reports the file as unreadable, as the shipped (unwinding) binary does.
//! libFuzzer's panic hook would abort on them before they are caught, so the hook here
//! lets a panic raised inside the parquet crate unwind to that catch and aborts on every
//! other panic, which is a bug of ours.
#![no_main]

use albmtls_parquet::{ParquetSource, RowLines, panic_raised_by_parquet_crate, read_records};
use albmtls_parse::FieldSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !panic_raised_by_parquet_crate(info) {
                fuzzer_hook(info);
            }
        }));
    },
    |data: &[u8]| {
        let mut expected = 1;
        // Both ways of reading: lines for every row (grep) and for bad rows only (report).
        let lines = if data.len() % 2 == 0 { RowLines::Every } else { RowLines::BadRowsOnly };
        let _ = read_records(ParquetSource::Bytes(data.to_vec().into()), FieldSet::ALL, lines, |row, _, _| {
            assert_eq!(row, expected);
            expected += 1;
            Ok(())
        });
    }
);
