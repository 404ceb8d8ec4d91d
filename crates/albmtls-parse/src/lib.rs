//! The ALB connection-log record model and a zero-copy tokenizer over `&[u8]`.
//!
//! This crate owns what a line *means*: its fields, their generations (11, 12, 13 and
//! 15 fields), the `tls_verify_status` vocabulary and the timestamp format. It does no
//! I/O, allocates nothing per line, and must not know about files, gzip or reports.

pub mod status;

pub use status::{FailureCode, VerifyStatus};
