//! Local inputs for albmtls: files, directories and stdin, turned into streams of whole
//! lines with gzip (every member) decoded; a large local gzip file can be inflated on
//! several threads at once ([`parallel`]).
//!
//! This crate owns *where local bytes come from and how they are decoded*. It must not
//! tokenize, filter or aggregate records, and it never talks to S3 (`albmtls-s3` does;
//! the engine in `albmtls-scan` runs S3 objects through the same [`decode`]). Which
//! files are connection logs is decided by `albmtls_parse::keys`.

pub mod chunks;
mod folders;
mod gzip;
mod inflate;
pub mod input;
pub mod parallel;

use std::io;
use std::path::{Path, PathBuf};

pub use chunks::{CHUNK_SIZE, Chunk, ChunkError, Chunks, MAX_LINE, chunks_in_run, read_chunks, spawn_chunks};
pub use folders::{FileLook, Folders};
pub use input::{Encoding, Expansion, FoundInput, LocalInput, decode, expand_paths, expand_paths_in_batches, sort_largest_first};
pub use parallel::{ParallelGzip, worth_parallel};

/// Why an input could not be listed, opened or read. Displayed as `<input>: <problem>`;
/// [`SourceError::problem`] gives the second part alone, for reports that show the input
/// in a column of its own.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    Open { path: PathBuf, source: io::Error },
    SymlinkLoop { path: PathBuf, ancestor: PathBuf },
    Read { name: String, decoded_bytes: u64, source: io::Error },
    UnsupportedCompression { name: String, format: &'static str },
}

impl SourceError {
    fn from_walk(root: &Path, err: walkdir::Error) -> SourceError {
        let path = err.path().unwrap_or(root).to_path_buf();
        if let Some(ancestor) = err.loop_ancestor() {
            return SourceError::SymlinkLoop { path, ancestor: ancestor.to_path_buf() };
        }
        let source = err.into_io_error().unwrap_or_else(|| io::Error::other("directory walk failed"));
        SourceError::Open { path, source }
    }

    /// The input the error is about, as messages name it.
    pub fn input(&self) -> String {
        match self {
            SourceError::Open { path, .. } | SourceError::SymlinkLoop { path, .. } => path.display().to_string(),
            SourceError::Read { name, .. } | SourceError::UnsupportedCompression { name, .. } => name.clone(),
        }
    }

    /// What went wrong and what to do about it, without the input's name.
    pub fn problem(&self) -> String {
        match self {
            SourceError::Open { source, .. } => format!("cannot open: {source}{}", hint(source)),
            SourceError::SymlinkLoop { ancestor, .. } => {
                format!("symbolic link loop (it points back to {}): remove the link or name a path inside it", ancestor.display())
            }
            SourceError::Read { decoded_bytes, source, .. } => format!("read failed after {decoded_bytes} decoded bytes: {source}"),
            SourceError::UnsupportedCompression { format, .. } => format!(
                "{format}-compressed data is not supported; ALB writes gzip: decompress it first (e.g. `{format} -dc`) and pass the result on stdin with `-`"
            ),
        }
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input(), self.problem())
    }
}

fn hint(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::NotFound => " (check the path)",
        io::ErrorKind::PermissionDenied => " (check the file's permissions or run as a user that can read it)",
        _ => "",
    }
}

/// `fill_buf`, retried when a signal interrupts it.
pub(crate) fn fill_buf<R: io::BufRead>(input: &mut R) -> io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // Re-borrowed here to end the loop's borrow (a known borrow-checker limit).
            Ok(_) => return input.fill_buf(),
            Err(err) => return Err(err),
        }
    }
}
