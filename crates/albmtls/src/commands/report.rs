//! `albmtls report`: aggregate every input, then render one report.

use albmtls_parse::{ParseError, Record};
use albmtls_report::render::{self, TableStyle};
use albmtls_report::{Aggregate, InputError, Report};
use anyhow::Result;

use super::{Exit, output_failed};
use crate::printer::Printer;
use crate::scan::{InputContext, Sink, scan};
use crate::settings::ReportSettings;

struct ReportSink(Aggregate);

impl Sink for ReportSink {
    fn record(&mut self, _: &InputContext<'_>, _: u64, record: &Record<'_>) -> std::io::Result<()> {
        self.0.add(record);
        Ok(())
    }

    fn filtered_out(&mut self) {
        self.0.filtered_out += 1;
    }

    fn malformed(&mut self, input: &InputContext<'_>, line_number: u64, line: &[u8], error: ParseError) {
        self.0.add_malformed(input.index, input.name, line_number, line, error);
    }

    fn blank(&mut self) {
        self.0.blank_lines += 1;
    }

    fn overlong(&mut self, lines: u64) {
        self.0.overlong_lines += lines;
    }

    fn end_input(&mut self, input: &InputContext<'_>, lines: u64, error: Option<String>) -> std::io::Result<()> {
        self.0.inputs_read += 1;
        if let Some(message) = error {
            self.0.input_errors.push(InputError { input: input.name.to_owned(), after_line: lines, message });
        }
        Ok(())
    }

    fn records(&self) -> u64 {
        self.0.records
    }
}

/// Reads all inputs into one aggregate (also used by tests of the parallel path).
pub fn aggregate(settings: &ReportSettings, printer: &Printer) -> Result<(Aggregate, Vec<String>)> {
    let outcome = scan(&settings.scan, printer, || ReportSink(Aggregate::new()))?;
    let mut total = Aggregate::new();
    for ReportSink(aggregate) in outcome.sinks {
        total.merge(aggregate);
    }
    total.skipped_files.merge(&outcome.skipped_files);
    Ok((total, outcome.listing_errors))
}

pub fn run(settings: &ReportSettings, printer: &Printer) -> Result<Exit> {
    let (aggregate, listing_errors) = aggregate(settings, printer)?;
    for error in &aggregate.input_errors {
        printer.error(&format!("{}: {} (after line {})", error.input, error.message, error.after_line));
    }
    let report = Report::build(&aggregate, settings.options);
    let style = TableStyle { color: printer.color, width: None };
    let written = printer.with_stdout(|out| render::render(&report, settings.format, style, out)).and_then(|()| printer.flush());
    if let Err(err) = written {
        return Ok(output_failed(printer, &err));
    }
    if report.records == 0 && aggregate.malformed > 0 {
        printer.warn("no line could be read as a connection-log record: are these access logs rather than connection logs?");
    }
    let failed = !listing_errors.is_empty() || !aggregate.input_errors.is_empty();
    Ok(if failed { Exit::Error } else { Exit::Ok })
}
