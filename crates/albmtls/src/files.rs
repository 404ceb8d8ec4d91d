//! Reading whole small inputs (certificates, CRLs, headers) and writing output files
//! atomically, so an interrupted run never leaves a partial file behind.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};

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
    let mut buffered = std::io::BufWriter::new(temp.as_file_mut());
    write(&mut buffered).and_then(|()| buffered.flush()).with_context(|| format!("writing {}", path.display()))?;
    drop(buffered);
    temp.persist(path).with_context(|| format!("{}: cannot move the finished file into place", path.display()))?;
    Ok(())
}
