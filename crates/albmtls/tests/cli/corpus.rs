//! Reports on generated corpora checked against what the generator wrote, and the
//! parallel path checked against the single-threaded one.

use std::collections::BTreeMap;
use std::path::Path;

use albmtls_corpus::{CorpusSpec, LatencyTruth, TrafficTruth, Truth, generate};
use serde_json::Value;

use crate::harness::{TestDir, files_under};

pub fn corpus(t: &TestDir, files: usize, lines: usize, seed: u64) -> Truth {
    let mut spec = CorpusSpec::realistic();
    spec.seed = seed;
    spec.files = files;
    spec.lines_per_file = lines;
    generate(&spec, &t.path().join("corpus")).unwrap().truth
}

/// Truth keys clients as written; the report shows addresses without brackets.
fn unbracket(ip: &str) -> &str {
    ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')).unwrap_or(ip)
}

/// A load balancer's or listener's row as the truth has it.
fn traffic(row: &Value) -> TrafficTruth {
    TrafficTruth {
        records: row["records"].as_u64().unwrap(),
        failed: row["failed"].as_u64().unwrap(),
        status_counts: serde_json::from_value(row["status_counts"].clone()).unwrap(),
    }
}

fn counts(map: &Value) -> BTreeMap<String, u64> {
    serde_json::from_value(map.clone()).unwrap()
}

/// Latency percentiles in seconds, as the report gives them, from the truth's milliseconds.
fn seconds(latency: &LatencyTruth) -> [Option<f64>; 4] {
    [latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms].map(|ms| Some(f64::from(ms) / 1000.0))
}

fn assert_latency(summary: &Value, latency: &LatencyTruth, what: &str) {
    assert_eq!(summary["records"].as_u64(), Some(latency.records), "{what}");
    let got = ["p50", "p90", "p99", "max"].map(|p| summary[p].as_f64());
    assert_eq!(got, seconds(latency), "{what}: p50, p90, p99, max");
}

/// The sections per load balancer and listener, on TLS, handshake latency and expiring
/// certificates of a report run with `--top top`.
fn assert_sections_match_truth(report: &Value, truth: &Truth, top: usize) {
    let rows = |key: &str, name: &str| -> Vec<(String, TrafficTruth)> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row[name].as_str().map_or_else(|| row[name].to_string(), str::to_owned), traffic(row)))
            .collect()
    };
    // Most failed first; ties by records, then name.
    let mut lbs: Vec<(String, TrafficTruth)> = truth.load_balancers.clone().into_iter().collect();
    lbs.sort_by(|a, b| b.1.failed.cmp(&a.1.failed).then(b.1.records.cmp(&a.1.records)).then(a.0.cmp(&b.0)));
    assert_eq!(rows("load_balancers", "elb"), lbs);
    let mut listeners: Vec<(String, TrafficTruth)> = truth.listeners.iter().map(|(p, t)| (p.to_string(), t.clone())).collect();
    listeners.sort_by_key(|(port, t)| (std::cmp::Reverse(t.failed), port.parse::<u16>().unwrap()));
    assert_eq!(rows("listeners", "port"), listeners);

    let tls = &report["tls"];
    assert_eq!(counts(&tls["protocols"]), truth.tls.protocols);
    assert_eq!(counts(&tls["ciphers"]), truth.tls.ciphers);
    assert_eq!(counts(&tls["key_exchanges"]), truth.tls.key_exchanges);
    assert_eq!(tls["key_exchange_records"].as_u64(), Some(truth.tls.key_exchange_records));
    assert_eq!(tls["post_quantum_records"].as_u64(), Some(truth.tls.post_quantum_records));
    let share = (truth.tls.post_quantum_records as f64 * 10_000.0 / truth.tls.key_exchange_records as f64).round() / 100.0;
    assert_eq!(tls["post_quantum_share"].as_f64(), Some(share), "a percentage with two decimals");
    assert_eq!(tls["legacy_records"].as_u64(), Some(truth.tls.legacy_records));
    let legacy: Vec<(String, String, u64)> = tls["legacy_clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["ip"].as_str().unwrap().to_owned(), c["protocol"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(String, String, u64)> =
        truth.tls.legacy_clients.iter().map(|c| (unbracket(&c.ip).to_owned(), c.protocol.clone(), c.count)).collect();
    assert_eq!(legacy, expected[..top.min(expected.len())], "the top legacy clients, most records first");

    let latency = &report["handshake_latency"];
    assert_latency(latency, truth.handshake_latency.overall.as_ref().unwrap(), "overall");
    for (key, truths) in
        [("by_protocol", &truth.handshake_latency.by_protocol), ("by_load_balancer", &truth.handshake_latency.by_load_balancer)]
    {
        let got = latency[key].as_object().unwrap();
        assert_eq!(got.keys().collect::<Vec<_>>(), truths.keys().collect::<Vec<_>>(), "{key}");
        for (name, expected) in truths {
            assert_latency(&got[name], expected, name);
        }
    }

    let expiring = &report["expiring"];
    assert_eq!(expiring["as_of"].as_str(), truth.expiring.as_of.as_deref());
    assert_eq!(expiring["within_days"].as_u64(), Some(u64::from(truth.expiring.within_days)));
    type Row<'a> = (&'a str, &'a str, &'a str, i64, u64, &'a str, &'a str);
    let got: Vec<Row<'_>> = expiring["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap();
            let days_left = c["days_left"].as_i64().unwrap();
            (
                text("subject"),
                text("serial"),
                text("not_after"),
                days_left,
                c["connections"].as_u64().unwrap(),
                text("last_seen"),
                text("last_client_ip"),
            )
        })
        .collect();
    let expected: Vec<Row<'_>> = truth
        .expiring
        .certificates
        .iter()
        .map(|c| (&*c.subject, &*c.serial, &*c.not_after, c.days_left, c.connections, &*c.last_seen, unbracket(&c.last_client_ip)))
        .collect();
    assert_eq!(got, expected);
}

fn assert_report_matches_truth(report: &Value, truth: &Truth, top: usize) {
    assert_eq!(report["records"].as_u64(), Some(truth.records));
    assert_eq!(report["malformed"].as_u64(), Some(0));
    let counts: BTreeMap<String, u64> = serde_json::from_value(report["status_counts"].clone()).unwrap();
    assert_eq!(counts, truth.status_counts);
    let generations: BTreeMap<String, u64> = serde_json::from_value(report["field_counts"].clone()).unwrap();
    let expected: BTreeMap<String, u64> = truth.lines_by_generation.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(generations, expected);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), counts.keys().filter(|s| s.starts_with("Failed:")).count());
    for failure in failures {
        let status = failure["status"].as_str().unwrap();
        assert_eq!(failure["distinct_clients"].as_u64(), truth.distinct_clients_by_status.get(status).copied(), "{status}");
        let clients: BTreeMap<&str, u64> = truth.clients_by_status[status].iter().map(|(ip, n)| (unbracket(ip), *n)).collect();
        for top in failure["top_clients"].as_array().unwrap() {
            assert_eq!(clients.get(top["ip"].as_str().unwrap()).copied(), top["count"].as_u64(), "{status} {top}");
        }
        let best = clients.values().max().copied();
        assert_eq!(failure["top_clients"][0]["count"].as_u64(), best, "{status}: the top client comes first");
        let subjects = &truth.subjects_by_status[status];
        for top in failure["top_subjects"].as_array().unwrap() {
            assert_eq!(subjects.get(top["subject"].as_str().unwrap()).copied(), top["count"].as_u64(), "{status} {top}");
        }
    }
    assert_sections_match_truth(report, truth, top);
}

#[test]
fn report_equals_what_the_generator_wrote() {
    let t = TestDir::new();
    let truth = corpus(&t, 12, 3000, 7);
    assert!(truth.ipv6_lines > 0 && truth.lines_by_generation.len() == 4, "the corpus must exercise IPv6 and every generation");
    assert!(truth.load_balancers.len() == 3 && truth.listeners.len() == 4, "several load balancers and listeners");
    assert!(truth.tls.legacy_records > 0 && truth.tls.key_exchanges.len() == 5 && !truth.expiring.certificates.is_empty());
    let run = t.run(&["report", "--format", "json", "--top", "1000", "-j", "1", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_report_matches_truth(&report, &truth, 1000);
    let two = t.run(&["report", "--format", "json", "--top", "1000", "-j", "2", "corpus"]);
    assert!(two.stdout == run.stdout, "reports differ between -j1 and -j2");
    // Shards of the inputs, written as partial files and merged, give the same report.
    let mut partials = Vec::new();
    for shard in 0..3 {
        let partial = format!("shard{shard}.partial.json");
        let part = t.run(&["report", "--shard", &format!("{shard}/3"), "-o", &partial, "corpus"]);
        assert_eq!(part.code, 0, "{}", part.stderr);
        partials.push(partial);
    }
    let mut merge = vec!["merge", "--format", "json", "--top", "1000"];
    merge.extend(partials.iter().map(String::as_str));
    let merged = t.run(&merge);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_report_matches_truth(&merged.json(), &truth, 1000);
    assert!(merged.stdout == run.stdout, "merged shards give the single run's report");
    let skipped = &report["skipped"];
    let skipped_files: u64 =
        ["files_not_connection_logs", "health_check_logs", "test_files"].iter().map(|k| skipped[k].as_u64().unwrap()).sum();
    // truth.json sits in the walked folder too, and is rightly not read as a log.
    assert_eq!(skipped_files, truth.other_files.len() as u64 + 1);
}

#[test]
fn bundled_sample_logs_report_equals_their_truth() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs");
    let truth = Truth::read(&sample.join("truth.json")).unwrap();
    let run = TestDir::new().run(&["report", "--format", "json", "--top", "1000", sample.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_report_matches_truth(&run.json(), &truth, 1000);
}

#[test]
fn parallel_run_equals_single_threaded_run() {
    let t = TestDir::new();
    corpus(&t, 9, 4000, 11);
    let one = t.run(&["report", "--format", "json", "-j", "1", "corpus"]);
    let many = t.run(&["report", "--format", "json", "-j", "4", "corpus"]);
    assert_eq!(one.code, 0);
    assert!(one.stdout == many.stdout, "reports differ between -j1 and -j4");
    let grep_one = t.run(&["grep", "--failed", "-j", "1", "corpus"]);
    let grep_many = t.run(&["grep", "--failed", "-j", "4", "corpus"]);
    let sorted = |s: &str| {
        let mut lines: Vec<&str> = s.lines().collect();
        lines.sort_unstable();
        lines.join("\n")
    };
    assert!(sorted(&grep_one.stdout) == sorted(&grep_many.stdout), "grep outputs differ between -j1 and -j4");
    assert_eq!(
        grep_one.stdout.lines().count() as u64,
        one.json()["failures"].as_array().unwrap().iter().map(|f| f["count"].as_u64().unwrap()).sum::<u64>()
    );
}

/// A fleet where every line is a new client and a new subject: the counts that grow with
/// the input (distinct clients and subjects, their top lists) are exact against the
/// generator, and the parallel run equals the single-threaded one byte for byte.
#[test]
fn every_line_a_new_client_and_subject_is_counted_exactly_on_one_and_many_threads() {
    let t = TestDir::new();
    let mut spec = CorpusSpec::realistic();
    spec.seed = 19;
    spec.files = 5;
    spec.lines_per_file = 6_000;
    spec.subject_length = Some(120);
    let mut spec = spec.into_fleet();
    spec.per_key_truth = true;
    let truth = generate(&spec, &t.path().join("corpus")).unwrap().truth;
    let failed: u64 = truth.distinct_clients_by_status.iter().filter(|(s, _)| s.starts_with("Failed:")).map(|(_, n)| n).sum();
    assert!(failed >= 29_000, "nearly every line is a new failing client: {failed}");
    let one = t.run(&["report", "--format", "json", "--top", "20", "-j", "1", "corpus"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let report = one.json();
    assert_report_matches_truth(&report, &truth, 20);
    for failure in report["failures"].as_array().unwrap() {
        let status = failure["status"].as_str().unwrap();
        assert_eq!(failure["distinct_subjects"].as_u64(), truth.distinct_subjects_by_status.get(status).copied(), "{status}");
    }
    for threads in ["2", "3"] {
        let many = t.run(&["report", "--format", "json", "--top", "20", "-j", threads, "corpus"]);
        assert!(one.stdout == many.stdout, "reports differ between -j1 and -j{threads}");
    }
}

/// A file as ALB writes them, many gzip members back to back, large enough to be cut
/// into segments: `decoded` cut into members of `lines_per_member` lines.
fn write_many_members(path: &Path, decoded: &[u8], lines_per_member: usize) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).unwrap();
    let lines: Vec<&[u8]> = decoded.split_inclusive(|&b| b == b'\n').collect();
    for member in lines.chunks(lines_per_member) {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
        for line in member {
            encoder.write_all(line).unwrap();
        }
        file.write_all(&encoder.finish().unwrap()).unwrap();
    }
}

/// One large file of many members, read while the other core would idle (its only
/// neighbour is a small note), is inflated on several threads: the report (the line
/// numbers of malformed lines in its later segments included) and grep's output, in
/// order, are those of one thread.
#[test]
fn a_large_file_inflated_on_several_threads_reads_as_one_stream() {
    let t = TestDir::new();
    let mut spec = CorpusSpec::realistic();
    spec.seed = 23;
    spec.files = 1;
    spec.lines_per_file = 90_000;
    spec.include_other_logs = false;
    spec.plain = true;
    generate(&spec, &t.path().join("generated")).unwrap();
    let generated = files_under(&t.path().join("generated")).into_iter().find(|path| path.extension().is_some_and(|e| e == "log")).unwrap();
    let decoded = std::fs::read(&generated).unwrap();
    // Malformed lines deep into the file, where only a count of the segments before
    // gives their numbers.
    let mut lines: Vec<&[u8]> = decoded.split_inclusive(|&b| b == b'\n').collect();
    let malformed_at = [61_000, 75_500, 89_990];
    for at in malformed_at {
        lines.insert(at - 1, b"not a connection-log line\n");
    }
    std::fs::create_dir(t.path().join("big")).unwrap();
    let name = format!("{}.gz", generated.file_name().unwrap().to_str().unwrap());
    write_many_members(&t.path().join("big").join(name), &lines.concat(), 250);
    // A note beside the log makes two inputs for two workers: the file is still read
    // with help, being far larger than the rest.
    std::fs::write(t.path().join("big").join("README.txt"), "logs copied from the bucket\n").unwrap();

    let one = t.run(&["report", "--format", "json", "-j", "1", "big"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let two = t.run(&["-vv", "report", "--format", "json", "-j", "2", "big"]);
    assert!(two.stderr.contains("inflating on a thread per worker"), "the file was not inflated in parallel: {}", two.stderr);
    assert!(one.stdout == two.stdout, "reports differ between one and several inflate threads");
    let report = one.json();
    assert_eq!(report["records"].as_u64(), Some(90_000));
    let samples: Vec<u64> =
        report["skipped"]["malformed_samples"].as_array().unwrap().iter().map(|s| s["line"].as_u64().unwrap()).collect();
    assert_eq!(samples, malformed_at.map(|at| at as u64));

    let grep_one = t.run(&["grep", "--failed", "-j", "1", "big"]);
    let grep_two = t.run(&["grep", "--failed", "-j", "2", "big"]);
    assert_eq!(grep_one.code, 0, "{}", grep_one.stderr);
    assert!(grep_one.stdout == grep_two.stdout, "grep output differs, in content or order");
    assert!(grep_one.stdout.lines().count() > 1_000);
}
