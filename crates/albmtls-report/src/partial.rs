//! Partial files: an [`Aggregate`] on disk (`albmtls report --format partial`), written by
//! each shard of a run and folded back by `albmtls merge` into exactly the report one run
//! over every input gives.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;

/// The on-disk form of an [`Aggregate`] (`albmtls report --format partial`), folded
/// back by `albmtls merge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partial {
    /// Format marker and version; files without it are refused.
    pub albmtls_partial: u32,
    /// The run that wrote it, unique to each run: two partials of one run and one shard
    /// are one partial given twice (a copy under another name, a URL repeated), whose
    /// records a merge would count twice.
    /// Empty only in files of earlier versions, which are refused by their version.
    #[serde(default)]
    pub run: String,
    /// Which share of the inputs this is, e.g. `2/8`; informative.
    pub shard: Option<String>,
    pub aggregate: Aggregate,
}

/// Why a partial file cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    #[error("{name}: not an albmtls partial file ({source}); make it with `albmtls report --format partial`")]
    Invalid { name: String, source: serde_json::Error },
    #[error(
        "{name}: not an albmtls partial file: {reason}; it was changed after `albmtls report --format partial` wrote it, or comes from elsewhere"
    )]
    Inconsistent { name: String, reason: String },
    #[error(
        "{name}: partial format version {found} is not supported by this albmtls (it reads version {supported}); use the same albmtls version for every shard and the merge"
    )]
    Version { name: String, found: u32, supported: u32 },
}

impl Partial {
    /// 2: load balancers, listeners, TLS, latency and certificates were added.
    /// 3: the run that wrote the file, and latency per load balancer.
    /// 4: values from logs as text when they are UTF-8 ([`crate::disk`]).
    pub const VERSION: u32 = 4;

    pub fn new(aggregate: Aggregate, run: String, shard: Option<String>) -> Partial {
        Partial { albmtls_partial: Partial::VERSION, run, shard, aggregate }
    }

    /// Writes `aggregate` as a partial file of `run` without copying it.
    pub fn write_json(aggregate: &Aggregate, run: &str, shard: Option<&str>, out: &mut dyn std::io::Write) -> serde_json::Result<()> {
        /// The borrowed twin of [`Partial`]: same fields, same names.
        #[derive(Serialize)]
        struct PartialRef<'a> {
            albmtls_partial: u32,
            run: &'a str,
            shard: Option<&'a str>,
            aggregate: &'a Aggregate,
        }
        serde_json::to_writer(out, &PartialRef { albmtls_partial: Partial::VERSION, run, shard, aggregate })
    }

    /// Reads a partial file's bytes, checking its version.
    pub fn from_json(name: &str, bytes: &[u8]) -> Result<Partial, PartialError> {
        let partial: Partial = serde_json::from_slice(bytes).map_err(|source| PartialError::Invalid { name: name.to_owned(), source })?;
        if partial.albmtls_partial != Partial::VERSION {
            return Err(PartialError::Version { name: name.to_owned(), found: partial.albmtls_partial, supported: Partial::VERSION });
        }
        if partial.run.is_empty() {
            return Err(PartialError::Inconsistent { name: name.to_owned(), reason: "it names no run".to_owned() });
        }
        partial.aggregate.check_consistent().map_err(|reason| PartialError::Inconsistent { name: name.to_owned(), reason })?;
        Ok(partial)
    }
}
