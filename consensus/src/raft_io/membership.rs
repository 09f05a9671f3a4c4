//! Which configuration entry a raft-io node acts on, for its membership reports.
//!
//! raft-io's rule (PROTOCOL.md §6): the configuration in effect is the latest `Config` entry
//! in the live log, else the one its snapshot records, else the bootstrap one. raft-io keeps
//! the index of that entry private, so [`ConfigTracker`] finds it the same way, by scanning
//! the log from its end — incrementally: while the log only grows (same snapshot base, and
//! the entry it last ended with is still there, which by log matching means the whole prefix
//! is), only the new entries are scanned. The snapshot's configuration entry is named by the
//! snapshot payload (`state::RioSnapshotPayload::config_log_id`), which the node that built
//! it took from its own log.

use raft_io::{EntryKind, RaftLog};

use super::observe::log_ref;
use crate::observe::LogRef;

/// The latest configuration entry of a log, kept up to date as the log changes.
#[derive(Debug, Default)]
pub(crate) struct ConfigTracker {
    /// `(snapshot base, last index, last term)` of the log when last scanned.
    key: (u64, u64, u64),
    /// The latest configuration entry in the live log then.
    found: Option<LogRef>,
}

impl ConfigTracker {
    /// The log id of the latest configuration entry in `log`'s live entries, if any.
    pub(crate) fn latest(&mut self, log: &impl RaftLog) -> Option<LogRef> {
        let key = (log.snapshot_index(), log.last_index(), log.last_term());
        if key == self.key {
            return self.found;
        }
        let (base, last, _) = key;
        let (old_base, old_last, old_term) = self.key;
        let extends =
            base == old_base && last >= old_last && log.term_at(old_last) == Some(old_term);
        let (stop, mut found) = if extends {
            (old_last, self.found)
        } else {
            (base, None)
        };
        let mut i = last;
        while i > stop {
            if let Some(e) = log.entry(i)
                && e.kind == EntryKind::Config
            {
                found = Some(log_ref(e.term, i));
                break;
            }
            i -= 1;
        }
        self.key = key;
        self.found = found;
        found
    }

    /// The latest configuration entry at or below `index` (for a snapshot built there), or
    /// `below` (the snapshot's own) when the live log holds none.
    pub(crate) fn at(log: &impl RaftLog, index: u64, below: Option<LogRef>) -> Option<LogRef> {
        let base = log.snapshot_index();
        let mut i = index.min(log.last_index());
        while i > base {
            if let Some(e) = log.entry(i)
                && e.kind == EntryKind::Config
            {
                return Some(log_ref(e.term, i));
            }
            i -= 1;
        }
        below
    }
}
