//! Exact counts per key for the dimensions that can have millions of keys (client
//! addresses, certificate subjects), kept compact.
//!
//! A fleet where every connection is a new client and a new subject puts one new key in
//! each table per line, so the cost per key decides the run: addresses are kept as
//! integers (IPv4 as `u32`, IPv6 as two `u64`), subjects as bytes appended to an arena of
//! large chunks (no allocation per key, no copy when a chunk fills), and counts as `u32`
//! in the table. A count that passes `u32::MAX` carries into a side table, so counts stay
//! exact whatever the input; that table stays empty on any real log.
//!
//! On disk (partial files) both are lists of `[key, count]` pairs in key order, the same
//! bytes the previous map-based form wrote.

use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::arena::{Arena, TAG_MASK, table_hash, tag_of};
use crate::disk::{LogBytes, LogBytesBuf};

/// Adds `n` to a 32-bit count; returns what did not fit, in units of 2^32.
#[inline(always)]
fn add_to(count: &mut u32, n: u64) -> u64 {
    let total = u64::from(*count) + n;
    *count = total as u32;
    total >> 32
}

/// Records per client address.
#[derive(Clone, Default)]
pub struct ClientCounts {
    v4: FxHashMap<u32, u32>,
    v6: FxHashMap<(u64, u64), u32>,
    /// Multiples of 2^32 that did not fit in the tables' counts.
    carried: FxHashMap<IpAddr, u64>,
}

impl ClientCounts {
    /// Counts one record from `ip`.
    #[inline(always)]
    pub fn add(&mut self, ip: IpAddr) {
        self.add_n(ip, 1);
    }

    /// Counts `n` records from `ip`.
    #[inline(always)]
    pub fn add_n(&mut self, ip: IpAddr, n: u64) {
        let count = match ip {
            IpAddr::V4(v4) => self.v4.entry(v4.to_bits()).or_insert(0),
            IpAddr::V6(v6) => self.v6.entry(split(v6)).or_insert(0),
        };
        let carry = add_to(count, n);
        if carry > 0 {
            *self.carried.entry(ip).or_default() += carry;
        }
    }

    /// Distinct addresses.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records from `ip`.
    pub fn get(&self, ip: IpAddr) -> u64 {
        let low = match ip {
            IpAddr::V4(v4) => self.v4.get(&v4.to_bits()),
            IpAddr::V6(v6) => self.v6.get(&split(v6)),
        };
        low.map_or(0, |&low| self.total(ip, low))
    }

    fn total(&self, ip: IpAddr, low: u32) -> u64 {
        let carried = if self.carried.is_empty() { 0 } else { self.carried.get(&ip).copied().unwrap_or(0) };
        (carried << 32) + u64::from(low)
    }

    /// Every `(address, records)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (IpAddr, u64)> + '_ {
        let v4 = self.v4.iter().map(|(&bits, &low)| (IpAddr::V4(Ipv4Addr::from_bits(bits)), low));
        let v6 = self.v6.iter().map(|(&halves, &low)| (IpAddr::V6(join(halves)), low));
        v4.chain(v6).map(|(ip, low)| (ip, self.total(ip, low)))
    }

    /// Folds `other` in: the smaller table is walked, the larger kept.
    pub fn merge(&mut self, mut other: ClientCounts) {
        if self.len() < other.len() {
            std::mem::swap(self, &mut other);
        }
        for (ip, n) in other.iter() {
            self.add_n(ip, n);
        }
    }
}

fn split(ip: Ipv6Addr) -> (u64, u64) {
    let bits = ip.to_bits();
    ((bits >> 64) as u64, bits as u64)
}

fn join((high, low): (u64, u64)) -> Ipv6Addr {
    Ipv6Addr::from_bits((u128::from(high) << 64) | u128::from(low))
}

impl PartialEq for ClientCounts {
    fn eq(&self, other: &ClientCounts) -> bool {
        self.len() == other.len() && self.iter().all(|(ip, n)| other.get(ip) == n)
    }
}

impl Eq for ClientCounts {}

impl std::fmt::Debug for ClientCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(sorted(self.iter())).finish()
    }
}

impl Serialize for ClientCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(sorted(self.iter()))
    }
}

impl<'de> Deserialize<'de> for ClientCounts {
    /// Refuses an address given twice: albmtls writes each once, and adding the counts of
    /// a hand-made file could overflow before its counts are checked.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ClientCounts, D::Error> {
        let mut counts = ClientCounts::default();
        for (ip, n) in Vec::<(IpAddr, u64)>::deserialize(deserializer)? {
            let known = match ip {
                IpAddr::V4(v4) => counts.v4.contains_key(&v4.to_bits()),
                IpAddr::V6(v6) => counts.v6.contains_key(&split(v6)),
            };
            if known {
                return Err(serde::de::Error::custom(format!("the address {ip} appears twice in a list of counts")));
            }
            counts.add_n(ip, n);
        }
        Ok(counts)
    }
}

/// `(key, count)` pairs in key order (keys are unique).
fn sorted<K: Ord>(pairs: impl Iterator<Item = (K, u64)>) -> Vec<(K, u64)> {
    let mut pairs: Vec<(K, u64)> = pairs.collect();
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// Records per byte string (certificate subjects as written in the log).
#[derive(Clone, Default)]
pub struct ByteCounts {
    table: HashTable<Slot>,
    arena: Arena,
    /// Multiples of 2^32 that did not fit in the table's counts, by the key's place in
    /// the arena.
    carried: FxHashMap<u64, u64>,
}

/// Slots `ByteCounts::slots_with_keys` asks for keys ahead of the one it reads.
const KEYS_AHEAD: usize = 16;

/// One key in 12 bytes (a table of millions of keys is mostly slots): where its bytes
/// are in the arena (40 bits), 24 bits of its hash (so growing the table never reads the
/// arena, and a probe reads it only when those bits agree), and its count.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at_low: u32,
    /// The arena position's top 8 bits, then the 24 hash bits.
    at_high_and_hash: u32,
    count: u32,
}

impl Slot {
    #[inline(always)]
    fn new(at: u64, hash: u32) -> Slot {
        debug_assert!(at >> 40 == 0 && hash >> 24 == 0);
        Slot { at_low: at as u32, at_high_and_hash: ((at >> 32) as u32) << 24 | hash, count: 0 }
    }

    #[inline(always)]
    fn at(self) -> u64 {
        u64::from(self.at_high_and_hash >> 24) << 32 | u64::from(self.at_low)
    }

    #[inline(always)]
    fn hash(self) -> u32 {
        self.at_high_and_hash & TAG_MASK
    }
}

#[inline(always)]
fn hash_of(bytes: &[u8]) -> u32 {
    tag_of(FxBuildHasher.hash_one(bytes))
}

impl ByteCounts {
    /// Counts one record with `key`.
    #[inline(always)]
    pub fn add(&mut self, key: &[u8]) {
        self.add_hashed(key, hash_of(key), 1);
    }

    /// Counts `n` records with `key`.
    pub fn add_n(&mut self, key: &[u8], n: u64) {
        self.add_hashed(key, hash_of(key), n);
    }

    #[inline(always)]
    fn add_hashed(&mut self, key: &[u8], hash: u32, n: u64) {
        let ByteCounts { table, arena, carried } = self;
        let slot = match table.entry(table_hash(hash), |s| s.hash() == hash && arena.get(s.at()) == key, |s| table_hash(s.hash())) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(vacant) => vacant.insert(Slot::new(arena.push(key), hash)).into_mut(),
        };
        let carry = add_to(&mut slot.count, n);
        if carry > 0 {
            *carried.entry(slot.at()).or_default() += carry;
        }
    }

    /// Distinct keys.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Records with `key`.
    pub fn get(&self, key: &[u8]) -> u64 {
        let hash = hash_of(key);
        self.table.find(table_hash(hash), |s| s.hash() == hash && self.arena.get(s.at()) == key).map_or(0, |s| self.total(s))
    }

    fn total(&self, slot: &Slot) -> u64 {
        let carried = if self.carried.is_empty() { 0 } else { self.carried.get(&slot.at()).copied().unwrap_or(0) };
        (carried << 32) + u64::from(slot.count)
    }

    /// Every `(key, records)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        self.slots_with_keys().map(|(slot, key)| (key, self.total(slot)))
    }

    /// Every slot with its key, in the table's order.
    ///
    /// Keys lie at scattered places in the arena, so reading them one after another waits
    /// for memory at each (a report's top subjects read all of them: 3 million on the
    /// fleet shape). A second walk of the table, `KEYS_AHEAD` slots ahead, asks for
    /// each key early, which keeps that many loads in flight.
    fn slots_with_keys(&self) -> impl Iterator<Item = (&Slot, &[u8])> + '_ {
        let mut ahead = self.table.iter();
        ahead.by_ref().take(KEYS_AHEAD).for_each(|s| self.arena.prefetch(s.at(), 2));
        self.table.iter().map(move |s| {
            if let Some(later) = ahead.next() {
                self.arena.prefetch(later.at(), 2);
            }
            (s, self.arena.get(s.at()))
        })
    }

    /// Folds `other` in: the smaller table is walked (without hashing its keys again),
    /// the larger kept.
    pub fn merge(&mut self, mut other: ByteCounts) {
        if self.len() < other.len() {
            std::mem::swap(self, &mut other);
        }
        for (slot, key) in other.slots_with_keys() {
            self.add_hashed(key, slot.hash(), other.total(slot));
        }
    }
}

impl PartialEq for ByteCounts {
    fn eq(&self, other: &ByteCounts) -> bool {
        self.len() == other.len() && self.iter().all(|(key, n)| other.get(key) == n)
    }
}

impl Eq for ByteCounts {}

impl std::fmt::Debug for ByteCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs = sorted(self.iter());
        f.debug_map().entries(pairs.iter().map(|(key, n)| (String::from_utf8_lossy(key), n))).finish()
    }
}

impl Serialize for ByteCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(sorted(self.iter()).into_iter().map(|(key, n)| (LogBytes(key), n)))
    }
}

impl<'de> Deserialize<'de> for ByteCounts {
    /// Refuses a key given twice, as [`ClientCounts`] does.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteCounts, D::Error> {
        let mut counts = ByteCounts::default();
        for (LogBytesBuf(key), n) in Vec::<(LogBytesBuf, u64)>::deserialize(deserializer)? {
            let hash = hash_of(&key);
            if counts.table.find(table_hash(hash), |s| s.hash() == hash && counts.arena.get(s.at()) == key).is_some() {
                return Err(serde::de::Error::custom("a subject appears twice in a list of counts"));
            }
            counts.add_hashed(&key, hash, n);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Reading keys ahead changes nothing in what is read: every key once, with its
    /// count, for tables smaller and larger than the distance read ahead.
    #[test]
    fn iterating_gives_every_key_once_with_its_count() {
        for keys in [0, 1, KEYS_AHEAD - 1, KEYS_AHEAD, KEYS_AHEAD + 1, 1000] {
            let mut counts = ByteCounts::default();
            let mut expected = BTreeMap::new();
            for i in 0..keys {
                let key = format!("CN=client-{i},O=Example fleet with a subject longer than one cache line");
                for _ in 0..=i % 3 {
                    counts.add(key.as_bytes());
                }
                expected.insert(key.into_bytes(), (i % 3 + 1) as u64);
            }
            let read: BTreeMap<Vec<u8>, u64> = counts.iter().map(|(key, n)| (key.to_vec(), n)).collect();
            assert_eq!(counts.iter().count(), keys);
            assert_eq!(read, expected, "{keys} keys");
        }
    }

    #[test]
    fn a_key_given_twice_on_disk_is_refused_before_its_counts_can_overflow() {
        let clients = serde_json::from_str::<ClientCounts>(r#"[["203.0.113.7", 18446744073709551615], ["203.0.113.7", 5]]"#);
        assert!(clients.unwrap_err().to_string().contains("the address 203.0.113.7 appears twice"));
        let v6 = serde_json::from_str::<ClientCounts>(r#"[["2001:db8::1", 1], ["2001:db8::1", 1]]"#);
        assert!(v6.is_err());
        let subjects = serde_json::from_str::<ByteCounts>("[[[67, 78], 18446744073709551615], [[67, 78], 5]]");
        assert!(subjects.unwrap_err().to_string().contains("a subject appears twice"));
        let fine = serde_json::from_str::<ByteCounts>("[[[67, 78], 2], [[67], 5]]").unwrap();
        assert_eq!((fine.get(b"CN"), fine.get(b"C")), (2, 5));
    }

    #[test]
    fn positions_and_hashes_round_trip_through_a_slot() {
        for (at, hash) in [(0, 0), ((1 << 40) - 1, TAG_MASK), (0x12_3456_789A, 0xBC_DEF0), (1 << 32, 1)] {
            let slot = Slot::new(at, hash);
            assert_eq!((slot.at(), slot.hash()), (at, hash));
        }
        assert_eq!(size_of::<Slot>(), 12);
    }

    /// A reproducible stream of keys with repeats, many distinct ones and some long ones.
    fn keys(n: usize, seed: u64) -> Vec<Vec<u8>> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let id = if state >> 62 == 0 { state >> 40 } else { (state >> 33) % 64 };
                let mut key = format!("CN=device-{id}.iot.example.net,O=Company LLC").into_bytes();
                // A few keys longer than a chunk, which get chunks of their own.
                if i % 4_999 == 0 {
                    key.resize(Arena::CHUNK + i % 7, b'x');
                }
                key
            })
            .collect()
    }

    fn addresses(n: usize, seed: u64) -> Vec<IpAddr> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let id = if state >> 62 == 0 { state >> 20 } else { (state >> 33) % 50 };
                if state & 7 == 0 {
                    IpAddr::V6(Ipv6Addr::from_bits(0x2001_0db8 << 96 | u128::from(id)))
                } else {
                    IpAddr::V4(Ipv4Addr::from_bits(id as u32))
                }
            })
            .collect()
    }

    fn reference<K: Ord + Clone>(keys: &[K]) -> BTreeMap<K, u64> {
        let mut map = BTreeMap::new();
        keys.iter().for_each(|k| *map.entry(k.clone()).or_default() += 1);
        map
    }

    #[test]
    fn byte_counts_equal_a_plain_map_and_merge_exactly() {
        let keys = keys(12_000, 3);
        let expected = reference(&keys);
        let mut whole = ByteCounts::default();
        keys.iter().for_each(|k| whole.add(k));
        let got: BTreeMap<Vec<u8>, u64> = whole.iter().map(|(k, n)| (k.to_vec(), n)).collect();
        assert_eq!(got, expected);
        assert_eq!(whole.len(), expected.len());
        for split in [0, 1, 5_000, 11_999, 12_000] {
            let (a, b) = keys.split_at(split);
            let (mut left, mut right) = (ByteCounts::default(), ByteCounts::default());
            a.iter().for_each(|k| left.add(k));
            b.iter().for_each(|k| right.add(k));
            let mut right_first = right.clone();
            right_first.merge(left.clone());
            left.merge(right);
            assert_eq!(left, whole, "split at {split}");
            assert_eq!(right_first, whole, "split at {split}, merged the other way");
            assert_eq!(serde_json::to_string(&left).unwrap(), serde_json::to_string(&whole).unwrap());
        }
    }

    #[test]
    fn client_counts_equal_a_plain_map_and_merge_exactly() {
        let ips = addresses(30_000, 5);
        let expected = reference(&ips);
        let mut whole = ClientCounts::default();
        ips.iter().for_each(|&ip| whole.add(ip));
        assert_eq!(whole.iter().collect::<BTreeMap<_, _>>(), expected);
        for parts in [2, 3, 7] {
            let mut merged = ClientCounts::default();
            for part in ips.chunks(ips.len() / parts + 1) {
                let mut counts = ClientCounts::default();
                part.iter().for_each(|&ip| counts.add(ip));
                merged.merge(counts);
            }
            assert_eq!(merged, whole, "{parts} parts");
        }
    }

    #[test]
    fn counts_past_four_billion_stay_exact() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut clients = ClientCounts::default();
        clients.add_n(ip, u64::from(u32::MAX));
        clients.add(ip);
        clients.add_n(ip, 5 << 32);
        assert_eq!(clients.get(ip), 6 << 32);
        let mut other = ClientCounts::default();
        other.add_n(ip, u64::from(u32::MAX) + 3);
        clients.merge(other);
        assert_eq!(clients.get(ip), (7 << 32) + 2);
        let mut subjects = ByteCounts::default();
        subjects.add_n(b"CN=a", u64::from(u32::MAX));
        subjects.add(b"CN=a");
        subjects.add(b"CN=b");
        let mut more = ByteCounts::default();
        more.add_n(b"CN=a", 1 << 33);
        more.merge(subjects);
        assert_eq!(more.get(b"CN=a"), 3 << 32);
        assert_eq!(more.get(b"CN=b"), 1);
        let json = serde_json::to_string(&more).unwrap();
        let back: ByteCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, more);
        assert_eq!(back.get(b"CN=a"), 3 << 32);
    }

    #[test]
    fn on_disk_form_is_sorted_key_count_pairs() {
        let mut clients = ClientCounts::default();
        for ip in ["2001:db8::1", "203.0.113.9", "10.0.0.1", "203.0.113.9"] {
            clients.add(ip.parse().unwrap());
        }
        assert_eq!(serde_json::to_string(&clients).unwrap(), r#"[["10.0.0.1",1],["203.0.113.9",2],["2001:db8::1",1]]"#);
        let mut subjects = ByteCounts::default();
        for s in [b"b".as_slice(), b"a\xff", b"b"] {
            subjects.add(s);
        }
        // Keys in byte order; UTF-8 as text, anything else as its bytes.
        assert_eq!(serde_json::to_string(&subjects).unwrap(), r#"[[[97,255],1],["b",2]]"#);
    }
}
