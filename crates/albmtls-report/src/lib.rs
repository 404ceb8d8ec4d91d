//! Aggregates of connection-log records, the remediation catalogue, and the renderers
//! that turn them into tables, JSON, CSV and Markdown.
//!
//! This crate owns *what is counted and how it is shown*. It receives parsed records
//! (from `albmtls-parse`) and never reads files, decompresses or prints: renderers
//! write to a `std::io::Write` the caller provides.

pub mod aggregate;
pub mod athena;
pub mod html;
pub mod prom;
pub mod remediation;
pub mod render;
pub mod report;

pub use aggregate::{Aggregate, InputError, MalformedSample, Partial, PartialError, StatusKey, StatusStats};
pub use report::{Bucket, Report, ReportOptions};
