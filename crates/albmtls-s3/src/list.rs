//! Listing the connection-log objects under a location, pruned by date.

use std::sync::Arc;

use albmtls_parse::keys::{Choice, ConnLogName, LogFileKind, choose, delivery_date, may_overlap};
use chrono::{DateTime, Days, NaiveDate, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::{S3Client, Shared};
use crate::error::Operation;
use crate::location::{DayStyle, days_below};
use crate::{S3Error, S3Location};

/// Day folders listed one by one, each with its own prefix, up to this many; a longer
/// (or open) range is listed as one run of keys from its first folder instead.
const MAX_DAY_PREFIXES: u64 = 400;
/// How many folder levels below a location are looked at for day folders, when its name
/// does not say where they are (`MyLogPrefix/` above `<region>/2026/09/10/`, the classic
/// `prefix/` above `AWSLogs/<account>/elasticloadbalancing/<region>/`).
const MAX_FOLDER_DEPTH: usize = 6;
/// Folders of one level looked into, at most; a wider tree is listed whole below there.
const MAX_FOLDERS_PER_LEVEL: usize = 256;

/// One object to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
    /// Size in bytes when listed.
    pub size: u64,
    /// Read it only if its content shows a connection log: its key says nothing (a
    /// vended delivery's object). `false` for keys named as connection logs and for the
    /// key a location names exactly.
    pub content_check: bool,
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
    /// Connection logs that may hold entries in the time range, and objects whose content
    /// decides ([`S3Object::content_check`]), sorted by key.
    pub objects: Vec<S3Object>,
    /// Other files seen (access logs, health-check logs, test files), as `s3://` URLs,
    /// so a sharded run counts each in exactly one shard, as it does for local walks.
    pub skipped: Vec<(String, LogFileKind)>,
    /// Listed connection logs (and objects whose content would have decided) left out
    /// because their folder date or the end time in their name is outside the time
    /// range. Day folders outside it are not listed at all, so
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
    /// Of them, objects of a vended layout: their names say nothing, and their content,
    /// which would have told connection logs from the access and health-check logs
    /// delivered beside them, was not read.
    pub unchecked: u64,
    /// From the earliest start to the latest end of the five-minute intervals their
    /// names give (objects whose names do not follow ALB's layout have none).
    pub named_span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl OutsideTimeRange {
    fn add(&mut self, key: &str, content_check: bool) {
        self.objects += 1;
        self.unchecked += u64::from(content_check);
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
        self.unchecked += other.unchecked;
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

    /// Whether the range has both ends and few enough days to list each day folder on its own.
    fn is_short(self) -> bool {
        match (self.first_day(), self.last_day()) {
            (Some(first), Some(last)) => last.signed_duration_since(first).num_days().unsigned_abs() < MAX_DAY_PREFIXES,
            _ => false,
        }
    }

    /// Whether the range leaves out any day folder.
    fn prunes(self) -> bool {
        self.first_day().is_some() || self.last_day().is_some()
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

impl S3Client {
    /// Lists the connection logs under `location` that may hold entries in
    /// `[since, until)`, following continuation tokens.
    ///
    /// Keys are chosen by [`albmtls_parse::keys::choose`]: access logs, health-check logs
    /// and test files of the classic layout are skipped (and counted); objects of a
    /// vended layout are listed for their content to decide; the key the location names
    /// exactly is always listed. When a time range is given, only the day folders from
    /// `since` to the day after `until` are listed: below a region folder
    /// (`…/AWSLogs/<account>/elasticloadbalancing/<region>` or `…/region=<region>`) at
    /// once, below other prefixes once a few levels of folders have been looked at to
    /// find the day folders (`yyyy/mm/dd/` or Hive `year=…/month=…/day=…/`). Keys are
    /// also pruned by their folder date and by the end time in their name. Entries still
    /// need filtering by their own timestamps.
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
        let bucket = location.bucket().to_owned();
        let (walks, mut keys) = match location.day_folders_parent() {
            _ if !range.prunes() => (vec![Walk::whole(location.prefix())], Vec::new()),
            Some((folder, style)) => (plan(&folder, style, range), Vec::new()),
            None => self.runtime.block_on(find_day_folders(&self.shared, &bucket, location.prefix(), range))?,
        };
        keys.extend(self.walk_all(&bucket, walks)?);
        let mut listing = Listing::default();
        for (key, size) in keys {
            let content_check = match choice(location, &key) {
                Choice::Read => false,
                Choice::ReadIfConnectionLog => true,
                Choice::Skip(kind) => {
                    listing.skipped.push((format!("s3://{bucket}/{key}"), kind));
                    continue;
                }
            };
            if range.keeps_folder(&key) && may_overlap(&key, since, until) {
                listing.objects.push(S3Object { bucket: bucket.clone(), key, size, content_check });
            } else {
                listing.outside_time_range.add(&key, content_check);
            }
        }
        // Nothing listed is a connection log of the range's folders (files of no date
        // outside the day folders, such as notes beside the logs, say nothing): one page
        // of the whole location says whether the time range or the prefix is wrong. A
        // followed run's folder floor is not a range the user asked for, and gets no
        // such look.
        let found_in_range = listing.objects.iter().any(|object| !object.content_check || delivery_date(&object.key).is_some());
        if range.prunes() && first_folder.is_none() && !found_in_range && listing.outside_time_range.objects == 0 {
            let look = Walk { first_page_only: true, ..Walk::whole(location.prefix()) };
            for (key, _) in self.walk_all(&bucket, vec![look])? {
                let in_range = range.keeps_folder(&key) && may_overlap(&key, since, until);
                match choice(location, &key) {
                    Choice::Skip(_) => {}
                    _ if in_range => {}
                    Choice::Read => listing.outside_time_range.add(&key, false),
                    Choice::ReadIfConnectionLog => listing.outside_time_range.add(&key, true),
                }
            }
        }
        listing.objects.sort_unstable();
        Ok(listing)
    }

    /// The keys (and sizes) the walks find, walked concurrently.
    fn walk_all(&self, bucket: &str, walks: Vec<Walk>) -> Result<Vec<(String, u64)>, S3Error> {
        self.runtime.block_on(async {
            let mut keys = Vec::new();
            let mut tasks = JoinSet::new();
            let permits = Arc::new(Semaphore::new(self.shared.concurrency));
            for walk in walks {
                let shared = Arc::clone(&self.shared);
                let bucket = bucket.to_owned();
                let permits = Arc::clone(&permits);
                tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    list_walk(&shared, &bucket, &walk).await
                });
            }
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

/// How a listed key is chosen: the key a location names exactly is read, others as
/// [`choose`] says.
fn choice(location: &S3Location, key: &str) -> Choice {
    if key == location.prefix() { Choice::Read } else { choose(key) }
}

impl Walk {
    /// Everything under `prefix`.
    fn whole(prefix: &str) -> Walk {
        Walk { prefix: prefix.to_owned(), start_after: None, stop_after: None, first_page_only: false }
    }
}

/// Which listings cover `range` below `folder`, whose children are day folders in `style`.
fn plan(folder: &str, style: DayStyle, range: Range) -> Vec<Walk> {
    let day_prefix = |day: NaiveDate| format!("{folder}{}", style.day_path(day));
    match (range.first_day(), range.last_day()) {
        (None, None) => vec![Walk::whole(folder)],
        (Some(first), Some(last)) if last < first => Vec::new(),
        (Some(first), Some(last)) if range.is_short() => first
            .iter_days()
            .take_while(|day| *day <= last)
            .map(|day| Walk { prefix: format!("{}/", day_prefix(day)), start_after: None, stop_after: None, first_page_only: false })
            .collect(),
        // "…/2024/02/07" sorts after every key of earlier folders and before every key in
        // that day's folder (so does "…/year=2024/month=02/day=07").
        (first, last) => {
            vec![Walk { prefix: folder.to_owned(), start_after: first.map(day_prefix), stop_after: last, first_page_only: false }]
        }
    }
}

/// Which listings cover `range` in one year folder (`…/2026/` or `…/year=2026/`): none
/// when the year is outside it, else its days in the range.
fn plan_year(year_folder: &str, style: DayStyle, year: i32, range: Range) -> Vec<Walk> {
    let (Some(january), Some(december)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) else {
        return vec![Walk::whole(year_folder)];
    };
    let first = range.first_day().map_or(january, |day| day.max(january));
    let last = range.last_day().map_or(december, |day| day.min(december));
    if last < first {
        return Vec::new();
    }
    // Day paths are written from the folder above the year's.
    let parent = &year_folder[..year_folder.trim_end_matches('/').rfind('/').map_or(0, |i| i + 1)];
    let day_prefix = |day: NaiveDate| format!("{parent}{}", style.day_path(day));
    if range.is_short() {
        first
            .iter_days()
            .take_while(|day| *day <= last)
            .map(|day| Walk { prefix: format!("{}/", day_prefix(day)), start_after: None, stop_after: None, first_page_only: false })
            .collect()
    } else {
        vec![Walk {
            prefix: year_folder.to_owned(),
            start_after: (first > january).then(|| day_prefix(first)),
            stop_after: range.last_day(),
            first_page_only: false,
        }]
    }
}

/// Finds the day folders below `prefix` by listing its folders level by level (one
/// delimited listing per folder), and plans the listings of those in `range`. Returns
/// the walks and the keys seen directly in the folders looked at. A level wider than
/// [`MAX_FOLDERS_PER_LEVEL`], or deeper than [`MAX_FOLDER_DEPTH`], is listed whole.
async fn find_day_folders(shared: &Shared, bucket: &str, prefix: &str, range: Range) -> Result<(Vec<Walk>, Vec<(String, u64)>), S3Error> {
    let mut walks = Vec::new();
    let mut keys = Vec::new();
    let mut level = vec![prefix.to_owned()];
    for depth in 0..=MAX_FOLDER_DEPTH {
        if level.len() > MAX_FOLDERS_PER_LEVEL || depth == MAX_FOLDER_DEPTH {
            walks.extend(level.iter().map(|folder| Walk::whole(folder)));
            break;
        }
        let mut next = Vec::new();
        for folder in &level {
            let (files, children) = list_folder(shared, bucket, folder).await?;
            keys.extend(files);
            for child in children {
                let name = child.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
                if let Some((parent, style)) = days_below(&child) {
                    walks.extend(plan(&parent, style, range));
                } else if let Some((style, year)) = DayStyle::of_year_folder(name) {
                    walks.extend(plan_year(&child, style, year, range));
                } else {
                    next.push(child);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok((walks, keys))
}

/// One level of `folder`: the keys directly in it and its child folders (each with a
/// final `/`), following continuation tokens.
async fn list_folder(shared: &Shared, bucket: &str, folder: &str) -> Result<(Vec<(String, u64)>, Vec<String>), S3Error> {
    let url = format!("s3://{bucket}/{folder}");
    let (mut files, mut children) = (Vec::new(), Vec::new());
    let mut token: Option<String> = None;
    loop {
        let page = shared
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(folder)
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|err| shared.request(Operation::List, bucket, url.clone()).classify(err))?;
        for object in page.contents() {
            if let Some(key) = object.key() {
                files.push((key.to_owned(), object.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0)));
            }
        }
        children.extend(page.common_prefixes().iter().filter_map(|p| p.prefix()).map(str::to_owned));
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => return Ok((files, children)),
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
        walks_in(url, Range { since, until, first_folder: None })
    }

    fn walks_in(url: &str, range: Range) -> Vec<(String, Option<String>, Option<NaiveDate>)> {
        let (folder, style) = S3Location::parse(url).unwrap().day_folders_parent().unwrap();
        plan(&folder, style, range).into_iter().map(|w| (w.prefix, w.start_after, w.stop_after)).collect()
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
        assert_eq!(walks(REGION, None, None), [(prefix, None, None)]);
    }

    #[test]
    fn a_folder_floor_skips_earlier_day_folders_without_a_since() {
        let prefix = "p/AWSLogs/1/elasticloadbalancing/eu-west-1/".to_owned();
        let floor = NaiveDate::from_ymd_opt(2024, 2, 7);
        let got = walks_in(REGION, Range { since: None, until: None, first_folder: floor });
        assert_eq!(got, [(prefix.clone(), Some(format!("{prefix}2024/02/07")), None)]);
        let later_since = Range { since: t("2024-02-09T10:00:00Z"), until: None, first_folder: floor };
        assert_eq!(later_since.first_day(), NaiveDate::from_ymd_opt(2024, 2, 9));
    }

    #[test]
    fn hive_region_folders_list_their_days_by_name() {
        let hive = "s3://b/AWSLogs/aws-account-id=1/elasticloadbalancing/region=eu-west-1/";
        let got = walks(hive, t("2024-02-29T10:00:00Z"), t("2024-03-01T10:00:00Z"));
        let base = "AWSLogs/aws-account-id=1/elasticloadbalancing/region=eu-west-1/";
        let expected: Vec<String> =
            ["year=2024/month=02/day=29/", "year=2024/month=03/day=01/", "year=2024/month=03/day=02/"].map(|d| format!("{base}{d}")).into();
        assert_eq!(got.iter().map(|w| w.0.clone()).collect::<Vec<_>>(), expected);
        let open = walks(hive, t("2024-02-29T10:00:00Z"), None);
        assert_eq!(open, [(base.to_owned(), Some(format!("{base}year=2024/month=02/day=29")), None)]);
    }

    #[test]
    fn a_year_folder_outside_the_range_is_not_listed_and_one_inside_lists_its_days() {
        let range = Range { since: t("2024-12-31T10:00:00Z"), until: t("2025-01-01T10:00:00Z"), first_folder: None };
        let prefixes = |folder: &str, style, year| plan_year(folder, style, year, range).into_iter().map(|w| w.prefix).collect::<Vec<_>>();
        assert_eq!(prefixes("MyLogPrefix/us-east-1/2023/", DayStyle::Plain, 2023), Vec::<String>::new());
        assert_eq!(prefixes("MyLogPrefix/us-east-1/2024/", DayStyle::Plain, 2024), ["MyLogPrefix/us-east-1/2024/12/31/"]);
        assert_eq!(prefixes("p/year=2025/", DayStyle::Hive, 2025), ["p/year=2025/month=01/day=01/", "p/year=2025/month=01/day=02/"]);
        let open = Range { since: t("2024-06-01T00:00:00Z"), until: None, first_folder: None };
        let walks = plan_year("p/2024/", DayStyle::Plain, 2024, open);
        assert_eq!(walks.len(), 1);
        assert_eq!((walks[0].prefix.as_str(), walks[0].start_after.as_deref()), ("p/2024/", Some("p/2024/06/01")));
        let walks = plan_year("p/2025/", DayStyle::Plain, 2025, open);
        assert_eq!((walks[0].prefix.as_str(), walks[0].start_after.as_deref()), ("p/2025/", None));
    }
}
