//! What the run observes of the nodes, in the checkers' vocabulary (`check::observation`):
//! periodic metrics samples, the committed log ids they reveal, and each replica's final engine
//! state flattened to key → value.
//!
//! Conventions (see `check::observation`): a sample's `role` is `Shutdown` when the node's Raft
//! core stopped; openraft 0.9's metrics carry no commit index, so `committed` stays `None` and
//! the monotonic-commit check is vacuous; a node's `last_applied` log id is committed, so each
//! new one becomes a `CommittedEntry` (no payload digest). Keys are `"<collection>/<id>"`,
//! values the `"v"` string of the point's payload (`workload::ops::value_of`).

use std::collections::BTreeMap;

use faultline_consensus::{EngineState, LogImage};
use faultline_engine::WalOp;
use openraft::{ServerState, Vote};

use crate::check::observation::{
    CommittedEntry, LogShape, MetricsSample, NodeObservation, Role, SampledVote,
};
use crate::history::Time;
use crate::workload::ops::{key_name, value_of};
use crate::world::{Metrics, NodeId, World};

/// Samples collected over a run.
#[derive(Debug, Default)]
pub struct Samples {
    pub samples: Vec<MetricsSample>,
    pub committed: Vec<CommittedEntry>,
    /// Per node, the last applied log id already turned into a `CommittedEntry`.
    last_applied: BTreeMap<NodeId, (u64, u64)>,
}

fn role(m: &Metrics) -> Role {
    if m.running_state.is_err() {
        return Role::Shutdown;
    }
    match m.state {
        ServerState::Leader => Role::Leader,
        ServerState::Follower => Role::Follower,
        ServerState::Candidate => Role::Candidate,
        ServerState::Learner => Role::Learner,
        ServerState::Shutdown => Role::Shutdown,
    }
}

impl Samples {
    /// Samples every live node's metrics at simulated time `at`.
    pub fn sample(&mut self, w: &World, at: Time) {
        for node in w.live_nodes() {
            let Ok(m) = w.metrics(node) else { continue };
            self.samples.push(MetricsSample {
                at,
                node,
                term: m.current_term,
                role: role(&m),
                leader: m.current_leader,
                last_log_index: m.last_log_index,
                committed: None,
                last_applied: m.last_applied.map(|l| l.index),
                vote: Some(sampled_vote(&m.vote)),
            });
            if let Some(l) = m.last_applied {
                let id = (l.index, l.leader_id.term);
                if self.last_applied.get(&node) != Some(&id) {
                    self.last_applied.insert(node, id);
                    self.committed.push(CommittedEntry {
                        at,
                        node,
                        index: l.index,
                        term: l.leader_id.term,
                        node_term: m.current_term,
                        digest: None,
                    });
                }
            }
        }
    }
}

fn sampled_vote(v: &Vote<NodeId>) -> SampledVote {
    SampledVote {
        term: v.leader_id().get_term(),
        node: v.leader_id().voted_for(),
        committed: v.is_committed(),
    }
}

/// A log store's image in the checkers' vocabulary.
pub fn log_shape(image: &LogImage) -> LogShape {
    LogShape {
        vote: image.vote.as_ref().map(sampled_vote),
        purged: image.last_purged.map(|p| p.index),
        entries: image
            .entries
            .iter()
            .map(|l| (l.index, l.leader_id.term))
            .collect(),
    }
}

/// Flattens an engine state to key → value over every collection.
pub fn flatten(node: NodeId, state: &EngineState) -> NodeObservation {
    NodeObservation {
        last_applied: state.last_applied.map(|l| l.index),
        ..flatten_ops(node, &state.ops)
    }
}

/// Flattens replication-snapshot ops (no applied index) to key → value.
pub fn flatten_ops(node: NodeId, ops: &[WalOp]) -> NodeObservation {
    let mut names: BTreeMap<u64, &str> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for op in ops {
        match op {
            WalOp::CreateCollection {
                collection_id,
                name,
                ..
            } => {
                names.insert(*collection_id, name);
            }
            WalOp::Upsert {
                collection_id,
                external_id,
                payload,
                ..
            } => {
                let collection = names
                    .get(collection_id)
                    .map_or_else(|| format!("#{collection_id}"), |n| n.to_string());
                let value = match serde_json::from_slice::<serde_json::Value>(payload) {
                    Ok(v) => value_of(&v),
                    Err(_) => format!("<undecodable payload of {} bytes>", payload.len()),
                };
                out.insert(key_name(&collection, *external_id), value);
            }
            // A replication snapshot lists live state only; these cannot occur in it, and would
            // change nothing the checkers compare.
            WalOp::Delete { .. } | WalOp::DropCollection { .. } => {}
        }
    }
    NodeObservation {
        node,
        last_applied: None,
        state: out,
    }
}
