//! A small map from a key to a mergeable value, for the dimensions with few keys per
//! run (load balancers, listener ports, TLS protocols, ciphers, key exchanges).
//!
//! Consecutive lines of a file mostly share the key (one file is one load balancer, most
//! clients of a fleet use the same protocol), so the entry used last is tried first: a
//! record then costs one compare instead of a hash. On disk it is a list of
//! `[key, value]` pairs in key order.

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::counts::ClientCounts;
use crate::same::Same;

/// A value that folds another of its kind into itself exactly.
pub trait Merge: Default {
    fn merge(&mut self, other: Self);
}

impl Merge for u64 {
    fn merge(&mut self, other: u64) {
        *self += other;
    }
}

impl Merge for ClientCounts {
    fn merge(&mut self, other: ClientCounts) {
        ClientCounts::merge(self, other);
    }
}

/// Up to this many keys, a key is found by comparing it with each.
const LINEAR_SCAN_MAX: usize = 8;

/// Slots of the cache of recent keys by fingerprint.
const RECENT_SLOTS: usize = 64;

#[derive(Clone)]
pub struct Keyed<K, V> {
    entries: Vec<(K, V)>,
    index: FxHashMap<K, usize>,
    last: usize,
    /// Entry index + 1 of a key seen lately, by the key's fingerprint ([`Same`]), 0 for
    /// none: the keys of one dimension alternate from record to record (protocols,
    /// ciphers), and a slot finds one with a single compare. Entries are only ever
    /// appended, so an index stays valid.
    recent: [usize; RECENT_SLOTS],
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed { entries: Vec::new(), index: FxHashMap::default(), last: 0, recent: [0; RECENT_SLOTS] }
    }
}

impl<K: Hash + Eq + Ord + Clone, V: Merge> Keyed<K, V> {
    /// The value of `key`, made empty when the key is new.
    #[inline(always)]
    pub fn entry<Q>(&mut self, key: &Q) -> &mut V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Same + ?Sized + ToOwned<Owned = K>,
    {
        if self.entries.get(self.last).is_none_or(|(k, _)| !k.borrow().same(key)) {
            self.last = self.find(key).unwrap_or_else(|| self.insert(key));
        }
        &mut self.entries[self.last].1
    }

    /// The value of `key`, made empty when the key is new and `valid`: a key is checked
    /// once, when first seen, not on every record. `None` for a new key that is not valid.
    #[inline(always)]
    pub fn entry_if_valid<Q>(&mut self, key: &Q, valid: impl FnOnce(&Q) -> bool) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Same + ?Sized + ToOwned<Owned = K>,
    {
        if self.entries.get(self.last).is_none_or(|(k, _)| !k.borrow().same(key)) {
            self.last = match self.find(key) {
                Some(i) => i,
                None if valid(key) => self.insert(key),
                None => return None,
            };
        }
        Some(&mut self.entries[self.last].1)
    }

    #[inline(never)]
    fn find<Q>(&mut self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + Same + ?Sized,
    {
        let slot = key.fingerprint() % RECENT_SLOTS;
        if let Some(i) = self.recent[slot].checked_sub(1)
            && self.entries[i].0.borrow().same(key)
        {
            return Some(i);
        }
        // Most dimensions have a handful of keys: comparing them (lengths first) is
        // cheaper than hashing the key.
        let found = if self.entries.len() <= LINEAR_SCAN_MAX {
            self.entries.iter().position(|(k, _)| k.borrow().same(key))
        } else {
            self.index.get(key).copied()
        };
        if let Some(i) = found {
            self.recent[slot] = i + 1;
        }
        found
    }

    fn insert<Q>(&mut self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToOwned<Owned = K>,
    {
        let i = self.entries.len();
        self.entries.push((key.to_owned(), V::default()));
        self.index.insert(key.to_owned(), i);
        i
    }

    pub fn merge(&mut self, other: Keyed<K, V>) {
        for (key, value) in other.entries {
            let i = self.index.get(&key).copied().unwrap_or_else(|| self.insert(&key));
            self.entries[i].1.merge(value);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn sorted(&self) -> Vec<(&K, &V)> {
        let mut all: Vec<(&K, &V)> = self.entries.iter().map(|(k, v)| (k, v)).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }
}

impl<K: Hash + Eq + Ord + Clone, V: Merge + PartialEq> PartialEq for Keyed<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.sorted() == other.sorted()
    }
}

impl<K: Hash + Eq + Ord + Clone, V: Merge + Eq> Eq for Keyed<K, V> {}

impl<K: Hash + Eq + Ord + Clone + std::fmt::Debug, V: Merge + std::fmt::Debug> std::fmt::Debug for Keyed<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl<K: Hash + Eq + Ord + Clone + Serialize, V: Merge + Serialize> Serialize for Keyed<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.sorted())
    }
}

impl<'de, K: Hash + Eq + Ord + Clone + Deserialize<'de>, V: Merge + Deserialize<'de>> Deserialize<'de> for Keyed<K, V> {
    /// Refuses a key given twice: albmtls writes each once, and adding the counts of a
    /// hand-made file could overflow before its counts are checked.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keyed = Keyed::<K, V>::default();
        for (key, value) in Vec::<(K, V)>::deserialize(deserializer)? {
            if keyed.index.contains_key(&key) {
                return Err(serde::de::Error::custom("a key appears twice in a list of counts"));
            }
            let i = keyed.insert(&key);
            keyed.entries[i].1 = value;
        }
        Ok(keyed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_key_whatever_the_order_and_merges_exactly() {
        let keys: Vec<&[u8]> = vec![b"a", b"a", b"b", b"a", b"c", b"c", b"b"];
        let count = |keys: &[&[u8]]| {
            let mut k = Keyed::<Vec<u8>, u64>::default();
            keys.iter().for_each(|key| *k.entry(*key) += 1);
            k
        };
        let all = count(&keys);
        assert_eq!(all.sorted(), vec![(&b"a".to_vec(), &3), (&b"b".to_vec(), &2), (&b"c".to_vec(), &2)]);
        for split in 0..=keys.len() {
            let mut merged = count(&keys[..split]);
            merged.merge(count(&keys[split..]));
            assert_eq!(merged, all, "split at {split}");
        }
        let json = serde_json::to_string(&all).unwrap();
        assert_eq!(serde_json::from_str::<Keyed<Vec<u8>, u64>>(&json).unwrap(), all);
        // Past the keys found by comparing each: the same counts through the index.
        let keys = 3 * LINEAR_SCAN_MAX as u8;
        let mut k = Keyed::<Vec<u8>, u64>::default();
        for round in 0..3u8 {
            (0..keys).rev().filter(|i| i % 3 >= round).for_each(|i| *k.entry(&[b'k', i][..]) += 1);
        }
        let expected: Vec<(Vec<u8>, u64)> = (0..keys).map(|i| (vec![b'k', i], u64::from(i % 3) + 1)).collect();
        assert_eq!(k.sorted().into_iter().map(|(key, &n)| (key.clone(), n)).collect::<Vec<_>>(), expected);
        let twice = serde_json::from_str::<Keyed<Vec<u8>, u64>>("[[[97], 1], [[97], 18446744073709551615]]").unwrap_err();
        assert!(twice.to_string().contains("a key appears twice"), "{twice}");
    }
}
