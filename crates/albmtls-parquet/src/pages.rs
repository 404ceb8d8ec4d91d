//! The page headers of a column chunk, read before the parquet crate reads its pages.
//!
//! The crate allocates the uncompressed size a page header claims before it decompresses
//! the page, so a 2 KiB file whose header claims 2 GiB costs 2 GiB of memory (found by
//! the `vended_parquet` fuzz target). This module reads each header's two sizes (Thrift
//! compact protocol, the only encoding Parquet uses for them) and refuses a page whose
//! claim is over [`MAX_PAGE_BYTES`]. The crate does not expose its header reader.

use parquet::file::reader::ChunkReader;

/// The largest uncompressed page accepted. Parquet writers cut pages at about 1 MiB.
pub const MAX_PAGE_BYTES: i64 = 64 * 1024 * 1024;

/// Bytes read first for one page header: a header is a few dozen bytes.
const SHORT_WINDOW: usize = 256;

/// Bytes read for a page header that did not fit in [`SHORT_WINDOW`]: more only with
/// statistics of long values.
const HEADER_WINDOW: usize = 64 * 1024;

/// Nesting deeper than any page header, refused so that a hostile one cannot recurse.
const MAX_DEPTH: u8 = 16;

/// Checks every page header of the column chunk at `start`, `length` bytes long.
/// Returns why the chunk must not be read, if it must not.
pub fn check_chunk(reader: &impl ChunkReader, start: u64, length: u64) -> Result<(), String> {
    let end = start.saturating_add(length);
    let mut at = start;
    while at < end {
        let left = usize::try_from(end - at).unwrap_or(usize::MAX);
        let read = |window: usize| reader.get_bytes(at, window).map_err(|e| format!("the page at byte {at} cannot be read ({e})"));
        // A short read first: for a file each window is a read of that many bytes.
        let mut header = read_header(&read(left.min(SHORT_WINDOW))?);
        if header.is_none() && left > SHORT_WINDOW {
            header = read_header(&read(left.min(HEADER_WINDOW))?);
        }
        let header = header.ok_or_else(|| format!("the page header at byte {at} is not a readable Thrift header"))?;
        if header.uncompressed > MAX_PAGE_BYTES {
            return Err(format!(
                "the page at byte {at} claims {} bytes uncompressed, over the limit of {} MiB per page",
                header.uncompressed,
                MAX_PAGE_BYTES >> 20
            ));
        }
        let compressed = u64::try_from(header.compressed)
            .map_err(|_| format!("the page at byte {at} claims a negative size ({})", header.compressed))?;
        at = at.saturating_add(header.length as u64).saturating_add(compressed);
    }
    Ok(())
}

/// What a page header says of its size.
#[derive(Debug, PartialEq, Eq)]
struct PageSizes {
    uncompressed: i64,
    compressed: i64,
    /// Bytes of the header itself.
    length: usize,
}

/// Reads a `PageHeader` struct (fields 2 and 3 are the uncompressed and compressed
/// sizes; the others are skipped).
fn read_header(bytes: &[u8]) -> Option<PageSizes> {
    let mut input = Compact { bytes, at: 0 };
    let (mut uncompressed, mut compressed) = (None, None);
    input.fields(0, |input, id, kind| match (id, kind) {
        (2, I32) => input.zigzag().map(|v| uncompressed = Some(v)),
        (3, I32) => input.zigzag().map(|v| compressed = Some(v)),
        _ => input.skip(kind, 0),
    })?;
    Some(PageSizes { uncompressed: uncompressed?, compressed: compressed?, length: input.at })
}

const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;

/// A reader of the Thrift compact protocol over bytes; `None` is "not a valid header".
struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Compact<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn left(&self) -> u64 {
        (self.bytes.len() - self.at) as u64
    }

    fn advance(&mut self, n: u64) -> Option<()> {
        if n > self.left() {
            return None;
        }
        self.at += n as usize;
        Some(())
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn zigzag(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// Calls `on_field` with each field's id and type until the struct's stop byte.
    fn fields(&mut self, depth: u8, mut on_field: impl FnMut(&mut Self, i64, u8) -> Option<()>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut id = 0i64;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Some(());
            }
            let (delta, kind) = (header >> 4, header & 0x0f);
            id = if delta == 0 { self.zigzag()? } else { id.saturating_add(i64::from(delta)) };
            on_field(self, id, kind)?;
        }
    }

    fn skip(&mut self, kind: u8, depth: u8) -> Option<()> {
        // Lists and maps nest as structs do: a hostile header may nest them without end.
        if depth > MAX_DEPTH {
            return None;
        }
        match kind {
            // A boolean field's value is its type.
            BOOL_TRUE | BOOL_FALSE => Some(()),
            BYTE => self.advance(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.advance(8),
            BINARY => {
                let length = self.varint()?;
                self.advance(length)
            }
            LIST | SET => {
                let header = self.byte()?;
                let (size, element) = (header >> 4, header & 0x0f);
                let size = if size == 15 { self.varint()? } else { u64::from(size) };
                // Every element takes at least one byte: a claim beyond the bytes is false.
                if size > self.left() {
                    return None;
                }
                (0..size).try_for_each(|_| self.skip_element(element, depth))
            }
            MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Some(());
                }
                let kinds = self.byte()?;
                if size > self.left() {
                    return None;
                }
                (0..size).try_for_each(|_| {
                    self.skip_element(kinds >> 4, depth)?;
                    self.skip_element(kinds & 0x0f, depth)
                })
            }
            STRUCT => self.fields(depth + 1, |input, _, kind| input.skip(kind, depth + 1)),
            _ => None,
        }
    }

    /// A boolean inside a list or map is a byte of its own.
    fn skip_element(&mut self, kind: u8, depth: u8) -> Option<()> {
        match kind {
            BOOL_TRUE | BOOL_FALSE => self.advance(1),
            _ => self.skip(kind, depth + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// type 0, uncompressed 100, compressed 50, then a data page header struct with a
    /// list of two booleans, a binary and a nested struct, then stop.
    const HEADER: &[u8] = &[
        0x15, 0x00, // 1: i32 0
        0x15, 0xC8, 0x01, // 2: i32 100
        0x15, 0x64, // 3: i32 50
        0x2C, // 5: struct
        0x15, 0x14, // 1: i32 10
        0x19, 0x21, 0x01, 0x00, // 2: list of 2 booleans
        0x18, 0x02, b'h', b'i', // 3: binary "hi"
        0x1C, 0x11, 0x00, // 4: struct { 1: true }
        0x00, // end of data page header
        0x00, // end of page header
    ];

    #[test]
    fn a_page_header_gives_its_sizes_and_length() {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(b"page data follows");
        assert_eq!(read_header(&bytes), Some(PageSizes { uncompressed: 100, compressed: 50, length: HEADER.len() }));
    }

    /// A header longer than the first short read (statistics of long values) is read
    /// whole, and its claim is checked as a short one's is.
    #[test]
    fn a_header_past_the_first_short_read_is_read_again_whole() {
        let long_header = |uncompressed: &[u8]| {
            let mut header = vec![0x15, 0x00, 0x15];
            header.extend_from_slice(uncompressed);
            header.extend_from_slice(&[0x15, 0x00, 0x28, 0xE8, 0x07]); // 3: i32 0; 5: binary of 1000 bytes
            header.extend(std::iter::repeat_n(b'x', 1000));
            header.push(0x00);
            header
        };
        let small = long_header(&[0xC8, 0x01]);
        assert!(small.len() > SHORT_WINDOW);
        assert_eq!(check_chunk(&bytes::Bytes::from(small.clone()), 0, small.len() as u64), Ok(()));
        // 2^31 - 1 bytes claimed.
        let huge = long_header(&[0xFE, 0xFF, 0xFF, 0xFF, 0x0F]);
        let refused = check_chunk(&bytes::Bytes::from(huge.clone()), 0, huge.len() as u64).unwrap_err();
        assert!(refused.contains("over the limit of 64 MiB per page"), "{refused}");
    }

    #[test]
    fn a_header_cut_anywhere_or_nested_too_deep_is_not_read() {
        for cut in 0..HEADER.len() {
            assert_eq!(read_header(&HEADER[..cut]), None, "cut at {cut}");
        }
        // The three sizes, then something that makes the header unreadable.
        let sizes = &HEADER[..7];
        assert!(read_header(&[sizes, &[0x00]].concat()).is_some());
        let nested = |depth: usize| [sizes, &[0x2C], &vec![0x1C; depth - 1], &vec![0x00; depth + 1]].concat();
        assert!(read_header(&nested(usize::from(MAX_DEPTH))).is_some());
        assert_eq!(read_header(&nested(100)), None);
        // Lists of lists of ... (the fuzz find: 255 levels overflowed the depth count).
        let lists = |depth: usize| [sizes, &[0x29], &vec![0x19; depth], &[0x15, 0x00, 0x00]].concat();
        assert!(read_header(&lists(8)).is_some());
        assert_eq!(read_header(&lists(300)), None);
        // A list claiming more elements than there are bytes left.
        assert_eq!(read_header(&[sizes, &[0x29, 0xF5, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]].concat()), None);
    }
}
