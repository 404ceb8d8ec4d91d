//! The ALB connection-log record model and a zero-copy tokenizer over `&[u8]`.
//!
//! This crate owns what a line *means*: its fields, their generations (11, 12, 13 and
//! 15 fields), the `tls_verify_status` vocabulary and what to do about each code
//! ([`remediation`]), the timestamp format, what a log file's name says ([`keys`]), the
//! values users type (times, durations, statuses, networks) and the record filters built
//! from them, and which SIMD instructions the tokenizer may use ([`simd`]).
//!
//! It is pure: no I/O, nothing allocated per line. It must not know about reading files,
//! gzip, aggregation or output formats.

mod digits;
pub mod filter;
mod ip;
pub mod keys;
mod lines;
pub mod record;
pub mod remediation;
pub mod simd;
mod spaces;
pub mod status;
pub mod time;
pub mod tls;
pub mod vended;

pub use filter::{Filter, FilterError, KeyExchangeFilter, LoadBalancerFilter, StatusFilter};
pub use lines::{Lines, lines};
pub use record::{Field, FieldSet, MAX_LINE, ParseError, Problem, Record, is_blank, trim_line_end, unescape_subject};
pub use simd::{Simd, SimdKernel, SimdLevel};
pub use status::{FailureCode, StatusKey, VerifyStatus};
pub use time::{Micros, TimeError, TimeRange, parse_duration, parse_timestamp, parse_user_time};
