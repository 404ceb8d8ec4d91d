//! Finding a line's field separators (and the subject's closing quote) 64 bytes at a time.
//!
//! A line holds 11 to 15 short fields, so searching for each space separately (one
//! `memchr` call per field) pays a call's set-up cost a dozen times per line. Instead,
//! each 64-byte block of the line is turned once into a bit mask of its spaces, and the
//! next separator is the lowest bit not yet handed out. On x86_64 the mask comes from
//! SSE2 compares (part of the baseline instruction set, so no feature detection is
//! needed); elsewhere from word-at-a-time arithmetic. Both are checked against each other
//! in the tests.

const BLOCK: usize = 64;

/// The spaces of a line in order, each handed out once. Taking the next space clears
/// the lowest set bit of the block's mask, so finding one field's end does not wait on
/// where the previous field started.
pub(crate) struct Spaces<'a> {
    line: &'a [u8],
    /// Start of the block whose mask is loaded; a multiple of [`BLOCK`].
    block_start: usize,
    /// Spaces of that block not handed out yet.
    bits: u64,
}

impl<'a> Spaces<'a> {
    pub(crate) fn new(line: &'a [u8]) -> Spaces<'a> {
        Spaces { line, block_start: 0, bits: block_mask(line, 0) }
    }

    /// The first space not handed out yet.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<usize> {
        loop {
            if self.bits != 0 {
                let at = self.block_start + self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return Some(at);
            }
            if self.block_start + BLOCK >= self.line.len() {
                return None;
            }
            self.block_start += BLOCK;
            self.bits = block_mask(self.line, self.block_start);
        }
    }

    /// Drops the spaces before `from` (those inside a quoted field). Positions must not
    /// go backwards.
    #[inline(always)]
    pub(crate) fn skip_to(&mut self, from: usize) {
        debug_assert!(from >= self.block_start, "positions must not go backwards");
        if from >= self.block_start + BLOCK {
            self.block_start = from - from % BLOCK;
            self.bits = if self.block_start < self.line.len() { block_mask(self.line, self.block_start) } else { 0 };
        }
        self.bits &= u64::MAX << (from - self.block_start);
    }
}

/// The first `byte` at or after `from`, searched a block at a time like the spaces: for
/// the few dozen bytes up to a field's closing quote, a general search's set-up costs
/// about as much as the search.
#[inline(always)]
pub(crate) fn find_byte(line: &[u8], from: usize, byte: u8) -> Option<usize> {
    let mut start = from;
    while start < line.len() {
        let bits = byte_mask(line, start, byte);
        if bits != 0 {
            return Some(start + bits.trailing_zeros() as usize);
        }
        start += BLOCK;
    }
    None
}

/// Bit `i` is set when `line[start + i]` is a space. Bytes past the end count as none.
#[inline(always)]
fn block_mask(line: &[u8], start: usize) -> u64 {
    byte_mask(line, start, b' ')
}

/// Bit `i` is set when `line[start + i]` is `byte`. Bytes past the end count as none.
#[inline(always)]
fn byte_mask(line: &[u8], start: usize, byte: u8) -> u64 {
    let rest = line.get(start..).unwrap_or_default();
    if let Some(block) = rest.first_chunk::<BLOCK>() {
        return eq_mask(block, byte);
    }
    // The line's last, partial block: read the 64 bytes that end the line instead and
    // shift away the ones before `start`, which saves copying into a padded block.
    if let Some(last) = line.last_chunk::<BLOCK>() {
        return eq_mask(last, byte).checked_shr((BLOCK - rest.len()) as u32).unwrap_or(0);
    }
    let mut padded = [0u8; BLOCK];
    padded[..rest.len()].copy_from_slice(rest);
    // Padding must not match: pick a filler that differs from `byte`.
    padded[rest.len()..].fill(!byte);
    eq_mask(&padded, byte)
}

/// Bit `i` is set when `block[i] == byte`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn eq_mask(block: &[u8; BLOCK], byte: u8) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut mask = 0u64;
    for (i, lane) in block.as_chunks::<16>().0.iter().enumerate() {
        // SAFETY: SSE2 is part of every x86_64 CPU, and the unaligned load reads exactly
        // the 16 bytes of `lane`.
        let hits = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(lane.as_ptr().cast()), _mm_set1_epi8(byte as i8))) };
        mask |= u64::from(hits as u16) << (i * 16);
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn eq_mask(block: &[u8; BLOCK], byte: u8) -> u64 {
    eq_mask_portable(block, byte)
}

/// The same mask from eight 64-bit words: an exact "byte is zero" test on
/// `word ^ byte repeated`, then the eight high bits gathered by one multiplication.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn eq_mask_portable(block: &[u8; BLOCK], byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let repeated = u64::from_ne_bytes([byte; 8]);
    let mut mask = 0u64;
    for (i, word) in block.as_chunks::<8>().0.iter().enumerate() {
        let x = u64::from_le_bytes(*word) ^ repeated;
        let high_bit_if_zero = !(((x & LOW7) + LOW7) | x | LOW7);
        mask |= ((high_bit_if_zero >> 7).wrapping_mul(GATHER) >> 56) << (i * 8);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaces_by_scan(line: &[u8], from: usize) -> Option<usize> {
        line.iter().skip(from).position(|&b| b == b' ').map(|i| from + i)
    }

    #[test]
    fn masks_agree_with_a_byte_scan_for_every_byte_value_and_position() {
        for needle in [b' ', b'"', 0, 0xff] {
            for value in 0..=255u8 {
                for position in 0..BLOCK {
                    let mut block = [b'x'; BLOCK];
                    block[position] = value;
                    block[(position * 7 + 3) % BLOCK] = needle;
                    let expected = block.iter().enumerate().fold(0u64, |m, (i, &b)| m | (u64::from(b == needle) << i));
                    assert_eq!(eq_mask(&block, needle), expected, "needle {needle} value {value} at {position}");
                    assert_eq!(eq_mask_portable(&block, needle), expected, "needle {needle} value {value} at {position}");
                }
            }
        }
    }

    #[test]
    fn find_byte_agrees_with_a_byte_scan() {
        let mut line = [b'a'; 200];
        for at in [3, 64, 130, 199] {
            line[at] = b'"';
        }
        for len in [0, 1, 4, 63, 64, 65, 131, 200] {
            let line = &line[..len];
            for from in 0..=len + 1 {
                let expected = line.iter().skip(from).position(|&b| b == b'"').map(|i| from + i);
                assert_eq!(find_byte(line, from, b'"'), expected, "len {len} from {from}");
            }
        }
        assert_eq!(find_byte(&[0u8; 10], 0, 0), Some(0), "padding never matches, whatever the byte");
        assert_eq!(find_byte(&[1u8; 10], 0, 0), None);
    }

    #[test]
    fn finds_every_space_across_blocks_and_in_a_short_tail() {
        let mut line = vec![b'a'; 300];
        for at in [0, 5, 63, 64, 65, 127, 128, 200, 255, 256, 299] {
            line[at] = b' ';
        }
        for len in [0, 1, 6, 63, 64, 65, 128, 129, 299, 300] {
            let line = &line[..len];
            for from in 0..=len + 2 {
                let mut spaces = Spaces::new(line);
                spaces.skip_to(from);
                assert_eq!(spaces.next(), spaces_by_scan(line, from), "len {len} from {from}");
            }
            for start in 0..=len {
                let expected = (start..len.min(start + BLOCK)).filter(|&i| line[i] == b' ').fold(0u64, |m, i| m | 1 << (i - start));
                assert_eq!(block_mask(line, start), expected, "len {len} start {start}");
            }
            let mut finder = Spaces::new(line);
            let mut found = Vec::new();
            while let Some(at) = finder.next() {
                found.push(at);
            }
            let expected: Vec<usize> = line.iter().enumerate().filter(|(_, b)| **b == b' ').map(|(i, _)| i).collect();
            assert_eq!(found, expected, "len {len}");
        }
    }
}
