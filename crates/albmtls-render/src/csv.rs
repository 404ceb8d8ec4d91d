//! The report as CSV: one row per status, with the failure details alongside. Values are
//! exact (the csv crate quotes what needs quoting); nothing is escaped for terminals.

use std::io::{self, Write};

use albmtls_report::Report;
use albmtls_report::report::format_time;

/// The `status` of a row that names an input with an error rather than a status.
const INPUT_ERROR: &str = "(input error)";

pub(crate) fn write_csv(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = ::csv::Writer::from_writer(out);
    let header = [
        "status",
        "count",
        "share_percent",
        "distinct_clients",
        "distinct_subjects",
        "first_seen",
        "last_seen",
        "top_client",
        "top_client_count",
        "top_subject",
        "summary",
    ];
    csv.write_record(header).map_err(io::Error::other)?;
    for status in &report.statuses {
        let failure = report.failures.iter().find(|f| f.status == status.status);
        let row = [
            status.status.text().to_owned(),
            status.count.to_string(),
            format!("{:.2}", status.share),
            failure.map(|f| f.distinct_clients.to_string()).unwrap_or_default(),
            failure.map(|f| f.distinct_subjects.to_string()).unwrap_or_default(),
            failure.map(|f| format_time(f.first_seen)).unwrap_or_default(),
            failure.map(|f| format_time(f.last_seen)).unwrap_or_default(),
            failure.and_then(|f| f.top_clients.first()).map(|c| c.ip.to_string()).unwrap_or_default(),
            failure.and_then(|f| f.top_clients.first()).map(|c| c.count.to_string()).unwrap_or_default(),
            failure.and_then(|f| f.top_subjects.first()).map(|s| s.subject.clone()).unwrap_or_default(),
            failure.map(|f| f.remediation.summary.to_owned()).unwrap_or_default(),
        ];
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    // Inputs that could not be read (or not to the end) follow the statuses, one row
    // each, so a spreadsheet of the report shows what it is missing.
    for error in &report.skipped.input_errors {
        let mut row: Vec<String> = vec![String::new(); header.len()];
        row[0] = INPUT_ERROR.to_owned();
        row[header.len() - 1] = format!("{}: {} (after line {})", error.input, error.message, error.after_line);
        csv.write_record(&row).map_err(io::Error::other)?;
    }
    csv.flush()
}
