//! What changed lately in a followed run (`report --follow`): per status, the records
//! added over a recent window of polls, next to the totals of the whole followed window.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use albmtls_parse::StatusKey;
use serde::Serialize;

use crate::report::Report;

/// Records of one status added over the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub status: StatusKey,
    pub added: u64,
}

/// The status totals after each poll, kept as long as the window needs them.
#[derive(Debug)]
pub struct RecentChanges {
    window: Duration,
    /// Totals after each poll, oldest first; the oldest kept is the newest one that is at
    /// least `window` old, or the first poll's while the run is younger than the window.
    history: VecDeque<(Instant, BTreeMap<StatusKey, u64>)>,
}

impl RecentChanges {
    pub fn new(window: Duration) -> RecentChanges {
        RecentChanges { window, history: VecDeque::new() }
    }

    /// The window this measures, e.g. five minutes.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Takes the totals of `report`, made after a poll at `at`, and returns per status
    /// what was added since the start of the window (since the first poll while the run
    /// is younger than that), statuses with additions only, most added first.
    pub fn update(&mut self, at: Instant, report: &Report) -> Vec<StatusChange> {
        let totals: BTreeMap<StatusKey, u64> = report.statuses.iter().map(|s| (s.status.clone(), s.count)).collect();
        self.history.push_back((at, totals));
        let window_start = at.checked_sub(self.window);
        while self.history.len() > 1 && window_start.is_some_and(|start| self.history[1].0 <= start) {
            self.history.pop_front();
        }
        let (_, base) = &self.history[0];
        let (_, now) = self.history.back().expect("just pushed");
        let mut changes: Vec<StatusChange> = now
            .iter()
            .filter_map(|(status, &count)| {
                let added = count - base.get(status).copied().unwrap_or(0).min(count);
                (added > 0).then(|| StatusChange { status: status.clone(), added })
            })
            .collect();
        changes.sort_by(|a, b| b.added.cmp(&a.added).then_with(|| a.status.cmp(&b.status)));
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Aggregate, ReportOptions};
    use albmtls_parse::Record;

    fn report_of(lines: &[String]) -> Report {
        let mut aggregate = Aggregate::new();
        for line in lines {
            aggregate.add(&Record::parse(line.as_bytes()).unwrap());
        }
        Report::build(&aggregate, ReportOptions::default())
    }

    fn line(status: &str) -> String {
        format!(
            "2026-12-04T10:00:00.000000Z 203.0.113.7 1234 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.002 \"CN=a\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z 0A {status} -"
        )
    }

    #[test]
    fn changes_are_counted_over_the_window_of_polls() {
        let mut recent = RecentChanges::new(Duration::from_secs(300));
        let start = Instant::now();
        let mut lines = vec![line("Success"), line("Success")];
        assert_eq!(recent.update(start, &report_of(&lines)), [], "nothing is added in the first poll");
        lines.extend([line("Failed:ClientCertExpired"), line("Success"), line("Success")]);
        let changes = recent.update(start + Duration::from_secs(60), &report_of(&lines));
        let expired = StatusKey::from_text("Failed:ClientCertExpired");
        assert_eq!(changes, [StatusChange { status: StatusKey::Success, added: 2 }, StatusChange { status: expired.clone(), added: 1 }]);
        // Six minutes on, the additions of the second poll are out of the window.
        lines.push(line("Failed:ClientCertExpired"));
        let changes = recent.update(start + Duration::from_secs(420), &report_of(&lines));
        assert_eq!(changes, [StatusChange { status: expired, added: 1 }]);
    }
}
