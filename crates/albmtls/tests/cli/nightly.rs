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

/// Writes the partials of `shards` of a `count`-way sharded run over `corpus`.
fn shard_partials(t: &TestDir, shards: &[u32], count: u32) -> Vec<String> {
    shards
        .iter()
        .map(|i| {
            let part = format!("part-{i}.partial.json");
            let run = t.run(&["report", "--shard", &format!("{i}/{count}"), "-o", &part, "corpus"]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            part
        })
        .collect()
}

#[test]
fn merge_refuses_a_shard_given_twice() {
    let t = TestDir::new();
    corpus(&t, 6, 200, 4);
    let parts = shard_partials(&t, &[0, 1, 2], 3);
    let run = t.run(&["merge", "--format", "json", &parts[0], &parts[0], &parts[1], &parts[2]]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty(), "no report is written: {}", run.stdout);
    assert!(run.stderr.contains("part-0.partial.json and part-0.partial.json are the same file"), "{}", run.stderr);
    // A copy under another name is the same shard.
    std::fs::copy(t.path().join(&parts[0]), t.path().join("copy.partial.json")).unwrap();
    let run = t.run(&["merge", "--format", "json", &parts[0], "copy.partial.json", &parts[1], &parts[2]]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("shard 0/3 is given twice (part-0.partial.json and copy.partial.json)"), "{}", run.stderr);
}

#[test]
fn merge_refuses_missing_shards_unless_allowed_and_then_names_them() {
    let t = TestDir::new();
    corpus(&t, 6, 200, 4);
    let parts = shard_partials(&t, &[0, 1], 3);
    let run = t.run(&["merge", "--format", "json", &parts[0], &parts[1]]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("shard 2/3 of the run is missing"), "{}", run.stderr);
    assert!(run.stderr.contains("--allow-missing"), "{}", run.stderr);

    let run = t.run(&["merge", "--allow-missing", "--format", "json", &parts[0], &parts[1]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["missing_shards"], serde_json::json!(["2/3"]));
    assert!(run.stderr.contains("merged without shard 2/3"), "{}", run.stderr);
    let table = t.run(&["merge", "--allow-missing", &parts[0], &parts[1]]);
    assert!(table.stdout.contains("Incomplete: shard 2/3 of the run is missing from this merge"), "{}", table.stdout);
    let html = t.run(&["merge", "--allow-missing", "--format", "html", &parts[0], &parts[1]]);
    assert!(html.stdout.contains("shard 2/3 of the run is missing"), "{}", html.stdout);
    let prom = t.run(&["merge", "--allow-missing", "--format", "prom", &parts[0], &parts[1]]);
    assert!(prom.stdout.contains("albmtls_missing_shards 1\n"), "{}", prom.stdout);
    for section in crate::trust::CSV_SECTIONS {
        let csv = t.run(&["merge", "--allow-missing", "--format", "csv", "--section", section, &parts[0], &parts[1]]);
        assert_eq!(csv.code, 0, "{}", csv.stderr);
        let missing: Vec<&str> = csv.stdout.lines().filter(|line| line.starts_with("(missing shard),")).collect();
        assert_eq!(missing.len(), 1, "--section {section} has one missing-shard row:\n{}", csv.stdout);
        assert!(missing[0].contains("shard 2/3 of the run is missing"), "--section {section}: {}", missing[0]);
    }
}

#[test]
fn merge_refuses_one_unsharded_partial_given_twice_and_merges_partials_of_different_runs() {
    let t = TestDir::new();
    corpus(&t, 6, 200, 4);
    let run = t.run(&["report", "-o", "whole.partial.json", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::copy(t.path().join("whole.partial.json"), t.path().join("copy.partial.json")).unwrap();
    let twice = t.run(&["merge", "--format", "json", "whole.partial.json", "copy.partial.json"]);
    assert_eq!(twice.code, 2, "{}", twice.stdout);
    assert!(twice.stdout.is_empty(), "no report is written: {}", twice.stdout);
    assert!(
        twice.stderr.contains("whole.partial.json and copy.partial.json are one run's partial (one file under two names, or a copy of it)"),
        "{}",
        twice.stderr
    );
    // Two runs over different times are two partials: a week of nightly runs merges.
    let single = t.run(&["report", "--format", "json", "corpus"]).json();
    let split = single["last_seen"].as_str().unwrap();
    for (name, bound) in [("early.partial.json", "--until"), ("late.partial.json", "--since")] {
        let run = t.run(&["report", bound, split, "-o", name, "corpus"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let merged = t.run(&["merge", "--format", "json", "early.partial.json", "late.partial.json"]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert_eq!(merged.json()["records"], single["records"]);
    assert!(merged.json()["filtered_out"].as_u64() > Some(0), "each run left out the other's records");
}

#[test]
fn merge_refuses_shards_of_different_runs() {
    let t = TestDir::new();
    corpus(&t, 6, 200, 4);
    let three = shard_partials(&t, &[0], 3);
    let run = t.run(&["report", "--shard", "1/2", "-o", "half.partial.json", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = t.run(&["report", "-o", "whole.partial.json", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mixed = t.run(&["merge", &three[0], "half.partial.json"]);
    assert_eq!(mixed.code, 2);
    assert!(mixed.stderr.contains("half.partial.json is shard 1/2 but part-0.partial.json is shard 0/3"), "{}", mixed.stderr);
    let mixed = t.run(&["merge", "whole.partial.json", &three[0]]);
    assert_eq!(mixed.code, 2);
    assert!(mixed.stderr.contains("whole.partial.json is from an unsharded run"), "{}", mixed.stderr);
}
