//! Hostile inputs and interruptions: nothing panics, nothing is silently lost.

use std::io::Write;
use std::process::Stdio;

use crate::harness::{TestDir, albmtls, gzip};

const GOOD: &str = "2026-11-02T10:00:01.000001Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=a\" - 02 Failed:ClientCertExpired TID_1\n";

fn report(t: &TestDir, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["report", "--format", "json"];
    all.extend_from_slice(args);
    let run = t.run(&all);
    (run.code, run.json(), run.stderr)
}

#[test]
fn a_10_mb_line_is_counted_as_overlong_where_it_is_and_nul_bytes_and_invalid_utf8_as_malformed() {
    let t = TestDir::new();
    let mut data = GOOD.as_bytes().to_vec();
    data.extend(std::iter::repeat_n(b'z', 10 * 1024 * 1024));
    data.push(b'\n');
    data.extend_from_slice(b"\x00\x00\x00 nul bytes\n\xff\xfe\xfd not utf-8\n");
    data.extend_from_slice(GOOD.as_bytes());
    t.write("conn_log_hostile.gz", &gzip(&data));
    let (code, r, stderr) = report(&t, &["conn_log_hostile.gz"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!((r["records"].as_u64(), r["malformed"].as_u64()), (Some(2), Some(2)));
    let samples = r["skipped"]["malformed_samples"].as_array().unwrap();
    assert_eq!(samples.iter().map(|s| s["line"].as_u64().unwrap()).collect::<Vec<_>>(), vec![3, 4]);
    assert!(samples[0]["text"].as_str().unwrap().len() <= 300, "samples are cut short");
    assert_eq!(r["skipped"]["overlong_lines"], 1);
    assert_eq!(r["skipped"]["overlong_samples"][0]["input"], "conn_log_hostile.gz");
    assert_eq!(r["skipped"]["overlong_samples"][0]["line"], 2, "the overlong line is named by its place");
    let table = t.run(&["report", "conn_log_hostile.gz"]).stdout;
    assert!(table.contains("Lines longer than 1 MiB, skipped unread and counted as overlong (first 1 of 1)"), "{table}");
    let grep = t.run(&["grep", "conn_log_hostile.gz"]);
    assert_eq!(grep.stdout, GOOD.repeat(2));
    assert!(
        grep.stderr.contains("1 line(s) longer than 1 MiB (the reader's limit") && grep.stderr.contains("first at conn_log_hostile.gz:2"),
        "{}",
        grep.stderr
    );
}

/// Runs albmtls to its end and returns its exit code and peak resident memory in bytes.
///
/// The kernel's peak for a process includes what it shared with its parent before exec,
/// and this test binary holds large inputs: so a small Python process starts albmtls and
/// reads the peak of its one child.
fn run_measuring_memory(t: &TestDir, args: &[&str]) -> (i32, u64) {
    const MEASURE: &str = "import resource, subprocess, sys\n\
        code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n\
        print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let output = std::process::Command::new("python3")
        .args(["-c", MEASURE, env!("CARGO_BIN_EXE_albmtls")])
        .args(args)
        .current_dir(t.path())
        .output()
        .expect("python3 runs the measurement");
    let text = String::from_utf8(output.stdout).unwrap();
    let (code, kib) = text.trim().split_once(' ').unwrap_or_else(|| panic!("measurement failed: {text}"));
    (code.parse().unwrap(), kib.parse::<u64>().unwrap() * 1024)
}

#[test]
fn a_gzip_bomb_of_one_gigabyte_in_one_line_is_skipped_in_bounded_memory() {
    let t = TestDir::new();
    let file = std::fs::File::create(t.path().join("conn_log_bomb.gz")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let block = vec![b'a'; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&block).unwrap();
    }
    encoder.write_all(format!("\n{GOOD}").as_bytes()).unwrap();
    encoder.finish().unwrap().flush().unwrap();
    let (code, peak) = run_measuring_memory(&t, &["report", "-o", "bomb.json", "conn_log_bomb.gz"]);
    assert_eq!(code, 0);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join("bomb.json")).unwrap()).unwrap();
    assert_eq!((r["records"].as_u64(), r["skipped"]["overlong_lines"].as_u64()), (Some(1), Some(1)));
    assert!(peak <= 200 << 20, "1 GB of one line read in {} MB", peak >> 20);
}

#[test]
fn a_gzip_bomb_that_starts_like_parquet_is_refused_past_the_parquet_limit_in_bounded_memory() {
    let t = TestDir::new();
    let file = std::fs::File::create(t.path().join("bomb.parquet.gz")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    encoder.write_all(b"PAR1").unwrap();
    // A little past the 1 GiB the Parquet limit allows.
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1025 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap().flush().unwrap();
    t.write("conn_log_good", GOOD.as_bytes());
    let (code, peak) = run_measuring_memory(&t, &["report", "-o", "bomb.json", "bomb.parquet.gz", "conn_log_good"]);
    assert_eq!(code, 2, "an input that cannot be read is an error");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join("bomb.json")).unwrap()).unwrap();
    assert_eq!(r["records"], 1, "the other input is read");
    let errors = r["skipped"]["input_errors"].as_array().unwrap();
    assert_eq!((errors.len(), errors[0]["input"].as_str()), (1, Some("bomb.parquet.gz")));
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("larger than 1 GiB, the Parquet limit"), "{message}");
    assert!(peak <= 200 << 20, "a Parquet stream of more than 1 GiB stored in {} MB of memory", peak >> 20);
}

/// The fuzz find of `albmtls-parquet`'s `a_page_that_claims_gigabytes_uncompressed_...`:
/// 2 KiB whose page header claims ~1.4 GB cost 1.4 GB of memory before the page limit.
#[test]
fn a_parquet_page_that_claims_gigabytes_is_an_input_error_in_bounded_memory() {
    let t = TestDir::new();
    t.write("hostile.parquet", include_bytes!("../../../../fuzz/corpus/vended_parquet/regression-page-claims-gigabytes.parquet"));
    t.write("conn_log_good", GOOD.as_bytes());
    let (code, peak) = run_measuring_memory(&t, &["report", "-o", "r.json", "hostile.parquet", "conn_log_good"]);
    assert_eq!(code, 2, "an input that cannot be read is an error");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(r["records"], 1, "the other input is read");
    let message = r["skipped"]["input_errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("over the limit of 64 MiB per page"), "{message}");
    assert!(peak <= 200 << 20, "a page claiming 1.4 GB read in {} MB", peak >> 20);
}

#[test]
fn files_the_doctor_holds_whole_are_refused_past_their_limit() {
    let t = TestDir::new();
    let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    pem.extend(std::iter::repeat_n(b'A', 9 << 20));
    t.write("huge.pem", &pem);
    for args in [vec!["bundle", "check", "huge.pem"], vec!["headers", "decode", "huge.pem"]] {
        let run = t.run(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("huge.pem: larger than 8 MiB, the most albmtls reads of such a file"), "{}", run.stderr);
    }
    t.write("huge.crl", &vec![0x30; 65 << 20]);
    let crl = t.run(&["crl", "inspect", "huge.crl"]);
    assert_eq!(crl.code, 2);
    assert!(crl.stderr.contains("larger than 64 MiB") && crl.stderr.contains("50 MB"), "{}", crl.stderr);
}

#[test]
fn a_pem_and_a_captured_request_just_under_the_limit_are_read_in_bounded_memory() {
    let t = TestDir::new();
    let mut pem = b"-----BEGIN CERTIFICATE-----\n".to_vec();
    pem.extend(std::iter::repeat_n(b'A', (8 << 20) - 4096));
    pem.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    t.write("almost.pem", &pem);
    let mut request = b"GET / HTTP/1.1\r\nX-Amzn-Mtls-Clientcert: ".to_vec();
    request.extend(b"%41".iter().cycle().take((8 << 20) - 4096));
    request.extend_from_slice(b"\r\n\r\n");
    t.write("almost-request.txt", &request);
    for args in [vec!["bundle", "check", "almost.pem"], vec!["headers", "decode", "almost-request.txt"]] {
        let (code, peak) = run_measuring_memory(&t, &args);
        assert!(code == 1 || code == 2, "{args:?} ends with a finding or a clear error, not a crash ({code})");
        assert!(peak <= 200 << 20, "{args:?}: 8 MiB read in {} MB", peak >> 20);
    }
}

#[test]
fn a_partial_file_past_its_limit_is_refused_before_it_is_read() {
    let t = TestDir::new();
    // Sparse: the file claims 4 GiB and a byte without taking the disk.
    let file = std::fs::File::create(t.path().join("huge.partial.json")).unwrap();
    file.set_len((4 << 30) + 1).unwrap();
    let (code, peak) = run_measuring_memory(&t, &["merge", "huge.partial.json"]);
    assert_eq!(code, 2);
    assert!(peak <= 50 << 20, "refused without reading it, in {} MB", peak >> 20);
    let run = t.run(&["merge", "huge.partial.json"]);
    assert!(run.stderr.contains("huge.partial.json: larger than 4096 MiB"), "{}", run.stderr);
}

#[test]
fn empty_files_and_trailing_garbage() {
    let t = TestDir::new();
    t.write("conn_log_empty", b"");
    t.write("conn_log_empty.gz", &gzip(b""));
    let (code, r, _) = report(&t, &["conn_log_empty", "conn_log_empty.gz"]);
    assert_eq!((code, r["records"].as_u64(), r["inputs_read"].as_u64()), (0, Some(0), Some(2)));
    let mut garbage = gzip(GOOD.repeat(10).as_bytes());
    garbage.extend_from_slice(b"\x00\x01 trailing junk that is not gzip");
    t.write("conn_log_junk.gz", &garbage);
    let (code, r, stderr) = report(&t, &["conn_log_junk.gz"]);
    assert_eq!(code, 2, "trailing garbage is reported");
    assert_eq!(r["records"], 10, "every record before it is kept");
    assert!(stderr.contains("conn_log_junk.gz") && stderr.contains("corrupt"), "{stderr}");
}

#[test]
fn symlink_loops_are_named_and_the_rest_is_read() {
    let t = TestDir::new();
    t.write("logs/conn_log_a", GOOD.as_bytes());
    std::os::unix::fs::symlink(t.path().join("logs"), t.path().join("logs/again")).unwrap();
    let (code, r, stderr) = report(&t, &["logs"]);
    assert_eq!((code, r["records"].as_u64()), (2, Some(1)));
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
}

#[test]
fn an_unreadable_directory_is_named_and_the_rest_is_read() {
    use std::os::unix::fs::PermissionsExt;
    let t = TestDir::new();
    t.write("logs/open/conn_log_a", GOOD.as_bytes());
    t.write("logs/locked/conn_log_b", GOOD.as_bytes());
    let locked = t.path().join("logs/locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    for dir in [t.path().to_path_buf(), t.path().join("logs"), t.path().join("logs/open")] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(t.path().join("logs/open/conn_log_a"), std::fs::Permissions::from_mode(0o644)).unwrap();
    // root reads everything, so as root the run drops to `nobody` to meet the permission.
    let mut command = if unsafe { geteuid() } == 0 {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_albmtls")]);
        c
    } else {
        albmtls()
    };
    let output = command.args(["report", "--format", "json", "logs"]).current_dir(t.path()).output().unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["records"], 1, "the readable directory is still read");
    assert!(stderr.contains("logs/locked") && stderr.contains("check the file's permissions"), "{stderr}");
}

unsafe extern "C" {
    fn geteuid() -> u32;
}

#[test]
fn access_logs_given_by_name_are_explained() {
    let t = TestDir::new();
    t.write("access.log", b"h2 2026-11-02T10:00:00.1Z app/my-lb/1 203.0.113.7:1 10.0.0.1:80 0.001 0.002 0.000 200 200 34 366 \"GET https://x:443/ HTTP/2.0\" \"curl\" - - arn - \"Root=1\" \"-\" \"-\" 0 2026-11-02T10:00:00Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\" TID_1\n");
    let (code, r, stderr) = report(&t, &["access.log"]);
    assert_eq!((code, r["records"].as_u64(), r["malformed"].as_u64()), (0, Some(0), Some(1)));
    assert!(stderr.contains("are these access logs"), "{stderr}");
}

#[test]
fn interrupted_runs_leave_no_output_file() {
    let t = TestDir::new();
    let mut child = albmtls()
        .args(["report", "-o", "report.json", "-"])
        .current_dir(t.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(GOOD.repeat(1000).as_bytes()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: kill(2) with a pid we own; no memory is touched.
    let rc = unsafe { kill(child.id() as i32, 2) };
    assert_eq!(rc, 0);
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    let names: Vec<String> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.is_empty(), "nothing may be left behind: {names:?}");
}

unsafe extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}

#[test]
fn completions_and_man_page_are_generated_from_the_real_options() {
    let t = TestDir::new();
    let bash = t.run(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(bash.stdout.contains("--fail-on") && bash.stdout.contains("complete -F"), "bash completion names real options");
    for shell in ["zsh", "fish"] {
        let run = t.run(&["completions", shell]);
        assert!(run.code == 0 && run.stdout.contains("--since"), "{shell}");
    }
    let man = t.run(&["man"]);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH albmtls"), "{}", &man.stdout[..200.min(man.stdout.len())]);
}

#[test]
fn verbose_diagnostics_go_to_stderr_and_quiet_hides_warnings() {
    let t = TestDir::new();
    t.write("conn_log_a", format!("{GOOD}junk\n").as_bytes());
    let verbose = t.run(&["grep", "-v", "--failed", "conn_log_a"]);
    assert_eq!(verbose.stdout, GOOD, "diagnostics never reach stdout");
    assert!(verbose.stderr.contains("INFO"), "{}", verbose.stderr);
    let quiet = t.run(&["grep", "-q", "--failed", "conn_log_a"]);
    assert_eq!(quiet.stderr, "", "--quiet hides the malformed-line warning");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let t = TestDir::new();
    t.write("conn_log_a", GOOD.as_bytes());
    let piped = t.run(&["report", "conn_log_a"]);
    assert!(!piped.stdout.contains('\x1b'), "no escape codes into a pipe");
    let forced = t.run(&["report", "--color", "always", "conn_log_a"]);
    assert!(forced.stdout.contains("\x1b[38;5;9m Failed:ClientCertExpired"), "failures are red when colour is forced");
    let output = albmtls().args(["report", "conn_log_a"]).env("NO_COLOR", "1").current_dir(t.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\x1b'));
}

#[test]
fn help_shows_examples_for_each_command() {
    let t = TestDir::new();
    for command in ["report", "grep", "explain", "merge", "completions"] {
        let run = t.run(&[command, "--help"]);
        assert!(run.stdout.contains("Example"), "{command} --help has no examples");
    }
    for command in
        [["bundle", "check"], ["cert", "check"], ["crl", "inspect"], ["crl", "convert"], ["crl", "contains"], ["headers", "decode"]]
    {
        let run = t.run(&[command[0], command[1], "--help"]);
        assert!(run.stdout.contains("Example"), "{command:?} --help has no examples");
    }
}

#[test]
fn a_crl_with_a_million_entries_and_a_bundle_of_thousands_of_certificates_fit_in_bounded_memory() {
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
        RevokedCertParams, SerialNumber, date_time_ymd,
    };
    let t = TestDir::new();
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    t.write("ca.pem", ca_pem.as_bytes());
    let issuer = Issuer::new(ca, ca_key);
    let revoked = (1..=1_000_000u32)
        .map(|n| RevokedCertParams {
            serial_number: SerialNumber::from(n.to_be_bytes().to_vec()),
            revocation_time: date_time_ymd(2025, 6, 1),
            reason_code: None,
            invalidity_date: None,
        })
        .collect();
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2025, 6, 1),
        next_update: date_time_ymd(2039, 6, 1),
        crl_number: SerialNumber::from(vec![1]),
        issuing_distribution_point: None,
        revoked_certs: revoked,
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .unwrap();
    t.write("big.crl", crl.der());
    for args in [vec!["crl", "inspect", "--bundle", "ca.pem", "big.crl"], vec!["crl", "contains", "0F4240", "big.crl"]] {
        let (code, peak) = run_measuring_memory(&t, &args);
        assert!(code == 0 || code == 1, "{args:?} ends with a verdict, not an error ({code})");
        assert!(peak <= 200 << 20, "{args:?}: a million entries in {} MB", peak >> 20);
    }
    let inspected = t.run(&["crl", "inspect", "--bundle", "ca.pem", "big.crl"]);
    assert!(inspected.stdout.contains("exceed the quota of 500000 revocation entries per trust store"), "{}", inspected.stdout);
    let bundle: String = (0..3000)
        .map(|_| {
            let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.self_signed(&key).unwrap().pem()
        })
        .collect();
    t.write("many.pem", bundle.as_bytes());
    let (code, peak) = run_measuring_memory(&t, &["bundle", "check", "many.pem"]);
    assert_eq!(code, 1, "ALB refuses a bundle of 3000 CAs");
    assert!(peak <= 200 << 20, "3000 certificates in {} MB", peak >> 20);
    let checked = t.run(&["bundle", "check", "many.pem"]);
    assert!(checked.stdout.contains("3000 certificates exceed the quota of 25 CA certificates per trust store"), "{}", checked.stdout);
}
