//! Turning the paths a user names into inputs to read, and opening them as decoded
//! byte streams.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use crate::folders::Folders;
use crate::gzip::{self, MultiGzipReader};
use crate::{SourceError, fill_buf};
use albmtls_parse::keys::{Choice, LogFileKind};

/// Read buffer for files and for the gzip decoder's input.
const READ_BUFFER: usize = 256 * 1024;

/// One local thing to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LocalInput {
    Stdin,
    File(PathBuf),
}

impl LocalInput {
    /// How the input is named in messages.
    pub fn display_name(&self) -> String {
        match self {
            LocalInput::Stdin => "<stdin>".to_owned(),
            LocalInput::File(path) => path_text(path).into_owned(),
        }
    }

    /// Opens the raw (possibly compressed) bytes, a file through `folders`.
    pub fn open(&self, folders: &mut Folders) -> Result<Box<dyn Read + Send>, SourceError> {
        match self {
            LocalInput::Stdin => Ok(Box::new(io::stdin())),
            LocalInput::File(path) => folders
                .open(path)
                .map(|f| Box::new(f) as Box<dyn Read + Send>)
                .map_err(|source| SourceError::Open { path: path.clone(), source }),
        }
    }
}

/// A path as text, invalid UTF-8 replaced as `Path::display` does. Valid paths (nearly
/// all) take `str`'s check, which reads ASCII a word at a time; the lossy decoder reads a
/// byte at a time, and every input's name is made once per run.
fn path_text(path: &Path) -> Cow<'_, str> {
    path.to_str().map_or_else(|| path.to_string_lossy(), Cow::Borrowed)
}

/// Orders inputs for a run whose output does not follow the listing: largest first, so
/// that the run does not end with one core inflating a large file while the others wait
/// (a gzip stream is inflated by one thread). An unknown size (stdin) sorts first, so a
/// run never ends on a stream of unknown length. Stable: inputs of one size keep their
/// order.
pub fn sort_largest_first<T>(inputs: &mut [T], size: impl Fn(&T) -> Option<u64>) {
    inputs.sort_by_key(|input| std::cmp::Reverse(size(input).unwrap_or(u64::MAX)));
}

/// One input a path expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundInput {
    pub input: LocalInput,
    /// Read it only if its content shows a connection log (a file a directory walk found
    /// whose name says nothing, as in a vended delivery); `false` for files named as
    /// connection logs and for files named explicitly.
    pub content_check: bool,
}

/// The result of expanding the paths on a command line.
#[derive(Debug, Default)]
pub struct Expansion {
    /// What to read, in a stable order: each named path in turn, directory contents sorted.
    pub inputs: Vec<FoundInput>,
    /// Files a directory walk passed over because they are not connection logs.
    pub skipped: Vec<(PathBuf, LogFileKind)>,
    /// Paths that could not be listed; the rest of the run goes on without them.
    pub errors: Vec<SourceError>,
}

/// Expands files, directories (recursively, connection logs only: see
/// [`albmtls_parse::keys::choose`]) and `-` (stdin). A file named explicitly is always
/// read, whatever its name.
pub fn expand_paths(paths: &[PathBuf]) -> Expansion {
    let mut inputs = Vec::new();
    let mut expansion = expand_paths_in_batches(paths, usize::MAX, |batch| inputs.extend(batch));
    expansion.inputs = inputs;
    expansion
}

/// Expands paths as [`expand_paths`] does, handing the inputs to `found` in batches of up
/// to `batch_len`, in order, as the walk finds them: a caller can start on the first
/// files of a walk of thousands while it goes on. The expansion returned holds no inputs.
pub fn expand_paths_in_batches(paths: &[PathBuf], batch_len: usize, found: impl FnMut(Vec<FoundInput>)) -> Expansion {
    let mut expansion = Expansion::default();
    let mut batches = Batches { batch: Vec::new(), batch_len: batch_len.max(1), found };
    let named = |input| FoundInput { input, content_check: false };
    for path in paths {
        if path.as_os_str() == "-" {
            batches.push(named(LocalInput::Stdin));
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_directory(path, &mut batches, &mut expansion),
            Ok(_) => batches.push(named(LocalInput::File(path.clone()))),
            Err(source) => expansion.errors.push(SourceError::Open { path: path.clone(), source }),
        }
    }
    batches.flush();
    expansion
}

/// The inputs found and not yet handed over.
struct Batches<F> {
    batch: Vec<FoundInput>,
    batch_len: usize,
    found: F,
}

impl<F: FnMut(Vec<FoundInput>)> Batches<F> {
    fn push(&mut self, input: FoundInput) {
        self.batch.push(input);
        if self.batch.len() >= self.batch_len {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            (self.found)(std::mem::take(&mut self.batch));
        }
    }
}

fn walk_directory<F: FnMut(Vec<FoundInput>)>(root: &Path, batches: &mut Batches<F>, expansion: &mut Expansion) {
    // Siblings share their folder's path, so comparing whole paths orders them by name,
    // as `sort_by_file_name` does, without finding each name's start on every compare
    // (a fifth of the walk's time for folders of thousands of files).
    let walker = walkdir::WalkDir::new(root).follow_links(true).sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                expansion.errors.push(SourceError::from_walk(root, err));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let choice = albmtls_parse::keys::choose(&path_text(entry.path()));
        let path = entry.into_path();
        match choice {
            Choice::Read => batches.push(FoundInput { input: LocalInput::File(path), content_check: false }),
            Choice::ReadIfConnectionLog => batches.push(FoundInput { input: LocalInput::File(path), content_check: true }),
            Choice::Skip(kind) => expansion.skipped.push((path, kind)),
        }
    }
}

/// How the bytes of an input are encoded, judged by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Plain,
}

/// Wraps raw bytes in the right decoder: gzip (every member) when the data starts with
/// the gzip magic, as-is otherwise. Other compressions are refused by name, since
/// reading them as text would only produce malformed lines.
pub fn decode(name: &str, raw: Box<dyn Read + Send>) -> Result<(Encoding, Box<dyn Read + Send>), SourceError> {
    let mut buffered = ReusedBufReader::new(raw);
    let head = fill_buf(&mut buffered).map_err(|source| SourceError::Read { name: name.to_owned(), decoded_bytes: 0, source })?;
    if head.starts_with(&gzip::MAGIC) {
        return Ok((Encoding::Gzip, Box::new(MultiGzipReader::new(buffered))));
    }
    let other = [
        (&b"BZh"[..], "bzip2"),
        (&[0x28, 0xb5, 0x2f, 0xfd][..], "zstd"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00][..], "xz"),
        (&b"PK\x03\x04"[..], "zip"),
    ];
    if let Some((_, format)) = other.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Err(SourceError::UnsupportedCompression { name: name.to_owned(), format });
    }
    Ok((Encoding::Plain, Box::new(buffered)))
}

thread_local! {
    /// The read buffer of the last input this thread opened, for its next input.
    static SPARE_READ_BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A `BufReader` whose buffer a thread reuses from one input to the next: a new buffer
/// of [`READ_BUFFER`] bytes for each of 30,000 small files cost a sixteenth of the CPU
/// of reading them, in allocation alone.
struct ReusedBufReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// `buf[pos..filled]` is read and not yet consumed.
    pos: usize,
    filled: usize,
}

impl<R: Read> ReusedBufReader<R> {
    fn new(inner: R) -> ReusedBufReader<R> {
        let mut buf = SPARE_READ_BUFFER.take();
        buf.resize(READ_BUFFER, 0);
        ReusedBufReader { inner, buf, pos: 0, filled: 0 }
    }
}

impl<R: Read> Read for ReusedBufReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // Nothing buffered and a large read: straight into the caller's buffer.
        if self.pos == self.filled && out.len() >= self.buf.len() {
            return self.inner.read(out);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for ReusedBufReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            self.filled = self.inner.read(&mut self.buf)?;
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }
}

impl<R> Drop for ReusedBufReader<R> {
    fn drop(&mut self) {
        SPARE_READ_BUFFER.set(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    use super::*;

    #[test]
    fn a_paths_text_is_what_display_shows_for_valid_and_invalid_utf8() {
        let paths: [&[u8]; 4] = [b"logs/conn_log.gz", "logs/\u{e9}t\u{e9}/conn".as_bytes(), b"logs/\xff\xfe/conn", b"logs/a\xc3/\xe2\x82"];
        for bytes in paths {
            let path = Path::new(OsStr::from_bytes(bytes));
            assert_eq!(path_text(path), path.display().to_string(), "{bytes:?}");
        }
    }
}
