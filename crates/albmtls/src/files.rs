//! Reading whole small inputs (certificates, CRLs, headers) and writing output files
//! atomically, so an interrupted run never leaves a partial file behind.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

/// Temporary files being written, removed if the user interrupts the run.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On Ctrl-C (or SIGTERM), deletes unfinished temporary outputs and exits with 130, so
/// an interrupted nightly job leaves neither a partial report nor a stray temp file.
///
/// A followed run (`--follow`, which only Ctrl-C ends) passes its stop flag: the first
/// Ctrl-C sets it, and the run finishes the inputs it is reading, polls one last time
/// (for what landed before the Ctrl-C), shows its final result and exits 0; a second
/// Ctrl-C exits at once.
pub fn handle_interrupts(follow_stop: Option<Arc<AtomicBool>>) {
    let installed = ctrlc::set_handler(move || {
        if let Some(stop) = &follow_stop
            && !stop.swap(true, Ordering::SeqCst)
        {
            return;
        }
        for path in UNFINISHED.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = std::fs::remove_file(path);
        }
        std::process::exit(130);
    });
    if let Err(err) = installed {
        tracing::debug!("no interrupt handler: {err}");
    }
}

fn track(path: &Path, unfinished: bool) {
    let mut list = UNFINISHED.lock().unwrap_or_else(|p| p.into_inner());
    if unfinished {
        list.push(path.to_path_buf());
    } else {
        list.retain(|p| p != path);
    }
}

/// The most albmtls reads of an input it must hold whole: far above anything ALB
/// accepts, far below what would exhaust memory when someone hands it a hostile file.
#[derive(Debug, Clone, Copy)]
pub struct SizeLimit {
    pub bytes: u64,
    /// What ALB itself accepts, for the message.
    pub why: &'static str,
}

/// Certificates, keys, CSRs, CA bundles and captured requests.
pub const CERTIFICATES: SizeLimit =
    SizeLimit { bytes: 8 << 20, why: "ALB takes CA certificates of up to 16 KB, 25 per trust store, and headers of up to 16 KB" };
/// Certificate revocation lists.
pub const CRLS: SizeLimit = SizeLimit { bytes: 64 << 20, why: "ALB takes revocation lists of up to 50 MB" };
/// Partial files, which grow with the distinct clients and subjects of a shard.
pub const PARTIALS: SizeLimit = SizeLimit { bytes: 4 << 30, why: "a partial file holds one shard's distinct clients and subjects" };

/// Reads a file, or stdin for `-`, refusing more than `limit`; returns its display name
/// and bytes.
pub fn read_all(path: &Path, limit: SizeLimit) -> Result<(String, Vec<u8>)> {
    let (name, reader): (String, Box<dyn Read>) = if path.as_os_str() == "-" {
        ("<stdin>".to_owned(), Box::new(std::io::stdin()))
    } else {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).with_context(|| format!("{name}: cannot read it; check the path and its permissions"))?;
        // A file that says it is too large is refused before a byte of it is read.
        if file.metadata().is_ok_and(|meta| meta.is_file() && meta.len() > limit.bytes) {
            return Err(too_large(&name, limit));
        }
        (name, Box::new(file))
    };
    let bytes = read_limited(&name, reader, limit)?;
    Ok((name, bytes))
}

/// Reads `reader` to its end, refusing more than `limit`.
pub fn read_limited(name: &str, reader: impl Read, limit: SizeLimit) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit.bytes + 1).read_to_end(&mut bytes).with_context(|| format!("{name}: cannot read it"))?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large(name, limit));
    }
    Ok(bytes)
}

fn too_large(name: &str, limit: SizeLimit) -> anyhow::Error {
    anyhow::anyhow!(
        "{name}: larger than {} MiB, the most albmtls reads of such a file ({}); is it the right file?",
        limit.bytes >> 20,
        limit.why
    )
}

/// Writes `path` through a temporary file in the same directory, renamed into place
/// only once `write` succeeded.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".albmtls-")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file in {}", path.display(), dir.display()))?;
    let temp_path = temp.path().to_path_buf();
    track(&temp_path, true);
    let mut buffered = std::io::BufWriter::new(temp.as_file_mut());
    let written = write(&mut buffered).and_then(|()| buffered.flush()).with_context(|| format!("writing {}", path.display()));
    drop(buffered);
    // Temporary files are created private; a finished report is for reading (and
    // publishing), like any file the user would have written by redirecting stdout.
    let readable = std::fs::Permissions::from_mode(0o644);
    let result = written
        .and_then(|()| temp.as_file().set_permissions(readable).with_context(|| format!("setting permissions on {}", path.display())))
        .and_then(|()| {
            temp.persist(path).map(drop).with_context(|| format!("{}: cannot move the finished file into place", path.display()))
        });
    track(&temp_path, false);
    result
}
