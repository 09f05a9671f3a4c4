//! Online observation: what a node reports, at the moment it happens, for the harness's Raft
//! invariant checkers — votes saved, entries appended and flushed, truncations, purges, commit
//! points saved, entries applied, snapshots built, installed and loaded, and what each store
//! recovered at start.
//!
//! The vocabulary is plain data with no openraft types, so any Raft adapter can report into it
//! and a checker (or a test) can read it without knowing the system under test. A node reports
//! through an [`Observer`] it was given at start; a node without one (every real deployment)
//! reports nothing and computes no digests.
//!
//! Log ids are reported in full: openraft 0.9 names a leader by its term **and** node id, so two
//! leaders of one term writing different entries at one index carry different log ids. (Built
//! with openraft's `single-term-leader`, a leader is named by its term alone and `leader` is 0.)

use std::fmt;
use std::sync::Arc;

use faultline_engine::fnv::Fnv1a;
use openraft::{EntryPayload, Membership};
use serde::{Deserialize, Serialize};

use crate::type_config::{Entry, LogId, NodeId};

/// A log id: the leader that created the entry and its index. The derived order is openraft's
/// order of log ids (leader id first, then index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LogRef {
    pub term: u64,
    /// The node id of the leader (0 where the Raft names leaders by term alone).
    pub leader: NodeId,
    pub index: u64,
}

impl LogRef {
    /// The leader id `(term, node)` that created the entry.
    pub fn leader_id(&self) -> (u64, NodeId) {
        (self.term, self.leader)
    }
}

impl fmt::Display for LogRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}-N{}.{}", self.term, self.leader, self.index)
    }
}

/// A persisted vote: the leader a node granted for `term` (or, once `committed`, knows to be
/// elected by a quorum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VoteRef {
    pub term: u64,
    pub node: Option<NodeId>,
    pub committed: bool,
}

impl fmt::Display for VoteRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = self.node.map_or_else(|| "-".to_string(), |n| n.to_string());
        let state = if self.committed {
            "committed"
        } else {
            "granted"
        };
        write!(f, "T{}-N{node} ({state})", self.term)
    }
}

/// A cluster membership: its voter sets (two during a joint change) and its learners, ids sorted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct MembershipRef {
    pub configs: Vec<Vec<NodeId>>,
    pub learners: Vec<NodeId>,
}

impl MembershipRef {
    /// Whether this membership is a joint one (two voter sets).
    pub fn is_joint(&self) -> bool {
        self.configs.len() > 1
    }

    /// Every voter of every set, sorted.
    pub fn voters(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self.configs.iter().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl fmt::Display for MembershipRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sets: Vec<String> = self.configs.iter().map(|c| format!("{c:?}")).collect();
        write!(f, "{}", sets.join("+"))?;
        if !self.learners.is_empty() {
            write!(f, " learners {:?}", self.learners)?;
        }
        Ok(())
    }
}

/// What kind of entry a log entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum EntryKind {
    /// A leader's first (no-op) entry.
    Blank,
    /// An application command.
    Normal,
    /// A membership change.
    Membership { membership: MembershipRef },
}

/// One log entry as reported: its log id, a digest of its payload, and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntryRef {
    pub log_id: LogRef,
    /// FNV-1a of the payload's encoding: two entries with one log id must carry one payload.
    pub digest: u64,
    #[serde(flatten)]
    pub kind: EntryKind,
}

/// A snapshot as reported: the last log id it covers and the membership it carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotRef {
    pub last: Option<LogRef>,
    /// The log id of the membership entry the snapshot's membership comes from.
    pub membership_log_id: Option<LogRef>,
    pub membership: MembershipRef,
}

/// One thing a node did to its Raft state, reported as it happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "event")]
pub enum Observation {
    /// The log store opened and recovered this durable state from its disk (every entry listed
    /// is durable).
    Recovered {
        vote: Option<VoteRef>,
        committed: Option<LogRef>,
        purged: Option<LogRef>,
        entries: Vec<EntryRef>,
    },
    /// The state machine opened from its stored snapshot.
    SnapshotLoaded { snapshot: SnapshotRef },
    /// A vote was made durable.
    VoteSaved { vote: VoteRef },
    /// Entries were accepted into the log (not yet durable).
    Appended { entries: Vec<EntryRef> },
    /// Every entry of the log up to `upto` is durable.
    Flushed { upto: LogRef },
    /// Every entry with index `>= since` was removed from the log (durably).
    Truncated { since: u64 },
    /// Every entry up to `upto` was removed from the log (durably); a snapshot covers them.
    Purged { upto: LogRef },
    /// The commit point was saved: every entry up to `committed` is committed.
    CommittedSaved { committed: LogRef },
    /// An entry was applied to the state machine.
    Applied { entry: EntryRef },
    /// A snapshot of the state machine was built (and stored).
    SnapshotBuilt { snapshot: SnapshotRef },
    /// A snapshot arrived from the leader and its install begins (nothing changed yet).
    SnapshotReceived { snapshot: SnapshotRef },
    /// A snapshot received from the leader replaced the state machine.
    SnapshotInstalled { snapshot: SnapshotRef },
    /// The membership the Raft core acts on changed (its own report, e.g. from its metrics).
    MembershipInEffect {
        log_id: Option<LogRef>,
        membership: MembershipRef,
    },
}

impl Observation {
    /// The event's kebab-case name.
    pub fn name(&self) -> &'static str {
        match self {
            Observation::Recovered { .. } => "recovered",
            Observation::SnapshotLoaded { .. } => "snapshot-loaded",
            Observation::VoteSaved { .. } => "vote-saved",
            Observation::Appended { .. } => "appended",
            Observation::Flushed { .. } => "flushed",
            Observation::Truncated { .. } => "truncated",
            Observation::Purged { .. } => "purged",
            Observation::CommittedSaved { .. } => "committed-saved",
            Observation::Applied { .. } => "applied",
            Observation::SnapshotBuilt { .. } => "snapshot-built",
            Observation::SnapshotReceived { .. } => "snapshot-received",
            Observation::SnapshotInstalled { .. } => "snapshot-installed",
            Observation::MembershipInEffect { .. } => "membership-in-effect",
        }
    }
}

/// Where a node's reports go. Called synchronously, at the moment the event happens, so an
/// implementation must be cheap (an append to a log) and must not block.
pub trait Observer: Send + Sync + fmt::Debug + 'static {
    fn observe(&self, event: Observation);

    /// A frame the node wrote to the network (its `frame_digest`): folded into the run's
    /// fingerprint, so two runs that send different bytes differ.
    fn wire(&self, _frame_digest: u64) {}
}

/// A node's observer handle: `None` reports nothing (the production default).
#[derive(Debug, Clone, Default)]
pub struct Reporter(Option<Arc<dyn Observer>>);

impl Reporter {
    pub fn new(observer: Option<Arc<dyn Observer>>) -> Self {
        Reporter(observer)
    }

    /// Whether anyone listens (digests are computed only then).
    pub fn active(&self) -> bool {
        self.0.is_some()
    }

    /// Reports the event `make` builds, if anyone listens.
    pub fn report(&self, make: impl FnOnce() -> Observation) {
        if let Some(o) = &self.0 {
            o.observe(make());
        }
    }

    /// Reports a frame written to the network.
    pub fn wire(&self, frame_digest: u64) {
        if let Some(o) = &self.0 {
            o.wire(frame_digest);
        }
    }
}

/// A log id in the observation vocabulary.
#[cfg(not(feature = "single-term-leader"))]
pub fn log_ref(l: &LogId) -> LogRef {
    LogRef {
        term: l.leader_id.term,
        leader: l.leader_id.node_id,
        index: l.index,
    }
}

/// A log id in the observation vocabulary.
#[cfg(feature = "single-term-leader")]
pub fn log_ref(l: &LogId) -> LogRef {
    LogRef {
        term: l.leader_id.term,
        leader: 0,
        index: l.index,
    }
}

/// A vote in the observation vocabulary.
pub fn vote_ref(v: &openraft::Vote<NodeId>) -> VoteRef {
    VoteRef {
        term: v.leader_id().get_term(),
        node: v.leader_id().voted_for(),
        committed: v.is_committed(),
    }
}

/// A membership in the observation vocabulary.
pub fn membership_ref(m: &Membership<NodeId, openraft::BasicNode>) -> MembershipRef {
    MembershipRef {
        configs: m
            .get_joint_config()
            .iter()
            .map(|c| c.iter().copied().collect())
            .collect(),
        learners: m.learner_ids().collect(),
    }
}

/// A snapshot's metadata in the observation vocabulary.
pub fn snapshot_ref(meta: &openraft::SnapshotMeta<NodeId, openraft::BasicNode>) -> SnapshotRef {
    SnapshotRef {
        last: meta.last_log_id.as_ref().map(log_ref),
        membership_log_id: meta.last_membership.log_id().as_ref().map(log_ref),
        membership: membership_ref(meta.last_membership.membership()),
    }
}

/// An entry in the observation vocabulary, with the digest of its payload.
pub fn entry_ref(e: &Entry) -> EntryRef {
    let mut h = Fnv1a::new();
    let kind = match &e.payload {
        EntryPayload::Blank => {
            h.write(b"blank");
            EntryKind::Blank
        }
        EntryPayload::Normal(cmd) => {
            h.write(b"normal");
            h.write_u64(cmd.request_id);
            cmd.op.digest_into(&mut h);
            EntryKind::Normal
        }
        EntryPayload::Membership(m) => {
            h.write(b"membership");
            let membership = membership_ref(m);
            for c in &membership.configs {
                h.write_u64(c.len() as u64);
                for id in c {
                    h.write_u64(*id);
                }
            }
            h.write_u64(membership.learners.len() as u64);
            for id in &membership.learners {
                h.write_u64(*id);
            }
            EntryKind::Membership { membership }
        }
    };
    EntryRef {
        log_id: log_ref(&e.log_id),
        digest: h.finish(),
        kind,
    }
}
