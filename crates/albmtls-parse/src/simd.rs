//! Which vector instructions the tokenizer may use, decided once at run time.
//!
//! The binary targets baseline x86_64, whose SSE2 compares 16 bytes at a time, so turning
//! a 64-byte block into a bit mask of one byte value takes four compares and four mask
//! moves. AVX2 takes two of each and AVX-512 a single compare, but those instructions may
//! only run on CPUs that have them. The types here are proof that they do: [`Avx2`] and
//! [`Avx512`] can only be had from their `detect` functions, so code holding one may use
//! what it stands for.
//!
//! The tokenizer is generic over [`Simd`]. For the wide kinds to pay off, a caller's line
//! loop must be compiled for the features its kind stands for, so that the masks and the
//! parser inline into it: [`SimdLevel::dispatch`] runs a [`SimdKernel`] inside a function
//! compiled with `#[target_feature]` for the kind at hand. Each kind's feature list is
//! written once, in the `simd_kind!` macro, which makes both its `detect` and that function: the
//! `unsafe` call in `dispatch` is sound because the two cannot disagree.

/// A set of vector instructions the CPU is known to have.
pub trait Simd: Copy + Send + Sync + std::fmt::Debug + sealed::Sealed {
    /// Bit `i` is set when `block[i] == byte`.
    fn eq_mask(self, block: &[u8; 64], byte: u8) -> u64;

    /// Whether the CPU has SSSE3 (the IPv4 reader's byte shuffle).
    fn has_ssse3(self) -> bool;
}

/// Work generic over the SIMD kind, for [`SimdLevel::dispatch`]. Mark `run`
/// `#[inline(always)]`: it must inline into the function compiled for the kind.
pub trait SimdKernel {
    type Output;

    fn run<M: Simd>(self, simd: M) -> Self::Output;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Baseline {}
    #[cfg(target_arch = "x86_64")]
    impl Sealed for super::Avx2 {}
    #[cfg(target_arch = "x86_64")]
    impl Sealed for super::Avx512 {}
}

/// What every CPU of the target architecture has (SSE2 on x86_64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Baseline;

impl Simd for Baseline {
    #[inline(always)]
    fn eq_mask(self, block: &[u8; 64], byte: u8) -> u64 {
        #[cfg(target_arch = "x86_64")]
        return eq_mask_sse2(block, byte);
        #[cfg(not(target_arch = "x86_64"))]
        return eq_mask_portable(block, byte);
    }

    #[inline(always)]
    fn has_ssse3(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return is_x86_feature_detected!("ssse3");
        #[cfg(not(target_arch = "x86_64"))]
        return false;
    }
}

/// Defines a kind: its proof type, its `detect` (every feature checked at run time), and
/// a function that runs a kernel compiled for exactly those features.
macro_rules! simd_kind {
    ($(#[$doc:meta])* $kind:ident, $run:ident, [$($feature:tt),+]) => {
        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $kind(());

        #[cfg(target_arch = "x86_64")]
        impl $kind {
            /// The features a value of this kind proves, as `#[target_feature]` names them.
            pub const FEATURES: &'static [&'static str] = &[$($feature),+];

            /// `Some` when this CPU has every feature in [`Self::FEATURES`].
            pub fn detect() -> Option<$kind> {
                (true $(&& is_x86_feature_detected!($feature))+).then_some($kind(()))
            }
        }

        /// Runs `kernel` compiled for the kind's features.
        #[cfg(target_arch = "x86_64")]
        $(#[target_feature(enable = $feature)])+
        fn $run<K: SimdKernel>(simd: $kind, kernel: K) -> K::Output {
            kernel.run(simd)
        }
    };
}

simd_kind!(
    /// An x86-64-v3 CPU: AVX2, BMI1, BMI2, LZCNT and POPCNT, and SSSE3 for the IPv4
    /// reader (every AVX2 CPU has it, but the proof checks rather than assumes).
    Avx2,
    run_avx2,
    ["avx2", "bmi1", "bmi2", "lzcnt", "popcnt", "ssse3"]
);

simd_kind!(
    /// Everything [`Avx2`] stands for plus AVX-512F and AVX-512BW.
    Avx512,
    run_avx512,
    ["avx2", "bmi1", "bmi2", "lzcnt", "popcnt", "ssse3", "avx512f", "avx512bw"]
);

#[cfg(target_arch = "x86_64")]
impl Simd for Avx2 {
    #[inline(always)]
    fn eq_mask(self, block: &[u8; 64], byte: u8) -> u64 {
        // SAFETY: an `Avx2` exists only when the CPU has AVX2.
        unsafe { eq_mask_avx2(block, byte) }
    }

    #[inline(always)]
    fn has_ssse3(self) -> bool {
        // An `Avx2` exists only when the CPU has SSSE3 (`Avx2::FEATURES`).
        true
    }
}

#[cfg(target_arch = "x86_64")]
impl Simd for Avx512 {
    #[inline(always)]
    fn eq_mask(self, block: &[u8; 64], byte: u8) -> u64 {
        // SAFETY: an `Avx512` exists only when the CPU has AVX-512F and AVX-512BW.
        unsafe { eq_mask_avx512(block, byte) }
    }

    #[inline(always)]
    fn has_ssse3(self) -> bool {
        // An `Avx512` exists only when the CPU has SSSE3 (`Avx512::FEATURES`).
        true
    }
}

/// The widest kind this CPU has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdLevel {
    Baseline(Baseline),
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
}

impl SimdLevel {
    /// Asks the CPU (std caches the answer, so this is cheap to repeat).
    pub fn detect() -> SimdLevel {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx512) = Avx512::detect() {
            return SimdLevel::Avx512(avx512);
        } else if let Some(avx2) = Avx2::detect() {
            return SimdLevel::Avx2(avx2);
        }
        SimdLevel::Baseline(Baseline)
    }

    /// Runs `kernel` with this kind, compiled for its features, so that everything
    /// inlined into [`SimdKernel::run`] uses them.
    #[inline]
    pub fn dispatch<K: SimdKernel>(self, kernel: K) -> K::Output {
        match self {
            SimdLevel::Baseline(simd) => kernel.run(simd),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `Avx2` is made only by `Avx2::detect`, after checking every feature
            // `run_avx2` is compiled for (one list, in `simd_kind!`).
            SimdLevel::Avx2(simd) => unsafe { run_avx2(simd, kernel) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, for `Avx512` and `run_avx512`.
            SimdLevel::Avx512(simd) => unsafe { run_avx512(simd, kernel) },
        }
    }

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Baseline(_) => "baseline",
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2(_) => "avx2",
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512(_) => "avx512",
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn eq_mask_sse2(block: &[u8; 64], byte: u8) -> u64 {
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn eq_mask_avx2(block: &[u8; 64], byte: u8) -> u64 {
    use std::arch::x86_64::{_mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8};
    let mut mask = 0u64;
    for (i, lane) in block.as_chunks::<32>().0.iter().enumerate() {
        // SAFETY: the unaligned load reads exactly the 32 bytes of `lane`.
        let bytes = unsafe { _mm256_loadu_si256(lane.as_ptr().cast()) };
        let hits = _mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(byte as i8)));
        mask |= u64::from(hits as u32) << (i * 32);
    }
    mask
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
fn eq_mask_avx512(block: &[u8; 64], byte: u8) -> u64 {
    use std::arch::x86_64::{_mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_set1_epi8};
    // SAFETY: the unaligned load reads exactly the 64 bytes of `block`.
    let bytes = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
    _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(byte as i8))
}

/// The same mask from eight 64-bit words: an exact "byte is zero" test on
/// `word ^ byte repeated`, then the eight high bits gathered by one multiplication.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn eq_mask_portable(block: &[u8; 64], byte: u8) -> u64 {
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

/// Runs a check generic over [`Simd`] once for each kind this CPU has.
#[cfg(test)]
macro_rules! for_each_simd {
    ($check:ident) => {{
        $check($crate::simd::Baseline);
        #[cfg(target_arch = "x86_64")]
        {
            if let Some(avx2) = $crate::simd::Avx2::detect() {
                $check(avx2);
            }
            if let Some(avx512) = $crate::simd::Avx512::detect() {
                $check(avx512);
            }
        }
    }};
}
#[cfg(test)]
pub(crate) use for_each_simd;

#[cfg(test)]
mod tests {
    use super::*;

    fn check_masks(name: &str, eq_mask: impl Fn(&[u8; 64], u8) -> u64) {
        for needle in [b' ', b'"', 0, 0xff] {
            for value in 0..=255u8 {
                for position in 0..64 {
                    let mut block = [b'x'; 64];
                    block[position] = value;
                    block[(position * 7 + 3) % 64] = needle;
                    let expected = block.iter().enumerate().fold(0u64, |m, (i, &b)| m | (u64::from(b == needle) << i));
                    assert_eq!(eq_mask(&block, needle), expected, "{name}: needle {needle} value {value} at {position}");
                }
            }
        }
    }

    #[test]
    fn every_kind_of_mask_agrees_with_a_byte_scan_for_every_byte_value_and_position() {
        check_masks("portable", eq_mask_portable);
        fn check_kind(simd: impl Simd) {
            check_masks(&format!("{simd:?}"), |block, byte| simd.eq_mask(block, byte));
        }
        for_each_simd!(check_kind);
    }

    /// Reports the kind it ran with and a mask computed inside the compiled function.
    struct WhichKind<'a>(&'a [u8; 64]);

    impl SimdKernel for WhichKind<'_> {
        type Output = (String, u64);

        #[inline(always)]
        fn run<M: Simd>(self, simd: M) -> (String, u64) {
            (format!("{simd:?}"), simd.eq_mask(self.0, b'"'))
        }
    }

    #[test]
    fn dispatch_runs_the_kernel_with_the_detected_kind_and_its_features() {
        let mut block = [b'a'; 64];
        block[5] = b'"';
        block[63] = b'"';
        let (kind, mask) = SimdLevel::detect().dispatch(WhichKind(&block));
        assert_eq!(mask, (1 << 5) | (1 << 63));
        let expected = match SimdLevel::detect() {
            SimdLevel::Baseline(_) => "Baseline",
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2(_) => "Avx2(())",
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512(_) => "Avx512(())",
        };
        assert_eq!(kind, expected);
        #[cfg(target_arch = "x86_64")]
        {
            let cpu_has = |feature: &str| match feature {
                "avx2" => is_x86_feature_detected!("avx2"),
                "bmi1" => is_x86_feature_detected!("bmi1"),
                "bmi2" => is_x86_feature_detected!("bmi2"),
                "lzcnt" => is_x86_feature_detected!("lzcnt"),
                "popcnt" => is_x86_feature_detected!("popcnt"),
                "ssse3" => is_x86_feature_detected!("ssse3"),
                "avx512f" => is_x86_feature_detected!("avx512f"),
                "avx512bw" => is_x86_feature_detected!("avx512bw"),
                other => panic!("a kind names a feature this test does not know: {other}"),
            };
            for (features, detected) in [(Avx2::FEATURES, Avx2::detect().is_some()), (Avx512::FEATURES, Avx512::detect().is_some())] {
                // What a proof promises is what the CPU, asked feature by feature, says.
                assert_eq!(features.iter().all(|f| cpu_has(f)), detected, "{features:?}");
            }
        }
    }

    /// The features each `unsafe` call made on the strength of a kind is compiled for
    /// (`eq_mask_avx2`, `eq_mask_avx512`, and the IPv4 reader's `octets_ssse3` whenever
    /// `has_ssse3` says so), which that kind's proof must therefore check.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_kind_proves_the_features_its_unsafe_calls_are_compiled_for() {
        let unsafe_calls_need: [(&str, &[&str], &[&str]); 2] =
            [("Avx2", Avx2::FEATURES, &["avx2", "ssse3"]), ("Avx512", Avx512::FEATURES, &["avx512f", "avx512bw", "ssse3"])];
        for (kind, proven, needed) in unsafe_calls_need {
            for feature in needed {
                assert!(proven.contains(feature), "{kind} is used for `{feature}` code but its proof does not check `{feature}`");
            }
        }
        // What `has_ssse3` answers is what the CPU says, for every kind it has.
        fn check(simd: impl Simd) {
            assert_eq!(simd.has_ssse3(), is_x86_feature_detected!("ssse3"), "{simd:?}");
        }
        for_each_simd!(check);
    }

    #[test]
    fn detect_picks_the_widest_kind_the_cpu_has() {
        let level = SimdLevel::detect();
        #[cfg(target_arch = "x86_64")]
        {
            let expected = match (Avx512::detect(), Avx2::detect()) {
                (Some(_), _) => "avx512",
                (None, Some(_)) => "avx2",
                (None, None) => "baseline",
            };
            assert_eq!(level.name(), expected);
        }
        #[cfg(not(target_arch = "x86_64"))]
        assert_eq!(level, SimdLevel::Baseline(Baseline));
    }
}
