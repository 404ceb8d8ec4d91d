//! Numbers you can trust: no input counted twice, no input missing from a report without
//! the report saying so, no silent "0 records", no gaps in a timeline.

use std::path::{Path, PathBuf};

use crate::harness::{DAY, TestDir, conn_log_name};

/// The bundled sample: 12 connection logs of 300 records.
fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-logs").canonicalize().unwrap()
}

const SAMPLE_RECORDS: u64 = 3600;

/// Every value of `report --section`.
pub const CSV_SECTIONS: [&str; 6] = ["statuses", "load-balancers", "listeners", "tls", "latency", "expiring"];

fn records(run: &crate::harness::Run) -> u64 {
    run.json()["records"].as_u64().unwrap()
}

const LINE: &str =
    "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=a\" - 02 Failed:ClientCertExpired\n";

#[test]
fn overlapping_paths_read_every_input_once() {
    let t = TestDir::new();
    let sample = sample();
    let day = sample.join(DAY);
    let sample_text = sample.to_str().unwrap();
    let run = t.run(&["report", "--format", "json", sample_text, day.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(records(&run), SAMPLE_RECORDS, "a folder inside a folder given is not read again");
    let r = run.json();
    assert_eq!(r["inputs_read"], 12);
    let alone = t.run(&["report", "--format", "json", sample_text]).json();
    assert_eq!(r["skipped"], alone["skipped"], "skipped files are counted once too");

    // The same file by two spellings, and through a symbolic link.
    let file = t.write_gz(&conn_log_name("1005"), &[LINE]);
    std::os::unix::fs::symlink(&file, t.path().join("link.log.gz")).unwrap();
    let run =
        t.run(&["report", "--format", "json", &conn_log_name("1005"), &format!("./{}", conn_log_name("1005")), "link.log.gz", "AWSLogs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!((records(&run), run.json()["inputs_read"].as_u64()), (1, Some(1)));

    // A folder through a symbolic link to it: its files are the same files.
    std::os::unix::fs::symlink(t.path().join("AWSLogs/123456789012"), t.path().join("account-link")).unwrap();
    let run =
        t.run(&["report", "--format", "json", "account-link", "AWSLogs", "account-link/elasticloadbalancing/../elasticloadbalancing"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!((records(&run), run.json()["inputs_read"].as_u64()), (1, Some(1)));

    // grep reads each input once as well.
    let run = t.run(&["grep", "--count", "AWSLogs", "AWSLogs/123456789012", "link.log.gz", "account-link"]);
    assert_eq!(run.stdout, "1\n", "{}", run.stderr);
}

#[test]
fn a_missing_path_is_listed_in_every_format() {
    let t = TestDir::new();
    t.write_gz(&conn_log_name("1005"), &[LINE]);
    let json = t.run(&["report", "--format", "json", "AWSLogs", "does/not/exist"]);
    assert_eq!(json.code, 2);
    let errors = json.json()["skipped"]["input_errors"].clone();
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{errors}");
    assert_eq!(errors[0]["input"], "does/not/exist");
    assert!(errors[0]["message"].as_str().unwrap().contains("cannot open"), "{errors}");
    assert_eq!(json.stderr.matches("does/not/exist").count(), 1, "named once on stderr: {}", json.stderr);
    for format in ["table", "md", "csv", "html", "prom"] {
        let run = t.run(&["report", "--format", format, "AWSLogs", "does/not/exist"]);
        assert_eq!(run.code, 2, "{format}");
        assert!(run.stdout.contains("does/not/exist"), "{format} names the missing path:\n{}", run.stdout);
    }
    // CSV lists it whatever section the file holds.
    for section in CSV_SECTIONS {
        let run = t.run(&["report", "--format", "csv", "--section", section, "AWSLogs", "does/not/exist"]);
        assert_eq!(run.code, 2, "{section}");
        let errors: Vec<&str> = run.stdout.lines().filter(|line| line.starts_with("(input error),")).collect();
        assert_eq!(errors.len(), 1, "--section {section} has one input-error row:\n{}", run.stdout);
        assert!(errors[0].contains("does/not/exist: cannot open"), "--section {section}: {}", errors[0]);
    }
    let out = t.run(&["report", "-o", "r.html", "AWSLogs", "does/not/exist"]);
    assert_eq!(out.code, 2);
    assert!(std::fs::read_to_string(t.path().join("r.html")).unwrap().contains("does/not/exist"));
}

#[test]
fn no_connection_log_input_at_all_is_an_error() {
    let t = TestDir::new();
    std::fs::create_dir(t.path().join("empty")).unwrap();
    let run = t.run(&["report", "--format", "json", "empty"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no connection logs under empty (0 files skipped: no files at all)"), "{}", run.stderr);

    t.write_gz(
        &format!("access/{DAY}/123456789012_elasticloadbalancing_us-east-1_app.my-lb.1_20261102T1005Z_10.0.1.5_x.log.gz"),
        &["h2 x\n"],
    );
    t.write_gz(&format!("access/{DAY}/health_check_log_123456789012_x.log.gz"), &["health\n"]);
    let run = t.run(&["report", "access"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no connection logs under access (2 files skipped: 1 access logs or other files, 1 health-check logs)"),
        "{}",
        run.stderr
    );
    let grep = t.run(&["grep", "--count", "access"]);
    assert_eq!(grep.code, 2);
    assert!(grep.stderr.contains("no connection logs under access"), "{}", grep.stderr);

    // A shard that happens to get no file is not an error: the run as a whole has inputs.
    t.write_gz(&conn_log_name("1005"), &[LINE]);
    let name =
        format!("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02/{}", conn_log_name("1005").rsplit('/').next().unwrap());
    let other = (0..2).find(|i| !albmtls_scan_includes(&name, *i, 2)).unwrap();
    let run = t.run(&["report", "--shard", &format!("{other}/2"), "--format", "json", "AWSLogs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(records(&run), 0);
}

/// Whether shard `index` of `count` reads `name`, as `--shard` decides it.
fn albmtls_scan_includes(name: &str, index: u64, count: u64) -> bool {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes()) % count == index
}

#[test]
fn timeline_buckets_are_contiguous_in_every_format() {
    let t = TestDir::new();
    let sample = sample();
    let sample = sample.to_str().unwrap();
    let run = t.run(&["report", "--format", "json", "--bucket", "1h", sample]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let timeline = run.json()["timeline"].clone();
    let starts: Vec<&str> = timeline.as_array().unwrap().iter().map(|row| row["bucket_start"].as_str().unwrap()).collect();
    // The sample runs from 21:55 to 07:59, in files two hours apart.
    let expected: Vec<String> = (0..11)
        .map(|h| {
            let hour = (21 + h) % 24;
            let day = if h < 3 { "01" } else { "02" };
            format!("2026-11-{day}T{hour:02}:00:00Z")
        })
        .collect();
    assert_eq!(starts, expected, "every hour from the first to the last");
    let empty = timeline.as_array().unwrap().iter().find(|row| row["bucket_start"] == "2026-11-02T00:00:00Z").unwrap();
    assert_eq!(empty["status_counts"], serde_json::json!({}));

    let table = t.run(&["report", "--bucket", "1h", sample]).stdout;
    assert!(table.contains("2026-11-01T23:00:00Z") && table.contains("2026-11-02T00:00:00Z"), "{table}");
    let md = t.run(&["report", "--format", "md", "--bucket", "1h", sample]).stdout;
    assert!(md.contains("| 2026-11-02T00:00:00Z "), "{md}");
    let html = t.run(&["report", "--format", "html", "--bucket", "1h", sample]).stdout;
    assert!(html.contains("id=\"timeline\""), "an overall timeline chart");
    assert!(html.contains("All records: records per 1h bucket"), "{html:.3000}");
}

#[test]
fn a_timeline_too_long_to_fill_says_it_shows_only_the_buckets_with_records() {
    let t = TestDir::new();
    t.write_gz(&conn_log_name("1005"), &[LINE]);
    // 80 days later: 115,201 one-minute buckets from the first record to the last.
    let later = LINE.replacen("2026-11-02T10:00:01", "2027-01-21T10:00:01", 1);
    t.write_gz(&conn_log_name("1010"), &[&later]);
    let json = t.run(&["report", "--format", "json", "--bucket", "1m", "AWSLogs"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let r = json.json();
    assert_eq!(r["timeline"].as_array().map(Vec::len), Some(2), "only the buckets with records");
    assert_eq!(r["sparse_timeline"], serde_json::json!({"buckets_in_span": 115_201, "most_filled": 100_000, "bucket_that_fits": "5m"}));
    for format in ["table", "md", "html"] {
        let run = t.run(&["report", "--format", format, "--bucket", "1m", "AWSLogs"]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert!(
            run.stdout
                .contains("This timeline shows only the buckets with records: from the first to the last there are 115201 1m buckets")
                && run.stdout.contains("--bucket 5m or wider shows every bucket"),
            "{format} says the timeline leaves out empty buckets, and what to do:\n{}",
            run.stdout
        );
        assert!(!run.stdout.contains("empty ones included"), "{format}");
    }
    // A bucket wide enough fills the timeline, which then says nothing of it.
    let wide = t.run(&["report", "--format", "json", "--bucket", "5m", "AWSLogs"]).json();
    assert_eq!(wide["timeline"].as_array().map(Vec::len), Some(23_041));
    assert!(wide.get("sparse_timeline").is_none(), "{:?}", wide.get("sparse_timeline"));
}
