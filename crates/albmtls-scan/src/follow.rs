//! Following paths that keep receiving logs (`--follow`): read what exists, then list the
//! same paths again every poll and read only the inputs not read before, each exactly
//! once, until told to stop or until a time limit.
//!
//! ALB writes a new object per node every five minutes and never rewrites one, so an S3
//! key is new or already read. A local file may still be growing (a download in
//! progress): it is read once it has stopped changing for a poll interval. On S3 only the
//! day folders that can still receive objects are listed after the first read: today's,
//! and yesterday's during the first hour of a day, when the last files of the day before
//! arrive. An input that could not be opened or fetched at all is not "read": it is tried
//! again every poll until it is (an S3 object even once its folder is no longer listed).
//! The S3 client, and so the credentials it got, serves every poll.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use albmtls_s3::S3Object;
use albmtls_source::LocalInput;
use chrono::{NaiveDate, Utc};

use crate::engine::{BlockSink, Progress, ScanOutcome, StartError, read_listed, worker_pool};
use crate::inputs::{S3Connection, Selection, Unread, list_inputs};
use crate::options::ScanOptions;

/// How long after midnight (UTC) yesterday's folder is still listed.
const LATE_DELIVERY: chrono::Duration = chrono::Duration::hours(1);
/// How often a wait between polls looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Time between the start of one listing and the next.
    pub poll: Duration,
    /// Stop after this long; `None` runs until `stop` is set.
    pub follow_for: Option<Duration>,
    /// Set from outside (a Ctrl-C handler) to end the run. The poll being read is read
    /// to its end, then one last poll reads what landed before the stop, so nothing is
    /// half counted and nothing that landed before it is left out.
    pub stop: Arc<AtomicBool>,
}

/// What one poll read.
pub struct Poll<S> {
    /// 0 for the read of what existed at the start, then 1, 2, …
    pub number: u64,
    /// Inputs read in this poll (new since the previous one, or tried again).
    pub inputs: usize,
    /// The inputs of this poll that could not be opened or fetched before any of their
    /// content was read, by name: the next poll reads them again, so their errors (in
    /// the sinks) may not be final.
    pub read_again: Vec<String>,
    pub outcome: ScanOutcome<S>,
}

/// Why a followed run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowEnd {
    /// The stop flag was set.
    Stopped,
    /// `follow_for` ran out.
    TimeUp,
    /// The caller asked to stop (its output failed).
    ByCaller,
}

/// Reads what the paths of `options` hold now, then every new input as it appears,
/// handing each poll's merged sinks to `on_poll`; `on_poll` returns `false` to stop.
pub fn follow_blocks<B: BlockSink>(
    options: &ScanOptions,
    follow: &FollowOptions,
    progress: &dyn Progress,
    new_sink: impl Fn() -> B + Sync,
    mut on_poll: impl FnMut(Poll<B>) -> bool,
) -> Result<FollowEnd, StartError> {
    let pool = worker_pool(options.threads)?;
    let started = Instant::now();
    let deadline = follow.follow_for.map(|limit| started + limit);
    let mut new_inputs = NewInputs::new(follow.poll);
    let mut s3 = S3Connection::default();
    let mut number = 0;
    let mut last_poll = false;
    loop {
        let poll_started = Instant::now();
        new_inputs.start_poll(number > 0);
        let listed = list_inputs(options, B::OUTPUT_FOLLOWS_LISTING, &mut new_inputs, &mut s3, &pool);
        let inputs = listed.inputs.len();
        tracing::info!(poll = number, inputs, waiting = new_inputs.growing.len(), "poll");
        let mut outcome = read_listed(&pool, options, listed, progress, &new_sink);
        let read_again = new_inputs.not_read(std::mem::take(&mut outcome.unread));
        if !on_poll(Poll { number, inputs, read_again, outcome }) {
            return Ok(FollowEnd::ByCaller);
        }
        if last_poll {
            return Ok(FollowEnd::Stopped);
        }
        let next = poll_started + follow.poll;
        loop {
            if follow.stop.load(Ordering::Relaxed) {
                last_poll = true;
                break;
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(FollowEnd::TimeUp);
            }
            if now >= next {
                break;
            }
            let until_next = next - now;
            let until_deadline = deadline.map_or(until_next, |deadline| deadline - now);
            std::thread::sleep(STOP_CHECK.min(until_next).min(until_deadline));
        }
        number += 1;
    }
}

/// A local file seen growing: its size and modification time at the last poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileState {
    len: u64,
    modified: SystemTime,
}

/// The [`Selection`] of a followed run: every input not read before, local files once
/// they have stopped growing.
struct NewInputs {
    /// S3 URLs and local paths read, and skipped files counted, so far.
    seen: HashSet<String>,
    /// S3 objects whose read failed before any of their content was read, to request
    /// again next poll.
    again: Vec<S3Object>,
    /// Local files seen but not yet read, because they were still changing.
    growing: HashMap<PathBuf, FileState>,
    /// A file unchanged for this long is complete.
    settle: Duration,
    /// When the current listing started.
    now: SystemTime,
    /// The first S3 day folder the current listing needs; `None` lists what the time
    /// filter allows.
    first_folder: Option<NaiveDate>,
}

impl NewInputs {
    fn new(settle: Duration) -> NewInputs {
        NewInputs { seen: HashSet::new(), again: Vec::new(), growing: HashMap::new(), settle, now: SystemTime::now(), first_folder: None }
    }

    /// Inputs of the last poll that were not read after all: they count as new again.
    /// Returns their names.
    fn not_read(&mut self, unread: Vec<Unread>) -> Vec<String> {
        unread
            .into_iter()
            .map(|input| {
                let name = input.name();
                self.seen.remove(&name);
                if let Unread::S3(object) = input {
                    self.again.push(object);
                }
                name
            })
            .collect()
    }

    /// Before each listing: the first reads everything the filter allows, later ones
    /// only the folders that can receive new objects.
    fn start_poll(&mut self, only_live_folders: bool) {
        self.now = SystemTime::now();
        self.first_folder = only_live_folders.then(|| live_folders_from(Utc::now()));
    }

    /// A local file is complete when it did not change since the previous poll, or was
    /// last written a poll interval ago or more.
    fn is_complete(&mut self, path: &PathBuf) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            // Reading it will report why it cannot be opened.
            return true;
        };
        let Ok(modified) = meta.modified() else { return true };
        let state = FileState { len: meta.len(), modified };
        let quiet = self.now.duration_since(modified).is_ok_and(|age| age >= self.settle);
        if quiet || self.growing.get(path) == Some(&state) {
            self.growing.remove(path);
            return true;
        }
        self.growing.insert(path.clone(), state);
        false
    }
}

impl Selection for NewInputs {
    fn first_folder(&self) -> Option<NaiveDate> {
        self.first_folder
    }

    fn keep_local(&mut self, input: &LocalInput) -> bool {
        let name = input.display_name();
        if self.seen.contains(&name) {
            return false;
        }
        if let LocalInput::File(path) = input
            && !self.is_complete(path)
        {
            return false;
        }
        self.seen.insert(name)
    }

    fn keep_s3(&mut self, object: &S3Object) -> bool {
        self.seen.insert(object.url())
    }

    fn keep_skipped(&mut self, name: &str) -> bool {
        self.seen.insert(name.to_owned())
    }

    fn read_again(&mut self) -> Vec<S3Object> {
        std::mem::take(&mut self.again)
    }
}

/// The first day folder that can still receive objects at `now`: today's, or
/// yesterday's while its last files may still be on their way.
fn live_folders_from(now: chrono::DateTime<Utc>) -> NaiveDate {
    (now - LATE_DELIVERY).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> chrono::DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn yesterdays_folder_is_listed_only_in_the_first_hour_of_a_day() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(live_folders_from(at("2026-12-04T00:10:00Z")), day(2026, 12, 3));
        assert_eq!(live_folders_from(at("2026-12-04T00:59:59Z")), day(2026, 12, 3));
        assert_eq!(live_folders_from(at("2026-12-04T01:00:00Z")), day(2026, 12, 4));
        assert_eq!(live_folders_from(at("2027-01-01T00:30:00Z")), day(2026, 12, 31));
    }

    #[test]
    fn an_input_is_selected_once_and_a_growing_file_once_it_is_quiet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn_log.log");
        std::fs::write(&path, b"first half").unwrap();
        let mut new = NewInputs::new(Duration::from_secs(3600));
        let input = LocalInput::File(path.clone());
        new.start_poll(false);
        assert!(!new.keep_local(&input), "a file written just now may still be growing");
        std::fs::write(&path, b"first half, second half").unwrap();
        new.start_poll(true);
        assert!(!new.keep_local(&input), "it changed since the last poll");
        new.start_poll(true);
        assert!(new.keep_local(&input), "unchanged for a poll: complete");
        new.start_poll(true);
        assert!(!new.keep_local(&input), "read once");

        let object = S3Object { bucket: "logs".into(), key: "a/conn_log.gz".into(), size: 1, content_check: false };
        assert!(new.keep_s3(&object));
        assert!(!new.keep_s3(&object));
        assert!(new.keep_skipped("s3://logs/a/access.log.gz"));
        assert!(!new.keep_skipped("s3://logs/a/access.log.gz"));
    }

    #[test]
    fn an_input_that_could_not_be_fetched_is_selected_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn_log.log");
        std::fs::write(&path, b"complete").unwrap();
        let mut new = NewInputs::new(Duration::ZERO);
        let local = LocalInput::File(path);
        let object = S3Object { bucket: "logs".into(), key: "old/folder/conn_log.gz".into(), size: 1, content_check: false };
        new.start_poll(false);
        assert!(new.keep_local(&local) && new.keep_s3(&object));
        let names = new.not_read(vec![Unread::Local(local.display_name()), Unread::S3(object.clone())]);
        assert_eq!(names, [local.display_name(), object.url()]);
        new.start_poll(true);
        assert_eq!(new.read_again(), std::slice::from_ref(&object), "requested again, whether or not its folder is listed");
        assert!(new.read_again().is_empty(), "once");
        assert!(new.keep_local(&local), "the next walk selects it again");
        assert!(new.keep_s3(&object));
        assert!(!new.keep_s3(&object), "read once it is read");
    }
}
