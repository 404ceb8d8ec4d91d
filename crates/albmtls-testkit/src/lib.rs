//! Test support for albmtls, shared by the crates' integration tests: a real
//! S3-compatible server on loopback ([`s3_server`]) and small fixture builders.
//!
//! Dev-only: it is a `[dev-dependencies]` entry of the crates that test against it and
//! must never become a normal dependency of anything that ships.

pub mod s3_server;

use std::io::Write;

/// Gzips `text` as one member.
pub fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}
