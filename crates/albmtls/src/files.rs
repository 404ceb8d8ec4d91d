//! Reading whole small inputs (certificates, CRLs, headers) and writing output files
//! atomically, so an interrupted run never leaves a partial file behind.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

/// Temporary files being written, removed if the user interrupts the run.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On Ctrl-C (or SIGTERM), deletes unfinished temporary outputs and exits with 130, so
/// an interrupted nightly job leaves neither a partial report nor a stray temp file.
pub fn remove_unfinished_outputs_on_interrupt() {
    let installed = ctrlc::set_handler(|| {
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

/// Reads a file, or stdin for `-`; returns its display name and bytes.
pub fn read_all(path: &Path) -> Result<(String, Vec<u8>)> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).context("reading stdin")?;
        return Ok(("<stdin>".to_owned(), bytes));
    }
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read it; check the path and its permissions"))?;
    Ok((name, bytes))
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
