//! Ground truth: what the generator wrote, counted while writing, so tests and benchmarks
//! compare a report against it instead of hard-coded numbers.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::CorpusError;
use crate::line::Generation;
use crate::population::{Population, STATUS_NONE, STATUS_SUCCESS};
use crate::spec::CorpusSpec;

/// One connection-log file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileTruth {
    /// Path relative to the output directory, `/`-separated (the S3 key).
    pub path: String,
    pub lines: u64,
    /// Gzip members (0 for plain files).
    pub members: u64,
    pub generation: Generation,
    /// Timestamp text of the first and last line; `None` for an empty file.
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
}

/// Counts of everything written. Status keys are the exact field-11 text (`Success`, `-`,
/// `Failed:<code>`); client keys are the field-2 text as written (bracketed IPv6 included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The spec that produced the corpus.
    pub spec: CorpusSpec,
    /// Connection-log lines written.
    pub records: u64,
    /// Uncompressed bytes of connection-log lines.
    pub raw_bytes: u64,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub status_counts: BTreeMap<String, u64>,
    /// For every status except `Success` and `-`: lines per client IP.
    pub clients_by_status: BTreeMap<String, BTreeMap<String, u64>>,
    /// For every status: how many distinct client IPs had it.
    pub distinct_clients_by_status: BTreeMap<String, u64>,
    /// For every status except `Success` and `-`: lines per subject DN (unescaped; `-` when
    /// the line had none).
    pub subjects_by_status: BTreeMap<String, BTreeMap<String, u64>>,
    /// For every status except `Success` and `-`: how many distinct subjects had it.
    #[serde(default)]
    pub distinct_subjects_by_status: BTreeMap<String, u64>,
    /// Lines per field count (11, 12, 13, 15).
    pub lines_by_generation: BTreeMap<u8, u64>,
    pub lines_by_listener: BTreeMap<u16, u64>,
    /// Lines whose client is an IPv6 address (bare or bracketed).
    pub ipv6_lines: u64,
    pub files: Vec<FileTruth>,
    /// Non-connection-log files written beside them (access, health-check, test file).
    pub other_files: Vec<String>,
}

impl Truth {
    /// Reads a `truth.json` written by [`generate`](crate::generate).
    pub fn read(path: &Path) -> Result<Truth, CorpusError> {
        let text = std::fs::read(path).map_err(|source| CorpusError::Io { path: path.to_owned(), source })?;
        serde_json::from_slice(&text).map_err(|e| CorpusError::InvalidTruth(format!("{}: {e}", path.display())))
    }

    /// Lines with this exact status text (0 when absent).
    pub fn count(&self, status: &str) -> u64 {
        self.status_counts.get(status).copied().unwrap_or(0)
    }

    /// Lines whose status starts with `Failed:` (documented or not).
    pub fn failed(&self) -> u64 {
        self.status_counts.iter().filter(|(s, _)| s.starts_with("Failed:")).map(|(_, n)| n).sum()
    }
}

/// Counters updated per line; turned into a [`Truth`] at the end.
pub(crate) struct Tally {
    status: Vec<u64>,
    by_client: Vec<Vec<u64>>,
    by_subject: Vec<Vec<u64>>,
    generation: [u64; 4],
    listeners: Vec<(u16, u64)>,
    ipv6_lines: u64,
    pub raw_bytes: u64,
}

impl Tally {
    pub fn new(pop: &Population) -> Tally {
        let n = pop.statuses.len();
        Tally {
            status: vec![0; n],
            by_client: vec![Vec::new(); n],
            by_subject: vec![Vec::new(); n],
            generation: [0; 4],
            listeners: Vec::new(),
            ipv6_lines: 0,
            raw_bytes: 0,
        }
    }

    /// `cert` is `None` when the line's subject is `"-"`.
    pub fn record(&mut self, pop: &Population, status: u16, client: u32, cert: Option<u32>, generation: Generation, listener: u16) {
        let s = usize::from(status);
        self.status[s] += 1;
        let clients = &mut self.by_client[s];
        if clients.is_empty() {
            clients.resize(pop.clients.len(), 0);
        }
        clients[client as usize] += 1;
        if status != STATUS_SUCCESS && status != STATUS_NONE {
            let subjects = &mut self.by_subject[s];
            if subjects.is_empty() {
                subjects.resize(pop.certs.len() + 1, 0);
            }
            subjects[cert.map_or(0, |c| c as usize + 1)] += 1;
        }
        self.generation[generation as usize] += 1;
        match self.listeners.iter_mut().find(|(port, _)| *port == listener) {
            Some((_, n)) => *n += 1,
            None => self.listeners.push((listener, 1)),
        }
        if pop.clients[client as usize].contains(':') {
            self.ipv6_lines += 1;
        }
    }

    pub fn into_truth(self, spec: &CorpusSpec, pop: &Population, files: Vec<FileTruth>, other_files: Vec<String>) -> Truth {
        let mut status_counts = BTreeMap::new();
        let mut clients_by_status = BTreeMap::new();
        let mut distinct_clients_by_status = BTreeMap::new();
        let mut subjects_by_status = BTreeMap::new();
        let mut distinct_subjects_by_status = BTreeMap::new();
        let owned = |map: BTreeMap<&str, u64>| map.into_iter().map(|(k, n)| (k.to_owned(), n)).collect::<BTreeMap<String, u64>>();
        for (s, &count) in self.status.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let text = pop.statuses[s].clone();
            status_counts.insert(text.clone(), count);
            // Actors may share an ordinary client's address (or subject): keys are merged by text.
            let mut per_client: BTreeMap<&str, u64> = BTreeMap::new();
            for (c, &n) in self.by_client[s].iter().enumerate().filter(|(_, n)| **n > 0) {
                *per_client.entry(&pop.clients[c]).or_default() += n;
            }
            distinct_clients_by_status.insert(text.clone(), per_client.len() as u64);
            if s != usize::from(STATUS_SUCCESS) && s != usize::from(STATUS_NONE) {
                let mut per_subject: BTreeMap<&str, u64> = BTreeMap::new();
                for (c, &n) in self.by_subject[s].iter().enumerate().filter(|(_, n)| **n > 0) {
                    let dn = if c == 0 { "-" } else { pop.certs[c - 1].dn.as_str() };
                    *per_subject.entry(dn).or_default() += n;
                }
                distinct_subjects_by_status.insert(text.clone(), per_subject.len() as u64);
                if spec.per_key_truth {
                    clients_by_status.insert(text.clone(), owned(per_client));
                    subjects_by_status.insert(text, owned(per_subject));
                }
            }
        }
        let lines_by_generation =
            Generation::ALL.iter().zip(self.generation).filter(|(_, n)| *n > 0).map(|(g, n)| (g.field_count(), n)).collect();
        Truth {
            spec: spec.clone(),
            records: self.status.iter().sum(),
            raw_bytes: self.raw_bytes,
            first_timestamp: files.iter().filter_map(|f| f.first_timestamp.clone()).min(),
            last_timestamp: files.iter().filter_map(|f| f.last_timestamp.clone()).max(),
            status_counts,
            clients_by_status,
            distinct_clients_by_status,
            subjects_by_status,
            distinct_subjects_by_status,
            lines_by_generation,
            lines_by_listener: self.listeners.into_iter().collect(),
            ipv6_lines: self.ipv6_lines,
            files,
            other_files,
        }
    }
}
