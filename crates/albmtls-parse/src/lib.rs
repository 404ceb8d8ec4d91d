//! The ALB connection-log record model and a zero-copy tokenizer over `&[u8]`.
//!
//! This crate owns what a line *means*: its fields, their generations (11, 12, 13 and
//! 15 fields), the `tls_verify_status` vocabulary, the timestamp format and the record
//! filters users ask for. It does no I/O, allocates nothing per line, and must not know
//! about files, gzip, aggregation or output.

mod digits;
pub mod filter;
mod ip;
mod lines;
pub mod record;
pub mod simd;
mod spaces;
pub mod status;
pub mod time;

pub use filter::{Filter, StatusFilter};
pub use lines::{Lines, lines};
pub use record::{Field, ParseError, Problem, Record, is_blank, trim_line_end, unescape_subject};
pub use simd::{Simd, SimdLevel};
pub use status::{FailureCode, VerifyStatus};
pub use time::{Micros, parse_timestamp};
