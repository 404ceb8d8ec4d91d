//! Turning the paths of a run into the inputs to read, in the order to read them.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use albmtls_parse::keys::{LogFileKind, SkippedFiles};
use albmtls_s3::{OutsideTimeRange, S3Client, S3Input, S3Location, S3Object, S3Stats};
use albmtls_source::{Expansion, FileLook, Folders, FoundInput, LocalInput, SourceError, expand_paths_in_batches, sort_largest_first};
use chrono::{DateTime, NaiveDate};

use crate::options::ScanOptions;

/// One thing to read: a local file or stdin, or an S3 object already downloading.
pub(crate) struct Input {
    pub source: Source,
    /// Read it only if its content shows a connection log (a file whose name says
    /// nothing, found under a directory or prefix).
    pub content_check: bool,
    /// Bytes as stored (compressed), when the listing knows them: how long the input
    /// will take to read, roughly.
    pub size: Option<u64>,
}

pub(crate) enum Source {
    Local(LocalInput),
    S3(S3Input),
}

impl Input {
    pub(crate) fn display_name(&self) -> String {
        match &self.source {
            Source::Local(local) => local.display_name(),
            Source::S3(object) => object.display_name(),
        }
    }

    /// Opens the input's bytes, a local file through `folders`.
    pub(crate) fn open(self, folders: &mut Folders) -> Result<Box<dyn Read + Send>, SourceError> {
        match self.source {
            Source::Local(local) => local.open(folders),
            Source::S3(object) => Ok(object.into_parts().1),
        }
    }

    /// The input as a followed run asks for it again.
    pub(crate) fn to_unread(&self, name: &str) -> Unread {
        match &self.source {
            Source::Local(_) => Unread::Local(name.to_owned()),
            Source::S3(object) => Unread::S3(object.object().clone()),
        }
    }
}

/// An input whose read failed before any of its content was read (it could not be
/// opened, or its first bytes not fetched): a followed run reads it again next poll.
#[derive(Debug, Clone)]
pub(crate) enum Unread {
    /// A local file, by the name it was listed under: the next walk finds it again.
    Local(String),
    /// An S3 object: requested again even when its day folder is no longer listed.
    S3(S3Object),
}

impl Unread {
    /// The name the input was read under.
    pub(crate) fn name(&self) -> String {
        match self {
            Unread::Local(name) => name.clone(),
            Unread::S3(object) => object.url(),
        }
    }
}

/// The S3 client of a run: connected when the first `s3://` path is listed, then kept.
/// A followed run keeps it for every poll, so that credentials from a
/// credential_process or STS are fetched once (and again only when they expire), not
/// every poll.
#[derive(Default)]
pub(crate) struct S3Connection(Option<Result<S3Client, String>>);

impl S3Connection {
    fn connect(&mut self, options: &ScanOptions) -> Result<&S3Client, String> {
        match self.0.get_or_insert_with(|| S3Client::connect(options.s3.clone()).map_err(|e| e.to_string())) {
            Ok(client) => Ok(&*client),
            Err(err) => Err(err.clone()),
        }
    }

    fn client(&self) -> Option<&S3Client> {
        self.0.as_ref().and_then(|connected| connected.as_ref().ok())
    }
}

/// What the paths of a run expand to.
pub(crate) struct Listed {
    /// Each input with its place in the listing, in the order they are to be read.
    pub inputs: Vec<(usize, Input)>,
    pub skipped: SkippedFiles,
    pub errors: Vec<ListingError>,
    pub s3_stats: Option<Arc<S3Stats>>,
    /// Connection-log inputs the paths name, before sharding (with those whose content
    /// will decide).
    pub listed: usize,
    /// S3 objects the listings left out because the time range cannot hold them.
    pub outside_time_range: OutsideTimeRange,
}

/// A path that could not be listed or opened at all; the run goes on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingError {
    /// The path or URL, as given.
    pub input: String,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl std::fmt::Display for ListingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input, self.message)
    }
}

/// What makes two inputs the same, whatever paths named them: a local file by its device
/// and inode (named twice, through a folder and a folder inside it, `..`, a symbolic or a
/// hard link, it is one file with one content), an S3 object by bucket and key.
#[derive(PartialEq, Eq, Hash)]
enum Identity {
    Stdin,
    File {
        device: u64,
        inode: u64,
    },
    /// A file that could not be looked at, by the path that named it: opening it will
    /// tell why.
    Unlooked(PathBuf),
    Object(String, String),
    /// A skipped S3 object, by its URL.
    SkippedObject(String),
}

/// A file's identity, and its size when it could be looked at.
struct Looked {
    identity: Identity,
    size: Option<u64>,
}

/// One `stat`, following a symbolic link to the file it names, gives both the identity
/// and the size that orders the inputs: no path is resolved to a canonical one nor
/// hashed.
fn look(path: &Path, folders: &mut Folders) -> Looked {
    match folders.look(path) {
        Ok(FileLook { device, inode, size }) => Looked { identity: Identity::File { device, inode }, size: Some(size) },
        Err(_) => Looked { identity: Identity::Unlooked(path.to_path_buf()), size: None },
    }
}

/// Files looked at per task of [`expand_and_look`].
const LOOK_CHUNK: usize = 512;

/// Expands one path and looks at every input it names (a system call per file, most of
/// a listing's time for 30,000 files) on `pool`, whose workers are idle until the listing
/// ends: each batch the walk finds is looked at while the walk goes on. The inputs come
/// back in the walk's order, each with what was seen of it.
fn expand_and_look(path: &Path, pool: &rayon::ThreadPool) -> (Vec<(FoundInput, Looked)>, Expansion) {
    let (sender, receiver) = std::sync::mpsc::channel();
    let expansion = pool.in_place_scope(|scope| {
        let mut batches = 0;
        expand_paths_in_batches(std::slice::from_ref(&path.to_path_buf()), LOOK_CHUNK, |batch| {
            let (sender, at) = (sender.clone(), batches);
            batches += 1;
            scope.spawn(move |_| {
                let mut folders = Folders::default();
                let looked: Vec<Looked> = batch.iter().map(|found| look_found(found, &mut folders)).collect();
                // The receiver is read only once the scope has ended.
                sender.send((at, batch, looked)).expect("the receiver outlives the scope");
            });
        })
    });
    drop(sender);
    let mut batches: Vec<(usize, Vec<FoundInput>, Vec<Looked>)> = receiver.into_iter().collect();
    batches.sort_unstable_by_key(|(at, ..)| *at);
    let inputs = batches.into_iter().flat_map(|(_, batch, looked)| batch.into_iter().zip(looked)).collect();
    (inputs, expansion)
}

fn look_found(found: &FoundInput, folders: &mut Folders) -> Looked {
    match &found.input {
        LocalInput::Stdin => Looked { identity: Identity::Stdin, size: None },
        LocalInput::File(path) => look(path, folders),
    }
}

/// Which of the inputs a listing finds are read this time. A single run reads them all;
/// a followed run lists the same paths again and again and reads only what is new.
pub(crate) trait Selection {
    /// S3 day folders before this day are not listed (on top of the filter's time range).
    fn first_folder(&self) -> Option<NaiveDate> {
        None
    }
    fn keep_local(&mut self, _input: &LocalInput) -> bool {
        true
    }
    fn keep_s3(&mut self, _object: &S3Object) -> bool {
        true
    }
    /// Whether a file that is not a connection log by its name is counted as skipped.
    fn keep_skipped(&mut self, _name: &str) -> bool {
        true
    }
    /// S3 objects to read whatever the listing finds (reads that failed before).
    fn read_again(&mut self) -> Vec<S3Object> {
        Vec::new()
    }
}

/// Every input, once: a single run.
pub(crate) struct Everything;

impl Selection for Everything {}

/// Expands local paths and lists `s3://` prefixes, keeps what `selection` selects and
/// this shard's share, orders the inputs (largest first unless `keep_listing_order`),
/// and starts S3 downloads in that order (they run ahead of the workers, bounded by the
/// S3 concurrency), on `s3`'s client. Local files are looked at on `pool`.
pub(crate) fn list_inputs(
    options: &ScanOptions,
    keep_listing_order: bool,
    selection: &mut dyn Selection,
    s3: &mut S3Connection,
    pool: &rayon::ThreadPool,
) -> Listed {
    enum Pending {
        /// A local input and its size.
        Local(FoundInput, Option<u64>),
        S3(S3Object),
    }
    impl Pending {
        /// Size as stored, the best guess before reading at how long an input takes.
        fn size(&self) -> Option<u64> {
            match self {
                Pending::Local(_, size) => *size,
                Pending::S3(object) => Some(object.size),
            }
        }
    }
    let since = options.filter.time.since().and_then(DateTime::from_timestamp_micros);
    let first_folder = selection.first_folder();
    let until = options.filter.time.until().and_then(DateTime::from_timestamp_micros);
    let mut pending = Vec::new();
    let mut skipped: Vec<(String, LogFileKind)> = Vec::new();
    let mut errors = Vec::new();
    // What each location's listing left out by time, by bucket and prefix.
    let mut outside: Vec<(String, String, OutsideTimeRange)> = Vec::new();
    // Overlapping paths (a folder and a folder inside it, a file named twice) must not
    // count an input twice: each is read once, where it is first listed.
    let mut seen: HashSet<Identity> = HashSet::new();
    for path in &options.paths {
        let text = path.to_string_lossy();
        if !text.starts_with("s3://") {
            let (looked, expansion) = expand_and_look(path, pool);
            seen.reserve(looked.len());
            for (found, Looked { identity, size }) in looked {
                if seen.insert(identity) && selection.keep_local(&found.input) {
                    pending.push(Pending::Local(found, size));
                }
            }
            let mut folders = Folders::default();
            for (path, kind) in expansion.skipped {
                if seen.insert(look(&path, &mut folders).identity) {
                    skipped.push((path.display().to_string(), kind));
                }
            }
            errors.extend(expansion.errors.iter().map(|e| ListingError { input: e.input(), message: e.problem() }));
            continue;
        }
        let location = match S3Location::parse(&text) {
            Ok(location) => location,
            Err(err) => {
                let message = err.to_string();
                let message = message.strip_prefix(&format!("{text}: ")).map(str::to_owned).unwrap_or(message);
                errors.push(ListingError { input: text.into_owned(), message });
                continue;
            }
        };
        let listing = s3
            .connect(options)
            .and_then(|client| client.list_folders_from(&location, since, until, first_folder).map_err(|e| e.to_string()));
        match listing {
            Ok(listing) => {
                tracing::info!(%location, objects = listing.objects.len(), outside_time_range = listing.outside_time_range.objects, "listed");
                outside.push((location.bucket().to_owned(), location.prefix().to_owned(), listing.outside_time_range));
                for object in listing.objects {
                    if seen.insert(Identity::Object(object.bucket.clone(), object.key.clone())) && selection.keep_s3(&object) {
                        pending.push(Pending::S3(object));
                    }
                }
                for (url, kind) in listing.skipped {
                    if seen.insert(Identity::SkippedObject(url.clone())) {
                        skipped.push((url, kind));
                    }
                }
            }
            Err(err) => errors.push(ListingError { input: location.to_string(), message: err }),
        }
    }
    for object in selection.read_again() {
        if seen.insert(Identity::Object(object.bucket.clone(), object.key.clone())) && selection.keep_s3(&object) {
            pending.push(Pending::S3(object));
        }
    }

    let listed = pending.len();
    let in_shard = |name: &dyn Fn() -> String| options.shard.is_none_or(|shard| shard.includes(&name()));
    let mut skipped_files = SkippedFiles::default();
    for (name, kind) in &skipped {
        if in_shard(&|| name.clone()) && selection.keep_skipped(name) {
            skipped_files.count(*kind);
        }
    }
    pending.retain(|p| match p {
        Pending::Local(found, _) => in_shard(&|| found.input.display_name()),
        Pending::S3(object) => in_shard(&|| object.url()),
    });
    // Sizes are already known, so the sort's O(n log n) key reads make no system calls
    // (a local file's size comes from the `stat` of the duplicate check above).
    let mut pending: Vec<(usize, Pending)> = pending.into_iter().enumerate().collect();
    if !keep_listing_order {
        sort_largest_first(&mut pending, |(_, p)| p.size());
    }
    let s3_objects: Vec<S3Object> = pending
        .iter()
        .filter_map(|(_, p)| match p {
            Pending::S3(object) => Some(object.clone()),
            Pending::Local(..) => None,
        })
        .collect();
    let s3_stats = s3.client().map(S3Client::stats);
    // open_all keeps the order it is given, so the S3 inputs slot back in one by one.
    let mut opened = match s3.client() {
        Some(client) if !s3_objects.is_empty() => client.open_all(s3_objects),
        _ => Vec::new(),
    }
    .into_iter();
    let inputs = pending
        .into_iter()
        .filter_map(|(index, p)| {
            let size = p.size();
            match p {
                Pending::Local(found, _) => {
                    Some((index, Input { source: Source::Local(found.input), content_check: found.content_check, size }))
                }
                Pending::S3(_) => opened.next().map(|object| {
                    let content_check = object.object().content_check;
                    (index, Input { source: Source::S3(object), content_check, size })
                }),
            }
        })
        .collect();
    Listed { inputs, skipped: skipped_files, errors, s3_stats, listed, outside_time_range: left_out_once(&outside) }
}

/// What the listings left out by time, each object once: a location inside another one
/// listed (or the same one given twice) adds nothing the outer listing did not see.
fn left_out_once(outside: &[(String, String, OutsideTimeRange)]) -> OutsideTimeRange {
    let mut total = OutsideTimeRange::default();
    for (i, (bucket, prefix, left_out)) in outside.iter().enumerate() {
        let covered = outside.iter().enumerate().any(|(j, (other_bucket, other_prefix, _))| {
            j != i && other_bucket == bucket && prefix.starts_with(other_prefix.as_str()) && (other_prefix != prefix || j < i)
        });
        if !covered {
            total.merge(left_out);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file named through `..`, a linked folder, a symbolic or a hard link is the file
    /// it names; a file that cannot be looked at is known by its path, and two such
    /// paths stay apart.
    #[test]
    fn a_file_named_through_links_and_dotdot_is_one_file_of_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("one.log"), b"1234").unwrap();
        std::fs::write(a.join("two.log"), b"12345678").unwrap();
        std::fs::write(b.join("three.log"), b"123").unwrap();
        std::os::unix::fs::symlink(a.join("two.log"), b.join("link.log")).unwrap();
        std::os::unix::fs::symlink(&a, dir.path().join("also-a")).unwrap();
        std::fs::hard_link(b.join("three.log"), a.join("hard.log")).unwrap();
        std::os::unix::fs::symlink(a.join("gone.log"), b.join("dangling.log")).unwrap();
        let identity = |path: PathBuf| look(&path, &mut Folders::default()).identity;
        let same = [
            (a.join("one.log"), b.join("../a/one.log")),
            (a.join("two.log"), b.join("link.log")),
            (a.join("two.log"), dir.path().join("also-a/two.log")),
            (b.join("three.log"), a.join("hard.log")),
        ];
        for (first, second) in same {
            assert!(identity(first.clone()) == identity(second.clone()), "{} is {}", first.display(), second.display());
        }
        let apart = [a.join("one.log"), a.join("two.log"), b.join("three.log"), a.join("missing.log"), b.join("dangling.log")];
        for (i, first) in apart.iter().enumerate() {
            for second in &apart[i + 1..] {
                assert!(identity(first.clone()) != identity(second.clone()), "{} is not {}", first.display(), second.display());
            }
        }
        assert!(identity(a.join("missing.log")) == Identity::Unlooked(a.join("missing.log")));
        for path in [a.join("one.log"), b.join("link.log"), a.join("hard.log"), b.join("dangling.log")] {
            assert_eq!(
                look(&path, &mut Folders::default()).size,
                std::fs::metadata(&path).ok().map(|meta| meta.len()),
                "{}",
                path.display()
            );
        }
    }

    /// The walk hands batches of [`LOOK_CHUNK`] files to the pool as it goes: the inputs
    /// come back in the walk's order, each with its own look, for batches that begin and
    /// end inside a folder.
    #[test]
    fn looking_at_files_while_walking_keeps_the_walks_order() {
        let dir = tempfile::tempdir().unwrap();
        for (folder, files) in [("a", 700), ("b", 5), ("c", 600)] {
            let folder = dir.path().join(folder);
            std::fs::create_dir_all(&folder).unwrap();
            for i in 0..files {
                std::fs::write(folder.join(format!("conn_log_{i:04}")), vec![b'x'; i % 97]).unwrap();
            }
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let (looked, expansion) = expand_and_look(dir.path(), &pool);
        assert!(expansion.inputs.is_empty() && expansion.errors.is_empty());
        let walked = albmtls_source::expand_paths(&[dir.path().to_path_buf()]).inputs;
        assert_eq!(walked.len(), 1305);
        assert_eq!(looked.len(), walked.len());
        for ((found, looked), walked) in looked.iter().zip(&walked) {
            assert_eq!(found, walked);
            let expected = look_found(walked, &mut Folders::default());
            assert!(looked.identity == expected.identity && looked.size == expected.size, "{:?}", found.input);
        }
    }
}
