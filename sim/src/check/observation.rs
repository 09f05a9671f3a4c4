//! What the harness observes of the nodes, as the state checkers take it: the final engine state
//! of each replica ([`NodeObservation`]), metrics sampled over the run ([`MetricsSample`]), the
//! events each node reported as they happened ([`RaftEvent`], in the vocabulary of
//! `faultline_consensus::observe`, which any Raft adapter reports into) and the log probes of
//! power failures ([`LogRecovery`]).
//!
//! These types know nothing of openraft or of the simulated world: the world converts its probes
//! into them, so the checkers can be fed by hand (planted violations in tests) or from a stored
//! run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use faultline_consensus::observe::{
    EntryKind, EntryRef, LogRef, MembershipRef, Observation, SnapshotRef, VoteRef,
};

use crate::history::Time;

/// A node (Raft server) of the cluster.
pub type NodeId = u64;

/// The final engine state of one replica, flattened to key → value. Writes carry unique values,
/// so a value names the write that produced it (the workload's values name whole records:
/// vector and payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct NodeObservation {
    pub node: NodeId,
    /// The log index of the last entry applied to the state machine (`None`: nothing applied).
    pub last_applied: Option<u64>,
    pub state: BTreeMap<String, String>,
    /// Every collection, empty ones included: name → id and descriptor.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub collections: BTreeMap<String, String>,
}

/// A node's engine as it stood when its node lost power, and as a recovery of the disk that
/// power failure left behind found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct EngineRecovery {
    pub node: NodeId,
    /// Simulated nanoseconds: when the power failed.
    pub at: Time,
    /// Everything the engine had acknowledged, flattened.
    pub acknowledged: NodeObservation,
    /// The recovered engine, flattened, or why recovery failed.
    pub recovered: Result<NodeObservation, String>,
    /// If a failed write had poisoned the engine: the state that write would have made,
    /// flattened. It was in flight when the power went, so recovery may find it instead.
    pub unsettled: Option<NodeObservation>,
}

/// A node's Raft role at a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Leader,
    Follower,
    Candidate,
    Learner,
    /// The node is not running (killed, or its Raft core stopped). Its counters are whatever
    /// the harness last knew, so the checkers do not hold them to any invariant.
    Shutdown,
}

/// One node's Raft metrics at one simulated instant. Samples say only what metrics alone can
/// (roles, leaders, how far a node got); the Raft invariants are checked on [`RaftEvent`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct MetricsSample {
    /// Simulated nanoseconds.
    pub at: Time,
    pub node: NodeId,
    /// The node's current term.
    pub term: u64,
    pub role: Role,
    /// The leader this node knows for `term` (itself when it leads), if any.
    pub leader: Option<NodeId>,
    /// Index of the last entry in the node's log (or its snapshot), if any.
    pub last_log_index: Option<u64>,
    /// The highest index the node has applied to its state machine.
    pub last_applied: Option<u64>,
}

/// A node's durable Raft log as a checker sees it: vote, purge point and entries, by full log id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct LogShape {
    pub vote: Option<VoteRef>,
    /// The last purged entry.
    pub purged: Option<LogRef>,
    /// Every live entry, in index order.
    pub entries: Vec<LogRef>,
}

/// A node's durable Raft log as its store had acknowledged it when the power went, and as a
/// recovery of the crashed disk found it (or why recovery failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct LogRecovery {
    pub node: NodeId,
    /// Simulated nanoseconds: when the power failed.
    pub at: Time,
    pub acknowledged: LogShape,
    /// If a write of the store had failed: the log as that write would have left it. It was in
    /// flight when it failed, so the disk may hold it, or (for an append) a prefix of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<LogShape>,
    pub recovered: Result<LogShape, String>,
}

/// One observation a node reported, stamped by the harness: when, which node, and which
/// incarnation of it (1 after boot, +1 per restart). Events are kept in the order they
/// happened; equal times keep that order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct RaftEvent {
    /// Simulated nanoseconds.
    pub at: Time,
    pub node: NodeId,
    pub incarnation: u32,
    #[serde(flatten)]
    pub event: Observation,
}

/// Observations a checker cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ObservationError {
    #[error("node {node} has more than one final observation")]
    DuplicateNode { node: NodeId },
}

/// Checks that each node appears at most once.
pub(crate) fn unique_nodes(observations: &[NodeObservation]) -> Result<(), ObservationError> {
    let mut seen = BTreeSet::new();
    for o in observations {
        if !seen.insert(o.node) {
            return Err(ObservationError::DuplicateNode { node: o.node });
        }
    }
    Ok(())
}
