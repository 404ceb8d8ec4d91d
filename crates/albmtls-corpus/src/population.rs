//! Who connects: client addresses, their certificates and TLS stacks, and how often.
//!
//! Each certificate has a fixed fate (good, or one failure code) and a validity and serial
//! that fit it (an expired certificate's `NotAfter` lies before the corpus), so a subject
//! always shows the same validity and serial. An *identity* is a (client IP, certificate)
//! pair; lines pick identities from per-outcome pools with Zipf-like popularity.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use crate::line::{FAILURE_CODES, UNKNOWN_FAILURE_STATUS, UNMAPPED, escape_subject, format_validity};
use crate::spec::CorpusSpec;

/// Status ids: index into [`Population::statuses`].
pub(crate) const STATUS_NONE: u16 = 0;
pub(crate) const STATUS_SUCCESS: u16 = 1;
const STATUS_FIRST_CODE: u16 = 2;
pub(crate) const STATUS_UNKNOWN: u16 = STATUS_FIRST_CODE + FAILURE_CODES.len() as u16;

pub(crate) fn code_status(code: usize) -> u16 {
    STATUS_FIRST_CODE + code as u16
}

pub(crate) struct Cert {
    /// The distinguished name as the certificate holds it.
    pub dn: String,
    /// The same, escaped for the quoted field.
    pub escaped: String,
    pub validity: String,
    pub serial: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tls {
    pub protocol: &'static str,
    pub cipher: &'static str,
    pub keyexchange: &'static str,
}

pub(crate) struct Identity {
    pub client: u32,
    pub cert: u32,
    pub listener: u16,
    /// Index into [`Population::tls_stacks`].
    pub tls: u16,
}

/// The distinct TLS stacks identities use, numbered, so that counting a line's protocol,
/// cipher and group is an array update rather than three text lookups.
#[derive(Default)]
struct TlsStacks {
    stacks: Vec<Tls>,
    index: HashMap<Tls, u16>,
}

impl TlsStacks {
    fn id(&mut self, tls: Tls) -> u16 {
        *self.index.entry(tls).or_insert_with(|| {
            self.stacks.push(tls);
            (self.stacks.len() - 1) as u16
        })
    }
}

/// Identities of one outcome with a cumulative popularity table.
pub(crate) struct Pool {
    members: Vec<u32>,
    cdf: Vec<f64>,
}

impl Pool {
    fn new(mut members: Vec<u32>, skew: f64, rng: &mut Rng) -> Option<Pool> {
        if members.is_empty() {
            return None;
        }
        // Shuffle so the heaviest hitters are not simply the first addresses of the plan.
        rng.shuffle(&mut members);
        let mut total = 0.0;
        let cdf = (0..members.len())
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(skew);
                total
            })
            .collect();
        Some(Pool { members, cdf })
    }

    pub fn pick(&self, rng: &mut Rng) -> u32 {
        let total = self.cdf[self.cdf.len() - 1];
        let u = rng.f64() * total;
        let at = self.cdf.partition_point(|&c| c <= u).min(self.members.len() - 1);
        self.members[at]
    }
}

pub(crate) struct ScriptedActor {
    pub identity: u32,
    pub status: u16,
    pub share: f64,
}

pub(crate) struct Population {
    /// Client IP text as written in field 2 (ordinary clients, then actors).
    pub clients: Vec<String>,
    /// Certificates (ordinary subjects, then actors'). Actors without a subject have none.
    pub certs: Vec<Cert>,
    pub identities: Vec<Identity>,
    /// The TLS stacks identities refer to.
    pub tls_stacks: Vec<Tls>,
    pub good: Pool,
    /// One pool per documented code; `None` when no certificate has that fate (the line then
    /// borrows a good identity). `UnmappedConnectionError` always uses the good pool.
    pub by_code: Vec<Option<Pool>>,
    pub actors: Vec<ScriptedActor>,
    /// Status text by status id: `-`, `Success`, the 13 codes, the unknown code, then any
    /// other status an actor uses.
    pub statuses: Vec<String>,
    /// The failure code each ordinary certificate is bound to, `None` for a good one.
    pub fates: Vec<Option<usize>>,
}

const TLS13: [(&str, u32); 3] = [("TLS_AES_128_GCM_SHA256", 6), ("TLS_AES_256_GCM_SHA384", 3), ("TLS_CHACHA20_POLY1305_SHA256", 1)];
const TLS12: [(&str, u32); 4] = [
    ("ECDHE-RSA-AES128-GCM-SHA256", 5),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", 2),
    ("ECDHE-RSA-AES256-GCM-SHA384", 2),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", 1),
];
const KEX13: [(&str, u32); 4] = [("X25519MLKEM768", 9), ("x25519", 9), ("SecP256r1MLKEM768", 1), ("secp256r1", 1)];
const KEX12: [(&str, u32); 2] = [("secp256r1", 3), ("x25519", 2)];
const LEGACY_PROTOCOLS: [(&str, u32); 2] = [("TLSv1", 1), ("TLSv1.1", 2)];
const LEGACY_CIPHERS: [(&str, u32); 3] = [("ECDHE-RSA-AES128-SHA", 3), ("ECDHE-ECDSA-AES128-SHA", 1), ("ECDHE-RSA-AES256-SHA", 1)];
const LEGACY_KEX: [(&str, u32); 2] = [("secp256r1", 3), ("x25519", 1)];
/// The post-quantum group of the strictest policies, with the cipher that goes with it.
const MLKEM1024: Tls = Tls { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", keyexchange: "SecP384r1MLKEM1024" };

fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut u = rng.u32(0..total);
    for &(item, w) in items {
        if u < w {
            return item;
        }
        u -= w;
    }
    items[items.len() - 1].0
}

fn random_tls(rng: &mut Rng) -> Tls {
    if rng.f64() < 0.7 {
        Tls { protocol: "TLSv1.3", cipher: weighted(rng, &TLS13), keyexchange: weighted(rng, &KEX13) }
    } else {
        Tls { protocol: "TLSv1.2", cipher: weighted(rng, &TLS12), keyexchange: weighted(rng, &KEX12) }
    }
}

/// `tls` turned into a legacy or TLS 1.3 + ML-KEM-1024 stack for the spec's shares of
/// identities. Drawn from its own stream (`posture`), so that corpora without these
/// shares stay byte-identical to those written before they existed.
fn posture_tls(tls: Tls, spec: &CorpusSpec, posture: &mut Rng) -> Tls {
    let (legacy, mlkem1024) = (posture.f64(), posture.f64());
    if legacy < spec.legacy_tls_share {
        Tls {
            protocol: weighted(posture, &LEGACY_PROTOCOLS),
            cipher: weighted(posture, &LEGACY_CIPHERS),
            keyexchange: weighted(posture, &LEGACY_KEX),
        }
    } else if tls.protocol == "TLSv1.3" && mlkem1024 < spec.mlkem1024_share {
        MLKEM1024
    } else {
        tls
    }
}

/// The `k`-th IPv4 address of the plan: the three documentation ranges first, then
/// 100.64.0.0/10, then 10.0.0.0/8 (hosts .1–.254 only).
fn ipv4(k: usize) -> String {
    const DOC: [[u8; 3]; 3] = [[203, 0, 113], [198, 51, 100], [192, 0, 2]];
    if k < 3 * 254 {
        let [a, b, c] = DOC[k / 254];
        return format!("{a}.{b}.{c}.{}", k % 254 + 1);
    }
    let n = k - 3 * 254;
    let (net, host) = (n / 254, n % 254 + 1);
    if net < 64 * 256 {
        format!("100.{}.{}.{host}", 64 + net / 256, net % 256)
    } else {
        let net = net - 64 * 256;
        format!("10.{}.{}.{host}", (net / 256) % 256, net % 256)
    }
}

/// The `m`-th IPv6 client, in 2001:db8::/32; every eighth one bracketed (`[…]`), a form
/// readers should accept although ALB most likely writes addresses bare.
fn ipv6(m: usize) -> String {
    let bare = format!("2001:db8:{:x}::{:x}", m / 0xfff0 + 1, m % 0xfff0 + 0x10);
    if m % 8 == 1 { format!("[{bare}]") } else { bare }
}

const ORGS: [&str; 5] = ["Company LLC", "Example Corp", "Acme Widgets Inc.", "Big Bank plc", "Northwind Traders"];
const OUS: [Option<&str>; 4] = [Some("IT"), Some("Engineering"), Some("Platform Team"), None];
const PLACES: [(&str, Option<&str>, &str); 4] =
    [("City", Some("State"), "US"), ("Seattle", Some("Washington"), "US"), ("Berlin", Some("Berlin"), "DE"), ("London", None, "GB")];
const SERVICES: [&str; 4] = ["payments", "orders", "billing", "edge-gateway"];

fn subject_dn(j: usize, rng: &mut Rng) -> String {
    let cn = match rng.u32(0..10) {
        0..=4 => format!("client-{j:04}.example.com"),
        5..=6 => format!("device-{j:05}.iot.example.net"),
        7 => format!("svc-{}-{j}.internal.example.org", SERVICES[rng.usize(0..SERVICES.len())]),
        8 => format!("Jane Doe {j}"),
        _ => format!("user{j}@example.com"),
    };
    // A few organisations carry quotes, which must come out backslash-escaped.
    let org = if rng.u32(0..25) == 0 { "\"Quoted\" Corp" } else { ORGS[rng.usize(0..ORGS.len())] };
    let mut dn = format!("CN={cn}");
    if let Some(ou) = OUS[rng.usize(0..OUS.len())] {
        dn.push_str(",OU=");
        dn.push_str(ou);
    }
    let (l, st, c) = PLACES[rng.usize(0..PLACES.len())];
    dn.push_str(",O=");
    dn.push_str(org);
    dn.push_str(",L=");
    dn.push_str(l);
    if let Some(st) = st {
        dn.push_str(",ST=");
        dn.push_str(st);
    }
    dn.push_str(",C=");
    dn.push_str(c);
    dn
}

/// Appends a `UID=` attribute of hex digits (a function of `j`, so reproducible and
/// different per subject) until `dn` is at least `length` bytes.
fn pad_subject(dn: &mut String, j: usize, length: usize) {
    if dn.len() >= length {
        return;
    }
    dn.push_str(",UID=");
    let mut state = j as u64 ^ 0x2545_f491_4f6c_dd1d;
    while dn.len() < length {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let digits = format!("{state:016x}");
        dn.push_str(&digits[..digits.len().min(length - dn.len())]);
    }
}

/// Uppercase hex with leading zeros kept: a few one-byte serials (`02`), most 8 or 16 bytes,
/// some starting with a zero nibble.
fn serial(rng: &mut Rng) -> String {
    let len = match rng.u32(0..10) {
        0 => 1,
        1..=5 => 8,
        _ => 16,
    };
    let mut out = String::with_capacity(len * 2);
    for i in 0..len {
        let byte = if i == 0 { if len == 1 { rng.u8(1..0x20) } else { rng.u8(0..0x80) } } else { rng.u8(..) };
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

fn days(rng: &mut Rng, range: std::ops::Range<i64>) -> Duration {
    Duration::days(rng.i64(range)) + Duration::seconds(rng.i64(0..86_400))
}

/// Validity fitting the fate: expired before the corpus starts, not yet valid after it
/// ends, otherwise valid throughout.
fn validity(fate: Option<usize>, start: DateTime<Utc>, end: DateTime<Utc>, rng: &mut Rng) -> String {
    let expired = FAILURE_CODES.iter().position(|&c| c == "ClientCertExpired");
    let not_yet = FAILURE_CODES.iter().position(|&c| c == "ClientCertNotYetValid");
    let (nb, na) = if fate.is_some() && fate == expired {
        let na = start - days(rng, 1..300);
        (na - Duration::days(365), na)
    } else if fate.is_some() && fate == not_yet {
        let nb = end + days(rng, 1..60);
        (nb, nb + Duration::days(365))
    } else {
        let nb = start - days(rng, 10..700);
        let lifetimes = [90, 365, 397, 730, 825];
        let mut na = nb + Duration::days(lifetimes[rng.usize(0..lifetimes.len())]);
        if na <= end + Duration::days(1) {
            na = end + days(rng, 30..400);
        }
        (nb, na)
    };
    format_validity(trunc_secs(nb), trunc_secs(na))
}

/// For the spec's share of good certificates, a validity whose NotAfter falls within 60
/// days after `end` (from the `posture` stream, like [`posture_tls`]).
fn expiring_validity(fate: Option<usize>, spec: &CorpusSpec, end: DateTime<Utc>, posture: &mut Rng) -> Option<String> {
    if fate.is_some() || posture.f64() >= spec.expiring_share {
        return None;
    }
    let nb = spec.start - days(posture, 30..700);
    let na = end + Duration::seconds(posture.i64(3_600..60 * 86_400));
    Some(format_validity(trunc_secs(nb), trunc_secs(na)))
}

fn trunc_secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Population {
    /// `end` is the end of the last interval of the corpus.
    pub fn new(spec: &CorpusSpec, end: DateTime<Utc>) -> Population {
        let mut rng = Rng::with_seed(spec.seed ^ 0x5eed_c0de_0f00_d00d);
        let mut posture = Rng::with_seed(spec.seed ^ 0x7715_0a5e_c0de_b175);
        let (mut v4, mut v6) = (0usize, 0usize);
        let mut clients: Vec<String> = (0..spec.clients)
            .map(|_| {
                if spec.include_ipv6 && rng.f64() < spec.ipv6_share {
                    v6 += 1;
                    ipv6(v6 - 1)
                } else {
                    v4 += 1;
                    ipv4(v4 - 1)
                }
            })
            .collect();

        // Fates: `bad_subject_share` of subjects are bad (at least one per code that needs
        // a certificate), the rest good; one subject always stays good.
        let cert_codes: Vec<usize> = (0..FAILURE_CODES.len()).filter(|&c| c != UNMAPPED).collect();
        let bad = ((spec.subjects as f64 * spec.bad_subject_share).round() as usize).max(cert_codes.len()).min(spec.subjects - 1);
        let mut order: Vec<usize> = (0..spec.subjects).collect();
        rng.shuffle(&mut order);
        let mut fate: Vec<Option<usize>> = vec![None; spec.subjects];
        for (i, &j) in order.iter().take(bad).enumerate() {
            fate[j] = Some(cert_codes[i % cert_codes.len()]);
        }
        let mut certs: Vec<Cert> = (0..spec.subjects)
            .map(|j| {
                let mut dn = subject_dn(j, &mut rng);
                if let Some(length) = spec.subject_length {
                    pad_subject(&mut dn, j, length);
                }
                let validity = validity(fate[j], spec.start, end, &mut rng);
                let validity = expiring_validity(fate[j], spec, end, &mut posture).unwrap_or(validity);
                Cert { escaped: escape_subject(&dn), dn, validity, serial: serial(&mut rng) }
            })
            .collect();

        let listener_ports: Vec<(u16, u32)> = spec.listener_ports.iter().map(|l| (l.port, l.weight)).collect();
        let mut stacks = TlsStacks::default();
        let mut identities: Vec<Identity> = (0..spec.clients.max(spec.subjects))
            .map(|k| Identity {
                client: (k % spec.clients) as u32,
                cert: (k % spec.subjects) as u32,
                listener: weighted(&mut rng, &listener_ports),
                tls: stacks.id(posture_tls(random_tls(&mut rng), spec, &mut posture)),
            })
            .collect();

        let mut good_members = Vec::new();
        let mut code_members = vec![Vec::new(); FAILURE_CODES.len()];
        for (k, id) in identities.iter().enumerate() {
            match fate[id.cert as usize] {
                None => good_members.push(k as u32),
                Some(c) => code_members[c].push(k as u32),
            }
        }
        let good = Pool::new(good_members, spec.client_skew, &mut rng).expect("at least one good subject");
        let by_code = code_members.into_iter().map(|m| Pool::new(m, spec.client_skew, &mut rng)).collect();

        let mut statuses: Vec<String> = vec!["-".to_owned(), "Success".to_owned()];
        statuses.extend(FAILURE_CODES.iter().map(|c| format!("Failed:{c}")));
        statuses.push(UNKNOWN_FAILURE_STATUS.to_owned());

        let actors = spec
            .actors
            .iter()
            .map(|a| {
                let status = match statuses.iter().position(|s| *s == a.status) {
                    Some(i) => i as u16,
                    None => {
                        statuses.push(a.status.clone());
                        (statuses.len() - 1) as u16
                    }
                };
                clients.push(a.client_ip.clone());
                let cert = match &a.subject {
                    Some(dn) => {
                        certs.push(Cert {
                            dn: dn.clone(),
                            escaped: escape_subject(dn),
                            validity: format_validity(a.not_before, a.not_after),
                            serial: a.serial.clone(),
                        });
                        (certs.len() - 1) as u32
                    }
                    None => u32::MAX,
                };
                identities.push(Identity {
                    client: (clients.len() - 1) as u32,
                    cert,
                    listener: 443,
                    tls: stacks.id(Tls { protocol: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256", keyexchange: "secp256r1" }),
                });
                ScriptedActor { identity: (identities.len() - 1) as u32, status, share: a.share }
            })
            .collect();

        Population { clients, certs, identities, tls_stacks: stacks.stacks, good, by_code, actors, statuses, fates: fate }
    }

    pub fn cert(&self, identity: &Identity) -> Option<&Cert> {
        self.certs.get(identity.cert as usize)
    }

    pub fn tls(&self, identity: &Identity) -> Tls {
        self.tls_stacks[usize::from(identity.tls)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_plan_starts_with_documentation_ranges() {
        assert_eq!(ipv4(0), "203.0.113.1");
        assert_eq!(ipv4(254), "198.51.100.1");
        assert_eq!(ipv4(3 * 254 - 1), "192.0.2.254");
        assert_eq!(ipv4(3 * 254), "100.64.0.1");
        assert_eq!(ipv4(3 * 254 + 64 * 256 * 254), "10.0.0.1");
        assert_eq!(ipv6(0), "2001:db8:1::10");
        assert_eq!(ipv6(1), "[2001:db8:1::11]");
    }

    #[test]
    fn certificates_fit_their_fate() {
        let spec = CorpusSpec { subjects: 200, clients: 100, ..CorpusSpec::default() };
        let end = spec.start + Duration::hours(1);
        let pop = Population::new(&spec, end);
        assert_eq!(pop.identities.len(), 200);
        assert!(pop.by_code.iter().enumerate().all(|(c, p)| p.is_some() == (c != UNMAPPED)));
        let expired = FAILURE_CODES.iter().position(|&c| c == "ClientCertExpired").unwrap();
        let pool = pop.by_code[expired].as_ref().unwrap();
        let mut rng = Rng::with_seed(1);
        let id = &pop.identities[pool.pick(&mut rng) as usize];
        let validity = &pop.cert(id).unwrap().validity;
        let not_after = validity.split("NotAfter=").nth(1).unwrap();
        assert!(not_after < "2026-11-01T00:00:00Z", "{not_after}");
    }
}
