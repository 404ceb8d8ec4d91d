//! One large gzip file decoded on several threads.
//!
//! ALB writes a log file as many gzip members back to back, and a member decodes without
//! the ones before it. A file read alone would otherwise leave every core but one idle
//! while it is inflated, and inflating is most of the cost of a run. So the file is cut
//! into segments of about [`SEGMENT`] compressed bytes, each starting at bytes that look
//! like a member header; each segment is decoded on a thread of its own into a bounded
//! queue, and [`ParallelGzip`] hands the decoded bytes out in file order.
//!
//! Header bytes can also occur inside compressed data. A segment's start is therefore
//! trusted only once the segment before it ended there exactly, at a member boundary;
//! when it did not, or when a segment hits an error, reading goes on sequentially from
//! the last boundary known. The bytes and errors a caller sees are those of a sequential
//! read, member numbers in messages included. A file with no member header near its
//! first cut (few, large members) is not cut at all: [`ParallelGzip::open`] says so, and
//! the caller reads it as one stream.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::gzip::{FIXED_HEADER_LEN, MAGIC, MultiGzipReader, looks_like_member_start};

/// Compressed bytes per segment: at ALB's compression, five to ten times as many decoded.
pub const SEGMENT: u64 = 1 << 20;
/// Decoded bytes handed over at a time.
const BLOCK: usize = 256 * 1024;
/// Blocks a segment may hold decoded ahead of the reader (8 MiB): a whole [`SEGMENT`] at
/// ordinary compression, so that decoders rarely wait, while a file that compresses far
/// better (or a gzip bomb) holds no more than that per segment in memory.
const BLOCKS_AHEAD: usize = 32;
/// How far past a segment's planned end a member header is looked for, in segments: a
/// file of few, large members (one `gzip` wrote, say) is then read as one stream after a
/// short search, not searched to its end first.
const SEARCH_SEGMENTS: u64 = 8;
/// Compressed bytes read at a time while looking for a member header.
const SEARCH_WINDOW: usize = 64 * 1024;
/// Buffer of each decoder's compressed input.
const READ_BUFFER: usize = 256 * 1024;

/// Whether a file of `size` compressed bytes is worth decoding in parallel: it spans
/// several segments.
pub fn worth_parallel(size: u64) -> bool {
    size >= 4 * SEGMENT
}

/// The decoded bytes of a gzip file, in order, inflated by `threads` threads.
pub struct ParallelGzip {
    path: PathBuf,
    size: u64,
    segment: u64,
    /// Segments handed to the decoders and not yet read, in file order.
    queued: VecDeque<Queued>,
    /// Where the next segment to queue starts; `None` once the last one is queued.
    next_start: Option<u64>,
    /// Segments kept queued at most (as many as the job queue holds, so that queueing
    /// never waits).
    ahead: usize,
    /// Members in the segments already read.
    members: u64,
    /// Decoded bytes taken from the front segment so far.
    taken_from_front: u64,
    block: Vec<u8>,
    offset: usize,
    /// Once the parallel path gives up (see the module doc): a sequential read from the
    /// last boundary known.
    sequential: Option<MultiGzipReader<BufReader<File>>>,
    jobs: Option<SyncSender<Job>>,
    recycle: Arc<Mutex<Vec<Vec<u8>>>>,
    decoders: Vec<thread::JoinHandle<()>>,
}

struct Queued {
    start: u64,
    blocks: Receiver<Decoded>,
}

/// One segment for a decoder.
struct Job {
    start: u64,
    /// Where the next segment starts (the file's size for the last one).
    stop: u64,
    blocks: SyncSender<Decoded>,
}

enum Decoded {
    Block(Vec<u8>),
    /// The segment ended at a member boundary at `position` (at or past the segment's
    /// stop), after `members` members.
    End {
        position: u64,
        members: u64,
    },
    /// Decoding failed; the sequential read will meet the same error and name it.
    Failed,
}

impl ParallelGzip {
    /// Opens `path` (a gzip file of `size` bytes) for decoding on `threads` threads;
    /// `None` when no member header lies within reach of the first cut, so that the file
    /// is better read as one stream (a thread handing blocks over costs the reader a
    /// copy, and there is nothing to inflate beside it). Fails only when the file cannot
    /// be read or the OS refuses a thread.
    pub fn open(path: &Path, size: u64, threads: usize) -> io::Result<Option<ParallelGzip>> {
        let reader = ParallelGzip::with_segment(path, size, threads, SEGMENT)?;
        Ok((reader.queued.len() > 1).then_some(reader))
    }

    fn with_segment(path: &Path, size: u64, threads: usize, segment: u64) -> io::Result<ParallelGzip> {
        let threads = threads.max(1);
        // Three segments per decoder: one being decoded, decoded ones waiting for a reader
        // that fell behind, and one waiting for the decoder. Fewer left a core idle
        // while a decoder waited for work (measured: 0.95 against 0.89 s for a report
        // of a 141 MB file on two cores).
        let (jobs, job_queue) = sync_channel::<Job>(3 * threads);
        let job_queue = Arc::new(Mutex::new(job_queue));
        let recycle = Arc::new(Mutex::new(Vec::new()));
        let mut decoders = Vec::with_capacity(threads);
        for i in 0..threads {
            let (job_queue, recycle, path) = (Arc::clone(&job_queue), Arc::clone(&recycle), path.to_owned());
            let decoder = thread::Builder::new().name(format!("albmtls-inflate-{i}")).spawn(move || {
                yield_to_reader();
                loop {
                    let job = job_queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(job) = job else { return };
                    decode_segment(&path, job, &recycle);
                }
            });
            match decoder {
                Ok(handle) => decoders.push(handle),
                // Fewer decoders still decode everything.
                Err(err) if !decoders.is_empty() => {
                    tracing::debug!(error = %err, "fewer inflate threads than asked for");
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        let mut reader = ParallelGzip {
            path: path.to_owned(),
            size,
            segment,
            queued: VecDeque::new(),
            next_start: Some(0),
            ahead: 3 * threads,
            members: 0,
            taken_from_front: 0,
            block: Vec::new(),
            offset: 0,
            sequential: None,
            jobs: Some(jobs),
            recycle,
            decoders,
        };
        reader.queue_segments()?;
        Ok(reader)
    }

    /// Keeps [`ParallelGzip::ahead`] segments queued.
    fn queue_segments(&mut self) -> io::Result<()> {
        while self.queued.len() < self.ahead {
            let Some(start) = self.next_start else { return Ok(()) };
            let stop = match start.checked_add(self.segment).filter(|&at| at < self.size) {
                Some(at) => {
                    next_header(&self.path, at, self.size.min(at.saturating_add(SEARCH_SEGMENTS * self.segment)))?.unwrap_or(self.size)
                }
                None => self.size,
            };
            let (blocks_tx, blocks) = sync_channel(BLOCKS_AHEAD);
            let job = Job { start, stop, blocks: blocks_tx };
            let jobs = self.jobs.as_ref().expect("jobs are queued only before the sequential read");
            if jobs.send(job).is_err() {
                return Err(io::Error::other("the inflate threads stopped"));
            }
            self.queued.push_back(Queued { start, blocks });
            self.next_start = (stop < self.size).then_some(stop);
        }
        Ok(())
    }

    /// Gives up the parallel path: reads on sequentially from `start`, a member
    /// boundary after [`ParallelGzip::members`] members, past the `taken` decoded bytes
    /// from there that were already handed out.
    fn read_on_from(&mut self, start: u64, taken: u64) -> io::Result<()> {
        self.queued.clear();
        self.next_start = None;
        self.jobs = None;
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(start))?;
        let input = BufReader::with_capacity(READ_BUFFER, file);
        let mut sequential = MultiGzipReader::resume(input, start, self.members);
        // These bytes decoded before, from the same data: an error here is the file
        // changing under the reader, and is reported as any other.
        io::copy(&mut (&mut sequential).take(taken), &mut io::sink())?;
        self.sequential = Some(sequential);
        Ok(())
    }

    /// The next block of the front segment; `false` at the end of the file.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            if self.sequential.is_some() {
                return Ok(false);
            }
            self.queue_segments()?;
            let Some(front) = self.queued.front() else { return Ok(false) };
            let start = front.start;
            match front.blocks.recv() {
                Ok(Decoded::Block(block)) => {
                    self.taken_from_front += block.len() as u64;
                    let used = std::mem::replace(&mut self.block, block);
                    self.offset = 0;
                    if used.capacity() > 0 {
                        self.recycle.lock().unwrap_or_else(|p| p.into_inner()).push(used);
                    }
                    return Ok(true);
                }
                Ok(Decoded::End { position, members }) => {
                    self.members += members;
                    self.taken_from_front = 0;
                    self.queued.pop_front();
                    let next = self.queued.front().map(|q| q.start).or(self.next_start);
                    match next {
                        Some(next) if next == position => {}
                        None if position == self.size => return Ok(false),
                        // The next segment started at header bytes inside compressed
                        // data (or the file changed): read on from this real boundary.
                        _ => {
                            tracing::debug!(position, "gzip segment ended past the next one's start; reading on sequentially");
                            self.read_on_from(position, 0)?;
                        }
                    }
                }
                // Decoding failed, or the decoder is gone: the sequential read meets
                // the same error at the same place, and names it as a read from the
                // start would.
                Ok(Decoded::Failed) | Err(_) => self.read_on_from(start, self.taken_from_front)?,
            }
        }
    }
}

impl Read for ParallelGzip {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.offset < self.block.len() {
                let n = out.len().min(self.block.len() - self.offset);
                out[..n].copy_from_slice(&self.block[self.offset..self.offset + n]);
                self.offset += n;
                return Ok(n);
            }
            if let Some(sequential) = &mut self.sequential {
                return sequential.read(out);
            }
            if !self.next_block()? && self.sequential.is_none() {
                return Ok(0);
            }
        }
    }
}

impl Drop for ParallelGzip {
    fn drop(&mut self) {
        // Closing the queues stops every decoder at its next block.
        self.queued.clear();
        self.jobs = None;
        for decoder in self.decoders.drain(..) {
            let _ = decoder.join();
        }
    }
}

/// Lowers the calling thread's priority a little (nice 5, Linux only). There are more
/// inflate threads than cores beside the reader, which tokenizes and counts; at equal
/// priority it would get a third of a core less than it needs while the inflate threads,
/// ahead of it, fill their queues, and the run would wait for it.
fn yield_to_reader() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take plain integers and touch no memory of ours;
    // failing to lower a priority leaves it as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 5);
    }
}

/// Decodes one segment into its queue; stops early when the reader is gone.
fn decode_segment(path: &Path, job: Job, recycle: &Mutex<Vec<Vec<u8>>>) {
    let Job { start, stop, blocks } = job;
    let opened = File::open(path).and_then(|mut file| file.seek(SeekFrom::Start(start)).map(|_| file));
    let Ok(file) = opened else {
        let _ = blocks.send(Decoded::Failed);
        return;
    };
    let mut gzip = MultiGzipReader::resume(BufReader::with_capacity(READ_BUFFER, file), start, 0).stop_at(stop);
    loop {
        let mut block = recycle.lock().unwrap_or_else(|p| p.into_inner()).pop().unwrap_or_default();
        block.resize(BLOCK, 0);
        let Ok(filled) = read_full(&mut gzip, &mut block) else {
            let _ = blocks.send(Decoded::Failed);
            return;
        };
        let ended = filled < BLOCK;
        if filled > 0 {
            block.truncate(filled);
            if blocks.send(Decoded::Block(block)).is_err() {
                return;
            }
        }
        if ended {
            let _ = blocks.send(Decoded::End { position: gzip.position(), members: gzip.members() });
            return;
        }
    }
}

/// The first position at or after `from` (and, give or take a window, before `until`)
/// whose bytes look like the start of a gzip member ([`looks_like_member_start`]). A
/// real member start that looks otherwise is only passed over as a place to cut.
fn next_header(path: &Path, from: u64, until: u64) -> io::Result<Option<u64>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut window = vec![0; SEARCH_WINDOW + FIXED_HEADER_LEN];
    let mut at = from;
    // The bytes carried over from the last window, so a header across two is found.
    let mut kept = 0;
    while at < until {
        let n = read_full(&mut file, &mut window[kept..])?;
        let len = kept + n;
        if len < FIXED_HEADER_LEN {
            return Ok(None);
        }
        let searched = &window[..len];
        let mut offset = 0;
        while let Some(found) = memchr::memmem::find(&searched[offset..len - FIXED_HEADER_LEN + 1], &MAGIC) {
            let candidate = offset + found;
            if looks_like_member_start(&searched[candidate..candidate + FIXED_HEADER_LEN]) {
                return Ok(Some(at - kept as u64 + candidate as u64));
            }
            offset = candidate + 1;
        }
        if n == 0 {
            return Ok(None);
        }
        // The last FIXED_HEADER_LEN - 1 bytes may begin a header: search them again.
        window.copy_within(len - (FIXED_HEADER_LEN - 1)..len, 0);
        at += n as u64;
        kept = FIXED_HEADER_LEN - 1;
    }
    Ok(None)
}

/// Fills `buf` from `input` until it is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    /// Log-like lines, different for every seed.
    fn lines(count: usize, seed: u64) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut out = Vec::new();
        for i in 0..count {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            writeln!(
                out,
                "2026-11-01T00:00:{:02}.{:06}Z 203.0.113.{} {} 443 Success {:016x}",
                i % 60,
                state % 1_000_000,
                state % 250,
                state % 65_536,
                state
            )
            .unwrap();
        }
        out
    }

    /// A member per element of `parts`, compressed at `level`.
    fn gzip_members(parts: &[Vec<u8>], level: u32) -> Vec<u8> {
        let mut file = Vec::new();
        for part in parts {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level));
            encoder.write_all(part).unwrap();
            file.extend(encoder.finish().unwrap());
        }
        file
    }

    /// Everything `reader` gives, and the error that ended it, if one did.
    fn read_all(mut reader: impl Read) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut buf = vec![0; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(err) => return (out, Some(format!("{:?}: {err}", err.kind()))),
            }
        }
    }

    fn sequential(data: &[u8]) -> (Vec<u8>, Option<String>) {
        read_all(MultiGzipReader::new(data))
    }

    fn parallel(data: &[u8], threads: usize, segment: u64) -> (Vec<u8>, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn.log.gz");
        std::fs::write(&path, data).unwrap();
        read_all(ParallelGzip::with_segment(&path, data.len() as u64, threads, segment).unwrap())
    }

    fn parts_of(members: usize, lines_each: usize) -> Vec<Vec<u8>> {
        (0..members).map(|m| lines(lines_each + m % 7, m as u64)).collect()
    }

    #[test]
    fn the_bytes_are_a_sequential_reads_whatever_the_segments_and_threads() {
        let data = gzip_members(&parts_of(120, 300), 6);
        let (expected, error) = sequential(&data);
        assert_eq!(error, None);
        for segment in [1, 1_000, 7_919, 64 * 1024, data.len() as u64, 10 * data.len() as u64] {
            for threads in [1, 2, 3] {
                let (got, error) = parallel(&data, threads, segment);
                assert_eq!(error, None, "segment {segment}, {threads} threads");
                assert!(got == expected, "segment {segment}, {threads} threads: {} bytes against {}", got.len(), expected.len());
            }
        }
    }

    /// Stored (level 0) deflate blocks copy their bytes as they are: a member whose text
    /// holds a gzip header puts header bytes where no member starts.
    #[test]
    fn header_bytes_inside_a_member_are_not_taken_for_a_start() {
        let fake_header = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];
        let mut parts = parts_of(40, 200);
        for part in parts.iter_mut().step_by(3) {
            for _ in 0..50 {
                part.extend_from_slice(&fake_header);
                part.extend_from_slice(b" not a member\n");
            }
        }
        let stored = gzip_members(&parts, 0);
        let (expected, error) = sequential(&stored);
        assert_eq!(error, None);
        for segment in [1, 500, 4_096, 30_000] {
            let (got, error) = parallel(&stored, 2, segment);
            assert_eq!(error, None, "segment {segment}");
            assert!(got == expected, "segment {segment}");
        }
    }

    #[test]
    fn damage_in_a_later_segment_gives_a_sequential_reads_bytes_and_error() {
        let data = gzip_members(&parts_of(60, 300), 6);
        let mut damaged = data.clone();
        let at = data.len() * 3 / 4;
        damaged[at] ^= 0x55;
        let (expected, expected_error) = sequential(&damaged);
        assert!(expected_error.is_some());
        for segment in [1, 2_000, 20_000] {
            let (got, error) = parallel(&damaged, 2, segment);
            assert_eq!(error, expected_error, "segment {segment}");
            assert!(got == expected, "segment {segment}: {} bytes against {}", got.len(), expected.len());
        }
    }

    #[test]
    fn a_cut_file_or_bytes_after_the_last_member_end_as_a_sequential_read_does() {
        let data = gzip_members(&parts_of(30, 300), 6);
        let cut = data[..data.len() - 100].to_vec();
        let mut trailing = data.clone();
        trailing.extend_from_slice(b"garbage after the members");
        for broken in [cut, trailing] {
            let (expected, expected_error) = sequential(&broken);
            assert!(expected_error.is_some());
            for segment in [1, 5_000] {
                assert_eq!(parallel(&broken, 2, segment), (expected.clone(), expected_error.clone()), "segment {segment}");
            }
        }
    }

    /// One member of 400 KB and a few small ones after it, cut every 4 KB: no header lies
    /// within the search's reach of the first cut, so the whole file is one segment,
    /// planned without reading it to its end.
    #[test]
    fn a_file_of_few_large_members_is_one_segment() {
        let mut parts = vec![lines(5_000, 99)];
        parts.extend(parts_of(5, 100));
        let data = gzip_members(&parts, 0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn.log.gz");
        std::fs::write(&path, &data).unwrap();
        let reader = ParallelGzip::with_segment(&path, data.len() as u64, 2, 4_096).unwrap();
        assert_eq!((reader.queued.len(), reader.next_start), (1, None));
        assert!(read_all(reader) == sequential(&data));
    }

    /// A file of one member is left to the sequential reader.
    #[test]
    fn a_file_with_nowhere_to_cut_is_not_opened_for_parallel_reading() {
        let data = gzip_members(&[lines(30_000, 5)], 0);
        assert!(data.len() as u64 > 2 * SEGMENT);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conn.log.gz");
        std::fs::write(&path, &data).unwrap();
        assert!(ParallelGzip::open(&path, data.len() as u64, 2).unwrap().is_none());
        let split = gzip_members(&parts_of(400, 100), 0);
        std::fs::write(&path, &split).unwrap();
        assert!(split.len() as u64 > 2 * SEGMENT);
        assert!(ParallelGzip::open(&path, split.len() as u64, 2).unwrap().is_some());
    }
}
