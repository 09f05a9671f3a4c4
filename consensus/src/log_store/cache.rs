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
    /// The durable store's write in flight: set before the write, cleared once it is done and
    /// this cache shows it. A write that failed stays in flight for good (the store refuses
    /// every later one). Either way the change may be on disk (or, for an append, part of it)
    /// though not here.
    in_flight: Option<InFlight>,
    write_failed: bool,
}

/// A durable write's change to the log's shape, as the probes see it while the write is in
/// flight. Kept as the change, not the log it makes: the probes rarely look, and building the
/// whole image for every write cost more than the write's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogChange {
    /// A write that leaves the shape as it is (a compaction).
    Nothing,
    Vote(Option<Vote<NodeId>>),
    /// Entries appended, replacing any from the first one's index on.
    Append(Vec<LogId>),
    /// Entries from this index on removed.
    Truncate {
        since: u64,
    },
    /// Entries up to this id removed, and it recorded as the last purged.
    Purge(LogId),
}

impl LogChange {
    fn apply(&self, img: &mut LogImage) {
        match self {
            LogChange::Nothing => {}
            LogChange::Vote(vote) => img.vote = *vote,
            LogChange::Append(ids) => {
                if let Some(first) = ids.first() {
                    img.entries.retain(|l| l.index < first.index);
                }
                img.entries.extend(ids.iter().copied());
            }
            LogChange::Truncate { since } => img.entries.retain(|l| l.index < *since),
            LogChange::Purge(log_id) => {
                img.entries.retain(|l| l.index > log_id.index);
                if img.last_purged.is_none_or(|p| p.index < log_id.index) {
                    img.last_purged = Some(*log_id);
                }
            }
        }
    }
}

/// The write in flight: its change to this cache (which shows nothing of it until it is
/// done), or, once it failed, the log it would have made, fixed at that moment.
#[derive(Debug, Clone)]
enum InFlight {
    Change(LogChange),
    Failed(LogImage),
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
    pub fn in_flight(&self) -> Option<LogImage> {
        match self.in_flight.as_ref()? {
            InFlight::Change(change) => Some(self.image_after(change)),
            InFlight::Failed(image) => Some(image.clone()),
        }
    }

    fn image_after(&self, change: &LogChange) -> LogImage {
        let mut image = self.image();
        change.apply(&mut image);
        image
    }

    /// A durable write making `change` begins.
    pub fn begin_write(&mut self, change: LogChange) {
        if !self.write_failed {
            self.in_flight = Some(InFlight::Change(change));
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
        // After a failure nothing begins, so only the first failure finds a change here.
        if let Some(InFlight::Change(change)) = &self.in_flight {
            self.in_flight = Some(InFlight::Failed(self.image_after(change)));
        }
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

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;

    fn id(term: u64, index: u64) -> LogId {
        LogId::new(CommittedLeaderId::new(term, 0), index)
    }

    fn cache_with(ids: &[LogId]) -> LogCache {
        let mut c = LogCache::default();
        for &log_id in ids {
            c.append(Entry {
                log_id,
                payload: EntryPayload::Blank,
            });
        }
        c
    }

    #[test]
    fn the_write_in_flight_shows_as_the_log_it_makes_until_it_is_done() {
        let mut c = cache_with(&[id(1, 1), id(1, 2), id(1, 3)]);
        c.begin_write(LogChange::Append(vec![id(2, 3), id(2, 4)]));
        let image = c.in_flight().unwrap();
        assert_eq!(image.entries, [id(1, 1), id(1, 2), id(2, 3), id(2, 4)]);
        assert_eq!(c.image().entries, [id(1, 1), id(1, 2), id(1, 3)]);
        c.end_write();
        assert_eq!(c.in_flight(), None);

        c.begin_write(LogChange::Purge(id(1, 2)));
        let image = c.in_flight().unwrap();
        assert_eq!(
            (image.entries, image.last_purged),
            (vec![id(1, 3)], Some(id(1, 2)))
        );
        c.begin_write(LogChange::Truncate { since: 2 });
        assert_eq!(c.in_flight().unwrap().entries, [id(1, 1)]);
        let vote = Vote::new(3, 1);
        c.begin_write(LogChange::Vote(Some(vote)));
        assert_eq!(c.in_flight().unwrap().vote, Some(vote));
    }

    #[test]
    fn a_failed_write_stays_in_flight_as_the_log_it_would_have_made() {
        let mut c = cache_with(&[id(1, 1)]);
        c.begin_write(LogChange::Append(vec![id(1, 2)]));
        c.mark_write_failed();
        // Whatever the cache shows later, the failed write's log is the one of its moment.
        c.append(Entry {
            log_id: id(1, 2),
            payload: EntryPayload::Blank,
        });
        c.append(Entry {
            log_id: id(1, 3),
            payload: EntryPayload::Blank,
        });
        c.end_write();
        c.begin_write(LogChange::Nothing);
        assert_eq!(c.in_flight().unwrap().entries, [id(1, 1), id(1, 2)]);
    }
}
