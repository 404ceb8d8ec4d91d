//! A small map from a key to a mergeable value, for the dimensions with few keys per
//! run (load balancers, listener ports, TLS protocols, ciphers, key exchanges).
//!
//! A record finds its entries by position ([`Keyed::index_of`] once per combination of
//! values, see `profiles`), not by key. On disk it is a list of `[key, value]` pairs in
//! key order, keys from logs as text ([`crate::disk`]).

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::counts::ClientCounts;
use crate::disk::DiskKey;

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

#[derive(Clone)]
pub struct Keyed<K, V> {
    entries: Vec<(K, V)>,
    index: FxHashMap<K, usize>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed { entries: Vec::new(), index: FxHashMap::default() }
    }
}

impl<K: Hash + Eq + Ord + Clone, V: Merge> Keyed<K, V> {
    /// The position of `key`'s entry, made empty when the key is new. Entries are only
    /// ever appended, so a position stays valid for [`Keyed::at`].
    pub fn index_of<Q>(&mut self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToOwned<Owned = K>,
    {
        self.find(key).unwrap_or_else(|| self.insert(key))
    }

    /// [`Keyed::index_of`] for a key that is made only if `valid`; `None` for a new key
    /// that is not valid.
    pub fn index_if_valid<Q>(&mut self, key: &Q, valid: impl FnOnce(&Q) -> bool) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized + ToOwned<Owned = K>,
    {
        match self.find(key) {
            Some(i) => Some(i),
            None if valid(key) => Some(self.insert(key)),
            None => None,
        }
    }

    /// The value of the entry at `index`, from [`Keyed::index_of`].
    #[inline(always)]
    pub fn at(&mut self, index: usize) -> &mut V {
        &mut self.entries[index].1
    }

    fn find<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(key).copied()
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

impl<K: Hash + Eq + Ord + Clone + DiskKey, V: Merge + Serialize> Serialize for Keyed<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.sorted().into_iter().map(|(key, value)| (KeyOut(key), value)))
    }
}

/// A key on its way to disk.
struct KeyOut<'a, K>(&'a K);

impl<K: DiskKey> Serialize for KeyOut<'_, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_key(serializer)
    }
}

/// A key read from disk.
struct KeyIn<K>(K);

impl<'de, K: DiskKey> Deserialize<'de> for KeyIn<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::deserialize_key(deserializer).map(KeyIn)
    }
}

impl<'de, K: Hash + Eq + Ord + Clone + DiskKey, V: Merge + Deserialize<'de>> Deserialize<'de> for Keyed<K, V> {
    /// Refuses a key given twice: albmtls writes each once, and adding the counts of a
    /// hand-made file could overflow before its counts are checked.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keyed = Keyed::<K, V>::default();
        for (KeyIn(key), value) in Vec::<(KeyIn<K>, V)>::deserialize(deserializer)? {
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
            for key in keys {
                let i = k.index_of(*key);
                *k.at(i) += 1;
            }
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
        // Many keys, found by position after the first time.
        let keys = 24u8;
        let mut k = Keyed::<Vec<u8>, u64>::default();
        for round in 0..3u8 {
            for key in (0..keys).rev().filter(|i| i % 3 >= round) {
                let i = k.index_of(&[b'k', key][..]);
                *k.at(i) += 1;
            }
        }
        let expected: Vec<(Vec<u8>, u64)> = (0..keys).map(|i| (vec![b'k', i], u64::from(i % 3) + 1)).collect();
        assert_eq!(k.sorted().into_iter().map(|(key, &n)| (key.clone(), n)).collect::<Vec<_>>(), expected);
        let twice = serde_json::from_str::<Keyed<Vec<u8>, u64>>("[[[97], 1], [[97], 18446744073709551615]]").unwrap_err();
        assert!(twice.to_string().contains("a key appears twice"), "{twice}");
    }
}
