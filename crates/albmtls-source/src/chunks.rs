//! Reading a decoded stream as blocks of whole lines, on the caller's thread or on a
//! thread of its own.
//!
//! With more inputs than cores, each worker decodes and tokenizes its input on one
//! thread ([`read_chunks`]): a block is tokenized while it is still in the core's cache,
//! and no core switches between a decoder and a tokenizer. A single large file would
//! then use one core, so the last inputs of a run are decoded ahead on a reader thread
//! ([`spawn_chunks`]) into a few recycled buffers while the caller tokenizes. Either way
//! memory stays at `(IN_FLIGHT + 1) × CHUNK_SIZE` per input however large the file.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use memchr::{memchr, memrchr};

/// Target size of one block of lines.
pub const CHUNK_SIZE: usize = 256 * 1024;
/// Blocks decoded ahead of the consumer.
const IN_FLIGHT: usize = 3;
/// Lines longer than this are skipped and counted, never buffered.
pub use albmtls_parse::MAX_LINE;

/// Whole lines (each ending in `\n`, except possibly the last line of the input).
pub struct Chunk {
    /// A recycled buffer: only its first `len` bytes belong to this chunk. Its length is
    /// kept when it goes back to the reader, so refilling it needs no zeroing.
    data: Vec<u8>,
    len: usize,
    /// Lines cut out of this chunk because they exceeded [`MAX_LINE`], and whose place
    /// in the line count is just before this chunk's first line.
    pub overlong_lines_before: u64,
    recycle: SyncSender<Vec<u8>>,
}

impl Chunk {
    pub fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // The reader may already be gone; then the buffer is simply freed.
        let _ = self.recycle.try_send(std::mem::take(&mut self.data));
    }
}

/// What ended the stream early.
#[derive(Debug)]
pub struct ChunkError {
    /// Decoded bytes delivered (in whole lines) before the failure.
    pub decoded_bytes: u64,
    /// Bytes of an incomplete last line that were dropped because of the failure.
    pub dropped_partial_line: usize,
    pub source: io::Error,
}

/// A stream of line blocks; it ends after the first error.
pub struct Chunks {
    source: Source,
}

enum Source {
    /// Decoded on demand by the caller's thread.
    Inline { state: BlockReader, recycle_tx: SyncSender<Vec<u8>>, recycle_rx: Receiver<Vec<u8>> },
    /// Decoded ahead on a background thread. Dropping the stream stops and joins the
    /// thread, so no reader outlives the input it was reading.
    Threaded { blocks: Option<Receiver<Result<Chunk, ChunkError>>>, reader: Option<thread::JoinHandle<()>> },
}

impl Iterator for Chunks {
    type Item = Result<Chunk, ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Inline { state, recycle_tx, recycle_rx } => state.next_block(recycle_tx, recycle_rx).transpose(),
            Source::Threaded { blocks, .. } => blocks.as_ref()?.recv().ok(),
        }
    }
}

impl Drop for Chunks {
    fn drop(&mut self) {
        match &mut self.source {
            Source::Inline { recycle_rx, .. } => {
                if let Ok(buffer) = recycle_rx.try_recv() {
                    SPARE_BLOCK_BUFFER.set(buffer);
                }
            }
            Source::Threaded { blocks, reader } => {
                // Closing the channel first wakes a reader blocked on a full channel; it
                // then stops at its next block.
                drop(blocks.take());
                if let Some(reader) = reader.take() {
                    let _ = reader.join();
                }
            }
        }
    }
}

thread_local! {
    /// The block buffer of the last input this thread read inline, for its next input.
    /// A new buffer is zeroed and faulted in page by page: with thousands of small files
    /// that cost more CPU than some of the files took to read.
    static SPARE_BLOCK_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads one of a run's inputs the cheapest way that keeps every core busy: on the
/// calling thread while the other workers have inputs of their own, else, when
/// `cores_would_idle`, decoding ahead on a reader thread. Fails only when the OS refuses
/// a new thread.
pub fn chunks_in_run(reader: Box<dyn Read + Send>, cores_would_idle: bool) -> io::Result<Chunks> {
    if cores_would_idle { spawn_chunks(reader) } else { Ok(read_chunks(reader)) }
}

/// Reads `reader` on the calling thread, one block per call to `next`.
pub fn read_chunks(reader: Box<dyn Read + Send>) -> Chunks {
    let (recycle_tx, recycle_rx) = sync_channel(1);
    Chunks { source: Source::Inline { state: BlockReader::new(reader), recycle_tx, recycle_rx } }
}

/// Starts reading `reader` on its own thread. Dropping the iterator stops the reader
/// at its next block and waits for it. Fails only when the OS refuses a new thread.
pub fn spawn_chunks(reader: Box<dyn Read + Send>) -> io::Result<Chunks> {
    let (blocks_tx, blocks) = sync_channel(IN_FLIGHT);
    let (recycle_tx, recycle_rx) = sync_channel(IN_FLIGHT + 2);
    let handle =
        thread::Builder::new().name("albmtls-decode".into()).spawn(move || read_blocks(reader, &blocks_tx, &recycle_tx, &recycle_rx))?;
    Ok(Chunks { source: Source::Threaded { blocks: Some(blocks), reader: Some(handle) } })
}

fn read_blocks(
    reader: Box<dyn Read + Send>,
    blocks: &SyncSender<Result<Chunk, ChunkError>>,
    recycle_tx: &SyncSender<Vec<u8>>,
    recycle_rx: &Receiver<Vec<u8>>,
) {
    let mut state = BlockReader::new(reader);
    loop {
        let item = match state.next_block(recycle_tx, recycle_rx) {
            Ok(Some(chunk)) => Ok(chunk),
            Ok(None) => return,
            Err(err) => Err(err),
        };
        let failed = item.is_err();
        if blocks.send(item).is_err() || failed {
            return;
        }
    }
}

struct BlockReader {
    reader: Box<dyn Read + Send>,
    /// Bytes read after the last newline of the previous block.
    carry: Vec<u8>,
    delivered: u64,
    /// Skipping the rest of an overlong line until its newline.
    skipping: bool,
    overlong: u64,
    /// A read error to report after the lines read before it were delivered.
    pending_error: Option<ChunkError>,
    done: bool,
}

impl BlockReader {
    fn new(reader: Box<dyn Read + Send>) -> BlockReader {
        BlockReader { reader, carry: Vec::new(), delivered: 0, skipping: false, overlong: 0, pending_error: None, done: false }
    }

    fn next_block(&mut self, recycle_tx: &SyncSender<Vec<u8>>, recycle_rx: &Receiver<Vec<u8>>) -> Result<Option<Chunk>, ChunkError> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        if self.done {
            return Ok(None);
        }
        // `buf[..filled]` is the block so far; the bytes after it are left over from the
        // buffer's last use and are only ever overwritten by reads.
        let mut buf = recycle_rx.try_recv().unwrap_or_else(|_| SPARE_BLOCK_BUFFER.take());
        if buf.len() < self.carry.len() {
            buf.resize(self.carry.len(), 0);
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        // The buffer always starts at a line start. Until a newline is seen, the first
        // line is still growing: `scanned` bytes of it are known to hold no newline.
        let mut scanned = 0;
        let mut newline_seen = false;
        loop {
            let start = filled;
            let end = start.max(CHUNK_SIZE) + CHUNK_SIZE;
            if buf.len() < end {
                buf.resize(end, 0);
            }
            let read = loop {
                match self.reader.read(&mut buf[start..end]) {
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let read = match read {
                Ok(read) => read,
                Err(source) => {
                    self.done = true;
                    let keep = if self.skipping { 0 } else { memrchr(b'\n', &buf[..filled]).map_or(0, |i| i + 1) };
                    let error = ChunkError { decoded_bytes: self.delivered + keep as u64, dropped_partial_line: filled - keep, source };
                    if keep == 0 {
                        return Err(error);
                    }
                    self.pending_error = Some(error);
                    return Ok(Some(self.finish(buf, keep, recycle_tx)));
                }
            };
            filled = start + read;
            if self.skipping {
                match memchr(b'\n', &buf[..filled]) {
                    Some(i) => {
                        buf.copy_within(i + 1..filled, 0);
                        filled -= i + 1;
                        self.skipping = false;
                        scanned = 0;
                    }
                    None => filled = 0,
                }
            }
            while !newline_seen && !self.skipping {
                match memchr(b'\n', &buf[scanned..filled]) {
                    Some(i) if scanned + i > MAX_LINE => {
                        let next_line = scanned + i + 1;
                        buf.copy_within(next_line..filled, 0);
                        filled -= next_line;
                        self.overlong += 1;
                        scanned = 0;
                    }
                    Some(_) => newline_seen = true,
                    None if filled > MAX_LINE => {
                        filled = 0;
                        self.overlong += 1;
                        self.skipping = true;
                        scanned = 0;
                    }
                    None => {
                        scanned = filled;
                        break;
                    }
                }
            }
            if read == 0 {
                self.done = true;
                return Ok((filled > 0).then(|| self.finish(buf, filled, recycle_tx)));
            }
            if newline_seen
                && filled >= CHUNK_SIZE
                && let Some(last_newline) = memrchr(b'\n', &buf[..filled])
            {
                self.carry.extend_from_slice(&buf[last_newline + 1..filled]);
                return Ok(Some(self.finish(buf, last_newline + 1, recycle_tx)));
            }
        }
    }

    /// Hands out the first `len` bytes of `data` as a chunk.
    fn finish(&mut self, data: Vec<u8>, len: usize, recycle: &SyncSender<Vec<u8>>) -> Chunk {
        self.delivered += len as u64;
        Chunk { data, len, overlong_lines_before: std::mem::take(&mut self.overlong), recycle: recycle.clone() }
    }
}
