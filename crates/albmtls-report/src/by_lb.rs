//! Records per load balancer and per listener port, each with its counts per status.
//!
//! The load balancer is field 14 (`elb`) when the line has it, else the one the input's
//! name gives (`…_app.NAME.ID_…`), else `-`.

use std::collections::BTreeMap;

use albmtls_parse::StatusKey;
use serde::{Deserialize, Serialize};

use crate::keyed::{Keyed, Merge};
use crate::slots::{KNOWN_SLOTS, status_of_slot};

/// Records per status: the documented ones by slot (as [`crate::Aggregate`] numbers
/// them), any other by its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTally {
    known: [u64; KNOWN_SLOTS],
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    others: BTreeMap<String, u64>,
    /// Records whose input did not deliver `tls_verify_status`.
    #[serde(default, skip_serializing_if = "is_zero")]
    status_not_delivered: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for StatusTally {
    fn default() -> Self {
        StatusTally { known: [0; KNOWN_SLOTS], others: BTreeMap::new(), status_not_delivered: 0 }
    }
}

impl StatusTally {
    /// Counts a record whose status has `slot`, or, without one, the text `raw`.
    #[inline(always)]
    pub(crate) fn add(&mut self, slot: Option<usize>, raw: &[u8]) {
        match slot {
            Some(slot) => self.known[slot] += 1,
            None => *self.others.entry(String::from_utf8_lossy(raw).into_owned()).or_default() += 1,
        }
    }

    /// Counts a record whose input did not deliver its status.
    pub(crate) fn add_not_delivered(&mut self) {
        self.status_not_delivered += 1;
    }

    /// Records whose input did not deliver their status.
    pub fn status_not_delivered(&self) -> u64 {
        self.status_not_delivered
    }

    /// Every status with records, and how many.
    pub fn iter(&self) -> impl Iterator<Item = (StatusKey, u64)> + '_ {
        let known = self.known.iter().enumerate().map(|(slot, &n)| (status_of_slot(slot), n));
        let others = self.others.iter().map(|(text, &n)| (StatusKey::Other(text.clone()), n));
        known.chain(others).filter(|(_, n)| *n > 0)
    }

    pub fn records(&self) -> u64 {
        self.known.iter().sum::<u64>() + self.others.values().sum::<u64>() + self.status_not_delivered
    }

    /// Records with any `Failed:` status, documented or not.
    pub fn failed(&self) -> u64 {
        self.iter().filter(|(status, _)| status.is_failure()).map(|(_, n)| n).sum()
    }
}

impl Merge for StatusTally {
    fn merge(&mut self, other: StatusTally) {
        for (mine, theirs) in self.known.iter_mut().zip(other.known) {
            *mine += theirs;
        }
        for (text, n) in other.others {
            *self.others.entry(text).or_default() += n;
        }
        self.status_not_delivered += other.status_not_delivered;
    }
}

/// Statuses per load balancer (`app/NAME/ID` as written, or `-`).
pub type LoadBalancers = Keyed<Vec<u8>, StatusTally>;

/// Statuses per listener port (records whose input delivered it).
pub type Listeners = Keyed<u16, StatusTally>;
