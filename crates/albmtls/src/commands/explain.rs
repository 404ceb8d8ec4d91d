//! `albmtls explain`: the remediation catalogue, on its own.

use albmtls_render::remediation::write_explain;
use anyhow::Result;

use super::{Exit, output_failed};
use crate::printer::Printer;
use crate::settings::ExplainSettings;

pub fn run(settings: &ExplainSettings, printer: &Printer) -> Result<Exit> {
    if let Some(warning) = &settings.warning {
        printer.warn(warning);
    }
    let written = printer.with_stdout(|out| write_explain(&settings.entries, settings.json, out));
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}
