//! Runs the albmtls engine (`albmtls_scan::scan_blocks`: the same listing, largest-first
//! order, parallel workers, gzip on reader threads and whole-line blocks as every
//! command) and only counts lines and bytes: no tokenizing, filtering or aggregation.
//! The floor under any albmtls command on the same files.

use std::path::PathBuf;
use std::process::ExitCode;

use albmtls_parse::Filter;
use albmtls_s3::S3Options;
use albmtls_scan::{BlockSink, InputContext, Progress, ScanOptions, scan_blocks};

/// Lines and bytes of the blocks one worker was handed.
#[derive(Default)]
struct Count {
    lines: u64,
    bytes: u64,
}

impl BlockSink for Count {
    // Read as the report reads: largest first.
    const OUTPUT_FOLLOWS_LISTING: bool = false;

    fn begin_input(&mut self, _: &InputContext<'_>) -> std::io::Result<()> {
        Ok(())
    }

    fn block(&mut self, _: &InputContext<'_>, bytes: &[u8], _: u64) -> std::io::Result<()> {
        self.bytes += bytes.len() as u64;
        self.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
        Ok(())
    }

    /// Parquet has no lines; the floor for it is the download, which the engine did.
    fn parquet(&mut self, _: &InputContext<'_>, _: albmtls_scan::ParquetSource) -> std::io::Result<Option<String>> {
        Ok(None)
    }

    fn end_input(&mut self, input: &InputContext<'_>, error: Option<String>) -> std::io::Result<()> {
        if let Some(error) = error {
            eprintln!("decode-only: {}: {error}", input.name);
        }
        Ok(())
    }

    fn records(&self) -> u64 {
        self.lines
    }

    fn merge(&mut self, other: Count) {
        self.lines += other.lines;
        self.bytes += other.bytes;
    }
}

struct Quiet;

impl Progress for Quiet {
    fn listing_error(&self, error: &albmtls_scan::ListingError) {
        eprintln!("decode-only: {error}");
    }
    fn start(&self, _: u64) {}
    fn input_done(&self, _: u64, _: Option<u64>) {}
    fn finish(&self) {}
}

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: decode-only PATH...");
        return ExitCode::from(2);
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let options =
        ScanOptions { paths, filter: Filter::default(), threads, shard: None, s3: S3Options::default(), vended: Default::default() };
    match scan_blocks(&options, &Quiet, Count::default) {
        Ok(outcome) => {
            println!("{} lines, {} bytes", outcome.sink.lines, outcome.sink.bytes);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("decode-only: {err}");
            ExitCode::from(2)
        }
    }
}
