//! Checks the written tree against the truth with an independent, naive reader.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use flate2::read::MultiGzDecoder;

use albmtls_corpus::{
    CorpusSpec, EXPIRING_WITHIN_DAYS, FAILURE_CODES, Generated, LatencyTruth, TrafficTruth, Truth, UNKNOWN_FAILURE_STATUS, generate,
};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { walk(&path, out) } else { out.push(path) }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")
}

fn is_conn_log(path: &Path) -> bool {
    path.file_name().unwrap().to_string_lossy().starts_with("conn_log_")
}

fn decompress(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out).unwrap();
    out
}

fn gzip_members(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut rest = &bytes[..];
    let mut members = 0;
    while !rest.is_empty() {
        let mut dec = flate2::bufread::GzDecoder::new(rest);
        std::io::copy(&mut dec, &mut std::io::sink()).unwrap();
        rest = dec.into_inner();
        members += 1;
    }
    members
}

/// A line split the careful way: fields 1–7 by spaces, the quoted subject (which may hold
/// spaces and `\"`), then the rest by spaces.
struct Naive<'a> {
    head: Vec<&'a str>,
    subject: String,
    tail: Vec<&'a str>,
}

fn split(line: &str) -> Naive<'_> {
    let mut head = Vec::new();
    let mut rest = line;
    for _ in 0..7 {
        let (field, after) = rest.split_once(' ').unwrap();
        head.push(field);
        rest = after;
    }
    let inner = rest.strip_prefix('"').expect("subject is quoted");
    let mut subject = String::new();
    let mut chars = inner.char_indices();
    let end = loop {
        match chars.next().expect("closing quote") {
            (_, '\\') => subject.push(chars.next().unwrap().1),
            (i, '"') => break i,
            (_, c) => subject.push(c),
        }
    };
    let tail = inner[end + 1..].strip_prefix(' ').unwrap().split(' ').collect();
    Naive { head, subject, tail }
}

fn ts(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.6fZ").unwrap().and_utc()
}

#[derive(Default)]
struct Recount {
    status: BTreeMap<String, u64>,
    clients: BTreeMap<String, BTreeMap<String, u64>>,
    subjects: BTreeMap<String, BTreeMap<String, u64>>,
    generations: BTreeMap<u8, u64>,
    distinct_clients: BTreeMap<String, std::collections::BTreeSet<String>>,
    raw_bytes: u64,
    /// Statuses per load balancer (from the file name) and per listener port.
    by_lb: BTreeMap<String, BTreeMap<String, u64>>,
    by_listener: BTreeMap<u16, BTreeMap<String, u64>>,
    protocols: BTreeMap<String, u64>,
    ciphers: BTreeMap<String, u64>,
    key_exchanges: BTreeMap<String, u64>,
    /// Every latency in milliseconds, overall, per protocol and per load balancer.
    latencies: Vec<u32>,
    latency_by_protocol: BTreeMap<String, Vec<u32>>,
    latency_by_lb: BTreeMap<String, Vec<u32>>,
    legacy: BTreeMap<(String, String), u64>,
    /// Certificates of successful lines by (subject, serial).
    certs: BTreeMap<(String, String), CertUse>,
}

struct CertUse {
    not_after: DateTime<Utc>,
    connections: u64,
    /// The last connection: its time, and its client as an address and as written.
    last: (DateTime<Utc>, std::net::IpAddr, String),
}

/// `app/NAME/ID` from a file name's `_app.NAME.ID_` part.
fn lb_of_name(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let part = name.split('_').find(|p| p.starts_with("app.")).expect("the file name names its load balancer");
    part.replace('.', "/")
}

fn recount(root: &Path) -> Recount {
    let mut r = Recount::default();
    for path in files_under(root).into_iter().filter(|p| is_conn_log(p)) {
        let text = String::from_utf8(decompress(&path)).unwrap();
        let lb = lb_of_name(&path);
        r.raw_bytes += text.len() as u64;
        for line in text.lines() {
            let n = split(line);
            let status = n.tail[2].to_owned();
            *r.status.entry(status.clone()).or_default() += 1;
            *r.generations.entry((8 + n.tail.len()) as u8).or_default() += 1;
            r.distinct_clients.entry(status.clone()).or_default().insert(n.head[1].to_owned());
            if let Some(elb) = n.tail.get(5) {
                assert_eq!(*elb, lb, "field 14 names the file's load balancer: {line}");
            }
            *r.by_lb.entry(lb.clone()).or_default().entry(status.clone()).or_default() += 1;
            *r.by_listener.entry(n.head[3].parse().unwrap()).or_default().entry(status.clone()).or_default() += 1;
            let protocol = n.head[4];
            if protocol != "-" {
                *r.protocols.entry(protocol.to_owned()).or_default() += 1;
                *r.ciphers.entry(n.head[5].to_owned()).or_default() += 1;
            }
            if let Some(&group) = n.tail.get(4).filter(|g| **g != "-") {
                *r.key_exchanges.entry(group.to_owned()).or_default() += 1;
            }
            if n.head[6] != "-" {
                let (secs, ms) = n.head[6].split_once('.').unwrap();
                let ms: u32 = secs.parse::<u32>().unwrap() * 1000 + ms.parse::<u32>().unwrap();
                r.latencies.push(ms);
                r.latency_by_protocol.entry(protocol.to_owned()).or_default().push(ms);
                r.latency_by_lb.entry(lb.clone()).or_default().push(ms);
            }
            if matches!(protocol, "TLSv1" | "TLSv1.1") {
                *r.legacy.entry((n.head[1].to_owned(), protocol.to_owned())).or_default() += 1;
            }
            if status == "Success" && n.subject != "-" {
                let not_after = ts_seconds(n.tail[0].split_once(";NotAfter=").unwrap().1);
                let (time, ip) = (ts(n.head[0]), n.head[1].trim_matches(['[', ']']).parse().unwrap());
                let key = (n.subject.clone(), n.tail[1].to_owned());
                let used = r.certs.entry(key).or_insert(CertUse { not_after, connections: 0, last: (time, ip, n.head[1].to_owned()) });
                used.connections += 1;
                if (time, ip) > (used.last.0, used.last.1) {
                    used.last = (time, ip, n.head[1].to_owned());
                }
            }
            if status != "Success" && status != "-" {
                *r.clients.entry(status.clone()).or_default().entry(n.head[1].to_owned()).or_default() += 1;
                *r.subjects.entry(status).or_default().entry(n.subject).or_default() += 1;
            }
        }
    }
    r
}

fn ts_seconds(text: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%SZ").unwrap().and_utc()
}

/// The nearest-rank percentile of `values`.
fn nearest_rank(values: &mut [u32], p: usize) -> u32 {
    values.sort_unstable();
    values[(p * values.len()).div_ceil(100).max(1) - 1]
}

fn latency_of(values: &[u32]) -> LatencyTruth {
    let mut values = values.to_vec();
    LatencyTruth {
        records: values.len() as u64,
        p50_ms: nearest_rank(&mut values, 50),
        p90_ms: nearest_rank(&mut values, 90),
        p99_ms: nearest_rank(&mut values, 99),
        max_ms: *values.iter().max().unwrap(),
    }
}

/// Compares the truth's sections per load balancer, listener, TLS, latency and expiry
/// with the recount.
fn assert_sections_match(r: &Recount, truth: &Truth) {
    let traffic = |statuses: &BTreeMap<String, u64>| TrafficTruth {
        records: statuses.values().sum(),
        failed: statuses.iter().filter(|(s, _)| s.starts_with("Failed:")).map(|(_, n)| n).sum(),
        status_counts: statuses.clone(),
    };
    let lbs: BTreeMap<String, TrafficTruth> = r.by_lb.iter().map(|(lb, s)| (lb.clone(), traffic(s))).collect();
    assert_eq!(lbs, truth.load_balancers);
    let listeners: BTreeMap<u16, TrafficTruth> = r.by_listener.iter().map(|(port, s)| (*port, traffic(s))).collect();
    assert_eq!(listeners, truth.listeners);
    assert_eq!(r.protocols, truth.tls.protocols);
    assert_eq!(r.ciphers, truth.tls.ciphers);
    assert_eq!(r.key_exchanges, truth.tls.key_exchanges);
    assert_eq!(r.key_exchanges.values().sum::<u64>(), truth.tls.key_exchange_records);
    let pq: u64 = r.key_exchanges.iter().filter(|(g, _)| g.contains("MLKEM")).map(|(_, n)| n).sum();
    assert_eq!(pq, truth.tls.post_quantum_records);
    assert_eq!(r.legacy.values().sum::<u64>(), truth.tls.legacy_records);
    let legacy: BTreeMap<(String, String), u64> =
        truth.tls.legacy_clients.iter().map(|c| ((c.ip.clone(), c.protocol.clone()), c.count)).collect();
    assert_eq!(r.legacy, legacy);
    assert_eq!(Some(latency_of(&r.latencies)), truth.handshake_latency.overall);
    let by_protocol: BTreeMap<String, LatencyTruth> = r.latency_by_protocol.iter().map(|(p, v)| (p.clone(), latency_of(v))).collect();
    assert_eq!(by_protocol, truth.handshake_latency.by_protocol);
    let by_lb: BTreeMap<String, LatencyTruth> = r.latency_by_lb.iter().map(|(lb, v)| (lb.clone(), latency_of(v))).collect();
    assert_eq!(by_lb, truth.handshake_latency.by_load_balancer);

    let as_of = ts(truth.last_timestamp.as_deref().unwrap());
    assert_eq!(truth.expiring.as_of.as_deref(), truth.last_timestamp.as_deref());
    let window = chrono::Duration::days(i64::from(EXPIRING_WITHIN_DAYS));
    let expiring: Vec<(String, String, i64, u64, String)> = r
        .certs
        .iter()
        .filter(|(_, used)| used.not_after > as_of && used.not_after <= as_of + window)
        .map(|((subject, serial), used)| {
            (subject.clone(), serial.clone(), (used.not_after - as_of).num_days(), used.connections, used.last.2.clone())
        })
        .collect();
    let mut listed: Vec<(String, String, i64, u64, String)> = truth
        .expiring
        .certificates
        .iter()
        .map(|c| (c.subject.clone(), c.serial.clone(), c.days_left, c.connections, c.last_client_ip.clone()))
        .collect();
    listed.sort();
    assert_eq!(expiring, listed);
}

fn realistic_small() -> CorpusSpec {
    CorpusSpec { files: 24, lines_per_file: 1_000, clients: 400, subjects: 300, ..CorpusSpec::realistic() }
}

fn write(spec: &CorpusSpec) -> (tempfile::TempDir, Generated) {
    let dir = tempfile::tempdir().unwrap();
    let done = generate(spec, dir.path()).unwrap();
    (dir, done)
}

#[test]
fn same_spec_gives_identical_bytes_and_another_seed_does_not() {
    let spec = realistic_small();
    let (a, _) = write(&spec);
    let (b, _) = write(&spec);
    let (fa, fb) = (files_under(a.path()), files_under(b.path()));
    assert_eq!(fa.iter().map(|p| rel(a.path(), p)).collect::<Vec<_>>(), fb.iter().map(|p| rel(b.path(), p)).collect::<Vec<_>>());
    for (x, y) in fa.iter().zip(&fb) {
        assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs", x.display());
    }
    let (c, _) = write(&CorpusSpec { seed: spec.seed + 1, ..spec });
    let first = |root: &Path| files_under(root).into_iter().find(|p| is_conn_log(p)).map(|p| std::fs::read(p).unwrap());
    assert_ne!(first(a.path()), first(c.path()));
}

#[test]
fn truth_matches_a_naive_recount_and_covers_every_status() {
    let (dir, done) = write(&realistic_small());
    let truth = &done.truth;
    let r = recount(dir.path());
    assert_eq!(r.status, truth.status_counts);
    assert_eq!(r.clients, truth.clients_by_status);
    assert_eq!(r.subjects, truth.subjects_by_status);
    assert_eq!(r.generations, truth.lines_by_generation);
    assert_eq!(r.raw_bytes, truth.raw_bytes);
    assert_eq!(truth.records, 24_000);
    assert_eq!(Truth::read(&dir.path().join("truth.json")).unwrap(), *truth);

    for code in FAILURE_CODES {
        assert!(truth.count(&format!("Failed:{code}")) > 0, "{code} missing");
    }
    assert!(truth.count(UNKNOWN_FAILURE_STATUS) > 0);
    assert!(truth.count("Success") > truth.failed());
    assert!(truth.count("-") > 0);
    assert_eq!(truth.lines_by_generation.keys().copied().collect::<Vec<_>>(), [11, 12, 13, 15]);
    assert_eq!(truth.listeners.keys().copied().collect::<Vec<_>>(), [80, 443, 8443, 9443]);
    assert!(truth.ipv6_lines > 0);
    assert_sections_match(&r, truth);
    // Every section has something to check: several load balancers, legacy clients,
    // every post-quantum group, and certificates inside and outside the expiry window.
    assert_eq!(truth.load_balancers.len(), 3);
    assert!(truth.load_balancers.values().all(|lb| lb.failed > 0));
    assert!(truth.tls.protocols.contains_key("TLSv1") && truth.tls.protocols.contains_key("TLSv1.1"));
    assert!(truth.tls.legacy_clients.len() > 1);
    for group in ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "x25519", "secp256r1"] {
        assert!(truth.tls.key_exchanges.contains_key(group), "{group}");
    }
    assert!(truth.expiring.certificates.len() > 1);
    let as_of = ts(truth.last_timestamp.as_deref().unwrap());
    let beyond = r.certs.values().filter(|used| used.not_after > as_of + chrono::Duration::days(30)).count();
    let soon_after = r.certs.values().filter(|used| used.not_after <= as_of + chrono::Duration::days(60)).count();
    assert!(beyond > 0 && soon_after > truth.expiring.certificates.len(), "certificates expire on both sides of the window");
    let distinct: BTreeMap<String, u64> = r.distinct_clients.iter().map(|(s, c)| (s.clone(), c.len() as u64)).collect();
    assert_eq!(distinct, truth.distinct_clients_by_status);
    assert!(r.distinct_clients["Success"].iter().any(|c| c.starts_with('[')), "a bracketed IPv6 client");
    assert!(r.distinct_clients["Success"].iter().any(|c| c.starts_with("2001:db8:")), "a bare IPv6 client");
    // Subjects carry spaces and escaped quotes.
    let subjects: Vec<&String> = truth.subjects_by_status.values().flat_map(|m| m.keys()).collect();
    assert!(subjects.iter().any(|s| s.contains(' ')));
    // Failures without a certificate (the client sent none) have no subject.
    assert_eq!(truth.subjects_by_status["Failed:UnmappedConnectionError"].keys().collect::<Vec<_>>(), ["-"]);
}

#[test]
fn lines_follow_the_value_conventions() {
    let (dir, _) = write(&realistic_small());
    let mut quoted = 0;
    for path in files_under(dir.path()).into_iter().filter(|p| is_conn_log(p)) {
        let text = String::from_utf8(decompress(&path)).unwrap();
        for line in text.lines() {
            let n = split(line);
            quoted += usize::from(line.contains("\\\""));
            assert!(n.head[0].ends_with('Z') && n.head[0].len() == 27, "{line}");
            let status = n.tail[2];
            let tls = n.head[3] != "80";
            assert_eq!(n.head[4] == "-", !tls, "{line}");
            // Latency only on success.
            assert_eq!(n.head[6] != "-", status == "Success", "{line}");
            if n.subject != "-" {
                assert!(n.tail[0].starts_with("NotBefore=") && n.tail[0].contains(";NotAfter="), "{line}");
                assert!(n.tail[1].chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "{line}");
            }
            if let Some(tid) = n.tail.get(3) {
                assert!(tid.len() == 36 && tid.starts_with("TID_"), "{line}");
                assert!(tid[4..].chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()), "{line}");
            }
            if n.tail.len() == 7 {
                assert_eq!(n.tail[5], lb_of_name(&path), "{line}");
            }
        }
    }
    assert!(quoted > 0, "some subjects have escaped quotes");
}

#[test]
fn files_are_multi_member_and_named_for_their_interval() {
    let spec = realistic_small();
    let (dir, done) = write(&spec);
    let root = dir.path();
    let all = files_under(root);
    let conn: Vec<_> = all.iter().filter(|p| is_conn_log(p)).collect();
    assert_eq!(conn.len(), spec.files);
    for path in &conn {
        assert_eq!(gzip_members(path), spec.members_per_file, "{}", path.display());
        let key = rel(root, path);
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(&parts[..4], ["AWSLogs", "123456789012", "elasticloadbalancing", "us-east-1"]);
        let name = parts[7];
        let lb = spec.load_balancers().map(|(elb, _)| elb.replace('/', ".")).find(|lb| name.contains(lb.as_str())).unwrap();
        let rest = name.strip_prefix(&format!("conn_log_123456789012_elasticloadbalancing_us-east-1_{lb}_")).unwrap();
        let fields: Vec<&str> = rest.strip_suffix(".log.gz").unwrap().split('_').collect();
        assert_eq!(fields.len(), 3, "{name}");
        let end = NaiveDateTime::parse_from_str(fields[0], "%Y%m%dT%H%MZ").unwrap().and_utc();
        assert_eq!(end.format("%Y/%m/%d").to_string(), parts[4..7].join("/"), "delivery folder is the end-time date");
        assert!(fields[1].starts_with("10.0."));
        assert!(fields[2].len() == 8 && fields[2].chars().all(|c| c.is_ascii_alphanumeric()));
        let text = String::from_utf8(decompress(path)).unwrap();
        let mut previous = end - chrono::Duration::minutes(5);
        for line in text.lines() {
            let t = ts(line.split(' ').next().unwrap());
            assert!(t >= previous && t < end, "{line} outside or out of order in {name}");
            previous = t;
            assert!(line.ends_with(fields[1]) || !line.contains(" app/"), "node ip in field 15");
        }
    }
    let truth = &done.truth;
    assert!(truth.other_files.iter().any(|f| f.ends_with("ELBConnectionLogTestFile")));
    assert!(truth.other_files.iter().any(|f| f.contains("/health_check_log_123456789012_elasticloadbalancing_")));
    assert!(truth.other_files.iter().any(|f| f.rsplit('/').next().unwrap().starts_with("123456789012_elasticloadbalancing_")));
    assert!(root.join("AWSLogs/123456789012/ELBConnectionLogTestFile").is_file());
    assert_eq!(all.len(), spec.files + truth.other_files.len() + 1, "plus truth.json");
    // Files are dealt to the load balancers by weight (4:2:1), each with nodes of its own.
    let files_of = |elb: &str| conn.iter().filter(|p| p.to_string_lossy().contains(&elb.replace('/', "."))).count();
    let counts: Vec<usize> = spec.load_balancers().map(|(elb, _)| files_of(elb)).collect();
    assert_eq!(counts, [14, 7, 3], "24 files");
}

#[test]
fn plain_output_has_the_same_lines_and_single_file_folds_everything() {
    let spec = CorpusSpec { files: 3, lines_per_file: 200, ..CorpusSpec::default() };
    let (gz, _) = write(&spec);
    let (plain, _) = write(&CorpusSpec { plain: true, ..spec.clone() });
    let content = |root: &Path| -> Vec<Vec<u8>> { files_under(root).iter().filter(|p| is_conn_log(p)).map(|p| decompress(p)).collect() };
    assert_eq!(content(gz.path()), content(plain.path()));
    assert!(files_under(plain.path()).iter().filter(|p| is_conn_log(p)).all(|p| p.to_string_lossy().ends_with(".log")));

    let (single, done) = write(&spec.into_single_file());
    let conn: Vec<_> = files_under(single.path()).into_iter().filter(|p| is_conn_log(p)).collect();
    assert_eq!(conn.len(), 1);
    assert_eq!(String::from_utf8(decompress(&conn[0])).unwrap().lines().count(), 600);
    assert_eq!(done.truth.records, 600);
}

#[test]
fn sample_preset_tells_its_story() {
    let (dir, done) = write(&CorpusSpec::sample());
    let truth = &done.truth;
    for code in FAILURE_CODES {
        assert!(truth.count(&format!("Failed:{code}")) > 0, "{code} missing from the sample");
    }
    let top = |status: &str| truth.clients_by_status[status].iter().max_by_key(|(_, n)| **n).map(|(ip, _)| ip.clone()).unwrap();
    assert_eq!(top("Failed:ClientCertExpired"), "198.51.100.23");
    assert_eq!(top("Failed:ClientCertCrlHit"), "203.0.113.66");
    assert_eq!(top("Failed:ClientCertUntrusted"), "192.0.2.200");
    let folders: std::collections::BTreeSet<String> = truth.files.iter().map(|f| f.path.rsplit_once('/').unwrap().0.to_owned()).collect();
    assert_eq!(folders.len(), 2, "two delivery days: {folders:?}");
    let midnight = truth.files.iter().find(|f| f.path.contains("_20261102T0000Z_")).unwrap();
    assert!(midnight.path.contains("/2026/11/02/") && midnight.first_timestamp.as_deref().unwrap().starts_with("2026-11-01T23:5"));
    let r = recount(dir.path());
    assert_eq!(r.status, truth.status_counts);
    assert_sections_match(&r, truth);
}

/// The checked-in tree must be what the generator makes today (compared decompressed, so a
/// different deflate implementation does not matter); regenerate it as its README says.
#[test]
fn bundled_sample_logs_are_up_to_date() {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs");
    let (fresh, done) = write(&CorpusSpec::sample());
    assert_eq!(Truth::read(&bundled.join("truth.json")).unwrap(), done.truth, "sample-logs/truth.json is stale");
    let listing = |root: &Path| -> Vec<(String, Vec<u8>)> {
        files_under(&root.join("AWSLogs")).iter().map(|p| (rel(root, p), decompress(p))).collect()
    };
    assert!(listing(&bundled) == listing(fresh.path()), "sample-logs/AWSLogs is stale");
}

/// `--vended-fields` writes a delivery of a subset of the fields: each record carries
/// those, in that order, and nothing else; a list without `time` or with a name that is
/// no field is refused.
#[test]
fn the_vended_fields_flag_writes_a_delivery_of_a_subset_of_fields() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = |out: &str, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_albmtls-corpus"))
            .args(["--out", &dir.path().join(out).display().to_string(), "--files", "2", "--lines", "50", "--no-other-logs", "--plain"])
            .args(extra)
            .output()
            .unwrap()
    };
    let written = corpus("subset", &["--delivery", "json", "--vended-fields", "tls_verify_status,time,client_ip"]);
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let files: Vec<PathBuf> = files_under(&dir.path().join("subset/AWSLogs"));
    assert_eq!(files.len(), 2);
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
            let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["client_ip", "time", "tls_verify_status"], "{line}");
            assert!(line.starts_with("{\"tls_verify_status\":"), "in the order given: {line}");
        }
    }
    for (extra, problem) in [
        (&["--delivery", "json", "--vended-fields", "client_ip"][..], "still needs `time`"),
        (&["--delivery", "w3c", "--vended-fields", "time,nope"][..], "`nope` is not a connection-log field"),
        (&["--vended-fields", "time"][..], "--vended-fields needs --delivery"),
    ] {
        let refused = corpus("refused", extra);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains(problem), "{extra:?}: {}", String::from_utf8_lossy(&refused.stderr));
    }
}
