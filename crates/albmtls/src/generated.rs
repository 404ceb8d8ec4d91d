//! What clap generates from the argument definitions, so it can never disagree with the
//! real options: shell completion scripts and man pages. With `args.rs`, the only module
//! that touches clap's command model; commands get plain bytes from here.

use anyhow::Context;
use clap::CommandFactory;

use crate::args::LowArgs;

/// The completion script for `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut LowArgs::command(), "albmtls", &mut script);
    script
}

/// The man page of the command `names` leads to (`[]` for albmtls itself, `["crl",
/// "inspect"]` for a nested one).
pub fn man_page(names: &[String]) -> anyhow::Result<Vec<u8>> {
    let root = man_root();
    let mut command = &root;
    for name in names {
        command = command.find_subcommand(name).with_context(|| {
            let known: Vec<&str> = command.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
            format!("no man page for `{}`: pages are for {}", names.join(" "), known.join(", "))
        })?;
    }
    render_page(command)
}

/// Every man page, parents first, each with its file name (`albmtls-crl-inspect.1`).
pub fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let root = man_root();
    let mut commands = Vec::new();
    collect_pages(&root, &mut commands);
    commands
        .into_iter()
        .map(|command| {
            let name = format!("{}.1", command.get_display_name().unwrap_or_else(|| command.get_name()));
            Ok((name, render_page(command)?))
        })
        .collect()
}

fn man_root() -> clap::Command {
    let mut root = LowArgs::command().disable_help_subcommand(true);
    root.build();
    root
}

/// A command and every subcommand under it, parents first.
fn collect_pages<'a>(command: &'a clap::Command, pages: &mut Vec<&'a clap::Command>) {
    pages.push(command);
    for sub in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        collect_pages(sub, pages);
    }
}

/// The page clap_mangen makes, with an EXIT STATUS section. Help states the exit status
/// after the examples for some commands; the page gives it its own section instead.
fn render_page(command: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let name = page_name(command);
    let mut command = command.clone();
    if let Some(help) = command.get_after_help().map(ToString::to_string)
        && let Some((examples, _)) = help.split_once("\n\nExit status:")
    {
        command = command.after_help(examples.to_owned());
    }
    let exit = match exit_status(&name) {
        Some(exit) => exit.to_owned(),
        None if command.has_subcommands() => {
            let pages: Vec<String> =
                command.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| format!("{}(1)", page_name(c))).collect();
            format!(
                "That of the subcommand run, as its page says: {}. 2 when the arguments cannot be understood.",
                pages.join(", ").replace('-', "\\-")
            )
        }
        None => anyhow::bail!("{name} has no exit status for its man page: add it to `exit_status`"),
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page).context("rendering the man page")?;
    page.extend_from_slice(format!(".SH \"EXIT STATUS\"\n{exit}\n").as_bytes());
    Ok(page)
}

/// The page's name: `albmtls`, `albmtls-report`, `albmtls-crl-inspect`.
fn page_name(command: &clap::Command) -> String {
    command.get_display_name().unwrap_or_else(|| command.get_name()).to_owned()
}

/// What each command's exit status means, as the README's table (and, for the doctor,
/// each command's help) says; roff text.
fn exit_status(page: &str) -> Option<&'static str> {
    Some(match page {
        "albmtls" => {
            "0 ok. 1 nothing matched (grep), a threshold was crossed (report, merge) or the doctor found a problem. 2 an error. 130 interrupted."
        }
        "albmtls-report" => {
            "0 the report was written. 1 a \\-\\-fail\\-on threshold was crossed. 2 an input could not be read (the report covers the rest) or no connection log was found. 130 interrupted."
        }
        "albmtls-merge" => {
            "0 the report was written. 1 a \\-\\-fail\\-on threshold was crossed. 2 a partial could not be read, was given twice or is from another run, or a shard is missing (without \\-\\-allow\\-missing). 130 interrupted."
        }
        "albmtls-grep" => {
            "0 some record matched. 1 none matched. 2 an input could not be read or no connection log was found. 130 interrupted."
        }
        "albmtls-explain" | "albmtls-athena" | "albmtls-completions" | "albmtls-man" => {
            "0 ok. 2 an error (an argument that cannot be understood, output that cannot be written)."
        }
        "albmtls-bundle-check" => {
            "0 ALB accepts the bundle (with \\-\\-fix: the fixed one). 1 ALB would reject it. 2 the file cannot be read."
        }
        "albmtls-cert-check" => {
            "0 Success (API Gateway: access granted). 1 a Failed: verdict, a trust store ALB refuses or a key mismatch. 2 an input cannot be read."
        }
        "albmtls-crl-inspect" => {
            "0 ALB can import and use the CRL (warnings aside). 1 ALB would refuse it or could not use it (a finding of severity error: a quota exceeded, no next update, stale, a signature that does not verify). 2 an input cannot be read or is not a CRL."
        }
        "albmtls-crl-convert" => "0 converted. 2 the CRL cannot be read or the output cannot be written.",
        "albmtls-crl-contains" => {
            "0 revoked (ALB refuses the certificate). 1 not in the CRL, or an entry ALB ignores (negative serial). 2 the CRL cannot be read."
        }
        "albmtls-headers-decode" => {
            "0 the headers decode (and, with \\-\\-bundle, the chain passes). 1 a header cannot be decoded or the chain fails the check. 2 the input cannot be read."
        }
        _ => return None,
    })
}
