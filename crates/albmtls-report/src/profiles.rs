//! One lookup per record for the dimensions with few values: load balancer, listener,
//! TLS protocol, cipher and key exchange.
//!
//! Each of them is a [`Keyed`](crate::keyed::Keyed) table of its own, and records
//! alternate between their keys (protocols and ciphers vary from line to line), so
//! looking each up costs a handful of searches a record. Their combinations are few too:
//! a record's combination is looked up once, and it gives the position of each value in
//! its table ([`Slots`]). The tables only ever grow, so a position stays valid; this
//! cache holds no counts and is not part of what an aggregate is.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::same::{fingerprint, same_bytes};

/// The values of the few-valued dimensions of one record, as [`crate::Aggregate`] files
/// it under them.
#[derive(Clone, Copy)]
pub(crate) struct Dimensions<'a> {
    pub load_balancer: &'a [u8],
    /// `None` when the input did not deliver it.
    pub listener: Option<u16>,
    /// `None` when the input did not deliver it.
    pub protocol: Option<&'a [u8]>,
    pub cipher: &'a [u8],
    /// `None` for a line without field 13.
    pub key_exchange: Option<&'a [u8]>,
}

impl Dimensions<'_> {
    #[inline(always)]
    fn same(&self, key: &Key) -> bool {
        self.listener == key.listener
            && same_option(self.protocol, key.protocol.as_deref())
            && same_bytes(self.cipher, &key.cipher)
            && same_option(self.key_exchange, key.key_exchange.as_deref())
            && same_bytes(self.load_balancer, &key.load_balancer)
    }

    /// Tells apart most combinations of a run without reading all of their bytes.
    fn fingerprint(&self) -> usize {
        let optional = |value: Option<&[u8]>| value.map_or(1, fingerprint);
        optional(self.protocol)
            .wrapping_mul(31)
            .wrapping_add(fingerprint(self.cipher).wrapping_mul(7))
            .wrapping_add(optional(self.key_exchange).wrapping_mul(3))
            .wrapping_add(self.listener.map_or(0, usize::from))
            .wrapping_add(fingerprint(self.load_balancer).wrapping_mul(5))
    }

    fn hash(&self) -> u64 {
        FxBuildHasher.hash_one((self.load_balancer, self.listener, self.protocol, self.cipher, self.key_exchange))
    }

    fn to_key(self) -> Key {
        Key {
            load_balancer: self.load_balancer.to_vec(),
            listener: self.listener,
            protocol: self.protocol.map(<[u8]>::to_vec),
            cipher: self.cipher.to_vec(),
            key_exchange: self.key_exchange.map(<[u8]>::to_vec),
        }
    }
}

#[inline(always)]
fn same_option(a: Option<&[u8]>, b: Option<&[u8]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_bytes(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// [`Dimensions`] owned.
#[derive(Clone)]
struct Key {
    load_balancer: Vec<u8>,
    listener: Option<u16>,
    protocol: Option<Vec<u8>>,
    cipher: Vec<u8>,
    key_exchange: Option<Vec<u8>>,
}

impl Key {
    fn dimensions(&self) -> Dimensions<'_> {
        Dimensions {
            load_balancer: &self.load_balancer,
            listener: self.listener,
            protocol: self.protocol.as_deref(),
            cipher: &self.cipher,
            key_exchange: self.key_exchange.as_deref(),
        }
    }
}

/// Where a key exchange is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyExchangeSlot {
    /// No field 13, or `-`: not counted.
    Absent,
    /// Not a group name: counted as malformed.
    Malformed,
    At(usize),
}

/// Positions of one combination's values in the aggregate's tables.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slots {
    pub load_balancer: usize,
    pub listener: Option<usize>,
    /// In the protocol counts; `None` for `-` or not delivered.
    pub protocol: Option<usize>,
    /// In the clients per legacy protocol, for TLS 1.0 and 1.1.
    pub legacy: Option<usize>,
    /// `None` for `-`.
    pub cipher: Option<usize>,
    pub key_exchange: KeyExchangeSlot,
    /// In the latency histograms per protocol (`None`: the protocol was not delivered) and
    /// per load balancer; set by the first record of the combination with a latency, so
    /// that no histogram exists without one.
    pub latency: Option<(Option<usize>, usize)>,
}

/// Combinations seen, with the positions of their values.
#[derive(Clone, Default)]
pub(crate) struct Profiles {
    keys: Vec<Key>,
    slots: Vec<Slots>,
    table: HashTable<usize>,
    /// Index + 1 of a combination seen lately, by fingerprint; 0 for none.
    recent: Vec<usize>,
}

/// Slots of the cache of recent combinations.
const RECENT_SLOTS: usize = 256;

impl Profiles {
    /// The slots of `dimensions`, made with `new_slots` when the combination is new.
    #[inline(always)]
    pub fn slots(&mut self, dimensions: &Dimensions<'_>, new_slots: impl FnOnce(&Dimensions<'_>) -> Slots) -> &mut Slots {
        if self.recent.is_empty() {
            self.recent = vec![0; RECENT_SLOTS];
        }
        let recent = dimensions.fingerprint() % RECENT_SLOTS;
        let index = match self.recent[recent].checked_sub(1) {
            Some(i) if dimensions.same(&self.keys[i]) => i,
            _ => {
                let i = self.find_or_add(dimensions, new_slots);
                self.recent[recent] = i + 1;
                i
            }
        };
        &mut self.slots[index]
    }

    #[inline(never)]
    fn find_or_add(&mut self, dimensions: &Dimensions<'_>, new_slots: impl FnOnce(&Dimensions<'_>) -> Slots) -> usize {
        let hash = dimensions.hash();
        let keys = &self.keys;
        if let Some(&i) = self.table.find(hash, |&i| dimensions.same(&keys[i])) {
            return i;
        }
        let i = self.keys.len();
        self.slots.push(new_slots(dimensions));
        self.keys.push(dimensions.to_key());
        let keys = &self.keys;
        self.table.insert_unique(hash, i, |&j| keys[j].dimensions().hash());
        i
    }
}

/// A cache: two aggregates with the same counts are equal whatever they cached.
impl PartialEq for Profiles {
    fn eq(&self, _: &Profiles) -> bool {
        true
    }
}

impl Eq for Profiles {}

impl std::fmt::Debug for Profiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Profiles({} combinations)", self.keys.len())
    }
}
