//! The Prometheus exposition: read back with a strict parser written here to the text
//! format's rules, then compared with the report it came from.

mod render_fixture;

use std::collections::{BTreeMap, BTreeSet};

use albmtls_parse::{FailureCode, StatusKey};
use albmtls_render::prom::write_prometheus;
use albmtls_report::report::{StatusCount, format_time};
use albmtls_report::{Aggregate, Report, ReportOptions};
use render_fixture::WEIRD_STATUS;

fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write_prometheus(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    /// The value as written, to compare exactly.
    value: String,
}

/// Parses text exposition format 0.0.4 strictly: every line is a `# HELP`, a `# TYPE` or
/// a sample; each family has exactly one HELP and one TYPE, both before its samples, and
/// its samples are contiguous; names and label names are valid; label values use only
/// the three escapes the format defines; values are floats; no series appears twice.
fn parse(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'), "the textfile collector wants a final line feed");
    let mut helps = BTreeSet::new();
    let mut types = BTreeMap::new();
    let mut finished = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series = BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty() && !line.ends_with(' ') && !line.contains('\t'), "stray white space: {line:?}");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a text");
            assert!(valid_metric_name(name), "{name}");
            assert!(!help.is_empty());
            assert!(helps.insert(name.to_owned()), "one HELP for {name}");
            assert!(!types.contains_key(name), "HELP before TYPE for {name}");
            switch_family(&mut current, &mut finished, name);
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{kind}");
            assert!(helps.contains(name), "HELP before TYPE for {name}");
            assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "one TYPE for {name}");
            assert_eq!(current.as_deref(), Some(name));
        } else if line.starts_with("# input error: ") {
            // Inputs that could not be read are named in plain comments, which scrapers
            // ignore; they belong to no family.
            assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
        } else {
            assert!(!line.starts_with('#'), "only HELP and TYPE comments, and input errors: {line}");
            let sample = parse_sample(line);
            assert!(types.contains_key(&sample.name), "HELP and TYPE before the samples of {}", sample.name);
            assert_eq!(current.as_deref(), Some(sample.name.as_str()), "samples of a family are contiguous");
            assert!(series.insert((sample.name.clone(), sample.labels.clone())), "duplicate series: {line}");
            samples.push(sample);
        }
    }
    samples
}

fn switch_family(current: &mut Option<String>, finished: &mut BTreeSet<String>, name: &str) {
    if let Some(previous) = current.replace(name.to_owned()) {
        finished.insert(previous);
    }
    assert!(!finished.contains(name), "family {name} appears twice");
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// `name{label="value",...} value` or `name value`; no timestamps (the collector sets them).
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(valid_metric_name(name), "{line}");
    let bytes = line.as_bytes();
    let mut pos = name_end;
    let mut labels = BTreeMap::new();
    if bytes[pos] == b'{' {
        pos += 1;
        loop {
            let eq = pos + line[pos..].find('=').unwrap_or_else(|| panic!("label without value: {line}"));
            let label = &line[pos..eq];
            assert!(valid_label_name(label), "label name {label:?}: {line}");
            assert_eq!(bytes.get(eq + 1), Some(&b'"'), "label values are quoted: {line}");
            pos = eq + 2;
            let mut value = String::new();
            let mut chars = line[pos..].char_indices();
            let close = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => panic!("escape {other:?} is not in the format: {line}"),
                    },
                    Some((i, '"')) => break pos + i,
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            };
            assert!(labels.insert(label.to_owned(), value).is_none(), "label {label} twice: {line}");
            pos = close + 1;
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b'}') => {
                    pos += 1;
                    break;
                }
                _ => panic!("labels are separated by , and end with }}: {line}"),
            }
        }
    }
    let value = line[pos..].strip_prefix(' ').unwrap_or_else(|| panic!("one space before the value: {line}"));
    assert!(!value.contains(' '), "no timestamp: {line}");
    assert!(value.parse::<f64>().is_ok() || ["NaN", "+Inf", "-Inf"].contains(&value), "value {value:?}: {line}");
    Sample { name: name.to_owned(), labels, value: value.to_owned() }
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    samples.iter().find(|s| s.name == name && s.labels == labels)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> String {
    find(samples, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?}")).value.clone()
}

/// Exact Unix seconds of a report time, computed another way than the renderer does.
fn unix_seconds(time: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(time).unwrap();
    format!("{}.{:06}", t.timestamp(), t.timestamp_subsec_micros())
}

#[test]
fn output_is_strict_exposition_format() {
    let samples = parse(&render(&render_fixture::report()));
    assert!(samples.len() > 40);
    for s in &samples {
        assert!(s.name.starts_with("albmtls_"), "{}", s.name);
    }
}

#[test]
fn values_equal_the_report() {
    let report = render_fixture::report();
    let samples = parse(&render(&report));

    assert_eq!(value(&samples, "albmtls_records", &[]), report.records.to_string());
    assert_eq!(value(&samples, "albmtls_malformed_lines", &[]), report.malformed.to_string());
    assert_eq!(value(&samples, "albmtls_input_errors", &[]), report.skipped.input_errors.len().to_string());
    assert_eq!(value(&samples, "albmtls_inputs_read", &[]), "2");
    assert_eq!(value(&samples, "albmtls_skipped_files", &[("kind", "access_log_or_other")]), "3");
    assert_eq!(value(&samples, "albmtls_skipped_files", &[("kind", "health_check_log")]), "1");
    assert_eq!(value(&samples, "albmtls_skipped_files", &[("kind", "test_file")]), "0");

    // Every status the report counted, with its count; the connection counts add up.
    for status in &report.statuses {
        assert_eq!(
            value(&samples, "albmtls_connections", &[("status", status.status.text())]),
            status.count.to_string(),
            "{}",
            status.status
        );
    }
    let total: u64 = samples.iter().filter(|s| s.name == "albmtls_connections").map(|s| s.value.parse::<u64>().unwrap()).sum();
    assert_eq!(total, report.records);

    for f in &report.failures {
        let documented = f.documented().to_string();
        assert_eq!(value(&samples, "albmtls_failed_connections", &[("code", f.code()), ("documented", &documented)]), f.count.to_string());
        assert_eq!(value(&samples, "albmtls_failure_distinct_clients", &[("code", f.code())]), f.distinct_clients.to_string());
        assert_eq!(value(&samples, "albmtls_failure_distinct_subjects", &[("code", f.code())]), f.distinct_subjects.to_string());
        assert_eq!(
            value(&samples, "albmtls_failure_last_seen_timestamp_seconds", &[("code", f.code())]),
            unix_seconds(&format_time(f.last_seen))
        );
    }
    let (first, last) = report.span.unwrap();
    assert_eq!(value(&samples, "albmtls_first_record_timestamp_seconds", &[]), unix_seconds(&format_time(first)));
    assert_eq!(value(&samples, "albmtls_last_record_timestamp_seconds", &[]), unix_seconds(&format_time(last)));
    assert_eq!(value(&samples, "albmtls_last_record_timestamp_seconds", &[]), "1793612400.000000");
}

#[test]
fn every_documented_code_is_always_written() {
    let report = render_fixture::report();
    let samples = parse(&render(&report));
    for code in FailureCode::ALL {
        let count = report.failures.iter().find(|f| f.code() == code.as_str()).map_or(0, |f| f.count);
        assert_eq!(value(&samples, "albmtls_failed_connections", &[("code", code.as_str()), ("documented", "true")]), count.to_string());
        assert!(find(&samples, "albmtls_connections", &[("status", code.status_text())]).is_some());
    }
}

#[test]
fn label_values_are_escaped() {
    let report = render_fixture::report();
    let text = render(&report);
    // `Failed:Weird"Code\` as the format spells it, and back to the original once parsed.
    assert!(text.contains(r#"albmtls_connections{status="Failed:Weird\"Code\\"} 1"#), "{text}");
    assert!(text.contains(r#"albmtls_failed_connections{code="Weird\"Code\\",documented="false"} 1"#));
    let samples = parse(&text);
    assert_eq!(value(&samples, "albmtls_connections", &[("status", WEIRD_STATUS)]), "1");

    // A line feed cannot come from a log line, but a hand-built report may carry one.
    let mut odd = report.clone();
    odd.statuses.push(StatusCount { status: StatusKey::from_text("Failed:Two\nLines"), count: 5, share: 0.0 });
    let samples = parse(&render(&odd));
    assert_eq!(value(&samples, "albmtls_connections", &[("status", "Failed:Two\nLines")]), "5");
}

#[test]
fn no_clients_or_subjects_in_labels() {
    let report = render_fixture::report();
    let samples = parse(&render(&report));
    let allowed: BTreeSet<&str> =
        ["status", "code", "documented", "kind", "elb", "port", "protocol", "group", "post_quantum", "stat", "within_days"].into();
    let mut private = BTreeSet::new();
    for f in &report.failures {
        private.extend(f.top_clients.iter().map(|c| c.ip.to_string()));
        private.extend(f.top_subjects.iter().map(|s| s.subject.clone()).filter(|s| s != "-"));
    }
    assert!(private.len() > 4);
    for s in &samples {
        for (label, value) in &s.labels {
            assert!(allowed.contains(label.as_str()), "label {label}");
            assert!(!private.contains(value), "{value} would be a series per client or subject");
        }
    }
}

#[test]
fn an_empty_report_is_valid_and_has_no_timestamps() {
    let empty = Report::build(&Aggregate::new(), ReportOptions::default());
    let samples = parse(&render(&empty));
    assert_eq!(value(&samples, "albmtls_records", &[]), "0");
    assert!(find(&samples, "albmtls_last_record_timestamp_seconds", &[]).is_none());
    assert!(samples.iter().all(|s| s.name != "albmtls_failure_last_seen_timestamp_seconds"));
}

/// The checker above is only worth something if it refuses what the format forbids.
#[test]
fn the_checker_refuses_broken_exposition() {
    let ok = "# HELP a_b Help.\n# TYPE a_b gauge\na_b{x=\"1\"} 2\n";
    parse(ok);
    for bad in [
        "a_b 1\n",                                                                          // no HELP or TYPE
        "# TYPE a_b gauge\n# HELP a_b Help.\na_b 1\n",                                      // TYPE before HELP
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b{x=\"a\"b\"} 1\n",                          // unescaped quote
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b{x=\"a\\tb\"} 1\n",                         // unknown escape
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b{x=\"1\"} 1\na_b{x=\"1\"} 2\n",             // duplicate series
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b one\n",                                    // not a number
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b 1",                                        // no final line feed
        "# HELP a_b Help.\n# TYPE a_b gauge\n# HELP c Help.\n# TYPE c gauge\nc 1\na_b 1\n", // interleaved
        "# HELP a_b Help.\n# TYPE a_b gauge\na_b{1x=\"1\"} 1\n",                            // bad label name
    ] {
        let refused = std::panic::catch_unwind(|| parse(bad)).is_err();
        assert!(refused, "accepted: {bad:?}");
    }
}

/// The report with every posture section filled: load balancers, listeners, TLS
/// protocols and key exchanges, latency and a certificate in the expiry window.
fn posture_report() -> Report {
    let mut aggregate = render_fixture::aggregate();
    let soon = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-20T00:00:00Z";
    for (i, (protocol, group)) in [("TLSv1.3", "X25519MLKEM768"), ("TLSv1.2", "secp256r1"), ("TLSv1", "secp256r1")].iter().enumerate() {
        let line = format!(
            "2026-11-02T09:5{i}:00.000000Z 198.51.100.{i} 1 8443 {protocol} AES128-SHA 0.10{i} \"CN=soon\\\"{i}\" {soon} 0{i} Success TID_p{i} {group} app/other-lb/1234abcd 10.0.0.{i}"
        );
        aggregate.add(&albmtls_parse::Record::parse(line.as_bytes()).unwrap());
    }
    Report::build(&aggregate, ReportOptions::default())
}

#[test]
fn posture_metrics_per_lb_listener_protocol_key_exchange_and_expiry() {
    let report = posture_report();
    let text = render(&report);
    let samples = parse(&text);
    let value = |name: &str, labels: &[(&str, &str)]| {
        let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        samples.iter().find(|s| s.name == name && s.labels == labels).map(|s| s.value.clone())
    };
    assert_eq!(
        value("albmtls_lb_connections", &[("elb", "app/my-lb/50dc6c495c0c9188"), ("status", "Failed:ClientCertExpired")]).as_deref(),
        Some("6")
    );
    assert_eq!(value("albmtls_lb_connections", &[("elb", "app/other-lb/1234abcd"), ("status", "Success")]).as_deref(), Some("3"));
    assert_eq!(value("albmtls_listener_connections", &[("port", "8443"), ("status", "Success")]).as_deref(), Some("3"));
    assert_eq!(value("albmtls_tls_protocol_connections", &[("protocol", "TLSv1")]).as_deref(), Some("1"));
    assert_eq!(
        value("albmtls_tls_key_exchange_connections", &[("group", "X25519MLKEM768"), ("post_quantum", "true")]).as_deref(),
        Some("2")
    );
    assert_eq!(value("albmtls_tls_legacy_connections", &[]).as_deref(), Some("1"));
    assert_eq!(value("albmtls_expiring_certificates", &[("within_days", "30")]).as_deref(), Some("3"));
    assert_eq!(value("albmtls_handshake_latency_seconds", &[("protocol", "all"), ("stat", "max")]).as_deref(), Some("0.102"));
}

/// promtool is the reference checker of the exposition format; the test fails when it is
/// missing (`.ci/run` installs it with the `prometheus` package).
#[test]
fn promtool_accepts_the_exposition() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    for report in [posture_report(), render_fixture::report(), Report::build(&Aggregate::new(), ReportOptions::default())] {
        let text = render(&report);
        let mut child = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool is needed for this test: apt-get install prometheus (.ci/run does)");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        // Format errors and lint findings (naming, help text) both fail the check.
        assert!(output.status.success(), "promtool check metrics failed:\n{said}\n---\n{text}");
    }
}
