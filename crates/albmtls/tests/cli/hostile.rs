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
