//! The report's sections per load balancer and listener, on TLS posture, handshake
//! latency and expiring certificates, cut from their aggregates.

use std::collections::BTreeMap;
use std::net::IpAddr;

use albmtls_parse::{Field, Micros, StatusKey};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::aggregate::Aggregate;
use crate::by_lb::StatusTally;
use crate::keyed::{Keyed, Merge};
use crate::latency::Histogram;
use crate::values::{StatusMap, display_subject, format_time, percent};

pub const MICROS_PER_DAY: Micros = 86_400 * 1_000_000;

/// Records and statuses of one load balancer or listener.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub records: u64,
    pub failed: u64,
    /// Every status with records, in text order.
    pub status_counts: Vec<(StatusKey, u64)>,
    /// Records whose input did not deliver their status (in `records`, in no status).
    pub status_not_delivered: u64,
}

impl Traffic {
    fn of(tally: &StatusTally) -> Traffic {
        let mut status_counts: Vec<(StatusKey, u64)> = tally.iter().collect();
        status_counts.sort_by(|a, b| a.0.text().cmp(b.0.text()));
        Traffic { records: tally.records(), failed: tally.failed(), status_counts, status_not_delivered: tally.status_not_delivered() }
    }

    /// Writes the fields every row of traffic has.
    fn serialize_into<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error> {
        s.serialize_field("records", &self.records)?;
        s.serialize_field("failed", &self.failed)?;
        s.serialize_field("status_counts", &StatusMap(&self.status_counts))?;
        // Only vended deliveries without the status have it; classic reports keep their shape.
        if self.status_not_delivered > 0 {
            s.serialize_field("status_not_delivered", &self.status_not_delivered)?;
        }
        Ok(())
    }

    /// Records of `status`.
    pub fn count(&self, status: &StatusKey) -> u64 {
        self.status_counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancerRow {
    /// `app/NAME/ID` (lossily decoded), or `-` when neither line nor input name gives one.
    pub elb: String,
    pub traffic: Traffic,
}

impl Serialize for LoadBalancerRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("LoadBalancerRow", 5)?;
        s.serialize_field("elb", &self.elb)?;
        self.traffic.serialize_into(&mut s)?;
        s.end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRow {
    pub port: u16,
    pub traffic: Traffic,
}

impl Serialize for ListenerRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ListenerRow", 5)?;
        s.serialize_field("port", &self.port)?;
        self.traffic.serialize_into(&mut s)?;
        s.end()
    }
}

/// A client still negotiating TLS 1.0 or 1.1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyClient {
    pub ip: IpAddr,
    pub protocol: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsPosture {
    pub protocols: BTreeMap<String, u64>,
    pub ciphers: BTreeMap<String, u64>,
    pub key_exchanges: BTreeMap<String, u64>,
    /// Records that carry field 13 with a value other than `-`.
    pub key_exchange_records: u64,
    /// Those of them with an ML-KEM group.
    pub post_quantum_records: u64,
    /// `post_quantum_records` as a percentage of `key_exchange_records`, two decimals.
    pub post_quantum_share: f64,
    /// Records on TLS 1.0 or 1.1.
    pub legacy_records: u64,
    /// The top clients on TLS 1.0 or 1.1 (client and protocol), most first.
    pub legacy_clients: Vec<LegacyClient>,
}

/// Percentiles of handshake latency, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Records with a latency.
    pub records: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl LatencySummary {
    fn of(histogram: &Histogram) -> LatencySummary {
        let seconds = |ms: Option<u32>| ms.map(|ms| f64::from(ms) / 1000.0);
        LatencySummary {
            records: histogram.count(),
            p50: seconds(histogram.percentile(50.0)),
            p90: seconds(histogram.percentile(90.0)),
            p99: seconds(histogram.percentile(99.0)),
            max: seconds(histogram.max()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandshakeLatency {
    #[serde(flatten)]
    pub overall: LatencySummary,
    /// The same per `tls_protocol`.
    pub by_protocol: BTreeMap<String, LatencySummary>,
    /// The same for the records whose input did not deliver `tls_protocol`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_not_delivered: Option<LatencySummary>,
    /// The same per load balancer (as in [`LoadBalancerRow`]).
    pub by_load_balancer: BTreeMap<String, LatencySummary>,
}

/// A certificate of a successful connection whose NotAfter falls in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiringCertificate {
    /// Unescaped, lossily decoded; `-` when the line had none; `None` when the input did
    /// not deliver it.
    pub subject: Option<String>,
    /// `None` when the input did not deliver it.
    pub serial: Option<String>,
    pub not_after: Micros,
    /// Whole days from `as_of` to NotAfter.
    pub days_left: i64,
    pub connections: u64,
    pub last_seen: Micros,
    pub last_client_ip: IpAddr,
}

impl Serialize for ExpiringCertificate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ExpiringCertificate", 7)?;
        s.serialize_field("subject", &self.subject)?;
        s.serialize_field("serial", &self.serial)?;
        s.serialize_field("not_after", &format_time(self.not_after))?;
        s.serialize_field("days_left", &self.days_left)?;
        s.serialize_field("connections", &self.connections)?;
        s.serialize_field("last_seen", &format_time(self.last_seen))?;
        s.serialize_field("last_client_ip", &self.last_client_ip)?;
        s.end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expiring {
    /// The latest record time; `None` without records.
    pub as_of: Option<Micros>,
    pub within_days: u32,
    /// By NotAfter, soonest first.
    pub certificates: Vec<ExpiringCertificate>,
}

impl Serialize for Expiring {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Expiring", 3)?;
        s.serialize_field("as_of", &self.as_of.map(format_time))?;
        s.serialize_field("within_days", &self.within_days)?;
        s.serialize_field("certificates", &self.certificates)?;
        s.end()
    }
}

pub(crate) fn load_balancers(aggregate: &Aggregate) -> Vec<LoadBalancerRow> {
    let mut rows: Vec<LoadBalancerRow> = aggregate
        .load_balancers
        .sorted()
        .into_iter()
        .map(|(elb, tally)| LoadBalancerRow { elb: String::from_utf8_lossy(elb).into_owned(), traffic: Traffic::of(tally) })
        .collect();
    rows.sort_by(|a, b| {
        b.traffic.failed.cmp(&a.traffic.failed).then_with(|| b.traffic.records.cmp(&a.traffic.records)).then_with(|| a.elb.cmp(&b.elb))
    });
    rows
}

pub(crate) fn listeners(aggregate: &Aggregate) -> Vec<ListenerRow> {
    let mut rows: Vec<ListenerRow> =
        aggregate.listeners.sorted().into_iter().map(|(&port, tally)| ListenerRow { port, traffic: Traffic::of(tally) }).collect();
    rows.sort_by(|a, b| b.traffic.failed.cmp(&a.traffic.failed).then_with(|| a.port.cmp(&b.port)));
    rows
}

/// Counts by lossily decoded text (distinct byte strings that decode alike are summed).
fn by_text<'a>(pairs: impl Iterator<Item = (&'a Vec<u8>, &'a u64)>) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for (key, n) in pairs {
        *map.entry(String::from_utf8_lossy(key).into_owned()).or_default() += n;
    }
    map
}

pub(crate) fn tls(aggregate: &Aggregate, top: usize) -> TlsPosture {
    let tls = &aggregate.tls;
    let (key_exchange_records, post_quantum_records) = tls.post_quantum();
    let mut legacy: Vec<LegacyClient> = Vec::new();
    let mut legacy_records = 0;
    for (protocol, clients) in tls.legacy_clients.sorted() {
        let protocol = String::from_utf8_lossy(protocol).into_owned();
        for (ip, count) in clients.iter() {
            legacy_records += count;
            legacy.push(LegacyClient { ip, protocol: protocol.clone(), count });
        }
    }
    legacy.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.ip.cmp(&b.ip)).then_with(|| a.protocol.cmp(&b.protocol)));
    legacy.truncate(top);
    TlsPosture {
        protocols: by_text(tls.protocols.sorted().into_iter()),
        ciphers: by_text(tls.ciphers.sorted().into_iter()),
        key_exchanges: by_text(tls.key_exchanges.sorted().into_iter()),
        key_exchange_records,
        post_quantum_records,
        post_quantum_share: percent(post_quantum_records, key_exchange_records),
        legacy_records,
        legacy_clients: legacy,
    }
}

pub(crate) fn handshake_latency(aggregate: &Aggregate) -> HandshakeLatency {
    // Distinct byte strings that decode alike are merged, as in [`by_text`].
    let summaries = |histograms: &Keyed<Vec<u8>, Histogram>| {
        let mut by_text: BTreeMap<String, Histogram> = BTreeMap::new();
        for (key, histogram) in histograms.sorted() {
            by_text.entry(String::from_utf8_lossy(key).into_owned()).or_default().merge(histogram.clone());
        }
        by_text.into_iter().map(|(key, histogram)| (key, LatencySummary::of(&histogram))).collect()
    };
    let not_delivered = &aggregate.latency.protocol_not_delivered;
    HandshakeLatency {
        overall: LatencySummary::of(&aggregate.latency.overall()),
        by_protocol: summaries(&aggregate.latency.by_protocol),
        protocol_not_delivered: (!not_delivered.is_empty()).then(|| LatencySummary::of(not_delivered)),
        by_load_balancer: summaries(&aggregate.latency.by_load_balancer),
    }
}

pub(crate) fn expiring(aggregate: &Aggregate, as_of: Option<Micros>, within_days: u32) -> Expiring {
    let mut certificates: Vec<ExpiringCertificate> = match as_of {
        None => Vec::new(),
        Some(as_of) => {
            let until = as_of.saturating_add(i64::from(within_days) * MICROS_PER_DAY);
            aggregate
                .certificates
                .iter()
                .filter(|c| c.not_after > as_of && c.not_after <= until)
                .map(|c| ExpiringCertificate {
                    // An empty value is the aggregate's mark of a field not delivered.
                    subject: (!c.subject.is_empty()).then(|| display_subject(&c.subject)),
                    serial: (!c.serial.is_empty()).then(|| String::from_utf8_lossy(&c.serial).into_owned()),
                    not_after: c.not_after,
                    days_left: (c.not_after - as_of).div_euclid(MICROS_PER_DAY),
                    connections: c.connections,
                    last_seen: c.last_seen,
                    last_client_ip: c.last_client_ip,
                })
                .collect()
        }
    };
    certificates
        .sort_by(|a, b| a.not_after.cmp(&b.not_after).then_with(|| a.subject.cmp(&b.subject)).then_with(|| a.serial.cmp(&b.serial)));
    Expiring { as_of, within_days, certificates }
}

/// Field values that were malformed while their record still counted.
pub(crate) fn malformed_values(aggregate: &Aggregate) -> BTreeMap<Field, u64> {
    [
        (Field::TlsHandshakeLatency, aggregate.latency.malformed),
        (Field::LeafClientCertValidity, aggregate.certificates.malformed),
        (Field::TlsKeyexchange, aggregate.tls.malformed_key_exchanges),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}
