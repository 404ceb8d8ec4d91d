//! `albmtls athena`: the DDL and SQL for teams who already query their logs with Athena.

use albmtls_report::athena::{self, Projection};
use anyhow::Result;

use super::{Exit, output_failed};
use crate::args::AthenaArgs;
use crate::printer::Printer;

pub fn run(args: &AthenaArgs, printer: &Printer) -> Result<Exit> {
    let projection = match (&args.account, &args.region) {
        (Some(account), Some(region)) => Some(Projection { account: account.clone(), region: region.clone(), start_day: args.start_day }),
        _ => None,
    };
    let ddl = athena::ddl(&args.table, &args.location, projection);
    let sql = athena::report_sql(&args.table, args.since.as_deref(), args.until.as_deref())?;
    let written = printer.with_stdout(|out| writeln!(out, "{ddl}\n\n{sql}"));
    Ok(match written.and_then(|()| printer.flush()) {
        Ok(()) => Exit::Ok,
        Err(err) => output_failed(printer, &err),
    })
}
