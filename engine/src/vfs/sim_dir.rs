//! The namespace of a `SimVfs`: per directory its live and durable entries, and the ordered
//! entry changes that are not durable yet.
//!
//! Every change to a directory's entries — a file created, renamed in or out, removed, a
//! subdirectory made — is one [`DirOp`], applied to the live entries at once and appended to the
//! directory's `pending` list. `sync_dir` stamps every pending op with the time the sync
//! completes; once the disk's clock reaches a stamp, the op moves into the durable entries
//! ([`Dir::settle`]). Stamped ops always form a prefix of `pending`, with non-decreasing stamps.
//! What a crash keeps of the rest is decided in `crash.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

/// What a directory entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Node {
    File(u64),
    Dir,
}

/// One atomic change to one directory's entries: each `(name, Some(node))` sets an entry,
/// each `(name, None)` removes one. A rename within a directory is a single op (old and new
/// name change together); a rename across directories is two ops sharing a `pair` id, which a
/// crash keeps or drops together.
#[derive(Debug, Clone)]
pub(super) struct DirOp {
    pub changes: Vec<(String, Option<Node>)>,
    pub pair: Option<u64>,
    /// When the device started the operation that made it (see `Pending::issued`).
    pub issued: Duration,
    /// Completion time of the `sync_dir` that makes this op durable, once one was issued.
    pub durable_at: Option<Duration>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Dir {
    /// Entries as the running system sees them.
    pub live: BTreeMap<String, Node>,
    /// Entries every crash keeps (all ops up to the last completed `sync_dir`).
    pub durable: BTreeMap<String, Node>,
    /// Ops applied to `live` but not yet to `durable`, oldest first.
    pub pending: Vec<DirOp>,
}

impl Dir {
    /// The inode of the live file entry `name`.
    pub fn file(&self, name: &str) -> Option<u64> {
        match self.live.get(name) {
            Some(Node::File(ino)) => Some(*ino),
            _ => None,
        }
    }

    /// Applies a change to the live entries; it becomes durable with the next `sync_dir`.
    pub fn change(
        &mut self,
        changes: Vec<(String, Option<Node>)>,
        pair: Option<u64>,
        issued: Duration,
    ) {
        apply(&mut self.live, &changes);
        self.pending.push(DirOp {
            changes,
            pair,
            issued,
            durable_at: None,
        });
    }

    /// Applies a change that is durable at once (directories made under the gentle model).
    pub fn change_durably(&mut self, changes: Vec<(String, Option<Node>)>) {
        apply(&mut self.live, &changes);
        apply(&mut self.durable, &changes);
    }

    /// Stamps every unstamped op as durable at `at`; returns the pair ids among them.
    pub fn stamp_all(&mut self, at: Duration) -> Vec<u64> {
        let n = self.pending.len();
        self.stamp_prefix(n, at)
    }

    /// Stamps the unstamped ops up to and including the half of rename `pair` in this
    /// directory (if it has one); returns the pair ids newly stamped.
    pub fn stamp_through(&mut self, pair: u64, at: Duration) -> Vec<u64> {
        match self.pending.iter().position(|op| op.pair == Some(pair)) {
            Some(i) => self.stamp_prefix(i + 1, at),
            None => Vec::new(),
        }
    }

    fn stamp_prefix(&mut self, n: usize, at: Duration) -> Vec<u64> {
        let mut pairs = Vec::new();
        for op in self.pending[..n]
            .iter_mut()
            .filter(|op| op.durable_at.is_none())
        {
            op.durable_at = Some(at);
            pairs.extend(op.pair);
        }
        pairs
    }

    /// Moves the ops whose sync completed by `now` into the durable entries, adding to
    /// `displaced` every file they replaced or removed there (it may have lost its last
    /// reference); returns the earliest stamp still waiting.
    pub fn settle(&mut self, now: Duration, displaced: &mut Vec<u64>) -> Option<Duration> {
        let done = self
            .pending
            .iter()
            .take_while(|op| op.durable_at.is_some_and(|t| t <= now))
            .count();
        for op in self.pending.drain(..done) {
            for (name, node) in op.changes {
                let old = match node {
                    Some(n) => self.durable.insert(name, n),
                    None => self.durable.remove(&name),
                };
                if let Some(Node::File(ino)) = old {
                    displaced.push(ino);
                }
            }
        }
        self.pending.first().and_then(|op| op.durable_at)
    }

    /// The entries a crash leaves when it keeps the first `kept` pending ops.
    pub fn after_crash(&self, kept: usize) -> BTreeMap<String, Node> {
        let mut entries = self.durable.clone();
        for op in &self.pending[..kept] {
            apply(&mut entries, &op.changes);
        }
        entries
    }

    /// Whether this directory may name file `ino` now or after a crash.
    pub fn names(&self, ino: u64) -> bool {
        self.inodes().any(|i| i == ino)
    }

    /// Every inode this directory may name now or after a crash.
    pub fn inodes(&self) -> impl Iterator<Item = u64> + '_ {
        let pending = self.pending.iter().flat_map(|op| op.changes.iter());
        self.live
            .values()
            .chain(self.durable.values())
            .chain(pending.filter_map(|(_, n)| n.as_ref()))
            .filter_map(|n| match n {
                Node::File(ino) => Some(*ino),
                Node::Dir => None,
            })
    }
}

pub(super) fn apply(entries: &mut BTreeMap<String, Node>, changes: &[(String, Option<Node>)]) {
    for (name, node) in changes {
        match node {
            Some(n) => entries.insert(name.clone(), *n),
            None => entries.remove(name),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, ino: u64) -> Vec<(String, Option<Node>)> {
        vec![(name.to_owned(), Some(Node::File(ino)))]
    }

    #[test]
    fn ops_become_durable_when_their_sync_completes() {
        let mut d = Dir::default();
        d.change(set("a", 1), None, Duration::ZERO);
        d.stamp_all(Duration::from_millis(5));
        d.change(set("b", 2), None, Duration::ZERO);
        let mut displaced = Vec::new();
        assert_eq!(
            d.settle(Duration::from_millis(4), &mut displaced),
            Some(Duration::from_millis(5))
        );
        assert!(d.durable.is_empty());
        assert_eq!(d.settle(Duration::from_millis(5), &mut displaced), None);
        assert!(displaced.is_empty());
        assert_eq!(d.durable.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(d.after_crash(1).len(), 2);
        assert_eq!(d.live.len(), 2);
    }

    #[test]
    fn stamping_through_a_pair_stamps_the_prefix_before_it() {
        let mut d = Dir::default();
        d.change(set("a", 1), None, Duration::ZERO);
        d.change(set("b", 2), Some(7), Duration::ZERO);
        d.change(set("c", 3), Some(8), Duration::ZERO);
        assert_eq!(d.stamp_through(7, Duration::ZERO), vec![7]);
        assert_eq!(d.stamp_through(7, Duration::ZERO), Vec::<u64>::new());
        d.settle(Duration::ZERO, &mut Vec::new());
        assert_eq!(d.durable.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(d.pending.len(), 1);
    }

    #[test]
    fn settling_names_the_files_it_replaced_or_removed() {
        let mut d = Dir::default();
        d.change(set("vote", 1), None, Duration::ZERO);
        d.change(set("vote.tmp", 2), None, Duration::ZERO);
        d.stamp_all(Duration::ZERO);
        let mut displaced = Vec::new();
        d.settle(Duration::ZERO, &mut displaced);
        assert!(displaced.is_empty());
        // The atomic replace: `vote.tmp` renamed over `vote`.
        let rename = vec![
            ("vote.tmp".to_owned(), None),
            ("vote".to_owned(), Some(Node::File(2))),
        ];
        d.change(rename, None, Duration::ZERO);
        d.stamp_all(Duration::ZERO);
        d.settle(Duration::ZERO, &mut displaced);
        assert_eq!(displaced, [2, 1]);
        assert!(d.names(2) && !d.names(1));
    }
}
