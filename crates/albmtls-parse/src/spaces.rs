//! Finding a line's field separators (and the subject's closing quote) 64 bytes at a time.
//!
//! A line holds 11 to 15 short fields, so searching for each space separately (one
//! `memchr` call per field) pays a call's set-up cost a dozen times per line. Instead,
//! each 64-byte block of the line is turned once into a bit mask of its spaces, and the
//! next separator is the lowest bit not yet handed out. The masks come from the widest
//! compares the caller's [`Simd`] allows.

use crate::simd::Simd;

const BLOCK: usize = 64;

/// The spaces of a line in order, each handed out once. Taking the next space clears
/// the lowest set bit of the block's mask, so finding one field's end does not wait on
/// where the previous field started.
pub(crate) struct Spaces<'a, M: Simd> {
    simd: M,
    line: &'a [u8],
    /// Start of the block whose mask is loaded; a multiple of [`BLOCK`].
    block_start: usize,
    /// Spaces of that block not handed out yet.
    bits: u64,
}

impl<'a, M: Simd> Spaces<'a, M> {
    #[inline(always)]
    pub(crate) fn new(simd: M, line: &'a [u8]) -> Spaces<'a, M> {
        Spaces { simd, line, block_start: 0, bits: block_mask(simd, line, 0) }
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
            self.bits = block_mask(self.simd, self.line, self.block_start);
        }
    }

    /// Drops the spaces before `from` (those inside a quoted field). Positions must not
    /// go backwards.
    #[inline(always)]
    pub(crate) fn skip_to(&mut self, from: usize) {
        debug_assert!(from >= self.block_start, "positions must not go backwards");
        if from >= self.block_start + BLOCK {
            self.block_start = from - from % BLOCK;
            self.bits = if self.block_start < self.line.len() { block_mask(self.simd, self.line, self.block_start) } else { 0 };
        }
        self.bits &= u64::MAX << (from - self.block_start);
    }
}

/// The first `byte` at or after `from`, searched a block at a time like the spaces: for
/// the few dozen bytes up to a field's closing quote, a general search's set-up costs
/// about as much as the search.
#[inline(always)]
pub(crate) fn find_byte(simd: impl Simd, line: &[u8], from: usize, byte: u8) -> Option<usize> {
    let mut start = from;
    while start < line.len() {
        let bits = byte_mask(simd, line, start, byte);
        if bits != 0 {
            return Some(start + bits.trailing_zeros() as usize);
        }
        start += BLOCK;
    }
    None
}

/// Bit `i` is set when `line[start + i]` is a space. Bytes past the end count as none.
#[inline(always)]
fn block_mask(simd: impl Simd, line: &[u8], start: usize) -> u64 {
    byte_mask(simd, line, start, b' ')
}

/// Bit `i` is set when `line[start + i]` is `byte`. Bytes past the end count as none.
#[inline(always)]
fn byte_mask(simd: impl Simd, line: &[u8], start: usize, byte: u8) -> u64 {
    let rest = line.get(start..).unwrap_or_default();
    if let Some(block) = rest.first_chunk::<BLOCK>() {
        return simd.eq_mask(block, byte);
    }
    // The line's last, partial block: read the 64 bytes that end the line instead and
    // shift away the ones before `start`, which saves copying into a padded block.
    if let Some(last) = line.last_chunk::<BLOCK>() {
        return simd.eq_mask(last, byte).checked_shr((BLOCK - rest.len()) as u32).unwrap_or(0);
    }
    let mut padded = [0u8; BLOCK];
    padded[..rest.len()].copy_from_slice(rest);
    // Padding must not match: pick a filler that differs from `byte`.
    padded[rest.len()..].fill(!byte);
    simd.eq_mask(&padded, byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::for_each_simd;

    fn spaces_by_scan(line: &[u8], from: usize) -> Option<usize> {
        line.iter().skip(from).position(|&b| b == b' ').map(|i| from + i)
    }

    #[test]
    fn find_byte_agrees_with_a_byte_scan() {
        for_each_simd!(check_find_byte);
    }

    fn check_find_byte(simd: impl Simd) {
        let mut line = [b'a'; 200];
        for at in [3, 64, 130, 199] {
            line[at] = b'"';
        }
        for len in [0, 1, 4, 63, 64, 65, 131, 200] {
            let line = &line[..len];
            for from in 0..=len + 1 {
                let expected = line.iter().skip(from).position(|&b| b == b'"').map(|i| from + i);
                assert_eq!(find_byte(simd, line, from, b'"'), expected, "len {len} from {from}");
            }
        }
        assert_eq!(find_byte(simd, &[0u8; 10], 0, 0), Some(0), "padding never matches, whatever the byte");
        assert_eq!(find_byte(simd, &[1u8; 10], 0, 0), None);
    }

    #[test]
    fn finds_every_space_across_blocks_and_in_a_short_tail() {
        for_each_simd!(check_spaces);
    }

    fn check_spaces(simd: impl Simd) {
        let mut line = vec![b'a'; 300];
        for at in [0, 5, 63, 64, 65, 127, 128, 200, 255, 256, 299] {
            line[at] = b' ';
        }
        for len in [0, 1, 6, 63, 64, 65, 128, 129, 299, 300] {
            let line = &line[..len];
            for from in 0..=len + 2 {
                let mut spaces = Spaces::new(simd, line);
                spaces.skip_to(from);
                assert_eq!(spaces.next(), spaces_by_scan(line, from), "len {len} from {from}");
            }
            for start in 0..=len {
                let expected = (start..len.min(start + BLOCK)).filter(|&i| line[i] == b' ').fold(0u64, |m, i| m | 1 << (i - start));
                assert_eq!(block_mask(simd, line, start), expected, "len {len} start {start}");
            }
            let mut finder = Spaces::new(simd, line);
            let mut found = Vec::new();
            while let Some(at) = finder.next() {
                found.push(at);
            }
            let expected: Vec<usize> = line.iter().enumerate().filter(|(_, b)| **b == b' ').map(|(i, _)| i).collect();
            assert_eq!(found, expected, "len {len}");
        }
    }
}
