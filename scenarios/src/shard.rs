//! `Shard`: how `--shard I/N` splits a campaign over N machines so that together they run
//! exactly what one machine would, and no piece twice.
//!
//! - `fuzz`: shard I draws seeds `base + k*N + I` for k = 0, 1, 2, … ([`Shard::seed`]).
//! - `run` and `bugs`: the work is a list in a fixed order (every scenario's seeds, scenario
//!   by scenario; every bug × scenario cell), and shard I takes the items whose position p has
//!   `p mod N == I` ([`Shard::owns`]). Consecutive positions go to different shards, so each
//!   shard gets its share of every scenario (within one seed), whatever the scenarios cost.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Shard `index` of `count` (0-based: `0/4` … `3/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

/// Why a `--shard` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShardError {
    #[error("shard {0:?}: expected I/N, e.g. 0/4")]
    Malformed(String),
    #[error("shard {spec:?}: {part:?} is not a non-negative integer")]
    NotANumber { spec: String, part: String },
    #[error("shard {0:?}: the shard count must be at least 1")]
    NoShards(String),
    #[error("shard {spec:?}: index {index} is not below the count {count} (indices are 0-based)")]
    IndexOutOfRange {
        spec: String,
        index: u64,
        count: u64,
    },
}

impl Shard {
    /// The whole seed space on one machine.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u64, count: u64) -> Result<Self, ShardError> {
        let spec = format!("{index}/{count}");
        if count == 0 {
            return Err(ShardError::NoShards(spec));
        }
        if index >= count {
            return Err(ShardError::IndexOutOfRange { spec, index, count });
        }
        Ok(Shard { index, count })
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether the item at `position` of a campaign's fixed work list is this shard's.
    pub fn owns(&self, position: u64) -> bool {
        position % self.count == self.index
    }

    /// The k-th seed of this shard, `base + k*count + index`; `None` once it would overflow
    /// (the shard's seed space is exhausted).
    pub fn seed(&self, base: u64, k: u64) -> Option<u64> {
        k.checked_mul(self.count)?
            .checked_add(self.index)?
            .checked_add(base)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let spec = s.trim();
        let (i, n) = spec
            .split_once('/')
            .ok_or_else(|| ShardError::Malformed(spec.to_string()))?;
        let num = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| ShardError::NotANumber {
                    spec: spec.to_string(),
                    part: part.to_string(),
                })
        };
        let (index, count) = (num(i)?, num(n)?);
        Shard::new(index, count).map_err(|e| match e {
            ShardError::NoShards(_) => ShardError::NoShards(spec.to_string()),
            ShardError::IndexOutOfRange { index, count, .. } => ShardError::IndexOutOfRange {
                spec: spec.to_string(),
                index,
                count,
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_seed_space() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for s in &shards {
            for k in 0..100 {
                assert!(seen.insert(s.seed(10, k).unwrap()), "{s} repeated a seed");
            }
        }
        assert_eq!(seen.len(), 300);
        assert_eq!(seen.first(), Some(&10));
        assert_eq!(seen.last(), Some(&309));
        assert_eq!(Shard::ALL.seed(u64::MAX, 1), None);
    }

    #[test]
    fn owned_positions_are_disjoint_covering_and_balanced_per_scenario() {
        let (scenarios, seeds) = (8u64, 13u64);
        for n in 1..=5 {
            let shards: Vec<Shard> = (0..n).map(|i| Shard::new(i, n).unwrap()).collect();
            for p in 0..scenarios * seeds {
                assert_eq!(shards.iter().filter(|s| s.owns(p)).count(), 1, "{p} of {n}");
            }
            for s in &shards {
                for sc in 0..scenarios {
                    let mine = (0..seeds).filter(|k| s.owns(sc * seeds + k)).count() as u64;
                    assert!(mine == seeds / n || mine == seeds / n + 1, "{s}: {mine}");
                }
            }
        }
    }

    #[test]
    fn parse() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        assert!(matches!(
            "4/4".parse::<Shard>(),
            Err(ShardError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            "0/0".parse::<Shard>(),
            Err(ShardError::NoShards(_))
        ));
        assert!(matches!(
            "3".parse::<Shard>(),
            Err(ShardError::Malformed(_))
        ));
        assert!(matches!(
            "a/2".parse::<Shard>(),
            Err(ShardError::NotANumber { .. })
        ));
    }
}
