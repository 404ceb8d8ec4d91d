//! S3 for albmtls: listing the connection-log objects under an `s3://bucket/prefix`,
//! streaming their raw bytes to synchronous readers, and storing finished outputs.
//!
//! This crate owns *talking to S3*: the AWS configuration and credential chain, listing
//! with pagination and date pruning, concurrent downloads with retries, and turning S3
//! failures into one clear message each. Downloads run on a tokio runtime owned by
//! [`S3Client`]; consumers get plain [`std::io::Read`]ers they can use from any
//! (non-async) thread, for example rayon workers.
//!
//! It must not decode, parse, filter or aggregate log content (objects are handed over as
//! the raw, still gzipped bytes), and it touches no local file but the AWS configuration
//! files. Which keys are connection logs and what their names say comes from
//! `albmtls_parse::keys`.
//!
//! ```no_run
//! use albmtls_s3::{S3Client, S3Location, S3Options};
//! # fn main() -> Result<(), albmtls_s3::S3Error> {
//! let client = S3Client::connect(S3Options::default())?;
//! let location = S3Location::parse("s3://my-logs/AWSLogs/123456789012/elasticloadbalancing/eu-west-1")?;
//! let listing = client.list(&location, None, None)?;
//! for input in client.open_all(listing.objects) {
//!     let (name, mut reader) = input.into_parts();
//!     let copied = std::io::copy(&mut reader, &mut std::io::sink());
//!     # let _ = (name, copied);
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod credentials;
mod error;
mod list;
mod location;
mod put;
mod stats;
mod stream;

pub use client::{DEFAULT_CONCURRENCY, S3Client, S3Options, StaticCredentials};
pub use error::S3Error;
pub use list::{Listing, OutsideTimeRange, S3Object};
pub use location::S3Location;
pub use stats::S3Stats;
pub use stream::{S3Input, S3ObjectReader};
