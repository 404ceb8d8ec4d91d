//! Local inputs for albmtls: files, directories and stdin, turned into byte streams with
//! gzip (multi-member) decoded, plus the naming rules that say which files are
//! connection logs.
//!
//! This crate owns *where bytes come from*. It must not tokenize, filter or aggregate
//! records, and it never talks to S3 (that is `albmtls-s3`, which reuses [`keys`]).

pub mod keys;
