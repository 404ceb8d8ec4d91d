//! Handshake latency as an exact histogram in milliseconds, per TLS protocol.
//!
//! ALB writes the latency in seconds with millisecond precision, so counting records per
//! millisecond loses nothing: percentiles of merged histograms are exactly those of one
//! pass, whatever the split across threads, shards and partial files.

use std::collections::BTreeMap;

use albmtls_parse::tls;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::keyed::{Keyed, Merge};

/// Latencies up to this many milliseconds are counted in an array grown on demand; the
/// rare longer ones (timeouts, hostile input) in a map, so memory follows the values seen.
const DENSE_MS: usize = 10_000;

/// Records per handshake latency in milliseconds.
#[derive(Clone, Default)]
pub struct Histogram {
    /// Records per millisecond below [`DENSE_MS`], in 32 bits: the latencies of a run
    /// cluster in the first few hundred milliseconds, so their counters share a few cache
    /// lines, and each record adds to two histograms.
    dense: Vec<u32>,
    /// Records per millisecond from [`DENSE_MS`] on, and below it the multiples of 2^32
    /// that did not fit in `dense`.
    sparse: BTreeMap<u32, u64>,
    count: u64,
}

impl Histogram {
    #[inline(always)]
    pub fn add(&mut self, ms: u32) {
        match self.dense.get_mut(ms as usize) {
            Some(n) if *n < u32::MAX => {
                *n += 1;
                self.count += 1;
            }
            _ => self.add_n(ms, 1),
        }
    }

    fn add_n(&mut self, ms: u32, n: u64) {
        self.count += n;
        let i = ms as usize;
        if i < DENSE_MS {
            if i >= self.dense.len() {
                self.dense.resize(i + 1, 0);
            }
            let total = u64::from(self.dense[i]) + n;
            self.dense[i] = total as u32;
            let carried = total & !u64::from(u32::MAX);
            if carried > 0 {
                *self.sparse.entry(ms).or_default() += carried;
            }
        } else {
            *self.sparse.entry(ms).or_default() += n;
        }
    }

    /// Records counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `(milliseconds, records)` in ascending order, for the values seen.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        let carried = |ms: u32| if self.sparse.is_empty() { 0 } else { self.sparse.get(&ms).copied().unwrap_or(0) };
        let dense = self.dense.iter().enumerate().map(move |(ms, &n)| (ms as u32, u64::from(n) + carried(ms as u32)));
        let beyond = self.sparse.range(DENSE_MS as u32..).map(|(&ms, &n)| (ms, n));
        dense.filter(|(_, n)| *n > 0).chain(beyond)
    }

    /// The smallest latency that at least `p` percent of the records do not exceed (the
    /// nearest-rank percentile); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u32> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0 * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        self.iter()
            .find(|&(_, n)| {
                seen += n;
                seen >= rank
            })
            .map(|(ms, _)| ms)
    }

    pub fn max(&self) -> Option<u32> {
        self.iter().last().map(|(ms, _)| ms)
    }
}

impl Merge for Histogram {
    fn merge(&mut self, other: Histogram) {
        for (ms, n) in other.iter() {
            self.add_n(ms, n);
        }
    }
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Histogram) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Histogram {}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Histogram {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Histogram {
    /// Refuses what albmtls never writes and what would overflow before the counts are
    /// checked: latencies out of order, twice or beyond a day ([`tls::MAX_LATENCY_MS`]),
    /// and counts adding up past `u64`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Histogram, D::Error> {
        let mut histogram = Histogram::default();
        let mut previous = None;
        for (ms, n) in Vec::<(u32, u64)>::deserialize(deserializer)? {
            if previous.is_some_and(|p| p >= ms) || ms > tls::MAX_LATENCY_MS {
                return Err(serde::de::Error::custom(format!(
                    "latency {ms} ms is out of order, given twice or more than a day ({} ms)",
                    tls::MAX_LATENCY_MS
                )));
            }
            previous = Some(ms);
            if histogram.count.checked_add(n).is_none() {
                return Err(serde::de::Error::custom("latency counts add up to more than any count can hold"));
            }
            histogram.add_n(ms, n);
        }
        Ok(histogram)
    }
}

/// Handshake latencies per TLS protocol (as written; `-` when the line has none) and per
/// load balancer (as [`crate::Aggregate`] files records under them). Each latency is in
/// both, or in its load balancer and `protocol_not_delivered`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latencies {
    pub by_protocol: Keyed<Vec<u8>, Histogram>,
    /// Latencies of records whose input did not deliver `tls_protocol` (in their load
    /// balancer, in no protocol).
    #[serde(default, skip_serializing_if = "Histogram::is_empty")]
    pub protocol_not_delivered: Histogram,
    pub by_load_balancer: Keyed<Vec<u8>, Histogram>,
    /// Latency values that are neither `-` nor seconds with up to three decimals.
    pub malformed: u64,
}

impl Latencies {
    /// Where latencies of records with this protocol (`None`: its input did not deliver
    /// one) and load balancer are counted; makes their histograms.
    pub(crate) fn slots(&mut self, protocol: Option<&[u8]>, load_balancer: &[u8]) -> (Option<usize>, usize) {
        (protocol.map(|p| self.by_protocol.index_of(p)), self.by_load_balancer.index_of(load_balancer))
    }

    /// Counts a latency of `ms` at `slots` (from [`Latencies::slots`]): under its protocol,
    /// or as one whose protocol was not delivered, and under its load balancer.
    #[inline(always)]
    pub(crate) fn add(&mut self, ms: u32, (protocol, load_balancer): (Option<usize>, usize)) {
        match protocol {
            Some(i) => self.by_protocol.at(i).add(ms),
            None => self.protocol_not_delivered.add(ms),
        }
        self.by_load_balancer.at(load_balancer).add(ms);
    }

    /// The latency in milliseconds, if the record has one; counts a malformed value.
    #[inline(always)]
    pub(crate) fn milliseconds(&mut self, latency: &[u8]) -> Option<u32> {
        // `-` (no handshake) is the common case for failures: one compare.
        if latency == b"-" {
            return None;
        }
        match tls::latency_ms(latency) {
            Ok(ms) => ms,
            Err(tls::Malformed) => {
                self.malformed += 1;
                None
            }
        }
    }

    pub fn merge(&mut self, other: Latencies) {
        self.by_protocol.merge(other.by_protocol);
        self.protocol_not_delivered.merge(other.protocol_not_delivered);
        self.by_load_balancer.merge(other.by_load_balancer);
        self.malformed += other.malformed;
    }

    /// Every latency together, whether or not its protocol was delivered.
    pub fn overall(&self) -> Histogram {
        let mut all = self.protocol_not_delivered.clone();
        for (_, histogram) in self.by_protocol.sorted() {
            all.merge(histogram.clone());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<u32> {
        let mut state = 11u64;
        (0..20_000)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let v = (state >> 33) as u32;
                if v.is_multiple_of(97) { 10_000 + v % 90_000 } else { v % 3_000 }
            })
            .collect()
    }

    fn nearest_rank(sorted: &[u32], p: f64) -> u32 {
        let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    #[test]
    fn percentiles_are_exact_and_survive_any_split() {
        let values = values();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let build = |vs: &[u32]| {
            let mut h = Histogram::default();
            vs.iter().for_each(|&v| h.add(v));
            h
        };
        let whole = build(&values);
        for p in [50.0, 90.0, 99.0, 100.0, 0.0] {
            assert_eq!(whole.percentile(p), Some(nearest_rank(&sorted, p)), "p{p}");
        }
        assert_eq!(whole.max(), sorted.last().copied());
        for split in [0, 1, 7_777, values.len()] {
            let mut merged = build(&values[..split]);
            merged.merge(build(&values[split..]));
            assert_eq!(merged, whole, "split at {split}");
        }
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), whole);
        assert_eq!(Histogram::default().percentile(50.0), None);
    }

    #[test]
    fn counts_past_four_billion_at_one_latency_stay_exact() {
        let mut h = Histogram::default();
        h.add_n(7, u64::from(u32::MAX) - 1);
        h.add(7);
        h.add(7);
        h.add_n(7, 3 << 32);
        h.add(3);
        h.add(20_000);
        // (2^32 - 2) + 1 + 1 + 3 * 2^32 records at 7 ms: the second `add` carries.
        assert_eq!(h.iter().collect::<Vec<_>>(), [(3, 1), (7, 4 << 32), (20_000, 1)]);
        assert_eq!((h.count(), h.max(), h.percentile(50.0)), ((4 << 32) + 2, Some(20_000), Some(7)));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), h);
    }

    #[test]
    fn malformed_latencies_are_counted_not_kept() {
        let mut l = Latencies::default();
        for (latency, protocol) in [("0.337", "TLSv1.3"), ("-", "TLSv1.3"), ("abc", "TLSv1.2"), ("4.036", "TLSv1.2")] {
            if let Some(ms) = l.milliseconds(latency.as_bytes()) {
                let slots = l.slots(Some(protocol.as_bytes()), b"app/a/1");
                l.add(ms, slots);
            }
        }
        assert_eq!((l.overall().count(), l.malformed), (2, 1));
        assert_eq!(l.by_protocol.sorted().len(), 2);
        assert_eq!(l.by_load_balancer.sorted(), [(&b"app/a/1".to_vec(), &l.overall())]);
    }
}
