//! Millions of distinct clients and subjects are counted exactly: aggregates of parts,
//! merged in any order, equal one pass over everything, through partial files too.

use albmtls_parse::Record;
use albmtls_report::{Aggregate, Partial, Report, ReportOptions};

/// Failed lines where most clients and subjects are new, some repeat, and some are
/// IPv6, bracketed or absent.
fn lines(n: usize) -> Vec<String> {
    const CODES: [&str; 3] = ["ClientCertExpired", "ClientCertUntrusted", "ClientCertRevoked"];
    (0..n)
        .map(|i| {
            let id = if i % 5 == 0 { i % 97 } else { i };
            let ip = match id % 7 {
                0 => format!("2001:db8:{:x}::{:x}", id >> 16, id & 0xffff),
                1 => format!("[2001:db8::{:x}]", id),
                _ => format!("10.{}.{}.{}", (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff),
            };
            let subject = if id % 11 == 0 { "-".to_owned() } else { format!("\"CN=device-{id:07}.iot.example.net,O=\\\"Fleet\\\" Inc\"") };
            let status = if i % 13 == 0 { "Success".to_owned() } else { format!("Failed:{}", CODES[id % 3]) };
            format!("2026-11-02T10:{:02}:{:02}.{:06}Z {ip} 1 443 TLSv1.3 X - {subject} - 02 {status} TID_{i}", (i / 60) % 60, i % 60, i)
        })
        .collect()
}

/// The run the partial files of these tests come from.
const RUN: &str = "0123456789abcdef0123456789abcdef";

fn aggregate(lines: &[String]) -> Aggregate {
    let mut aggregate = Aggregate::new();
    for line in lines {
        aggregate.add(&Record::parse(line.as_bytes()).unwrap());
    }
    aggregate
}

fn report_json(aggregate: &Aggregate) -> String {
    serde_json::to_string(&Report::build(aggregate, ReportOptions { top: 25, ..ReportOptions::default() })).unwrap()
}

#[test]
fn distinct_clients_and_subjects_are_exact_however_the_work_is_split() {
    let all = lines(30_000);
    let whole = aggregate(&all);
    let report: serde_json::Value = serde_json::from_str(&report_json(&whole)).unwrap();
    let expired = report["failures"].as_array().unwrap().iter().find(|f| f["status"] == "Failed:ClientCertExpired").unwrap();
    // Every failed line of the code, minus repeats: computed the slow way.
    let mut clients = std::collections::BTreeSet::new();
    let mut subjects = std::collections::BTreeSet::new();
    for line in &all {
        let record = Record::parse(line.as_bytes()).unwrap();
        if record.status == b"Failed:ClientCertExpired" {
            clients.insert(record.client_ip);
            subjects.insert(record.subject.unwrap_or(b"-").to_vec());
        }
    }
    assert!(clients.len() > 5_000, "{}", clients.len());
    assert_eq!(expired["distinct_clients"].as_u64(), Some(clients.len() as u64));
    assert_eq!(expired["distinct_subjects"].as_u64(), Some(subjects.len() as u64));

    for parts in [2, 3, 8] {
        let chunks: Vec<&[String]> = all.chunks(all.len().div_ceil(parts)).collect();
        let mut forward = Aggregate::new();
        chunks.iter().for_each(|c| forward.merge(aggregate(c)));
        let mut backward = Aggregate::new();
        chunks.iter().rev().for_each(|c| backward.merge(aggregate(c)));
        assert_eq!(forward, whole, "{parts} parts");
        assert_eq!(backward, whole, "{parts} parts, last first");
        assert_eq!(report_json(&backward), report_json(&whole), "{parts} parts");
    }

    let mut json = Vec::new();
    Partial::write_json(&whole, RUN, None, &mut json).unwrap();
    let back = Partial::from_json("p.json", &json).unwrap().aggregate;
    assert_eq!(back, whole);
    let mut again = Vec::new();
    Partial::write_json(&back, RUN, None, &mut again).unwrap();
    assert!(again == json, "a partial file read back is written byte for byte the same");
}
