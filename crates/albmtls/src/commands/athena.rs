//! `albmtls athena`: the DDL and SQL for teams who already query their logs with Athena.

use albmtls_render::athena;
use anyhow::Result;

use super::{Exit, output_failed};
use crate::printer::Printer;
use crate::settings::AthenaSettings;

pub fn run(settings: &AthenaSettings, printer: &Printer) -> Result<Exit> {
    let (ddl, sql) = match settings.vended {
        None => (
            athena::ddl(&settings.table, &settings.location, settings.projection.clone()),
            athena::report_sql(&settings.table, settings.range),
        ),
        Some(format) => (
            athena::vended_ddl(&settings.table, &settings.location, format, settings.projection.clone()),
            athena::vended_report_sql(&settings.table, settings.range, format),
        ),
    };
    let written = printer.with_stdout(|out| writeln!(out, "{ddl}\n\n{sql}"));
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}
