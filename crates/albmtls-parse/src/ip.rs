//! Client addresses, read straight from the line's bytes.
//!
//! The address is parsed on every line. std's byte parsers (`parse_ascii`) are not stable
//! yet, and going through `str` costs a UTF-8 check and a general parser per line, so the
//! plain forms ALB writes are read here: dotted-quad IPv4 from one 16-byte window, plain
//! IPv6 in one pass. They return `None` for anything unusual and std, which stays the
//! authority, decides; the tests check that they never accept what std refuses or read
//! an address differently.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Width of the window the IPv4 reader looks at: the longest dotted quad is 15 bytes.
const WINDOW: usize = 16;

/// Reads the client address `line[start..end]` (brackets already removed).
pub(crate) fn parse_client_ip(line: &[u8], start: usize, end: usize) -> Option<IpAddr> {
    let text = &line[start..end];
    // IPv4 first, without a pass looking for ':': it is nearly every client, and an IPv6
    // address fails it at its first group.
    let v4 = match line.get(start..start + WINDOW) {
        Some(window) => window.first_chunk::<WINDOW>().and_then(|window| parse_ipv4_window(window, text.len())),
        // The address ends the (short, probably broken) line: pad a copy instead.
        None => padded_window(text).and_then(|window| parse_ipv4_window(&window, text.len())),
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
/// Branch-light on purpose: octet lengths vary from line to line, so a byte-at-a-time
/// reader mispredicts at nearly every dot. Here the dots come from one compare of the
/// whole window, and each octet is read at fixed offsets back from its end.
#[inline]
fn parse_ipv4_window(window: &[u8; WINDOW], len: usize) -> Option<Ipv4Addr> {
    if !(7..=15).contains(&len) {
        return None;
    }
    let in_text = (1u32 << len) - 1;
    let (dots, digits) = dot_and_digit_masks(window);
    let dots = dots & in_text;
    if (dots | digits) & in_text != in_text || dots.count_ones() != 3 {
        return None;
    }
    let first = dots.trailing_zeros() as usize;
    let rest = dots & (dots - 1);
    let second = rest.trailing_zeros() as usize;
    let third = (rest & (rest - 1)).trailing_zeros() as usize;
    let spans = [(0, first), (first + 1, second), (second + 1, third), (third + 1, len)];
    // Offsets below an octet's start land on a dot or wrap around the window; those
    // digits are multiplied by zero, so every read stays in bounds without a branch.
    let digit = |i: usize| u16::from(window[i % WINDOW].wrapping_sub(b'0'));
    let mut refused = false;
    let mut octets = [0u16; 4];
    for (octet, (start, end)) in octets.iter_mut().zip(spans) {
        let width = end.wrapping_sub(start);
        refused |= !(1..=3).contains(&width);
        // A leading zero ("01") is refused, as std refuses it.
        refused |= (width >= 2) & (window[start % WINDOW] == b'0');
        let ones = digit(end.wrapping_sub(1));
        let tens = digit(end.wrapping_sub(2)) * u16::from(width >= 2);
        let hundreds = digit(end.wrapping_sub(3)) * u16::from(width >= 3);
        *octet = hundreds * 100 + tens * 10 + ones;
    }
    if refused || (octets[0] | octets[1] | octets[2] | octets[3]) > 255 {
        return None;
    }
    Some(Ipv4Addr::from(octets.map(|o| o as u8)))
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
/// to std.
fn parse_ipv6_plain(text: &[u8]) -> Option<Ipv6Addr> {
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut head_len, mut tail_len) = (0, 0);
    let mut gap = false;
    let mut rest = match text.strip_prefix(b"::") {
        Some(rest) => {
            gap = true;
            rest
        }
        None => text,
    };
    while !rest.is_empty() {
        let digits = rest.iter().take(5).take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 || digits > 4 {
            return None;
        }
        let group = rest[..digits].iter().fold(0u16, |g, &b| (g << 4) | (b as char).to_digit(16).unwrap_or(0) as u16);
        let (groups, len) = if gap { (&mut tail, &mut tail_len) } else { (&mut head, &mut head_len) };
        *groups.get_mut(*len)? = group;
        *len += 1;
        rest = match &rest[digits..] {
            [] => break,
            [b':', b':', after @ ..] if !gap => {
                gap = true;
                after
            }
            [b':', after @ ..] if !after.is_empty() && after[0] != b':' => after,
            _ => return None,
        };
    }
    let groups = match (gap, head_len + tail_len) {
        (false, 8) => head,
        (true, used) if used <= 7 => {
            let mut all = head;
            all[8 - tail_len..].copy_from_slice(&tail[..tail_len]);
            all
        }
        _ => return None,
    };
    Some(Ipv6Addr::from(groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IPv4 reader on `text`, with `after` filling the rest of the window.
    fn ipv4_in_window(text: &[u8], after: u8) -> Option<Ipv4Addr> {
        let mut window = [after; WINDOW];
        window.get_mut(..text.len())?.copy_from_slice(text);
        parse_ipv4_window(&window, text.len())
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
        assert_eq!(parse_client_ip(line, 2, line.len()), Some(IpAddr::from([203, 0, 113, 7])));
        let line = b"x 203.0.113.7 5 443 and more";
        assert_eq!(parse_client_ip(line, 2, 13), Some(IpAddr::from([203, 0, 113, 7])));
        assert_eq!(parse_client_ip(b"::1", 0, 3), Some(IpAddr::from(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_client_ip(b"::ffff:1.2.3.4", 0, 14), "::ffff:1.2.3.4".parse().ok(), "embedded IPv4 goes to std");
        assert_eq!(parse_client_ip(b"1.2.3.4.5.6.7.8.9", 0, 17), None);
    }
}
