//! Ground truth: what the generator wrote, counted while writing, so tests and benchmarks
//! compare a report against it instead of hard-coded numbers.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::CorpusError;
use crate::line::{Generation, LineFields, format_timestamp};
use crate::population::{Population, STATUS_NONE, STATUS_SUCCESS};
use crate::spec::CorpusSpec;

/// The expiry window of [`Truth::expiring`], in days after the last line: the report's
/// default.
pub const EXPIRING_WITHIN_DAYS: u32 = 30;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Lines and their statuses on one load balancer or listener port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficTruth {
    pub records: u64,
    /// Lines whose status starts with `Failed:`.
    pub failed: u64,
    pub status_counts: BTreeMap<String, u64>,
}

/// A client on TLS 1.0 or 1.1, and its lines on that protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyClientTruth {
    /// As written in field 2 (bracketed IPv6 included).
    pub ip: String,
    pub protocol: String,
    pub count: u64,
}

/// Protocols, ciphers and key exchanges as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsTruth {
    /// Lines per `tls_protocol`; plain-HTTP lines (`-`) are not counted.
    pub protocols: BTreeMap<String, u64>,
    /// Lines per `tls_cipher`, likewise.
    pub ciphers: BTreeMap<String, u64>,
    /// Lines per `tls_keyexchange`, among the lines that carry field 13.
    pub key_exchanges: BTreeMap<String, u64>,
    /// Lines that carry field 13 with a group.
    pub key_exchange_records: u64,
    /// Those of them with a hybrid ML-KEM group.
    pub post_quantum_records: u64,
    /// Lines on TLS 1.0 or 1.1.
    pub legacy_records: u64,
    /// Lines per (client, legacy protocol), most first; empty without
    /// [`CorpusSpec::per_key_truth`].
    pub legacy_clients: Vec<LegacyClientTruth>,
}

/// Nearest-rank percentiles of handshake latencies, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyTruth {
    /// Lines with a latency.
    pub records: u64,
    pub p50_ms: u32,
    pub p90_ms: u32,
    pub p99_ms: u32,
    pub max_ms: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeLatencyTruth {
    /// `None` when no line has a latency.
    pub overall: Option<LatencyTruth>,
    pub by_protocol: BTreeMap<String, LatencyTruth>,
    pub by_load_balancer: BTreeMap<String, LatencyTruth>,
}

/// A certificate (subject and serial) of successful connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringCertificateTruth {
    /// The distinguished name, unescaped.
    pub subject: String,
    pub serial: String,
    /// Timestamp text, as field 1 writes times.
    pub not_after: String,
    /// Whole days from the last line to NotAfter.
    pub days_left: i64,
    /// Successful connections with it.
    pub connections: u64,
    pub last_seen: String,
    /// The client of its last connection as written (the highest address among equal times).
    pub last_client_ip: String,
}

/// The certificates of successful connections whose NotAfter lies after the last line
/// and at most [`EXPIRING_WITHIN_DAYS`] later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringTruth {
    /// The last line's timestamp text.
    pub as_of: Option<String>,
    pub within_days: u32,
    /// By NotAfter, then subject and serial.
    pub certificates: Vec<ExpiringCertificateTruth>,
}

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
    /// Per load balancer (`app/NAME/ID`): the file's, which field 14 repeats when the
    /// line has it.
    pub load_balancers: BTreeMap<String, TrafficTruth>,
    /// Per listener port.
    pub listeners: BTreeMap<u16, TrafficTruth>,
    pub tls: TlsTruth,
    pub handshake_latency: HandshakeLatencyTruth,
    pub expiring: ExpiringTruth,
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

/// Where a line came from, beyond what it says.
pub(crate) struct LineOrigin {
    pub status: u16,
    pub client: u32,
    /// `None` when the line's subject is `"-"`.
    pub cert: Option<u32>,
    /// The identity's TLS stack, `None` for plain HTTP.
    pub tls: Option<u16>,
    /// The file's load balancer (index into [`CorpusSpec::load_balancers`]).
    pub lb: usize,
}

/// The use of one certificate in successful connections.
struct CertUse {
    connections: u64,
    last_seen: i64,
    last_client: u32,
}

/// Records per latency in milliseconds, grown on demand.
#[derive(Clone, Default)]
struct Histogram(Vec<u64>);

impl Histogram {
    fn add(&mut self, ms: u32) {
        let i = ms as usize;
        if i >= self.0.len() {
            self.0.resize(i + 1, 0);
        }
        self.0[i] += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        if other.0.len() > self.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine += theirs;
        }
    }

    /// The nearest-rank percentiles: the smallest latency at least `p` percent of the
    /// lines do not exceed.
    fn summary(&self) -> Option<LatencyTruth> {
        let records: u64 = self.0.iter().sum();
        if records == 0 {
            return None;
        }
        let at = |p: u64| {
            let rank = (p * records).div_ceil(100).max(1);
            let mut seen = 0;
            self.0.iter().position(|&n| {
                seen += n;
                seen >= rank
            })
        };
        let ms = |i: Option<usize>| i.expect("a rank within the records") as u32;
        Some(LatencyTruth {
            records,
            p50_ms: ms(at(50)),
            p90_ms: ms(at(90)),
            p99_ms: ms(at(99)),
            max_ms: ms(self.0.iter().rposition(|&n| n > 0)),
        })
    }
}

/// Counters updated per line; turned into a [`Truth`] at the end.
pub(crate) struct Tally {
    status: Vec<u64>,
    by_client: Vec<Vec<u64>>,
    by_subject: Vec<Vec<u64>>,
    generation: [u64; 4],
    /// Statuses per load balancer.
    by_lb: Vec<Vec<u64>>,
    /// Statuses per listener port.
    listeners: Vec<(u16, Vec<u64>)>,
    /// TLS lines per stack: without field 13, with it.
    stacks: Vec<[u64; 2]>,
    latency_by_stack: Vec<Histogram>,
    latency_by_lb: Vec<Histogram>,
    /// Lines per (client, stack) of the TLS 1.0/1.1 stacks.
    legacy: HashMap<(u32, u16), u64>,
    /// Certificates of successful lines.
    certs: HashMap<u32, CertUse>,
    last_seen: Option<i64>,
    ipv6_lines: u64,
    pub raw_bytes: u64,
}

fn is_legacy(protocol: &str) -> bool {
    matches!(protocol, "TLSv1" | "TLSv1.1")
}

/// A field-2 address as an address (brackets dropped).
fn address(written: &str) -> IpAddr {
    written.trim_start_matches('[').trim_end_matches(']').parse().expect("the generator writes valid addresses")
}

impl Tally {
    pub fn new(pop: &Population, load_balancers: usize) -> Tally {
        let n = pop.statuses.len();
        Tally {
            status: vec![0; n],
            by_client: vec![Vec::new(); n],
            by_subject: vec![Vec::new(); n],
            generation: [0; 4],
            by_lb: vec![vec![0; n]; load_balancers],
            listeners: Vec::new(),
            stacks: vec![[0; 2]; pop.tls_stacks.len()],
            latency_by_stack: vec![Histogram::default(); pop.tls_stacks.len()],
            latency_by_lb: vec![Histogram::default(); load_balancers],
            legacy: HashMap::new(),
            certs: HashMap::new(),
            last_seen: None,
            ipv6_lines: 0,
            raw_bytes: 0,
        }
    }

    pub fn record(&mut self, pop: &Population, line: &LineFields<'_>, origin: LineOrigin) {
        let LineOrigin { status, client, cert, tls, lb } = origin;
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
        self.generation[line.generation as usize] += 1;
        self.by_lb[lb][s] += 1;
        let listener = match self.listeners.iter().position(|(port, _)| *port == line.listener_port) {
            Some(i) => i,
            None => {
                self.listeners.push((line.listener_port, vec![0; self.status.len()]));
                self.listeners.len() - 1
            }
        };
        self.listeners[listener].1[s] += 1;
        if let Some(stack) = tls {
            self.stacks[usize::from(stack)][usize::from(line.generation >= Generation::Fields13)] += 1;
            if is_legacy(pop.tls_stacks[usize::from(stack)].protocol) {
                *self.legacy.entry((client, stack)).or_default() += 1;
            }
            if let Some(ms) = line.handshake_latency_ms {
                self.latency_by_stack[usize::from(stack)].add(ms);
                self.latency_by_lb[lb].add(ms);
            }
        }
        let time = line.timestamp.timestamp_micros();
        self.last_seen = Some(self.last_seen.map_or(time, |t| t.max(time)));
        if status == STATUS_SUCCESS
            && let Some(cert) = cert
        {
            let used = self.certs.entry(cert).or_insert(CertUse { connections: 0, last_seen: time, last_client: client });
            used.connections += 1;
            // Addresses are compared only on a tie, which is rare: parsing is slow.
            let later = time > used.last_seen
                || (time == used.last_seen && address(&pop.clients[client as usize]) > address(&pop.clients[used.last_client as usize]));
            if later {
                used.last_seen = time;
                used.last_client = client;
            }
        }
        if pop.clients[client as usize].contains(':') {
            self.ipv6_lines += 1;
        }
    }

    pub fn into_truth(
        self,
        spec: &CorpusSpec,
        pop: &Population,
        load_balancers: &[(&str, u32)],
        files: Vec<FileTruth>,
        other_files: Vec<String>,
    ) -> Truth {
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
            load_balancers: load_balancers
                .iter()
                .zip(&self.by_lb)
                .map(|((elb, _), counts)| ((*elb).to_owned(), traffic(pop, counts)))
                .collect(),
            listeners: self.listeners.iter().map(|(port, counts)| (*port, traffic(pop, counts))).collect(),
            tls: self.tls(spec, pop),
            handshake_latency: HandshakeLatencyTruth {
                overall: {
                    let mut all = Histogram::default();
                    self.latency_by_stack.iter().for_each(|h| all.merge(h));
                    all.summary()
                },
                by_protocol: {
                    let mut by_protocol: BTreeMap<String, Histogram> = BTreeMap::new();
                    for (stack, histogram) in pop.tls_stacks.iter().zip(&self.latency_by_stack) {
                        by_protocol.entry(stack.protocol.to_owned()).or_default().merge(histogram);
                    }
                    by_protocol.into_iter().filter_map(|(protocol, h)| Some((protocol, h.summary()?))).collect()
                },
                by_load_balancer: load_balancers
                    .iter()
                    .zip(&self.latency_by_lb)
                    .filter_map(|((elb, _), h)| Some(((*elb).to_owned(), h.summary()?)))
                    .collect(),
            },
            expiring: self.expiring(pop),
            ipv6_lines: self.ipv6_lines,
            files,
            other_files,
        }
    }

    fn tls(&self, spec: &CorpusSpec, pop: &Population) -> TlsTruth {
        let mut tls = TlsTruth::default();
        for (stack, &[without_group, with_group]) in pop.tls_stacks.iter().zip(&self.stacks) {
            let lines = without_group + with_group;
            if lines == 0 {
                continue;
            }
            *tls.protocols.entry(stack.protocol.to_owned()).or_default() += lines;
            *tls.ciphers.entry(stack.cipher.to_owned()).or_default() += lines;
            if is_legacy(stack.protocol) {
                tls.legacy_records += lines;
            }
            if with_group > 0 {
                *tls.key_exchanges.entry(stack.keyexchange.to_owned()).or_default() += with_group;
                tls.key_exchange_records += with_group;
                if stack.keyexchange.contains("MLKEM") {
                    tls.post_quantum_records += with_group;
                }
            }
        }
        if spec.per_key_truth {
            // Actors may share an ordinary client's address: keys are merged by text.
            let mut per_client: BTreeMap<(&str, &str), u64> = BTreeMap::new();
            for (&(client, stack), &n) in &self.legacy {
                *per_client.entry((&pop.clients[client as usize], pop.tls_stacks[usize::from(stack)].protocol)).or_default() += n;
            }
            tls.legacy_clients = per_client
                .into_iter()
                .map(|((ip, protocol), count)| LegacyClientTruth { ip: ip.to_owned(), protocol: protocol.to_owned(), count })
                .collect();
            tls.legacy_clients.sort_by(|a, b| {
                b.count.cmp(&a.count).then_with(|| address(&a.ip).cmp(&address(&b.ip))).then_with(|| a.protocol.cmp(&b.protocol))
            });
        }
        tls
    }

    fn expiring(&self, pop: &Population) -> ExpiringTruth {
        let Some(as_of) = self.last_seen else {
            return ExpiringTruth { as_of: None, within_days: EXPIRING_WITHIN_DAYS, certificates: Vec::new() };
        };
        let until = as_of + i64::from(EXPIRING_WITHIN_DAYS) * MICROS_PER_DAY;
        // One certificate is a subject (as written) and a serial, as a report keys them.
        let mut by_key: BTreeMap<(&str, &str), (i64, u64, i64, u32)> = BTreeMap::new();
        for (&cert, used) in &self.certs {
            let c = &pop.certs[cert as usize];
            let not_after = not_after(&c.validity);
            let entry = by_key.entry((&c.escaped, &c.serial)).or_insert((not_after, 0, used.last_seen, used.last_client));
            entry.0 = entry.0.max(not_after);
            entry.1 += used.connections;
            let later = used.last_seen > entry.2
                || (used.last_seen == entry.2
                    && address(&pop.clients[used.last_client as usize]) > address(&pop.clients[entry.3 as usize]));
            if later {
                (entry.2, entry.3) = (used.last_seen, used.last_client);
            }
        }
        let dn_of: HashMap<(&str, &str), &str> = self
            .certs
            .keys()
            .map(|&cert| &pop.certs[cert as usize])
            .map(|c| ((c.escaped.as_str(), c.serial.as_str()), c.dn.as_str()))
            .collect();
        let time = |micros: i64| format_timestamp(&DateTime::<Utc>::from_timestamp_micros(micros).expect("a time of the corpus"));
        let mut certificates: Vec<ExpiringCertificateTruth> = by_key
            .into_iter()
            .filter(|(_, (not_after, ..))| *not_after > as_of && *not_after <= until)
            .map(|(key, (not_after, connections, last_seen, last_client))| ExpiringCertificateTruth {
                subject: dn_of[&key].to_owned(),
                serial: key.1.to_owned(),
                not_after: time(not_after),
                days_left: (not_after - as_of).div_euclid(MICROS_PER_DAY),
                connections,
                last_seen: time(last_seen),
                last_client_ip: pop.clients[last_client as usize].clone(),
            })
            .collect();
        certificates
            .sort_by(|a, b| a.not_after.cmp(&b.not_after).then_with(|| a.subject.cmp(&b.subject)).then_with(|| a.serial.cmp(&b.serial)));
        ExpiringTruth { as_of: Some(time(as_of)), within_days: EXPIRING_WITHIN_DAYS, certificates }
    }
}

/// Records, failures and statuses from counts per status id.
fn traffic(pop: &Population, counts: &[u64]) -> TrafficTruth {
    let status_counts: BTreeMap<String, u64> =
        counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(s, &n)| (pop.statuses[s].clone(), n)).collect();
    TrafficTruth {
        records: counts.iter().sum(),
        failed: status_counts.iter().filter(|(s, _)| s.starts_with("Failed:")).map(|(_, n)| n).sum(),
        status_counts,
    }
}

/// The NotAfter of a `NotBefore=…;NotAfter=…` validity the generator wrote, in microseconds.
fn not_after(validity: &str) -> i64 {
    let text = validity.split_once(";NotAfter=").expect("the generator writes both times").1;
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").expect("the generator writes whole seconds").and_utc().timestamp_micros()
}
