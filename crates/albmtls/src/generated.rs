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

/// The page clap_mangen makes, with an EXIT STATUS section for commands whose help does
/// not already state it.
fn render_page(command: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page).context("rendering the man page")?;
    let states_it = command.get_after_help().is_some_and(|help| help.to_string().contains("Exit status"));
    if let Some(exit) = exit_status(command.get_name())
        && !states_it
    {
        page.extend_from_slice(format!(".SH \"EXIT STATUS\"\n{exit}\n").as_bytes());
    }
    Ok(page)
}

/// What each command's exit status means, as the README's table says.
fn exit_status(command: &str) -> Option<&'static str> {
    Some(match command {
        "report" => {
            "0 the report was written. 1 a \\-\\-fail\\-on threshold was crossed. 2 an input could not be read (the report covers the rest) or no connection log was found. 130 interrupted."
        }
        "merge" => {
            "0 the report was written. 1 a \\-\\-fail\\-on threshold was crossed. 2 a partial could not be read, a shard is given twice or missing (without \\-\\-allow\\-missing). 130 interrupted."
        }
        "grep" => "0 some record matched. 1 none matched. 2 an input could not be read or no connection log was found. 130 interrupted.",
        "albmtls" => {
            "0 ok. 1 nothing matched (grep), a threshold was crossed (report, merge) or the doctor found a problem. 2 an error. 130 interrupted."
        }
        "explain" | "athena" | "completions" | "man" => {
            "0 ok. 2 an error (an argument that cannot be understood, output that cannot be written)."
        }
        _ => return None,
    })
}
