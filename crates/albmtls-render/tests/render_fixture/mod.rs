//! A report built from real connection-log lines, shared by the HTML, Prometheus and
//! Athena tests: every field-count generation, IPv6, plain HTTP, a subject full of HTML
//! metacharacters, an undocumented code with a quote and a backslash in it, malformed
//! lines, an input error and skipped files.

#![allow(dead_code)] // Each test binary uses its own part of the fixture.

use albmtls_parse::Record;
use albmtls_report::{Aggregate, InputError, Report, ReportOptions};

/// Name of the input the malformed lines are attributed to; it needs escaping in HTML.
pub const INPUT_NAME: &str = "logs/<odd> & \"name\".log";

/// The subject, as logged, that tries to inject markup.
pub const HOSTILE_SUBJECT: &str = r#"CN=<script>alert(1)</script>,O=Tom & Jerry \"Ltd\",C=US"#;

/// An undocumented status whose text needs escaping in Prometheus labels.
pub const WEIRD_STATUS: &str = r#"Failed:Weird"Code\"#;

/// Lines of every generation and situation, spread over a few hours with gaps.
pub fn lines() -> Vec<String> {
    let mut lines = vec![
        // 15 fields, success.
        "2026-11-02T07:00:01.000001Z 198.51.100.7 40000 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.012 \"CN=ok.example.com,O=Example Corp,C=US\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 0A1B Success TID_aa X25519MLKEM768 app/my-lb/50dc6c495c0c9188 10.0.1.10".to_owned(),
        // 13 fields, plain HTTP.
        "2026-11-02T07:10:00.500000Z 203.0.113.11 18286 80 - - - \"-\" - - - TID_5c51 -".to_owned(),
        // 11 fields, the original format.
        "2026-11-02T07:20:00.000000Z 192.0.2.10 1111 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-10-15T08:00:00Z;NotAfter=2026-10-15T08:00:00Z 02 Failed:ClientCertExpired".to_owned(),
        // Subject with HTML metacharacters and escaped quotes.
        format!("2026-11-02T07:25:00.000000Z 192.0.2.66 2222 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - \"{HOSTILE_SUBJECT}\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 4F1A Failed:ClientCertUntrusted TID_1"),
        // IPv6 client in brackets, 12 fields.
        "2026-11-02T08:05:00.250000Z [2001:db8:1::11] 28012 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=client-0017.example.com,OU=Engineering,O=Example Corp,L=City,ST=State,C=US\" NotBefore=2025-02-22T07:58:48Z;NotAfter=2027-02-22T07:58:48Z 2F4B Failed:ClientCertCrlHit TID_6a28".to_owned(),
        // An undocumented code with a quote and a backslash.
        format!("2026-11-02T09:40:00.000000Z 203.0.113.99 3333 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - \"-\" - - {WEIRD_STATUS} TID_9"),
        // Not a record: the subject is not quoted.
        "2026-11-02T07:30:00.000000Z 192.0.2.1 1 443 TLSv1.2 X - CN=unquoted - - Success".to_owned(),
        // Not a record: an access-log line.
        "https 2026-11-02T07:30:00.000000Z app/my-lb/50dc6c495c0c9188 192.0.2.1:443 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET https://example.com:443/ HTTP/1.1\"".to_owned(),
    ];
    // Expired certificates keep failing across the morning, from two clients.
    for (i, minute) in [0, 1, 2, 30, 31, 59].iter().enumerate() {
        let client = if i % 2 == 0 { "192.0.2.10" } else { "192.0.2.11" };
        lines.push(format!(
            "2026-11-02T08:{minute:02}:10.000000Z {client} {} 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - \"CN=client-expired.example.com,OU=IT,O=Company LLC,L=City,ST=State,C=US\" NotBefore=2025-10-15T08:00:00Z;NotAfter=2026-10-15T08:00:00Z 02 Failed:ClientCertExpired TID_e{i} secp256r1 app/my-lb/50dc6c495c0c9188 10.0.2.47",
            5000 + i
        ));
    }
    lines
}

/// The aggregate of [`lines`], as if read from one input, plus an input error and files
/// the walk skipped.
pub fn aggregate() -> Aggregate {
    let mut aggregate = Aggregate::new();
    aggregate.inputs_read = 2;
    for (i, line) in lines().iter().enumerate() {
        match Record::parse(line.as_bytes()) {
            Ok(record) => aggregate.add(&record),
            Err(error) => aggregate.add_malformed(0, INPUT_NAME, i as u64 + 1, line.as_bytes(), error),
        }
    }
    aggregate.input_errors.push(InputError {
        input: "logs/cut-short <gz>.log.gz".to_owned(),
        after_line: 42,
        message: "unexpected end of file & more".to_owned(),
    });
    aggregate.skipped_files.access_logs_and_other = 3;
    aggregate.skipped_files.health_check_logs = 1;
    aggregate
}

pub fn report() -> Report {
    Report::build(&aggregate(), ReportOptions::default())
}
