//! Vended deliveries (JSON, W3C, plain with a field list, Parquet): the same records give
//! the same report as classic lines, whatever the format; bad input is counted, never
//! fatal.

use std::path::Path;

use albmtls_corpus::{CorpusSpec, Delivery, VendedLayout, generate};
use albmtls_parquet::{Column, ColumnType, write_rows};
use albmtls_parse::{Field, Record, unescape_subject};

use crate::harness::{Run, TestDir, gzip};

/// Classic lines of every generation: failures with quoted subjects, IPv6 and bracketed
/// clients, plain HTTP, an undocumented status.
const CLASSIC: &str = concat!(
    "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 \"CN=a,O=\\\"Q\\\" Corp,C=US\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-06-01T00:00:00Z 0A Failed:ClientCertExpired TID_1 X25519MLKEM768 app/lb/1 10.0.0.1\n",
    "2026-11-02T10:00:02.500000Z 2001:db8::7 40002 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.010 \"CN=b\" NotBefore=a;NotAfter=b 0B Failed:ClientCertUntrusted TID_2 secp256r1 app/lb/1 10.0.0.2\n",
    "2026-11-02T10:01:00.000003Z [2001:db8::8] 40003 8443 TLSv1.3 TLS_AES_256_GCM_SHA384 0.002 \"CN=c\" NotBefore=a;NotAfter=b 0C Success TID_3\n",
    "2026-11-02T10:02:00.000004Z 198.51.100.9 40004 80 - - - \"-\" - - -\n",
    "2026-11-02T10:03:00.000005Z 198.51.100.10 40005 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"-\" - - Failed:ClientCertRevoked TID_5 x25519\n",
    "2026-11-02T10:04:00.000006Z 203.0.113.7 40006 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.004 \"CN=a,O=\\\"Q\\\" Corp,C=US\" NotBefore=a;NotAfter=b 0A Failed:ClientCertExpired TID_6 X25519MLKEM768 app/lb/1 10.0.0.1\n",
);

/// The fields a classic record carries, with their values as a vended delivery writes
/// them (the subject unquoted and unescaped, the time under its vended name).
fn delivered(record: &Record<'_>) -> Vec<(&'static str, String)> {
    Field::ALL
        .into_iter()
        .take(record.field_count())
        .map(|field| {
            let name = if field == Field::Timestamp { "time" } else { field.name() };
            let value = match field {
                Field::LeafClientCertSubject => {
                    record.subject.map(|s| String::from_utf8(unescape_subject(s).into_owned()).unwrap()).unwrap_or("-".into())
                }
                _ => String::from_utf8(record.field(field).to_vec()).unwrap(),
            };
            (name, value)
        })
        .collect()
}

fn records() -> Vec<Vec<(&'static str, String)>> {
    CLASSIC.lines().map(|line| delivered(&Record::parse(line.as_bytes()).unwrap())).collect()
}

/// One JSON object per record; ports as numbers, the rest as strings.
fn as_json() -> String {
    records()
        .iter()
        .map(|fields| {
            let mut object = serde_json::Map::new();
            for (name, value) in fields {
                let value = match *name {
                    "client_port" | "listener_port" => serde_json::Value::from(value.parse::<u64>().unwrap()),
                    _ => serde_json::Value::from(value.as_str()),
                };
                object.insert(name.to_string(), value);
            }
            serde_json::Value::Object(object).to_string() + "\n"
        })
        .collect()
}

/// W3C: one file per generation would be realistic; a header per generation change is
/// what a concatenation of deliveries gives, and the reader takes each `#Fields:` as it
/// comes.
fn as_w3c() -> String {
    let mut out = String::from("#Version: 1.0\n");
    let mut last_header = String::new();
    for fields in records() {
        let header = fields.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ");
        if header != last_header {
            out.push_str(&format!("#Fields: {header}\n"));
            last_header = header;
        }
        out.push_str(&fields.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join("\t"));
        out.push('\n');
    }
    out
}

/// Parquet with every field as a column: absent trailing fields are nulls... which a
/// columnar file cannot leave out per row, so only records of the same generation share
/// a file.
fn as_parquet(generation: usize) -> Vec<u8> {
    let rows: Vec<Vec<(&'static str, String)>> = records().into_iter().filter(|r| r.len() == generation).collect();
    let columns: Vec<Column> = rows[0]
        .iter()
        .map(|(name, _)| Column {
            name: name.to_string(),
            kind: match *name {
                "time" => ColumnType::TimestampMicros,
                "client_port" | "listener_port" => ColumnType::Int32,
                _ => ColumnType::Text,
            },
        })
        .collect();
    let values: Vec<Vec<Option<String>>> = rows.iter().map(|r| r.iter().map(|(_, v)| Some(v.clone())).collect()).collect();
    write_rows(&columns, &values, 2).unwrap()
}

fn report_json(t: &TestDir, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["report", "--format", "json"];
    all.extend_from_slice(args);
    let run = t.run(&all);
    assert_eq!(run.code, 0, "{:?}: {}", args, run.stderr);
    run.json()
}

#[test]
fn json_lines_give_the_report_classic_lines_give() {
    let t = TestDir::new();
    t.write("classic.log", CLASSIC.as_bytes());
    t.write("vended.json", as_json().as_bytes());
    t.write("vended.json.gz", &gzip(as_json().as_bytes()));
    let classic = report_json(&t, &["classic.log"]);
    assert_eq!(classic["records"], 6);
    assert_eq!(report_json(&t, &["vended.json"]), classic);
    assert_eq!(report_json(&t, &["vended.json.gz"]), classic);
}

#[test]
fn w3c_and_parquet_give_the_report_classic_lines_give() {
    let t = TestDir::new();
    t.write("classic.log", CLASSIC.as_bytes());
    t.write("vended.json", as_json().as_bytes());
    t.write("vended.w3c", as_w3c().as_bytes());
    t.write("vended.w3c.gz", &gzip(as_w3c().as_bytes()));
    let generations = [15, 11, 12, 13];
    let parquet: Vec<String> = generations
        .iter()
        .map(|&g| {
            let name = format!("vended-{g}.parquet");
            t.write(&name, &as_parquet(g));
            name
        })
        .collect();
    t.write("vended-15.parquet.gz", &gzip(&as_parquet(15)));
    let classic = report_json(&t, &["classic.log"]);
    assert_eq!(report_json(&t, &["vended.w3c"]), classic);
    assert_eq!(report_json(&t, &["vended.w3c.gz"]), classic);
    let mut parquet_args: Vec<&str> = parquet.iter().map(String::as_str).collect();
    let mut from_parquet = report_json(&t, &parquet_args);
    assert_eq!(from_parquet["inputs_read"], 4);
    from_parquet["inputs_read"] = 1.into();
    assert_eq!(from_parquet, classic);
    // Mixed inputs: each is read in its own format.
    parquet_args.retain(|a| *a != "vended-15.parquet");
    parquet_args.push("vended-15.parquet.gz");
    let mut mixed_args = vec!["classic.log", "vended.json", "vended.w3c"];
    mixed_args.extend(parquet_args);
    let mixed = report_json(&t, &mixed_args);
    assert_eq!((mixed["records"].as_u64(), mixed["malformed"].as_u64()), (Some(24), Some(0)));
    assert_eq!(mixed["status_counts"]["Failed:ClientCertExpired"], 8);
}

#[test]
fn grep_prints_vended_records_as_written_and_json_in_one_shape() {
    let t = TestDir::new();
    t.write("classic.log", CLASSIC.as_bytes());
    t.write("vended.json", as_json().as_bytes());
    t.write("vended.w3c", as_w3c().as_bytes());
    t.write("vended.parquet", &as_parquet(15));
    let run = t.run(&["grep", "--status", "ClientCertUntrusted", "vended.json"]);
    assert_eq!(run.stdout, as_json().lines().nth(1).unwrap().to_owned() + "\n");
    let run = t.run(&["grep", "--status", "ClientCertUntrusted", "vended.w3c"]);
    assert_eq!(run.stdout, as_w3c().lines().find(|l| l.contains("ClientCertUntrusted")).unwrap().to_owned() + "\n");
    // Parquet has no text: its records print as classic lines.
    let run = t.run(&["grep", "--status", "ClientCertUntrusted", "vended.parquet"]);
    assert_eq!(run.stdout, CLASSIC.lines().nth(1).unwrap().to_owned() + "\n");
    let shape = |path: &str| -> Vec<serde_json::Value> {
        let run = t.run(&["grep", "--json", "--status", "failed", path]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("input");
                v.as_object_mut().unwrap().remove("line");
                v
            })
            .collect()
    };
    let classic = shape("classic.log");
    assert_eq!(classic.len(), 4);
    assert_eq!(shape("vended.json"), classic);
    assert_eq!(shape("vended.w3c"), classic);
    let from_parquet = shape("vended.parquet");
    assert_eq!(from_parquet, classic.iter().filter(|v| v["elb"].is_string()).cloned().collect::<Vec<_>>());
}

#[test]
fn a_subset_of_fields_is_reported_as_not_delivered_not_made_up() {
    let t = TestDir::new();
    let w3c = "#Version: 1.0\n#Fields: time client_ip tls_verify_status\n\
               2026-11-02T10:00:01Z\t203.0.113.7\tFailed:ClientCertExpired\n\
               2026-11-02T10:00:02Z\t203.0.113.8\tFailed:ClientCertExpired\n\
               2026-11-02T10:00:03Z\t203.0.113.8\tSuccess\n";
    t.write("subset.w3c", w3c.as_bytes());
    let r = report_json(&t, &["subset.w3c"]);
    assert_eq!(r["records"], 3);
    assert_eq!(r["not_delivered"]["leaf_client_cert_subject"], 3);
    assert_eq!(r["not_delivered"]["client_port"], 3);
    assert!(r["not_delivered"].get("client_ip").is_none());
    let expired = &r["failures"][0];
    assert_eq!((expired["distinct_clients"].as_u64(), expired["distinct_subjects"].as_u64()), (Some(2), Some(0)));
    assert_eq!(expired["subjects_not_delivered"], 2);
    assert_eq!(expired["top_subjects"], serde_json::json!([]));
    let table = t.run(&["report", "--format", "table", "subset.w3c"]);
    assert!(table.stdout.contains("Fields the inputs did not deliver: client_port (3 records)"), "{}", table.stdout);
    assert!(table.stdout.contains("not delivered"), "{}", table.stdout);
    let html = t.run(&["report", "--format", "html", "subset.w3c"]);
    assert!(html.stdout.contains("not delivered"));
}

#[test]
fn plain_files_are_read_with_the_fields_and_delimiter_given() {
    let t = TestDir::new();
    t.write("plain.log", b"Failed:ClientCertExpired|2026-11-02T10:00:01Z|203.0.113.7|CN=a b\nSuccess|2026-11-02T10:00:02Z|203.0.113.8|-\n");
    let run = t.run(&["report", "--format", "json", "plain.log"]);
    assert_eq!((run.json()["records"].as_u64(), run.json()["malformed"].as_u64()), (Some(0), Some(2)), "without a field list");
    let args = ["--vended-fields", "tls_verify_status,time,client_ip,leaf_client_cert_subject", "--delimiter", "|", "plain.log"];
    let r = report_json(&t, &args);
    assert_eq!((r["records"].as_u64(), r["malformed"].as_u64()), (Some(2), Some(0)));
    assert_eq!(r["failures"][0]["top_subjects"][0]["subject"], "CN=a b");
    let run = t.run(&["report", "--vended-fields", "time,nope", "plain.log"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`nope` is not a connection-log field"), "{}", run.stderr);
    let run = t.run(&["report", "--delimiter", "ab", "plain.log"]);
    assert!(run.stderr.contains("--delimiter `ab`"), "{}", run.stderr);
}

#[test]
fn bad_vended_input_is_counted_and_sampled_never_fatal() {
    let t = TestDir::new();
    let json = "{\"time\":\"2026-11-02T10:00:01Z\",\"tls_verify_status\":\"Success\"}\n[1,2,3]\n{\"time\":\"2026-11-02T10:00:02Z\",\"client_port\":true}\n";
    t.write("bad.json", json.as_bytes());
    let w3c = "#Fields: time client_ip tls_verify_status\n2026-11-02T10:00:01Z\t203.0.113.7\tSuccess\n2026-11-02T10:00:01Z\t203.0.113.7\n";
    t.write("bad.w3c", w3c.as_bytes());
    let parquet = as_parquet(15);
    t.write("truncated.parquet", &parquet[..parquet.len() - 10]);
    let run = t.run(&["report", "--format", "json", "bad.json", "bad.w3c", "truncated.parquet"]);
    assert_eq!(run.code, 2, "an unreadable input is an error: {}", run.stderr);
    let r = run.json();
    assert_eq!((r["records"].as_u64(), r["malformed"].as_u64()), (Some(2), Some(3)));
    let samples: Vec<(String, u64, String)> = r["skipped"]["malformed_samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["input"].as_str().unwrap().to_owned(), s["line"].as_u64().unwrap(), s["problem"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        samples,
        vec![
            ("bad.json".to_owned(), 2, "not_an_object".to_owned()),
            ("bad.json".to_owned(), 3, "wrong_type".to_owned()),
            ("bad.w3c".to_owned(), 3, "missing".to_owned()),
        ]
    );
    let errors = r["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["input"], "truncated.parquet");
    assert!(errors[0]["message"].as_str().unwrap().contains("truncated"), "{}", errors[0]);
    assert!(run.stderr.contains("truncated.parquet"), "{}", run.stderr);
}

/// The vended_parquet fuzz target's find: a page that is dictionary-encoded without its
/// dictionary page makes the parquet crate panic. The report counts the file as an
/// unreadable input, reads the others, and the panic's own text never reaches stderr as
/// if albmtls had crashed.
#[test]
fn a_parquet_file_that_panics_the_parquet_crate_is_an_input_error_without_crash_text() {
    let t = TestDir::new();
    t.write("hostile.parquet", include_bytes!("../../../../fuzz/corpus/vended_parquet/regression-dictionary-page-missing.parquet"));
    t.write("good.parquet", &as_parquet(15));
    let run = t.run(&["report", "--format", "json", "hostile.parquet", "good.parquet"]);
    assert_eq!(run.code, 2, "an unreadable input is an error: {}", run.stderr);
    let r = run.json();
    let generation_15 = records().iter().filter(|r| r.len() == 15).count() as u64;
    assert_eq!(r["records"].as_u64(), Some(generation_15), "the good file is read whole");
    let errors = r["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["input"], "hostile.parquet");
    assert!(errors[0]["message"].as_str().unwrap().contains("cannot be decoded"), "{}", errors[0]);
    assert!(run.stderr.contains("hostile.parquet"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Runs `report --format json` on every file of a corpus written as `delivery`.
fn corpus_report(
    delivery: albmtls_corpus::Delivery,
    layout: albmtls_corpus::VendedLayout,
    plain: bool,
    extra: &[&str],
) -> serde_json::Value {
    use albmtls_corpus::{CorpusSpec, GenerationMix, generate};
    let t = TestDir::new();
    let spec = CorpusSpec {
        files: 8,
        lines_per_file: 300,
        generations: GenerationMix { fields11: 1, fields12: 1, fields13: 1, fields15: 2 },
        include_ipv6: true,
        unknown_code_rate: 0.01,
        members_per_file: 2,
        delivery,
        vended_layout: layout,
        plain,
        ..CorpusSpec::default()
    };
    let generated = generate(&spec, t.path()).unwrap();
    let mut args: Vec<String> = ["report", "--format", "json"].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(generated.truth.files.iter().map(|f| f.path.clone()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = t.run(&args);
    assert_eq!(run.code, 0, "{delivery:?}: {}", run.stderr);
    run.json()
}

#[test]
fn a_corpus_in_every_vended_format_and_layout_gives_the_classic_report() {
    use albmtls_corpus::{Delivery, VendedLayout};
    let classic = corpus_report(Delivery::Classic, VendedLayout::Hive, false, &[]);
    assert_eq!(classic["records"], 2400);
    for (delivery, layout, plain) in [
        (Delivery::Json, VendedLayout::Hive, false),
        (Delivery::Json, VendedLayout::Prefix, true),
        (Delivery::W3c, VendedLayout::Hive, false),
        (Delivery::Parquet, VendedLayout::Prefix, false),
    ] {
        assert_eq!(corpus_report(delivery, layout, plain, &[]), classic, "{delivery:?} {layout:?} plain={plain}");
    }
}

/// Six files of 200 lines on two nodes, a day apart, as `delivery` writes them.
fn delivery_spec(delivery: Delivery, layout: VendedLayout) -> CorpusSpec {
    CorpusSpec {
        files: 6,
        lines_per_file: 200,
        nodes: 2,
        interval_stride: 288,
        members_per_file: 2,
        delivery,
        vended_layout: layout,
        ..CorpusSpec::realistic()
    }
}

/// The part of `text` from the heading `from` to the heading `to`.
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from} in {text}"));
    let end = text[start..].find(to).map_or(text.len(), |at| start + at);
    &text[start..end]
}

/// The cells of a table row (terminal or Markdown), trimmed.
fn cells(line: &str) -> Vec<&str> {
    line.split(['│', '┆', '|']).map(str::trim).filter(|cell| !cell.is_empty()).collect()
}

/// The non-empty cells of the first row of `text` whose first cell is `first`.
fn row<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    text.lines().map(cells).find(|cells| cells.first() == Some(&first)).unwrap_or_else(|| panic!("no {first} row in {text}"))
}

/// Generates `spec` under `t/<folder>` and returns the paths of its connection logs.
fn files_of(t: &TestDir, folder: &str, spec: &CorpusSpec) -> Vec<String> {
    let generated = generate(spec, &t.path().join(folder)).unwrap();
    generated.truth.files.iter().map(|f| Path::new(folder).join(&f.path).display().to_string()).collect()
}

fn report_of(t: &TestDir, format: &str, extra: &[&str], files: &[String]) -> Run {
    let mut args = vec!["report", "--format", format];
    args.extend_from_slice(extra);
    args.extend(files.iter().map(String::as_str));
    let run = t.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

#[test]
fn a_delivery_of_a_subset_of_fields_gives_the_classic_report_of_what_it_delivered_and_says_what_it_did_not() {
    let t = TestDir::new();
    let classic_files = files_of(&t, "classic", &delivery_spec(Delivery::Classic, VendedLayout::Hive));
    let chosen = ["tls_verify_status", "time", "client_ip", "leaf_client_cert_subject"];
    let subset_spec = CorpusSpec {
        vended_fields: Some(chosen.iter().map(|f| f.to_string()).collect()),
        ..delivery_spec(Delivery::Json, VendedLayout::Hive)
    };
    let subset_files = files_of(&t, "subset", &subset_spec);
    let classic = report_of(&t, "json", &[], &classic_files).json();
    let subset = report_of(&t, "json", &[], &subset_files).json();
    for key in ["records", "status_counts", "statuses", "failures", "timeline", "first_seen", "last_seen"] {
        assert_eq!(subset[key], classic[key], "{key}: delivered, so as in the classic report");
    }
    let records = classic["records"].as_u64().unwrap();
    assert!(classic["listeners"].as_array().unwrap().len() > 1 && classic["tls"]["protocols"].as_object().unwrap().len() > 1);
    // Not delivered: said, never a made-up listener 0 or protocol `-`.
    assert_eq!(subset["listeners"], serde_json::json!([]));
    assert_eq!(subset["tls"]["protocols"], serde_json::json!({}));
    for field in ["client_port", "listener_port", "tls_protocol", "tls_cipher", "tls_handshake_latency"] {
        assert_eq!(subset["not_delivered"][field].as_u64(), Some(records), "{field}");
    }
    assert_eq!(subset["handshake_latency"]["records"], 0);

    let table = report_of(&t, "table", &[], &subset_files).stdout;
    let records_text = records.to_string();
    let not_delivered_row = vec!["not delivered", records_text.as_str()];
    assert_eq!(row(section(&table, "\nListeners\n", "\nTLS\n"), "not delivered"), not_delivered_row, "{table}");
    assert_eq!(row(section(&table, "\nTLS\n", "\nCertificates"), "not delivered"), not_delivered_row, "{table}");
    let markdown = report_of(&t, "md", &[], &subset_files).stdout;
    assert_eq!(row(section(&markdown, "## Listeners", "## TLS"), "not delivered"), not_delivered_row, "{markdown}");
    let html = report_of(&t, "html", &[], &subset_files).stdout;
    assert!(
        section(&html, "<h2>Listeners</h2>", "<h2>TLS</h2>")
            .contains(&format!("<td class=\"muted\">not delivered</td><td class=\"num\">{records}</td>")),
        "{html}"
    );
    let csv = report_of(&t, "csv", &["--section", "listeners"], &subset_files).stdout;
    assert_eq!(csv.lines().nth(1), Some(format!("not delivered,{records},,,").as_str()), "{csv}");
    let csv = report_of(&t, "csv", &["--section", "tls"], &subset_files).stdout;
    assert!(csv.contains(&format!("protocol,not delivered,{records},")), "{csv}");
    let prom = report_of(&t, "prom", &[], &subset_files).stdout;
    assert!(prom.contains(&format!("albmtls_not_delivered_records{{field=\"listener_port\"}} {records}")), "{prom}");
    assert!(!prom.contains("albmtls_listener_connections{port=\"0\""), "{prom}");
}

#[test]
fn records_without_a_delivered_status_are_counted_as_not_delivered_not_as_the_status_dash() {
    let t = TestDir::new();
    let chosen = ["time", "client_ip", "listener_port", "tls_protocol"];
    let spec = CorpusSpec {
        vended_fields: Some(chosen.iter().map(|f| f.to_string()).collect()),
        ..delivery_spec(Delivery::W3c, VendedLayout::Prefix)
    };
    let files = files_of(&t, "no-status", &spec);
    let report = report_of(&t, "json", &[], &files).json();
    let records = report["records"].as_u64().unwrap();
    assert_eq!(records, 1200);
    assert_eq!((report["status_counts"].clone(), report["statuses"].clone()), (serde_json::json!({}), serde_json::json!([])));
    assert_eq!(report["not_delivered"]["tls_verify_status"].as_u64(), Some(records));
    let timeline: u64 = report["timeline"].as_array().unwrap().iter().map(|row| row["status_not_delivered"].as_u64().unwrap_or(0)).sum();
    assert_eq!(timeline, records, "every record is in the timeline");
    let listeners = report["listeners"].as_array().unwrap();
    assert!(listeners.iter().all(|l| l["port"] != 0), "{listeners:?}");
    let by_port: u64 = listeners.iter().map(|l| l["status_not_delivered"].as_u64().unwrap()).sum();
    assert_eq!(by_port, records);
    let table = report_of(&t, "table", &[], &files).stdout;
    let statuses = section(&table, "Verify status", "Timeline");
    assert_eq!(row(statuses, "not delivered")[..3], ["not delivered", "1200", "100.00"], "{table}");
    assert!(!statuses.lines().any(|line| cells(line).first() == Some(&"-")), "no record has the status `-`: {statuses}");
    let html = report_of(&t, "html", &[], &files).stdout;
    assert!(
        html.contains(&format!("<td class=\"muted\">not delivered</td><td class=\"num\">{records}</td><td class=\"num\">100.00%</td>")),
        "{html}"
    );
    let csv = report_of(&t, "csv", &[], &files).stdout;
    assert!(csv.lines().any(|l| l.starts_with(&format!("not delivered,{records},100.00,"))), "{csv}");
}

#[test]
fn values_of_undocumented_fields_are_counted_in_every_human_format_too() {
    let t = TestDir::new();
    let json = "{\"time\":\"2026-11-02T10:00:01Z\",\"tls_verify_status\":\"Success\",\"x-edge\":\"a\",\"pop\":{\"b\":1}}\n\
                {\"time\":\"2026-11-02T10:00:02Z\",\"tls_verify_status\":\"Success\",\"x-edge\":\"c\"}\n";
    t.write("extra.json", json.as_bytes());
    let r = report_json(&t, &["extra.json"]);
    assert_eq!((r["records"].as_u64(), r["skipped"]["ignored_fields"].as_u64()), (Some(2), Some(3)));
    let sentence = "3 values of undocumented fields in vended records, ignored";
    for format in ["table", "md"] {
        let run = t.run(&["report", "--format", format, "extra.json"]);
        let not_counted = run.stdout.lines().find(|l| l.contains("Not counted:")).unwrap_or_else(|| panic!("{format}: {}", run.stdout));
        assert!(not_counted.contains(sentence), "{format}: {not_counted}");
    }
    let html = t.run(&["report", "--format", "html", "extra.json"]).stdout;
    let section = &html[html.find("<h2>Not counted</h2>").unwrap()..];
    assert!(section.contains("<td>values of undocumented fields in vended records, ignored</td><td class=\"num\">3</td>"), "{section}");
}
