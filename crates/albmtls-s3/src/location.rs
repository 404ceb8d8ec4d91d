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

    /// When the prefix names the folder right above a layout's day folders, that folder
    /// with a final `/` and how its day folders are named (see [`days_below`]).
    pub(crate) fn day_folders_parent(&self) -> Option<(String, DayStyle)> {
        days_below(&self.prefix)
    }
}

/// How day folders are named below the folder that holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayStyle {
    /// `2026/09/10`: the classic layout and vended deliveries without Hive keys.
    Plain,
    /// `year=2026/month=09/day=10`: vended deliveries with Hive-style keys.
    Hive,
}

impl DayStyle {
    /// The folders of `day`, without a final `/`.
    pub(crate) fn day_path(self, day: chrono::NaiveDate) -> String {
        match self {
            DayStyle::Plain => day.format("%Y/%m/%d").to_string(),
            DayStyle::Hive => day.format("year=%Y/month=%m/day=%d").to_string(),
        }
    }

    /// The style and year of a year folder's name (`2026` or `year=2026`).
    pub(crate) fn of_year_folder(name: &str) -> Option<(DayStyle, i32)> {
        let (style, digits) = match name.strip_prefix("year=") {
            Some(digits) => (DayStyle::Hive, digits),
            None => (DayStyle::Plain, name),
        };
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((style, digits.parse().ok()?))
    }
}

/// When `prefix` names a folder whose children are day folders by the shape of its name
/// alone, that folder with a final `/` and their style: a classic region folder
/// (`…AWSLogs/<account>/elasticloadbalancing/<region>`, which vended deliveries without
/// Hive keys share) or a Hive region folder (`…/elasticloadbalancing/region=<region>`).
/// Other layouts (a destination prefix, a Hive suffix) are found by listing.
pub(crate) fn days_below(prefix: &str) -> Option<(String, DayStyle)> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    let mut parts = trimmed.rsplit('/');
    let region = parts.next()?;
    let service = parts.next()?;
    let account = parts.next()?;
    let hive = region.strip_prefix("region=").is_some_and(|r| !r.is_empty()) && service == "elasticloadbalancing";
    if hive {
        return Some((format!("{trimmed}/"), DayStyle::Hive));
    }
    let awslogs = parts.next()?;
    let classic = awslogs == "AWSLogs"
        && !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && service == "elasticloadbalancing"
        && !region.is_empty();
    classic.then(|| (format!("{trimmed}/"), DayStyle::Plain))
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
    fn finds_the_folder_above_the_day_folders() {
        let folder = |url: &str| S3Location::parse(url).unwrap().day_folders_parent();
        let expected = Some(("p/AWSLogs/123/elasticloadbalancing/eu-west-1/".to_owned(), DayStyle::Plain));
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1"), expected);
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1/"), expected);
        assert_eq!(
            folder("s3://b/AWSLogs/123/elasticloadbalancing/eu-west-1"),
            Some(("AWSLogs/123/elasticloadbalancing/eu-west-1/".to_owned(), DayStyle::Plain))
        );
        assert_eq!(
            folder("s3://b/AWSLogs/aws-account-id=123/elasticloadbalancing/region=eu-west-1/"),
            Some(("AWSLogs/aws-account-id=123/elasticloadbalancing/region=eu-west-1/".to_owned(), DayStyle::Hive))
        );
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/"), None);
        assert_eq!(folder("s3://b/p/AWSLogs/123/elasticloadbalancing/eu-west-1/2024"), None);
        assert_eq!(folder("s3://b/AWSLogs/12x/elasticloadbalancing/eu-west-1"), None);
        assert_eq!(folder("s3://b/MyLogPrefix/us-east-1/"), None, "found by listing, not by its name");
        assert_eq!(folder("s3://b"), None);
    }

    #[test]
    fn day_folders_are_named_in_either_style() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 9, 10).unwrap();
        assert_eq!(DayStyle::Plain.day_path(day), "2026/09/10");
        assert_eq!(DayStyle::Hive.day_path(day), "year=2026/month=09/day=10");
        assert_eq!(DayStyle::of_year_folder("2026"), Some((DayStyle::Plain, 2026)));
        assert_eq!(DayStyle::of_year_folder("year=2026"), Some((DayStyle::Hive, 2026)));
        for other in ["us-east-1", "202", "year=26", "20261", "month=09"] {
            assert_eq!(DayStyle::of_year_folder(other), None, "{other}");
        }
    }
}
