//! The Thrift structures of a Parquet file (its footer and the page headers of a column
//! chunk), read before the parquet crate reads them.
//!
//! The crate allocates the uncompressed size a page header claims before it decompresses
//! the page, so a 2 KiB file whose header claims 2 GiB costs 2 GiB of memory (found by
//! the `vended_parquet` fuzz target). This module reads each header's two sizes (Thrift
//! compact protocol, the only encoding Parquet uses for them) and refuses a page whose
//! claim is over [`MAX_PAGE_BYTES`]. The crate does not expose its header reader.
//!
//! The crate also skips a boolean inside a collection as zero bytes, so a header or footer
//! claiming millions of them in a few bytes costs it minutes (found by the fuzz target,
//! in page headers and in footers). Such collections are refused here. This reader must
//! then take the same path through the bytes as the crate's: the crate reads a known field
//! by the type the format gives it, whatever type the field declares, so a known field
//! declared with another type is refused too, and the format's structs are mirrored in
//! [`Known`].

use std::io::Read;

use parquet::basic::Compression;
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

/// Checks the footer (file metadata) of the file `reader` holds. Returns why the file must
/// not be read, if it must not; a file without a footer is left to the crate to refuse.
pub fn check_footer(reader: &impl ChunkReader) -> Result<(), String> {
    let len = reader.len();
    if len < 12 {
        return Ok(());
    }
    let cannot_read = |e: parquet::errors::ParquetError| format!("the footer cannot be read ({e})");
    let tail = reader.get_bytes(len - 8, 8).map_err(cannot_read)?;
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if &tail[4..] != b"PAR1" || footer_len > len - 8 {
        return Ok(());
    }
    let footer = reader.get_bytes(len - 8 - footer_len, footer_len as usize).map_err(cannot_read)?;
    let mut input = Compact { bytes: &footer, at: 0 };
    input
        .fields(0, Known::FileMetaData, |input, _, kind, inner| input.skip(kind, inner, 0))
        .map(drop)
        .ok_or_else(|| "its footer (the file metadata) is not Thrift as Parquet writes it".to_owned())
}

/// Checks every page header of the column chunk at `start`, `length` bytes long, whose
/// pages are compressed with `codec`. Returns why the chunk must not be read, if it must
/// not.
pub fn check_chunk(reader: &impl ChunkReader, start: u64, length: u64, codec: Compression) -> Result<(), String> {
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
        check_expansion(reader, codec, at, &header)?;
        at = at.saturating_add(header.length as u64).saturating_add(compressed);
    }
    Ok(())
}

/// The page of `header` at byte `at`, decompressed here first when its codec's decoder
/// in the parquet crate reads to the end of the stream (gzip, and LZ4 frames, which the
/// crate falls back to for `LZ4` pages not in Hadoop's framing) rather than up to the
/// size the header claims: a few KiB of gzip can claim a small page and inflate to
/// gigabytes. Decompressed into a fixed buffer, counting bytes; refused past the claim.
fn check_expansion(reader: &impl ChunkReader, codec: Compression, at: u64, header: &PageSizes) -> Result<(), String> {
    if !header.is_compressed || !matches!(codec, Compression::GZIP(_) | Compression::LZ4) {
        return Ok(());
    }
    // Version 2 data pages keep their levels uncompressed, ahead of the values.
    let (compressed, claimed) = (header.compressed - header.levels, header.uncompressed - header.levels);
    let (Ok(compressed), Ok(claimed)) = (u64::try_from(compressed), u64::try_from(claimed)) else {
        return Err(format!("the page at byte {at} claims levels longer than the page"));
    };
    let start = at.saturating_add(header.length as u64).saturating_add(header.levels as u64);
    let input = reader.get_read(start).map_err(|e| format!("the page at byte {at} cannot be read ({e})"))?.take(compressed);
    let mut decoder: Box<dyn Read> = match codec {
        Compression::GZIP(_) => Box::new(flate2::read::MultiGzDecoder::new(input)),
        _ => Box::new(lz4_flex::frame::FrameDecoder::new(input)),
    };
    let mut buffer = vec![0; 64 * 1024];
    let mut total = 0u64;
    loop {
        // Only the size is checked here: a page that is not such a stream is left to the
        // crate (it tries Hadoop's LZ4 framing, bounded, before LZ4 frames) to decode or
        // refuse.
        let Ok(n) = decoder.read(&mut buffer) else { return Ok(()) };
        if n == 0 {
            return Ok(());
        }
        total += n as u64;
        if total > claimed {
            return Err(format!("the page at byte {at} decompresses to more than the {claimed} bytes its header claims"));
        }
    }
}

/// What a page header says of its size.
#[derive(Debug, PartialEq, Eq)]
struct PageSizes {
    uncompressed: i64,
    compressed: i64,
    /// Bytes of the header itself.
    length: usize,
    /// Bytes of levels ahead of the values, not compressed (version 2 data pages).
    levels: i64,
    /// Whether the values are compressed (only version 2 data pages may say not).
    is_compressed: bool,
}

/// Reads a `PageHeader` struct: fields 2 and 3 are the uncompressed and compressed sizes,
/// field 8 a version 2 data page's header (its levels' lengths in fields 5 and 6, whether
/// it is compressed in field 7); the others are skipped.
fn read_header(bytes: &[u8]) -> Option<PageSizes> {
    let mut input = Compact { bytes, at: 0 };
    let (mut uncompressed, mut compressed) = (None, None);
    let (mut levels, mut is_compressed) = (0i64, true);
    // The crate reads the sizes as 32-bit integers, wrapping a longer value.
    input.fields(0, Known::PageHeader, |input, id, kind, inner| match id {
        2 => input.zigzag().map(|v| uncompressed = Some(i64::from(v as i32))),
        3 => input.zigzag().map(|v| compressed = Some(i64::from(v as i32))),
        8 if kind == STRUCT => input.fields(1, Known::DataPageHeaderV2, |input, id, kind, inner| match id {
            5 | 6 => input.zigzag().map(|v| levels = levels.saturating_add(i64::from(v as i32))),
            7 => {
                is_compressed = kind == BOOL_TRUE;
                input.skip(kind, inner, 1)
            }
            _ => input.skip(kind, inner, 1),
        }),
        _ => input.skip(kind, inner, 0),
    })?;
    Some(PageSizes { uncompressed: uncompressed?, compressed: compressed?, length: input.at, levels, is_compressed })
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

/// The Thrift structs of a Parquet file, whose fields the parquet crate reads by their
/// ids (from the format's `parquet.thrift`, as the crate's readers follow it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
    Statistics,
    FileMetaData,
    SchemaElement,
    LogicalType,
    DecimalType,
    TimestampType,
    TimeUnit,
    IntType,
    VariantType,
    GeometryType,
    GeographyType,
    RowGroup,
    SortingColumn,
    ColumnChunk,
    ColumnMetaData,
    PageEncodingStats,
    SizeStatistics,
    GeospatialStatistics,
    BoundingBox,
    KeyValue,
    EncryptionAlgorithm,
    AesGcm,
    ColumnCryptoMetaData,
    EncryptionWithColumnKey,
    /// A struct the crate skips field by field, or one with no fields.
    Skipped,
}

/// What the format says a field is.
#[derive(Clone, Copy)]
enum Shape {
    /// A value of this compact type (booleans as [`BOOL_TRUE`]).
    Value(u8),
    Struct(Known),
    /// A list of values of this compact type; of structs of the kind given, if structs.
    List(u8, Known),
}

/// What a value that is being skipped holds, as far as the crate reads it by the format.
#[derive(Clone, Copy)]
enum Inner {
    /// A field the crate skips by its declared type.
    Any,
    Struct(Known),
    Elements(u8, Known),
}

impl Known {
    /// The format's shape of field `id`; `None` for a field the crate skips by the type
    /// it declares.
    fn field(self, id: i16) -> Option<Shape> {
        use Known::*;
        use Shape::{List, Struct, Value};
        Some(match (self, id) {
            (PageHeader, 1..=4) => Value(I32),
            (PageHeader, 5) => Struct(DataPageHeader),
            (PageHeader, 6) => Struct(Skipped),
            (PageHeader, 7) => Struct(DictionaryPageHeader),
            (PageHeader, 8) => Struct(DataPageHeaderV2),
            (DataPageHeader, 1..=4) | (DictionaryPageHeader, 1 | 2) | (DataPageHeaderV2, 1..=6) => Value(I32),
            (DataPageHeader, 5) | (DataPageHeaderV2, 8) | (ColumnMetaData, 12) => Struct(Statistics),
            (DictionaryPageHeader, 3) | (DataPageHeaderV2, 7) | (Statistics, 7 | 8) => Value(BOOL_TRUE),
            (Statistics, 1 | 2 | 5 | 6) => Value(BINARY),
            (Statistics, 3 | 4 | 9) => Value(I64),
            (FileMetaData, 1) => Value(I32),
            (FileMetaData, 2) => List(STRUCT, SchemaElement),
            (FileMetaData, 3) => Value(I64),
            (FileMetaData, 4) => List(STRUCT, RowGroup),
            (FileMetaData, 5) | (ColumnMetaData, 8) => List(STRUCT, KeyValue),
            (FileMetaData, 6 | 9) => Value(BINARY),
            // ColumnOrder: a union of empty structs.
            (FileMetaData, 7) => List(STRUCT, Skipped),
            (FileMetaData, 8) => Struct(EncryptionAlgorithm),
            (SchemaElement, 1..=3 | 5..=9) => Value(I32),
            (SchemaElement, 4) => Value(BINARY),
            (SchemaElement, 10) => Struct(LogicalType),
            (LogicalType, 1..=4 | 6 | 11..=15 | 19) => Struct(Skipped),
            (LogicalType, 5) => Struct(DecimalType),
            (LogicalType, 7 | 8) => Struct(TimestampType),
            (LogicalType, 10) => Struct(IntType),
            (LogicalType, 16) => Struct(VariantType),
            (LogicalType, 17) => Struct(GeometryType),
            (LogicalType, 18) => Struct(GeographyType),
            (DecimalType, 1 | 2) => Value(I32),
            (TimestampType, 1) | (IntType, 2) => Value(BOOL_TRUE),
            (TimestampType, 2) => Struct(TimeUnit),
            (TimeUnit, 1..=3) => Struct(Skipped),
            (IntType, 1) | (VariantType, 1) => Value(BYTE),
            (GeometryType, 1) | (GeographyType, 1) => Value(BINARY),
            (GeographyType, 2) => Value(I32),
            (RowGroup, 1) => List(STRUCT, ColumnChunk),
            (RowGroup, 2 | 3 | 5 | 6) => Value(I64),
            (RowGroup, 4) => List(STRUCT, SortingColumn),
            (RowGroup, 7) => Value(I16),
            (SortingColumn, 1) => Value(I32),
            (SortingColumn, 2 | 3) => Value(BOOL_TRUE),
            (ColumnChunk, 1 | 9) => Value(BINARY),
            (ColumnChunk, 2 | 4 | 6) => Value(I64),
            (ColumnChunk, 3) => Struct(ColumnMetaData),
            (ColumnChunk, 5 | 7) => Value(I32),
            (ColumnChunk, 8) => Struct(ColumnCryptoMetaData),
            (ColumnMetaData, 1 | 4 | 15) => Value(I32),
            (ColumnMetaData, 2) => List(I32, Skipped),
            (ColumnMetaData, 3) => List(BINARY, Skipped),
            (ColumnMetaData, 5..=7 | 9..=11 | 14) => Value(I64),
            (ColumnMetaData, 13) => List(STRUCT, PageEncodingStats),
            (ColumnMetaData, 16) => Struct(SizeStatistics),
            (ColumnMetaData, 17) => Struct(GeospatialStatistics),
            (PageEncodingStats, 1..=3) => Value(I32),
            (SizeStatistics, 1) => Value(I64),
            (SizeStatistics, 2 | 3) => List(I64, Skipped),
            (GeospatialStatistics, 1) => Struct(BoundingBox),
            (GeospatialStatistics, 2) => List(I32, Skipped),
            (BoundingBox, 1..=8) => Value(DOUBLE),
            (KeyValue, 1 | 2) | (AesGcm, 1 | 2) | (EncryptionWithColumnKey, 2) => Value(BINARY),
            (EncryptionAlgorithm, 1 | 2) => Struct(AesGcm),
            (AesGcm, 3) => Value(BOOL_TRUE),
            (ColumnCryptoMetaData, 1) => Struct(Skipped),
            (ColumnCryptoMetaData, 2) => Struct(EncryptionWithColumnKey),
            (EncryptionWithColumnKey, 1) => List(BINARY, Skipped),
            _ => return None,
        })
    }
}

impl Shape {
    /// How a field of this shape is skipped, if it declares `kind`; `None` for another
    /// type than the format's.
    fn inner(self, kind: u8) -> Option<Inner> {
        let same = |expected: u8| kind == expected || (expected == BOOL_TRUE && kind == BOOL_FALSE);
        match self {
            Shape::Value(expected) => same(expected).then_some(Inner::Any),
            Shape::Struct(known) => same(STRUCT).then_some(Inner::Struct(known)),
            Shape::List(element, known) => same(LIST).then_some(Inner::Elements(element, known)),
        }
    }
}

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

    /// Calls `on_field` with each field's id, type and what it holds until the struct's
    /// stop byte; a field of `known` declared with another type than the format's is
    /// refused.
    fn fields(&mut self, depth: u8, known: Known, mut on_field: impl FnMut(&mut Self, i16, u8, Inner) -> Option<()>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut id = 0i16;
        loop {
            let header = self.byte()?;
            if header == 0 {
                return Some(());
            }
            let (delta, kind) = (header >> 4, header & 0x0f);
            // Field ids are 16-bit; the crate wraps a longer one and refuses an overflowing delta.
            id = if delta == 0 { self.zigzag()? as i16 } else { id.checked_add(i16::from(delta))? };
            let inner = match known.field(id) {
                Some(shape) => shape.inner(kind)?,
                None => Inner::Any,
            };
            on_field(self, id, kind, inner)?;
        }
    }

    /// Skips a value of type `kind` holding `inner`.
    fn skip(&mut self, kind: u8, inner: Inner, depth: u8) -> Option<()> {
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
                let element_inner = match inner {
                    Inner::Elements(expected, _) if element != expected => return None,
                    Inner::Elements(STRUCT, known) => Inner::Struct(known),
                    _ => Inner::Any,
                };
                (0..size).try_for_each(|_| self.skip_element(element, element_inner, depth))
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
                    self.skip_element(kinds >> 4, Inner::Any, depth)?;
                    self.skip_element(kinds & 0x0f, Inner::Any, depth)
                })
            }
            STRUCT => {
                let known = match inner {
                    Inner::Struct(known) => known,
                    _ => Known::Skipped,
                };
                self.fields(depth + 1, known, |input, _, kind, inner| input.skip(kind, inner, depth + 1))
            }
            _ => None,
        }
    }

    /// Skips one element of a list, set or map. A collection of booleans is refused: no
    /// Parquet struct holds one, and the parquet crate skips each such element as zero
    /// bytes (the compact protocol gives it one), so a header claiming 2^31 of them in a
    /// few bytes costs it 2^31 steps (found by the `vended_parquet` fuzz target).
    fn skip_element(&mut self, kind: u8, inner: Inner, depth: u8) -> Option<()> {
        match kind {
            BOOL_TRUE | BOOL_FALSE => None,
            _ => self.skip(kind, inner, depth + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// type 0, uncompressed 100, compressed 50, a data page header with statistics, then
    /// two fields the format does not have (a list and a struct), then stop.
    const HEADER: &[u8] = &[
        0x15, 0x00, // 1: i32 0
        0x15, 0xC8, 0x01, // 2: i32 100
        0x15, 0x64, // 3: i32 50
        0x2C, // 5: data page header
        0x15, 0x14, // 1: i32 10 values
        0x15, 0x00, // 2: i32 encoding
        0x15, 0x06, 0x15, 0x06, // 3, 4: i32 level encodings
        0x1C, // 5: statistics
        0x18, 0x02, b'h', b'i', // 1: binary "hi"
        0x26, 0x00, // 3: i64 0
        0x41, // 7: true
        0x00, // end of statistics
        0x00, // end of data page header
        0x59, 0x25, 0x02, 0x04, // 10: list of 2 i32s: 1, 2
        0x1C, 0x11, 0x00, // 11: struct { 1: true }
        0x00, // end of page header
    ];

    #[test]
    fn a_page_header_gives_its_sizes_and_length() {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(b"page data follows");
        assert_eq!(
            read_header(&bytes),
            Some(PageSizes { uncompressed: 100, compressed: 50, length: HEADER.len(), levels: 0, is_compressed: true })
        );
    }

    /// A header longer than the first short read (statistics of long values) is read
    /// whole, and its claim is checked as a short one's is.
    #[test]
    fn a_header_past_the_first_short_read_is_read_again_whole() {
        let long_header = |uncompressed: &[u8]| {
            let mut header = vec![0x15, 0x00, 0x15];
            header.extend_from_slice(uncompressed);
            header.extend_from_slice(&[0x15, 0x00, 0x78, 0xE8, 0x07]); // 3: i32 0; 10: binary of 1000 bytes
            header.extend(std::iter::repeat_n(b'x', 1000));
            header.push(0x00);
            header
        };
        let small = long_header(&[0xC8, 0x01]);
        assert!(small.len() > SHORT_WINDOW);
        assert_eq!(check_chunk(&bytes::Bytes::from(small.clone()), 0, small.len() as u64, Compression::SNAPPY), Ok(()));
        // 2^31 - 1 bytes claimed.
        let huge = long_header(&[0xFE, 0xFF, 0xFF, 0xFF, 0x0F]);
        let refused = check_chunk(&bytes::Bytes::from(huge.clone()), 0, huge.len() as u64, Compression::SNAPPY).unwrap_err();
        assert!(refused.contains("over the limit of 64 MiB per page"), "{refused}");
    }

    /// The parquet crate reads a known field by the format's type whatever type it
    /// declares, so a header that declares another one is read differently by the two.
    #[test]
    fn a_known_field_declared_with_another_type_is_not_read() {
        let sizes = &HEADER[..7];
        let read = |fields: &[u8]| read_header(&[sizes, fields, &[0x00]].concat());
        // Data page header, statistics and dictionary page header as the format has them.
        assert!(read(&[0x2C, 0x5C, 0x18, 0x00, 0x00, 0x00]).is_some());
        assert!(read(&[0x4C, 0x15, 0x02, 0x15, 0x00, 0x11, 0x00]).is_some());
        for wrong in [
            &[0x27, 0, 0, 0, 0, 0, 0, 0, 0][..],   // 5: a double, not the data page header (the fuzz find)
            &[0x46, 0x02],                         // 7: an i64, not the dictionary page header
            &[0x4C, 0x35, 0x02, 0x00],             // dictionary page header, 3: is_sorted as an i32
            &[0x2C, 0x5C, 0x15, 0x00, 0x00, 0x00], // statistics, 1: max as an i32
            &[0x1C, 0x00],                         // 4: crc as a struct
        ] {
            assert_eq!(read(wrong), None, "{wrong:x?}");
        }
        // A long field id wraps to 16 bits, as the crate reads it: 65541 is field 5, 65545
        // field 9, which the format does not have.
        assert_eq!(read(&[0x07, 0x8A, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert!(read(&[0x07, 0x92, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]).is_some());
    }

    #[test]
    fn a_header_cut_anywhere_or_nested_too_deep_is_not_read() {
        for cut in 0..HEADER.len() {
            assert_eq!(read_header(&HEADER[..cut]), None, "cut at {cut}");
        }
        // The three sizes, then something that makes the header unreadable.
        let sizes = &HEADER[..7];
        assert!(read_header(&[sizes, &[0x00]].concat()).is_some());
        // Structs in field 10, which the format does not have.
        let nested = |depth: usize| [sizes, &[0x7C], &vec![0x1C; depth - 1], &vec![0x00; depth + 1]].concat();
        assert!(read_header(&nested(usize::from(MAX_DEPTH))).is_some());
        assert_eq!(read_header(&nested(100)), None);
        // Lists of lists of ... (the fuzz find: 255 levels overflowed the depth count).
        let lists = |depth: usize| [sizes, &[0x79], &vec![0x19; depth], &[0x15, 0x00, 0x00]].concat();
        assert!(read_header(&lists(8)).is_some());
        assert_eq!(read_header(&lists(300)), None);
        // A list claiming more elements than there are bytes left.
        assert_eq!(read_header(&[sizes, &[0x79, 0xF5, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]].concat()), None);
        // Collections of booleans, which the parquet crate skips at zero bytes an element:
        // a list and a set of one, and maps with a boolean key or value.
        for collection in [&[0x79, 0x11, 0x01][..], &[0x7A, 0x11, 0x01], &[0x7B, 0x01, 0x15, 0x01, 0x00], &[0x7B, 0x01, 0x51, 0x00, 0x01]] {
            assert_eq!(read_header(&[sizes, collection, &[0x00]].concat()), None, "{collection:x?}");
        }
        // The same collections of integers are read.
        for collection in [&[0x79, 0x15, 0x02][..], &[0x7A, 0x15, 0x02], &[0x7B, 0x01, 0x55, 0x02, 0x04]] {
            assert!(read_header(&[sizes, collection, &[0x00]].concat()).is_some(), "{collection:x?}");
        }
    }
}
