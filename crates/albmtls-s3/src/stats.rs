//! Download counters, shared by every download of a client and read for progress.

use std::sync::atomic::{AtomicU64, Ordering};

/// Download counters shared with the client; poll them for a progress display.
#[derive(Debug, Default)]
pub struct S3Stats {
    pub(crate) objects_done: AtomicU64,
    pub(crate) objects_failed: AtomicU64,
    pub(crate) bytes_downloaded: AtomicU64,
    pub(crate) resumed: AtomicU64,
}

impl S3Stats {
    /// Objects downloaded completely.
    pub fn objects_done(&self) -> u64 {
        self.objects_done.load(Ordering::Relaxed)
    }

    /// Objects whose download failed for good.
    pub fn objects_failed(&self) -> u64 {
        self.objects_failed.load(Ordering::Relaxed)
    }

    /// Body bytes received (compressed, as stored).
    pub fn bytes_downloaded(&self) -> u64 {
        self.bytes_downloaded.load(Ordering::Relaxed)
    }

    /// Downloads that broke off mid-body and were resumed with a ranged request.
    pub fn resumed(&self) -> u64 {
        self.resumed.load(Ordering::Relaxed)
    }
}
