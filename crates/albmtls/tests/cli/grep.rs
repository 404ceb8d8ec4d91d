use crate::harness::{TestDir, albmtls, conn_log_name};

const EXPIRED_WITH_SPACE: &str = "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2026-04-02T19:17:20Z 02 Failed:ClientCertExpired TID_1";
const SUCCESS_SAME_IP: &str = "2026-11-02T10:00:02.000001Z 203.0.113.7 40002 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.010 \"CN=ok\" NotBefore=2025-01-02T19:17:20Z;NotAfter=2027-04-02T19:17:20Z 03 Success TID_2";
const FAILED_OTHER_IP: &str =
    "2026-11-02T10:00:03.000001Z 203.0.113.70 40003 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=a b\" - 04 Failed:ClientCertUntrusted TID_3";

fn logs(t: &TestDir) {
    t.write_gz(&conn_log_name("1005"), &[&format!("{EXPIRED_WITH_SPACE}\n{SUCCESS_SAME_IP}\n{FAILED_OTHER_IP}\n")]);
}

#[test]
fn prints_matching_lines_as_written_where_awk_field_splitting_fails() {
    let t = TestDir::new();
    logs(&t);
    // zcat | awk '($2 == "203.0.113.7" && $11 ~ "Failed")' misses this line: the space
    // in "Company LLC" shifts the status to $12.
    let run = t.run(&["grep", "--ip", "203.0.113.7", "--failed", "AWSLogs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{EXPIRED_WITH_SPACE}\n"));
}

#[test]
fn nothing_matched_exits_1_like_grep() {
    let t = TestDir::new();
    logs(&t);
    let run = t.run(&["grep", "--ip", "192.0.2.1", "AWSLogs"]);
    assert_eq!((run.code, run.stdout.as_str()), (1, ""));
}

#[test]
fn count_fields_and_json_outputs() {
    let t = TestDir::new();
    logs(&t);
    assert_eq!(t.run(&["grep", "--count", "--status", "failed", "AWSLogs"]).stdout, "2\n");
    let fields =
        t.run(&["grep", "--status", "ClientCertExpired", "--fields", "client_ip,leaf_client_cert_subject,tls_verify_status", "AWSLogs"]);
    assert_eq!(
        fields.stdout,
        "203.0.113.7 \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" Failed:ClientCertExpired\n"
    );
    let json = t.run(&["grep", "--json", "--subject", "a b", "AWSLogs"]);
    let record: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(record["client_ip"], "203.0.113.70");
    assert_eq!(record["leaf_client_cert_subject"], "CN=a b");
    assert_eq!(record["leaf_client_cert_validity"], serde_json::Value::Null);
    assert_eq!(record["tls_verify_status"], "Failed:ClientCertUntrusted");
    assert_eq!(record["line"], 3);
    let bad = t.run(&["grep", "--fields", "status", "AWSLogs"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("unknown field `status`") && bad.stderr.contains("tls_verify_status"), "{}", bad.stderr);
}

#[test]
fn with_filename_prefixes_name_and_line() {
    let t = TestDir::new();
    t.write("conn_log_x", format!("{SUCCESS_SAME_IP}\n{FAILED_OTHER_IP}\n").as_bytes());
    assert_eq!(t.run(&["grep", "-H", "--failed", "conn_log_x"]).stdout, format!("conn_log_x:2:{FAILED_OTHER_IP}\n"));
}

#[test]
fn closed_output_pipe_ends_the_run_quietly() {
    let t = TestDir::new();
    let many = format!("{EXPIRED_WITH_SPACE}\n").repeat(200_000);
    t.write_gz(&conn_log_name("1005"), &[&many]);
    let mut child = albmtls()
        .args(["grep", "AWSLogs"])
        .current_dir(t.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "a closed pipe is not an error worth printing");
}

#[test]
fn output_follows_the_listing_whatever_the_number_of_workers() {
    let t = TestDir::new();
    let line = |input: &str, i: usize| {
        format!(
            "2026-11-02T10:00:01.000001Z 203.0.113.7 {} 443 TLSv1.3 X - \"CN={input}\" - 02 Failed:ClientCertExpired TID_{i}\n",
            i % 60_000
        )
    };
    // The first input is the largest: with several workers the later ones finish first,
    // and the second holds more output than is kept in memory before spooling to disk.
    let sizes = [("a", 150_000), ("b", 100_000), ("c", 10), ("d", 3)];
    let mut expected = String::new();
    for (name, lines) in sizes {
        let text: String = (0..lines).map(|i| line(name, i)).collect();
        expected.push_str(&text);
        t.write(&format!("conn_log_{name}"), text.as_bytes());
    }
    for threads in ["1", "2", "4"] {
        let run = t.run(&["grep", "-j", threads, "--failed", "conn_log_a", "conn_log_b", "conn_log_c", "conn_log_d"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout == expected, "-j {threads}: output differs from the inputs in listing order");
    }
}
