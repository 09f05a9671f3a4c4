//! What the run observes of the nodes besides their online reports, in the checkers'
//! vocabulary (`check::observation`): periodic metrics samples (roles and leaders, for liveness
//! and stats), log-store images for the power probes, and each replica's final engine state.
//!
//! Conventions (see `check::observation`): a sample's `role` is `Shutdown` when the node's Raft
//! core stopped. Keys are `"<collection>/<id>"`, values the register value of the whole
//! record (`workload::ops::record_value`: the payload's `"v"` and a digest of vector and payload).

use std::collections::BTreeMap;

use faultline_consensus::system::LogImageRef;
use faultline_consensus::{EngineProbe, NodeRole};
use faultline_engine::{WalOp, vector_from_bytes};

use crate::check::knn::RecordData;
use crate::check::observation::{LogShape, MetricsSample, NodeObservation, Role};
use crate::history::Time;
use crate::workload::ops::{key_name, record_value};
use crate::world::{NodeId, World};

/// Samples collected over a run.
#[derive(Debug, Default)]
pub struct Samples {
    pub samples: Vec<MetricsSample>,
}

fn role(r: NodeRole) -> Role {
    match r {
        NodeRole::Leader => Role::Leader,
        NodeRole::Follower => Role::Follower,
        NodeRole::Candidate => Role::Candidate,
        NodeRole::Learner => Role::Learner,
        NodeRole::Shutdown => Role::Shutdown,
    }
}

impl Samples {
    /// Samples every live node's Raft status at simulated time `at`.
    pub fn sample(&mut self, w: &World, at: Time) {
        for node in w.live_nodes() {
            let Ok(m) = w.raft_status(node) else { continue };
            self.samples.push(MetricsSample {
                at,
                node,
                term: m.term,
                role: role(m.effective_role()),
                leader: m.leader,
                last_log_index: m.last_log_index,
                last_applied: m.last_applied,
            });
        }
    }
}

/// A log's image in the checkers' vocabulary.
pub fn log_shape(image: &LogImageRef) -> LogShape {
    LogShape {
        vote: image.vote,
        purged: image.purged,
        entries: image.entries.clone(),
    }
}

/// Flattens an engine state to key → record value over every collection.
pub fn flatten(node: NodeId, state: &EngineProbe) -> NodeObservation {
    NodeObservation {
        last_applied: state.last_applied,
        ..flatten_ops(node, &state.ops)
    }
}

/// Flattens replication-snapshot ops (no applied index): every point to its whole record's
/// value (`workload::ops::record_value`), every collection to its id and descriptor.
pub fn flatten_ops(node: NodeId, ops: &[WalOp]) -> NodeObservation {
    let mut names: BTreeMap<u64, &str> = BTreeMap::new();
    let mut out = BTreeMap::new();
    let mut collections = BTreeMap::new();
    for op in ops {
        match op {
            WalOp::CreateCollection {
                collection_id,
                name,
                descriptor,
            } => {
                names.insert(*collection_id, name);
                collections.insert(
                    name.clone(),
                    format!(
                        "#{collection_id} dim {} {:?}",
                        descriptor.dim, descriptor.metric
                    ),
                );
            }
            WalOp::Upsert {
                collection_id,
                external_id,
                vector,
                payload,
            } => {
                let collection = names
                    .get(collection_id)
                    .map_or_else(|| format!("#{collection_id}"), |n| n.to_string());
                let value = match (
                    vector_from_bytes(vector),
                    serde_json::from_slice::<serde_json::Value>(payload),
                ) {
                    (Ok(vector), Ok(payload)) => record_value(&RecordData { vector, payload }),
                    _ => format!(
                        "<undecodable record: {} vector bytes, {} payload bytes>",
                        vector.len(),
                        payload.len()
                    ),
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
        collections,
    }
}
