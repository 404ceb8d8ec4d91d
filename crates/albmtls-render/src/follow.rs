//! `report --follow`: the report after each poll, redrawn in place on a terminal (as
//! `watch` does) or as one JSON object per poll for scripts and dashboards.

use std::io::{self, Write};
use std::time::Duration;

use albmtls_parse::Micros;
use albmtls_report::StatusChange;
use albmtls_report::report::format_bucket;
use serde::Serialize;

use crate::escape::for_people as esc;
use crate::{ReportView, plural};

/// Moves the cursor home and clears the screen, so each poll replaces the last.
const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J";

/// Where a followed run stands after a poll.
#[derive(Debug, Clone, Copy)]
pub struct FollowFrame<'a> {
    /// 0 for the read of what existed at the start, then 1, 2, …
    pub poll: u64,
    /// When the poll's listing started.
    pub polled_at: Micros,
    /// Inputs read in this poll.
    pub new_inputs: usize,
    /// Time until the next listing.
    pub poll_interval: Duration,
    /// What the paths followed are, as the user named them.
    pub following: &'a str,
    /// Records added per status over `window`.
    pub recent: &'a [StatusChange],
    pub window: Duration,
}

/// The report for the whole followed window, under a header saying where the run stands
/// and what was added lately; the screen is cleared first.
pub fn write_screen(view: &ReportView<'_>, frame: &FollowFrame<'_>, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(CLEAR_SCREEN.as_bytes())?;
    writeln!(
        out,
        "Following {}: poll {} at {}, {} new input{}; next poll in {}s. Ctrl-C to stop.",
        esc(frame.following),
        frame.poll,
        format_bucket(frame.polled_at),
        frame.new_inputs,
        plural(frame.new_inputs as u64),
        frame.poll_interval.as_secs(),
    )?;
    let minutes = frame.window.as_secs() / 60;
    if frame.recent.is_empty() {
        writeln!(out, "Last {minutes} minutes: no new records.")?;
    } else {
        let changes: Vec<String> = frame.recent.iter().map(|c| format!("+{} {}", c.added, esc(c.status.text()))).collect();
        writeln!(out, "Last {minutes} minutes: {}.", changes.join(", "))?;
    }
    writeln!(out)?;
    crate::write_report(view, crate::ReportFormat::Table, out)?;
    out.flush()
}

/// The report JSON (the same object `--format json` writes) on one line, with a
/// `follow` member saying which poll it is and what was added lately.
pub fn write_json_line(view: &ReportView<'_>, frame: &FollowFrame<'_>, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Follow<'a> {
        poll: u64,
        polled_at: String,
        new_inputs: usize,
        recent: Recent<'a>,
    }
    #[derive(Serialize)]
    struct Recent<'a> {
        window_seconds: u64,
        added: std::collections::BTreeMap<&'a str, u64>,
    }
    let mut report = serde_json::to_value(view.report)?;
    let follow = Follow {
        poll: frame.poll,
        polled_at: format_bucket(frame.polled_at),
        new_inputs: frame.new_inputs,
        recent: Recent { window_seconds: frame.window.as_secs(), added: frame.recent.iter().map(|c| (c.status.text(), c.added)).collect() },
    };
    if let serde_json::Value::Object(members) = &mut report {
        members.insert("follow".to_owned(), serde_json::to_value(follow)?);
    }
    serde_json::to_writer(&mut *out, &report)?;
    writeln!(out)?;
    out.flush()
}
