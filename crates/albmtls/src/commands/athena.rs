//! `albmtls athena`: the DDL and SQL for teams who already query their logs with Athena.

use albmtls_render::athena;
use anyhow::Result;

use super::{Exit, output_failed};
use crate::printer::Printer;
use crate::settings::AthenaSettings;

pub fn run(settings: &AthenaSettings, printer: &Printer) -> Result<Exit> {
    let ddl = athena::ddl(&settings.table, &settings.location, settings.projection.clone());
    let sql = athena::report_sql(&settings.table, settings.range);
    let written = printer.with_stdout(|out| writeln!(out, "{ddl}\n\n{sql}"));
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}
