//! What the harness observes of the nodes, as the state checkers take it: the final engine state
//! of each replica ([`NodeObservation`]), metrics sampled over the run ([`MetricsSample`]) and
//! committed log entries ([`CommittedEntry`]).
//!
//! These types are the harness's own vocabulary. They know nothing of openraft or of the
//! simulated world: the world converts its probes into them, so the checkers can be fed by hand
//! (planted violations in tests) or from a stored run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::history::Time;

/// A node (Raft server) of the cluster.
pub type NodeId = u64;

/// The final engine state of one replica, flattened to key → value. Writes carry unique values,
/// so a value names the write that produced it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeObservation {
    pub node: NodeId,
    /// The log index of the last entry applied to the state machine (`None`: nothing applied).
    pub last_applied: Option<u64>,
    pub state: BTreeMap<String, String>,
}

/// A node's engine as it stood when its node lost power, and as a recovery of the disk that
/// power failure left behind found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One node's Raft metrics at one simulated instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The highest index the node knows to be committed.
    pub committed: Option<u64>,
    /// The highest index the node has applied to its state machine.
    pub last_applied: Option<u64>,
    /// The vote the node has persisted, if the harness sampled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<SampledVote>,
}

/// A node's durable Raft log as a checker sees it: vote, purge point and entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogShape {
    pub vote: Option<SampledVote>,
    /// Index of the last purged entry.
    pub purged: Option<u64>,
    /// `(index, term)` of every live entry, in index order.
    pub entries: Vec<(u64, u64)>,
}

/// A node's durable Raft log as its store had acknowledged it when the power went, and as a
/// recovery of the crashed disk found it (or why recovery failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecovery {
    pub node: NodeId,
    /// Simulated nanoseconds: when the power failed.
    pub at: Time,
    pub acknowledged: LogShape,
    pub recovered: Result<LogShape, String>,
}

/// A node's persisted vote: the leader it granted (or, once `committed`, knows to be elected)
/// for `term`. The derived order is the order a correct node's vote moves in: by term, then by
/// candidate id (openraft 0.9 ranks leaders of one term by node id), then uncommitted before
/// committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SampledVote {
    pub term: u64,
    pub node: Option<NodeId>,
    pub committed: bool,
}

/// A log entry a node reported as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedEntry {
    /// Simulated nanoseconds.
    pub at: Time,
    pub node: NodeId,
    pub index: u64,
    /// The term the entry was created in (its log id's term).
    pub term: u64,
    /// The reporting node's current term at `at`. The entry was committed in a term no later
    /// than this (a node learns of a commit from a leader whose term it has already adopted), so
    /// every leader of a later term must hold it.
    pub node_term: u64,
    /// A digest of the entry's payload, if the harness computed one: two committed entries with
    /// the same index and term must carry the same payload.
    pub digest: Option<u64>,
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
