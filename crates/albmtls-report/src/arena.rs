//! Byte strings kept for the tables with many keys (subjects, certificates): stored back
//! to back in an [`Arena`] and found through a hash table whose slots hold a key's
//! position and 24 bits of its hash ([`tag_of`]), so a table of millions of keys holds no
//! allocation per key and grows without reading them.

/// Bits of a key's hash kept beside its position.
pub(crate) const TAG_BITS: u32 = 24;
pub(crate) const TAG_MASK: u32 = (1 << TAG_BITS) - 1;

/// The 24 bits of `hash` a slot keeps (all of its bits folded in).
#[inline(always)]
pub(crate) fn tag_of(hash: u64) -> u32 {
    (hash ^ (hash >> 24) ^ (hash >> 48)) as u32 & TAG_MASK
}

/// Spreads the 24 hash bits kept in a slot over the 64 a table wants (it places by the
/// low ones and tags by the top seven), so that growing it reads only the slots.
#[inline(always)]
pub(crate) fn table_hash(tag: u32) -> u64 {
    u64::from(tag).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Byte strings stored back to back, each behind its length, in chunks that are never
/// moved: a full chunk is left as it is and a new one started, so growing never copies
/// and never holds twice the bytes.
///
/// A position is 40 bits: the chunk's index in the high 20, the offset in the low 20 (an
/// ordinary chunk holds at most [`Arena::CHUNK`] bytes; a longer key gets a chunk of its
/// own, at offset 0). A million chunks of at least half a mebibyte each is more memory
/// than any machine this runs on.
#[derive(Clone, Default)]
pub(crate) struct Arena {
    chunks: Vec<Vec<u8>>,
}

impl Arena {
    pub(crate) const CHUNK: usize = 1 << 20;
    const OFFSET_BITS: u32 = 20;
    const MAX_CHUNKS: usize = 1 << 20;

    /// Stores `key`; returns where.
    #[inline]
    pub(crate) fn push(&mut self, key: &[u8]) -> u64 {
        self.push_parts(&[key])
    }

    /// Stores `parts` one after the other as one key; returns where.
    #[inline]
    pub(crate) fn push_parts(&mut self, parts: &[&[u8]]) -> u64 {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let needed = varint_len(len) + len;
        let fits = self.chunks.last().is_some_and(|chunk| chunk.len() + needed <= Self::CHUNK);
        if !fits {
            assert!(self.chunks.len() < Self::MAX_CHUNKS, "a table's keys outgrew a million arena chunks");
            self.chunks.push(Vec::with_capacity(needed.max(Self::CHUNK)));
        }
        let index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[index];
        let offset = chunk.len();
        push_varint(chunk, len);
        for part in parts {
            chunk.extend_from_slice(part);
        }
        ((index as u64) << Self::OFFSET_BITS) | offset as u64
    }

    /// The chunk and offset of position `at`.
    #[inline(always)]
    fn place(at: u64) -> (usize, usize) {
        ((at >> Self::OFFSET_BITS) as usize, (at & ((1 << Self::OFFSET_BITS) - 1)) as usize)
    }

    #[inline(always)]
    pub(crate) fn get(&self, at: u64) -> &[u8] {
        let (chunk, offset) = Self::place(at);
        let chunk = &self.chunks[chunk];
        let (len, start) = read_varint(chunk, offset);
        &chunk[start..start + len]
    }

    /// The key at `at`, to change in place (its length stays).
    #[inline(always)]
    pub(crate) fn get_mut(&mut self, at: u64) -> &mut [u8] {
        let (chunk, offset) = Self::place(at);
        let chunk = &mut self.chunks[chunk];
        let (len, start) = read_varint(chunk, offset);
        &mut chunk[start..start + len]
    }

    /// Asks the processor to load the first `lines` cache lines stored from `at` on
    /// without waiting for them, nor reading them here: a key about to be compared.
    #[inline(always)]
    pub(crate) fn prefetch(&self, at: u64, lines: usize) {
        let (chunk, offset) = Self::place(at);
        if let Some(chunk) = self.chunks.get(chunk) {
            let start = chunk.as_ptr().wrapping_add(offset);
            for line in 0..lines {
                prefetch(start.wrapping_add(line * 64));
            }
        }
    }
}

/// A hint to load the cache line at `address`; never faults, whatever the address.
#[inline(always)]
fn prefetch(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; SSE is part of x86-64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

/// Bytes of `len` as a LEB128 varint: subjects are mostly shorter than 128 bytes, so
/// their length takes one byte instead of four.
#[inline(always)]
fn varint_len(len: usize) -> usize {
    (usize::BITS - (len | 1).leading_zeros()).div_ceil(7) as usize
}

#[inline(always)]
fn push_varint(out: &mut Vec<u8>, mut value: usize) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The varint at `at` and the position after it.
#[inline(always)]
fn read_varint(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let byte = bytes[at];
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return (value, at);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_positions_round_trip_through_their_compact_forms() {
        for len in [0, 1, 127, 128, 16_383, 16_384, (1 << 21) + 5, u32::MAX as usize] {
            let mut bytes = vec![0xAA];
            push_varint(&mut bytes, len);
            assert_eq!(bytes.len() - 1, varint_len(len), "{len}");
            assert_eq!(read_varint(&bytes, 1), (len, bytes.len()), "{len}");
        }
        let mut arena = Arena::default();
        let long = vec![b'x'; Arena::CHUNK + 3];
        let mut places: Vec<u64> = [&b"a"[..], &long, b"b", &[b'y'; 200]].iter().map(|key| arena.push(key)).collect();
        places.push(arena.push_parts(&[b"head", b"", b"tail"]));
        assert_eq!(arena.get(places[1]), &long[..], "a key longer than a chunk gets one of its own");
        assert_eq!((arena.get(places[0]), arena.get(places[2]), arena.get(places[3])), (&b"a"[..], &b"b"[..], &[b'y'; 200][..]));
        assert_eq!(arena.get(places[4]), b"headtail");
        arena.get_mut(places[4])[..4].copy_from_slice(b"HEAD");
        assert_eq!((arena.get(places[4]), arena.get(places[3])), (&b"HEADtail"[..], &[b'y'; 200][..]));
    }
}
