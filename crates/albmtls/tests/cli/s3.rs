//! `s3://` paths against a real S3-compatible server (s3s-fs) on 127.0.0.1.

use std::path::Path;
use std::process::Command;

use albmtls_testkit::s3_server::{ACCESS_KEY, REGION, SECRET_KEY, TestServer};

use crate::corpus::corpus;
use crate::harness::{DAY, Run, TestDir, albmtls, conn_log_name, files_under, gzip};

pub const BUCKET: &str = "alb-logs";

/// Uploads every file under `dir` with keys `prefix/<relative path>`.
pub fn upload(server: &TestServer, dir: &Path, prefix: &str) {
    let mut objects = Vec::new();
    for entry in files_under(dir) {
        let key = format!("{prefix}/{}", entry.strip_prefix(dir).unwrap().display());
        objects.push((key, std::fs::read(&entry).unwrap()));
    }
    server.put_all(BUCKET, &objects);
}

/// albmtls with the server's access key (and `secret`) in the environment, the region
/// of the server, and nothing else from the machine's AWS configuration: no profile, no
/// endpoint, no instance-metadata lookups.
fn albmtls_with_keys(t: &TestDir, secret: &str, args: &[&str]) -> Command {
    let mut command = albmtls();
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .args(["--region", REGION])
        .current_dir(t.path())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", t.path().join("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", t.path().join("no-aws-credentials"));
    command
}

/// albmtls set up to reach the server with `--endpoint-url` (see [`albmtls_with_keys`]).
pub fn albmtls_for(t: &TestDir, server: &TestServer, secret: &str, args: &[&str]) -> Command {
    let mut command = albmtls_with_keys(t, secret, args);
    command.args(["--endpoint-url", &server.endpoint]);
    command
}

/// Runs albmtls against the server (see [`albmtls_for`]).
pub fn run_s3(t: &TestDir, server: &TestServer, secret: &str, args: &[&str]) -> Run {
    Run::from(albmtls_for(t, server, secret, args).output().unwrap())
}

/// A port on which nothing listens.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server whose bucket holds one connection log of one record.
fn server_with_one_log() -> TestServer {
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    let line =
        "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=x\" - 02 Failed:ClientCertExpired TID_1\n";
    server.put_all(BUCKET, &[(conn_log_name("1005"), gzip(line.as_bytes()))]);
    server
}

fn server_with_corpus(t: &TestDir) -> TestServer {
    corpus(t, 10, 800, 17);
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    upload(&server, &t.path().join("corpus"), "prod");
    server
}

#[test]
fn s3_report_equals_the_local_report_of_the_same_files() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let local = t.run(&["report", "--format", "json", "corpus"]);
    let remote = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", &format!("s3://{BUCKET}/prod/")]);
    assert_eq!(remote.code, 0, "{}", remote.stderr);
    assert!(remote.stdout == local.stdout, "S3 and local reports differ:\n{}", remote.stderr);
    let since =
        run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", "--since", "2026-11-01T00:10:00Z", &format!("s3://{BUCKET}/prod")]);
    let local_since = t.run(&["report", "--format", "json", "--since", "2026-11-01T00:10:00Z", "corpus"]);
    assert_eq!(since.json()["records"], local_since.json()["records"], "time filters agree after pruning the listing");
}

#[test]
fn local_and_s3_paths_mix_and_shards_merge() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let url = format!("s3://{BUCKET}/prod/");
    let both = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", "corpus", &url]);
    let local = t.run(&["report", "--format", "json", "corpus"]).json();
    assert_eq!(both.code, 0, "{}", both.stderr);
    assert_eq!(both.json()["records"].as_u64().unwrap(), 2 * local["records"].as_u64().unwrap());
    for i in 0..2 {
        let run = run_s3(&t, &server, SECRET_KEY, &["report", "--shard", &format!("{i}/2"), "-o", &format!("p{i}.partial.json"), &url]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let merged = t.run(&["merge", "--format", "json", "p0.partial.json", "p1.partial.json"]);
    let single = t.run(&["report", "--format", "json", "corpus"]).stdout;
    assert!(merged.stdout == single, "sharded S3 runs merge into the single report");
    let parts: Vec<(String, Vec<u8>)> =
        (0..2).map(|i| (format!("parts/p{i}.partial.json"), std::fs::read(t.path().join(format!("p{i}.partial.json"))).unwrap())).collect();
    server.put_all(BUCKET, &parts);
    let from_s3 =
        run_s3(&t, &server, SECRET_KEY, &["merge", "--format", "json", &format!("s3://{BUCKET}/parts/p0.partial.json"), "p1.partial.json"]);
    assert_eq!(from_s3.code, 0, "{}", from_s3.stderr);
    assert!(from_s3.stdout == single, "partials read from S3 merge the same");
    let missing = run_s3(&t, &server, SECRET_KEY, &["merge", &format!("s3://{BUCKET}/parts/nope.partial.json")]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains(&format!("s3://{BUCKET}/parts/nope.partial.json: there is no such object: check the key")),
        "{}",
        missing.stderr
    );
    assert!(!missing.stderr.contains("listed"), "a partial named on the command line was never listed:\n{}", missing.stderr);
}

#[test]
fn a_corrupt_object_is_named_and_the_rest_of_the_report_stands() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let good = "2026-11-01T00:00:01.000001Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=a\" - 02 Failed:ClientCertExpired TID_1\n".repeat(5000);
    let full = gzip(good.as_bytes());
    let key = "prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/01/conn_log_123456789012_elasticloadbalancing_us-east-1_app.my-lb.1_20261101T0005Z_10.0.0.9_broken00.log.gz";
    server.put_all(BUCKET, &[(key.to_owned(), full[..full.len() / 2].to_vec())]);
    let run = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", &format!("s3://{BUCKET}/prod/")]);
    assert_eq!(run.code, 2);
    let report = run.json();
    let errors = report["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["input"], format!("s3://{BUCKET}/{key}"));
    assert!(run.stderr.contains("broken00.log.gz") && run.stderr.contains("truncated"), "{}", run.stderr);
    let local = t.run(&["report", "--format", "json", "corpus"]).json();
    assert!(
        report["records"].as_u64().unwrap() > local["records"].as_u64().unwrap(),
        "every other object, and the part before the damage, is counted"
    );
}

#[test]
fn wrong_credentials_and_a_missing_bucket_get_one_clear_message_each() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let denied = run_s3(&t, &server, "not-the-secret", &["report", &format!("s3://{BUCKET}/prod/")]);
    assert_eq!(denied.code, 2);
    assert!(denied.stderr.contains("credentials"), "{}", denied.stderr);
    assert!(denied.stderr.lines().count() <= 3, "one clear message, not a stack of SDK text:\n{}", denied.stderr);
    assert!(!denied.stderr.contains("no connection logs"), "a listing that failed is not an empty prefix:\n{}", denied.stderr);
    let missing = run_s3(&t, &server, SECRET_KEY, &["grep", "--failed", "s3://no-such-bucket/prod/"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("`no-such-bucket` does not exist"), "{}", missing.stderr);
    assert!(!missing.stderr.contains("no connection logs"), "{}", missing.stderr);
    let bad_url = run_s3(&t, &server, SECRET_KEY, &["report", "s3://"]);
    assert_eq!(bad_url.code, 2);
}

#[test]
fn shards_write_partials_to_s3_and_merge_writes_the_report_there() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let url = format!("s3://{BUCKET}/prod/");
    // The AWS Batch recipe without a shared volume: every shard stores its partial in S3,
    // the merge reads them from there and stores the report.
    for i in 0..2 {
        let part = format!("s3://{BUCKET}/runs/nightly/part-{i}.partial.json");
        let run = run_s3(&t, &server, SECRET_KEY, &["report", "--quiet", "--shard", &format!("{i}/2"), "-o", &part, &url]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, "", "the report goes to S3, not stdout");
    }
    let parts: Vec<String> = (0..2).map(|i| format!("s3://{BUCKET}/runs/nightly/part-{i}.partial.json")).collect();
    let merged = run_s3(
        &t,
        &server,
        SECRET_KEY,
        &[&["merge", "-o", &format!("s3://{BUCKET}/runs/nightly/report.json")][..], &parts.iter().map(String::as_str).collect::<Vec<_>>()]
            .concat(),
    );
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let stored = server.get(BUCKET, "runs/nightly/report.json").expect("the merged report is stored");
    let single = t.run(&["report", "--format", "json", "corpus"]).stdout;
    assert!(String::from_utf8(stored).unwrap() == single, "the stored report equals the single run's");
    let html = run_s3(&t, &server, SECRET_KEY, &["report", "-o", &format!("s3://{BUCKET}/runs/nightly/report.html"), &url]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(String::from_utf8(server.get(BUCKET, "runs/nightly/report.html").unwrap()).unwrap().starts_with("<!DOCTYPE html>"));
}

#[test]
fn an_s3_output_that_cannot_be_written_is_an_error_naming_it() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let folder = run_s3(&t, &server, SECRET_KEY, &["report", "-o", &format!("s3://{BUCKET}/reports/"), "corpus"]);
    assert_eq!(folder.code, 2);
    assert!(folder.stderr.contains("name the object to write"), "{}", folder.stderr);
    let denied = run_s3(&t, &server, SECRET_KEY, &["report", "-o", "s3://private/report.json", "corpus"]);
    assert_eq!(denied.code, 2);
    assert!(denied.stderr.contains("s3://private/report.json") && denied.stderr.contains("s3:PutObject"), "{}", denied.stderr);
    assert!(server.get("private", "report.json").is_none());
}

#[test]
fn overlapping_s3_prefixes_read_every_object_once() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let local = t.run(&["report", "--format", "json", "corpus"]).json();
    // The first file's folder, as a deeper prefix of the same objects.
    let first = files_under(&t.path().join("corpus")).into_iter().min().unwrap();
    let folder = first.parent().unwrap().strip_prefix(t.path().join("corpus")).unwrap().display().to_string();
    let run = run_s3(
        &t,
        &server,
        SECRET_KEY,
        &[
            "report",
            "--format",
            "json",
            &format!("s3://{BUCKET}/prod/"),
            &format!("s3://{BUCKET}/prod"),
            &format!("s3://{BUCKET}/prod/{folder}/"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["records"], local["records"], "each object is read once, by bucket and key");
    assert_eq!(r["inputs_read"], local["inputs_read"]);
}

#[test]
fn a_wrong_prefix_is_an_error_not_an_empty_report() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let url = format!("s3://{BUCKET}/prdo/");
    let run = run_s3(&t, &server, SECRET_KEY, &["report", "-o", "r.prom", &url]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("no connection logs under {url} (0 files skipped")), "{}", run.stderr);
}

#[test]
fn a_time_range_outside_the_logs_says_what_the_listing_found_not_that_the_prefix_is_wrong() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let corpus = t.path().join("corpus");
    let conn_logs: Vec<std::path::PathBuf> =
        files_under(&corpus).into_iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("conn_log")).collect();
    // The region folder of the first one (…/REGION/yyyy/mm/dd/file): listed by day folders.
    let region = conn_logs.iter().min().unwrap().ancestors().nth(4).unwrap().to_path_buf();
    let in_region = conn_logs.iter().filter(|p| p.starts_with(&region)).count();
    let region = region.strip_prefix(&corpus).unwrap().display().to_string();
    for (url, listed) in [(format!("s3://{BUCKET}/prod/"), conn_logs.len()), (format!("s3://{BUCKET}/prod/{region}/"), in_region)] {
        let expected = format!(
            "no connection log under {url} is in the time range asked for (2030-01-01T00:00:00.000000Z on): {listed} connection logs were listed outside it, whose names cover 2026-"
        );
        let report = run_s3(&t, &server, SECRET_KEY, &["report", "--format", "json", "--since", "2030-01-01", &url]);
        assert_eq!(report.code, 0, "as for local files, an empty report over the right prefix is no error: {}", report.stderr);
        assert_eq!(report.json()["records"], 0);
        assert!(report.stderr.contains(&expected), "{url}: {}", report.stderr);
        assert!(!report.stderr.contains("check the path or prefix"), "{url}: {}", report.stderr);
        let grep = run_s3(&t, &server, SECRET_KEY, &["grep", "--count", "--since", "2030-01-01", &url]);
        assert_eq!((grep.code, grep.stdout.as_str()), (1, "0\n"), "{}", grep.stderr);
        assert!(grep.stderr.contains(&expected), "{url}: {}", grep.stderr);
    }
    // A wrong prefix with a time range is still a wrong prefix.
    let wrong = run_s3(&t, &server, SECRET_KEY, &["report", "--since", "2030-01-01", &format!("s3://{BUCKET}/prdo/")]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("no connection logs under s3://alb-logs/prdo/"), "{}", wrong.stderr);
}

#[test]
fn merge_refuses_the_same_s3_partial_twice() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let part = format!("s3://{BUCKET}/runs/whole.partial.json");
    let run = run_s3(&t, &server, SECRET_KEY, &["report", "-o", &part, &format!("s3://{BUCKET}/prod/")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let twice = run_s3(&t, &server, SECRET_KEY, &["merge", "--format", "json", &part, &part]);
    assert_eq!(twice.code, 2, "{}", twice.stdout);
    assert!(twice.stdout.is_empty(), "no report is written: {}", twice.stdout);
    assert!(twice.stderr.contains(&format!("{part} and {part} are the same object")), "{}", twice.stderr);
}

#[test]
fn endpoint_url_s3_is_honoured_and_endpoint_url_wins_over_it() {
    let t = TestDir::new();
    let server = server_with_one_log();
    let nowhere = format!("http://127.0.0.1:{}", closed_port());
    let url = format!("s3://{BUCKET}/{DAY}/");
    let report = |command: &mut Command| {
        let run = Run::from(command.output().unwrap());
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.json()["records"], 1);
    };
    // Path-style addressing: the bucket cannot be a host name of 127.0.0.1.
    report(albmtls_with_keys(&t, SECRET_KEY, &["report", "--format", "json", &url]).env("AWS_ENDPOINT_URL_S3", &server.endpoint));
    report(
        albmtls_with_keys(&t, SECRET_KEY, &["report", "--format", "json", &url])
            .env("AWS_ENDPOINT_URL_S3", &server.endpoint)
            .env("AWS_ENDPOINT_URL", &nowhere),
    );
    report(
        albmtls_with_keys(&t, SECRET_KEY, &["report", "--format", "json", &url, "--endpoint-url", &server.endpoint])
            .env("AWS_ENDPOINT_URL_S3", &nowhere)
            .env("AWS_ENDPOINT_URL", &nowhere),
    );
}

#[test]
fn an_s3_output_that_cannot_be_stored_names_it_and_says_what_to_do() {
    let t = TestDir::new();
    let server = server_with_one_log();
    t.write_gz(&conn_log_name("1005"), &["2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 X - \"CN=x\" - 02 Success -\n"]);
    let output = format!("s3://{BUCKET}/reports/r.json");
    let stored = |run: &Run, cause: &str| {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(&format!("storing {output} failed, nothing was written there: {cause}")), "{}", run.stderr);
    };
    let bad_keys = run_s3(&t, &server, "not-the-secret", &["report", "-o", &output, "AWSLogs"]);
    stored(&bad_keys, "S3 rejected the AWS credentials (SignatureDoesNotMatch): check the access key and secret");
    let no_keys = Run::from(
        albmtls_for(&t, &server, SECRET_KEY, &["report", "-o", &output, "AWSLogs"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .output()
            .unwrap(),
    );
    stored(&no_keys, "no usable AWS credentials (");
    assert!(no_keys.stderr.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "{}", no_keys.stderr);
    let nowhere = format!("http://127.0.0.1:{}", closed_port());
    let unreachable =
        Run::from(albmtls_with_keys(&t, SECRET_KEY, &["report", "-o", &output, "AWSLogs", "--endpoint-url", &nowhere]).output().unwrap());
    stored(&unreachable, &format!("cannot reach S3 at {nowhere} ("));
    assert!(unreachable.stderr.contains("check the network, --endpoint-url"), "{}", unreachable.stderr);
    assert!(server.get(BUCKET, "reports/r.json").is_none());
}

#[test]
fn every_report_format_is_stored_in_s3_by_report_and_by_merge() {
    let t = TestDir::new();
    let server = server_with_corpus(&t);
    let run = t.run(&["report", "-o", "whole.partial.json", "corpus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for extension in ["txt", "md", "csv", "prom", "json"] {
        let local = t.run(&["report", "-o", &format!("local.{extension}"), "corpus"]);
        assert_eq!(local.code, 0, "{}", local.stderr);
        let expected = std::fs::read(t.path().join(format!("local.{extension}"))).unwrap();
        let key = format!("out/report.{extension}");
        let report = run_s3(&t, &server, SECRET_KEY, &["report", "-o", &format!("s3://{BUCKET}/{key}"), "corpus"]);
        assert_eq!(report.code, 0, "{}", report.stderr);
        assert!(server.get(BUCKET, &key).unwrap() == expected, "report -o s3://…{key} stores what -o FILE writes");
        let key = format!("out/merged.{extension}");
        let merged = run_s3(&t, &server, SECRET_KEY, &["merge", "-o", &format!("s3://{BUCKET}/{key}"), "whole.partial.json"]);
        assert_eq!(merged.code, 0, "{}", merged.stderr);
        assert!(server.get(BUCKET, &key).unwrap() == expected, "merge -o s3://…{key} stores the same report");
    }
}
