//! Vended deliveries as they lie in a bucket or a copy of one: directory walks and S3
//! prefixes find connection logs by their content under vended layouts, skip the access
//! and health-check logs delivered beside them, and `--since/--until` prune their day
//! folders on S3.

use albmtls_corpus::{CorpusSpec, Delivery, VendedLayout, generate};
use albmtls_testkit::s3_server::{SECRET_KEY, TestServer};
use chrono::{TimeZone, Utc};

use crate::harness::{Run, TestDir, gzip};
use crate::s3::{BUCKET, run_s3, upload};

/// Six files on two nodes, one round a day (2026-11-01 to 11-03), with the access and
/// health-check logs and the test file a bucket holds beside them.
fn spec(delivery: Delivery, layout: VendedLayout) -> CorpusSpec {
    CorpusSpec {
        files: 6,
        lines_per_file: 200,
        nodes: 2,
        interval_stride: 288,
        start: Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap(),
        members_per_file: 2,
        delivery,
        vended_layout: layout,
        include_other_logs: true,
        ..CorpusSpec::realistic()
    }
}

/// The same records as a classic tree and as three vended ones, each in its own folder.
const TREES: [(&str, Delivery, VendedLayout); 4] = [
    ("classic", Delivery::Classic, VendedLayout::Hive),
    ("hive-json", Delivery::Json, VendedLayout::Hive),
    ("hive-w3c", Delivery::W3c, VendedLayout::Hive),
    ("prefix-parquet", Delivery::Parquet, VendedLayout::Prefix),
];

fn write_trees(t: &TestDir) {
    for (folder, delivery, layout) in TREES {
        generate(&spec(delivery, layout), &t.path().join(folder)).unwrap();
    }
}

fn report_json(run: Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn skipped(report: &serde_json::Value) -> (u64, u64, u64) {
    let s = &report["skipped"];
    (s["files_not_connection_logs"].as_u64().unwrap(), s["health_check_logs"].as_u64().unwrap(), s["test_files"].as_u64().unwrap())
}

#[test]
fn vended_trees_are_read_by_content_and_the_other_logs_delivered_with_them_are_skipped_and_counted() {
    let t = TestDir::new();
    write_trees(&t);
    let classic = report_json(t.run(&["report", "--format", "json", "classic"]));
    assert_eq!(classic["records"], 1200);
    // Three day folders: an access log each (and truth.json), a health-check log each,
    // one test file. Classic names say which is which; vended ones are told by content.
    assert_eq!(skipped(&classic), (4, 3, 1));
    for (folder, _, _) in &TREES[1..] {
        let vended = report_json(t.run(&["report", "--format", "json", folder]));
        assert_eq!(vended, classic, "{folder}: the same report as the classic tree, skipped files included");
    }
    let all = report_json(t.run(&["report", "--format", "json", "."]));
    assert_eq!((all["records"].as_u64(), all["inputs_read"].as_u64()), (Some(4 * 1200), Some(4 * 6)));
    assert_eq!(skipped(&all), (4 * 4, 4 * 3, 4));
    for (status, n) in classic["status_counts"].as_object().unwrap() {
        assert_eq!(all["status_counts"][status].as_u64(), n.as_u64().map(|n| 4 * n), "{status}");
    }
    // grep prints in listing order: an input left unread closes its place, and every
    // failure of every tree is printed.
    let failed: u64 = classic["failures"].as_array().unwrap().iter().map(|f| f["count"].as_u64().unwrap()).sum();
    let grep = t.run(&["grep", "--status", "failed", "--count", "."]);
    assert_eq!(grep.code, 0, "{}", grep.stderr);
    assert_eq!(grep.stdout.trim(), (4 * failed).to_string());
    let lines = t.run(&["grep", "--status", "failed", "hive-json"]);
    assert_eq!(lines.stdout.lines().count() as u64, failed);
    assert!(lines.stdout.lines().all(|l| l.starts_with('{') && l.contains("\"tls_verify_status\":\"Failed:")), "JSON records as written");
}

#[test]
fn a_tree_of_only_vended_access_logs_has_no_connection_logs_and_says_so() {
    let t = TestDir::new();
    let access = "{\"type\":\"h2\",\"time\":\"2026-11-02T10:00:01Z\",\"elb\":\"app/lb/1\",\"elb_status_code\":\"200\",\"request_line\":\"GET / HTTP/2.0\"}\n";
    let health = "#Version: 1.0\n#Fields: time target_addr status reason_code\n2026-11-02T10:00:01Z\t10.0.0.1:80\thealthy\t-\n";
    let day = "AWSLogs/aws-account-id=123456789012/elasticloadbalancing/region=us-east-1/year=2026/month=11/day=02";
    t.write(&format!("only/{day}/a1.json.gz"), &gzip(access.as_bytes()));
    t.write(&format!("only/{day}/h1.log"), health.as_bytes());
    let run = t.run(&["report", "--format", "json", "only"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no connection logs under only (2 files skipped: 1 access logs or other files, 1 health-check logs)"),
        "{}",
        run.stderr
    );
    assert_eq!(skipped(&run.json()), (1, 1, 0));
}

#[test]
fn vended_trees_on_s3_give_the_local_reports_parquet_included_and_a_key_named_exactly_is_read() {
    let t = TestDir::new();
    write_trees(&t);
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    upload(&server, t.path(), "trees");
    for (folder, _, _) in TREES {
        let local = report_json(t.run(&["report", "--format", "json", folder]));
        let remote =
            report_json(run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", &format!("s3://{BUCKET}/trees/{folder}/")]));
        assert_eq!(remote, local, "{folder}: the objects read from S3 give the report of the local files");
    }
    // A connection log under a name the classic layout gives access logs: skipped in a
    // listing, read when its key is named.
    let day = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02";
    let key = format!("named/{day}/123456789012_elasticloadbalancing_us-east-1_app.lb.1_20261102T0005Z_10.0.0.1_abcdefgh.log.gz");
    let line = "2026-11-02T00:00:01.000001Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=a\" - 02 Failed:ClientCertExpired TID_1\n";
    server.put_all(BUCKET, &[(key.clone(), gzip(line.repeat(3).as_bytes()))]);
    let listed = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", &format!("s3://{BUCKET}/named/")]);
    assert_eq!(listed.code, 2, "only an access log by its name: {}", listed.stderr);
    let named = report_json(run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", &format!("s3://{BUCKET}/{key}")]));
    assert_eq!(named["records"], 3);
}

/// The `prefix`, `start-after` and `delimiter` of every ListObjectsV2 request the server saw.
fn listings(server: &TestServer) -> Vec<(String, Option<String>, bool)> {
    let decode = |value: &str| {
        let bytes = value.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    server
        .requests()
        .into_iter()
        .filter(|r| r.contains("list-type=2"))
        .map(|r| {
            let query = r.split_once('?').map_or("", |(_, q)| q).split(' ').next().unwrap_or("");
            let param = |name: &str| query.split('&').find_map(|p| p.strip_prefix(&format!("{name}="))).map(decode);
            (param("prefix").unwrap_or_default(), param("start-after"), param("delimiter").is_some())
        })
        .collect()
}

#[test]
fn since_and_until_list_only_the_day_folders_of_hive_and_destination_prefix_layouts() {
    let t = TestDir::new();
    write_trees(&t);
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    upload(&server, t.path(), "trees");
    let window = ["--since", "2026-11-02T00:00:00Z", "--until", "2026-11-02T12:00:00Z"];
    for (folder, in_window, out_of_window) in [
        ("hive-json", ["year=2026/month=11/day=02/", "year=2026/month=11/day=03/"], "day=01"),
        ("prefix-parquet", ["2026/11/02/", "2026/11/03/"], "2026/11/01"),
    ] {
        let before = listings(&server).len();
        let mut args = vec!["report", "--format", "json"];
        args.extend(window);
        let url = format!("s3://{BUCKET}/trees/{folder}/");
        args.push(&url);
        let remote = report_json(run_s3(&t, &server, SECRET_KEY, &args));
        let mut local_args = vec!["report", "--format", "json"];
        local_args.extend(window);
        local_args.push(folder);
        let local = report_json(t.run(&local_args));
        assert!(local["records"].as_u64().unwrap() > 0);
        for key in ["records", "status_counts", "failures", "timeline"] {
            assert_eq!(remote[key], local[key], "{folder}: {key}");
        }
        let listed = &listings(&server)[before..];
        // Folders are looked into level by level (delimited listings) until the day
        // folders show; then only the days in the window (and the one after) are listed.
        let walks: Vec<&String> = listed.iter().filter(|(_, _, delimited)| !delimited).map(|(prefix, _, _)| prefix).collect();
        for day in in_window {
            assert!(walks.iter().any(|p| p.ends_with(day)), "{folder}: {day} is listed: {listed:?}");
        }
        assert!(walks.iter().all(|p| in_window.iter().any(|day| p.ends_with(day))), "{folder}: only the window's days: {listed:?}");
        assert!(listed.iter().all(|(prefix, after, _)| !prefix.contains(out_of_window) && after.is_none()), "{listed:?}");
    }
}

/// A time range outside a vended tree on S3 lists none of its day folders; one page of
/// the prefix then shows that objects lie outside the range, so the message blames the
/// range, not the prefix, and says those objects were not read to tell connection logs
/// from the other logs. The test file (skipped by name) and truth.json (no date) are not
/// among them.
#[test]
fn a_time_range_outside_a_vended_tree_on_s3_counts_its_objects_as_unread_not_as_connection_logs() {
    let t = TestDir::new();
    write_trees(&t);
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    upload(&server, t.path(), "trees");
    for folder in ["hive-json", "prefix-parquet"] {
        let truth = albmtls_corpus::Truth::read(&t.path().join(folder).join("truth.json")).unwrap();
        let vended_objects = truth.files.len() + truth.other_files.iter().filter(|f| !f.ends_with("ELBConnectionLogTestFile")).count();
        assert_eq!(vended_objects, 12, "{folder}: six connection logs, three access and three health-check logs");
        let url = format!("s3://{BUCKET}/trees/{folder}/");
        let run = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", "--since", "2030-01-01", &url]);
        let expected = format!(
            "no connection log under {url} is in the time range asked for (2030-01-01T00:00:00.000000Z on): {vended_objects} objects of a vended layout \
             (connection logs, or the access and health-check logs delivered beside them) were listed outside it\n"
        );
        assert!(run.stderr.contains(&expected), "{folder}: {}", run.stderr);
        assert_eq!(report_json(run)["records"], 0);
    }
}

#[test]
fn athena_prints_the_vended_table_with_projection_over_the_hive_keys() {
    let t = TestDir::new();
    let athena = |vended: &str, location: &str| {
        let run = t.run(&["athena", "--vended", vended, "--location", location, "--account", "111122223333", "--region", "us-east-1"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    };
    let parquet = athena("parquet", "s3://my-logs/delivery");
    let base = "s3://my-logs/delivery/AWSLogs/aws-account-id=111122223333/elasticloadbalancing/region=us-east-1/";
    assert!(parquet.contains("STORED AS PARQUET"), "{parquet}");
    assert!(parquet.contains(&format!("LOCATION '{base}'")), "{parquet}");
    assert!(parquet.contains(&format!("'storage.location.template' = '{base}${{day}}'")), "{parquet}");
    assert!(parquet.contains("'projection.day.format' = '\\'year=\\'yyyy\\'/month=\\'MM\\'/day=\\'dd'"), "{parquet}");
    assert!(parquet.contains("leaf_client_cert_subject"), "every documented column: {parquet}");
    assert_eq!(athena("parquet", base), parquet, "the delivery's prefix, or its region folder down to the Hive keys");
    let json = athena("json", "s3://my-logs/delivery");
    assert!(json.contains("org.openx.data.jsonserde.JsonSerDe") && json.contains("'case.insensitive' = 'true'"), "{json}");
    let mismatch = t.run(&[
        "athena",
        "--vended",
        "json",
        "--location",
        "s3://my-logs/delivery/AWSLogs/aws-account-id=999999999999/",
        "--account",
        "111122223333",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(mismatch.code, 2);
    assert!(mismatch.stderr.contains("is under 999999999999 but --account is 111122223333"), "{}", mismatch.stderr);
}
