//! A CLI that never surprises: one meaning for every status name, values typed the way
//! people type them, help and man pages that say what options are, tables that fit, and
//! results that explain themselves.

use std::path::{Path, PathBuf};

use crate::harness::{TestDir, albmtls};

const LINES: &str = concat!(
    "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=Laptop-1,O=Company LLC\" - 02 Failed:ClientCertExpired\n",
    "2026-11-02T10:01:03.000003Z 2001:db8::1f 40003 443 TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 - \"CN=x\" - 0A1B Failed:ClientCertCrlHit\n",
    "2026-11-02T10:02:04.000004Z 198.51.100.9 40004 443 TLSv1.3 TLS_AES_256_GCM_SHA384 0.021 \"CN=ok.example.com\" - 0C Success\n",
    "2026-11-02T10:03:05.000005Z 198.51.100.9 40005 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"-\" - - Failed:ClientCertRevoked\n",
);

fn logs() -> TestDir {
    let t = TestDir::new();
    t.write("conn_log_a.log", LINES.as_bytes());
    t
}

fn count(t: &TestDir, args: &[&str]) -> String {
    let mut all = vec!["grep", "--count"];
    all.extend_from_slice(args);
    all.push("conn_log_a.log");
    let run = t.run(&all);
    assert!(run.code == 0 || run.code == 1, "{args:?}: {}", run.stderr);
    run.stdout.trim().to_owned()
}

#[test]
fn a_bare_undocumented_code_matches_its_failed_status_in_any_case() {
    let t = logs();
    for typed in ["ClientCertRevoked", "clientcertrevoked", "Failed:ClientCertRevoked", "FAILED:clientcertrevoked"] {
        assert_eq!(count(&t, &["--status", typed]), "1", "{typed}");
    }
    for typed in ["failed:clientcertexpired", "Failed:ClientCertExpired", "clientcertexpired", "SUCCESS"] {
        assert_eq!(count(&t, &["--status", typed]), "1", "{typed}");
    }
    let report = t.run(&["report", "--format", "json", "--status", "ClientCertRevoked", "conn_log_a.log"]);
    assert_eq!(report.json()["status_counts"], serde_json::json!({"Failed:ClientCertRevoked": 1}));
}

#[test]
fn a_code_neither_documented_nor_seen_warns_with_the_closest_code() {
    let t = logs();
    let grep = t.run(&["grep", "--status", "Failed:ClientCertExpird", "conn_log_a.log"]);
    assert_eq!(grep.code, 1);
    assert!(
        grep.stderr.contains(
            "no record has the status Failed:ClientCertExpird, and AWS does not document that code; did you mean ClientCertExpired?"
        ),
        "{}",
        grep.stderr
    );
    let report = t.run(&["report", "--status", "ClientCertExpird", "conn_log_a.log"]);
    assert!(report.stderr.contains("did you mean ClientCertExpired?"), "{}", report.stderr);
    let threshold = t.run(&["report", "--fail-on", "ClientCertExpird", "conn_log_a.log"]);
    assert!(threshold.stderr.contains("--fail-on: no record has the status Failed:ClientCertExpird"), "{}", threshold.stderr);
    // Seen in the inputs: no warning, although AWS does not document it.
    let seen = t.run(&["grep", "--status", "ClientCertRevoked", "conn_log_a.log"]);
    assert!(!seen.stderr.contains("warning"), "{}", seen.stderr);
    // In the inputs but outside the time asked for is seen too: the code is no typo.
    for command in ["grep", "report"] {
        let outside = t.run(&[command, "--status", "ClientCertRevoked", "--since", "2026-11-03", "conn_log_a.log"]);
        assert!(outside.stderr.contains("no record is in the time range asked for"), "{command}: {}", outside.stderr);
        assert!(!outside.stderr.contains("does not document"), "{command}: {}", outside.stderr);
    }
    let threshold = t.run(&["report", "--since", "2026-11-03", "--fail-on", "ClientCertRevoked", "conn_log_a.log"]);
    assert!(!threshold.stderr.contains("does not document"), "{}", threshold.stderr);
}

#[test]
fn comma_separated_values_hyphenated_ages_utc_times_and_subject_case() {
    let t = logs();
    assert_eq!(count(&t, &["--ip", "203.0.113.7,2001:db8::1f"]), "2");
    assert_eq!(count(&t, &["--status", "ClientCertExpired,Success"]), "2");
    assert_eq!(count(&t, &["--status", "ClientCertExpired", "--status", "Success"]), "2");
    assert_eq!(count(&t, &["--port", "443,8443"]), "4");
    assert_eq!(count(&t, &["--since", "2026-11-02T10:01:00"]), "3", "a time without Z is UTC");
    assert_eq!(count(&t, &["--since", "2026-11-02T10:01:00", "--until", "2026-11-02T10:03"]), "2");
    // The sample is years old: `--since -1h` keeps nothing, `--until -1h` everything.
    assert_eq!(count(&t, &["--since", "-1h"]), "0");
    assert_eq!(count(&t, &["--until", "-1h"]), "4");
    assert_eq!(count(&t, &["--subject", "laptop"]), "0");
    assert_eq!(count(&t, &["--subject", "laptop", "-i"]), "1");
    assert_eq!(count(&t, &["--subject", "LAPTOP-1", "--ignore-case"]), "1");
}

#[test]
fn help_headings_say_what_options_are() {
    let help = TestDir::new().run(&["report", "-h"]).stdout;
    let section = |name: &str| -> String {
        let start = help.find(&format!("\n{name}:\n")).unwrap_or_else(|| panic!("no {name} heading:\n{help}"));
        let rest = &help[start + name.len() + 3..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_owned()
    };
    let output = section("Output");
    for option in ["--format", "--output", "--top", "--bucket", "--fail-on"] {
        assert!(output.contains(option), "{option} is an output option:\n{help}");
    }
    let s3 = section("S3");
    for option in ["--format", "--top", "--bucket", "--fail-on"] {
        assert!(!s3.contains(option), "{option} is not an S3 option:\n{s3}");
    }
    assert!(section("Filters").contains("--since"), "{help}");
    let grep = TestDir::new().run(&["grep", "-h"]).stdout;
    let output = &grep[grep.find("\nOutput:\n").expect("grep has an Output heading")..];
    let output = &output[..output[1..].find("\n\n").unwrap_or(output.len())];
    for option in ["--fields", "--json", "--count", "--with-filename"] {
        assert!(output.contains(option), "{option}:\n{grep}");
    }
}

#[test]
fn man_pages_for_every_subcommand_with_filters_and_exit_status() {
    let t = TestDir::new();
    let report = t.run(&["man", "report"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(report.stdout.contains(".TH albmtls-report 1"), "{:.300}", report.stdout);
    assert!(report.stdout.contains(".SH FILTERS") && report.stdout.contains("\\-\\-since"), "{}", report.stdout);
    assert!(report.stdout.contains(".SH OUTPUT"), "{}", report.stdout);
    assert!(report.stdout.contains(".SH \"EXIT STATUS\"") && report.stdout.contains("threshold was crossed"), "{}", report.stdout);
    let nested = t.run(&["man", "bundle", "check"]);
    assert!(nested.stdout.contains(".TH albmtls-bundle-check 1"), "{}", nested.stdout);
    assert!(nested.stdout.contains(".SH \"EXIT STATUS\"\n0 ALB accepts the bundle"), "{}", nested.stdout);
    let unknown = t.run(&["man", "reprot"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no man page for `reprot`"), "{}", unknown.stderr);

    std::fs::create_dir(t.path().join("man1")).unwrap();
    let all = t.run(&["man", "--dir", "man1"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let mut pages: Vec<String> =
        std::fs::read_dir(t.path().join("man1")).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    for page in ["albmtls.1", "albmtls-report.1", "albmtls-crl.1", "albmtls-crl-inspect.1", "albmtls-headers-decode.1"] {
        assert!(pages.iter().any(|p| p == page), "{page} is among the pages written: {pages:?}");
    }
    for page in &pages {
        let text = std::fs::read_to_string(t.path().join("man1").join(page)).unwrap();
        let section = text.find(".SH \"EXIT STATUS\"\n").unwrap_or_else(|| panic!("{page} has no EXIT STATUS section:\n{text}"));
        let body = text[section..].lines().nth(1).unwrap_or_default();
        assert!(body.starts_with("0 ") || body.starts_with("That of the subcommand"), "{page}: {body}");
        assert_eq!(text.matches("Exit status").count(), 0, "{page} states its exit status once, in its section:\n{text}");
    }
    let parent = std::fs::read_to_string(t.path().join("man1/albmtls-crl.1")).unwrap();
    assert!(parent.contains("albmtls\\-crl\\-inspect(1)"), "a parent page points to its subcommands' pages:\n{parent}");
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs").canonicalize().unwrap()
}

/// Every status text a report can show, longest first.
fn status_names() -> Vec<String> {
    let explained = TestDir::new().run(&["explain", "all", "--json"]).json();
    let mut names: Vec<String> = explained.as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap().to_owned()).collect();
    names.push("Failed:ClientCertRevoked".to_owned());
    names
}

#[test]
fn tables_fit_80_columns_without_splitting_a_status_name() {
    let names = status_names();
    for columns in ["80", "0"] {
        let run = albmtls().args(["report", sample().to_str().unwrap()]).env("COLUMNS", columns).output().unwrap();
        let run = crate::harness::Run::from(run);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for line in run.stdout.lines() {
            // Tables and the summary fit; the remediation steps are prose of their own.
            let fits = line.starts_with(['┌', '│', '╞', '├', '└']) || line.contains("records from") || line.starts_with("Not counted");
            assert!(!fits || line.chars().count() <= 80, "COLUMNS={columns}: a line of {} columns:\n{line}", line.chars().count());
            for (i, _) in line.match_indices("Failed:") {
                let word: String = line[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == ':').collect();
                assert!(names.contains(&word), "COLUMNS={columns}: `{word}` is a split status name:\n{line}");
            }
        }
        assert!(run.stdout.contains(" = Failed:"), "abbreviated timeline codes have a legend:\n{}", run.stdout);
    }
}

#[test]
fn an_empty_result_says_what_the_inputs_span() {
    let t = logs();
    let grep = t.run(&["grep", "--since", "2026-11-03", "conn_log_a.log"]);
    assert_eq!(grep.code, 1);
    assert!(
        grep.stderr.contains(
            "notice: no record is in the time range asked for (2026-11-03T00:00:00.000000Z on): the inputs span 2026-11-02T10:00:01.000001Z to 2026-11-02T10:03:05.000005Z"
        ),
        "{}",
        grep.stderr
    );
    let report = t.run(&["report", "--until", "2026-11-01", "conn_log_a.log"]);
    assert!(report.stderr.contains("the inputs span 2026-11-02T10:00:01.000001Z to 2026-11-02T10:03:05.000005Z"), "{}", report.stderr);
}

#[test]
fn a_crossed_threshold_is_a_notice_not_an_error() {
    let t = logs();
    let run = t.run(&["report", "--fail-on", "ClientCertExpired", "conn_log_a.log"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("albmtls: notice: threshold crossed: --fail-on ClientCertExpired"), "{}", run.stderr);
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
}

#[test]
fn the_html_report_says_when_and_how_it_was_made_and_what_its_inputs_span() {
    let t = logs();
    let run = t.run(&["report", "--format", "html", "--since", "2026-11-02T10:01:00Z", "conn_log_a.log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let made = run.stdout.lines().find(|l| l.contains("class=\"muted made\"")).unwrap_or_else(|| panic!("{:.2000}", run.stdout));
    assert!(made.contains(&format!("by albmtls {}", env!("CARGO_PKG_VERSION"))), "{made}");
    assert!(made.contains("<code>albmtls report --format html --since 2026-11-02T10:01:00Z conn_log_a.log</code>"), "{made}");
    assert!(made.contains("the inputs span 2026-11-02T10:00:01.000001Z to 2026-11-02T10:03:05.000005Z"), "{made}");
    let year = &made[made.find("Made ").unwrap() + 5..][..4];
    assert!(year.parse::<u32>().is_ok_and(|y| y >= 2024), "a generation time: {made}");
    let header = &run.stdout[..run.stdout.find("</header>").unwrap()];
    assert!(header.contains("class=\"muted made\""), "at the top");
}

#[test]
fn athena_takes_the_logging_prefix_or_the_full_prefix_report_takes() {
    let t = TestDir::new();
    let args = |location: &str| {
        let run = t.run(&["athena", "--location", location, "--account", "123456789012", "--region", "us-east-1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let short = args("s3://my-logs/prod");
    let full = args("s3://my-logs/prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/");
    assert!(short.contains("LOCATION 's3://my-logs/prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/'"), "{short}");
    assert_eq!(full, short);
    assert_eq!(full.matches("AWSLogs/").count(), short.matches("AWSLogs/").count());
    let other =
        t.run(&["athena", "--location", "s3://my-logs/prod/AWSLogs/999999999999/", "--account", "123456789012", "--region", "us-east-1"]);
    assert_eq!(other.code, 2);
    assert!(other.stderr.contains("is under 999999999999 but --account is 123456789012"), "{}", other.stderr);
}
