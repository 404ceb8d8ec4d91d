//! Timestamps as ALB writes them (`2023-10-04T17:05:15.514108Z`) and as users type them.
//!
//! Times are carried as microseconds since the Unix epoch (UTC) in an `i64`: cheap to
//! compare, bucket and merge, and exact for the 6 fractional digits ALB writes.

use std::cell::Cell;

use chrono::Datelike;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const MICROS_PER_SECOND: Micros = 1_000_000;
pub const MICROS_PER_MINUTE: Micros = 60 * MICROS_PER_SECOND;

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` into microseconds (digits beyond the 6th are
/// dropped). Returns `None` for anything else, including impossible dates.
pub fn parse_timestamp(text: &[u8]) -> Option<Micros> {
    let (date, rest) = text.split_at_checked(10)?;
    let days = days_from_date(date)?;
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
    Some(seconds * MICROS_PER_SECOND + micros)
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// Days since 1970-01-01 for `YYYY-MM-DD`, rejecting impossible dates. A log file's
/// lines nearly all share one date, so the last date converted on this thread is kept.
fn days_from_date(date: &[u8]) -> Option<i64> {
    thread_local! {
        static LAST: Cell<Option<([u8; 10], i64)>> = const { Cell::new(None) };
    }
    let date: &[u8; 10] = date.try_into().ok()?;
    if let Some((text, days)) = LAST.get()
        && text == *date
    {
        return Some(days);
    }
    let days = convert_date(date)?;
    LAST.set(Some((*date, days)));
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
    fn parses_alb_timestamps_to_micros() {
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:01.5Z"), Some(1_500_000));
        // 2023-10-04T17:05:15.514108Z = 1696439115 s (date -u -d ... +%s)
        assert_eq!(parse_timestamp(b"2023-10-04T17:05:15.514108Z"), Some(1_696_439_115_514_108));
        assert_eq!(parse_timestamp(b"2024-02-29T23:59:59.999999999Z"), Some(1_709_251_199_999_999));
    }

    #[test]
    fn the_remembered_date_never_stands_in_for_another() {
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
