//! The remediation catalogue (`albmtls_parse::remediation`) as people read it in text:
//! the steps (shared by `report` and the doctor) and the whole entry (`explain`), so the
//! advice reads the same wherever it appears. The HTML report writes the same steps with
//! [`crate::html::write_steps_html`].

use std::io::{self, Write};

use albmtls_parse::remediation::{self, Remediation};

/// Said of a `Failed:` code AWS does not document, wherever it is shown.
pub const NOT_DOCUMENTED: &str = "This code is not in the AWS documentation; albmtls counts it on its own.";

/// The `albmtls explain` command that prints the whole entry.
pub fn explain_command(entry: &Remediation) -> String {
    let argument = if std::ptr::eq(entry, remediation::unknown_failure()) { "unknown" } else { entry.status };
    format!("albmtls explain {argument}")
}

/// The steps to fix a status, for terminals and Markdown:
///
/// ```text
/// What to do (<summary>):
///   1. <step>
/// More: albmtls explain <status>
/// ```
pub fn write_steps_text(entry: &Remediation, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "What to do ({}):", entry.summary)?;
    for (i, step) in entry.steps.iter().enumerate() {
        writeln!(out, "  {}. {step}", i + 1)?;
    }
    writeln!(out, "More: {}", explain_command(entry))
}

/// The whole entry, as `albmtls explain` prints it.
pub fn write_entry_text(entry: &Remediation, out: &mut dyn Write) -> io::Result<()> {
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

/// `albmtls explain`: the entries as text or as a JSON array.
pub fn write_explain(entries: &[&Remediation], json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, entries)?;
        writeln!(out)
    } else {
        entries.iter().try_for_each(|entry| write_entry_text(entry, out))
    }
}
