//! Shell completions and the man page, generated from the clap definitions so they can
//! never disagree with the real options.

use anyhow::Context;
use clap::CommandFactory;

use super::{Exit, output_failed};
use crate::args::LowArgs;
use crate::files::write_atomically;
use crate::printer::Printer;
use crate::settings::ManSettings;

pub fn completions(shell: clap_complete::Shell, printer: &Printer) -> anyhow::Result<Exit> {
    let mut command = LowArgs::command();
    let written = printer.with_stdout(|out| {
        clap_complete::generate(shell, &mut command, "albmtls", out);
        Ok(())
    });
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}

pub fn man(settings: &ManSettings, printer: &Printer) -> anyhow::Result<Exit> {
    let mut root = LowArgs::command().disable_help_subcommand(true);
    root.build();
    match settings {
        ManSettings::Page(names) => {
            let mut command = &root;
            for name in names {
                command = command.find_subcommand(name).with_context(|| {
                    let known: Vec<&str> = command.get_subcommands().filter(|c| !c.is_hide_set()).map(|c| c.get_name()).collect();
                    format!("no man page for `{}`: pages are for {}", names.join(" "), known.join(", "))
                })?;
            }
            let page = render_page(command)?;
            Ok(match printer.write_block(&page).and_then(|()| printer.flush()) {
                Ok(()) => Exit::Ok,
                Err(err) => output_failed(printer, &err),
            })
        }
        ManSettings::All(dir) => {
            let mut pages = Vec::new();
            collect_pages(&root, &mut pages);
            for command in pages {
                let name = format!("{}.1", command.get_display_name().unwrap_or_else(|| command.get_name()));
                let page = render_page(command)?;
                write_atomically(&dir.join(&name), |out| out.write_all(&page))?;
            }
            Ok(Exit::Ok)
        }
    }
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
