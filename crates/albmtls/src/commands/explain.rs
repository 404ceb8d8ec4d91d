//! `albmtls explain`: the remediation catalogue, on its own.

use std::io::Write;

use albmtls_parse::FailureCode;
use albmtls_report::remediation::{self, Remediation};
use anyhow::{Result, bail};

use super::{Exit, output_failed};
use crate::args::ExplainArgs;
use crate::printer::Printer;

/// The entries `code` names: one, or all of them for `all`.
fn entries(code: &str) -> Result<Vec<&'static Remediation>> {
    let code = code.trim();
    if code.eq_ignore_ascii_case("all") {
        let mut all: Vec<&Remediation> = FailureCode::ALL.iter().map(|c| remediation::for_code(*c)).collect();
        all.extend([remediation::unknown_failure(), remediation::success(), remediation::absent()]);
        return Ok(all);
    }
    if code.eq_ignore_ascii_case("success") {
        return Ok(vec![remediation::success()]);
    }
    if code == "-" {
        return Ok(vec![remediation::absent()]);
    }
    if code.eq_ignore_ascii_case("unknown") {
        return Ok(vec![remediation::unknown_failure()]);
    }
    let bare = code.strip_prefix("Failed:").unwrap_or(code);
    match FailureCode::from_code_ignore_case(bare) {
        Some(known) => Ok(vec![remediation::for_code(known)]),
        None if code.starts_with("Failed:") => Ok(vec![remediation::unknown_failure()]),
        None => {
            let known: Vec<&str> = FailureCode::ALL.iter().map(|c| c.as_str()).collect();
            bail!("unknown code `{code}`; documented codes are: {}; or use `success`, `-`, `unknown` or `all`", known.join(", "))
        }
    }
}

fn write_text(entry: &Remediation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}\n  {}\n", entry.status, entry.summary)?;
    writeln!(out, "What it means:\n  {}\n", entry.meaning)?;
    if !entry.causes.is_empty() {
        writeln!(out, "Likely causes:")?;
        for cause in entry.causes {
            writeln!(out, "  - {cause}")?;
        }
        writeln!(out)?;
    }
    if !entry.steps.is_empty() {
        writeln!(out, "How to fix it:")?;
        for (i, step) in entry.steps.iter().enumerate() {
            writeln!(out, "  {}. {step}", i + 1)?;
        }
        writeln!(out)?;
    }
    if !entry.commands.is_empty() {
        writeln!(out, "Commands:")?;
        for command in entry.commands {
            writeln!(out, "  # {}\n  {}", command.purpose, command.command)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

pub fn run(args: &ExplainArgs, printer: &Printer) -> Result<Exit> {
    let entries = entries(&args.code)?;
    let written = printer.with_stdout(|out| {
        if args.json {
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            writeln!(out)
        } else {
            entries.iter().try_for_each(|entry| write_text(entry, out))
        }
    });
    match written.and_then(|()| printer.flush()) {
        Ok(()) => Ok(Exit::Ok),
        Err(err) => Ok(output_failed(printer, &err)),
    }
}
