//! The user guide's doctor chapter is what the commands print: the example PKI is built
//! with the guide's own script (openssl), then every `$ albmtls ...` of the chapter runs
//! and its output and exit status are compared with the text shown there.

use std::path::Path;
use std::process::Command;

use crate::harness::TestDir;

/// One `$ albmtls ...` of a console block, the lines shown after it and the exit status
/// shown by the `$ echo $?` that follows.
struct Example {
    command: String,
    shown: Vec<String>,
    exit: Option<i32>,
}

fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The console blocks of the chapter whose heading starts with `heading`.
fn examples(guide: &str, heading: &str) -> Vec<Example> {
    let start = guide.find(heading).unwrap_or_else(|| panic!("no `{heading}` in the guide"));
    let chapter = &guide[start..];
    let chapter = &chapter[..chapter[heading.len()..].find("\n## ").map_or(chapter.len(), |end| end + heading.len())];
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    let mut exit_next = false;
    for line in chapter.lines() {
        if !in_console {
            in_console = line == "```console";
            continue;
        }
        if line == "```" {
            in_console = false;
        } else if line == "$ echo $?" {
            exit_next = true;
        } else if let Some(command) = line.strip_prefix("$ ") {
            assert!(command.starts_with("albmtls "), "the chapter's console blocks run albmtls only: {command}");
            examples.push(Example { command: command.to_string(), shown: Vec::new(), exit: None });
        } else {
            let example = examples.last_mut().expect("output before any command");
            if std::mem::take(&mut exit_next) {
                example.exit = Some(line.parse().unwrap_or_else(|_| panic!("`{line}` after `$ echo $?` is not an exit status")));
            } else {
                example.shown.push(line.to_string());
            }
        }
    }
    examples
}

/// Byte sizes change with every key (ECDSA signatures vary in length): numbers right
/// before `bytes` or `of` are masked.
fn masked(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let is_number = !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit());
        out.push(if is_number && (next.starts_with("bytes") || next == "of") { "N" } else { word });
    }
    out.join(" ")
}

/// Whether `actual` is the `shown` lines, `...` standing for any number of lines.
fn matches(shown: &[String], actual: &[String]) -> Result<(), String> {
    fn fits(shown: &[String], actual: &[String]) -> bool {
        match shown.split_first() {
            None => actual.is_empty(),
            Some((dots, rest)) if dots == "..." => (0..=actual.len()).any(|skip| fits(rest, &actual[skip..])),
            Some((line, rest)) => actual.first().is_some_and(|a| masked(a) == masked(line)) && fits(rest, &actual[1..]),
        }
    }
    if fits(shown, actual) {
        Ok(())
    } else {
        Err(format!("the guide shows:\n{}\nthe command printed:\n{}", shown.join("\n"), actual.join("\n")))
    }
}

/// A test directory holding the guide's example PKI, built by its script with openssl.
pub fn example_pki() -> TestDir {
    let t = TestDir::new();
    let script = repository().join("docs/examples/doctor-pki.sh");
    let built = Command::new("sh").arg(&script).arg(t.path()).output().expect("running sh");
    assert!(built.status.success(), "{}: {}", script.display(), String::from_utf8_lossy(&built.stderr));
    t
}

#[test]
fn user_guide_doctor_examples_are_what_the_commands_print() {
    let t = example_pki();
    let guide = std::fs::read_to_string(repository().join("docs/user-guide.md")).unwrap();
    let examples = examples(&guide, "## 3. Bundle and certificate checks");
    assert!(examples.len() >= 14, "one example per command at least: {}", examples.len());
    for command in [
        "bundle check",
        "--fix",
        "cert check",
        "--key",
        "--csr",
        "fleet-crl.pem",
        "crl inspect",
        "crl contains",
        "crl convert",
        "headers decode",
        "api-gateway",
    ] {
        assert!(examples.iter().any(|e| e.command.contains(command)), "no example of {command}");
    }
    for example in &examples {
        let args: Vec<&str> = example.command.split_whitespace().skip(1).collect();
        let run = t.run(&args);
        let printed: Vec<String> = format!("{}{}", run.stdout, run.stderr).lines().map(String::from).collect();
        if let Err(e) = matches(&example.shown, &printed) {
            panic!("$ {}\n{e}", example.command);
        }
        assert_eq!(Some(run.code), example.exit, "$ {}", example.command);
    }
}

#[test]
fn guide_comparison_catches_a_changed_line() {
    let shown: Vec<String> = ["a 12 bytes", "...", "c"].map(String::from).to_vec();
    assert!(matches(&shown, &["a 13 bytes".into(), "b".into(), "c".into()]).is_ok());
    assert!(matches(&shown, &["a 13 bytes".into(), "c!".into()]).is_err());
    assert!(matches(&["x".to_string()], &["x".into(), "extra".into()]).is_err());
}

#[test]
fn the_doctor_chapter_says_where_every_input_comes_from() {
    let guide = std::fs::read_to_string(repository().join("docs/user-guide.md")).unwrap();
    let start = guide.find("## 3. Bundle and certificate checks").expect("the doctor chapter");
    let chapter = &guide[start..];
    for source in [
        "aws elbv2 describe-trust-stores",
        "aws elbv2 get-trust-store-ca-certificates-bundle",
        "aws elbv2 describe-trust-store-revocations",
        "aws elbv2 get-trust-store-revocation-content",
        "aws s3 cp",
        "ncat -l 8080 > request.txt",
        "X-Amzn-Mtls-Clientcert-Leaf",
        "sh docs/examples/doctor-pki.sh",
    ] {
        assert!(chapter.contains(source), "the doctor chapter shows `{source}`");
    }
}

#[test]
fn the_readme_installs_with_the_locked_dependencies_and_names_the_man_pages() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    assert!(readme.contains("\ncargo install --locked --path crates/albmtls\n"), "README install line");
    assert!(!readme.contains("cargo install --path"), "no unlocked install line is left");
    assert!(readme.contains("albmtls man --dir"), "README says how to get the man pages");
}
