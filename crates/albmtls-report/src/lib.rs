//! Aggregates of connection-log records and the finished report built from them.
//!
//! This crate owns *what is counted*: mergeable aggregates ([`aggregate`]) that parallel
//! workers, shards and partial files ([`partial`]) fold into exactly the result one pass
//! gives, and the typed [`Report`] cut from them. It receives parsed records from
//! `albmtls-parse`; it must not read files, decompress, print or format text for people
//! (that is `albmtls-render`).

pub mod aggregate;
mod arena;
pub mod by_lb;
pub mod counts;
pub mod disk;
pub mod expiring;
pub mod keyed;
pub mod latency;
pub mod partial;
mod profiles;
pub mod recent;
pub mod report;
mod same;
pub mod sections;
mod slots;
pub mod tls;
pub mod values;

pub use aggregate::{Aggregate, InputError, MalformedSample, OverlongSample, StatusStats};
pub use counts::{ByteCounts, ClientCounts};
pub use partial::{Partial, PartialError};
pub use recent::{RecentChanges, StatusChange};
pub use report::{Bucket, Report, ReportOptions};
