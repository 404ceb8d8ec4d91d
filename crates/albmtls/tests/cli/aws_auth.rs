//! How albmtls gets AWS credentials, as the AWS CLI resolves them: a profile's
//! credential_process against the real local S3 server, and the messages a web-identity
//! profile whose STS cannot be reached and an SSO profile without a login give. Nothing
//! here reads the machine's own AWS configuration or reaches the network.

use std::process::Command;

use albmtls_testkit::gzip;
use albmtls_testkit::s3_server::{ACCESS_KEY, REGION, SECRET_KEY, TestServer};

use crate::harness::{DAY, Run, TestDir, albmtls, conn_log_name};
use crate::s3::closed_port;

const BUCKET: &str = "auth-logs";
const LINE: &str =
    "2026-11-02T10:00:01.000001Z 203.0.113.7 40001 443 TLSv1.3 TLS_AES_128_GCM_SHA256 - \"CN=x\" - 02 Failed:ClientCertExpired TID_1\n";

/// albmtls with `config` as the only AWS configuration (no instance metadata), and of
/// the environment's AWS variables only `env`.
fn with_config(t: &TestDir, config: &str, env: &[(&str, &str)], args: &[&str]) -> Command {
    t.write("aws/config", config.as_bytes());
    let mut command = albmtls();
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .current_dir(t.path())
        .env("HOME", t.path())
        .env("AWS_CONFIG_FILE", t.path().join("aws/config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", t.path().join("aws/credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied());
    command
}

/// Runs albmtls with `config` as the only AWS configuration (no keys in the environment,
/// no instance metadata), selecting `profile`.
fn run_with_profile(t: &TestDir, config: &str, profile: &str, args: &[&str]) -> Run {
    Run::from(with_config(t, config, &[("AWS_PROFILE", profile)], args).output().unwrap())
}

fn server_with_one_log() -> TestServer {
    let server = TestServer::start();
    server.create_bucket(BUCKET);
    server.put_all(BUCKET, &[(conn_log_name("1005"), gzip(LINE))]);
    server
}

/// A profile `vault` whose credential_process prints `secret` (and `token`, if any) for
/// the server's access key, logging each run to `process-runs`.
fn vault_profile(t: &TestDir, server: &TestServer, secret: &str, token: Option<&str>) -> String {
    let token = token.map(|token| format!(", \"SessionToken\": \"{token}\"")).unwrap_or_default();
    let process = script(
        t,
        "creds.sh",
        &format!(
            "echo run >> '{}'\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{ACCESS_KEY}\", \"SecretAccessKey\": \"{secret}\"{token}}}'",
            t.path().join("process-runs").display()
        ),
    );
    format!("[profile vault]\nregion = {REGION}\nendpoint_url = {}\ncredential_process = {process}\n", server.endpoint)
}

fn script(t: &TestDir, name: &str, body: &str) -> String {
    let path = t.write(name, format!("#!/bin/sh\n{body}\n").as_bytes());
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn a_credential_process_profile_reads_from_s3() {
    let t = TestDir::new();
    let server = server_with_one_log();
    let config = vault_profile(&t, &server, SECRET_KEY, None);
    let run = run_with_profile(&t, &config, "vault", &["report", "--format", "json", "-vvv", &format!("s3://{BUCKET}/{DAY}/")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["records"], 1);
    assert!(!run.stderr.contains(SECRET_KEY), "the secret key never appears, even with -vvv:\n{}", run.stderr);
}

#[test]
fn a_failing_credential_process_names_the_profile_and_its_error() {
    let t = TestDir::new();
    let server = server_with_one_log();
    let process = script(&t, "creds.sh", "echo 'vault is locked' >&2; exit 3");
    let config = format!("[profile vault]\nregion = {REGION}\nendpoint_url = {}\ncredential_process = {process}\n", server.endpoint);
    let run = run_with_profile(&t, &config, "vault", &["report", &format!("s3://{BUCKET}/{DAY}/")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("credential_process of profile `vault` failed"), "{}", run.stderr);
    assert!(run.stderr.contains("vault is locked"), "{}", run.stderr);
}

#[test]
fn a_web_identity_profile_whose_sts_is_unreachable_says_so() {
    let t = TestDir::new();
    let server = server_with_one_log();
    t.write("token", b"eyJhbGciOiJub25lIn0.e30.");
    let config = format!(
        "[profile irsa]\nregion = {REGION}\nendpoint_url = {}\nrole_arn = arn:aws:iam::123456789012:role/albmtls\nweb_identity_token_file = {}\n[services irsa-sts]\nsts =\n  endpoint_url = http://127.0.0.1:{}\n",
        server.endpoint,
        t.path().join("token").display(),
        closed_port()
    );
    let config = config.replace("[profile irsa]\n", "[profile irsa]\nservices = irsa-sts\n");
    let run = run_with_profile(&t, &config, "irsa", &["report", &format!("s3://{BUCKET}/{DAY}/")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("web identity"), "{}", run.stderr);
    assert!(!run.stderr.contains("eyJhbGciOiJub25lIn0"), "the token never appears:\n{}", run.stderr);
}

#[test]
fn an_sso_profile_without_a_login_says_to_log_in() {
    let t = TestDir::new();
    std::fs::create_dir_all(t.path().join(".aws/sso/cache")).unwrap();
    let config = format!(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadLogs\nregion = {REGION}\nendpoint_url = http://127.0.0.1:{}\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = {REGION}\n",
        closed_port()
    );
    let run = run_with_profile(&t, &config, "dev", &["report", &format!("s3://{BUCKET}/{DAY}/")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("run `aws sso login --profile dev`"), "{}", run.stderr);
}

#[test]
fn an_explicit_profile_wins_over_keys_in_the_environment_as_in_the_aws_cli() {
    let t = TestDir::new();
    let server = server_with_one_log();
    let config = vault_profile(&t, &server, SECRET_KEY, None);
    let url = format!("s3://{BUCKET}/{DAY}/");
    let stray_keys = [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", "a-stale-secret")];
    let named =
        Run::from(with_config(&t, &config, &stray_keys, &["report", "--format", "json", "--profile", "vault", &url]).output().unwrap());
    assert_eq!(named.code, 0, "--profile vault is used, not the keys in the environment:\n{}", named.stderr);
    assert_eq!(named.json()["records"], 1);
    // AWS_PROFILE, like the AWS CLI's, comes after keys in the environment.
    let from_env = [stray_keys[0], stray_keys[1], ("AWS_PROFILE", "vault")];
    let run = Run::from(with_config(&t, &config, &from_env, &["report", "--format", "json", &url]).output().unwrap());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("S3 rejected the AWS credentials"), "{}", run.stderr);
}

#[test]
fn secret_keys_and_session_tokens_never_appear_in_output() {
    const TOKEN: &str = "albmtls-test-session-token-Qk3vW8";
    const WRONG: &str = "albmtls-wrong-secret-Zp4xN1";
    let t = TestDir::new();
    let server = server_with_one_log();
    let url = format!("s3://{BUCKET}/{DAY}/");
    let plain = format!("[default]\nregion = {REGION}\nendpoint_url = {}\n", server.endpoint);
    for verbosity in ["-v", "-vv", "-vvv"] {
        for (secret, succeeds) in [(SECRET_KEY, true), (WRONG, false)] {
            let keys = [("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", TOKEN)];
            let from_env = Run::from(with_config(&t, &plain, &keys, &["report", "--format", "json", verbosity, &url]).output().unwrap());
            let config = vault_profile(&t, &server, secret, Some(TOKEN));
            let from_process = run_with_profile(&t, &config, "vault", &["report", "--format", "json", verbosity, &url]);
            for (source, run) in [("environment", &from_env), ("credential_process", &from_process)] {
                let what = format!("keys from the {source}, {verbosity}, {}", if succeeds { "success" } else { "failure" });
                assert_eq!(run.code, if succeeds { 0 } else { 2 }, "{what}:\n{}", run.stderr);
                assert!(!run.stderr.is_empty(), "{what}: diagnostics were written");
                for leaked in [secret, TOKEN] {
                    assert!(!run.stdout.contains(leaked) && !run.stderr.contains(leaked), "{what}: {leaked} leaked:\n{}", run.stderr);
                }
            }
        }
    }
}

#[test]
fn a_followed_run_runs_the_credential_process_once() {
    let t = TestDir::new();
    let server = server_with_one_log();
    let config = vault_profile(&t, &server, SECRET_KEY, None);
    let run = run_with_profile(
        &t,
        &config,
        "vault",
        &["grep", "--follow", "--poll", "1s", "--follow-for", "4s", &format!("s3://{BUCKET}/{DAY}/")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stderr);
    let runs = std::fs::read_to_string(t.path().join("process-runs")).unwrap();
    assert_eq!(runs.lines().count(), 1, "one S3 client, and its credentials, for every poll");
}
