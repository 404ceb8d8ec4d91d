//! Counts of records by status, client, subject and minute, built per input and
//! merged. Merging is exact: a merged aggregate equals the one a single pass would
//! build, so parallel runs, shards and partial files all give the same report.

use std::collections::BTreeMap;
use std::ops::Bound::{self, Excluded, Unbounded};

use albmtls_parse::keys::SkippedFiles;
use albmtls_parse::{Field, FieldSet, Micros, ParseError, Problem, Record, StatusKey, VerifyStatus, time::MICROS_PER_MINUTE};
use serde::{Deserialize, Serialize};

use crate::by_lb::{Listeners, LoadBalancers, StatusTally};
use crate::counts::{ByteCounts, ClientCounts};
use crate::expiring::Certificates;
use crate::latency::Latencies;
use crate::profiles::{Dimensions, KeyExchangeSlot, Profiles, Slots};
use crate::slots::{KNOWN_SLOTS, slot, status_of_slot};
use crate::tls::TlsCounts;

/// More records than any run counts (a million a second for eight years); a partial file
/// claiming more was not written by albmtls.
const MAX_COUNT: u64 = 1 << 48;
/// The minutes of 0000-01-01T00:00Z and 9999-12-31T23:59Z, the range log times are read in.
const FIRST_MINUTE: i64 = -62_167_219_200 / 60;
const LAST_MINUTE: i64 = 253_402_300_740 / 60;

/// How many malformed lines are kept verbatim for the report.
pub const MALFORMED_SAMPLES: usize = 10;
/// How much of a malformed line is kept.
const SAMPLE_TEXT: usize = 300;

/// Everything counted for one status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusStats {
    pub count: u64,
    pub first_seen: Option<Micros>,
    pub last_seen: Option<Micros>,
    pub per_minute: MinuteCounts,
    /// Per client and per subject, kept for failures only: successes are the bulk of
    /// traffic and nobody triages them by client.
    pub clients: ClientCounts,
    /// Subjects as written in the log (escapes kept); `-` when absent.
    pub subjects: ByteCounts,
    /// Failures whose input did not deliver the client address (a vended delivery of a
    /// subset of fields): counted here, not as a made-up address.
    #[serde(default)]
    pub clients_not_delivered: u64,
    /// Failures whose input did not deliver the subject.
    #[serde(default)]
    pub subjects_not_delivered: u64,
}

impl StatusStats {
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    #[inline(always)]
    fn add(&mut self, record: &Record<'_>, detailed: bool) {
        self.count += 1;
        self.first_seen = Some(self.first_seen.map_or(record.time, |t| t.min(record.time)));
        self.last_seen = Some(self.last_seen.map_or(record.time, |t| t.max(record.time)));
        self.per_minute.add(record.time.div_euclid(MICROS_PER_MINUTE));
        if detailed {
            if record.missing.contains(Field::ClientIp) {
                self.clients_not_delivered += 1;
            } else {
                self.clients.add(record.client_ip);
            }
            if record.missing.contains(Field::LeafClientCertSubject) {
                self.subjects_not_delivered += 1;
            } else {
                self.subjects.add(record.subject.unwrap_or(b"-"));
            }
        }
    }

    fn merge(&mut self, other: StatusStats) {
        self.count += other.count;
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
        self.per_minute.merge(&other.per_minute);
        self.clients.merge(other.clients);
        self.subjects.merge(other.subjects);
        self.clients_not_delivered += other.clients_not_delivered;
        self.subjects_not_delivered += other.subjects_not_delivered;
    }
}

/// Records per minute (minute = floor(time / 60 s)).
///
/// A file's records arrive in time order, so the minute being counted is kept apart
/// from the map: a record then costs one compare instead of a map walk. That minute is
/// never also a key of the map, so reading needs no merging of duplicates.
#[derive(Debug, Clone, Default)]
pub struct MinuteCounts {
    settled: BTreeMap<i64, u64>,
    current: Option<(i64, u64)>,
}

impl MinuteCounts {
    #[inline(always)]
    fn add(&mut self, minute: i64) {
        match &mut self.current {
            Some((current, n)) if *current == minute => *n += 1,
            _ => self.start_minute(minute),
        }
    }

    /// Makes `minute` the current one and counts one record in it.
    fn start_minute(&mut self, minute: i64) {
        let earlier = self.settled.remove(&minute).unwrap_or(0);
        if let Some((previous, count)) = self.current.replace((minute, earlier + 1)) {
            self.settled.insert(previous, count);
        }
    }

    fn merge(&mut self, other: &MinuteCounts) {
        for (minute, n) in other.iter() {
            match &mut self.current {
                Some((current, count)) if *current == minute => *count += n,
                _ => *self.settled.entry(minute).or_default() += n,
            }
        }
    }

    /// `(minute, records)` in ascending minute order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        let settled = |range: (Bound<i64>, Bound<i64>)| self.settled.range(range).map(|(&m, &n)| (m, n));
        // The settled minutes on either side of the current one; with no current minute,
        // all of them come first and the second range is empty.
        let (before, after) = match self.current {
            Some((minute, _)) => ((Unbounded, Excluded(minute)), (Excluded(minute), Unbounded)),
            None => ((Unbounded, Unbounded), (Excluded(i64::MAX), Unbounded)),
        };
        settled(before).chain(self.current).chain(settled(after))
    }
}

impl PartialEq for MinuteCounts {
    fn eq(&self, other: &MinuteCounts) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for MinuteCounts {}

impl Serialize for MinuteCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for MinuteCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<MinuteCounts, D::Error> {
        Ok(MinuteCounts { settled: BTreeMap::deserialize(deserializer)?, current: None })
    }
}

/// Whether `t` lies in the years log times are read in (0 to 9999).
fn in_time_range(t: Micros) -> bool {
    (FIRST_MINUTE * MICROS_PER_MINUTE..(LAST_MINUTE + 1) * MICROS_PER_MINUTE).contains(&t)
}

fn min_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A line that could not be parsed, kept so the user can see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MalformedSample {
    /// Position of the input in the run's input list: keeps "the first N" stable
    /// however the work was split across threads.
    pub input_index: usize,
    pub input: String,
    pub line: u64,
    pub field: Field,
    pub problem: Problem,
    /// The start of the line, lossily decoded.
    pub text: String,
}

impl MalformedSample {
    /// Why the line was refused, in the parser's own words.
    pub fn reason(&self) -> String {
        ParseError { field: self.field, problem: self.problem }.to_string()
    }
}

/// Where a line longer than the reader's limit was skipped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OverlongSample {
    /// Position of the input in the run's input list, as for [`MalformedSample`].
    pub input_index: usize,
    pub input: String,
    pub line: u64,
}

/// An input that could not be opened or was cut short.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InputError {
    pub input: String,
    /// The last line read before the error (0 when nothing was read).
    pub after_line: u64,
    pub message: String,
}

/// The mergeable result of reading some inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// Records that passed the filters.
    pub records: u64,
    /// Records that parsed but did not pass the filters.
    pub filtered_out: u64,
    /// Non-blank lines that are not connection-log records.
    pub malformed: u64,
    pub malformed_by_field: BTreeMap<Field, u64>,
    pub malformed_samples: Vec<MalformedSample>,
    pub blank_lines: u64,
    /// Lines longer than the reader's limit, skipped unread.
    pub overlong_lines: u64,
    /// Where the first few of them are.
    #[serde(default)]
    pub overlong_samples: Vec<OverlongSample>,
    /// Records by how many fields their line carried (11, 12, 13, 14, 15).
    pub field_counts: FieldCounts,
    pub inputs_read: u64,
    pub skipped_files: SkippedFiles,
    pub input_errors: Vec<InputError>,
    /// Records whose input did not deliver a field every classic line carries (vended
    /// deliveries of a subset of fields), by field.
    #[serde(default)]
    pub not_delivered: BTreeMap<Field, u64>,
    /// Values of undocumented fields in vended records, ignored.
    #[serde(default)]
    pub ignored_fields: u64,
    /// `Success`, `-` and the documented codes, by slot; a fixed size, so a partial file
    /// with any other shape is refused when read.
    known: [StatusStats; KNOWN_SLOTS],
    others: BTreeMap<String, StatusStats>,
    /// Records whose input did not deliver `tls_verify_status`: counted here, in no
    /// status (`-` means a connection without TLS, which they may not be).
    #[serde(default, skip_serializing_if = "StatusStats::is_empty")]
    status_not_delivered: StatusStats,
    /// Statuses per load balancer (field 14, else the input's name, else `-`).
    pub load_balancers: LoadBalancers,
    /// Statuses per listener port, for the records whose input delivered it.
    pub listeners: Listeners,
    pub tls: TlsCounts,
    /// Handshake latencies per protocol and per load balancer.
    pub latency: Latencies,
    /// Certificates of successful handshakes, for the expiry list.
    pub certificates: Certificates,
    /// Where each combination of load balancer, listener and TLS values is counted in
    /// the tables above.
    #[serde(skip)]
    profiles: Profiles,
}

impl Aggregate {
    pub fn new() -> Aggregate {
        Aggregate::default()
    }

    /// Counts a record that passed the filters, from an input whose name gives no load
    /// balancer.
    #[inline(always)]
    pub fn add(&mut self, record: &Record<'_>) {
        self.add_from(record, None);
    }

    /// Counts a record that passed the filters. `input_load_balancer` is the load
    /// balancer the input's name gives, for lines without field 14.
    #[inline(always)]
    pub fn add_from(&mut self, record: &Record<'_>, input_load_balancer: Option<&[u8]>) {
        self.records += 1;
        self.field_counts.add(record.field_count());
        if !record.missing.is_empty() || record.ignored_fields > 0 {
            self.count_vended_gaps(record);
        }
        // A field a vended delivery left out is counted as not delivered, never as the
        // `-` or 0 the record reads as in its place.
        let delivered = |field: Field| !record.missing.contains(field);
        let status_delivered = delivered(Field::TlsVerifyStatus);
        let status = record.verify_status();
        let detailed = status_delivered && status.is_failure();
        let slot = slot(&status);
        let elb = record.elb.or(input_load_balancer).unwrap_or(b"-");
        let certificate = self.certificates.prepare(record, status_delivered && status == VerifyStatus::Success);
        let dimensions = Dimensions {
            load_balancer: elb,
            listener: delivered(Field::ListenerPort).then_some(record.listener_port),
            protocol: delivered(Field::TlsProtocol).then_some(record.tls_protocol),
            cipher: record.tls_cipher,
            key_exchange: record.tls_keyexchange,
        };
        let (load_balancers, listeners, tls) = (&mut self.load_balancers, &mut self.listeners, &mut self.tls);
        let slots = self.profiles.slots(&dimensions, |d| {
            let mut slots = Slots {
                load_balancer: load_balancers.index_of(d.load_balancer),
                listener: d.listener.map(|port| listeners.index_of(&port)),
                protocol: None,
                legacy: None,
                cipher: None,
                key_exchange: KeyExchangeSlot::Absent,
                latency: None,
            };
            tls.slots(d.protocol, d.cipher, d.key_exchange, &mut slots);
            slots
        });
        let tally = |tally: &mut StatusTally| if status_delivered { tally.add(slot, record.status) } else { tally.add_not_delivered() };
        tally(self.load_balancers.at(slots.load_balancer));
        if let Some(i) = slots.listener {
            tally(self.listeners.at(i));
        }
        self.tls.add(slots, record.client_ip);
        if let Some(ms) = self.latency.milliseconds(record.tls_handshake_latency) {
            let latency = &mut self.latency;
            let at = *slots.latency.get_or_insert_with(|| latency.slots(dimensions.protocol, elb));
            self.latency.add(ms, at);
        }
        self.certificates.add(record, certificate);
        let stats = match slot {
            _ if !status_delivered => &mut self.status_not_delivered,
            Some(slot) => &mut self.known[slot],
            None => {
                let text = String::from_utf8_lossy(record.status);
                match self.others.get_mut(text.as_ref()) {
                    Some(stats) => stats,
                    None => self.others.entry(text.into_owned()).or_default(),
                }
            }
        };
        stats.add(record, detailed);
    }

    /// What a vended record lacked or carried beyond the documented fields. Out of line:
    /// classic records never need it.
    #[cold]
    fn count_vended_gaps(&mut self, record: &Record<'_>) {
        for field in record.missing.intersection(FieldSet::CLASSIC_CORE).iter() {
            *self.not_delivered.entry(field).or_default() += 1;
        }
        self.ignored_fields += u64::from(record.ignored_fields);
    }

    /// Counts a line that could not be parsed, keeping the first few.
    pub fn add_malformed(&mut self, input_index: usize, input: &str, line_number: u64, line: &[u8], error: ParseError) {
        self.malformed += 1;
        *self.malformed_by_field.entry(error.field).or_default() += 1;
        let position = (input_index, line_number);
        let full = self.malformed_samples.len() >= MALFORMED_SAMPLES;
        if full && self.malformed_samples.last().is_some_and(|last| (last.input_index, last.line) < position) {
            return;
        }
        let line = albmtls_parse::trim_line_end(line);
        let text = String::from_utf8_lossy(&line[..line.len().min(SAMPLE_TEXT)]).into_owned();
        self.malformed_samples.push(MalformedSample {
            input_index,
            input: input.to_owned(),
            line: line_number,
            field: error.field,
            problem: error.problem,
            text,
        });
        self.trim_samples();
    }

    /// Counts `lines` lines, from `first_line` on, skipped because they are longer than
    /// the reader's limit; keeps where the first few are.
    pub fn add_overlong(&mut self, input_index: usize, input: &str, first_line: u64, lines: u64) {
        self.overlong_lines += lines;
        for line in first_line..first_line + lines.min(MALFORMED_SAMPLES as u64) {
            self.overlong_samples.push(OverlongSample { input_index, input: input.to_owned(), line });
        }
        self.trim_samples();
    }

    fn trim_samples(&mut self) {
        self.overlong_samples.sort();
        self.overlong_samples.truncate(MALFORMED_SAMPLES);
        self.malformed_samples.sort();
        self.malformed_samples.truncate(MALFORMED_SAMPLES);
    }

    /// Folds `other` into `self`.
    pub fn merge(&mut self, other: Aggregate) {
        self.records += other.records;
        self.filtered_out += other.filtered_out;
        self.malformed += other.malformed;
        for (field, n) in other.malformed_by_field {
            *self.malformed_by_field.entry(field).or_default() += n;
        }
        self.malformed_samples.extend(other.malformed_samples);
        self.trim_samples();
        self.blank_lines += other.blank_lines;
        self.overlong_lines += other.overlong_lines;
        self.overlong_samples.extend(other.overlong_samples);
        self.field_counts.merge(&other.field_counts);
        self.inputs_read += other.inputs_read;
        self.skipped_files.merge(&other.skipped_files);
        self.input_errors.extend(other.input_errors);
        self.input_errors.sort();
        for (field, n) in other.not_delivered {
            *self.not_delivered.entry(field).or_default() += n;
        }
        self.ignored_fields += other.ignored_fields;
        for (slot, stats) in other.known.into_iter().enumerate() {
            self.known[slot].merge(stats);
        }
        for (text, stats) in other.others {
            self.others.entry(text).or_default().merge(stats);
        }
        self.status_not_delivered.merge(other.status_not_delivered);
        self.load_balancers.merge(other.load_balancers);
        self.listeners.merge(other.listeners);
        self.tls.merge(other.tls);
        self.latency.merge(other.latency);
        self.certificates.merge(other.certificates);
    }

    /// Checks what no aggregate albmtls builds can break, for one read from a file that
    /// anyone could have edited: every count adds up (the sections per load balancer,
    /// listener, TLS, latency and certificate included), times lie in years 0 to 9999,
    /// and no count is beyond what any run reaches (2^48 records), so merging and
    /// reporting cannot overflow.
    pub fn check_consistent(&self) -> Result<(), String> {
        let big = |what: &str, n: u64| if n > MAX_COUNT { Err(format!("{what} is {n}, beyond any real run")) } else { Ok(()) };
        for (what, n) in [
            ("records", self.records),
            ("filtered_out", self.filtered_out),
            ("malformed", self.malformed),
            ("blank_lines", self.blank_lines),
            ("overlong_lines", self.overlong_lines),
            ("inputs_read", self.inputs_read),
        ] {
            big(what, n)?;
        }
        let mut status_total = 0u64;
        let known = self.known.iter().map(|s| ("a documented status", s));
        let not_delivered = std::iter::once(("not delivered", &self.status_not_delivered));
        for (key, stats) in known.chain(not_delivered).chain(self.others.iter().map(|(k, s)| (k.as_str(), s))) {
            let name = format!("status {key}");
            big(&name, stats.count)?;
            status_total = status_total.saturating_add(stats.count);
            let mut per_minute = 0u64;
            for (minute, n) in stats.per_minute.iter() {
                if !(FIRST_MINUTE..=LAST_MINUTE).contains(&minute) {
                    return Err(format!("{name}: minute {minute} is outside the years 0 to 9999"));
                }
                big(&name, n)?;
                per_minute += n;
            }
            if per_minute != stats.count {
                return Err(format!("{name}: {} records, but its minutes add up to {per_minute}", stats.count));
            }
            match (stats.first_seen, stats.last_seen) {
                (None, None) if stats.count == 0 => {}
                (Some(first), Some(last)) if stats.count > 0 && first <= last && in_time_range(first) && in_time_range(last) => {
                    let seen = first.div_euclid(MICROS_PER_MINUTE)..=last.div_euclid(MICROS_PER_MINUTE);
                    if let Some((minute, _)) = stats.per_minute.iter().find(|(minute, _)| !seen.contains(minute)) {
                        return Err(format!("{name}: minute {minute} lies outside its first and last seen times"));
                    }
                }
                _ => return Err(format!("{name}: first and last seen times do not fit its {} records", stats.count)),
            }
            let clients: u64 = stats.clients.iter().map(|(_, n)| n).fold(stats.clients_not_delivered, u64::saturating_add);
            let subjects: u64 = stats.subjects.iter().map(|(_, n)| n).fold(stats.subjects_not_delivered, u64::saturating_add);
            if clients > stats.count || subjects > stats.count {
                return Err(format!("{name}: its clients or subjects count more than its {} records", stats.count));
            }
        }
        if status_total != self.records {
            return Err(format!("{} records, but the statuses add up to {status_total}", self.records));
        }
        self.check_sections_consistent()
    }

    /// [`Aggregate::check_consistent`] for the sections per load balancer and listener,
    /// TLS, latency and certificates: each counts every record once, or at most once.
    fn check_sections_consistent(&self) -> Result<(), String> {
        let big = |what: &str, n: u64| if n > MAX_COUNT { Err(format!("{what} is {n}, beyond any real run")) } else { Ok(()) };
        let sum = |counts: &mut dyn Iterator<Item = u64>| counts.fold(0, u64::saturating_add);
        // Records without a status (not delivered) are keyed `None`, the others by
        // their status's text.
        let mut statuses: BTreeMap<Option<String>, u64> = BTreeMap::new();
        for (status, stats) in self.statuses() {
            *statuses.entry(Some(status.text().to_owned())).or_default() += stats.count;
        }
        if self.status_not_delivered.count > 0 {
            statuses.insert(None, self.status_not_delivered.count);
        }
        let by_lb = self.load_balancers.sorted().into_iter().map(|(elb, tally)| (String::from_utf8_lossy(elb).into_owned(), tally));
        let by_port = self.listeners.sorted().into_iter().map(|(port, tally)| (port.to_string(), tally));
        // Every record has a load balancer; a listener only when its input delivered it.
        let ports_not_delivered = self.not_delivered.get(&Field::ListenerPort).copied().unwrap_or(0);
        for (what, tallies, not_delivered) in
            [("load balancer", by_lb.collect::<Vec<_>>(), 0), ("listener", by_port.collect(), ports_not_delivered)]
        {
            let mut by_status: BTreeMap<Option<String>, u64> = BTreeMap::new();
            for (name, tally) in tallies {
                let counts = tally.iter().map(|(status, n)| (Some(status.text().to_owned()), n));
                for (status, n) in counts.chain((tally.status_not_delivered() > 0).then_some((None, tally.status_not_delivered()))) {
                    big(&format!("{what} {name}, status {}", status.as_deref().unwrap_or("not delivered")), n)?;
                    let total = by_status.entry(status).or_default();
                    *total = total.saturating_add(n);
                }
            }
            let adds_up = if not_delivered == 0 {
                by_status == statuses
            } else {
                let filed = sum(&mut by_status.values().copied());
                by_status.iter().all(|(status, n)| statuses.get(status).is_some_and(|total| n <= total))
                    && filed.checked_add(not_delivered) == Some(self.records)
            };
            if !adds_up {
                return Err(format!("the records per {what} and status do not add up to the records per status"));
            }
        }

        let tls = &self.tls;
        for (what, counts) in [("protocols", &tls.protocols), ("ciphers", &tls.ciphers), ("key exchanges", &tls.key_exchanges)] {
            let total = sum(&mut counts.sorted().into_iter().map(|(_, &n)| n));
            let total = if what == "key exchanges" { total.saturating_add(tls.malformed_key_exchanges) } else { total };
            if total > self.records {
                return Err(format!("its TLS {what} count {total} records, more than its {}", self.records));
            }
        }
        for (protocol, clients) in tls.legacy_clients.sorted() {
            let name = String::from_utf8_lossy(protocol);
            let per_client = sum(&mut clients.iter().map(|(_, n)| n));
            let on_protocol = tls.protocols.sorted().into_iter().find(|(p, _)| *p == protocol).map_or(0, |(_, &n)| n);
            if !albmtls_parse::tls::is_legacy_protocol(protocol) || per_client > on_protocol {
                return Err(format!("its clients on {name} count {per_client} records, but {on_protocol} records are on {name}"));
            }
        }

        let latency = &self.latency;
        // Latencies whose protocol was not delivered are in no protocol, but in their
        // load balancer.
        let mut totals = Vec::new();
        big("the handshake latencies whose protocol was not delivered", latency.protocol_not_delivered.count())?;
        for (what, histograms, outside) in
            [("protocol", &latency.by_protocol, latency.protocol_not_delivered.count()), ("load balancer", &latency.by_load_balancer, 0)]
        {
            let mut total = outside;
            for (key, histogram) in histograms.sorted() {
                let name = format!("the handshake latencies of {what} {}", String::from_utf8_lossy(key));
                big(&name, histogram.count())?;
                total = total.saturating_add(histogram.count());
            }
            totals.push(total);
        }
        if totals[0] != totals[1] || totals[0].saturating_add(latency.malformed) > self.records {
            return Err(format!(
                "its handshake latencies count {} records per protocol and {} per load balancer ({} malformed), of {} records",
                totals[0], totals[1], latency.malformed, self.records
            ));
        }

        let certificates = &self.certificates;
        let successes = statuses.get(&Some("Success".to_owned())).copied().unwrap_or(0);
        let connections = sum(&mut certificates.iter().map(|c| c.connections));
        if certificates.malformed > self.records || connections > successes {
            return Err(format!(
                "its certificates count {connections} successful connections ({} malformed validities), but {successes} records succeeded",
                certificates.malformed
            ));
        }
        for c in certificates.iter() {
            if c.connections == 0 || !in_time_range(c.last_seen) || !in_time_range(c.not_after) || c.not_after <= c.last_seen {
                return Err(format!(
                    "certificate {} (serial {}): {} connections, last seen at {} with NotAfter {} do not fit together",
                    String::from_utf8_lossy(&c.subject),
                    String::from_utf8_lossy(&c.serial),
                    c.connections,
                    c.last_seen,
                    c.not_after
                ));
            }
        }
        Ok(())
    }

    /// Every status seen, with its statistics.
    pub fn statuses(&self) -> impl Iterator<Item = (StatusKey, &StatusStats)> {
        let known = self.known.iter().enumerate().map(|(slot, stats)| (status_of_slot(slot), stats));
        let others = self.others.iter().map(|(text, stats)| (StatusKey::Other(text.clone()), stats));
        known.chain(others).filter(|(_, stats)| stats.count > 0)
    }

    /// Records whose input did not deliver `tls_verify_status`, counted in no status.
    pub fn status_not_delivered(&self) -> &StatusStats {
        &self.status_not_delivered
    }

    /// Time of the earliest and latest record.
    pub fn time_span(&self) -> Option<(Micros, Micros)> {
        let all = || self.statuses().map(|(_, s)| s).chain(std::iter::once(&self.status_not_delivered));
        let first = all().filter_map(|s| s.first_seen).min()?;
        let last = all().filter_map(|s| s.last_seen).max()?;
        Some((first, last))
    }
}

/// Records by how many fields their line carried. Every record carries 11 to 15, so
/// counting is an array update, not a map lookup per line; on disk it is a map from the
/// number of fields to the count, as before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldCounts([u64; 5]);

impl FieldCounts {
    const FEWEST: usize = 11;

    fn add(&mut self, fields: usize) {
        self.0[fields - Self::FEWEST] += 1;
    }

    fn merge(&mut self, other: &FieldCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// `(number of fields, records)` for the counts that are not zero.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.0.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (i + Self::FEWEST, *n))
    }
}

impl Serialize for FieldCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut counts = FieldCounts::default();
        for (fields, n) in BTreeMap::<usize, u64>::deserialize(deserializer)? {
            let slot = fields
                .checked_sub(Self::FEWEST)
                .and_then(|i| counts.0.get_mut(i))
                .ok_or_else(|| serde::de::Error::custom(format!("field_counts: records cannot carry {fields} fields (only 11 to 15)")))?;
            *slot = n;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes in runs, with returns to earlier minutes, as several interleaved files
    /// would give.
    fn minutes() -> Vec<i64> {
        let mut state = 7u64;
        (0..5_000)
            .map(|i| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                if state >> 60 == 0 { (state >> 40) as i64 % 50 - 25 } else { i / 100 }
            })
            .collect()
    }

    fn counted(minutes: &[i64]) -> MinuteCounts {
        let mut counts = MinuteCounts::default();
        minutes.iter().for_each(|&m| counts.add(m));
        counts
    }

    fn expected(minutes: &[i64]) -> Vec<(i64, u64)> {
        let mut map = BTreeMap::<i64, u64>::new();
        minutes.iter().for_each(|&m| *map.entry(m).or_default() += 1);
        map.into_iter().collect()
    }

    #[test]
    fn minute_counts_read_back_in_order_whatever_order_they_came_in() {
        let minutes = minutes();
        assert_eq!(counted(&minutes).iter().collect::<Vec<_>>(), expected(&minutes));
        assert_eq!(MinuteCounts::default().iter().count(), 0);
    }

    #[test]
    fn merged_minute_counts_equal_one_pass_over_everything() {
        let minutes = minutes();
        for split in [0, 1, 250, 2_345, minutes.len()] {
            let (a, b) = minutes.split_at(split);
            let mut merged = counted(a);
            merged.merge(&counted(b));
            assert_eq!(merged.iter().collect::<Vec<_>>(), expected(&minutes), "split at {split}");
            assert_eq!(merged, counted(&minutes));
            // Counting goes on correctly after a merge.
            merged.add(3);
            let mut more = minutes.clone();
            more.push(3);
            assert_eq!(merged.iter().collect::<Vec<_>>(), expected(&more), "split at {split}");
        }
    }

    #[test]
    fn minute_counts_round_trip_through_json() {
        let counts = counted(&minutes());
        let json = serde_json::to_string(&counts).unwrap();
        let back: MinuteCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, counts);
        assert_eq!(back.iter().collect::<Vec<_>>(), counts.iter().collect::<Vec<_>>());
    }
}
