//! Where each documented status is counted: a fixed slot per status, so that counting a
//! record is an array index, not a lookup. `Success`, `-`, then the failure codes in
//! [`FailureCode::ALL`] order; a new failure code gets its slot from that list.

use albmtls_parse::{FailureCode, StatusKey, VerifyStatus};

/// The aggregate slot of a documented status: `Success`, `-`, then the failure codes in
/// [`FailureCode::ALL`] order. Undocumented statuses have none; they are kept by text.
pub(crate) fn slot(status: &VerifyStatus<'_>) -> Option<usize> {
    match status {
        VerifyStatus::Success => Some(0),
        VerifyStatus::Absent => Some(1),
        VerifyStatus::Failed(code) => Some(2 + *code as usize),
        VerifyStatus::FailedUnknown(_) | VerifyStatus::Other(_) => None,
    }
}

/// The status a slot holds; the inverse of [`slot`].
pub(crate) fn status_of_slot(slot: usize) -> StatusKey {
    match slot {
        0 => StatusKey::Success,
        1 => StatusKey::Absent,
        n => StatusKey::Failed(FailureCode::ALL[n - 2]),
    }
}

pub(crate) const KNOWN_SLOTS: usize = 2 + FailureCode::ALL.len();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_has_its_own_slot() {
        let mut statuses = vec![VerifyStatus::Success, VerifyStatus::Absent];
        statuses.extend(FailureCode::ALL.into_iter().map(VerifyStatus::Failed));
        assert_eq!(statuses.len(), KNOWN_SLOTS);
        for (i, status) in statuses.iter().enumerate() {
            assert_eq!(slot(status), Some(i), "{status:?}");
            assert_eq!(status_of_slot(i).as_verify_status(), *status);
        }
        assert_eq!(slot(&VerifyStatus::parse(b"Failed:ClientCertRevoked")), None);
    }
}
