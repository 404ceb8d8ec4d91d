//! Client certificates seen in successful handshakes, with their NotAfter, so that a
//! report can list those that expire soon after its last record.
//!
//! Which certificates are "soon" depends on the latest record of the whole run, known
//! only when every input is read, so every certificate still valid at the time of the
//! record it was seen in is kept (one entry per distinct certificate); one that had
//! already expired then cannot be valid at the report's time and is not kept.

use std::net::{IpAddr, Ipv6Addr};

use albmtls_parse::{Field, Micros, Record, tls};
use hashbrown::HashTable;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::arena::{Arena, TAG_BITS, table_hash, tag_of};
use crate::disk::{deserialize_bytes, serialize_bytes};
use crate::same::same_bytes;

/// One certificate (subject + serial) and its use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeenCertificate {
    /// As written in the log (escapes kept); empty when the input did not deliver it (a
    /// record never has an empty value: an absent one is `-`).
    #[serde(serialize_with = "serialize_bytes", deserialize_with = "deserialize_bytes")]
    pub subject: Vec<u8>,
    /// As written; empty when not delivered.
    #[serde(serialize_with = "serialize_bytes", deserialize_with = "deserialize_bytes")]
    pub serial: Vec<u8>,
    /// The latest NotAfter the certificate was seen with (a subject and serial are one
    /// certificate; a log that disagrees with itself gets one answer whatever the order).
    pub not_after: Micros,
    /// Successful connections with it.
    pub connections: u64,
    pub last_seen: Micros,
    /// The client of the last connection (the highest address among equal times).
    pub last_client_ip: IpAddr,
}

/// Distinct certificates seen in successful records.
///
/// Every successful record looks its certificate up, and with thousands of certificates
/// the cost is the wait for memory, so the table is laid out for it: a slot of 8 bytes
/// per certificate points at one key in an arena that holds the certificate's use, then
/// its serial, subject and the validity text it was first read with. Being in one place,
/// the key a line will need can be asked of memory early ([`Certificates::prepare`]),
/// while the rest of the line is counted.
#[derive(Clone, Default)]
pub struct Certificates {
    table: HashTable<Slot>,
    keys: Arena,
    /// Position + 1 of the key found last for each tag modulo [`RECENT`] (0: none): the
    /// key a successful line will most likely need, known early enough to ask the memory
    /// for it while the rest of the line is counted.
    recent: Vec<u64>,
    /// Validity values that are neither `-` nor `NotBefore=…;NotAfter=…`.
    pub malformed: u64,
}

/// Slots of [`Certificates::recent`]: 32 KiB, small enough to stay in cache.
const RECENT: usize = 4096;

/// What [`Certificates::prepare`] found out about a record ahead of counting it.
#[derive(Clone, Copy)]
pub struct Prepared {
    tag: u32,
    /// The key last found for the tag, now on its way into the cache.
    predicted: Option<u64>,
}

/// Where a certificate's key is in the arena (40 bits) and 24 bits of its hash, so that
/// growing the table never reads the arena and a probe reads it only when those bits
/// agree.
#[derive(Clone, Copy)]
struct Slot(u64);

const POSITION_BITS: u32 = 40;

impl Slot {
    fn new(at: u64, tag: u32) -> Slot {
        debug_assert!(at >> POSITION_BITS == 0 && tag >> TAG_BITS == 0);
        Slot(u64::from(tag) << POSITION_BITS | at)
    }

    fn at(self) -> u64 {
        self.0 & ((1 << POSITION_BITS) - 1)
    }

    fn tag(self) -> u32 {
        (self.0 >> POSITION_BITS) as u32
    }
}

/// The tag of a serial and the subject's length and last bytes: serials tell
/// certificates apart nearly always, and hashing the whole subject (80 bytes and more)
/// would cost more than the lookup. Equal tags are still compared whole.
///
/// Every successful line computes it, so it reads a few words instead of hashing bytes
/// one word at a time: the serial's first and last eight bytes (its randomness is at its
/// end for sequential serials, spread over it for random ones), the subject's last eight
/// and both lengths, mixed by one folded multiply.
#[inline(always)]
fn tag(subject: &[u8], serial: &[u8]) -> u32 {
    let (serial_head, serial_tail) = end_words(serial);
    let (_, subject_tail) = end_words(subject);
    let lengths = (serial.len() as u64) << 32 | subject.len() as u64;
    let x = serial_head ^ lengths.rotate_left(17) ^ 0x243f_6a88_85a3_08d3;
    let y = serial_tail ^ subject_tail.rotate_left(29) ^ 0x1319_8a2e_0370_7344;
    let product = u128::from(x) * u128::from(y);
    tag_of((product as u64) ^ (product >> 64) as u64)
}

/// The first and last eight bytes of `bytes` as words (overlapping when shorter than 16;
/// a shorter value padded with zeros, and then the second word is 0).
#[inline(always)]
fn end_words(bytes: &[u8]) -> (u64, u64) {
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) => (u64::from_le_bytes(*first), u64::from_le_bytes(*last)),
        _ => {
            let mut padded = [0; 8];
            padded[..bytes.len()].copy_from_slice(bytes);
            (u64::from_le_bytes(padded), 0)
        }
    }
}

/// A certificate's use, as the head of its key.
#[derive(Clone, Copy)]
struct Use {
    not_after: Micros,
    /// The NotAfter of the validity text kept in the key.
    read_not_after: Micros,
    connections: u64,
    last_seen: Micros,
    last_client_ip: IpAddr,
    serial_len: u32,
    subject_len: u32,
}

/// Where each field of [`Use`] lies in a key's head.
mod head {
    pub const NOT_AFTER: usize = 0;
    pub const READ_NOT_AFTER: usize = 8;
    pub const CONNECTIONS: usize = 16;
    pub const LAST_SEEN: usize = 24;
    /// The client as an IPv6 address (IPv4 mapped), then its family (4 or 6).
    pub const LAST_CLIENT_IP: usize = 32;
    pub const FAMILY: usize = 48;
    pub const SERIAL_LEN: usize = 52;
    pub const SUBJECT_LEN: usize = 56;
}

type Head = [u8; Use::LEN];

#[inline(always)]
fn word(head: &Head, at: usize) -> u64 {
    u64::from_le_bytes(*head[at..].first_chunk().expect("a field inside the head"))
}

#[inline(always)]
fn set_word(head: &mut Head, at: usize, value: u64) {
    *head[at..].first_chunk_mut().expect("a field inside the head") = value.to_le_bytes();
}

#[inline(always)]
fn length(head: &Head, at: usize) -> u32 {
    u32::from_le_bytes(*head[at..].first_chunk().expect("a field inside the head"))
}

#[inline(always)]
fn set_length(head: &mut Head, at: usize, value: u32) {
    *head[at..].first_chunk_mut().expect("a field inside the head") = value.to_le_bytes();
}

#[inline(always)]
fn client_ip(head: &Head) -> IpAddr {
    let ip = Ipv6Addr::from(u128::from_le_bytes(*head[head::LAST_CLIENT_IP..].first_chunk().expect("16 bytes")));
    match ip.to_ipv4_mapped() {
        Some(v4) if head[head::FAMILY] == 4 => IpAddr::V4(v4),
        _ => IpAddr::V6(ip),
    }
}

#[inline(always)]
fn set_client_ip(head: &mut Head, ip: IpAddr) {
    let (ip, family) = match ip {
        IpAddr::V4(ip) => (ip.to_ipv6_mapped(), 4),
        IpAddr::V6(ip) => (ip, 6),
    };
    *head[head::LAST_CLIENT_IP..].first_chunk_mut().expect("16 bytes") = u128::from(ip).to_le_bytes();
    head[head::FAMILY] = family;
}

impl Use {
    const LEN: usize = 64;

    fn read(head: &Head) -> Use {
        Use {
            not_after: word(head, head::NOT_AFTER) as i64,
            read_not_after: word(head, head::READ_NOT_AFTER) as i64,
            connections: word(head, head::CONNECTIONS),
            last_seen: word(head, head::LAST_SEEN) as i64,
            last_client_ip: client_ip(head),
            serial_len: length(head, head::SERIAL_LEN),
            subject_len: length(head, head::SUBJECT_LEN),
        }
    }

    fn write(&self) -> Head {
        let mut head = [0; Use::LEN];
        set_word(&mut head, head::NOT_AFTER, self.not_after as u64);
        set_word(&mut head, head::READ_NOT_AFTER, self.read_not_after as u64);
        set_word(&mut head, head::CONNECTIONS, self.connections);
        set_word(&mut head, head::LAST_SEEN, self.last_seen as u64);
        set_client_ip(&mut head, self.last_client_ip);
        set_length(&mut head, head::SERIAL_LEN, self.serial_len);
        set_length(&mut head, head::SUBJECT_LEN, self.subject_len);
        head
    }
}

/// Folds `connections` more into a key's head, in place: the latest NotAfter, and the
/// last connection (the highest address among equal times) at `last_seen` from `ip`.
#[inline(always)]
fn add_connections(head: &mut Head, not_after: Micros, connections: u64, last_seen: Micros, ip: IpAddr) {
    if not_after > word(head, head::NOT_AFTER) as i64 {
        set_word(head, head::NOT_AFTER, not_after as u64);
    }
    set_word(head, head::CONNECTIONS, word(head, head::CONNECTIONS) + connections);
    let seen = word(head, head::LAST_SEEN) as i64;
    // Lines come in time order: a later time is the common case, and needs no address read.
    if last_seen > seen || (last_seen == seen && ip > client_ip(head)) {
        set_word(head, head::LAST_SEEN, last_seen as u64);
        set_client_ip(head, ip);
    }
}

/// One certificate's key: its use, serial, subject and validity text.
struct CertificateKey<'a> {
    head: &'a Head,
    serial: &'a [u8],
    subject: &'a [u8],
    validity: &'a [u8],
}

impl<'a> CertificateKey<'a> {
    #[inline(always)]
    fn of(key: &'a [u8]) -> CertificateKey<'a> {
        let (head, rest) = key.split_first_chunk::<{ Use::LEN }>().expect("a key starts with its use");
        let (serial, rest) = rest.split_at(length(head, head::SERIAL_LEN) as usize);
        let (subject, validity) = rest.split_at(length(head, head::SUBJECT_LEN) as usize);
        CertificateKey { head, serial, subject, validity }
    }

    #[inline(always)]
    fn is(&self, serial: &[u8], subject: &[u8]) -> bool {
        same_bytes(self.serial, serial) && self.subject == subject
    }
}

/// The subject and serial a successful record's certificate is kept under: empty for a
/// field its input did not deliver.
#[inline(always)]
fn key_of<'a>(record: &Record<'a>) -> (&'a [u8], &'a [u8]) {
    let delivered = |field: Field, value: &'a [u8]| if record.missing.contains(field) { &b""[..] } else { value };
    (delivered(Field::LeafClientCertSubject, record.subject.unwrap_or(b"-")), delivered(Field::LeafClientCertSerialNumber, record.serial))
}

impl Certificates {
    /// Starts the lookup of a successful record's certificate (`success`: its status is
    /// `Success`), to be passed to [`Certificates::add`] once the record's other counts
    /// are made: those cover the wait for the certificate's key to reach the cache.
    #[inline(always)]
    pub fn prepare(&mut self, record: &Record<'_>, success: bool) -> Option<Prepared> {
        if !success || record.validity == b"-" {
            return None;
        }
        let (subject, serial) = key_of(record);
        let tag = tag(subject, serial);
        if self.recent.is_empty() {
            self.recent = vec![0; RECENT];
        }
        let predicted = self.recent[tag as usize % RECENT].checked_sub(1);
        if let Some(at) = predicted {
            // The head, the serial, the subject and the start of the validity.
            self.keys.prefetch(at, 3);
        }
        Some(Prepared { tag, predicted })
    }

    /// Reads the validity of every record (to count malformed ones) and keeps the
    /// certificate of a successful one. `prepared` is what [`Certificates::prepare`]
    /// returned for the record.
    #[inline(always)]
    pub fn add(&mut self, record: &Record<'_>, prepared: Option<Prepared>) {
        if let Some(prepared) = prepared {
            self.add_success(record, prepared);
        } else if record.validity != b"-" && tls::not_after(record.validity).is_err() {
            self.malformed += 1;
        }
    }

    /// Finds the certificate first, so that a validity text already read for it is not
    /// parsed again.
    #[inline(always)]
    fn add_success(&mut self, record: &Record<'_>, Prepared { tag, predicted }: Prepared) {
        let (subject, serial) = key_of(record);
        let found = match predicted {
            Some(at) if CertificateKey::of(self.keys.get(at)).is(serial, subject) => Some(at),
            _ => self.find(tag, serial, subject),
        };
        if let Some(at) = found {
            self.recent[tag as usize % RECENT] = at + 1;
        }
        let known = found.and_then(|at| {
            let kept = CertificateKey::of(self.keys.get(at));
            (kept.validity == record.validity).then(|| word(kept.head, head::READ_NOT_AFTER) as i64)
        });
        let not_after = match known {
            Some(not_after) => not_after,
            None => match tls::not_after(record.validity) {
                Ok(Some(not_after)) => not_after,
                Ok(None) => return,
                Err(tls::Malformed) => {
                    self.malformed += 1;
                    return;
                }
            },
        };
        // One already expired at the time of the record cannot be valid at the report's.
        if not_after <= record.time {
            return;
        }
        match found {
            Some(at) => add_connections(self.head_mut(at), not_after, 1, record.time, record.client_ip),
            None => {
                let (Ok(serial_len), Ok(subject_len)) = (u32::try_from(serial.len()), u32::try_from(subject.len())) else {
                    // Values come from lines of at most a mebibyte or Parquet pages of at
                    // most 2 GiB: this is unreachable, but not worth a panic.
                    self.malformed += 1;
                    return;
                };
                let usage = Use {
                    not_after,
                    read_not_after: not_after,
                    connections: 1,
                    last_seen: record.time,
                    last_client_ip: record.client_ip,
                    serial_len,
                    subject_len,
                };
                let at = self.push(tag, &usage, serial, subject, record.validity);
                self.recent[tag as usize % RECENT] = at + 1;
            }
        }
    }

    /// Where the key of `serial` and `subject` is.
    #[inline(always)]
    fn find(&self, tag: u32, serial: &[u8], subject: &[u8]) -> Option<u64> {
        let keys = &self.keys;
        self.table
            .find(table_hash(tag), |slot| slot.tag() == tag && CertificateKey::of(keys.get(slot.at())).is(serial, subject))
            .map(|slot| slot.at())
    }

    #[inline(always)]
    fn head_mut(&mut self, at: u64) -> &mut Head {
        self.keys.get_mut(at).first_chunk_mut().expect("a key starts with its use")
    }

    fn push(&mut self, tag: u32, usage: &Use, serial: &[u8], subject: &[u8], validity: &[u8]) -> u64 {
        let at = self.keys.push_parts(&[&usage.write(), serial, subject, validity]);
        self.table.insert_unique(table_hash(tag), Slot::new(at, tag), |slot| table_hash(slot.tag()));
        at
    }

    /// Folds in a certificate used as `usage` says.
    fn insert(&mut self, usage: Use, serial: &[u8], subject: &[u8], validity: &[u8]) {
        let tag = tag(subject, serial);
        match self.find(tag, serial, subject) {
            Some(at) => add_connections(self.head_mut(at), usage.not_after, usage.connections, usage.last_seen, usage.last_client_ip),
            None => {
                self.push(tag, &usage, serial, subject, validity);
            }
        }
    }

    pub fn merge(&mut self, mut other: Certificates) {
        if self.len() < other.len() {
            std::mem::swap(self, &mut other);
        }
        self.malformed += other.malformed;
        for slot in other.table.iter() {
            let theirs = CertificateKey::of(other.keys.get(slot.at()));
            self.insert(Use::read(theirs.head), theirs.serial, theirs.subject, theirs.validity);
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every certificate, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = SeenCertificate> + '_ {
        self.table.iter().map(|slot| {
            let kept = CertificateKey::of(self.keys.get(slot.at()));
            let usage = Use::read(kept.head);
            SeenCertificate {
                subject: kept.subject.to_vec(),
                serial: kept.serial.to_vec(),
                not_after: usage.not_after,
                connections: usage.connections,
                last_seen: usage.last_seen,
                last_client_ip: usage.last_client_ip,
            }
        })
    }

    fn sorted(&self) -> Vec<SeenCertificate> {
        let mut all: Vec<SeenCertificate> = self.iter().collect();
        all.sort_unstable();
        all
    }
}

impl PartialEq for Certificates {
    fn eq(&self, other: &Certificates) -> bool {
        self.malformed == other.malformed && self.sorted() == other.sorted()
    }
}

impl Eq for Certificates {}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates").field("entries", &self.sorted()).field("malformed", &self.malformed).finish()
    }
}

/// The on-disk form: the certificates in order, and the malformed count.
#[derive(Serialize, Deserialize)]
struct CertificatesOnDisk<T> {
    seen: T,
    malformed: u64,
}

impl Serialize for Certificates {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CertificatesOnDisk { seen: self.sorted(), malformed: self.malformed }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Certificates {
    /// Refuses a certificate given twice: albmtls writes each once, and adding the
    /// connections of a hand-made file could overflow before its counts are checked.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Certificates, D::Error> {
        let disk = CertificatesOnDisk::<Vec<SeenCertificate>>::deserialize(deserializer)?;
        let mut certificates = Certificates { malformed: disk.malformed, ..Certificates::default() };
        for seen in disk.seen {
            let before = certificates.len();
            let too_long = |_| serde::de::Error::custom("a certificate's subject or serial is longer than 4 GiB");
            let usage = Use {
                not_after: seen.not_after,
                read_not_after: seen.not_after,
                connections: seen.connections,
                last_seen: seen.last_seen,
                last_client_ip: seen.last_client_ip,
                serial_len: u32::try_from(seen.serial.len()).map_err(too_long)?,
                subject_len: u32::try_from(seen.subject.len()).map_err(too_long)?,
            };
            certificates.insert(usage, &seen.serial, &seen.subject, b"");
            if certificates.len() == before {
                return Err(serde::de::Error::custom("a certificate (subject and serial) appears twice"));
            }
        }
        Ok(certificates)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Successful lines of more certificates than [`RECENT`] has slots (so predictions
    /// miss and tags share slots), clients of both families and IPv4-mapped IPv6, equal
    /// times with different clients, and certificates whose validity text changes.
    fn lines() -> Vec<String> {
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        (0..40_000)
            .map(|i| {
                let certificate = next(6_000);
                let client = match next(3) {
                    0 => format!("203.0.{}.{}", next(4), next(256)),
                    1 => format!("2001:db8::{:x}", next(4)),
                    _ => format!("::ffff:203.0.0.{}", next(4)),
                };
                let second = i / 7; // several lines a second: ties on time
                let not_after_year = if next(50) == 0 { 2031 } else { 2030 };
                format!(
                    "2026-11-02T{:02}:{:02}:{:02}.000000Z {client} 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.010 \"CN=device-{certificate},O=Example\" NotBefore=2026-01-01T00:00:00Z;NotAfter={not_after_year}-01-01T00:00:00Z {:X} Success TID",
                    second / 3600,
                    second / 60 % 60,
                    second % 60,
                    0xA000 + certificate,
                )
            })
            .collect()
    }

    /// The certificates as a plain map computes them.
    fn expected(lines: &[String]) -> Vec<SeenCertificate> {
        let mut model: BTreeMap<(Vec<u8>, Vec<u8>), SeenCertificate> = BTreeMap::new();
        for line in lines {
            let record = Record::parse(line.as_bytes()).unwrap();
            let not_after = tls::not_after(record.validity).unwrap().unwrap();
            let (subject, serial) = key_of(&record);
            let seen = model.entry((subject.to_vec(), serial.to_vec())).or_insert(SeenCertificate {
                subject: subject.to_vec(),
                serial: serial.to_vec(),
                not_after,
                connections: 0,
                last_seen: record.time,
                last_client_ip: record.client_ip,
            });
            seen.not_after = seen.not_after.max(not_after);
            seen.connections += 1;
            if (record.time, record.client_ip) > (seen.last_seen, seen.last_client_ip) {
                (seen.last_seen, seen.last_client_ip) = (record.time, record.client_ip);
            }
        }
        model.into_values().collect()
    }

    fn table(lines: &[String]) -> Certificates {
        let mut certificates = Certificates::default();
        for line in lines {
            let record = Record::parse(line.as_bytes()).unwrap();
            let prepared = certificates.prepare(&record, true);
            certificates.add(&record, prepared);
        }
        certificates
    }

    #[test]
    fn the_table_equals_a_plain_map_however_the_lines_are_split_and_merged() {
        let lines = lines();
        let expected = expected(&lines);
        assert!(expected.len() > RECENT, "more certificates than prediction slots");
        assert!(expected.iter().any(|c| c.last_client_ip.is_ipv4()) && expected.iter().any(|c| c.last_client_ip.is_ipv6()));
        let whole = table(&lines);
        assert_eq!(whole.sorted(), expected);
        for split in [1, 13_331, 39_999] {
            let (a, b) = lines.split_at(split);
            for (first, second) in [(table(a), table(b)), (table(b), table(a))] {
                let mut merged = first;
                merged.merge(second);
                assert_eq!(merged.sorted(), expected, "split at {split}");
            }
        }
        let json = serde_json::to_string(&whole).unwrap();
        let read: Certificates = serde_json::from_str(&json).unwrap();
        assert_eq!(read, whole);
        let mut continued = read;
        continued.merge(table(&lines));
        let doubled: Vec<u64> = continued.sorted().iter().map(|c| c.connections).collect();
        assert_eq!(doubled, expected.iter().map(|c| 2 * c.connections).collect::<Vec<_>>());
    }

    #[test]
    fn an_address_keeps_its_family_through_a_record() {
        for ip in ["203.0.113.7", "::ffff:203.0.113.7", "2001:db8::1", "::"] {
            let ip: IpAddr = ip.parse().unwrap();
            let mut head: Head = [0; Use::LEN];
            set_client_ip(&mut head, ip);
            assert_eq!(client_ip(&head), ip);
        }
    }

    /// Tags only speed lookups up (equal tags are compared whole), but when kinds of
    /// serial common in real fleets share tags, or the low bits that pick a prediction
    /// slot, every line of those certificates waits on a miss.
    #[test]
    fn tags_spread_like_random_numbers_over_the_serials_fleets_use() {
        let mut state = 3u64;
        let mut random_hex = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            format!("{:016X}{:016X}", state, state.rotate_left(23) ^ 0x5bd1_e995)
        };
        let n = 20_000;
        let kinds: [(&str, Vec<(String, String)>); 4] = [
            ("random serials", (0..n).map(|_| (random_hex(), "CN=client,O=Example".to_owned())).collect()),
            ("sequential serials", (0..n).map(|i| (format!("{:X}", 0x1000 + i), "CN=client,O=Example".to_owned())).collect()),
            ("one serial, subjects numbered at the end", (0..n).map(|i| ("01".to_owned(), format!("CN=device-{i:05}"))).collect()),
            ("short serials and subjects", (0..n).map(|i| (format!("{i:X}"), format!("CN={}", i % 7))).collect()),
        ];
        // Pairs of 20,000 values among 2^24 tags: ~12 collisions expected.
        let expected = (n * (n - 1) / 2) as f64 / f64::from(1u32 << TAG_BITS);
        for (kind, certificates) in kinds {
            let tags: Vec<u32> = certificates.iter().map(|(serial, subject)| tag(subject.as_bytes(), serial.as_bytes())).collect();
            let distinct: std::collections::HashSet<u32> = tags.iter().copied().collect();
            let collisions = tags.len() - distinct.len();
            assert!((collisions as f64) < 3.0 * expected + 5.0, "{kind}: {collisions} collisions, ~{expected:.0} expected");
            // 2,000 certificates over the 4,096 prediction slots occupy ~1,584 of them.
            let slots: std::collections::HashSet<usize> = tags[..2_000].iter().map(|&t| t as usize % RECENT).collect();
            assert!(slots.len() > 1_450, "{kind}: 2,000 certificates in {} of {RECENT} slots", slots.len());
        }
    }
}
