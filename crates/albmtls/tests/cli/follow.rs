//! `--follow`: inputs that appear after the start are read exactly once, on the real
//! local S3 server and in local directories; Ctrl-C and `--follow-for` end the run.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use albmtls_testkit::s3_server::{SECRET_KEY, TestServer};
use chrono::{DateTime, Utc};

use crate::harness::{Run, TestDir, albmtls, gzip};
use crate::s3::albmtls_for;

/// Long enough for any poll on a loaded machine; a run that takes this long is stuck.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running albmtls whose stdout arrives line by line.
struct Running {
    child: Child,
    lines: Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("running albmtls");
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Running { child, lines, stderr }
    }

    /// Reads lines until one satisfies `wanted`; returns every line read, that one last.
    fn read_until(&self, what: &str, wanted: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut read = Vec::new();
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let done = wanted(&line);
                    read.push(line);
                    if done {
                        return read;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no {what} within {PATIENCE:?}; read so far:\n{}", read.join("\n")),
                Err(RecvTimeoutError::Disconnected) => panic!("albmtls ended before {what}; read:\n{}", read.join("\n")),
            }
        }
    }

    /// Waits for the end of the run: the rest of stdout, stderr and the exit code.
    fn wait(mut self) -> (Vec<String>, String, i32) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("albmtls did not end within {PATIENCE:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let rest: Vec<String> = self.lines.iter().collect();
        (rest, self.stderr.join().unwrap(), status.code().unwrap_or(-1))
    }

    fn interrupt(&self) {
        let sent = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success(), "kill -INT failed");
    }
}

const REGION_FOLDER: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-1";

/// A connection-log key in the day folder of `at`, for a file ending at `at`.
fn key_at(at: DateTime<Utc>, node: &str) -> String {
    format!(
        "{REGION_FOLDER}/{}/conn_log_123456789012_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_{}_10.0.1.5_{node}.log.gz",
        at.format("%Y/%m/%d"),
        at.format("%Y%m%dT%H%MZ")
    )
}

/// `count` records at `at` whose subjects say `tag` and their number.
fn records(at: DateTime<Utc>, tag: &str, count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "{} 203.0.113.7 {i} 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.002 \"CN={tag}-{i}\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2099-01-01T00:00:00Z 0A Success -\n",
                at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
            )
        })
        .collect()
}

fn occurrences(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|line| line.contains(needle)).count()
}

#[test]
fn grep_follow_prints_an_object_that_lands_after_the_start_once_and_follow_for_ends_it() {
    let t = TestDir::new();
    let server = TestServer::start();
    server.create_bucket("follow-logs");
    let now = Utc::now();
    server.put_all("follow-logs", &[(key_at(now, "early000"), gzip(records(now, "early", 2).as_bytes()))]);
    let url = format!("s3://follow-logs/{REGION_FOLDER}");
    let run = Running::start(albmtls_for(&t, &server, SECRET_KEY, &["grep", "--follow", "--poll", "1s", "--follow-for", "6s", &url]));
    let mut printed = run.read_until("the records that existed at the start", |line| line.contains("CN=early-1"));
    let later = Utc::now();
    server.put_all(
        "follow-logs",
        &[
            (key_at(later, "late0000"), gzip(records(later, "late", 3).as_bytes())),
            // Delivered late, for the hour before: its folder is still listed.
            (key_at(later - chrono::Duration::minutes(55), "belated0"), gzip(records(later, "belated", 1).as_bytes())),
            // Days ago: a followed run lists only the folders that can still receive logs.
            (key_at(later - chrono::Duration::days(3), "oldfold0"), gzip(records(later, "old-folder", 1).as_bytes())),
        ],
    );
    printed.extend(run.read_until("the object that landed after the start", |line| line.contains("CN=late-2")));
    let (rest, stderr, code) = run.wait();
    printed.extend(rest);
    assert_eq!(code, 0, "--follow-for ends the run by itself, successfully\n{stderr}");
    for tag in ["early-0", "early-1", "late-0", "late-1", "late-2", "belated-0"] {
        assert_eq!(occurrences(&printed, &format!("CN={tag}\"")), 1, "{tag} printed exactly once:\n{}", printed.join("\n"));
    }
    assert_eq!(occurrences(&printed, "old-folder"), 0, "an old day folder is not listed again");
    let lists: Vec<String> = server.requests().into_iter().filter(|r| r.contains("list-type=2")).collect();
    assert!(lists.len() >= 3, "the prefix is listed again every poll: {lists:?}");
    assert!(lists[1..].iter().all(|r| r.contains("start-after=")), "polls after the first start at a live day folder: {lists:?}");
}

#[test]
fn report_follow_writes_one_json_object_per_poll_and_ctrl_c_exits_0_with_every_record_counted() {
    let t = TestDir::new();
    let server = TestServer::start();
    server.create_bucket("follow-report");
    let now = Utc::now();
    server.put_all("follow-report", &[(key_at(now, "first000"), gzip(records(now, "first", 3).as_bytes()))]);
    let url = format!("s3://follow-report/{REGION_FOLDER}/");
    let run = Running::start(albmtls_for(&t, &server, SECRET_KEY, &["report", "--follow", "--poll", "1s", &url]));
    let mut polls = run.read_until("the first poll's report", |_| true);
    let first: serde_json::Value = serde_json::from_str(&polls[0]).expect("one JSON object per line");
    assert_eq!((first["records"].as_u64(), first["follow"]["poll"].as_u64()), (Some(3), Some(0)));
    server.put_all("follow-report", &[(key_at(now, "second00"), gzip(records(now, "second", 2).as_bytes()))]);
    polls.extend(run.read_until("a report with the new object", |line| line.contains("\"records\":5")));
    let with_new: serde_json::Value = serde_json::from_str(polls.last().unwrap()).unwrap();
    assert_eq!(with_new["follow"]["recent"]["added"]["Success"], 2, "the last minutes' additions are the new object's records");
    run.interrupt();
    let (rest, stderr, code) = run.wait();
    assert_eq!(code, 0, "Ctrl-C ends a followed run successfully\n{stderr}");
    for line in polls.iter().chain(&rest) {
        let report: serde_json::Value = serde_json::from_str(line).expect("every line is a JSON object");
        let records = report["records"].as_u64().unwrap();
        assert!(records == 3 || records == 5, "no record is counted twice: {line}");
    }
}

#[test]
fn report_follow_redraws_the_tables_in_place_on_a_terminal() {
    let t = TestDir::new();
    let now = Utc::now();
    let path = t.write(&format!("logs/{}", key_at(now, "screen00")), &gzip(records(now, "screen", 4).as_bytes()));
    let written_a_while_ago = std::time::SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(written_a_while_ago).unwrap();
    let binary = env!("CARGO_BIN_EXE_albmtls");
    let output = Command::new("script")
        .args(["-qec", &format!("{binary} report --follow --poll 1s --follow-for 3s logs"), "/dev/null"])
        .current_dir(t.path())
        .env("TZ", "UTC")
        .output()
        .expect("running script(1) from util-linux");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{screen}");
    let frames = screen.matches("\u{1b}[H\u{1b}[2J").count();
    assert!(frames >= 2, "the screen is cleared and redrawn every poll ({frames} frames):\n{screen}");
    assert!(screen.contains("Following logs: poll 0") && screen.contains("Ctrl-C to stop"), "{screen}");
    assert!(screen.contains("4 records from 1 input"), "the tables of the whole window:\n{screen}");
    assert!(screen.contains("Last 5 minutes: no new records."), "{screen}");
}

#[test]
fn grep_follow_reads_a_growing_file_once_it_is_complete() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.path().join("logs")).unwrap();
    let now = Utc::now();
    let path = t.path().join("logs").join(key_at(now, "growing0").rsplit('/').next().unwrap());
    let compressed = gzip(records(now, "grown", 200).as_bytes());
    let mut command = albmtls();
    command.current_dir(t.path()).args(["grep", "--follow", "--poll", "1s", "--follow-for", "7s", "logs"]);
    let run = Running::start(command);
    // A download in progress: a piece every 300 ms, over more than two polls.
    let pieces = 10;
    let piece = compressed.len().div_ceil(pieces);
    for written in (piece..compressed.len() + piece).step_by(piece) {
        std::fs::write(&path, &compressed[..written.min(compressed.len())]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let (printed, stderr, code) = run.wait();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("truncated"), "the file is not read while it grows:\n{stderr}");
    assert_eq!(printed.len(), 200, "every record once:\n{stderr}");
    for i in [0, 199] {
        assert_eq!(occurrences(&printed, &format!("CN=grown-{i}\"")), 1);
    }
}

#[test]
fn report_follow_rewrites_its_output_file_after_every_poll() {
    let t = TestDir::new();
    let now = Utc::now();
    t.write(&format!("logs/{}", key_at(now, "rewrite0")), &gzip(records(now, "kept", 4).as_bytes()));
    let run = t.run(&["report", "--follow", "--poll", "1s", "--follow-for", "2s", "-o", "live.json", "logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "the report goes to the file only");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join("live.json")).unwrap()).unwrap();
    assert_eq!(report["records"], 4);
}

#[test]
fn follow_refuses_what_it_cannot_follow() {
    let t = TestDir::new();
    let stdin = t.run(&["grep", "--follow", "-"]);
    assert_eq!(stdin.code, 2);
    assert!(stdin.stderr.contains("stdin (`-`) can be read only once"), "{}", stdin.stderr);
    let html = t.run(&["report", "--follow", "--format", "html", "logs"]);
    assert_eq!(html.code, 2);
    assert!(html.stderr.contains("for --format html name a file with -o"), "{}", html.stderr);
    let poll_alone = t.run(&["report", "--poll", "5s", "logs"]);
    assert_eq!(poll_alone.code, 2, "--poll needs --follow: {}", poll_alone.stderr);
    let too_fast = t.run(&["grep", "--follow", "--poll", "100ms", "logs"]);
    assert_eq!(too_fast.code, 2);
    assert!(too_fast.stderr.contains("at most once a second"), "{}", too_fast.stderr);
}

#[test]
fn ctrl_c_ends_grep_follow_with_0_after_reading_what_landed_before_it() {
    let t = TestDir::new();
    let server = TestServer::start();
    server.create_bucket("follow-stop");
    let now = Utc::now();
    server.put_all("follow-stop", &[(key_at(now, "before00"), gzip(records(now, "before", 1).as_bytes()))]);
    let url = format!("s3://follow-stop/{REGION_FOLDER}/");
    // Polls far apart: only the poll Ctrl-C brings on can read the second object in time.
    let run = Running::start(albmtls_for(&t, &server, SECRET_KEY, &["grep", "--follow", "--poll", "10m", &url]));
    let mut printed = run.read_until("the records that existed at the start", |line| line.contains("CN=before-0"));
    server.put_all("follow-stop", &[(key_at(now, "landed00"), gzip(records(now, "landed", 2).as_bytes()))]);
    run.interrupt();
    let (rest, stderr, code) = run.wait();
    printed.extend(rest);
    assert_eq!(code, 0, "Ctrl-C ends grep --follow successfully\n{stderr}");
    for tag in ["before-0", "landed-0", "landed-1"] {
        assert_eq!(occurrences(&printed, &format!("CN={tag}\"")), 1, "{tag} printed once, nothing lost:\n{}", printed.join("\n"));
    }
}

#[test]
fn an_object_whose_get_failed_is_read_at_a_later_poll_even_outside_the_live_folders() {
    let t = TestDir::new();
    let server = TestServer::start();
    server.create_bucket("follow-retry");
    let now = Utc::now();
    let today = key_at(now, "today000");
    let days_ago = key_at(now - chrono::Duration::days(2), "daysago0");
    server.put_all(
        "follow-retry",
        &[
            (today.clone(), gzip(records(now, "today", 2).as_bytes())),
            (days_ago.clone(), gzip(records(now - chrono::Duration::days(2), "days-ago", 2).as_bytes())),
        ],
    );
    // Every GET of the first poll breaks off before the first byte (5 tries each, the
    // CLI's attempts); the next GETs succeed.
    server.cut_bodies("follow-retry", &today, 0, 5);
    server.cut_bodies("follow-retry", &days_ago, 0, 5);
    let url = format!("s3://follow-retry/{REGION_FOLDER}/");
    let command = albmtls_for(&t, &server, SECRET_KEY, &["grep", "--follow", "--since", "3d", "--poll", "1s", "--follow-for", "8s", &url]);
    let (printed, stderr, code) = Running::start(command).wait();
    assert_eq!(code, 0, "the inputs that failed were read in the end\n{stderr}");
    assert_eq!(stderr.matches("it is read again at the next poll").count(), 2, "both failures said so:\n{stderr}");
    for tag in ["today-0", "today-1", "days-ago-0", "days-ago-1"] {
        assert_eq!(occurrences(&printed, &format!("CN={tag}\"")), 1, "{tag} printed exactly once:\n{}\n{stderr}", printed.join("\n"));
    }
}

#[test]
fn report_follow_stores_every_poll_in_s3_and_counts_a_refetched_object_once() {
    let t = TestDir::new();
    let server = TestServer::start();
    server.create_bucket("follow-store");
    let now = Utc::now();
    let flaky = key_at(now, "flaky000");
    server.put_all(
        "follow-store",
        &[
            (key_at(now, "steady00"), gzip(records(now, "steady", 3).as_bytes())),
            (flaky.clone(), gzip(records(now, "flaky", 2).as_bytes())),
        ],
    );
    server.cut_bodies("follow-store", &flaky, 0, 5);
    let url = format!("s3://follow-store/{REGION_FOLDER}/");
    let output = "s3://follow-store/reports/live.json";
    let run = Run::from(
        albmtls_for(&t, &server, SECRET_KEY, &["report", "--follow", "--poll", "1s", "--follow-for", "8s", "-o", output, &url])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("flaky000.log.gz") && run.stderr.contains("it is read again at the next poll"), "{}", run.stderr);
    let stored: serde_json::Value = serde_json::from_slice(&server.get("follow-store", "reports/live.json").unwrap()).unwrap();
    assert_eq!(stored["records"], 5, "{stored}");
    assert_eq!(stored["inputs_read"], 2, "the failed try is not counted as an input: {stored}");
    assert_eq!(stored["skipped"]["input_errors"], serde_json::json!([]), "the error went once the object was read");
    let puts = server.requests().into_iter().filter(|r| r.starts_with("PUT /follow-store/reports/live.json")).count();
    assert!(puts >= 2, "the object is rewritten after every poll ({puts} PUTs)");
}
