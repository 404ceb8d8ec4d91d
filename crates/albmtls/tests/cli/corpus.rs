//! Reports on generated corpora checked against what the generator wrote, and the
//! parallel path checked against the single-threaded one.

use std::collections::BTreeMap;
use std::path::Path;

use albmtls_corpus::{CorpusSpec, Truth, generate};
use serde_json::Value;

use crate::harness::TestDir;

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

fn assert_report_matches_truth(report: &Value, truth: &Truth) {
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
}

#[test]
fn report_equals_what_the_generator_wrote() {
    let t = TestDir::new();
    let truth = corpus(&t, 12, 3000, 7);
    assert!(truth.ipv6_lines > 0 && truth.lines_by_generation.len() == 4, "the corpus must exercise IPv6 and every generation");
    let run = t.run(&["report", "--format", "json", "--top", "1000", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_report_matches_truth(&report, &truth);
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
    assert_report_matches_truth(&run.json(), &truth);
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
    assert_report_matches_truth(&report, &truth);
    for failure in report["failures"].as_array().unwrap() {
        let status = failure["status"].as_str().unwrap();
        assert_eq!(failure["distinct_subjects"].as_u64(), truth.distinct_subjects_by_status.get(status).copied(), "{status}");
    }
    for threads in ["2", "3"] {
        let many = t.run(&["report", "--format", "json", "--top", "20", "-j", threads, "corpus"]);
        assert!(one.stdout == many.stdout, "reports differ between -j1 and -j{threads}");
    }
}
