//! Shell completions and the man page, generated from the clap definitions so they can
//! never disagree with the real options.

use clap::CommandFactory;

use super::{Exit, output_failed};
use crate::args::LowArgs;
use crate::printer::Printer;

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

pub fn man(printer: &Printer) -> anyhow::Result<Exit> {
    let page = clap_mangen::Man::new(LowArgs::command());
    Ok(match printer.with_stdout(|out| page.render(out)).and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}
