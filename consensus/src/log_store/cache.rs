//! The in-memory view of the Raft log, vote and commit point.
//!
//! This is the whole of the in-memory log store, and the read side of the durable one (which
//! keeps every live entry in memory and the file only for recovery). Readers share it with the
//! store behind a mutex; openraft reads entries concurrently with appends.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use openraft::Vote;

use crate::type_config::{Entry, LogId, NodeId};

/// Log entries, last purged id, vote and committed id.
#[derive(Debug, Default, Clone)]
pub struct LogCache {
    entries: BTreeMap<u64, Entry>,
    last_purged: Option<LogId>,
    vote: Option<Vote<NodeId>>,
    committed: Option<LogId>,
    /// The log as the durable store's write in flight will leave it: set before the write,
    /// cleared once it is done and this cache shows it. A write that failed stays in flight for
    /// good (the store refuses every later one). Either way the change may be on disk (or, for
    /// an append, part of it) though not here.
    in_flight: Option<LogImage>,
    write_failed: bool,
}

/// The shape of a log for probes: what a durable store must bring back after a power failure
/// (the commit point is a hint that recovery may drop, so it is left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogImage {
    pub vote: Option<Vote<NodeId>>,
    pub last_purged: Option<LogId>,
    /// Every live entry's log id, in index order.
    pub entries: Vec<LogId>,
}

impl LogCache {
    pub fn image(&self) -> LogImage {
        LogImage {
            vote: self.vote,
            last_purged: self.last_purged,
            entries: self.entries.values().map(|e| e.log_id).collect(),
        }
    }

    /// The log as the write in flight (or the one that failed) would leave it.
    pub fn in_flight(&self) -> Option<&LogImage> {
        self.in_flight.as_ref()
    }

    /// A durable write begins; `would_be` is the log it makes.
    pub fn begin_write(&mut self, would_be: LogImage) {
        if !self.write_failed {
            self.in_flight = Some(would_be);
        }
    }

    /// The write in flight is done and shown here.
    pub fn end_write(&mut self) {
        if !self.write_failed {
            self.in_flight = None;
        }
    }

    /// The write in flight failed: its change stays in flight for good.
    pub fn mark_write_failed(&mut self) {
        self.write_failed = true;
    }

    pub fn entries_in<RB: RangeBounds<u64>>(&self, range: RB) -> Vec<Entry> {
        self.entries.range(range).map(|(_, e)| e.clone()).collect()
    }

    pub fn live_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn last_purged(&self) -> Option<LogId> {
        self.last_purged
    }

    /// The last log id known: the last entry's, or the purge point if every entry is purged.
    pub fn last_log_id(&self) -> Option<LogId> {
        self.entries
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(self.last_purged)
    }

    pub fn vote(&self) -> Option<Vote<NodeId>> {
        self.vote
    }

    pub fn committed(&self) -> Option<LogId> {
        self.committed
    }

    pub fn set_vote(&mut self, vote: Vote<NodeId>) {
        self.vote = Some(vote);
    }

    pub fn set_committed(&mut self, committed: Option<LogId>) {
        self.committed = committed;
    }

    pub fn append(&mut self, entry: Entry) {
        self.entries.insert(entry.log_id.index, entry);
    }

    /// Remove every entry with index `>= since`.
    pub fn truncate(&mut self, since: u64) {
        self.entries.split_off(&since);
    }

    /// Remove every entry up to and including `upto`, and remember it as the purge point.
    /// A purge behind the current purge point changes nothing.
    pub fn purge(&mut self, upto: LogId) {
        if self.last_purged.is_some_and(|p| p.index >= upto.index) {
            return;
        }
        self.entries = self.entries.split_off(&(upto.index + 1));
        self.last_purged = Some(upto);
    }
}
