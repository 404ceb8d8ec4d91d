use crate::harness::{TestDir, conn_log_name, gzip};

/// One line of each field generation, a subject with spaces and escaped quotes, IPv6
/// clients bare and bracketed, CRLF, an unknown code and a plain-HTTP line.
const LINES: &str = concat!(
    "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2026-04-02T19:17:20Z 02 Failed:ClientCertExpired\n",
    "2026-11-02T10:00:02.000002Z 203.0.113.7 40002 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2026-04-02T19:17:20Z 02 Failed:ClientCertExpired TID_3180a73013c8ca4bac2f731159d4b0fe\n",
    "2026-11-02T10:01:03.000003Z 2001:db8::1f 40003 443 TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 - \"CN=x,O=\\\"Quoted\\\" Corp,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2027-04-02T19:17:20Z 0A1B Failed:ClientCertCrlHit TID_1 X25519MLKEM768\r\n",
    "2026-11-02T10:02:04.000004Z [2001:db8::2] 40004 8443 TLSv1.3 TLS_AES_256_GCM_SHA384 0.021 \"CN=ok.example.com\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2027-04-02T19:17:20Z 0C Success TID_2 x25519 app/my-lb/50dc6c495c0c9188 10.0.1.5\n",
    "2026-11-02T10:03:05.000005Z 198.51.100.9 40005 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"-\" - - Failed:ClientCertRevoked TID_3 - app/my-lb/50dc6c495c0c9188 10.0.1.5 - extra\n",
    "2026-11-02T10:04:06.000006Z 10.0.0.8 40006 80 - - - \"-\" - - - TID_4 - app/my-lb/50dc6c495c0c9188 10.0.1.5\n",
);

#[test]
fn json_report_counts_every_generation_and_keeps_unknown_codes() {
    let t = TestDir::new();
    t.write_gz(&conn_log_name("1005"), &[LINES]);
    let run = t.run(&["report", "--format", "json", "AWSLogs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["records"], 6);
    assert_eq!(r["malformed"], 0);
    assert_eq!(
        r["status_counts"],
        serde_json::json!({"Failed:ClientCertExpired": 2, "Failed:ClientCertCrlHit": 1, "Failed:ClientCertRevoked": 1, "Success": 1, "-": 1})
    );
    assert_eq!(r["field_counts"], serde_json::json!({"11": 1, "12": 1, "13": 1, "15": 3}));
    let failures = r["failures"].as_array().unwrap();
    assert_eq!(failures[0]["status"], "Failed:ClientCertExpired");
    assert_eq!(failures[0]["code"], "ClientCertExpired");
    assert_eq!(failures[0]["count"], 2);
    assert_eq!(failures[0]["distinct_clients"], 1);
    assert_eq!(failures[0]["top_clients"], serde_json::json!([{"ip": "203.0.113.7", "count": 2}]));
    assert_eq!(failures[0]["top_subjects"][0]["subject"], "CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US");
    assert_eq!(failures[0]["first_seen"], "2026-11-02T10:00:01.000001Z");
    assert_eq!(failures[0]["last_seen"], "2026-11-02T10:00:02.000002Z");
    assert!(failures[0]["remediation"]["steps"].as_array().unwrap().len() >= 2);
    let crl = failures.iter().find(|f| f["code"] == "ClientCertCrlHit").unwrap();
    assert_eq!(crl["top_subjects"][0]["subject"], "CN=x,O=\"Quoted\" Corp,C=US");
    assert_eq!(crl["top_clients"][0]["ip"], "2001:db8::1f");
    let unknown = failures.iter().find(|f| f["code"] == "ClientCertRevoked").unwrap();
    assert_eq!(unknown["documented"], false);
    assert_eq!(r["bucket"], "1m");
    let timeline = r["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 5);
    assert_eq!(timeline[0]["bucket_start"], "2026-11-02T10:00:00Z");
    assert_eq!(timeline[0]["status_counts"], serde_json::json!({"Failed:ClientCertExpired": 2}));
}

#[test]
fn malformed_lines_are_counted_with_file_and_line_and_blank_lines_are_not() {
    let t = TestDir::new();
    let body = format!("{LINES}\n   \nthis is not a log line\n2026-11-02T10:00:01Z 203.0.113.7 notaport 443 - - - \"-\" - - -\n");
    t.write("plain.log", body.as_bytes());
    let run = t.run(&["report", "--format", "json", "plain.log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!((r["records"].as_u64(), r["malformed"].as_u64()), (Some(6), Some(2)));
    assert_eq!(r["skipped"]["blank_lines"], 2);
    let samples = r["skipped"]["malformed_samples"].as_array().unwrap();
    assert_eq!(samples[0]["input"], "plain.log");
    assert_eq!(samples[0]["line"], 9);
    assert_eq!(samples[0]["field"], "timestamp");
    assert_eq!(samples[1]["line"], 10);
    assert_eq!(samples[1]["field"], "client_port");
    assert_eq!(samples[1]["problem"], "not_a_port");
}

#[test]
fn truncated_gzip_is_named_keeps_earlier_records_and_exits_2() {
    let t = TestDir::new();
    let many: String = LINES.repeat(3000);
    let full = gzip(many.as_bytes());
    t.write(&conn_log_name("1005"), &full[..full.len() * 2 / 3]);
    t.write_gz(&conn_log_name("1010"), &[LINES]);
    let run = t.run(&["report", "--format", "json", "AWSLogs"]);
    assert_eq!(run.code, 2, "a damaged input must make the run fail");
    let r = run.json();
    let records = r["records"].as_u64().unwrap();
    assert!(records > 6 + 6000 && records < 6 + 18000, "records before the damage are kept: {records}");
    let errors = r["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["input"].as_str().unwrap().ends_with("_abcd1005.log.gz"));
    assert!(errors[0]["message"].as_str().unwrap().contains("truncated"), "{}", errors[0]["message"]);
    assert!(run.stderr.contains("_abcd1005.log.gz") && run.stderr.contains("truncated"), "{}", run.stderr);
}

#[test]
fn input_errors_name_the_input_once_and_say_what_to_do() {
    let t = TestDir::new();
    t.write_gz(&conn_log_name("1005"), &[LINES]);
    // zstd's magic bytes: refused by name rather than read as malformed text.
    t.write("conn_log.zst", &[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    let run = t.run(&["report", "--format", "json", "AWSLogs", "conn_log.zst"]);
    assert_eq!(run.code, 2, "an input that cannot be read must make the run fail");
    let r = run.json();
    assert_eq!(r["records"], 6);
    let errors = r["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["input"], "conn_log.zst");
    assert_eq!(
        errors[0]["message"],
        "zstd-compressed data is not supported; ALB writes gzip: decompress it first (e.g. `zstd -dc`) and pass the result on stdin with `-`"
    );
}

#[test]
fn multi_member_gzip_is_read_to_the_end() {
    let t = TestDir::new();
    let lines: Vec<&str> = LINES.split_inclusive('\n').collect();
    t.write_gz("conn_log_members.gz", &lines);
    let r = t.run(&["report", "--format", "json", "conn_log_members.gz"]).json();
    assert_eq!(r["records"], 6);
}

#[test]
fn directory_walks_skip_other_logs_and_say_so() {
    let t = TestDir::new();
    t.write_gz(&conn_log_name("1005"), &[LINES]);
    t.write_gz(
        &format!("{}/123456789012_elasticloadbalancing_us-east-1_app.my-lb.1_20261102T1005Z_10.0.1.5_x.log.gz", crate::harness::DAY),
        &["h2 2026-11-02T10:00:00Z access log line\n"],
    );
    t.write_gz(&format!("{}/health_check_log_123456789012_x.log.gz", crate::harness::DAY), &["health\n"]);
    t.write("AWSLogs/123456789012/ELBConnectionLogTestFile", b"Enable ConnectionLog for ELB: my-lb at 2026-11-02T10:00:00Z\n");
    let r = t.run(&["report", "--format", "json", "."]).json();
    assert_eq!((r["records"].as_u64(), r["malformed"].as_u64(), r["inputs_read"].as_u64()), (Some(6), Some(0), Some(1)));
    let skipped = &r["skipped"];
    assert_eq!(
        (skipped["files_not_connection_logs"].as_u64(), skipped["health_check_logs"].as_u64(), skipped["test_files"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
}

#[test]
fn stdin_and_filters_apply_to_the_report() {
    let t = TestDir::new();
    let run = t.run_with_stdin(
        &["report", "--format", "json", "--ip", "2001:db8::/32", "--since", "2026-11-02T10:01:00Z", "-"],
        Some(LINES.as_bytes()),
    );
    let r = run.json();
    assert_eq!(r["records"], 2);
    assert_eq!(r["filtered_out"], 4);
    assert_eq!(r["status_counts"], serde_json::json!({"Failed:ClientCertCrlHit": 1, "Success": 1}));
}

#[test]
fn missing_path_is_an_error_but_the_rest_is_reported() {
    let t = TestDir::new();
    t.write("conn_log_a", LINES.as_bytes());
    let run = t.run(&["report", "--format", "json", "conn_log_a", "does-not-exist"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["records"], 6);
    assert!(run.stderr.contains("does-not-exist: cannot open") && run.stderr.contains("check the path"), "{}", run.stderr);
}

#[test]
fn bad_arguments_explain_what_to_type() {
    let t = TestDir::new();
    let run = t.run(&["report", "--status", "Client Cert Expird", "x"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown status `Client Cert Expird`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean ClientCertExpired?"), "{}", run.stderr);
    let run = t.run(&["report", "--since", "yesterday", "x"]);
    assert!(run.stderr.contains("--since") && run.stderr.contains("RFC 3339"), "{}", run.stderr);
    let run = t.run(&["report", "--bucket", "2m", "x"]);
    assert!(run.stderr.contains("use one of 1m, 5m, 15m, 1h, 1d"), "{}", run.stderr);
}

#[test]
fn table_output_snapshot() {
    let t = TestDir::new();
    t.write("conn_log_sample", format!("{LINES}garbage\n").as_bytes());
    let run = t.run(&["report", "--top", "3", "conn_log_sample"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("report_table", run.stdout);
}

#[test]
fn csv_and_markdown_outputs_snapshot() {
    let t = TestDir::new();
    t.write("conn_log_sample", LINES.as_bytes());
    insta::assert_snapshot!("report_csv", t.run(&["report", "--format", "csv", "conn_log_sample"]).stdout);
    let md = t.run(&["report", "--format", "md", "--bucket", "1h", "conn_log_sample"]).stdout;
    assert!(md.starts_with("# albmtls report\n"));
    let row = md.lines().find(|l| l.starts_with("| Failed:ClientCertExpired ")).expect("a Markdown row per status");
    assert_eq!(row.split('|').map(str::trim).nth(2), Some("2"), "{row}");
}

/// The inputs a `-vv` run finished, in the order it finished them.
fn inputs_in_read_order(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains("input done"))
        .filter_map(|line| line.split_whitespace().find_map(|word| word.strip_prefix("input=")))
        .collect()
}

#[test]
fn report_reads_the_largest_inputs_first_and_grep_keeps_the_listing_order() {
    let t = TestDir::new();
    t.write("a-small.log", LINES.as_bytes());
    t.write("b-large.log", LINES.repeat(50).as_bytes());
    t.write("c-medium.log", LINES.repeat(10).as_bytes());
    let files = ["a-small.log", "b-large.log", "c-medium.log"];
    let report = t.run(&[&["report", "--format", "json", "-j", "1", "-vv"][..], &files].concat());
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert_eq!(inputs_in_read_order(&report.stderr), ["b-large.log", "c-medium.log", "a-small.log"], "{}", report.stderr);
    assert_eq!(report.json()["records"], 6 * 61);

    let grep = t.run(&[&["grep", "--ip", "198.51.100.9", "-H", "-j", "1", "-vv"][..], &files].concat());
    assert_eq!(grep.code, 0, "{}", grep.stderr);
    assert_eq!(inputs_in_read_order(&grep.stderr), files, "{}", grep.stderr);
    let printed: Vec<&str> = grep.stdout.lines().map(|line| line.split(':').next().unwrap()).collect();
    let expected: Vec<&str> = [("a-small.log", 1), ("b-large.log", 50), ("c-medium.log", 10)]
        .iter()
        .flat_map(|&(name, n)| std::iter::repeat_n(name, n))
        .collect();
    assert_eq!(printed, expected);
}

#[test]
fn malformed_samples_follow_the_listing_when_a_larger_input_is_read_first() {
    let t = TestDir::new();
    t.write("a-small.log", format!("{LINES}not a record in a\n").as_bytes());
    t.write("b-large.log", format!("not a record in b\n{}", LINES.repeat(50)).as_bytes());
    let run = t.run(&["report", "--format", "json", "-j", "1", "-vv", "a-small.log", "b-large.log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(inputs_in_read_order(&run.stderr), ["b-large.log", "a-small.log"], "{}", run.stderr);
    let samples = run.json()["skipped"]["malformed_samples"].clone();
    let places: Vec<(&str, u64)> =
        samples.as_array().unwrap().iter().map(|s| (s["input"].as_str().unwrap(), s["line"].as_u64().unwrap())).collect();
    assert_eq!(places, [("a-small.log", 7), ("b-large.log", 1)]);
}
