//! Streaming objects into synchronous readers while they download.
//!
//! Each object gets a bounded channel of body chunks. A prefetch task starts downloads in
//! key order while fewer than `concurrency` objects are in flight; an object stays in
//! flight (holding its slot and at most [`CHANNEL_CHUNKS`] chunks) until its reader reaches
//! the end or is dropped. A reader read before the prefetcher reached it starts its own
//! download at once, so readers never wait for each other and memory stays bounded by
//! `concurrency` plus the number of reading threads.

use std::io::{self, Read};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Runtime;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::client::{S3Client, Shared};

use crate::error::Operation;
use crate::{S3Error, S3Object};

/// Body chunks buffered per object ahead of its reader.
const CHANNEL_CHUNKS: usize = 8;
/// Backoff before resuming a broken-off body: doubled per failure, capped.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An object ready to be read.
pub struct S3Input {
    object: S3Object,
    reader: S3ObjectReader,
}

impl S3Input {
    /// The object as listed.
    pub fn object(&self) -> &S3Object {
        &self.object
    }

    /// `s3://bucket/key`.
    pub fn display_name(&self) -> String {
        self.object.url()
    }

    /// The display name and the reader, as the processing pipeline takes its inputs.
    pub fn into_parts(self) -> (String, Box<dyn Read + Send>) {
        (self.object.url(), Box::new(self.reader))
    }

    /// The reader alone.
    pub fn into_reader(self) -> S3ObjectReader {
        self.reader
    }
}

/// The raw bytes of one object, as they arrive.
///
/// A failure is returned as an [`io::Error`] whose message names the object and which
/// wraps an [`S3Error`] (see [`io::Error::get_ref`]); the object is then finished, and
/// later reads return `Ok(0)`. Dropping the reader cancels its download.
///
/// Reads block: call them from ordinary threads (rayon workers are fine), never from an
/// async task.
pub struct S3ObjectReader {
    slot: Arc<Slot>,
    shared: Arc<Shared>,
    /// Keeps the download runtime alive as long as a reader may need it.
    _runtime: Arc<Runtime>,
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    started: bool,
    finished: bool,
}

/// What the channel carries: body chunks, then an empty chunk to mark the end (so a
/// download task that vanished is not mistaken for a complete object), or an error.
type Chunk = io::Result<Bytes>;

struct Slot {
    object: S3Object,
    state: Mutex<SlotState>,
}

enum SlotState {
    /// Not started; holds the sending end for the download task.
    Waiting(mpsc::Sender<Chunk>),
    /// Downloading or buffered, holding one of the client's slots unless started on demand.
    Running {
        _permit: Option<OwnedSemaphorePermit>,
    },
    Finished,
}

impl Slot {
    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_waiting(&self) -> bool {
        matches!(*self.state(), SlotState::Waiting(_))
    }

    /// Starts the download unless it started already or the reader is gone.
    fn start(&self, shared: &Arc<Shared>, permit: Option<OwnedSemaphorePermit>) {
        let mut state = self.state();
        match std::mem::replace(&mut *state, SlotState::Finished) {
            SlotState::Waiting(sender) => {
                *state = SlotState::Running { _permit: permit };
                shared.handle.spawn(download(Arc::clone(shared), self.object.clone(), sender));
            }
            other => *state = other,
        }
    }

    /// Frees the slot: drops the sender of a download never started, or the permit.
    fn finish(&self) {
        *self.state() = SlotState::Finished;
    }
}

impl S3Client {
    /// Prepares readers for `objects`, in the same order, and starts downloading them in
    /// that order, at most `concurrency` at once.
    ///
    /// Read the inputs in roughly that order (e.g. `into_iter().par_bridge()` or
    /// `into_par_iter()`) and read each to the end or drop it: an input that is neither
    /// keeps its slot.
    pub fn open_all(&self, objects: Vec<S3Object>) -> Vec<S3Input> {
        let mut slots = Vec::with_capacity(objects.len());
        let inputs = objects
            .into_iter()
            .map(|object| {
                let (sender, chunks) = mpsc::channel(CHANNEL_CHUNKS);
                let slot = Arc::new(Slot { object: object.clone(), state: Mutex::new(SlotState::Waiting(sender)) });
                slots.push(Arc::clone(&slot));
                let reader = S3ObjectReader {
                    slot,
                    shared: Arc::clone(&self.shared),
                    _runtime: Arc::clone(&self.runtime),
                    chunks,
                    current: Bytes::new(),
                    started: false,
                    finished: false,
                };
                S3Input { object, reader }
            })
            .collect();
        let shared = Arc::clone(&self.shared);
        self.runtime.spawn(async move {
            for slot in slots {
                if !slot.is_waiting() {
                    continue;
                }
                let Ok(permit) = Arc::clone(&shared.slots).acquire_owned().await else {
                    return;
                };
                slot.start(&shared, Some(permit));
            }
        });
        inputs
    }
}

impl Read for S3ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.current.is_empty() {
            if self.finished {
                return Ok(0);
            }
            if !self.started {
                self.started = true;
                self.slot.start(&self.shared, Arc::clone(&self.shared.slots).try_acquire_owned().ok());
            }
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) if chunk.is_empty() => self.finish(),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(err)) => {
                    self.finish();
                    return Err(err);
                }
                None => {
                    self.finish();
                    let stopped = S3Error::Interrupted {
                        url: self.slot.object.url(),
                        offset: 0,
                        attempts: 0,
                        detail: "the download stopped unexpectedly".to_owned(),
                    };
                    return Err(stopped.into_io());
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl S3ObjectReader {
    fn finish(&mut self) {
        self.finished = true;
        self.slot.finish();
    }
}

impl Drop for S3ObjectReader {
    fn drop(&mut self) {
        self.slot.finish();
    }
}

/// Why a download task ended early.
enum Stop {
    /// The reader was dropped: nobody to tell.
    ReaderGone,
    Failed(S3Error),
}

async fn download(shared: Arc<Shared>, object: S3Object, sender: mpsc::Sender<Chunk>) {
    match fetch(&shared, &object, &sender).await {
        Ok(()) => {
            shared.stats.objects_done.fetch_add(1, Ordering::Relaxed);
            let _ = sender.send(Ok(Bytes::new())).await;
        }
        Err(Stop::Failed(err)) => {
            shared.stats.objects_failed.fetch_add(1, Ordering::Relaxed);
            let _ = sender.send(Err(err.into_io())).await;
        }
        Err(Stop::ReaderGone) => {}
    }
}

/// Streams the object into `sender`, resuming with a `Range` request from the byte
/// already delivered when the body breaks off (the SDK retries the request itself).
async fn fetch(shared: &Shared, object: &S3Object, sender: &mpsc::Sender<Chunk>) -> Result<(), Stop> {
    let mut offset = 0u64;
    let mut e_tag: Option<String> = None;
    let mut failures = 0u32;
    loop {
        let mut request = shared.client.get_object().bucket(&object.bucket).key(&object.key);
        if offset > 0 {
            // If-Match: resume only the same version of the object.
            request = request.range(format!("bytes={offset}-")).set_if_match(e_tag.clone());
        }
        let response =
            request.send().await.map_err(|err| Stop::Failed(shared.request(Operation::Get, &object.bucket, object.url()).classify(err)))?;
        if e_tag.is_none() {
            e_tag = response.e_tag().map(str::to_owned);
        }
        let end = response.content_length().and_then(|n| u64::try_from(n).ok()).map(|n| offset + n);
        let mut body = response.body;
        let detail = loop {
            match body.next().await {
                Some(Ok(chunk)) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    offset += chunk.len() as u64;
                    shared.stats.bytes_downloaded.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    sender.send(Ok(chunk)).await.map_err(|_| Stop::ReaderGone)?;
                }
                Some(Err(err)) => break error_text(&err),
                None if end.is_none_or(|end| offset >= end) => return Ok(()),
                None => break "the connection closed before the end of the object".to_owned(),
            }
        };
        failures += 1;
        if failures >= shared.max_attempts {
            return Err(Stop::Failed(S3Error::Interrupted { url: object.url(), offset, attempts: failures, detail }));
        }
        shared.stats.resumed.fetch_add(1, Ordering::Relaxed);
        let backoff = FIRST_BACKOFF.saturating_mul(1 << (failures - 1).min(10)).min(MAX_BACKOFF);
        tokio::time::sleep(backoff).await;
    }
}

/// An error with its causes, `outer: inner: …`.
fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
