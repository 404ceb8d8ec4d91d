//! Client addresses, read straight from the line's bytes.
//!
//! The address is parsed on every line. std's byte parsers (`parse_ascii`) are not stable
//! yet, and going through `str` costs a UTF-8 check and a general parser per line, so the
//! plain forms ALB writes are read here: dotted-quad IPv4 from one 16-byte window, plain
//! IPv6 in one pass. They return `None` for anything unusual and std, which stays the
//! authority, decides; the tests check that they never accept what std refuses or read
//! an address differently.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::simd::Simd;

/// Width of the window the IPv4 reader looks at: the longest dotted quad is 15 bytes.
const WINDOW: usize = 16;

/// Reads the client address `line[start..end]` (brackets already removed).
#[inline(always)]
pub(crate) fn parse_client_ip(simd: impl Simd, line: &[u8], start: usize, end: usize) -> Option<IpAddr> {
    let text = &line[start..end];
    // IPv4 first, without a pass looking for ':': it is nearly every client, and an IPv6
    // address fails it at its first group.
    let v4 = match line.get(start..).and_then(<[u8]>::first_chunk::<WINDOW>) {
        Some(window) => parse_ipv4_window(simd, window, text.len()),
        // The address ends the (short, probably broken) line: pad a copy instead.
        None => padded_window(text).and_then(|window| parse_ipv4_window(simd, &window, text.len())),
    };
    v4.map(IpAddr::V4)
        .or_else(|| parse_ipv6_plain(text).map(IpAddr::V6))
        .or_else(|| std::str::from_utf8(text).ok().and_then(|s| s.parse().ok()))
}

fn padded_window(text: &[u8]) -> Option<[u8; WINDOW]> {
    let mut window = [b' '; WINDOW];
    window.get_mut(..text.len())?.copy_from_slice(text);
    Some(window)
}

/// A dotted quad in the first `len` bytes of `window` (what follows is ignored).
///
/// Branch-light on purpose: octet widths vary from line to line, so a byte-at-a-time
/// reader mispredicts at nearly every dot. Here the dots come from one compare of the
/// whole window; the octets are then read with one shuffle and two multiply-adds where
/// the CPU has SSSE3, at fixed offsets otherwise.
#[inline(always)]
fn parse_ipv4_window(simd: impl Simd, window: &[u8; WINDOW], len: usize) -> Option<Ipv4Addr> {
    let widths = octet_widths(window, len)?;
    #[cfg(not(target_arch = "x86_64"))]
    let _ = simd;
    #[cfg(target_arch = "x86_64")]
    if simd.has_ssse3() {
        // SAFETY: `has_ssse3` is true only when the CPU has SSSE3.
        return unsafe { octets_ssse3(window, widths) };
    }
    octets_portable(window, widths)
}

/// The widths of the four octets, when the first `len` bytes of `window` are digits
/// and exactly three dots with one to three digits around each.
#[inline(always)]
fn octet_widths(window: &[u8; WINDOW], len: usize) -> Option<[usize; 4]> {
    if !(7..=15).contains(&len) {
        return None;
    }
    let in_text = (1u32 << len) - 1;
    let (dots, digits) = dot_and_digit_masks(window);
    let dots = dots & in_text;
    if (dots | digits) & in_text != in_text {
        return None;
    }
    // Exactly three dots. Clearing the lowest bit three times, rather than `count_ones`,
    // because baseline x86_64 has no POPCNT instruction and this runs on every line.
    let first = dots.trailing_zeros() as usize;
    let after_first = dots & dots.wrapping_sub(1);
    let second = after_first.trailing_zeros() as usize;
    let after_second = after_first & after_first.wrapping_sub(1);
    let third = after_second.trailing_zeros() as usize;
    if after_second == 0 || after_second & (after_second - 1) != 0 {
        return None;
    }
    let widths = [first, second - first - 1, third - second - 1, len - third - 1];
    widths.iter().all(|w| (1..=3).contains(w)).then_some(widths)
}

/// The smallest value an octet of each width may have: a leading zero ("01") is
/// refused, as std refuses it.
const SMALLEST: [u16; 3] = [0, 10, 100];

/// Reads each octet at fixed offsets back from its end.
fn octets_portable(window: &[u8; WINDOW], widths: [usize; 4]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut start = 0;
    for (octet, width) in octets.iter_mut().zip(widths) {
        let end = start + width;
        // Offsets below the octet's start land on a dot or wrap around the window;
        // those digits are multiplied by zero, so every read stays in bounds without a
        // branch.
        let digit = |i: usize| u16::from(window[i % WINDOW].wrapping_sub(b'0'));
        let ones = digit(end.wrapping_sub(1));
        let tens = digit(end.wrapping_sub(2)) * u16::from(width >= 2);
        let hundreds = digit(end.wrapping_sub(3)) * u16::from(width >= 3);
        let value = hundreds * 100 + tens * 10 + ones;
        if value < SMALLEST[width - 1] {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
        start = end + 1;
    }
    Some(Ipv4Addr::from(octets))
}

/// One byte shuffle per octet-width pattern (3^4 of them): it moves each octet's
/// hundreds, tens and ones digits to bytes 1, 2 and 3 of its own 32-bit lane (0x80
/// gives a zero for a missing digit), and the smallest value each lane may hold.
#[cfg(target_arch = "x86_64")]
static OCTET_PATTERNS: [([u8; 16], [i32; 4]); 81] = {
    let mut patterns = [([0x80u8; 16], [0i32; 4]); 81];
    let mut id = 0;
    while id < 81 {
        let widths = [id / 27 % 3 + 1, id / 9 % 3 + 1, id / 3 % 3 + 1, id % 3 + 1];
        let (mut lane, mut start) = (0, 0);
        while lane < 4 {
            let width = widths[lane];
            let mut digit = 0;
            while digit < width {
                patterns[id].0[4 * lane + 4 - width + digit] = (start + digit) as u8;
                digit += 1;
            }
            patterns[id].1[lane] = SMALLEST[width - 1] as i32;
            start += width + 1;
            lane += 1;
        }
        id += 1;
    }
    patterns
};

/// Reads all four octets at once: shuffle each octet's digits into its own lane,
/// weigh them 100/10/1 with two multiply-adds, and check every lane's range at once.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
fn octets_ssse3(window: &[u8; WINDOW], widths: [usize; 4]) -> Option<Ipv4Addr> {
    use std::arch::x86_64::{
        _mm_cmpgt_epi32, _mm_cmplt_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_madd_epi16, _mm_maddubs_epi16, _mm_movemask_epi8,
        _mm_or_si128, _mm_packs_epi32, _mm_packus_epi16, _mm_set1_epi8, _mm_set1_epi16, _mm_set1_epi32, _mm_setr_epi8, _mm_shuffle_epi8,
        _mm_sub_epi8,
    };
    let id = (widths[0] - 1) * 27 + (widths[1] - 1) * 9 + (widths[2] - 1) * 3 + (widths[3] - 1);
    let (shuffle, smallest) = &OCTET_PATTERNS[id];
    // SAFETY: each unaligned load reads exactly the 16 bytes of the array it is given.
    let (bytes, shuffle, smallest) = unsafe {
        (_mm_loadu_si128(window.as_ptr().cast()), _mm_loadu_si128(shuffle.as_ptr().cast()), _mm_loadu_si128(smallest.as_ptr().cast()))
    };
    let digits = _mm_shuffle_epi8(_mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8)), shuffle);
    // Lane bytes (0, hundreds, tens, ones) -> 16-bit (100 x hundreds, 10 x tens + ones) -> one 32-bit value.
    let pairs = _mm_maddubs_epi16(digits, _mm_setr_epi8(0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1));
    let values = _mm_madd_epi16(pairs, _mm_set1_epi16(1));
    let out_of_range = _mm_or_si128(_mm_cmpgt_epi32(values, _mm_set1_epi32(255)), _mm_cmplt_epi32(values, smallest));
    if _mm_movemask_epi8(out_of_range) != 0 {
        return None;
    }
    let bytes = _mm_packus_epi16(_mm_packs_epi32(values, values), values);
    Some(Ipv4Addr::from((_mm_cvtsi128_si32(bytes) as u32).to_le_bytes()))
}

/// Bit `i` of the first mask is set when `window[i]` is `.`, of the second when it is an
/// ASCII digit.
#[cfg(target_arch = "x86_64")]
#[inline]
fn dot_and_digit_masks(window: &[u8; WINDOW]) -> (u32, u32) {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8, _mm_sub_epi8};
    // SAFETY: SSE2 is part of every x86_64 CPU, and the unaligned load reads exactly the
    // 16 bytes of `window`.
    unsafe {
        let bytes = _mm_loadu_si128(window.as_ptr().cast());
        let dots = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'.' as i8)));
        // A byte is a digit when `byte - '0'` (wrapping) is at most 9.
        let offsets = _mm_sub_epi8(bytes, _mm_set1_epi8(b'0' as i8));
        let digits = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(offsets, _mm_set1_epi8(9)), offsets));
        (dots as u32, digits as u32)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn dot_and_digit_masks(window: &[u8; WINDOW]) -> (u32, u32) {
    dot_and_digit_masks_portable(window)
}

#[cfg(any(test, not(target_arch = "x86_64")))]
fn dot_and_digit_masks_portable(window: &[u8; WINDOW]) -> (u32, u32) {
    window
        .iter()
        .enumerate()
        .fold((0, 0), |(dots, digits), (i, &b)| (dots | u32::from(b == b'.') << i, digits | u32::from(b.is_ascii_digit()) << i))
}

/// IPv6 written as hex groups with at most one `::`; embedded IPv4 and zones are left
/// to std. One pass, each byte looked up once.
fn parse_ipv6_plain(text: &[u8]) -> Option<Ipv6Addr> {
    let mut groups = [0u16; 8];
    let mut count = 0;
    // Where `::` stands: the number of groups written before it.
    let mut gap: Option<usize> = None;
    let mut at = 0;
    if text.starts_with(b"::") {
        gap = Some(0);
        at = 2;
    }
    while at < text.len() {
        let (mut group, mut digits) = (0u16, 0);
        while let Some(&value) = text.get(at).map(|&b| &HEX_VALUE[usize::from(b)])
            && value < 16
        {
            group = group << 4 | u16::from(value);
            digits += 1;
            at += 1;
        }
        if !(1..=4).contains(&digits) {
            return None;
        }
        *groups.get_mut(count)? = group;
        count += 1;
        match &text[at..] {
            [] => break,
            [b':', b':', ..] if gap.is_none() => {
                gap = Some(count);
                at += 2;
            }
            // A single `:` must be followed by another group.
            [b':', next, ..] if *next != b':' => at += 1,
            _ => return None,
        }
    }
    match gap {
        None if count == 8 => {}
        Some(before) if count <= 7 => {
            // Move the groups written after `::` to the end; zeros fill the gap.
            let after = count - before;
            groups.copy_within(before..count, 8 - after);
            groups[before..8 - after].fill(0);
        }
        _ => return None,
    }
    Some(Ipv6Addr::from(groups))
}

/// The value of each hex digit byte; 16 or more for any other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            digit @ b'0'..=b'9' => digit - b'0',
            lower @ b'a'..=b'f' => lower - b'a' + 10,
            upper @ b'A'..=b'F' => upper - b'A' + 10,
            _ => 0xff,
        };
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::Baseline;

    /// The IPv4 reader on `text`, with `after` filling the rest of the window; checks
    /// that the portable octet reader agrees with the one this CPU uses.
    fn ipv4_in_window(text: &[u8], after: u8) -> Option<Ipv4Addr> {
        let mut window = [after; WINDOW];
        window.get_mut(..text.len())?.copy_from_slice(text);
        let read = parse_ipv4_window(Baseline, &window, text.len());
        let portable = octet_widths(&window, text.len()).and_then(|widths| octets_portable(&window, widths));
        assert_eq!(read, portable, "the octet readers disagree on {}", String::from_utf8_lossy(text));
        read
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn ipv4_reader_never_disagrees_with_std(text in "[0-9.]{0,17}|([0-9]{0,4}\\.){0,4}[0-9]{0,4}", after in proptest::prelude::any::<u8>()) {
            let ours = ipv4_in_window(text.as_bytes(), after);
            proptest::prop_assert!(ours.is_none() || ours == text.parse().ok(), "{}", text);
        }

        #[test]
        fn ipv4_reader_reads_every_address_std_writes(octets in proptest::prelude::any::<[u8; 4]>(), after in proptest::prelude::any::<u8>()) {
            let address = Ipv4Addr::from(octets);
            proptest::prop_assert_eq!(ipv4_in_window(address.to_string().as_bytes(), after), Some(address));
        }

        #[test]
        fn ipv6_fast_path_never_disagrees_with_std(text in "[0-9a-fA-F:]{0,42}|([0-9a-f]{0,5}:{1,2}){0,9}[0-9a-f]{0,5}") {
            let ours = parse_ipv6_plain(text.as_bytes());
            proptest::prop_assert!(ours.is_none() || ours == text.parse().ok(), "{}", text);
        }

        #[test]
        fn ipv6_fast_path_reads_every_address_std_writes(mut groups in proptest::prelude::any::<[u16; 8]>(), start in 0usize..8, end in 0usize..9) {
            // A run of zero groups makes std write `::`.
            groups[start..end.max(start)].fill(0);
            let address = Ipv6Addr::from(groups);
            let text = address.to_string();
            if !text.contains('.') {
                proptest::prop_assert_eq!(parse_ipv6_plain(text.as_bytes()), Some(address), "{}", text);
            }
        }
    }

    #[test]
    fn ipv4_reader_agrees_with_std_on_every_octet_shape() {
        // Every octet value and width in every position, with what follows the address
        // in the window varied, including bytes that look like more address.
        let octets = ["0", "00", "000", "01", "001", "7", "10", "99", "100", "199", "255", "256", "300", "999", "1000", ""];
        for a in octets {
            for b in octets {
                for text in [format!("{a}.{b}.{b}.{a}"), format!("{b}.{a}.1.{b}"), format!("1.{a}.{b}.2")] {
                    let std = text.parse::<Ipv4Addr>().ok();
                    for after in [b' ', b'.', b'5', 0, 0xff] {
                        assert_eq!(ipv4_in_window(text.as_bytes(), after), std, "{text} then {after}");
                    }
                }
            }
        }
        for text in ["1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1.2.3.4/8", ""] {
            assert_eq!(ipv4_in_window(text.as_bytes(), b' '), None, "{text}");
        }
    }

    #[test]
    fn ipv6_reader_agrees_with_std_on_edge_forms() {
        for text in [
            "::",
            "::1",
            "1::",
            "1::2",
            "2001:db8::",
            "2001:DB8:0:0:8:800:200C:417A",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "1::2::3",
            ":1",
            "1:",
            ":::",
            "1:::2",
            "12345::",
            "::g",
            "1:2:3:4:5:6::7:8",
            "",
        ] {
            // None of these embeds IPv4 or a zone, so the reader must decide exactly as std.
            assert_eq!(parse_ipv6_plain(text.as_bytes()), text.parse::<Ipv6Addr>().ok(), "{text}");
        }
    }

    #[test]
    fn masks_agree_with_a_byte_scan() {
        for value in 0..=255u8 {
            for position in 0..WINDOW {
                let mut window = [b'1'; WINDOW];
                window[position] = value;
                assert_eq!(dot_and_digit_masks(&window), dot_and_digit_masks_portable(&window), "{value} at {position}");
            }
        }
    }

    #[test]
    fn addresses_at_the_end_of_a_line_are_read_from_a_padded_copy() {
        let line = b"x 203.0.113.7";
        assert_eq!(parse_client_ip(Baseline, line, 2, line.len()), Some(IpAddr::from([203, 0, 113, 7])));
        let line = b"x 203.0.113.7 5 443 and more";
        assert_eq!(parse_client_ip(Baseline, line, 2, 13), Some(IpAddr::from([203, 0, 113, 7])));
        assert_eq!(parse_client_ip(Baseline, b"::1", 0, 3), Some(IpAddr::from(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_client_ip(Baseline, b"::ffff:1.2.3.4", 0, 14), "::ffff:1.2.3.4".parse().ok(), "embedded IPv4 goes to std");
        assert_eq!(parse_client_ip(Baseline, b"1.2.3.4.5.6.7.8.9", 0, 17), None);
    }
}
