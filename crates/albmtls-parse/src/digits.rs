//! Short runs of ASCII digits (ports, fractions of a second) checked and summed as one
//! 64-bit word instead of a byte at a time.

const LOW_NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;
const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;

/// The value of the ASCII digits in the top `count` bytes of `word` (1 to 8), or `None`
/// when one of them is not a digit. Bytes below them are ignored. Text loaded with
/// `u64::from_le_bytes` has its first byte lowest, so the first of the `count` bytes is
/// the most significant digit: shift a field's text to the top of the word first.
#[inline(always)]
pub(crate) fn top_digits_value(word: u64, count: u32) -> Option<u32> {
    debug_assert!((1..=8).contains(&count));
    let digit_bytes = u64::MAX << (64 - 8 * count);
    let values = word & digit_bytes & LOW_NIBBLES;
    // A digit is 0x30-0x39: high nibble 3, and a low nibble that 6 does not carry past 15.
    // No byte can carry into the next (0x0f + 0x06 < 0x100).
    let all_digits =
        word & digit_bytes & HIGH_NIBBLES == 0x3030_3030_3030_3030 & digit_bytes && (values + 0x0606_0606_0606_0606) & HIGH_NIBBLES == 0;
    if !all_digits {
        return None;
    }
    // Bytes below the digits are zero, so they read as leading zeros. Neighbouring
    // bytes, then pairs, then fours are summed in place; no lane overflows its width.
    let pairs = (values * 10 + (values >> 8)) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    let eight = (fours * 10_000 + (fours >> 32)) & 0xffff_ffff;
    Some(eight as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` at the top of a word whose lower bytes hold `filler`.
    fn word_with(text: &[u8], filler: u8) -> u64 {
        let mut bytes = [filler; 8];
        bytes[8 - text.len()..].copy_from_slice(text);
        u64::from_le_bytes(bytes)
    }

    #[test]
    fn every_number_of_up_to_five_digits_reads_whatever_lies_below_it() {
        for count in 1..=5u32 {
            for value in 0..10u32.pow(count) {
                let text = format!("{value:0width$}", width = count as usize);
                for filler in [0, b'9', b' ', 0xff] {
                    assert_eq!(top_digits_value(word_with(text.as_bytes(), filler), count), Some(value), "{text}");
                }
            }
        }
        assert_eq!(top_digits_value(word_with(b"12345678", 0), 8), Some(12_345_678));
        assert_eq!(top_digits_value(word_with(b"99999999", 0), 8), Some(99_999_999));
    }

    #[test]
    fn any_byte_that_is_not_a_digit_at_any_place_is_refused() {
        for count in 1..=8u32 {
            for place in 0..count as usize {
                for byte in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                    let mut text = vec![b'7'; count as usize];
                    text[place] = byte;
                    assert_eq!(top_digits_value(word_with(&text, b'0'), count), None, "{text:?}");
                }
            }
        }
    }
}
