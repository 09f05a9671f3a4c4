//! Liveness after healing: once every fault is healed, within a bounded simulated time the
//! cluster must have exactly one leader that all live nodes agree on, all live replicas must
//! have applied the same log prefix, and fresh writes and reads issued after healing must
//! succeed. Raft promises progress only when a majority can communicate (Ongaro & Ousterhout
//! 2014, §5.2 and §5.6); after healing every node can, so any of these failing by the deadline
//! is a bug (or a deadline too tight for the plan's timing).
//!
//! Not verified: progress while faults are active (Raft promises none without a connected
//! majority); throughput or latency after healing, beyond the deadline; nodes the plan removed
//! from the membership; that a node which could not restart from its own disk recovers (that is
//! `node-recovery`'s finding, reported with its own property).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::observation::{
    MetricsSample, NodeId, NodeObservation, ObservationError, Role, unique_nodes,
};
use super::violation::{Property, Violation};
use crate::history::{Call, History, Outcome, Time};

/// What the harness saw of the liveness phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessObservation {
    /// When the last fault was healed (simulated ns).
    pub healed_at: Time,
    /// By when the cluster must have recovered (simulated ns, absolute).
    pub deadline: Time,
    /// The nodes running during the liveness phase.
    pub live: Vec<NodeId>,
    /// Metrics samples; those outside `[healed_at, deadline]` or of other nodes are ignored.
    pub samples: Vec<MetricsSample>,
    /// The replicas' final states, taken at the end of the liveness phase.
    pub final_observations: Vec<NodeObservation>,
    /// Indices into the run's history of the probe operations issued after healing.
    pub probes: Vec<usize>,
}

/// A liveness observation the checker cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LivenessError {
    #[error(transparent)]
    Observation(#[from] ObservationError),
    #[error("the deadline {deadline} is before the heal time {healed_at}")]
    DeadlineBeforeHeal { healed_at: Time, deadline: Time },
    #[error("no live nodes")]
    NoLiveNodes,
    #[error("live node {node} has no final observation")]
    MissingObservation { node: NodeId },
    #[error("no {kind} probe: the liveness phase must issue fresh writes and reads")]
    MissingProbe { kind: &'static str },
    #[error("probe {index} is not in the history ({len} operations)")]
    ProbeOutOfRange { index: usize, len: usize },
    #[error("probe {index} was invoked at {invoke}, before the heal at {healed_at}")]
    ProbeBeforeHeal {
        index: usize,
        invoke: Time,
        healed_at: Time,
    },
}

/// Checks the liveness phase; at most three violations (leader, convergence, probes), each at
/// the deadline.
pub fn check_liveness(
    observation: &LivenessObservation,
    history: &History,
) -> Result<Vec<Violation>, LivenessError> {
    let o = observation;
    if o.deadline < o.healed_at {
        return Err(LivenessError::DeadlineBeforeHeal {
            healed_at: o.healed_at,
            deadline: o.deadline,
        });
    }
    let live: BTreeSet<NodeId> = o.live.iter().copied().collect();
    if live.is_empty() {
        return Err(LivenessError::NoLiveNodes);
    }
    unique_nodes(&o.final_observations)?;
    validate_probes(o, history)?;
    let mut violations = Vec::new();
    violations.extend(leader(o, &live));
    violations.extend(converged(o, &live)?);
    violations.extend(probes(o, history));
    Ok(violations.into_iter().map(|v| v.at(o.deadline)).collect())
}

fn validate_probes(o: &LivenessObservation, history: &History) -> Result<(), LivenessError> {
    let (mut reads, mut writes) = (0, 0);
    for &index in &o.probes {
        let op = history
            .ops
            .get(index)
            .ok_or(LivenessError::ProbeOutOfRange {
                index,
                len: history.len(),
            })?;
        if op.invoke < o.healed_at {
            return Err(LivenessError::ProbeBeforeHeal {
                index,
                invoke: op.invoke,
                healed_at: o.healed_at,
            });
        }
        match op.call {
            Call::Read { .. } => reads += 1,
            _ => writes += 1,
        }
    }
    if writes == 0 {
        return Err(LivenessError::MissingProbe { kind: "write" });
    }
    if reads == 0 {
        return Err(LivenessError::MissingProbe { kind: "read" });
    }
    Ok(())
}

/// A violation unless, at some instant in `[healed_at, deadline]`, every live node's latest
/// sample names the same term and the same leader, which reports itself leader.
fn leader(o: &LivenessObservation, live: &BTreeSet<NodeId>) -> Option<Violation> {
    let mut window: Vec<&MetricsSample> = o
        .samples
        .iter()
        .filter(|s| live.contains(&s.node) && (o.healed_at..=o.deadline).contains(&s.at))
        .collect();
    window.sort_by_key(|s| s.at);
    let mut latest: BTreeMap<NodeId, &MetricsSample> = BTreeMap::new();
    for (i, s) in window.iter().enumerate() {
        latest.insert(s.node, s);
        // Judge only once every sample of this instant is in.
        let instant_done = window.get(i + 1).is_none_or(|next| next.at != s.at);
        if instant_done && agreed(&latest, live) {
            return None;
        }
    }
    let states: Vec<String> = live
        .iter()
        .map(|node| match latest.get(node) {
            Some(s) => format!(
                "node {node}: {} in term {}, leader {} (at {})",
                role_name(s.role),
                s.term,
                s.leader
                    .map_or_else(|| "unknown".to_string(), |l| l.to_string()),
                s.at
            ),
            None => format!("node {node}: no sample"),
        })
        .collect();
    let message = format!(
        "no single leader agreed by all live nodes between the heal at {} and the deadline {}; last seen: {}",
        o.healed_at,
        o.deadline,
        states.join("; ")
    );
    Some(Violation::new(Property::Liveness, message).with_nodes(live.iter().copied()))
}

fn agreed(latest: &BTreeMap<NodeId, &MetricsSample>, live: &BTreeSet<NodeId>) -> bool {
    let Some(first) = live.first().and_then(|n| latest.get(n)) else {
        return false;
    };
    let Some(leader) = first.leader else {
        return false;
    };
    let leader_is_leader = latest.get(&leader).is_some_and(|s| s.role == Role::Leader);
    leader_is_leader
        && live.iter().all(|n| {
            latest
                .get(n)
                .is_some_and(|s| s.term == first.term && s.leader == Some(leader))
        })
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Leader => "leader",
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Learner => "learner",
        Role::Shutdown => "shut down",
    }
}

/// A violation unless every live replica applied the same index by the end of the phase.
fn converged(
    o: &LivenessObservation,
    live: &BTreeSet<NodeId>,
) -> Result<Option<Violation>, LivenessError> {
    let mut applied: BTreeMap<NodeId, Option<u64>> = BTreeMap::new();
    for &node in live {
        let obs = o.final_observations.iter().find(|r| r.node == node);
        let obs = obs.ok_or(LivenessError::MissingObservation { node })?;
        applied.insert(node, obs.last_applied);
    }
    let distinct: BTreeSet<Option<u64>> = applied.values().copied().collect();
    if distinct.len() < 2 {
        return Ok(None);
    }
    let shown: Vec<String> = applied
        .iter()
        .map(|(n, a)| {
            format!(
                "node {n} at {}",
                a.map_or_else(|| "none".to_string(), |a| a.to_string())
            )
        })
        .collect();
    let message = format!(
        "live replicas did not converge by the deadline {}: applied {}",
        o.deadline,
        shown.join(", ")
    );
    Ok(Some(
        Violation::new(Property::Liveness, message).with_nodes(applied.into_keys()),
    ))
}

/// A violation naming every probe that did not succeed by the deadline.
fn probes(o: &LivenessObservation, history: &History) -> Option<Violation> {
    let mut failed = Vec::new();
    let mut shown = Vec::new();
    for &index in &o.probes {
        // `validate_probes` checked every index.
        let Some(op) = history.ops.get(index) else {
            continue;
        };
        let why = match op.outcome {
            Outcome::Ok { complete, .. } if complete <= o.deadline => continue,
            Outcome::Ok { complete, .. } => format!("succeeded only at {complete}"),
            Outcome::Fail { complete } => format!("failed at {complete}"),
            Outcome::Info { complete: Some(c) } => format!("timed out at {c}"),
            Outcome::Info { complete: None } => "never completed".to_string(),
        };
        failed.push(index);
        shown.push(format!(
            "#{index} {} (invoked at {}) {why}",
            op.call, op.invoke
        ));
    }
    if failed.is_empty() {
        return None;
    }
    let message = format!(
        "{} of {} probes after the heal at {} did not succeed by the deadline {}: {}",
        failed.len(),
        o.probes.len(),
        o.healed_at,
        o.deadline,
        shown.join("; ")
    );
    Some(Violation::new(Property::Liveness, message).with_ops(failed))
}
