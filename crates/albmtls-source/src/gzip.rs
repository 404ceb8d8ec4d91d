//! gzip (RFC 1952) decoding: every member of a stream in turn, each one's CRC-32 and
//! length checked against its trailer.
//!
//! flate2 (on zlib-rs) inflates; this module reads the few bytes of framing around each
//! member and checksums the output with crc32fast. flate2's own `MultiGzDecoder` does the
//! same job, but built on zlib-rs it checksums with zlib-rs's CRC-32, which runs at about
//! a quarter of crc32fast's speed here (17 against 65 GB/s): 5% of a report's CPU time.
//! See `docs/performance.md`, "Sixth round".

use std::io::{self, BufRead, Read};

use crate::fill_buf;
#[cfg(not(feature = "isal"))]
use crate::inflate::flate2::Inflater;
#[cfg(feature = "isal")]
use crate::inflate::isal::Inflater;

/// The two bytes every gzip member starts with.
pub(crate) const MAGIC: [u8; 2] = [0x1f, 0x8b];
const METHOD_DEFLATE: u8 = 8;
const FLAG_HEADER_CRC: u8 = 0x02;
const FLAG_EXTRA: u8 = 0x04;
const FLAG_NAME: u8 = 0x08;
const FLAG_COMMENT: u8 = 0x10;
const FLAGS_RESERVED: u8 = 0xe0;
/// The fixed part of a member header: magic, method, flags, time, extra flags, OS.
pub(crate) const FIXED_HEADER_LEN: usize = 10;

/// Whether the fixed part of a header (`FIXED_HEADER_LEN` bytes) looks like the start of
/// a member as gzip writers make them: the magic, deflate, no reserved flag, and the
/// usual extra-flags (0, 2, 4) and OS (0-13, 255) bytes. Stricter than
/// [`MultiGzipReader`], which reads any extra-flags and OS byte: this is for finding
/// members without reading what comes before them, where a false start costs time.
pub(crate) fn looks_like_member_start(header: &[u8]) -> bool {
    let (method, flags, extra_flags, os) = (header[2], header[3], header[8], header[9]);
    header[..2] == MAGIC
        && method == METHOD_DEFLATE
        && flags & FLAGS_RESERVED == 0
        && matches!(extra_flags, 0 | 2 | 4)
        && (os <= 13 || os == 255)
}

/// Decodes a gzip stream of one or more members into their concatenated contents.
///
/// Errors are `io::Error`s: `UnexpectedEof` when the stream ends inside a member,
/// `InvalidData` for anything corrupt (bad header, bad deflate data, a checksum or length
/// that does not match, bytes after a member that do not start another one). Every byte
/// returned before an error was decoded from the stream as written, but the checksum of
/// the member it belongs to is only checked once that member ends.
pub(crate) struct MultiGzipReader<R> {
    input: Counted<R>,
    /// Where the input starts in its file, for [`MultiGzipReader::position`].
    start: u64,
    /// Reading ends at the first member boundary at or past this position, as if the
    /// stream ended there (one segment of a file decoded in parallel).
    stop_at: Option<u64>,
    inflate: Inflater,
    crc: crc32fast::Hasher,
    /// Bytes decoded from the current member so far.
    member_size: u64,
    /// Members finished and checked.
    members: u64,
    state: State,
    /// Trailer bytes the inflater took before the member's deflate data ended.
    read_ahead: crate::inflate::ReadAhead,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between members (or before the first): a header or the end of input comes next.
    Header,
    Body,
    /// The member's deflate data has ended; its trailer comes next.
    Trailer,
    End,
}

impl<R: BufRead> MultiGzipReader<R> {
    pub(crate) fn new(input: R) -> MultiGzipReader<R> {
        MultiGzipReader::resume(input, 0, 0)
    }

    /// Reads on from a member boundary `start` bytes into the file, after `members`
    /// members (so that messages number members as a read from the start would).
    pub(crate) fn resume(input: R, start: u64, members: u64) -> MultiGzipReader<R> {
        MultiGzipReader {
            input: Counted { inner: input, consumed: 0 },
            start,
            stop_at: None,
            inflate: Inflater::new(),
            crc: crc32fast::Hasher::new(),
            member_size: 0,
            members,
            state: State::Header,
            read_ahead: Default::default(),
        }
    }

    /// Ends the stream at the first member boundary at or past `position`.
    pub(crate) fn stop_at(mut self, position: u64) -> MultiGzipReader<R> {
        self.stop_at = Some(position);
        self
    }

    /// Where reading stands in the file: after the last byte taken from the input.
    pub(crate) fn position(&self) -> u64 {
        self.start + self.input.consumed
    }

    /// Members finished and checked, those before the start included.
    pub(crate) fn members(&self) -> u64 {
        self.members
    }

    /// The 1-based number of the member being read, for messages.
    fn member(&self) -> u64 {
        self.members + 1
    }

    /// Reads the next member's header; `false` at a clean end of input.
    fn read_header(&mut self) -> io::Result<bool> {
        let member = self.member();
        let available = fill_buf(&mut self.input)?;
        let Some(&first) = available.first() else {
            return Ok(false);
        };
        // Checked before reading the rest, so that a few stray bytes after the last
        // member are called what they are, not a truncated header.
        if first != MAGIC[0] || available.get(1).is_some_and(|&b| b != MAGIC[1]) {
            let what =
                if member == 1 { "the data does not start with a gzip header" } else { "the data after the last gzip member is not gzip" };
            let start: Vec<String> = available.iter().take(2).map(|b| format!("{b:02x}")).collect();
            return Err(invalid(format!("{what} (member {member} starts with bytes {})", start.join(" "))));
        }
        let mut header = HeaderReader { input: &mut self.input, crc: crc32fast::Hasher::new() };
        let mut fixed = [0u8; FIXED_HEADER_LEN];
        header.read_exact(&mut fixed)?;
        if fixed[2] != METHOD_DEFLATE {
            return Err(invalid(format!("gzip member {member} uses compression method {}, not deflate (8)", fixed[2])));
        }
        let flags = fixed[3];
        if flags & FLAGS_RESERVED != 0 {
            return Err(invalid(format!("gzip member {member} sets reserved header flags ({flags:#04x})")));
        }
        if flags & FLAG_EXTRA != 0 {
            let mut length = [0u8; 2];
            header.read_exact(&mut length)?;
            header.skip(u16::from_le_bytes(length).into())?;
        }
        if flags & FLAG_NAME != 0 {
            header.skip_past_zero()?;
        }
        if flags & FLAG_COMMENT != 0 {
            header.skip_past_zero()?;
        }
        if flags & FLAG_HEADER_CRC != 0 {
            let expected = header.crc.clone().finalize() as u16;
            let mut written = [0u8; 2];
            header.read_exact(&mut written)?;
            if u16::from_le_bytes(written) != expected {
                return Err(invalid(format!("gzip member {member} has a header checksum that does not match its header")));
            }
        }
        Ok(true)
    }

    /// Checks the finished member against its trailer and gets ready for the next one.
    fn read_trailer(&mut self) -> io::Result<()> {
        let member = self.member();
        let mut trailer = [0u8; 8];
        let taken = std::mem::take(&mut self.read_ahead);
        trailer[..taken.len].copy_from_slice(taken.as_slice());
        self.input.read_exact(&mut trailer[taken.len..])?;
        let crc = std::mem::take(&mut self.crc).finalize();
        let written_crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        if crc != written_crc {
            return Err(invalid(format!(
                "gzip member {member} fails its CRC-32 check (computed {crc:08x}, written {written_crc:08x}): the data is damaged"
            )));
        }
        // The trailer holds the length modulo 2^32.
        let written_size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if self.member_size as u32 != written_size {
            return Err(invalid(format!(
                "gzip member {member} decodes to {} bytes but its trailer says {written_size} (modulo 2^32): the data is damaged",
                self.member_size
            )));
        }
        self.member_size = 0;
        self.members += 1;
        self.inflate.reset();
        Ok(())
    }

    /// Inflates into `out`; returns how many bytes were written (0 only when the member's
    /// deflate data ended without more output).
    fn inflate_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let member = self.member();
        loop {
            let input = fill_buf(&mut self.input)?;
            let at_end_of_input = input.is_empty();
            let step =
                self.inflate.step(input, out).map_err(|err| invalid(format!("gzip member {member} holds invalid deflate data: {err}")))?;
            let (consumed, produced) = (step.consumed, step.produced);
            self.input.consume(consumed);
            self.crc.update(&out[..produced]);
            self.member_size += produced as u64;
            if step.ended {
                self.read_ahead = step.read_ahead;
                self.state = State::Trailer;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if consumed == 0 {
                return Err(if at_end_of_input {
                    io::Error::new(io::ErrorKind::UnexpectedEof, format!("the gzip data ends inside member {member}"))
                } else {
                    invalid(format!("gzip member {member}: inflate made no progress"))
                });
            }
        }
    }
}

impl<R: BufRead> Read for MultiGzipReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::End => return Ok(0),
                State::Header => {
                    let stop = self.stop_at.is_some_and(|stop| self.position() >= stop);
                    self.state = if !stop && self.read_header()? { State::Body } else { State::End };
                }
                State::Body => {
                    let produced = self.inflate_some(out)?;
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
                State::Trailer => {
                    self.read_trailer()?;
                    self.state = State::Header;
                }
            }
        }
    }
}

/// An input that counts the bytes taken from it.
struct Counted<R> {
    inner: R,
    consumed: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
        self.consumed += n as u64;
    }
}

/// Reads header bytes while checksumming them, for the optional header CRC.
struct HeaderReader<'a, R> {
    input: &'a mut R,
    crc: crc32fast::Hasher,
}

impl<R: BufRead> HeaderReader<'_, R> {
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.input.read_exact(buf)?;
        self.crc.update(buf);
        Ok(())
    }

    fn skip(&mut self, mut len: usize) -> io::Result<()> {
        while len > 0 {
            let available = fill_buf(self.input)?;
            if available.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let take = available.len().min(len);
            self.crc.update(&available[..take]);
            self.input.consume(take);
            len -= take;
        }
        Ok(())
    }

    /// Skips a zero-terminated string (a file name or comment).
    fn skip_past_zero(&mut self) -> io::Result<()> {
        loop {
            let available = fill_buf(self.input)?;
            if available.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let (take, done) = match memchr::memchr(0, available) {
                Some(zero) => (zero + 1, true),
                None => (available.len(), false),
            };
            self.crc.update(&available[..take]);
            self.input.consume(take);
            if done {
                return Ok(());
            }
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Write};

    use flate2::write::{DeflateEncoder, GzEncoder};
    use flate2::{Compression, GzBuilder};

    use super::*;

    /// Varied text that compresses like logs do, but not to nothing.
    fn text(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            out.extend_from_slice(format!("line {} value {:x}\n", out.len(), state % 100_000).as_bytes());
        }
        out.truncate(len);
        out
    }

    fn member(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// Reads through an input buffer of `in_cap` bytes into reads of at most `out_cap`.
    fn decode(data: &[u8], in_cap: usize, out_cap: usize) -> (Vec<u8>, io::Result<()>) {
        let mut reader = MultiGzipReader::new(BufReader::with_capacity(in_cap, data));
        let mut out = Vec::new();
        let mut buf = vec![0u8; out_cap];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, Ok(())),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(err) => return (out, Err(err)),
            }
        }
    }

    fn flate2_decode(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn members_decode_like_flate2_whatever_the_buffer_sizes() {
        let parts = [text(100_000, 1), Vec::new(), text(1, 2), text(300_000, 3), text(17, 4)];
        let stream: Vec<u8> = parts.iter().flat_map(|part| member(part)).collect();
        let expected = parts.concat();
        assert_eq!(flate2_decode(&stream), expected, "the oracle itself");
        for (in_cap, out_cap) in [(1, 1), (1, 4096), (7, 13), (64 * 1024, 1), (256 * 1024, 256 * 1024)] {
            let (out, result) = decode(&stream, in_cap, out_cap);
            result.unwrap_or_else(|err| panic!("buffers {in_cap}/{out_cap}: {err}"));
            assert!(out == expected, "buffers {in_cap}/{out_cap}: {} bytes decoded, {} expected", out.len(), expected.len());
        }
    }

    #[test]
    fn optional_header_fields_are_skipped() {
        let data = text(5000, 5);
        let mut encoder = GzBuilder::new()
            .filename("conn_log.log")
            .comment("written by a test")
            .extra(vec![b'A', b'B', 3, 0, 1, 2, 3])
            .mtime(1_700_000_000)
            .write(Vec::new(), Compression::fast());
        encoder.write_all(&data).unwrap();
        let mut stream = encoder.finish().unwrap();
        stream.extend(member(b"second\n"));
        let (out, result) = decode(&stream, 3, 100);
        result.unwrap();
        assert_eq!(out, [&data[..], b"second\n"].concat());
    }

    /// A member with a file name and the optional header CRC, which flate2 cannot write.
    fn member_with_header_crc(data: &[u8], corrupt_header_crc: bool) -> Vec<u8> {
        let mut header = vec![MAGIC[0], MAGIC[1], METHOD_DEFLATE, FLAG_HEADER_CRC | FLAG_NAME, 0, 0, 0, 0, 0, 255];
        header.extend_from_slice(b"name.log\0");
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header);
        let mut header_crc = (crc.finalize() as u16).to_le_bytes();
        if corrupt_header_crc {
            header_crc[0] ^= 1;
        }
        header.extend_from_slice(&header_crc);
        let mut deflate = DeflateEncoder::new(header, Compression::default());
        deflate.write_all(data).unwrap();
        let mut out = deflate.finish().unwrap();
        out.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    #[test]
    fn the_header_crc_is_checked_when_present() {
        let data = text(2000, 6);
        let (out, result) = decode(&member_with_header_crc(&data, false), 5, 64);
        result.unwrap();
        assert_eq!(out, data);
        let (out, result) = decode(&member_with_header_crc(&data, true), 5, 64);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("header checksum"), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn a_damaged_trailer_is_named_after_the_data_before_it() {
        let first = text(10_000, 7);
        let second = text(10_000, 8);
        let good = [member(&first), member(&second)].concat();
        let first_len = member(&first).len();
        for (offset, what) in [(first_len - 8, "CRC-32"), (first_len - 4, "trailer says"), (good.len() - 1, "trailer says")] {
            let mut damaged = good.clone();
            damaged[offset] ^= 0x40;
            let (out, result) = decode(&damaged, 4096, 4096);
            let err = result.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "byte {offset}");
            assert!(err.to_string().contains(what), "byte {offset}: {err}");
            let member = if offset < first_len { "member 1" } else { "member 2" };
            assert!(err.to_string().contains(member), "byte {offset}: {err}");
            assert!([&first[..], &second[..]].concat().starts_with(&out), "what was delivered is a prefix");
        }
    }

    #[test]
    fn damaged_deflate_data_is_caught_not_a_panic() {
        let data = text(50_000, 9);
        let good = member(&data);
        let mut caught = 0;
        for offset in (10..good.len() - 8).step_by(97) {
            let mut damaged = good.clone();
            damaged[offset] ^= 0xff;
            match decode(&damaged, 1000, 1000) {
                (_, Err(err)) => {
                    assert!(matches!(err.kind(), io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof), "byte {offset}: {err}");
                    caught += 1;
                }
                // A match can be redirected to another copy of the same text: then
                // nothing was damaged.
                (out, Ok(())) => assert!(out == data, "byte {offset}: damaged output passed the checks"),
            }
        }
        assert!(caught > 100, "only {caught} damaged members were refused");
    }

    #[test]
    fn every_cut_is_an_unexpected_end_unless_it_falls_between_members() {
        let parts = [text(3000, 10), text(2000, 11)];
        let members: Vec<Vec<u8>> = parts.iter().map(|part| member(part)).collect();
        let stream = members.concat();
        let whole = parts.concat();
        for cut in 1..stream.len() {
            let (out, result) = decode(&stream[..cut], 16, 512);
            assert!(whole.starts_with(&out), "cut at {cut}: what was delivered is a prefix");
            if cut == members[0].len() {
                result.unwrap_or_else(|err| panic!("a cut between members is a whole stream: {err}"));
                assert_eq!(out, parts[0]);
            } else {
                let err = result.expect_err("a cut inside a member is an error");
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}: {err}");
            }
        }
    }

    #[test]
    fn bytes_after_the_last_member_that_are_not_gzip_are_an_error() {
        let data = text(1000, 12);
        let mut stream = member(&data);
        stream.extend_from_slice(b"not gzip");
        let (out, result) = decode(&stream, 4096, 4096);
        assert_eq!(out, data);
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("not gzip") && err.to_string().contains("member 2"), "{err}");
    }

    #[test]
    fn other_methods_and_reserved_flags_are_refused() {
        let mut stream = member(b"x\n");
        stream[2] = 7;
        assert!(decode(&stream, 64, 64).1.unwrap_err().to_string().contains("method 7"));
        let mut stream = member(b"x\n");
        stream[3] = 0x20;
        assert!(decode(&stream, 64, 64).1.unwrap_err().to_string().contains("reserved"));
    }
}
