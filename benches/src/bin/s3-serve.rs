//! Serves a directory over the S3 API on loopback (the test server of `albmtls-testkit`:
//! s3s-fs), for `compare.sh` to time reports of S3 objects: each folder of the directory
//! is a bucket. Prints the environment a client needs, one `NAME=value` a line, then
//! serves until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use albmtls_testkit::s3_server::{ACCESS_KEY, REGION, SECRET_KEY, TestServer};

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: s3-serve DIR   (each folder of DIR is a bucket)");
        return ExitCode::from(2);
    };
    if !root.is_dir() {
        eprintln!("s3-serve: {} is not a directory", root.display());
        return ExitCode::from(2);
    }
    let server = TestServer::serve(&root);
    let mut out = std::io::stdout().lock();
    let printed = writeln!(
        out,
        "AWS_ENDPOINT_URL={}\nAWS_ACCESS_KEY_ID={ACCESS_KEY}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\nAWS_REGION={REGION}",
        server.endpoint
    )
    .and_then(|()| out.flush());
    if let Err(err) = printed {
        eprintln!("s3-serve: cannot write to stdout: {err}");
        return ExitCode::from(2);
    }
    drop(out);
    loop {
        std::thread::park();
    }
}
