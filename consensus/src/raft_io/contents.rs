//! The in-memory contents of a raft-io log: entries after the snapshot base, the base itself,
//! the snapshot, and the hard state — with raft-io's `RaftLog` semantics (contiguous appends,
//! truncation never into the snapshot, a snapshot keeps a matching tail and clears any other).
//!
//! This is what raft-io reads through its `RaftLog` seam and what recovery rebuilds from disk,
//! so both sides apply changes with the same code.

use std::collections::VecDeque;

use raft_io::{HardState, LogEntry, Snapshot};

use super::observe::{log_ref, vote_ref};
use crate::observe::LogRef;

/// A log's logical contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Index of the last entry the snapshot covers (0: none).
    pub base_index: u64,
    /// Term of that entry (0: none).
    pub base_term: u64,
    /// Entries `base_index + 1 ..`, contiguous.
    pub entries: VecDeque<LogEntry>,
    /// The snapshot that covers `..= base_index` (metadata and data), if any.
    pub snapshot: Option<Snapshot>,
    pub hard: HardState,
}

/// What a log must bring back after a power failure, in the observation vocabulary: the hard
/// state (as a vote), the snapshot base (as the purge point) and every live entry's log id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RioLogImage {
    pub vote: Option<crate::observe::VoteRef>,
    pub purged: Option<LogRef>,
    pub entries: Vec<LogRef>,
}

/// Why a change was refused (it would corrupt the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentsError {
    #[error("non-contiguous append: expected index {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    #[error("cannot truncate from {from}: the snapshot covers up to {base}")]
    IntoSnapshot { from: u64, base: u64 },
}

impl Contents {
    pub fn last_index(&self) -> u64 {
        self.base_index + self.entries.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.entries.back().map_or(self.base_term, |e| e.term)
    }

    fn slot(&self, index: u64) -> Option<usize> {
        (index > self.base_index && index <= self.last_index())
            .then(|| (index - self.base_index - 1) as usize)
    }

    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.slot(index).map(|s| self.entries[s].term)
    }

    pub fn entry(&self, index: u64) -> Option<&LogEntry> {
        self.slot(index).map(|s| &self.entries[s])
    }

    /// Entries in `[from, to]`, clamped to the live log.
    pub fn range(&self, from: u64, to: u64) -> Vec<LogEntry> {
        let from = from.max(self.base_index + 1);
        let to = to.min(self.last_index());
        (from..=to).filter_map(|i| self.entry(i).cloned()).collect()
    }

    /// Appends contiguous entries after the last one.
    pub fn append(&mut self, entries: &[LogEntry]) -> Result<(), ContentsError> {
        for (expected, e) in (self.last_index() + 1..).zip(entries) {
            if e.index != expected {
                return Err(ContentsError::Gap {
                    expected,
                    got: e.index,
                });
            }
        }
        self.entries.extend(entries.iter().cloned());
        Ok(())
    }

    /// Removes every entry with index `>= from`; returns how many were removed.
    pub fn truncate(&mut self, from: u64) -> Result<usize, ContentsError> {
        if from <= self.base_index {
            return Err(ContentsError::IntoSnapshot {
                from,
                base: self.base_index,
            });
        }
        let keep = (from - self.base_index - 1) as usize;
        let removed = self.entries.len().saturating_sub(keep);
        self.entries.truncate(keep);
        Ok(removed)
    }

    /// Moves the base to `(index, term)`: entries up to `index` go; the tail stays only if the
    /// log holds `index` with `term`, else it goes too. Returns `None` if the base is not newer
    /// (nothing changes), else how many entries were purged and how many of the tail dropped.
    pub fn rebase(&mut self, index: u64, term: u64) -> Option<(usize, usize)> {
        if index <= self.base_index {
            return None;
        }
        let (purged, dropped) = if self.term_at(index) == Some(term) {
            let n = ((index - self.base_index) as usize).min(self.entries.len());
            self.entries.drain(..n);
            (n, 0)
        } else {
            let n = ((index - self.base_index) as usize).min(self.entries.len());
            let dropped = self.entries.len() - n;
            self.entries.clear();
            (n, dropped)
        };
        self.base_index = index;
        self.base_term = term;
        Some((purged, dropped))
    }

    /// Installs `snapshot` as the new base (raft-io's `apply_snapshot`); see [`Self::rebase`].
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Option<(usize, usize)> {
        let r = self.rebase(snapshot.index, snapshot.term)?;
        self.snapshot = Some(snapshot.clone());
        Some(r)
    }

    pub fn image(&self) -> RioLogImage {
        RioLogImage {
            vote: vote_ref(self.hard),
            purged: (self.base_index > 0).then(|| log_ref(self.base_term, self.base_index)),
            entries: self
                .entries
                .iter()
                .map(|e| log_ref(e.term, e.index))
                .collect(),
        }
    }
}
