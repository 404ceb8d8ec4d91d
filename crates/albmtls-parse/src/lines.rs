//! Cutting a block of text into lines with the tokenizer's own 64-byte masks.
//!
//! Commands cut every decoded block into lines before tokenizing them. `memchr` is fast
//! over long texts, but it is an out-of-line call through a run-time dispatch, and a
//! connection-log line is only a few hundred bytes: per line, that set-up cost about as
//! much as the search (~7 ns of the report's ~70 ns per line). The masks of the caller's
//! [`Simd`] kind inline into the loop compiled for it instead.

use crate::simd::Simd;
use crate::spaces::find_byte;

/// The lines of a block, each with its `\n` (the last one without, when the block does
/// not end in one). Made by [`lines`].
pub struct Lines<'a, M: Simd> {
    simd: M,
    bytes: &'a [u8],
    /// Where the next line starts.
    start: usize,
}

/// The lines of `bytes`, as `bytes.split_inclusive(|&b| b == b'\n')` gives them.
#[inline(always)]
pub fn lines<M: Simd>(simd: M, bytes: &[u8]) -> Lines<'_, M> {
    Lines { simd, bytes, start: 0 }
}

impl<'a, M: Simd> Iterator for Lines<'a, M> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.start >= self.bytes.len() {
            return None;
        }
        let end = find_byte(self.simd, self.bytes, self.start, b'\n').map_or(self.bytes.len(), |newline| newline + 1);
        let line = &self.bytes[self.start..end];
        self.start = end;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::for_each_simd;

    #[test]
    fn cuts_like_split_inclusive_at_every_length_and_position() {
        for_each_simd!(check_lines);
    }

    fn check_lines(simd: impl Simd) {
        // Newlines at block edges, in runs, first and last; lengths around 64 and 128.
        let mut text = vec![b'a'; 300];
        for at in [0, 1, 2, 62, 63, 64, 65, 127, 128, 200, 201, 299] {
            text[at] = b'\n';
        }
        for len in 0..=text.len() {
            for from in [0, 1, 63] {
                let block = text.get(from..len).unwrap_or_default();
                let expected: Vec<&[u8]> = block.split_inclusive(|&b| b == b'\n').collect();
                let found: Vec<&[u8]> = lines(simd, block).collect();
                assert_eq!(found, expected, "{simd:?}: bytes {from}..{len}");
            }
        }
    }

    #[test]
    fn a_block_without_newlines_is_one_line_and_an_empty_one_none() {
        for_each_simd!(check_edges);
    }

    fn check_edges(simd: impl Simd) {
        let long = [b' '; 1000];
        assert_eq!(lines(simd, &long).collect::<Vec<_>>(), [&long[..]], "{simd:?}");
        assert_eq!(lines(simd, b"").count(), 0, "{simd:?}");
        assert_eq!(lines(simd, b"\n\n").collect::<Vec<_>>(), [b"\n", b"\n"], "{simd:?}");
    }
}
