//! Attacker-controlled text (certificate subjects in logs, certificates, headers, file
//! names) through every command and format: human output never carries a raw control
//! byte, machine output keeps the exact value.

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, date_time_ymd};

use crate::harness::{TestDir, albmtls, gzip};

/// Retitles the terminal (OSC 0 ... BEL), clears it (CSI 2J), and a C1 CSI.
const HOSTILE: &str = "evil\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m|`x`<b>";

fn hostile_line() -> String {
    format!(
        "2026-11-02T07:55:00.394724Z 203.0.113.66 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.002 \"CN={HOSTILE}\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 0A Failed:ClientCertUntrusted -\n"
    )
}

/// No C0 control but newline, and no C1 control, anywhere in `text`.
fn assert_no_raw_controls(what: &str, text: &str) {
    let raw: Vec<char> = text.chars().filter(|&c| c.is_control() && c != '\n').collect();
    assert!(raw.is_empty(), "{what} carries raw control characters {raw:?}:\n{text}");
}

/// Runs `shell_command` (in `dir`) with stdout on a pseudo-terminal, via `script`.
fn on_a_terminal(t: &TestDir, shell_command: &str) -> Vec<u8> {
    let output = std::process::Command::new("script")
        .args(["-qec", shell_command, "/dev/null"])
        .current_dir(t.path())
        .env("TZ", "UTC")
        .env("TERM", "dumb")
        .output()
        .expect("running script(1) from util-linux");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

#[test]
fn hostile_subjects_in_logs_are_escaped_in_every_human_format_and_exact_in_machine_ones() {
    let t = TestDir::new();
    t.write("conn_log_hostile.gz", &gzip(hostile_line().as_bytes()));
    for format in ["table", "md"] {
        let run = t.run(&["report", "--format", format, "conn_log_hostile.gz"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_no_raw_controls(format, &run.stdout);
        assert!(run.stdout.contains("evil\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m"), "{format} shows the bytes escaped:\n{}", run.stdout);
    }
    let md = t.run(&["report", "--format", "md", "conn_log_hostile.gz"]).stdout;
    assert!(md.contains("31m\\|\\`x\\`&lt;b&gt;"), "Markdown escapes cell borders, code spans and HTML:\n{md}");
    let html = t.run(&["report", "--format", "html", "conn_log_hostile.gz"]).stdout;
    assert!(!html.contains("<b>") && !html.contains('\u{1b}'), "HTML escapes everything");
    let json = t.run(&["report", "--format", "json", "conn_log_hostile.gz"]).json();
    let subject = &json["failures"][0]["top_subjects"][0]["subject"];
    assert_eq!(subject, &format!("CN={HOSTILE}"), "JSON keeps the exact value (escaped by JSON's rules)");
    let csv = t.run(&["report", "--format", "csv", "conn_log_hostile.gz"]).stdout;
    assert!(csv.contains(HOSTILE), "CSV keeps the exact value");
}

#[test]
fn grep_is_byte_exact_into_a_pipe_and_escapes_on_a_terminal_unless_raw() {
    let t = TestDir::new();
    t.write("conn_log_hostile.gz", &gzip(hostile_line().as_bytes()));
    let piped = t.run(&["grep", "conn_log_hostile.gz"]);
    assert_eq!(piped.stdout, hostile_line(), "zcat's contract into a pipe");
    let binary = env!("CARGO_BIN_EXE_albmtls");
    let shown = String::from_utf8(on_a_terminal(&t, &format!("{binary} grep -H conn_log_hostile.gz"))).unwrap();
    assert_no_raw_controls("grep on a terminal", &shown.replace('\r', ""));
    assert!(shown.contains("CN=evil\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m"), "{shown}");
    let raw = on_a_terminal(&t, &format!("{binary} grep --raw conn_log_hostile.gz"));
    assert!(raw.windows(4).any(|w| w == b"\x1b[2J"), "--raw prints the line as it is");
}

#[test]
fn error_messages_escape_the_names_they_quote() {
    let t = TestDir::new();
    let run = albmtls().args(["report", "conn_log_\u{1b}]0;pwned\u{7}.gz"]).current_dir(t.path()).output().unwrap();
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_no_raw_controls("stderr", &stderr);
    assert!(stderr.contains("conn_log_\\x1b]0;pwned\\x07.gz"), "{stderr}");
}

#[test]
fn hostile_certificates_and_headers_are_escaped_by_the_doctor_and_exact_in_its_json() {
    let t = TestDir::new();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("CA {HOSTILE}"));
    let mut ca = CertificateParams::default();
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2020, 1, 1);
    ca.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let pem = ca.self_signed(&key).unwrap().pem();
    t.write("hostile-ca.pem", pem.as_bytes());
    for args in [
        vec!["bundle", "check", "hostile-ca.pem"],
        vec!["cert", "check", "--bundle", "hostile-ca.pem", "hostile-ca.pem"],
        vec!["bundle", "check", "--format", "json", "hostile-ca.pem"],
    ] {
        let run = t.run(&args);
        assert_ne!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_no_raw_controls(&format!("{args:?} stderr"), &run.stderr);
        if args.contains(&"json") {
            // JSON escapes C0 controls by its own rules and keeps everything else exact.
            let json = run.json().to_string();
            assert!(json.contains("evil\\u001b]0") && json.contains("owned\\u0007\\u001b[2J"), "JSON keeps the exact subject: {json}");
        } else {
            assert_no_raw_controls(&format!("{args:?} stdout"), &run.stdout);
            // Subjects are shown as RFC 4514 writes them (`;` escaped), control bytes escaped.
            assert!(run.stdout.contains("evil\\x1b]0\\;owned\\x07\\x1b[2J\\u{9b}31m"), "{args:?}:\n{}", run.stdout);
        }
    }
    let encoded: String = pem.bytes().map(|b| format!("%{b:02X}")).collect();
    // Verify mode sends the subject as plain text; passthrough URL-encodes the chain.
    let request =
        format!("GET / HTTP/1.1\r\nX-Amzn-Mtls-Clientcert-Subject: CN=\u{1b}]0;owned\u{7}\r\nX-Amzn-Mtls-Clientcert: {encoded}\r\n\r\n");
    let run = t.run_with_stdin(&["headers", "decode", "-"], Some(request.as_bytes()));
    assert_ne!(run.code, 2, "{}", run.stderr);
    assert_no_raw_controls("headers decode", &run.stdout);
    assert!(run.stdout.contains("CN=\\x1b]0;owned\\x07"), "the subject header, escaped:\n{}", run.stdout);
    assert!(run.stdout.contains("evil\\x1b]0\\;owned\\x07"), "the certificate in the chain header, escaped:\n{}", run.stdout);
}

/// A generation-15 line whose subject, undocumented status and load balancer (field 14)
/// are all hostile: the status and the LB become Prometheus labels.
fn hostile_line_with_status_and_lb() -> String {
    format!(
        "2026-11-02T07:55:00.394724Z 203.0.113.66 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.002 \"CN={HOSTILE}\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 0A Failed:Evil\u{1b}[2J TID_1 X25519MLKEM768 app/evil\u{1b}]0;t\u{7}/1 10.0.0.1\n"
    )
}

#[test]
fn hostile_text_stays_escaped_through_partial_files_merge_grep_fields_and_follow() {
    let t = TestDir::new();
    t.write("logs/conn_log_hostile.gz", &gzip(hostile_line().as_bytes()));
    let partial = t.run(&["report", "--format", "partial", "-o", "p.partial.json", "logs/conn_log_hostile.gz"]);
    assert_eq!(partial.code, 0, "{}", partial.stderr);
    let merged = t.run(&["merge", "p.partial.json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_no_raw_controls("merge's table", &merged.stdout);
    assert!(merged.stdout.contains("evil\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m"), "{}", merged.stdout);
    let json = t.run(&["merge", "--format", "json", "p.partial.json"]).json();
    assert_eq!(json["failures"][0]["top_subjects"][0]["subject"], format!("CN={HOSTILE}"), "a partial file keeps the exact value");

    let fields = ["grep", "--fields", "client_ip,leaf_client_cert_subject", "logs/conn_log_hostile.gz"];
    let piped = t.run(&fields);
    assert_eq!(piped.stdout, format!("203.0.113.66 \"CN={HOSTILE}\"\n"), "selected fields are exact into a pipe");
    let binary = env!("CARGO_BIN_EXE_albmtls");
    let shown = String::from_utf8(on_a_terminal(&t, &format!("{binary} {}", fields.join(" ")))).unwrap();
    assert_no_raw_controls("grep --fields on a terminal", &shown.replace('\r', ""));
    let grep_json = t.run(&["grep", "--json", "logs/conn_log_hostile.gz"]).json();
    assert_eq!(grep_json["leaf_client_cert_subject"], format!("CN={HOSTILE}"));

    // Not a terminal: one JSON object per poll, exact.
    // (A file changed within the last poll interval may still be growing: it is read at a
    // later poll, so the runs last a few polls.)
    let followed = t.run(&["report", "--follow", "--poll", "1s", "--follow-for", "3s", "logs/"]);
    assert_eq!(followed.code, 0, "{}", followed.stderr);
    let last: serde_json::Value = serde_json::from_str(followed.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["failures"][0]["top_subjects"][0]["subject"], format!("CN={HOSTILE}"), "{last}");
    // A terminal: the redrawn tables escape it.
    let redrawn = String::from_utf8(on_a_terminal(&t, &format!("{binary} report --follow --poll 1s --follow-for 3s logs/"))).unwrap();
    assert!(redrawn.contains("evil\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m"), "{redrawn}");
    let without_redraw_codes = redrawn.replace("\x1b[H", "").replace("\x1b[2J", "").replace("\x1b[J", "").replace('\r', "");
    assert!(!without_redraw_codes.contains("owned\u{7}"), "the subject's own control bytes never reach the terminal");
}

#[test]
fn hostile_labels_in_prometheus_are_exact_and_promtool_accepts_them() {
    let t = TestDir::new();
    t.write("conn_log_hostile.gz", &gzip(hostile_line_with_status_and_lb().as_bytes()));
    let prom = t.run(&["report", "--format", "prom", "conn_log_hostile.gz"]);
    assert_eq!(prom.code, 0, "{}", prom.stderr);
    assert!(prom.stdout.contains("status=\"Failed:Evil\u{1b}[2J\""), "the status label keeps the exact value:\n{}", prom.stdout);
    assert!(prom.stdout.contains("elb=\"app/evil\u{1b}]0;t\u{7}/1\""), "the LB label keeps the exact value:\n{}", prom.stdout);
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is needed for this test: apt-get install prometheus (.ci/run does)");
    std::io::Write::write_all(promtool.stdin.as_mut().unwrap(), prom.stdout.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(checked.status.success(), "promtool: {}", String::from_utf8_lossy(&checked.stderr));
    // The same line for people: escaped wherever it shows.
    let table = t.run(&["report", "conn_log_hostile.gz"]);
    assert_no_raw_controls("report table", &table.stdout);
    assert!(table.stdout.contains("Failed:Evil\\x1b[2J") && table.stdout.contains("app/evil\\x1b]0;t\\x07/1"), "{}", table.stdout);
}

#[test]
fn a_status_typed_with_control_characters_is_escaped_in_the_error() {
    let t = TestDir::new();
    for args in [vec!["explain", "ClientCert\u{1b}]0;x\u{7}Expired"], vec!["grep", "--status", "Client\u{1b}[2JCert", "."]] {
        let run = t.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_no_raw_controls(&format!("{args:?} stderr"), &run.stderr);
        assert_no_raw_controls(&format!("{args:?} stdout"), &run.stdout);
        assert!(run.stderr.contains("\\x1b"), "{args:?}: the control bytes are shown escaped:\n{}", run.stderr);
    }
}

#[test]
fn a_hostile_crl_issuer_is_escaped_in_text_and_exact_in_the_json_of_every_doctor_command() {
    use rcgen::{CertificateRevocationListParams, Issuer, KeyIdMethod, RevokedCertParams, SerialNumber};
    let t = TestDir::new();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("CA {HOSTILE}"));
    let mut ca = CertificateParams::default();
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2020, 1, 1);
    ca.not_after = date_time_ymd(2040, 1, 1);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let ca_pem = ca.self_signed(&key).unwrap().pem();
    t.write("hostile-ca.pem", ca_pem.as_bytes());
    let issuer = Issuer::new(ca, key);
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2025, 6, 1),
        next_update: date_time_ymd(2039, 6, 1),
        crl_number: SerialNumber::from(vec![1]),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(vec![0x0a]),
            revocation_time: date_time_ymd(2025, 6, 1),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    t.write("hostile.crl", crl.pem().unwrap().as_bytes());
    let exact = |json: &serde_json::Value, what: &str| {
        let text = json.to_string();
        assert!(text.contains("evil\\u001b]0") && text.contains("owned\\u0007\\u001b[2J"), "{what} JSON keeps the exact issuer: {text}");
    };
    for args in [
        vec!["crl", "inspect", "--bundle", "hostile-ca.pem", "hostile.crl"],
        vec!["crl", "contains", "0A", "hostile.crl"],
        vec!["cert", "check", "--bundle", "hostile-ca.pem", "--crl", "hostile.crl", "hostile-ca.pem"],
    ] {
        let run = t.run(&args);
        assert_ne!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_no_raw_controls(&format!("{args:?}"), &run.stdout);
        assert_no_raw_controls(&format!("{args:?} stderr"), &run.stderr);
        assert!(run.stdout.contains("evil\\x1b]0"), "{args:?} shows the issuer escaped:\n{}", run.stdout);
        if args[1] != "contains" {
            let mut json_args = args.clone();
            json_args.insert(2, "json");
            json_args.insert(2, "--format");
            let run = t.run(&json_args);
            assert_ne!(run.code, 2, "{json_args:?}: {}", run.stderr);
            exact(&run.json(), &format!("{json_args:?}"));
        }
    }
    let encoded: String = ca_pem.bytes().map(|b| format!("%{b:02X}")).collect();
    let request = format!("GET / HTTP/1.1\r\nX-Amzn-Mtls-Clientcert: {encoded}\r\n\r\n");
    let run = t.run_with_stdin(&["headers", "decode", "--format", "json", "-"], Some(request.as_bytes()));
    assert_ne!(run.code, 2, "{}", run.stderr);
    exact(&run.json(), "headers decode");
}
