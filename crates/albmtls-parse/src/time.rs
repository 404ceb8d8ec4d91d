//! Timestamps as ALB writes them (`2023-10-04T17:05:15.514108Z`) and as users type them.
//!
//! Times are carried as microseconds since the Unix epoch (UTC) in an `i64`: cheap to
//! compare, bucket and merge, and exact for the 6 fractional digits ALB writes. Times and
//! durations users type on the command line are read by [`parse_user_time`] and
//! [`parse_duration`], the one reader of each for every option.

use std::cell::Cell;

use chrono::Datelike;

use crate::digits::top_digits_value;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const MICROS_PER_SECOND: Micros = 1_000_000;
pub const MICROS_PER_MINUTE: Micros = 60 * MICROS_PER_SECOND;

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` into microseconds (digits beyond the 6th are
/// dropped). Returns `None` for anything else, including impossible dates.
pub fn parse_timestamp(text: &[u8]) -> Option<Micros> {
    thread_local! {
        /// The second of the last timestamp in ALB's own layout parsed on this thread.
        /// A busy load balancer writes hundreds of lines per second, in time order, so
        /// most lines only need their microseconds read.
        static LAST_SECOND: Cell<Option<(SecondText, i64)>> = const { Cell::new(None) };
    }
    if let Ok(alb) = <&[u8; ALB_LAYOUT_LEN]>::try_from(text)
        && let Some((remembered, seconds)) = LAST_SECOND.get()
        && remembered == SecondText::of(alb)
        && let Some(micros) = six_digit_fraction(alb)
    {
        return Some(seconds * MICROS_PER_SECOND + micros);
    }
    let (seconds, micros) = parse_in_full(text)?;
    if let Ok(alb) = <&[u8; ALB_LAYOUT_LEN]>::try_from(text) {
        LAST_SECOND.set(Some((SecondText::of(alb), seconds)));
    }
    Some(seconds * MICROS_PER_SECOND + micros)
}

/// A time or duration a user typed that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "`{0}` is not a time: use RFC 3339 (2026-11-02T10:00:00Z; without an offset, UTC), a date (2026-11-02) or an age (2h or -2h, 30m, 1d)"
    )]
    NotATime(String),
    #[error("`{0}` is out of the range of times albmtls can represent")]
    OutOfRange(String),
    #[error("`{0}` is not a duration: use a number and a unit, such as 30s, 5m, 2h or 14d")]
    NotADuration(String),
    #[error("the time range is empty: since ({since}) must be earlier than until ({until})")]
    EmptyRange { since: String, until: String },
}

/// Entry times in `[since, until)`, either end open, and never empty: the one check that
/// a range makes sense, for every command that takes one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    since: Option<Micros>,
    until: Option<Micros>,
}

impl TimeRange {
    /// Every time.
    pub const ALL: TimeRange = TimeRange { since: None, until: None };

    /// Refuses a range whose start is not before its end.
    pub fn new(since: Option<Micros>, until: Option<Micros>) -> Result<TimeRange, TimeError> {
        match (since, until) {
            (Some(s), Some(u)) if s >= u => Err(TimeError::EmptyRange { since: format_utc(s), until: format_utc(u) }),
            _ => Ok(TimeRange { since, until }),
        }
    }

    /// The inclusive start, if any.
    pub fn since(self) -> Option<Micros> {
        self.since
    }

    /// The exclusive end, if any.
    pub fn until(self) -> Option<Micros> {
        self.until
    }

    /// Whether both ends are open.
    pub fn is_all(self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    #[inline(always)]
    pub fn contains(self, time: Micros) -> bool {
        self.since.is_none_or(|since| time >= since) && self.until.is_none_or(|until| time < until)
    }
}

/// `2026-11-02T10:00:00.000001Z`, or the number when out of chrono's range.
fn format_utc(micros: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| micros.to_string())
}

/// A time as users type it: RFC 3339 (`2026-11-02T10:00:00Z`, any offset), the same
/// without an offset (UTC), ALB's own layout, a date (`2026-11-02`, midnight UTC) or an
/// age before `now` (`2h`, `-2h`, `30m`, `1d 12h`).
pub fn parse_user_time(text: &str, now: Micros) -> Result<Micros, TimeError> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Some(t) = parse_timestamp(text.as_bytes()) {
        return Ok(t);
    }
    // A time without an offset is UTC, as every time albmtls shows is.
    for layout in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, layout) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_micros());
    }
    // An age, `2h`, also written as an offset from now, `-2h`.
    let age = text.strip_prefix('-').unwrap_or(text);
    if let Ok(age) = humantime::parse_duration(age) {
        let age = Micros::try_from(age.as_micros()).map_err(|_| TimeError::OutOfRange(text.to_owned()))?;
        return now.checked_sub(age).ok_or_else(|| TimeError::OutOfRange(text.to_owned()));
    }
    Err(TimeError::NotATime(text.to_owned()))
}

/// A duration as users type it: `30s`, `5m`, `2h`, `14d`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, TimeError> {
    humantime::parse_duration(text.trim()).map_err(|_| TimeError::NotADuration(text.to_owned()))
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the layout ALB writes.
const ALB_LAYOUT_LEN: usize = 27;

/// The first 19 bytes of a timestamp in ALB's layout (`YYYY-MM-DDTHH:MM:SS`), as two
/// overlapping words so that comparing them takes two compares.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SecondText(u128, u32);

impl SecondText {
    fn of(text: &[u8; ALB_LAYOUT_LEN]) -> SecondText {
        let head: [u8; 16] = text[..16].try_into().expect("16 of 27 bytes");
        let tail: [u8; 4] = text[15..19].try_into().expect("4 of 27 bytes");
        SecondText(u128::from_le_bytes(head), u32::from_le_bytes(tail))
    }
}

/// The microseconds of `.ffffffZ` at the end of a timestamp in ALB's layout, read as
/// one word: `None` unless it is a dot, six digits and a `Z`.
fn six_digit_fraction(text: &[u8; ALB_LAYOUT_LEN]) -> Option<i64> {
    let word = u64::from_le_bytes(text[19..].try_into().expect("8 of 27 bytes"));
    if word & 0xff != u64::from(b'.') || word >> 56 != u64::from(b'Z') {
        return None;
    }
    // Shifted up a byte, the `Z` falls off and the six digits are on top.
    top_digits_value(word << 8, 6).map(i64::from)
}

/// Seconds since the epoch and the microseconds within the second.
fn parse_in_full(text: &[u8]) -> Option<(i64, i64)> {
    let (date, rest) = text.split_at_checked(10)?;
    let days = days_from_date(date.try_into().ok()?)?;
    // rest = "THH:MM:SS" [".f+"] "Z"
    if rest.len() < 10 || rest[0] != b'T' || rest[3] != b':' || rest[6] != b':' || *rest.last()? != b'Z' {
        return None;
    }
    let hour = two_digits(&rest[1..3])?;
    let minute = two_digits(&rest[4..6])?;
    let second = two_digits(&rest[7..9])?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let fraction = &rest[9..rest.len() - 1];
    let micros = match fraction {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.len() <= 9 => {
            let mut value: i64 = 0;
            for (i, &d) in digits.iter().enumerate() {
                if !d.is_ascii_digit() {
                    return None;
                }
                if i < 6 {
                    value = value * 10 + i64::from(d - b'0');
                }
            }
            value * 10_i64.pow(6u32.saturating_sub(digits.len() as u32))
        }
        _ => return None,
    };
    let seconds = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some((seconds, micros))
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// Days since 1970-01-01 for `YYYY-MM-DD`, rejecting impossible dates. A log file's
/// lines nearly all share one date, so the last date converted on this thread is kept
/// for the lines of a quiet load balancer, whose seconds rarely repeat.
fn days_from_date(date: &[u8; 10]) -> Option<i64> {
    thread_local! {
        static LAST_DATE: Cell<Option<([u8; 10], i64)>> = const { Cell::new(None) };
    }
    if let Some((text, days)) = LAST_DATE.get()
        && text == *date
    {
        return Some(days);
    }
    let days = convert_date(date)?;
    LAST_DATE.set(Some((*date, days)));
    Some(days)
}

fn convert_date(date: &[u8; 10]) -> Option<i64> {
    if date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let year = i64::from(two_digits(&date[0..2])? * 100 + two_digits(&date[2..4])?);
    let month = two_digits(&date[5..7])?;
    let day = two_digits(&date[8..10])?;
    let date = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(i64::from(date.num_days_from_ce()) - DAYS_FROM_CE_TO_UNIX_EPOCH)
}

/// `NaiveDate::from_ymd(1970, 1, 1).num_days_from_ce()`.
const DAYS_FROM_CE_TO_UNIX_EPOCH: i64 = 719_163;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_forms_users_type() {
        let now = parse_timestamp(b"2026-11-02T12:00:00Z").unwrap();
        let at = |s: &str| parse_user_time(s, now).unwrap();
        assert_eq!(at("2026-11-02T10:00:00Z"), now - 2 * 3_600_000_000);
        assert_eq!(at("2026-11-02T12:00:00+02:00"), at("2026-11-02T10:00:00Z"));
        assert_eq!(at("2026-11-02T10:00:00.000001Z"), at("2026-11-02T10:00:00Z") + 1);
        assert_eq!(at("2h"), at("2026-11-02T10:00:00Z"));
        assert_eq!(at("1d"), at("2026-11-01T12:00:00Z"));
        assert_eq!(at("2026-11-02"), at("2026-11-02T00:00:00Z"));
        assert_eq!(at("-2h"), at("2h"));
        assert_eq!(at("2026-11-02T05:00:00"), at("2026-11-02T05:00:00Z"), "no offset: UTC");
        assert_eq!(at("2026-11-02T05:00:00.5"), at("2026-11-02T05:00:00.5Z"));
        assert_eq!(at("2026-11-02T05:00"), at("2026-11-02T05:00:00Z"));
        assert!(parse_user_time("yesterday", now).unwrap_err().to_string().contains("RFC 3339"));
        assert_eq!(parse_user_time("99999999999d", now), Err(TimeError::OutOfRange("99999999999d".to_owned())));
    }

    #[test]
    fn a_range_must_not_be_empty() {
        let t = |s: &str| parse_timestamp(s.as_bytes());
        let range = TimeRange::new(t("2026-11-02T10:00:00Z"), t("2026-11-02T11:00:00Z")).unwrap();
        assert!(range.contains(t("2026-11-02T10:00:00Z").unwrap()) && !range.contains(t("2026-11-02T11:00:00Z").unwrap()));
        assert_eq!(
            TimeRange::new(t("2026-11-02T10:00:00Z"), t("2026-11-02T10:00:00Z")).unwrap_err().to_string(),
            "the time range is empty: since (2026-11-02T10:00:00Z) must be earlier than until (2026-11-02T10:00:00Z)"
        );
        assert!(TimeRange::new(None, t("2026-11-02T10:00:00Z")).is_ok() && TimeRange::ALL.is_all());
    }

    #[test]
    fn durations_users_type() {
        assert_eq!(parse_duration("30s"), Ok(std::time::Duration::from_secs(30)));
        assert_eq!(parse_duration("1h 30m"), Ok(std::time::Duration::from_secs(5400)));
        assert_eq!(parse_duration("14d"), Ok(std::time::Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("soon").unwrap_err().to_string().contains("30s, 5m"));
    }

    #[test]
    fn parses_alb_timestamps_to_micros() {
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:01.5Z"), Some(1_500_000));
        // 2023-10-04T17:05:15.514108Z = 1696439115 s (date -u -d ... +%s)
        assert_eq!(parse_timestamp(b"2023-10-04T17:05:15.514108Z"), Some(1_696_439_115_514_108));
        assert_eq!(parse_timestamp(b"2024-02-29T23:59:59.999999999Z"), Some(1_709_251_199_999_999));
    }

    #[test]
    fn the_remembered_second_never_stands_in_for_another() {
        let second = parse_timestamp(b"2026-11-01T00:30:00.000001Z").unwrap() - 1;
        assert_eq!(parse_timestamp(b"2026-11-01T00:30:00.999999Z"), Some(second + 999_999));
        assert_eq!(parse_timestamp(b"2026-11-01T00:30:00.120456Z"), Some(second + 120_456));
        for bad in [
            &b"2026-11-01T00:30:00.12a456Z"[..],
            b"2026-11-01T00:30:00.123456X",
            b"2026-11-01T00:30:00,123456Z",
            b"2026-11-01T00:30:00.12/456Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_timestamp(b"2026-11-01T00:30:00.1234567Z"), Some(second + 123_456));
        assert_eq!(parse_timestamp(b"2026-11-01T00:30:01.000000Z"), Some(second + MICROS_PER_SECOND));
        assert_eq!(parse_timestamp(b"2026-11-02T00:30:01.000000Z"), Some(second + (86_400 + 1) * MICROS_PER_SECOND));
        assert_eq!(parse_timestamp(b"2026-11-01T00:30:00.000000Z"), Some(second));
    }

    proptest::proptest! {
        /// Timestamps that share their second with the one before, as a busy log's do,
        /// some with a byte changed: the remembered second gives what a full parse does.
        #[test]
        fn the_remembered_second_gives_what_a_full_parse_gives(
            steps in proptest::collection::vec((0u32..3, 0u32..1_000_000, proptest::option::of((0usize..27, proptest::prelude::any::<u8>()))), 1..60),
        ) {
            for (second, fraction, change) in steps {
                let mut text = format!("2026-11-01T00:30:0{second}.{fraction:06}Z").into_bytes();
                if let Some((at, byte)) = change {
                    text[at] = byte;
                }
                let full = parse_in_full(&text).map(|(seconds, micros)| seconds * MICROS_PER_SECOND + micros);
                proptest::prop_assert_eq!(parse_timestamp(&text), full, "{}", String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn leap_days_are_checked_whatever_came_before() {
        let leap_day = parse_timestamp(b"2024-02-29T00:00:00Z").unwrap();
        assert_eq!(parse_timestamp(b"2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_timestamp(b"2024-02-29T00:00:01Z"), Some(leap_day + MICROS_PER_SECOND));
        assert_eq!(parse_timestamp(b"2024-03-01T00:00:00Z"), Some(leap_day + 86_400 * MICROS_PER_SECOND));
        assert_eq!(parse_timestamp(b"2024-02-29T00:00:00Z"), Some(leap_day));
    }

    #[test]
    fn rejects_impossible_or_malformed_timestamps() {
        for bad in [
            &b"2023-02-29T00:00:00Z"[..],
            b"2023-13-01T00:00:00Z",
            b"2023-10-04 17:05:15Z",
            b"2023-10-04T17:05:15",
            b"2023-10-04T24:00:00Z",
            b"2023-10-04T17:05:15.Z",
            b"2023-10-04T17:05:15.12a4Z",
            b"",
            b"-",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
