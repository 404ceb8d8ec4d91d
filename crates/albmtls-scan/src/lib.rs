//! The albmtls engine: the paths a command names become ordered work (local files, stdin,
//! S3 objects already downloading), each input is decoded and cut into blocks of whole
//! lines, and the lines are tokenized and filtered into a caller's [`Sink`], on every core.
//!
//! This crate owns *the pipeline and its parallelism*: listing and ordering inputs,
//! sharding, prefetching S3 objects in reading order, the per-worker sinks and their merge,
//! and running the line loop compiled for the CPU's SIMD kind
//! ([`albmtls_parse::SimdLevel::dispatch`]). It must not know any output format, print
//! (progress and listing errors go to a [`Progress`] the caller supplies), or read
//! command-line values.
//!
//! A run reads its inputs once ([`scan`]) or follows them ([`follow`]): lists them again
//! every poll and reads each new input exactly once.
//!
//! Two levels of sink: a [`BlockSink`] gets decoded blocks (the decode-only benchmark uses
//! it to measure the floor under every command), a [`Sink`] gets records.

mod engine;
mod follow;
mod inputs;
mod options;
mod records;

pub use albmtls_parquet::ParquetSource;
/// The longest line read; longer ones are skipped and counted as overlong.
pub use albmtls_source::MAX_LINE;
pub use engine::{BlockSink, InputContext, Progress, ScanOutcome, StartError, scan_blocks};
pub use follow::{FollowEnd, FollowOptions, Poll, follow_blocks};
pub use inputs::ListingError;
pub use options::{ScanOptions, Shard, ShardError, VendedOptions};
pub use records::{Sink, follow, read_block, scan};
