//! The sections per load balancer and listener, TLS posture, handshake latency and
//! expiring certificates: the JSON contract, and exact merges of any split.

use albmtls_parse::Record;
use albmtls_report::{Aggregate, Partial, Report, ReportOptions};
use serde_json::{Value, json};

const V_SOON: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-12T10:00:00Z";
const V_LATER: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-12-20T00:00:00Z";
const V_PAST: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-01T00:00:00Z";
const V_EDGE: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-02T10:05:00Z";

/// (line, input load balancer from the file name).
fn lines() -> Vec<(String, Option<&'static str>)> {
    let lb_a = "app/edge-a/1111aaaa";
    let lb_b = "app/edge-b/2222bbbb";
    vec![
        (
            format!(
                "2026-11-02T10:00:01.000000Z 203.0.113.7 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.010 \"CN=soon,O=\\\"Q\\\" LLC\" {V_SOON} 0A Success TID_1 X25519MLKEM768 {lb_a} 10.0.0.1"
            ),
            None,
        ),
        (
            format!(
                "2026-11-02T10:00:02.000000Z 203.0.113.8 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.020 \"CN=soon,O=\\\"Q\\\" LLC\" {V_SOON} 0A Success TID_2 x25519mlkem768 {lb_a} 10.0.0.1"
            ),
            None,
        ),
        (
            format!(
                "2026-11-02T10:00:03.000000Z 203.0.113.9 1 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.300 \"CN=later\" {V_LATER} 0B Success TID_3 secp256r1 {lb_b} 10.0.0.2"
            ),
            None,
        ),
        (
            format!(
                "2026-11-02T10:00:04.000000Z 198.51.100.1 1 8443 TLSv1.1 ECDHE-RSA-AES128-SHA - \"CN=old\" {V_PAST} 0C Failed:ClientCertExpired TID_4 secp256r1 {lb_b} 10.0.0.2"
            ),
            None,
        ),
        (
            format!(
                "2026-11-02T10:00:05.000000Z 198.51.100.1 1 8443 TLSv1 AES128-SHA 1.500 \"CN=past\" {V_PAST} 0D Success TID_5 - {lb_b} 10.0.0.2"
            ),
            None,
        ),
        // 12 fields: no field 14, so the load balancer comes from the input's name.
        (format!("2026-11-02T10:00:06.000000Z 198.51.100.2 1 443 TLSv1 AES128-SHA abc \"CN=edge\" {V_EDGE} 0E Success TID_6"), Some(lb_a)),
        (
            "2026-11-02T10:00:07.000000Z 198.51.100.2 1 443 TLSv1 AES128-SHA 0.001 \"CN=bad\" NotBefore=x 0F Success TID_7 a<b".to_owned(),
            None,
        ),
        ("2026-11-02T10:05:00.000000Z 192.0.2.1 1 80 - - - \"-\" - - - TID_8".to_owned(), None),
        (
            format!(
                "2026-11-02T10:01:00.000000Z 192.0.2.2 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=x\" {V_SOON} 10 Failed:ClientCertUntrusted TID_9 X25519MLKEM768 {lb_a} 10.0.0.1"
            ),
            None,
        ),
    ]
}

/// The run the partial files of these tests come from.
const RUN: &str = "0123456789abcdef0123456789abcdef";

fn aggregate(lines: &[(String, Option<&str>)]) -> Aggregate {
    let mut aggregate = Aggregate::new();
    for (line, lb) in lines {
        aggregate.add_from(&Record::parse(line.as_bytes()).unwrap(), lb.map(str::as_bytes));
    }
    aggregate
}

fn report_json(aggregate: &Aggregate, options: ReportOptions) -> Value {
    serde_json::to_value(Report::build(aggregate, options)).unwrap()
}

#[test]
fn sections_follow_the_json_contract() {
    let r = report_json(&aggregate(&lines()), ReportOptions::default());
    assert_eq!(
        r["load_balancers"],
        json!([
            // Equal failures: more records first.
            {"elb": "app/edge-a/1111aaaa", "records": 4, "failed": 1, "status_counts": {"Failed:ClientCertUntrusted": 1, "Success": 3}},
            {"elb": "app/edge-b/2222bbbb", "records": 3, "failed": 1, "status_counts": {"Failed:ClientCertExpired": 1, "Success": 2}},
            {"elb": "-", "records": 2, "failed": 0, "status_counts": {"-": 1, "Success": 1}},
        ])
    );
    assert_eq!(
        r["listeners"],
        json!([
            {"port": 443, "records": 6, "failed": 1, "status_counts": {"Failed:ClientCertUntrusted": 1, "Success": 5}},
            {"port": 8443, "records": 2, "failed": 1, "status_counts": {"Failed:ClientCertExpired": 1, "Success": 1}},
            {"port": 80, "records": 1, "failed": 0, "status_counts": {"-": 1}},
        ])
    );
    let tls = &r["tls"];
    assert_eq!(tls["protocols"], json!({"TLSv1": 3, "TLSv1.1": 1, "TLSv1.2": 1, "TLSv1.3": 3}));
    assert_eq!(tls["ciphers"]["AES128-SHA"], 3);
    // Field 13 present and not `-` on 6 lines, one of them malformed: 5 counted, 3 ML-KEM.
    assert_eq!(tls["key_exchanges"], json!({"X25519MLKEM768": 2, "secp256r1": 2, "x25519mlkem768": 1}));
    assert_eq!((tls["key_exchange_records"].clone(), tls["post_quantum_records"].clone()), (json!(5), json!(3)));
    assert_eq!(tls["post_quantum_share"], 60.0);
    assert_eq!(
        tls["legacy_clients"],
        json!([
            {"ip": "198.51.100.2", "protocol": "TLSv1", "count": 2},
            {"ip": "198.51.100.1", "protocol": "TLSv1", "count": 1},
            {"ip": "198.51.100.1", "protocol": "TLSv1.1", "count": 1},
        ])
    );
    // Latencies 10, 20, 300, 1500, 1 ms (`abc` is malformed, `-` is none).
    let latency = &r["handshake_latency"];
    assert_eq!(latency["records"], 5);
    assert_eq!((latency["p50"].clone(), latency["p90"].clone(), latency["p99"].clone()), (json!(0.02), json!(1.5), json!(1.5)));
    assert_eq!(latency["max"], 1.5);
    assert_eq!(latency["by_protocol"]["TLSv1.3"], json!({"records": 2, "p50": 0.01, "p90": 0.02, "p99": 0.02, "max": 0.02}));
    assert_eq!(r["skipped"]["malformed_values"], json!({"tls_handshake_latency": 1, "leaf_client_cert_validity": 1, "tls_keyexchange": 1}));
    // As of the latest record (10:05): CN=edge expires exactly then (not after it), CN=past
    // before; CN=x only failed. CN=soon expires in 10 days, CN=later beyond 30.
    let expiring = &r["expiring"];
    assert_eq!(expiring["as_of"], "2026-11-02T10:05:00.000000Z");
    assert_eq!(expiring["within_days"], 30);
    assert_eq!(
        expiring["certificates"],
        json!([{
            "subject": "CN=soon,O=\"Q\" LLC", "serial": "0A", "not_after": "2026-11-12T10:00:00.000000Z", "days_left": 9,
            "connections": 2, "last_seen": "2026-11-02T10:00:02.000000Z", "last_client_ip": "203.0.113.8"
        }])
    );
    let wider = report_json(&aggregate(&lines()), ReportOptions { expiring_within_days: 60, ..ReportOptions::default() });
    let subjects: Vec<&str> =
        wider["expiring"]["certificates"].as_array().unwrap().iter().map(|c| c["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["CN=soon,O=\"Q\" LLC", "CN=later"]);
}

#[test]
fn every_split_and_partial_round_trip_gives_the_one_pass_report() {
    let lines = lines();
    let whole = aggregate(&lines);
    let expected = report_json(&whole, ReportOptions::default());
    for split in 0..=lines.len() {
        let (a, b) = lines.split_at(split);
        let mut merged = aggregate(b);
        merged.merge(aggregate(a));
        assert_eq!(merged, whole, "split at {split}");
        assert_eq!(report_json(&merged, ReportOptions::default()), expected, "split at {split}");
    }
    let mut json = Vec::new();
    Partial::write_json(&whole, RUN, None, &mut json).unwrap();
    let back = Partial::from_json("p.json", &json).unwrap().aggregate;
    assert_eq!(back, whole);
    assert_eq!(report_json(&back, ReportOptions::default()), expected);
}

#[test]
fn an_empty_report_has_empty_sections() {
    let r = report_json(&Aggregate::new(), ReportOptions::default());
    assert_eq!(r["load_balancers"], json!([]));
    assert_eq!(r["tls"]["post_quantum_share"], 0.0);
    assert_eq!(r["handshake_latency"]["p50"], Value::Null);
    assert_eq!(r["expiring"], json!({"as_of": null, "within_days": 30, "certificates": []}));
}

/// A certificate's validity text is read once and remembered: a renewed text, a
/// malformed one and the first text again must each still be read for what they say.
#[test]
fn a_certificate_seen_with_another_validity_keeps_the_latest_not_after_and_counts_malformed_ones() {
    let line = |second: u32, validity: &str| {
        (
            format!(
                "2026-11-02T10:00:{second:02}.000000Z 203.0.113.7 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.010 \"CN=dev\" {validity} 0A Success TID_{second} X25519MLKEM768 app/a/1 10.0.0.1"
            ),
            None,
        )
    };
    let lines = vec![line(1, V_SOON), line(2, V_LATER), line(3, "NotBefore=x"), line(4, V_SOON), line(5, V_SOON)];
    let r = report_json(&aggregate(&lines), ReportOptions { expiring_within_days: 60, ..ReportOptions::default() });
    assert_eq!(r["skipped"]["malformed_values"], json!({"leaf_client_cert_validity": 1}));
    assert_eq!(
        r["expiring"]["certificates"],
        json!([{
            "subject": "CN=dev", "serial": "0A", "not_after": "2026-12-20T00:00:00.000000Z", "days_left": 47,
            "connections": 4, "last_seen": "2026-11-02T10:00:05.000000Z", "last_client_ip": "203.0.113.7"
        }])
    );
}
