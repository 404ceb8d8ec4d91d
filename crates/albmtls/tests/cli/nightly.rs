//! The unattended report: sharded runs merged, output files, alert thresholds.

use crate::corpus::corpus;
use crate::harness::TestDir;

#[test]
fn three_shards_merged_equal_the_single_run() {
    let t = TestDir::new();
    corpus(&t, 14, 1500, 21);
    let single = t.run(&["report", "--format", "json", "--top", "5", "corpus"]);
    assert_eq!(single.code, 0, "{}", single.stderr);
    let mut parts = Vec::new();
    let mut records = 0;
    for i in 0..3 {
        let part = format!("part-{i}.partial.json");
        let run = t.run(&["report", "--shard", &format!("{i}/3"), "-o", &part, "corpus"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join(&part)).unwrap()).unwrap();
        let shard_records = json["aggregate"]["records"].as_u64().unwrap();
        assert!(shard_records > 0, "every shard gets some files");
        records += shard_records;
        parts.push(part);
    }
    assert_eq!(records, single.json()["records"].as_u64().unwrap(), "shards cover every record exactly once");
    let mut args = vec!["merge", "--format", "json", "--top", "5"];
    args.extend(parts.iter().map(String::as_str));
    let merged = t.run(&args);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(merged.stdout == single.stdout, "merged shards must give the single run's report, top lists included");
}

#[test]
fn shards_from_the_batch_environment() {
    let t = TestDir::new();
    corpus(&t, 6, 200, 3);
    let mut child = crate::harness::albmtls();
    let out = child
        .args(["report", "--shards", "2", "--format", "partial", "corpus"])
        .current_dir(t.path())
        .env("AWS_BATCH_JOB_ARRAY_INDEX", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["shard"], "1/2");
    let missing = t.run(&["report", "--shards", "2", "corpus"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("AWS_BATCH_JOB_ARRAY_INDEX"), "{}", missing.stderr);
}

#[test]
fn fail_on_thresholds_set_the_exit_status() {
    let t = TestDir::new();
    let truth = corpus(&t, 3, 1000, 5);
    let expired = truth.count("Failed:ClientCertExpired");
    assert!(expired > 0);
    let over = t.run(&["report", "--format", "json", "--fail-on", "ClientCertExpired", "corpus"]);
    assert_eq!(over.code, 1, "{}", over.stderr);
    assert!(over.stderr.contains(&format!("--fail-on ClientCertExpired ({expired} records, more than 0)")), "{}", over.stderr);
    assert!(over.json()["records"].as_u64().is_some(), "the report is still written");
    let under = t.run(&["report", "--format", "json", "--fail-on", &format!("ClientCertExpired>{expired}"), "corpus"]);
    assert_eq!(under.code, 0, "{}", under.stderr);
    let failed = t.run(&["report", "--format", "json", "--fail-on", &format!("failed>{}", truth.failed() - 1), "corpus"]);
    assert_eq!(failed.code, 1);
}

#[test]
fn output_files_take_their_format_from_the_name_and_appear_whole() {
    let t = TestDir::new();
    corpus(&t, 2, 300, 9);
    for (name, check) in [("r.json", "\"status_counts\""), ("r.md", "# albmtls report"), ("r.csv", "status,count,share_percent")] {
        let run = t.run(&["report", "-o", name, "corpus"]);
        assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
        let text = std::fs::read_to_string(t.path().join(name)).unwrap();
        assert!(text.contains(check), "{name}: {text:.200}");
    }
    let bad = t.run(&["report", "-o", "r.docx", "corpus"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("cannot tell the format"), "{}", bad.stderr);
    let unwritable = t.run(&["report", "-o", "no/such/dir/r.json", "corpus"]);
    assert_eq!(unwritable.code, 2);
    assert!(!t.path().join("no").exists());
}

#[test]
fn merge_refuses_files_that_are_not_partials() {
    let t = TestDir::new();
    t.write("report.json", b"{\"records\": 1}");
    let run = t.run(&["merge", "report.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("report.json: not an albmtls partial file"), "{}", run.stderr);
}
