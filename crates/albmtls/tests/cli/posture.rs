//! The report's load-balancer, listener, TLS, latency and expiry sections end to end:
//! the LB from a file name, the new filters, thresholds and CSV sections.

use crate::harness::{DAY, TestDir};

const SOON: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-10T00:00:00Z";
const LATER: &str = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-06-01T00:00:00Z";

/// Two load balancers: one writes field 14, the other's 12-field lines name it only in
/// the file name.
fn files(t: &TestDir) {
    let current = [
        format!(
            "2026-11-02T10:00:01.000000Z 203.0.113.1 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.010 \"CN=soon\" {SOON} 0A Success TID_1 X25519MLKEM768 app/edge-a/1111aaaa 10.0.0.1"
        ),
        format!(
            "2026-11-02T10:00:02.000000Z 203.0.113.2 1 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.020 \"CN=later\" {LATER} 0B Success TID_2 secp256r1 app/edge-a/1111aaaa 10.0.0.1"
        ),
        format!(
            "2026-11-02T10:00:03.000000Z 203.0.113.3 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=x\" {LATER} 0C Failed:ClientCertUntrusted TID_3 X25519MLKEM768 app/edge-a/1111aaaa 10.0.0.1"
        ),
    ];
    let older = [
        format!("2026-11-02T10:01:00.000000Z 198.51.100.9 1 8443 TLSv1.1 ECDHE-RSA-AES128-SHA 0.300 \"CN=old\" {LATER} 0D Success TID_4"),
        format!("2026-11-02T10:02:00.000000Z 198.51.100.9 1 8443 TLSv1 AES128-SHA - \"CN=old\" {LATER} 0D Failed:ClientCertExpired TID_5"),
    ];
    t.write(
        &format!("logs/{DAY}/conn_log_1_elasticloadbalancing_us-east-1_app.edge-a.1111aaaa_20261102T1005Z_10.0.0.1_a.log"),
        (current.join("\n") + "\n").as_bytes(),
    );
    t.write(
        &format!("logs/{DAY}/conn_log_1_elasticloadbalancing_us-east-1_app.edge-b.2222bbbb_20261102T1005Z_10.0.0.2_b.log"),
        (older.join("\n") + "\n").as_bytes(),
    );
}

#[test]
fn load_balancers_come_from_field_14_or_the_file_name() {
    let t = TestDir::new();
    files(&t);
    let run = t.run(&["report", "--format", "json", "logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let lbs: Vec<(&str, u64, u64)> = json["load_balancers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lb| (lb["elb"].as_str().unwrap(), lb["records"].as_u64().unwrap(), lb["failed"].as_u64().unwrap()))
        .collect();
    assert_eq!(lbs, [("app/edge-a/1111aaaa", 3, 1), ("app/edge-b/2222bbbb", 2, 1)]);
    assert_eq!(json["listeners"][0]["port"], 443);
    assert_eq!(json["tls"]["post_quantum_share"], 66.67);
    assert_eq!(json["tls"]["legacy_clients"][0]["ip"], "198.51.100.9");
    assert_eq!(json["handshake_latency"]["max"], 0.3);
    let expiring = &json["expiring"]["certificates"];
    assert_eq!((expiring.as_array().unwrap().len(), expiring[0]["subject"].as_str()), (1, Some("CN=soon")));
    let table = t.run(&["report", "logs"]);
    for heading in ["Load balancers", "Listeners", "TLS", "Handshake latency", "Certificates expiring within 30 days"] {
        assert!(table.stdout.contains(heading), "{heading}:\n{}", table.stdout);
    }
}

#[test]
fn lb_protocol_and_key_exchange_filters_for_report_and_grep() {
    let t = TestDir::new();
    files(&t);
    let count = |args: &[&str]| {
        let mut all = vec!["report", "--format", "json"];
        all.extend(args);
        all.push("logs");
        let run = t.run(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["records"].as_u64().unwrap()
    };
    assert_eq!(count(&["--lb", "edge-b"]), 2, "lines without field 14 match by the file name");
    assert_eq!(count(&["--lb", "1111aaaa", "--lb", "edge-b"]), 5);
    assert_eq!(count(&["--protocol", "1.3"]), 2);
    assert_eq!(count(&["--key-exchange", "pq"]), 2);
    assert_eq!(count(&["--key-exchange", "classic"]), 1);
    // Comma lists, as --ip and --status take them.
    assert_eq!(count(&["--lb", "1111aaaa,edge-b"]), 5);
    assert_eq!(count(&["--protocol", "1.3,TLSv1.1"]), 3);
    assert_eq!(count(&["--key-exchange", "X25519MLKEM768,secp256r1"]), 3);
    let grep = t.run(&["grep", "--lb", "edge-b", "--fields", "client_ip,tls_protocol", "logs"]);
    assert_eq!(grep.stdout.lines().collect::<Vec<_>>(), ["198.51.100.9 TLSv1.1", "198.51.100.9 TLSv1"], "{}", grep.stderr);
    let bad = t.run(&["report", "--protocol", "SSLv2", "logs"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a TLS protocol"), "{}", bad.stderr);
}

#[test]
fn fail_on_expiring_and_legacy_tls() {
    let t = TestDir::new();
    files(&t);
    let over = t.run(&["report", "--format", "json", "--fail-on", "expiring", "--fail-on", "legacy-tls>1", "logs"]);
    assert_eq!(over.code, 1, "{}", over.stderr);
    assert!(over.stderr.contains("--fail-on expiring (1 certificates expiring, more than 0)"), "{}", over.stderr);
    assert!(over.stderr.contains("--fail-on legacy-tls>1 (2 records on TLS 1.0/1.1, more than 1)"), "{}", over.stderr);
    let under = t.run(&["report", "--format", "json", "--fail-on", "expiring>1", "--fail-on", "legacy-tls>2", "logs"]);
    assert_eq!(under.code, 0, "{}", under.stderr);
    let narrow = t.run(&["report", "--format", "json", "--expiring-within", "7d", "--fail-on", "expiring", "logs"]);
    assert_eq!(narrow.code, 0, "the certificate expires in 7.6 days: {}", narrow.stderr);
    assert_eq!(narrow.json()["expiring"]["within_days"], 7);
    let bad = t.run(&["report", "--expiring-within", "36h", "logs"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("whole days"), "{}", bad.stderr);
}

#[test]
fn csv_sections_and_shards_merge_exactly() {
    let t = TestDir::new();
    files(&t);
    let lbs = t.run(&["report", "--format", "csv", "--section", "load-balancers", "logs"]);
    assert_eq!(lbs.code, 0, "{}", lbs.stderr);
    assert!(lbs.stdout.starts_with("load_balancer_or_port,records,failed,status,count\n"), "{}", lbs.stdout);
    assert!(lbs.stdout.contains("app/edge-b/2222bbbb,2,1,Failed:ClientCertExpired,1"), "{}", lbs.stdout);
    let expiring = t.run(&["report", "--format", "csv", "--section", "expiring", "logs"]);
    assert!(expiring.stdout.contains("CN=soon,0A,2026-11-10T00:00:00.000000Z,7,1,"), "{}", expiring.stdout);
    let wrong = t.run(&["report", "--section", "tls", "logs"]);
    assert_eq!(wrong.code, 2);

    let single = t.run(&["report", "--format", "json", "logs"]);
    for i in 0..2 {
        let run = t.run(&["report", "--shard", &format!("{i}/2"), "-o", &format!("p{i}.partial.json"), "logs"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let merged = t.run(&["merge", "--format", "json", "p0.partial.json", "p1.partial.json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(merged.stdout == single.stdout, "merged shards give the single run's report");
}

/// A partial file edited by hand so that its new sections no longer add up is refused by
/// `merge` with the reason, not merged into a report that contradicts itself.
#[test]
fn merge_refuses_a_partial_whose_sections_do_not_add_up() {
    let t = TestDir::new();
    files(&t);
    let run = t.run(&["report", "-o", "p.partial.json", "logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join("p.partial.json")).unwrap()).unwrap();
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 3] = [
        ("the records per load balancer and status do not add up to the records per status", |json| {
            let known = &mut json["aggregate"]["load_balancers"][0][1]["known"];
            let slot = known.as_array().unwrap().iter().position(|n| n.as_u64() > Some(0)).unwrap();
            known[slot] = (known[slot].as_u64().unwrap() + 1).into();
        }),
        ("beyond any real run", |json| json["aggregate"]["latency"]["by_load_balancer"][0][1][0][1] = (1u64 << 50).into()),
        ("successful connections", |json| json["aggregate"]["certificates"]["seen"][0]["connections"] = 1_000_000.into()),
    ];
    for (reason, edit) in edits {
        let mut json = written.clone();
        edit(&mut json);
        t.write("edited.partial.json", json.to_string().as_bytes());
        let merged = t.run(&["merge", "edited.partial.json"]);
        assert_eq!(merged.code, 2, "{reason}: {}", merged.stderr);
        assert!(merged.stderr.contains("edited.partial.json: not an albmtls partial file: "), "{}", merged.stderr);
        assert!(merged.stderr.contains(reason), "{reason}: {}", merged.stderr);
    }
    t.write("edited.partial.json", written.to_string().as_bytes());
    assert_eq!(t.run(&["merge", "edited.partial.json"]).code, 0, "the file as written merges");
}

#[test]
fn grep_fields_and_json_carry_the_key_exchange_load_balancer_and_node_address() {
    let t = TestDir::new();
    files(&t);
    let fields = t.run(&["grep", "--protocol", "TLSv1.3", "--fields", "client_ip,tls_keyexchange,elb,ip_address", "logs"]);
    assert_eq!(fields.code, 0, "{}", fields.stderr);
    assert_eq!(
        fields.stdout.lines().collect::<Vec<_>>(),
        ["203.0.113.1 X25519MLKEM768 app/edge-a/1111aaaa 10.0.0.1", "203.0.113.3 X25519MLKEM768 app/edge-a/1111aaaa 10.0.0.1"]
    );
    // A 12-field line has none of the three: `-` as in the log's own convention.
    let older = t.run(&["grep", "--protocol", "1.0", "--fields", "client_ip,tls_protocol,tls_keyexchange,elb,ip_address", "logs"]);
    assert_eq!(older.stdout, "198.51.100.9 TLSv1 - - -\n", "{}", older.stderr);

    let json = t.run(&["grep", "--json", "--key-exchange", "classic", "logs"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let record: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(record["client_ip"], "203.0.113.2");
    assert_eq!(record["tls_keyexchange"], "secp256r1");
    assert_eq!(record["elb"], "app/edge-a/1111aaaa");
    assert_eq!(record["ip_address"], "10.0.0.1");
    let json = t.run(&["grep", "--json", "--lb", "edge-b", "--protocol", "1.1", "logs"]);
    let record: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(record["tls_protocol"], "TLSv1.1");
    for absent in ["tls_keyexchange", "elb", "ip_address"] {
        assert_eq!(record[absent], serde_json::Value::Null, "{absent}: a 12-field line does not carry it");
    }

    let count = |args: &[&str]| {
        let mut all = vec!["grep", "--count"];
        all.extend(args);
        all.push("logs");
        t.run(&all).stdout.trim().parse::<u64>().unwrap()
    };
    assert_eq!(count(&["--key-exchange", "pq"]), 2);
    assert_eq!(count(&["--key-exchange", "X25519MLKEM768", "--status", "success"]), 1);
    assert_eq!(count(&["--key-exchange", "classic", "--key-exchange", "pq"]), 3, "any of several values");
    assert_eq!(count(&["--protocol", "1.0", "--protocol", "1.1"]), 2);
    assert_eq!(count(&["--protocol", "1.2", "--lb", "edge-b"]), 0);
}

#[test]
fn markdown_and_csv_show_every_new_section() {
    let t = TestDir::new();
    files(&t);
    let md = t.run(&["report", "--format", "md", "logs"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    for heading in ["## Load balancers", "## Listeners", "## TLS", "## Handshake latency", "## Certificates expiring within 30 days"] {
        assert!(md.stdout.contains(heading), "{heading}:\n{}", md.stdout);
    }
    for value in ["app/edge-b/2222bbbb", "8443", "TLSv1.1", "Post-quantum key exchange: 66.67%", "198.51.100.9", "CN=soon", "0.300"] {
        assert!(md.stdout.contains(value), "{value}:\n{}", md.stdout);
    }

    let csv = |section: &str| {
        let run = t.run(&["report", "--format", "csv", "--section", section, "logs"]);
        assert_eq!(run.code, 0, "{section}: {}", run.stderr);
        run.stdout
    };
    let listeners = csv("listeners");
    assert_eq!(
        listeners.lines().collect::<Vec<_>>(),
        [
            "load_balancer_or_port,records,failed,status,count",
            "443,3,1,Failed:ClientCertUntrusted,1",
            "443,3,1,Success,2",
            "8443,2,1,Failed:ClientCertExpired,1",
            "8443,2,1,Success,1",
        ]
    );
    let tls = csv("tls");
    for row in ["kind,value,records,post_quantum", "protocol,TLSv1,1,", "cipher,AES128-SHA,1,", "key_exchange,X25519MLKEM768,2,true"] {
        assert!(tls.lines().any(|l| l == row), "{row}:\n{tls}");
    }
    assert!(tls.lines().any(|l| l == "key_exchange,secp256r1,1,false"), "{tls}");
    assert!(tls.lines().any(|l| l.starts_with("legacy_client,198.51.100.9 TLSv1") && l.ends_with(",1,")), "{tls}");
    let latency = csv("latency");
    assert_eq!(
        latency.lines().collect::<Vec<_>>(),
        [
            "by,value,records,p50_seconds,p90_seconds,p99_seconds,max_seconds",
            "all,all,3,0.02,0.3,0.3,0.3",
            "protocol,TLSv1.1,1,0.3,0.3,0.3,0.3",
            "protocol,TLSv1.2,1,0.02,0.02,0.02,0.02",
            "protocol,TLSv1.3,1,0.01,0.01,0.01,0.01",
            "load_balancer,app/edge-a/1111aaaa,2,0.01,0.02,0.02,0.02",
            "load_balancer,app/edge-b/2222bbbb,1,0.3,0.3,0.3,0.3",
        ]
    );
}
