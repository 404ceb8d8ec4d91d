//! A temporary directory to build inputs in, and a way to run the real binary on it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;

pub struct TestDir {
    dir: tempfile::TempDir,
}

/// What a run printed and how it ended.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

impl TestDir {
    pub fn new() -> TestDir {
        TestDir { dir: tempfile::tempdir().expect("creating a temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `relative`, creating folders.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Writes `lines` as a gzip file with one member per element of `members`.
    pub fn write_gz(&self, relative: &str, members: &[&str]) -> PathBuf {
        let bytes: Vec<u8> = members.iter().flat_map(|m| gzip(m.as_bytes())).collect();
        self.write(relative, &bytes)
    }

    /// Runs albmtls with `args` (relative paths resolve in the temp dir).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut child = albmtls()
            .args(args)
            .current_dir(self.dir.path())
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running albmtls");
        if let Some(data) = stdin {
            child.stdin.take().unwrap().write_all(data).unwrap();
        }
        Run::from(child.wait_with_output().unwrap())
    }
}

pub fn albmtls() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_albmtls"));
    // COLUMNS sets the table width; runs here must not depend on the terminal they start from.
    command.env_remove("NO_COLOR").env_remove("COLUMNS").env("TZ", "UTC");
    command
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// The S3 key layout's folder for a day.
pub const DAY: &str = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/02";

/// A connection-log file name in that folder, ending at `hhmm`.
pub fn conn_log_name(hhmm: &str) -> String {
    format!(
        "{DAY}/conn_log_123456789012_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_20261102T{hhmm}Z_10.0.1.5_abcd{hhmm}.log.gz"
    )
}

/// Every file under `dir`, in no particular order.
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(files_under(&path)) } else { files.push(path) }
    }
    files
}
