//! Synthetic ALB connection-log corpora and their ground truth.
//!
//! This crate owns the deterministic generator behind the benchmarks, the integration
//! tests and the bundled `sample-logs/` tree: given a [`CorpusSpec`] it writes
//! connection-log files in the S3 key layout (multi-member gzip, date folders, other log
//! kinds beside them, reference `connection-logs.md` §4) with realistic lines (§1–§3), and
//! records what it wrote as a [`Truth`] (`truth.json`) so checks compare a report against
//! the generated counts rather than hard-coded numbers. The same spec always produces
//! byte-identical files.
//!
//! What it must not do: albmtls itself never depends on it at run time. Nothing here
//! parses logs or decides what a line means; the generator only knows how to write them.

mod generate;
mod line;
mod population;
mod spec;
mod truth;
mod vended;

use std::path::PathBuf;

pub use generate::{Generated, generate};
pub use line::{
    DEFAULT_ELB, FAILURE_CODES, Generation, LineFields, UNKNOWN_FAILURE_STATUS, escape_subject, format_timestamp, format_trace_id,
    format_validity, write_line,
};
pub use spec::{Actor, CorpusSpec, GenerationMix, ListenerPort, LoadBalancer, REALISTIC_FAILURE_WEIGHTS};
pub use truth::{
    EXPIRING_WITHIN_DAYS, ExpiringCertificateTruth, ExpiringTruth, FileTruth, HandshakeLatencyTruth, LatencyTruth, LegacyClientTruth,
    TlsTruth, TrafficTruth, Truth,
};
pub use vended::{
    Delivery, VENDED_FIELDS, VendedLayout, delivered_fields, vended_folder, vended_value, write_json_line, write_w3c_header, write_w3c_row,
};

/// Why a corpus could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("invalid corpus spec: {0}")]
    InvalidSpec(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("truth file: {0}")]
    InvalidTruth(String),
}
