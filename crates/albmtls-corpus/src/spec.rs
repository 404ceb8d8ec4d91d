//! What to generate: [`CorpusSpec`] and its presets.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::CorpusError;
use crate::line::{DEFAULT_ELB, Generation};
use crate::vended::{Delivery, VendedLayout};

/// Relative weights of the four line generations.
///
/// Generations are assigned per file, in time order: the earliest files get the oldest
/// format, the way a real bucket's history looks (see [`GenerationMix::for_file`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationMix {
    pub fields11: u32,
    pub fields12: u32,
    pub fields13: u32,
    pub fields15: u32,
}

impl GenerationMix {
    /// Every file in one generation.
    pub fn only(generation: Generation) -> GenerationMix {
        let mut mix = GenerationMix { fields11: 0, fields12: 0, fields13: 0, fields15: 0 };
        *mix.weight_mut(generation) = 1;
        mix
    }

    pub fn weight(&self, generation: Generation) -> u32 {
        match generation {
            Generation::Fields11 => self.fields11,
            Generation::Fields12 => self.fields12,
            Generation::Fields13 => self.fields13,
            Generation::Fields15 => self.fields15,
        }
    }

    fn weight_mut(&mut self, generation: Generation) -> &mut u32 {
        match generation {
            Generation::Fields11 => &mut self.fields11,
            Generation::Fields12 => &mut self.fields12,
            Generation::Fields13 => &mut self.fields13,
            Generation::Fields15 => &mut self.fields15,
        }
    }

    fn total(&self) -> u64 {
        Generation::ALL.iter().map(|&g| u64::from(self.weight(g))).sum()
    }

    /// The generation of file `index` out of `files` (time order): the files are split into
    /// consecutive runs, oldest generation first, each run as long as its weight's share.
    /// Every generation with a non-zero weight gets a file once `files` is large enough.
    pub fn for_file(&self, index: usize, files: usize) -> Generation {
        let total = self.total().max(1);
        let position = ((2 * index as u128 + 1) * u128::from(total) / (2 * files.max(1) as u128)) as u64;
        let mut cumulative = 0u64;
        for g in Generation::ALL {
            cumulative += u64::from(self.weight(g));
            if position < cumulative {
                return g;
            }
        }
        Generation::Fields15
    }
}

/// A scripted client that gets a fixed share of all lines with a fixed outcome: the way a
/// corpus tells a story ("one expired client hammering the load balancer").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub client_ip: String,
    /// Distinguished name (unescaped); `None` writes `"-"` and no validity or serial.
    pub subject: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Uppercase hex as written in field 10.
    pub serial: String,
    /// Field 11 exactly, e.g. `Failed:ClientCertExpired`.
    pub status: String,
    /// Fraction of all lines (0..1) that come from this actor.
    pub share: f64,
}

/// A load balancer besides [`CorpusSpec::elb`] that logs to the same bucket prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// Resource id as written in field 14, e.g. `app/internal-api/7d3f1e2a9b8c6d5e`.
    pub elb: String,
    /// Its share of the files, relative to [`CorpusSpec::elb_weight`].
    pub weight: u32,
}

/// A listener port of TLS connections and its relative weight among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerPort {
    pub port: u16,
    pub weight: u32,
}

/// Everything that determines a corpus. The same spec always gives byte-identical output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusSpec {
    pub seed: u64,
    /// Number of connection-log files.
    pub files: usize,
    pub lines_per_file: usize,
    /// Start of the first 5-minute interval (rounded down to a multiple of 5 minutes).
    pub start: DateTime<Utc>,
    /// Load-balancer nodes; each interval has one file per node.
    pub nodes: usize,
    /// Intervals from one round of node files to the next (1 = back to back; 12 = hourly).
    pub interval_stride: u32,
    /// Distinct client IPs of the ordinary population (actors come on top).
    pub clients: usize,
    /// Distinct certificate subjects of the ordinary population.
    pub subjects: usize,
    /// Zipf exponent of client popularity: 0 = uniform, 1 = classic Zipf, larger = more skewed.
    pub client_skew: f64,
    /// Fraction of lines with a documented `Failed:` code (outside the actors).
    pub failure_rate: f64,
    /// Relative weight of each code in [`crate::FAILURE_CODES`] order among failures.
    pub failure_weights: [u32; 13],
    /// Fraction of lines with [`UNKNOWN_FAILURE_STATUS`](crate::UNKNOWN_FAILURE_STATUS).
    pub unknown_code_rate: f64,
    /// Fraction of plain-HTTP (listener 80) lines, where every TLS field is `-`.
    pub plain_http_rate: f64,
    pub generations: GenerationMix,
    pub include_ipv6: bool,
    /// Fraction of clients with an IPv6 address when `include_ipv6` (1 in 8 of them bracketed).
    pub ipv6_share: f64,
    /// Independent gzip members concatenated in each file, as ALB writes them.
    pub members_per_file: usize,
    /// Also write an access log and a health-check log per date folder and the
    /// `ELBConnectionLogTestFile`, as a real shared bucket prefix holds.
    pub include_other_logs: bool,
    /// Write uncompressed `.log` files instead of `.log.gz`.
    pub plain: bool,
    /// Deflate level 0–9. Default 1: corpora are regenerated far more often than stored,
    /// and level 1 writes ~2.5× faster than level 6 (measured ~300 vs ~120 MB/s of raw
    /// lines) for files ~60% larger. Use 6 when compressed sizes should look like ALB's.
    pub compression_level: u32,
    pub account: String,
    pub region: String,
    /// Load balancer resource id as written in field 14, e.g. `app/my-lb/50dc6c495c0c9188`;
    /// also the one named in the access and health-check logs and the test file.
    pub elb: String,
    /// `elb`'s share of the files, relative to the weights of `other_load_balancers`.
    #[serde(default = "default_weight")]
    pub elb_weight: u32,
    /// Further load balancers in the same bucket prefix. Files are dealt to the load
    /// balancers in a repeating pattern that follows the weights, so every load balancer
    /// gets files of every generation; a file's lines without field 14 name their load
    /// balancer only in the file name.
    #[serde(default)]
    pub other_load_balancers: Vec<LoadBalancer>,
    /// The listener ports of TLS connections (plain-HTTP lines use 80); each client
    /// identity keeps one.
    #[serde(default = "default_listener_ports")]
    pub listener_ports: Vec<ListenerPort>,
    /// Fraction of client identities that still negotiate TLS 1.0 or 1.1 (CBC ciphers,
    /// classic groups): the legacy clients of a TLS posture review.
    #[serde(default)]
    pub legacy_tls_share: f64,
    /// Fraction of the TLS 1.3 identities that use the `SecP384r1MLKEM1024` group.
    #[serde(default)]
    pub mlkem1024_share: f64,
    /// Fraction of good certificates whose NotAfter falls within 60 days after the
    /// corpus ends (about half of them inside a 30-day expiry window), instead of months
    /// or years later.
    #[serde(default)]
    pub expiring_share: f64,
    pub actors: Vec<Actor>,
    /// How the files are written: classic, or as a vended delivery (JSON, W3C, Parquet).
    #[serde(default)]
    pub delivery: Delivery,
    /// The key layout of a vended delivery (ignored for classic files).
    #[serde(default)]
    pub vended_layout: VendedLayout,
    /// The fields a vended delivery chose, in order (`None`: every field of the line's
    /// generation). Ignored for classic files.
    #[serde(default)]
    pub vended_fields: Option<Vec<String>>,
    /// Line `k` of the corpus comes from identity `k` (client `k`, certificate `k`) and has
    /// that certificate's fate as its status, instead of popular identities being drawn
    /// again and again: with `clients` and `subjects` at the number of lines, every line is
    /// a new client and a new subject (a large IoT fleet). No actors, plain-HTTP or unknown
    /// codes are written in this mode.
    #[serde(default)]
    pub unique_identities: bool,
    /// Fraction of subjects whose certificate fails (each with one documented code).
    #[serde(default = "default_bad_subject_share")]
    pub bad_subject_share: f64,
    /// Subjects are padded with a pseudo-random `UID=` attribute to at least this many
    /// bytes (unescaped).
    #[serde(default)]
    pub subject_length: Option<usize>,
    /// Whether the truth lists lines per client and per subject for every status; without
    /// them it keeps the distinct counts only (a corpus of millions of clients would
    /// otherwise write a truth file larger than its logs).
    #[serde(default = "default_true")]
    pub per_key_truth: bool,
}

fn default_bad_subject_share() -> f64 {
    0.08
}

fn default_true() -> bool {
    true
}

fn default_weight() -> u32 {
    1
}

/// 443 for most clients, 8443 for some: the listeners of every preset before listener
/// ports could be chosen.
fn default_listener_ports() -> Vec<ListenerPort> {
    vec![ListenerPort { port: 8443, weight: 15 }, ListenerPort { port: 443, weight: 85 }]
}

/// Realistic relative frequencies of the documented codes: untrusted and expired clients
/// dominate, the exotic codes are rare but present.
pub const REALISTIC_FAILURE_WEIGHTS: [u32; 13] = [2, 1, 8, 2, 30, 5, 25, 2, 3, 3, 2, 15, 2];

impl Default for CorpusSpec {
    /// Small and simple: four current-format files of 500 lines, IPv4 only, one gzip member.
    fn default() -> CorpusSpec {
        CorpusSpec {
            seed: 1,
            files: 4,
            lines_per_file: 500,
            start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid date"),
            nodes: 2,
            interval_stride: 1,
            clients: 50,
            subjects: 40,
            client_skew: 1.0,
            failure_rate: 0.05,
            failure_weights: REALISTIC_FAILURE_WEIGHTS,
            unknown_code_rate: 0.0,
            plain_http_rate: 0.02,
            generations: GenerationMix::only(Generation::Fields15),
            include_ipv6: false,
            ipv6_share: 0.06,
            members_per_file: 1,
            include_other_logs: false,
            plain: false,
            compression_level: 1,
            account: "123456789012".to_owned(),
            region: "us-east-1".to_owned(),
            elb: DEFAULT_ELB.to_owned(),
            elb_weight: default_weight(),
            other_load_balancers: Vec::new(),
            listener_ports: default_listener_ports(),
            legacy_tls_share: 0.0,
            mlkem1024_share: 0.0,
            expiring_share: 0.0,
            actors: Vec::new(),
            delivery: Delivery::Classic,
            vended_layout: VendedLayout::Hive,
            vended_fields: None,
            unique_identities: false,
            bad_subject_share: default_bad_subject_share(),
            subject_length: None,
            per_key_truth: true,
        }
    }
}

impl CorpusSpec {
    /// A busy bucket: 3 nodes × 96 intervals (8 hours) of 2,000 lines (~130 MB raw) from
    /// three load balancers, 5,000 skewed clients, all four generations, IPv6, multi-member
    /// gzip, other log kinds in the folders, and every failure code including a rare
    /// unknown one; listeners 443, 8443 and 9443, a few clients on TLS 1.0/1.1, every
    /// post-quantum group, and some certificates expiring within weeks of the last line.
    pub fn realistic() -> CorpusSpec {
        CorpusSpec {
            seed: 42,
            files: 288,
            lines_per_file: 2_000,
            nodes: 3,
            clients: 5_000,
            subjects: 3_000,
            client_skew: 1.1,
            failure_rate: 0.06,
            unknown_code_rate: 0.0005,
            plain_http_rate: 0.03,
            generations: GenerationMix { fields11: 1, fields12: 3, fields13: 2, fields15: 6 },
            include_ipv6: true,
            members_per_file: 4,
            include_other_logs: true,
            elb_weight: 4,
            other_load_balancers: vec![
                LoadBalancer { elb: "app/internal-api/7d3f1e2a9b8c6d5e".to_owned(), weight: 2 },
                LoadBalancer { elb: "app/partner-gw/0a1b2c3d4e5f6789".to_owned(), weight: 1 },
            ],
            listener_ports: vec![
                ListenerPort { port: 8443, weight: 12 },
                ListenerPort { port: 9443, weight: 4 },
                ListenerPort { port: 443, weight: 84 },
            ],
            legacy_tls_share: 0.02,
            mlkem1024_share: 0.05,
            expiring_share: 0.04,
            ..CorpusSpec::default()
        }
    }

    /// The bundled `sample-logs/` tree: 2 nodes × 6 rounds two hours apart, from the evening
    /// of 2026-11-01 into 2026-11-02 (the 00:00 file lands in the 11/02 folder), with three
    /// scripted clients: an expired certificate hammering the load balancer, a revoked one
    /// (`ClientCertCrlHit`) and an untrusted one.
    pub fn sample() -> CorpusSpec {
        let at = |y, mo, d, h| Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().expect("valid date");
        CorpusSpec {
            seed: 20_261_101,
            files: 12,
            lines_per_file: 300,
            start: at(2026, 11, 1, 21) + chrono::Duration::minutes(55),
            nodes: 2,
            interval_stride: 24,
            clients: 40,
            subjects: 30,
            failure_rate: 0.08,
            failure_weights: [3, 3, 4, 3, 6, 3, 6, 3, 3, 3, 3, 6, 3],
            unknown_code_rate: 0.002,
            members_per_file: 3,
            actors: vec![
                Actor {
                    client_ip: "198.51.100.23".to_owned(),
                    subject: Some("CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US".to_owned()),
                    not_before: at(2025, 10, 15, 8),
                    not_after: at(2026, 10, 15, 8),
                    serial: "02".to_owned(),
                    status: "Failed:ClientCertExpired".to_owned(),
                    share: 0.15,
                },
                Actor {
                    client_ip: "203.0.113.66".to_owned(),
                    subject: Some("CN=laptop-0117.corp.example.com,OU=Sales,O=Company LLC,L=City,ST=State,C=US".to_owned()),
                    not_before: at(2026, 3, 1, 0),
                    not_after: at(2027, 3, 1, 0),
                    serial: "4F1A0C2E9B7D3355".to_owned(),
                    status: "Failed:ClientCertCrlHit".to_owned(),
                    share: 0.02,
                },
                Actor {
                    client_ip: "192.0.2.200".to_owned(),
                    subject: Some("CN=test-client,O=Self Signed Test,C=US".to_owned()),
                    not_before: at(2026, 9, 1, 0),
                    not_after: at(2036, 9, 1, 0),
                    serial: "00D3A1E5F0C2B47786".to_owned(),
                    status: "Failed:ClientCertUntrusted".to_owned(),
                    share: 0.03,
                },
            ],
            // The bundled tree keeps the one load balancer and TLS mix its documentation
            // shows (the README and user guide print reports of it).
            elb_weight: default_weight(),
            other_load_balancers: Vec::new(),
            listener_ports: default_listener_ports(),
            legacy_tls_share: 0.0,
            mlkem1024_share: 0.0,
            expiring_share: 0.0,
            ..CorpusSpec::realistic()
        }
    }

    /// The same lines folded into one connection-log file (all `files × lines_per_file` lines
    /// in a single 5-minute interval): the "one huge file" benchmark input.
    pub fn into_single_file(self) -> CorpusSpec {
        CorpusSpec { lines_per_file: self.files.saturating_mul(self.lines_per_file), files: 1, ..self }
    }

    /// The large-fleet shape: every line a new client and a new certificate subject, all
    /// but one subject failing (see [`CorpusSpec::unique_identities`]); the truth keeps
    /// distinct counts only.
    pub fn into_fleet(self) -> CorpusSpec {
        let lines = usize::try_from(self.total_lines()).unwrap_or(usize::MAX);
        CorpusSpec {
            unique_identities: true,
            clients: lines,
            subjects: lines,
            bad_subject_share: 1.0,
            actors: Vec::new(),
            per_key_truth: false,
            ..self
        }
    }

    /// Total connection-log lines the spec produces.
    pub fn total_lines(&self) -> u64 {
        self.files as u64 * self.lines_per_file as u64
    }

    /// Every load balancer with its weight: `elb` first, then the others.
    pub fn load_balancers(&self) -> impl Iterator<Item = (&str, u32)> {
        std::iter::once((self.elb.as_str(), self.elb_weight)).chain(self.other_load_balancers.iter().map(|lb| (lb.elb.as_str(), lb.weight)))
    }

    /// Largest number of ordinary clients the address plan can name.
    pub const MAX_CLIENTS: usize = 20_000_000;

    pub(crate) fn validate(&self) -> Result<(), CorpusError> {
        let fail = |what: &str| Err(CorpusError::InvalidSpec(what.to_owned()));
        let rate_ok = |r: f64| (0.0..=1.0).contains(&r);
        if self.files == 0 || self.nodes == 0 || self.members_per_file == 0 || self.interval_stride == 0 {
            return fail("files, nodes, members_per_file and interval_stride must be at least 1");
        }
        if self.clients == 0 || self.subjects == 0 || self.clients > Self::MAX_CLIENTS {
            return fail("clients and subjects must be at least 1 (clients at most 20,000,000)");
        }
        let actor_share: f64 = self.actors.iter().map(|a| a.share).sum();
        let rates = [
            self.failure_rate,
            self.unknown_code_rate,
            self.plain_http_rate,
            self.ipv6_share,
            self.bad_subject_share,
            self.legacy_tls_share,
            self.mlkem1024_share,
            self.expiring_share,
        ];
        if !rates.iter().all(|&r| rate_ok(r)) || self.actors.iter().any(|a| !rate_ok(a.share)) {
            return fail("rates and shares must lie in 0..=1");
        }
        if actor_share + self.failure_rate + self.unknown_code_rate + self.plain_http_rate > 1.0 {
            return fail("actor shares and rates add up to more than 1");
        }
        if !(self.client_skew.is_finite() && self.client_skew >= 0.0) {
            return fail("client_skew must be a finite number >= 0");
        }
        if self.failure_rate > 0.0 && self.failure_weights.iter().all(|&w| w == 0) {
            return fail("failure_rate > 0 needs a non-zero failure weight");
        }
        if self.generations.total() == 0 {
            return fail("at least one generation needs a non-zero weight");
        }
        if self.subject_length.is_some_and(|n| n > 65_536) {
            return fail("subject_length must be at most 65,536 bytes");
        }
        if self.compression_level > 9 {
            return fail("compression_level must be 0..=9");
        }
        if self.account.is_empty() || self.region.is_empty() || self.elb.is_empty() {
            return fail("account, region and elb must not be empty");
        }
        let elbs: Vec<&str> = self.load_balancers().map(|(elb, _)| elb).collect();
        if elbs.iter().any(|elb| elb.is_empty() || elb.contains(' ') || elb.contains('_'))
            || elbs.iter().enumerate().any(|(i, elb)| elbs[..i].contains(elb))
        {
            return fail("load balancers must be distinct, non-empty and free of spaces and underscores");
        }
        if self.load_balancers().any(|(_, weight)| weight == 0) {
            return fail("load balancer weights must be at least 1");
        }
        if self.listener_ports.iter().all(|l| l.weight == 0) {
            return fail("listener_ports needs a port with a non-zero weight");
        }
        if self.actors.iter().any(|a| a.client_ip.contains(' ') || a.status.contains(' ') || a.serial.contains(' ')) {
            return fail("actor ip, status and serial must not contain spaces");
        }
        if let Some(fields) = &self.vended_fields {
            if let Some(unknown) = fields.iter().find(|f| !crate::vended::VENDED_FIELDS.contains(&f.as_str())) {
                return fail(&format!(
                    "vended field `{unknown}` is not a connection-log field (one of {})",
                    crate::vended::VENDED_FIELDS.join(", ")
                ));
            }
            if !fields.iter().any(|f| f == "time") {
                return fail("a vended delivery of a subset of fields still needs `time`");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_run_oldest_first_and_all_appear() {
        let mix = GenerationMix { fields11: 1, fields12: 1, fields13: 1, fields15: 1 };
        let got: Vec<_> = (0..4).map(|i| mix.for_file(i, 4)).collect();
        assert_eq!(got, Generation::ALL);
        let only = GenerationMix::only(Generation::Fields13);
        assert!((0..7).all(|i| only.for_file(i, 7) == Generation::Fields13));
    }

    #[test]
    fn presets_are_valid() {
        for spec in [CorpusSpec::default(), CorpusSpec::realistic(), CorpusSpec::sample()] {
            spec.validate().unwrap();
        }
        let bad = CorpusSpec { failure_rate: 0.9, plain_http_rate: 0.2, ..CorpusSpec::default() };
        assert!(bad.validate().is_err());
        let twice = LoadBalancer { elb: DEFAULT_ELB.to_owned(), weight: 1 };
        assert!(CorpusSpec { other_load_balancers: vec![twice], ..CorpusSpec::default() }.validate().is_err());
        assert!(CorpusSpec { elb_weight: 0, ..CorpusSpec::default() }.validate().is_err());
    }
}
