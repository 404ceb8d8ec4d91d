//! `completions` and `man`: what clap generates from the argument definitions
//! ([`crate::generated`]), written to stdout or to a folder.

use super::{Exit, output_failed};
use crate::files::write_atomically;
use crate::printer::Printer;
use crate::settings::ManSettings;

pub fn completions(shell: clap_complete::Shell, printer: &Printer) -> anyhow::Result<Exit> {
    let script = crate::generated::completion_script(shell);
    Ok(match printer.write_block(&script).and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}

pub fn man(settings: &ManSettings, printer: &Printer) -> anyhow::Result<Exit> {
    match settings {
        ManSettings::Page(names) => {
            let page = crate::generated::man_page(names)?;
            Ok(match printer.write_block(&page).and_then(|()| printer.flush()) {
                Ok(()) => Exit::Ok,
                Err(err) => output_failed(printer, &err),
            })
        }
        ManSettings::All(dir) => {
            for (name, page) in crate::generated::man_pages()? {
                write_atomically(&dir.join(&name), |out| out.write_all(&page))?;
            }
            Ok(Exit::Ok)
        }
    }
}
