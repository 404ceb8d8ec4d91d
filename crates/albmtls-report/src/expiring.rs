//! Client certificates seen in successful handshakes, with their NotAfter, so that a
//! report can list those that expire soon after its last record.
//!
//! Which certificates are "soon" depends on the latest record of the whole run, known
//! only when every input is read, so every certificate still valid at the time of the
//! record it was seen in is kept (one entry per distinct certificate); one that had
//! already expired then cannot be valid at the report's time and is not kept.

use std::hash::BuildHasher;
use std::net::IpAddr;

use albmtls_parse::{Field, Micros, Record, tls};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::same::same_bytes;

/// One certificate (subject + serial) and its use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeenCertificate {
    /// As written in the log (escapes kept); empty when the input did not deliver it (a
    /// record never has an empty value: an absent one is `-`).
    pub subject: Vec<u8>,
    /// As written; empty when not delivered.
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

impl SeenCertificate {
    fn merge(&mut self, other: &SeenCertificate) {
        self.not_after = self.not_after.max(other.not_after);
        self.connections += other.connections;
        if (other.last_seen, other.last_client_ip) > (self.last_seen, self.last_client_ip) {
            self.last_seen = other.last_seen;
            self.last_client_ip = other.last_client_ip;
        }
    }
}

#[derive(Clone, Default)]
pub struct Certificates {
    entries: Vec<SeenCertificate>,
    /// Per entry, the validity text last read for it and its NotAfter: a certificate seen
    /// again with the same text (nearly always) skips parsing two timestamps. `None` for
    /// entries that came from a merge or a partial file.
    parsed_validity: Vec<Option<(Box<[u8]>, Micros)>>,
    table: HashTable<usize>,
    /// Validity values that are neither `-` nor `NotBefore=…;NotAfter=…`.
    pub malformed: u64,
}

/// The serial and the subject's length and last bytes: serials tell certificates apart
/// nearly always, and hashing the whole subject (80 bytes and more) would cost more than
/// the table lookup. Equal keys are still compared whole.
fn hash(subject: &[u8], serial: &[u8]) -> u64 {
    let tail = &subject[subject.len().saturating_sub(8)..];
    FxBuildHasher.hash_one((serial, subject.len(), tail))
}

impl Certificates {
    /// Reads the validity of every record (to count malformed ones) and keeps the
    /// certificate of a successful one. `success` is whether the record's status is `Success`.
    #[inline(always)]
    pub fn add(&mut self, record: &Record<'_>, success: bool) {
        if record.validity == b"-" {
            return;
        }
        if success {
            self.add_success(record);
        } else if tls::not_after(record.validity).is_err() {
            self.malformed += 1;
        }
    }

    /// Finds the certificate first, so that a validity text already read for it is not
    /// parsed again.
    fn add_success<'a>(&mut self, record: &Record<'a>) {
        let delivered = |field: Field, value: &'a [u8]| if record.missing.contains(field) { &b""[..] } else { value };
        let subject = delivered(Field::LeafClientCertSubject, record.subject.unwrap_or(b"-"));
        let serial = delivered(Field::LeafClientCertSerialNumber, record.serial);
        let hash = hash(subject, serial);
        let entries = &self.entries;
        let found = self.table.find(hash, |&i| same_bytes(&entries[i].serial, serial) && entries[i].subject == subject).copied();
        let (not_after, parsed) = match found.and_then(|i| self.parsed_validity[i].as_ref()) {
            Some((text, not_after)) if **text == *record.validity => (*not_after, false),
            _ => match tls::not_after(record.validity) {
                Ok(Some(not_after)) => (not_after, true),
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
        let seen = SeenCertificate {
            subject: Vec::new(),
            serial: Vec::new(),
            not_after,
            connections: 1,
            last_seen: record.time,
            last_client_ip: record.client_ip,
        };
        let i = match found {
            Some(i) => {
                self.entries[i].merge(&seen);
                i
            }
            None => self.push(hash, SeenCertificate { subject: subject.to_vec(), serial: serial.to_vec(), ..seen }),
        };
        if parsed {
            self.parsed_validity[i] = Some((record.validity.into(), not_after));
        }
    }

    /// Adds a certificate not in the table yet.
    fn push(&mut self, hash: u64, seen: SeenCertificate) -> usize {
        let i = self.entries.len();
        self.entries.push(seen);
        self.parsed_validity.push(None);
        let entries = &self.entries;
        self.table.insert_unique(hash, i, |&j| self::hash(&entries[j].subject, &entries[j].serial));
        i
    }

    /// Folds `seen` into the entry of its subject and serial.
    fn insert(&mut self, seen: SeenCertificate) {
        let hash = hash(&seen.subject, &seen.serial);
        let entries = &self.entries;
        match self.table.find(hash, |&i| entries[i].subject == seen.subject && entries[i].serial == seen.serial).copied() {
            Some(i) => self.entries[i].merge(&seen),
            None => {
                self.push(hash, seen);
            }
        }
    }

    pub fn merge(&mut self, other: Certificates) {
        self.malformed += other.malformed;
        for seen in other.entries {
            self.insert(seen);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &SeenCertificate> {
        self.entries.iter()
    }

    fn sorted(&self) -> Vec<&SeenCertificate> {
        let mut all: Vec<&SeenCertificate> = self.entries.iter().collect();
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
            certificates.insert(seen);
            if certificates.len() == before {
                return Err(serde::de::Error::custom("a certificate (subject and serial) appears twice"));
            }
        }
        Ok(certificates)
    }
}
