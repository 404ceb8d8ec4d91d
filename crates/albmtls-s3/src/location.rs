//! `s3://bucket/prefix` locations.

use std::fmt;
use std::str::FromStr;

use crate::S3Error;

/// A bucket and a key prefix, as written `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Location {
    bucket: String,
    prefix: String,
}

impl S3Location {
    /// Parses `s3://bucket` or `s3://bucket/prefix`. The prefix is kept as written
    /// (S3 prefixes are plain string prefixes, so `logs` also matches `logs-old/…`).
    pub fn parse(url: &str) -> Result<S3Location, S3Error> {
        let invalid = |reason: &'static str| S3Error::InvalidUrl { url: url.to_owned(), reason };
        let rest = url.strip_prefix("s3://").ok_or_else(|| invalid("it does not start with `s3://`"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("the bucket name is missing"));
        }
        if bucket.len() > 255 || !bucket.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
            return Err(invalid("a bucket name has only letters, digits, `-`, `.` and `_`"));
        }
        if prefix.chars().any(char::is_control) {
            return Err(invalid("the prefix contains control characters"));
        }
        Ok(S3Location { bucket: bucket.to_owned(), prefix: prefix.to_owned() })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix (possibly empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// When the prefix names a region folder
    /// (`…AWSLogs/<account>/elasticloadbalancing/<region>`, with or without the final `/`),
    /// that folder with a final `/`: the day folders `yyyy/mm/dd/` are directly below it.
    pub(crate) fn region_folder(&self) -> Option<String> {
        let trimmed = self.prefix.strip_suffix('/').unwrap_or(&self.prefix);
        let mut parts = trimmed.rsplit('/');
        let region = parts.next()?;
        let service = parts.next()?;
        let account = parts.next()?;
        let awslogs = parts.next()?;
        let looks_right = awslogs == "AWSLogs"
            && !account.is_empty()
            && account.bytes().all(|b| b.is_ascii_digit())
            && service == "elasticloadbalancing"
            && !region.is_empty();
        looks_right.then(|| format!("{trimmed}/"))
    }
}

impl FromStr for S3Location {
    type Err = S3Error;

    fn from_str(url: &str) -> Result<S3Location, S3Error> {
        S3Location::parse(url)
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        let loc = S3Location::parse("s3://logs/a/b/").unwrap();
        assert_eq!((loc.bucket(), loc.prefix()), ("logs", "a/b/"));
        let loc = S3Location::parse("s3://logs").unwrap();
        assert_eq!((loc.bucket(), loc.prefix()), ("logs", ""));
        assert_eq!(loc.to_string(), "s3://logs/");
        assert_eq!("s3://logs/x".parse::<S3Location>().unwrap().prefix(), "x");
    }

    #[test]
    fn rejects_malformed_urls_with_the_reason() {
        for (url, reason) in [
            ("logs/prefix", "does not start with `s3://`"),
            ("https://logs/prefix", "does not start with `s3://`"),
            ("s3://", "bucket name is missing"),
            ("s3:///prefix", "bucket name is missing"),
            ("s3://my bucket/x", "only letters"),
            ("s3://b/x\ny", "control characters"),
        ] {
            let err = S3Location::parse(url).unwrap_err().to_string();
            assert!(err.contains(reason) && err.contains("s3://bucket/prefix"), "{url}: {err}");
        }
    }

    #[test]
    fn finds_the_region_folder() {
        let folder = |url: &str| S3Location::parse(url).unwrap().region_folder();
        let expected = Some("p/AWSLogs/123/elasticloadbalancing/eu-west-1/".to_owned());
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1"), expected);
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1/"), expected);
        assert_eq!(
            folder("s3://b/AWSLogs/123/elasticloadbalancing/eu-west-1"),
            Some("AWSLogs/123/elasticloadbalancing/eu-west-1/".to_owned())
        );
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/"), None);
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1/2024"), None);
        assert_eq!(folder("s3://b/AWSLogs/12x/elasticloadbalancing/eu-west-1"), None);
        assert_eq!(folder("s3://b"), None);
    }
}
