//! Equality and fingerprints of the short byte strings compared on every record (load
//! balancer, protocol, cipher and key-exchange names, certificate serials): up to 32 bytes compared as
//! machine words in line, where `==` on slices calls `memcmp`, whose call costs more
//! than the compare itself.

/// Whether `a` and `b` hold the same bytes.
#[inline(always)]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u32_at = |s: &[u8], at: usize| u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]]);
    let u64_at = |s: &[u8], at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(word)
    };
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        8..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, n - 8) == u64_at(b, n - 8),
        // The first 16 and the last 16 (overlapping) bytes.
        17..=32 => {
            u64_at(a, 0) == u64_at(b, 0)
                && u64_at(a, 8) == u64_at(b, 8)
                && u64_at(a, n - 16) == u64_at(b, n - 16)
                && u64_at(a, n - 8) == u64_at(b, n - 8)
        }
        _ => a == b,
    }
}

/// A fingerprint that tells most values of one dimension apart without reading all of
/// their bytes: the length and the last and middle bytes (`TLSv1.2` / `TLSv1.3`, and
/// cipher and group names of one length, differ there).
#[inline(always)]
pub fn fingerprint(bytes: &[u8]) -> usize {
    match bytes {
        [] => 0,
        [.., last] => bytes.len() * 11 + usize::from(*last) * 3 + usize::from(bytes[bytes.len() / 2]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length up to past the word-wise range, equal and with any one byte changed.
    #[test]
    fn agrees_with_slice_equality_at_every_length_and_every_differing_byte() {
        for n in 0..=140usize {
            let a: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "length {n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x40;
                assert!(!same_bytes(&a, &b), "length {n}, byte {at} differs");
                assert!(!same_bytes(&b, &a), "length {n}, byte {at} differs");
            }
            let longer: Vec<u8> = a.iter().copied().chain([0]).collect();
            assert!(!same_bytes(&a, &longer), "lengths {n} and {}", n + 1);
        }
    }
}
