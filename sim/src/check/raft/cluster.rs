//! The cluster as the Raft checks see it: every node's Raft state rebuilt by replaying the
//! events the nodes reported, in the order they happened. Each property's check reads this
//! model just before and just after each event, so it judges every moment of the run, not
//! samples of it.
//!
//! What the model keeps per node is what the node itself said: its vote, its log (entries
//! appended, truncated, purged), how much of that log is durable (flushed), its commit point,
//! what it applied, its snapshot and the membership it acts on. A restart begins a new
//! incarnation whose state is exactly what the node reported recovering; the disk outlives the
//! node, so a node that is down keeps counting for what its disk holds.
//!
//! Impossible reports (a flush of an entry the log does not hold, an entry appended past a gap)
//! are not judged here; `consistency` reports them. The model stays total: it applies every
//! event, however odd, without panicking.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::observation::{
    EntryKind, EntryRef, LogRef, MembershipRef, NodeId, Observation, RaftEvent, SnapshotRef,
    VoteRef,
};

/// A membership and the log id of the entry it comes from (`None`: the initial, empty one).
pub type Config = (Option<LogRef>, MembershipRef);

/// One node's Raft state as it reported it.
#[derive(Debug, Clone, Default)]
pub struct NodeState {
    /// 0 until the node's first report.
    pub incarnation: u32,
    pub vote: Option<VoteRef>,
    /// The last vote the node made durable, in any incarnation (a vote is persistent state).
    pub durable_vote: Option<VoteRef>,
    /// Every leader id `(term, candidate)` the node ever saved a vote for.
    pub granted: BTreeSet<(u64, Option<NodeId>)>,
    /// The live log, by index.
    pub log: BTreeMap<u64, EntryRef>,
    pub purged: Option<LogRef>,
    /// The log is durable up to this index (on the log as it stands: a truncation lowers it).
    pub flushed: Option<u64>,
    pub committed: Option<LogRef>,
    pub applied: Option<LogRef>,
    /// The node's newest durable snapshot.
    pub snapshot: Option<SnapshotRef>,
    /// Membership entries in the live log, by index.
    pub log_configs: BTreeMap<u64, (LogRef, MembershipRef)>,
    /// The membership of the state machine (applied, installed or loaded with a snapshot).
    pub applied_config: Option<Config>,
    /// The membership the Raft core said it acts on, in this incarnation.
    pub reported_config: Option<Config>,
}

impl NodeState {
    /// The entry the log holds at `index`.
    pub fn entry(&self, index: u64) -> Option<&EntryRef> {
        self.log.get(&index)
    }

    /// The last log id the node knows: its last entry's, or its purge point.
    pub fn last_log_id(&self) -> Option<LogRef> {
        self.log
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(self.purged)
    }

    /// Whether the node's disk holds `id`: the entry is in its log and flushed, or a durable
    /// snapshot (or purge, which only ever follows one) covers its index.
    pub fn holds_durably(&self, id: &LogRef) -> bool {
        let in_log = self.entry(id.index).is_some_and(|e| e.log_id == *id)
            && self.flushed.is_some_and(|f| f >= id.index);
        let covered = self.purged.is_some_and(|p| p.index >= id.index)
            || self
                .snapshot
                .as_ref()
                .and_then(|s| s.last)
                .is_some_and(|l| l.index >= id.index);
        in_log || covered
    }

    /// Whether the node's log (or the snapshot and purge point behind it) holds `id`, durable
    /// or not.
    pub fn holds(&self, id: &LogRef) -> bool {
        self.entry(id.index).is_some_and(|e| e.log_id == *id)
            || self.purged.is_some_and(|p| p.index >= id.index)
            || self
                .snapshot
                .as_ref()
                .and_then(|s| s.last)
                .is_some_and(|l| l.index >= id.index)
    }

    /// The membership the node's Raft acts on by Raft's rule: the newest membership entry in
    /// its log, committed or not, else the state machine's (Ongaro 2014, §4.1; openraft's
    /// "effective membership").
    pub fn effective_config(&self) -> Option<Config> {
        let in_log = self
            .log_configs
            .values()
            .next_back()
            .map(|(id, m)| (Some(*id), m.clone()));
        match (in_log, &self.applied_config) {
            (Some(l), Some(a)) => Some(if l.0 >= a.0 { l } else { a.clone() }),
            (Some(l), None) => Some(l),
            (None, a) => a.clone(),
        }
    }

    /// The newest membership at or below `index` the node knows (log, state machine).
    pub fn config_at(&self, index: u64) -> Option<Config> {
        let in_log = self
            .log_configs
            .range(..=index)
            .next_back()
            .map(|(_, (id, m))| (Some(*id), m.clone()));
        let applied = self
            .applied_config
            .clone()
            .filter(|(id, _)| id.is_none_or(|id| id.index <= index));
        match (in_log, applied) {
            (Some(l), Some(a)) => Some(if l.0 >= a.0 { l } else { a }),
            (l, a) => l.or(a),
        }
    }

    fn apply(&mut self, event: &RaftEvent) {
        if event.incarnation != self.incarnation {
            self.new_incarnation(event.incarnation);
        }
        match &event.event {
            Observation::Recovered {
                vote,
                committed,
                purged,
                entries,
            } => {
                self.vote = *vote;
                if let Some(v) = vote {
                    self.granted.insert((v.term, v.node));
                }
                self.committed = *committed;
                self.purged = *purged;
                self.log.clear();
                self.log_configs.clear();
                for e in entries {
                    self.insert(e);
                }
                self.flushed = self.last_log_id().map(|l| l.index);
            }
            Observation::SnapshotLoaded { snapshot } => {
                self.applied = snapshot.last;
                self.applied_config =
                    Some((snapshot.membership_log_id, snapshot.membership.clone()));
                self.snapshot = Some(snapshot.clone());
            }
            Observation::VoteSaved { vote } => {
                self.vote = Some(*vote);
                self.durable_vote = Some(*vote);
                self.granted.insert((vote.term, vote.node));
            }
            Observation::Appended { entries } => {
                for e in entries {
                    self.insert(e);
                }
            }
            Observation::Flushed { upto } => self.flushed = Some(upto.index),
            Observation::Truncated { since } => {
                self.log.split_off(since);
                self.log_configs.split_off(since);
                if self.flushed.is_some_and(|f| f >= *since) {
                    self.flushed = since.checked_sub(1);
                }
            }
            Observation::Purged { upto } => {
                let keep = upto.index.saturating_add(1);
                self.log = self.log.split_off(&keep);
                self.log_configs = self.log_configs.split_off(&keep);
                if self.purged.is_none_or(|p| p.index < upto.index) {
                    self.purged = Some(*upto);
                }
            }
            Observation::CommittedSaved { committed } => self.committed = Some(*committed),
            Observation::Applied { entry } => {
                self.applied = Some(entry.log_id);
                if let EntryKind::Membership { membership } = &entry.kind {
                    self.applied_config = Some((Some(entry.log_id), membership.clone()));
                }
            }
            Observation::SnapshotBuilt { snapshot } => self.snapshot = Some(snapshot.clone()),
            // Nothing changes until the install is done.
            Observation::SnapshotReceived { .. } => {}
            Observation::SnapshotInstalled { snapshot } => {
                self.applied = snapshot.last;
                self.applied_config =
                    Some((snapshot.membership_log_id, snapshot.membership.clone()));
                self.snapshot = Some(snapshot.clone());
            }
            Observation::MembershipInEffect { log_id, membership } => {
                // A membership from no entry, before the node applied or loaded any, is the
                // bootstrap configuration every node boots with (raft-io): the state machine
                // holds it from the start, as openraft's holds its initial membership entry.
                if log_id.is_none()
                    && self.applied_config.is_none()
                    && !membership.configs.iter().all(|c| c.is_empty())
                {
                    self.applied_config = Some((None, membership.clone()));
                }
                self.reported_config = Some((*log_id, membership.clone()));
            }
        }
    }

    fn insert(&mut self, e: &EntryRef) {
        let index = e.log_id.index;
        self.log.insert(index, e.clone());
        match &e.kind {
            EntryKind::Membership { membership } => {
                self.log_configs
                    .insert(index, (e.log_id, membership.clone()));
            }
            _ => {
                self.log_configs.remove(&index);
            }
        }
    }

    /// A restart: volatile state is gone; the durable vote and grants, and the snapshot on
    /// disk, remain until the node reports what it recovered.
    fn new_incarnation(&mut self, incarnation: u32) {
        *self = NodeState {
            incarnation,
            durable_vote: self.durable_vote,
            granted: std::mem::take(&mut self.granted),
            snapshot: self.snapshot.take(),
            ..NodeState::default()
        };
    }
}

/// The state of a node that never reported (or of a new incarnation before its first report).
pub(super) static NEVER_REPORTED: NodeState = NodeState {
    incarnation: 0,
    vote: None,
    durable_vote: None,
    granted: BTreeSet::new(),
    log: BTreeMap::new(),
    purged: None,
    flushed: None,
    committed: None,
    applied: None,
    snapshot: None,
    log_configs: BTreeMap::new(),
    applied_config: None,
    reported_config: None,
};

/// Every node's state, and what the cluster as a whole has committed.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub nodes: BTreeMap<NodeId, NodeState>,
    /// Per index, the log id the first node to record it committed had there (a later node
    /// recording another one is a state machine safety violation).
    pub committed: BTreeMap<u64, LogRef>,
    /// Per index, the term of the first node to record it committed, when it did: the entry
    /// was committed in that term or an earlier one (a node takes a leader's commit point only
    /// once it has seen that leader's term). Reports of one node can come late (a vote waiting
    /// on a stalled disk), so time alone does not order commits and elections; terms do.
    pub committed_by: BTreeMap<u64, u64>,
}

impl Cluster {
    pub fn node(&self, id: NodeId) -> Option<&NodeState> {
        self.nodes.get(&id)
    }

    /// `id`'s state, or an empty one if it never reported. Borrowed: checks ask for it on
    /// every event, and a node's log can hold thousands of entries.
    pub fn state(&self, id: NodeId) -> &NodeState {
        self.nodes.get(&id).unwrap_or(&NEVER_REPORTED)
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &RaftEvent) {
        let node = self.nodes.entry(event.node).or_default();
        let before = node
            .committed
            .filter(|_| node.incarnation == event.incarnation);
        node.apply(event);
        if let Observation::CommittedSaved { committed } = &event.event {
            // Everything up to the commit point is committed: record the node's entries from
            // where it committed before (or where its snapshot ends: entries below it are
            // superseded and never read again) up to the point.
            let from = before
                .into_iter()
                .chain(node.snapshot.as_ref().and_then(|s| s.last))
                .chain(node.purged)
                .map(|b| b.index.saturating_add(1))
                .max()
                .unwrap_or(0);
            let term = node
                .vote
                .map_or(committed.term, |v| v.term.max(committed.term));
            let mut record = |index: u64, id: LogRef| {
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    self.committed.entry(index)
                {
                    slot.insert(id);
                    self.committed_by.insert(index, term);
                }
            };
            if from <= committed.index {
                for (index, e) in node.log.range(from..=committed.index) {
                    record(*index, e.log_id);
                }
            }
            record(committed.index, *committed);
        }
    }

    /// The members of `set` whose disks durably hold `id`.
    pub fn durable_holders(&self, set: &[NodeId], id: &LogRef) -> Vec<NodeId> {
        set.iter()
            .copied()
            .filter(|n| self.node(*n).is_some_and(|s| s.holds_durably(id)))
            .collect()
    }
}

/// Whether `count` members out of `size` are a majority.
pub fn is_majority(count: usize, size: usize) -> bool {
    count * 2 > size
}
