//! What a check returns: the overall [`Verdict`], one [`PartitionReport`] per key, and for
//! each illegal key a [`Counterexample`] — the longest linearizable prefix the search found and
//! the operations that could not be placed after it.

use serde::Serialize;

use crate::history::{ProcessId, Time};

/// The answer for a whole history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every partition has a linearization (each found and reported).
    Ok,
    /// At least one partition has none: a definite violation.
    Illegal,
    /// No partition is illegal, but at least one ran out of budget or was not checked.
    Unknown,
}

/// Why a partition's search stopped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "budget")]
pub enum Exhausted {
    Steps { limit: u64 },
    Memory { limit_bytes: usize },
    Time { limit_ms: u64 },
}

/// The answer for one partition (key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum PartitionVerdict {
    /// Linearizable; `linearization` lists history indices in a legal order (ok operations
    /// all appear; `info` ones appear if they took effect).
    Ok {
        linearization: Vec<usize>,
    },
    Illegal {
        counterexample: Counterexample,
    },
    Unknown {
        exhausted: Exhausted,
    },
    /// Not searched: first-failure mode stopped after another partition failed.
    Skipped,
}

/// An operation as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpSummary {
    /// Index in the checked history.
    pub index: usize,
    pub process: ProcessId,
    pub invoke: Time,
    /// `None` for an operation whose outcome is unknown (it never bounds anything).
    pub complete: Option<Time>,
    pub call: String,
    /// The result; `None` for an operation whose outcome is unknown.
    pub ret: Option<String>,
}

/// Why an operation could not come next after the longest prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StuckReason {
    /// The model rejects it in the prefix's final state.
    Illegal,
    /// Legal there, but every continuation after it failed.
    DeadEnd,
}

/// An operation that could not be placed next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stuck {
    pub op: OpSummary,
    pub reason: StuckReason,
}

/// Evidence for an illegal partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counterexample {
    pub key: String,
    /// The longest linearizable prefix found, in linearization order. "Longest" ranks by how
    /// far in time the prefix explains the history (the earliest completion among the `ok`
    /// operations it leaves out), then by its length.
    pub prefix: Vec<OpSummary>,
    /// The model state after `prefix`.
    pub state: String,
    /// The operations that were callable after `prefix` and could not be placed. The `ok`
    /// one with the earliest completion is first: it had to come next or before long.
    pub stuck: Vec<Stuck>,
}

impl Counterexample {
    /// Whether the history operation `index` is among those that could not be placed.
    pub fn names(&self, index: usize) -> bool {
        self.stuck.iter().any(|s| s.op.index == index)
    }
}

/// Work done on one partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SearchStats {
    /// Model steps tried.
    pub steps: u64,
    /// Configurations stored in the memo table.
    pub memo_entries: u64,
    /// Approximate bytes of the memo table at its largest (keys, states, table slots).
    pub memo_bytes: u64,
}

/// The result for one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionReport {
    pub key: String,
    /// Operations searched (after dropping `fail` ones and `info` reads).
    pub ops: usize,
    pub verdict: PartitionVerdict,
    pub stats: SearchStats,
}

/// The result for a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub model: String,
    pub verdict: Verdict,
    /// One entry per partition, in key order.
    pub partitions: Vec<PartitionReport>,
}

impl Report {
    /// The counterexamples of all illegal partitions.
    pub fn counterexamples(&self) -> impl Iterator<Item = &Counterexample> {
        self.partitions.iter().filter_map(|p| match &p.verdict {
            PartitionVerdict::Illegal { counterexample } => Some(counterexample),
            _ => None,
        })
    }

    /// The report of one key.
    pub fn partition(&self, key: &str) -> Option<&PartitionReport> {
        self.partitions.iter().find(|p| p.key == key)
    }

    /// Summed work over all partitions; `memo_bytes` is the largest single partition's peak
    /// (partitions free their tables when done).
    pub fn stats(&self) -> SearchStats {
        self.partitions
            .iter()
            .fold(SearchStats::default(), |acc, p| SearchStats {
                steps: acc.steps + p.stats.steps,
                memo_entries: acc.memo_entries + p.stats.memo_entries,
                memo_bytes: acc.memo_bytes.max(p.stats.memo_bytes),
            })
    }

    /// Partitions decided (ok or illegal).
    pub fn decided(&self) -> usize {
        self.partitions
            .iter()
            .filter(|p| {
                matches!(
                    p.verdict,
                    PartitionVerdict::Ok { .. } | PartitionVerdict::Illegal { .. }
                )
            })
            .count()
    }
}
