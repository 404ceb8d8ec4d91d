//! Opening and looking at many files of one folder without resolving the folder's path
//! for each file.
//!
//! A path under ALB's key layout has ten components, and the kernel looks up every one
//! of them on each `open` and `stat`: for 30,000 small files that was a twentieth of a
//! run's CPU time. Files are listed and read folder by folder, so the folder last used is
//! kept open and each file is reached from it by its name alone.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags};

/// The folder the last file was opened or looked at in, kept open, for one pass over a
/// listing: made anew for each pass, so that a folder replaced between two passes of a
/// followed run is looked up again.
///
/// Whatever fails through the folder (it could not be opened, a file in it not found) is
/// done again by the file's whole path, so errors, and files that appeared behind a
/// folder replaced during the pass, are those of a plain `open` or `stat`.
#[derive(Debug, Default)]
pub struct Folders {
    last: Option<(PathBuf, Option<OwnedFd>)>,
}

/// What [`Folders::look`] finds out about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLook {
    pub device: u64,
    pub inode: u64,
    /// Bytes, as stored.
    pub size: u64,
}

impl Folders {
    /// Opens the file `path` names for reading, following symbolic links.
    pub fn open(&mut self, path: &Path) -> io::Result<File> {
        if let Some((folder, name)) = self.folder_and_name(path)
            && let Ok(file) = rustix::fs::openat(folder, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        {
            return Ok(File::from(file));
        }
        File::open(path)
    }

    /// The device, inode and size of the file `path` names, following symbolic links.
    pub fn look(&mut self, path: &Path) -> io::Result<FileLook> {
        if let Some((folder, name)) = self.folder_and_name(path)
            && let Ok(stat) = rustix::fs::statat(folder, name, AtFlags::empty())
        {
            return Ok(FileLook { device: stat.st_dev, inode: stat.st_ino, size: u64::try_from(stat.st_size).unwrap_or(0) });
        }
        let meta = std::fs::metadata(path)?;
        Ok(FileLook { device: meta.dev(), inode: meta.ino(), size: meta.len() })
    }

    /// The open folder of `path` and the file's name in it: the path cut at its last `/`,
    /// which the kernel resolves as it would the whole path (cut as bytes: `Path::parent`
    /// parses components on every call). `None` for a path with no folder part or no name
    /// after it, or whose folder cannot be opened.
    fn folder_and_name<'p>(&mut self, path: &'p Path) -> Option<(&OwnedFd, &'p OsStr)> {
        let bytes = path.as_os_str().as_bytes();
        let cut = memchr::memrchr(b'/', bytes)?;
        let (folder, name) = (&bytes[..cut], &bytes[cut + 1..]);
        if folder.is_empty() || name.is_empty() {
            return None;
        }
        // Consecutive files of a walk name their folder the same way.
        if self.last.as_ref().is_none_or(|(last, _)| last.as_os_str().as_bytes() != folder) {
            let folder = Path::new(OsStr::from_bytes(folder));
            let opened = rustix::fs::open(folder, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok();
            self.last = Some((folder.to_path_buf(), opened));
        }
        let (_, opened) = self.last.as_ref()?;
        Some((opened.as_ref()?, OsStr::from_bytes(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files of one folder, then another, then the first again; through `..`, `.`, `//`
    /// and links: each opens the file its path names and looks like it.
    #[test]
    fn files_opened_and_looked_at_through_their_folder_are_those_their_paths_name() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("one.log"), b"1").unwrap();
        std::fs::write(a.join("two.log"), b"22").unwrap();
        std::fs::write(b.join("three.log"), b"333").unwrap();
        std::os::unix::fs::symlink(a.join("two.log"), b.join("link.log")).unwrap();
        std::os::unix::fs::symlink("../a/one.log", b.join("relative-link.log")).unwrap();
        let paths = [
            a.join("one.log"),
            a.join("two.log"),
            b.join("three.log"),
            b.join("link.log"),
            b.join("relative-link.log"),
            b.join("../a/two.log"),
            a.join("./one.log"),
            PathBuf::from(format!("{}//two.log", a.display())),
            a.join("one.log"),
        ];
        let mut folders = Folders::default();
        for path in &paths {
            let meta = std::fs::metadata(path).unwrap();
            let look = folders.look(path).unwrap();
            assert_eq!(look, FileLook { device: meta.dev(), inode: meta.ino(), size: meta.len() }, "{}", path.display());
            let content = io::read_to_string(folders.open(path).unwrap()).unwrap();
            assert_eq!(content, std::fs::read_to_string(path).unwrap(), "{}", path.display());
        }
    }

    /// Errors are those of the whole path: a missing file, a missing folder, a dangling
    /// link, a folder that is a file.
    #[test]
    fn what_cannot_be_opened_fails_as_its_whole_path_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling")).unwrap();
        let mut folders = Folders::default();
        for path in [dir.path().join("missing"), dir.path().join("no/such"), dir.path().join("dangling"), dir.path().join("file/inside")] {
            let expected = File::open(&path).unwrap_err().kind();
            assert_eq!(folders.open(&path).unwrap_err().kind(), expected, "{}", path.display());
            assert_eq!(folders.look(&path).unwrap_err().kind(), std::fs::metadata(&path).unwrap_err().kind(), "{}", path.display());
        }
    }

    /// A folder replaced after its files were opened: a file that only the new folder
    /// holds is still found, by its whole path.
    #[test]
    fn a_file_behind_a_folder_replaced_during_the_pass_is_found_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("day");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("first.log"), b"old").unwrap();
        let mut folders = Folders::default();
        assert_eq!(io::read_to_string(folders.open(&folder.join("first.log")).unwrap()).unwrap(), "old");
        std::fs::rename(&folder, dir.path().join("moved")).unwrap();
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("second.log"), b"new").unwrap();
        assert_eq!(io::read_to_string(folders.open(&folder.join("second.log")).unwrap()).unwrap(), "new");
        assert_eq!(folders.look(&folder.join("second.log")).unwrap().size, 3);
    }
}
