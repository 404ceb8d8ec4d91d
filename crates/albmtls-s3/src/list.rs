//! Listing the connection-log objects under a location, pruned by date.

use std::sync::Arc;

use albmtls_parse::keys::{ConnLogName, LogFileKind, delivery_date, may_overlap};
use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::{S3Client, Shared};
use crate::error::Operation;
use crate::{S3Error, S3Location};

/// Day folders listed one by one, each with its own prefix, up to this many; a longer
/// (or open) range is listed as one run of keys from its first folder instead.
const MAX_DAY_PREFIXES: u64 = 400;

/// One object to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    /// Size in bytes when listed.
    pub size: u64,
}

impl S3Object {
    /// `s3://bucket/key`, the name used in messages.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// What a listing found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Connection logs that may hold entries in the time range, sorted by key.
    pub objects: Vec<S3Object>,
    /// Other files seen (access logs, health-check logs, test files), as `s3://` URLs,
    /// so a sharded run counts each in exactly one shard, as it does for local walks.
    pub skipped: Vec<(String, LogFileKind)>,
    /// Listed connection logs left out because their folder date or the end time in their
    /// name is outside the time range. Day folders outside it are not listed at all, so
    /// they count only when the range's own folders hold no connection log: then the
    /// first page of the location is listed as well, to tell a time range that matches
    /// nothing from a prefix that holds nothing.
    pub outside_time_range: OutsideTimeRange,
}

/// Connection logs a listing left out because the time range asked for cannot hold them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutsideTimeRange {
    /// How many.
    pub objects: u64,
    /// From the earliest start to the latest end of the five-minute intervals their
    /// names give (objects whose names do not follow ALB's layout have none).
    pub named_span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl OutsideTimeRange {
    fn add(&mut self, key: &str) {
        self.objects += 1;
        if let Some(name) = ConnLogName::parse(key) {
            self.add_span(name.interval());
        }
    }

    fn add_span(&mut self, (start, end): (DateTime<Utc>, DateTime<Utc>)) {
        self.named_span = Some(match self.named_span {
            Some((first, last)) => (first.min(start), last.max(end)),
            None => (start, end),
        });
    }

    /// Adds what another listing left out.
    pub fn merge(&mut self, other: &OutsideTimeRange) {
        self.objects += other.objects;
        if let Some(span) = other.named_span {
            self.add_span(span);
        }
    }
}

/// The time range as the folders and names can be pruned by: entries in `[since, until)`.
#[derive(Clone, Copy)]
struct Range {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// Day folders before this one are not listed, whatever `since` says.
    first_folder: Option<NaiveDate>,
}

impl Range {
    /// The first folder that can hold an entry at or after `since`: files are delivered
    /// after the entries they hold, so never into an earlier folder.
    fn first_day(self) -> Option<NaiveDate> {
        self.since.map(|s| s.date_naive()).max(self.first_folder)
    }

    /// The last folder to read: the day of the last instant before `until`, plus one,
    /// because a file covering the minutes before midnight is delivered the next day.
    fn last_day(self) -> Option<NaiveDate> {
        self.until.map(|u| (u - chrono::Duration::nanoseconds(1)).date_naive() + Days::new(1))
    }

    fn keeps_folder(self, key: &str) -> bool {
        delivery_date(key)
            .is_none_or(|day| self.first_day().is_none_or(|first| day >= first) && self.last_day().is_none_or(|last| day <= last))
    }
}

/// One ListObjectsV2 walk: everything under `prefix` after `start_after`, stopping at
/// the first key whose folder is after `stop_after`, or after the first page.
struct Walk {
    prefix: String,
    start_after: Option<String>,
    stop_after: Option<NaiveDate>,
    first_page_only: bool,
}

impl Walk {
    fn whole(location: &S3Location) -> Walk {
        Walk { prefix: location.prefix().to_owned(), start_after: None, stop_after: None, first_page_only: false }
    }
}

impl S3Client {
    /// Lists the connection logs under `location` that may hold entries in
    /// `[since, until)`, following continuation tokens.
    ///
    /// Access logs, health-check logs and test files are skipped (and counted). When the
    /// prefix is a region folder (`…/AWSLogs/<account>/elasticloadbalancing/<region>`),
    /// only the day folders from `since` to the day after `until` are listed; below any
    /// prefix, keys are also pruned by their folder date and by the end time in their name.
    /// Entries still need filtering by their own timestamps.
    pub fn list(&self, location: &S3Location, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Result<Listing, S3Error> {
        self.list_folders_from(location, since, until, None)
    }

    /// [`S3Client::list`], leaving out the day folders before `first_folder` as well: a
    /// followed run lists only the folders that can still receive objects. Unlike
    /// `since`, the floor does not prune keys by the time in their name, so a late object
    /// for an earlier period in a listed folder is still found.
    pub fn list_folders_from(
        &self,
        location: &S3Location,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        first_folder: Option<NaiveDate>,
    ) -> Result<Listing, S3Error> {
        let range = Range { since, until, first_folder };
        let walks = plan(location, range);
        let pruned_folders = walks.len() != 1 || walks[0].start_after.is_some() || walks[0].stop_after.is_some();
        let mut listing = Listing::default();
        for (key, size) in self.walk_all(location, walks)? {
            match LogFileKind::of_name(&key) {
                LogFileKind::Connection => {
                    if range.keeps_folder(&key) && may_overlap(&key, since, until) {
                        listing.objects.push(S3Object { bucket: location.bucket().to_owned(), key, size });
                    } else {
                        listing.outside_time_range.add(&key);
                    }
                }
                other => listing.skipped.push((format!("s3://{}/{key}", location.bucket()), other)),
            }
        }
        // The range's folders hold no connection log: one page of the whole location
        // says whether the time range or the prefix is wrong. A followed run's folder
        // floor is not a range the user asked for, and gets no such look.
        if pruned_folders && first_folder.is_none() && listing.objects.is_empty() && listing.outside_time_range.objects == 0 {
            let look = Walk { first_page_only: true, ..Walk::whole(location) };
            for (key, _) in self.walk_all(location, vec![look])? {
                if LogFileKind::of_name(&key) == LogFileKind::Connection {
                    listing.outside_time_range.add(&key);
                }
            }
        }
        listing.objects.sort_unstable();
        Ok(listing)
    }

    /// The keys (and sizes) the walks find, walked concurrently.
    fn walk_all(&self, location: &S3Location, walks: Vec<Walk>) -> Result<Vec<(String, u64)>, S3Error> {
        self.runtime.block_on(async {
            let mut tasks = JoinSet::new();
            let permits = Arc::new(Semaphore::new(self.shared.concurrency));
            for walk in walks {
                let shared = Arc::clone(&self.shared);
                let bucket = location.bucket().to_owned();
                let permits = Arc::clone(&permits);
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    list_walk(&shared, &bucket, &walk).await
                });
            }
            let mut keys = Vec::new();
            while let Some(done) = tasks.join_next().await {
                match done {
                    Ok(found) => keys.extend(found?),
                    Err(join) => match join.try_into_panic() {
                        Ok(panic) => std::panic::resume_unwind(panic),
                        Err(cancelled) => {
                            return Err(S3Error::Runtime(std::io::Error::other(cancelled)));
                        }
                    },
                }
            }
            Ok::<_, S3Error>(keys)
        })
    }
}

/// Which listings cover `location` for `range`.
fn plan(location: &S3Location, range: Range) -> Vec<Walk> {
    let whole = || Walk::whole(location);
    let Some(folder) = location.region_folder() else {
        return vec![whole()];
    };
    let day_prefix = |day: NaiveDate| format!("{folder}{}", day.format("%Y/%m/%d"));
    match (range.first_day(), range.last_day()) {
        (None, None) => vec![whole()],
        (Some(first), Some(last)) if last < first => Vec::new(),
        (Some(first), Some(last)) if last.signed_duration_since(first).num_days().unsigned_abs() < MAX_DAY_PREFIXES => first
            .iter_days()
            .take_while(|day| *day <= last)
            .map(|day| Walk { prefix: format!("{}/", day_prefix(day)), start_after: None, stop_after: None, first_page_only: false })
            .collect(),
        // "…/2024/02/07" sorts after every key of earlier folders and before every key in
        // that day's folder.
        (first, last) => {
            vec![Walk { prefix: folder.clone(), start_after: first.map(day_prefix), stop_after: last, first_page_only: false }]
        }
    }
}

async fn list_walk(shared: &Shared, bucket: &str, walk: &Walk) -> Result<Vec<(String, u64)>, S3Error> {
    let url = format!("s3://{bucket}/{}", walk.prefix);
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = shared
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&walk.prefix)
            .set_start_after(walk.start_after.clone())
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|err| shared.request(Operation::List, bucket, url.clone()).classify(err))?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if let Some(stop) = walk.stop_after
                && delivery_date(key).is_some_and(|day| day > stop)
            {
                return Ok(keys);
            }
            keys.push((key.to_owned(), object.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0)));
        }
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) && !walk.first_page_only => token = Some(next.to_owned()),
            _ => return Ok(keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    fn walks(url: &str, since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>) -> Vec<(String, Option<String>, Option<NaiveDate>)> {
        plan(&S3Location::parse(url).unwrap(), Range { since, until, first_folder: None })
            .into_iter()
            .map(|w| (w.prefix, w.start_after, w.stop_after))
            .collect()
    }

    const REGION: &str = "s3://b/p/AWSLogs/1/elasticloadbalancing/eu-west-1";

    fn days(got: &[(String, Option<String>, Option<NaiveDate>)]) -> Vec<&str> {
        got.iter().map(|w| w.0.strip_prefix("p/AWSLogs/1/elasticloadbalancing/eu-west-1/").unwrap()).collect()
    }

    #[test]
    fn a_closed_range_lists_its_day_folders_and_the_day_after() {
        let got = walks(REGION, t("2024-02-27T10:00:00Z"), t("2024-03-01T12:00:00Z"));
        assert_eq!(days(&got), ["2024/02/27/", "2024/02/28/", "2024/02/29/", "2024/03/01/", "2024/03/02/"]);
        assert!(got.iter().all(|w| w.1.is_none() && w.2.is_none()));
    }

    #[test]
    fn until_at_midnight_ends_the_range_the_day_before() {
        let got = walks(REGION, t("2024-02-07T00:00:00Z"), t("2024-02-08T00:00:00Z"));
        assert_eq!(days(&got), ["2024/02/07/", "2024/02/08/"]);
        assert!(walks(REGION, t("2024-02-08T00:00:00Z"), t("2024-02-07T00:00:00Z")).is_empty());
    }

    #[test]
    fn open_or_long_ranges_walk_from_the_first_folder() {
        let prefix = "p/AWSLogs/1/elasticloadbalancing/eu-west-1/".to_owned();
        assert_eq!(walks(REGION, t("2024-02-07T10:00:00Z"), None), [(prefix.clone(), Some(format!("{prefix}2024/02/07")), None)]);
        assert_eq!(walks(REGION, None, t("2024-02-07T10:00:00Z")), [(prefix.clone(), None, NaiveDate::from_ymd_opt(2024, 2, 8))]);
        assert_eq!(walks(REGION, t("2020-01-01T00:00:00Z"), t("2024-01-01T00:00:00Z")).len(), 1);
        assert_eq!(walks(REGION, None, None), [("p/AWSLogs/1/elasticloadbalancing/eu-west-1".to_owned(), None, None)]);
    }

    #[test]
    fn a_folder_floor_skips_earlier_day_folders_without_a_since() {
        let prefix = "p/AWSLogs/1/elasticloadbalancing/eu-west-1/".to_owned();
        let floor = NaiveDate::from_ymd_opt(2024, 2, 7);
        let got: Vec<_> = plan(&S3Location::parse(REGION).unwrap(), Range { since: None, until: None, first_folder: floor })
            .into_iter()
            .map(|w| (w.prefix, w.start_after))
            .collect();
        assert_eq!(got, [(prefix.clone(), Some(format!("{prefix}2024/02/07")))]);
        let later_since = Range { since: t("2024-02-09T10:00:00Z"), until: None, first_folder: floor };
        assert_eq!(later_since.first_day(), NaiveDate::from_ymd_opt(2024, 2, 9));
    }

    #[test]
    fn other_prefixes_are_listed_whole() {
        let got = walks("s3://b/p/AWSLogs/", t("2024-02-07T10:00:00Z"), t("2024-02-08T10:00:00Z"));
        assert_eq!(got, [("p/AWSLogs/".to_owned(), None, None)]);
    }
}
