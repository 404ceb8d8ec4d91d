//! One module per subcommand. Each takes its settings and the printer and returns the
//! process exit status.

pub mod athena;
pub mod doctor;
pub mod explain;
pub mod generated;
pub mod grep;
pub mod report;

/// Exit statuses, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Nothing matched (grep), or a threshold was crossed.
    NoMatch = 1,
    /// Something could not be read or written; output covers what could be.
    Error = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// Reports an output error unless it is a closed pipe, which ends the run quietly
/// (`albmtls grep … | head -1`).
pub fn output_failed(printer: &crate::printer::Printer, err: &std::io::Error) -> Exit {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Exit::Ok
    } else {
        printer.error(&format!("writing output failed: {err}"));
        Exit::Error
    }
}

/// The earliest and latest time of some records, to say what inputs covered when no
/// record passed the filters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span(Option<(albmtls_parse::Micros, albmtls_parse::Micros)>);

impl Span {
    #[inline]
    pub fn add(&mut self, time: albmtls_parse::Micros) {
        self.0 = Some(match self.0 {
            Some((first, last)) => (first.min(time), last.max(time)),
            None => (time, time),
        });
    }

    pub fn merge(&mut self, other: Span) {
        if let Some((first, last)) = other.0 {
            self.add(first);
            self.add(last);
        }
    }

    pub fn get(self) -> Option<(albmtls_parse::Micros, albmtls_parse::Micros)> {
        self.0
    }
}

/// The codes AWS does not document that `--status` or `--fail-on` name, each with
/// whether a record the filters left out has it. Such a code in the inputs is no typing
/// mistake, even when `--since` or another filter leaves out all its records.
#[derive(Debug, Clone, Default)]
pub struct UndocumentedCodes(Vec<(albmtls_parse::StatusFilter, bool)>);

impl UndocumentedCodes {
    pub fn asked<'a>(statuses: impl IntoIterator<Item = &'a albmtls_parse::StatusFilter>) -> UndocumentedCodes {
        let undocumented = statuses.into_iter().filter(|s| matches!(s, albmtls_parse::StatusFilter::Undocumented(_)));
        UndocumentedCodes(undocumented.map(|s| (s.clone(), false)).collect())
    }

    /// Notes the status of a record the filters left out.
    #[inline]
    pub fn left_out(&mut self, record: &albmtls_parse::Record<'_>) {
        for (status, seen) in &mut self.0 {
            if !*seen && status.matches(&record.verify_status(), record.status) {
                *seen = true;
            }
        }
    }

    /// Adds what another sink of the same run saw.
    pub fn merge(&mut self, other: &UndocumentedCodes) {
        for ((_, seen), (_, other_seen)) in self.0.iter_mut().zip(&other.0) {
            *seen |= *other_seen;
        }
    }

    /// Whether a record the filters left out has `status`.
    pub fn seen(&self, status: &albmtls_parse::StatusFilter) -> bool {
        self.0.iter().any(|(asked, seen)| *seen && asked == status)
    }
}

/// The error for paths that hold no connection log at all: an empty folder, a wrong
/// prefix or a tree of access logs must not pass as "0 records".
pub fn no_connection_logs(paths: &[std::path::PathBuf], skipped: &albmtls_parse::keys::SkippedFiles) -> String {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let kinds: Vec<String> = [
        (skipped.access_logs_and_other, "access logs or other files"),
        (skipped.health_check_logs, "health-check logs"),
        (skipped.test_files, "ELB test files"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let skipped_text = if kinds.is_empty() { "no files at all".to_owned() } else { kinds.join(", ") };
    format!(
        "no connection logs under {} ({} file{} skipped: {skipped_text}); connection logs are named conn_log_*, or recognised by their fields under a vended layout (plain ones need --vended-fields): check the path or prefix, and that connection logging is on for the load balancer",
        paths.join(", "),
        skipped.total(),
        if skipped.total() == 1 { "" } else { "s" },
    )
}

/// Why a run that read records kept none of them, when the time filter is the reason.
pub fn nothing_in_time_range(time: albmtls_parse::TimeRange, read: Span) -> Option<String> {
    let (first, last) = read.get()?;
    if time.is_all() || (time.contains(first) && time.contains(last)) {
        return None;
    }
    let format = albmtls_report::report::format_time;
    Some(format!("no record is in the time range asked for ({}): the inputs span {} to {}", asked(time)?, format(first), format(last)))
}

/// Why a run read nothing when S3 listings left every connection log out by time: the
/// prefix is right, the time range is not (or the logs stop before it).
pub fn none_listed_in_time_range(
    paths: &[std::path::PathBuf],
    time: albmtls_parse::TimeRange,
    outside: &albmtls_s3::OutsideTimeRange,
) -> Option<String> {
    if outside.objects == 0 {
        return None;
    }
    let format = |at: chrono::DateTime<chrono::Utc>| albmtls_report::report::format_time(at.timestamp_micros());
    let named = match outside.named_span {
        Some((first, last)) => format!(", whose names cover {} to {}", format(first), format(last)),
        None => String::new(),
    };
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let named_as_logs = outside.objects - outside.unchecked;
    let mut what = Vec::new();
    if named_as_logs > 0 {
        what.push(format!("{named_as_logs} connection log{}", plural(named_as_logs)));
    }
    if outside.unchecked > 0 {
        what.push(format!(
            "{} object{} of a vended layout (connection logs, or the access and health-check logs delivered beside them)",
            outside.unchecked,
            plural(outside.unchecked)
        ));
    }
    Some(format!(
        "no connection log under {} is in the time range asked for ({}): {} {} listed outside it{named}",
        paths.join(", "),
        asked(time)?,
        what.join(" and "),
        if outside.objects == 1 { "was" } else { "were" },
    ))
}

/// The time range asked for, as messages say it; `None` when none was.
fn asked(time: albmtls_parse::TimeRange) -> Option<String> {
    let format = albmtls_report::report::format_time;
    Some(match (time.since(), time.until()) {
        (Some(since), Some(until)) => format!("{} to {}", format(since), format(until)),
        (Some(since), None) => format!("{} on", format(since)),
        (None, Some(until)) => format!("before {}", format(until)),
        (None, None) => return None,
    })
}
