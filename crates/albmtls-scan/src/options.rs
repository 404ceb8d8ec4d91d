//! What a scan reads and which records it keeps.

use std::path::PathBuf;

use albmtls_parse::Filter;
use albmtls_parse::vended::FieldList;
use albmtls_s3::S3Options;

/// What to read and which records to keep.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files, directories, `-` (stdin) and `s3://bucket/prefix` URLs, in the order given.
    pub paths: Vec<PathBuf>,
    pub filter: Filter,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Read only this share of the inputs.
    pub shard: Option<Shard>,
    /// How to reach S3, used only when a path is an `s3://` URL.
    pub s3: S3Options,
    /// How to read vended deliveries whose files do not say it themselves.
    pub vended: VendedOptions,
}

/// What a field-list delivery (W3C or plain) cannot always tell by itself.
#[derive(Debug, Clone, Default)]
pub struct VendedOptions {
    /// The delivery's fields in order, for plain files without a `#Fields:` header.
    pub fields: Option<FieldList>,
    /// The byte between values; `None` takes a tab when a row has one, else a space.
    pub delimiter: Option<u8>,
}

/// `--shard I/N`: this run reads the inputs whose name hashes to `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// A shard that cannot exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not I/N with 0 <= I < N (e.g. 0/4, 3/4)")]
pub struct ShardError(String);

impl Shard {
    /// Share `index` of `count` (0-based).
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError(format!("{index}/{count}")));
        }
        Ok(Shard { index, count })
    }

    /// Reads `I/N` as users type it.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index = index.trim().parse().map_err(|_| bad())?;
        let count = count.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count).map_err(|_| bad())
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// A stable hash (xxh3, the same on every machine and version) of the input's name
    /// decides, so shards agree without talking to each other.
    pub fn includes(self, name: &str) -> bool {
        xxhash_rust::xxh3::xxh3_64(name.as_bytes()) % u64::from(self.count) == u64::from(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_every_name_exactly_once() {
        let shards: Vec<Shard> = (0..4).map(|i| Shard::parse(&format!("{i}/4")).unwrap()).collect();
        for n in 0..500 {
            let name = format!("AWSLogs/1/elasticloadbalancing/us-east-1/2026/11/02/conn_log_{n}.log.gz");
            assert_eq!(shards.iter().filter(|s| s.includes(&name)).count(), 1, "{name}");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| (0..500).filter(|n| s.includes(&format!("k{n}"))).count()).collect();
        assert!(sizes.iter().all(|&n| n > 80), "shards are roughly balanced: {sizes:?}");
        for bad in ["4/4", "1", "a/2", "0/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Shard::parse(" 3 / 8 ").unwrap().to_string(), "3/8");
    }
}
