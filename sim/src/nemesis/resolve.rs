//! Resolving a fault's target when it fires: the group's current voters, the leader, the k-th
//! follower, or a node the seeded RNG picks. Every choice draws from madsim's seeded RNG, and
//! every candidate list is in node-id order first, so a seed always picks the same node.

use std::time::Duration;

use madsim::rand::Rng;

use crate::plan::NodeRef;
use crate::world::{NodeId, Status, World};

/// The voters of the newest membership any live node knows, in id order.
pub fn members(w: &World) -> Vec<NodeId> {
    w.voters()
}

/// The voters that are up, in id order.
pub fn live_members(w: &World) -> Vec<NodeId> {
    members(w)
        .into_iter()
        .filter(|n| w.status(*n) == Ok(Status::Up))
        .collect()
}

/// Election timeouts a fault aimed at the leader waits for one when there is none.
const LEADER_WAIT_ELECTIONS: u64 = 4;

/// Waits (bounded by a few election timeouts) until the cluster has a leader, when it has
/// none: a fault scheduled in the middle of an election still strikes the leader it names
/// rather than being skipped. With no leader by then, resolving `Leader` skips the fault.
pub async fn await_leader(w: &World) {
    if w.leader().is_none() {
        let bound = Duration::from_millis(w.config().raft.election_max_ms * LEADER_WAIT_ELECTIONS);
        let _ = w.wait_for_leader(bound).await;
    }
}

/// A seeded index in `0..n` (`n > 0`).
pub fn index(n: usize) -> usize {
    madsim::rand::thread_rng().gen_range(0..n)
}

/// Shuffles `items` with the seeded RNG (Fisher–Yates).
pub fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = madsim::rand::thread_rng().gen_range(0..=i);
        items.swap(i, j);
    }
}

/// Resolves `r` among `candidates` (in id order). `Leader` and `Follower` are relative to the
/// current leader; an explicit id that is not a candidate is an error naming why.
pub fn resolve(w: &World, r: NodeRef, candidates: &[NodeId]) -> Result<NodeId, String> {
    if candidates.is_empty() {
        return Err("no node the fault can act on".into());
    }
    match r {
        NodeRef::Id(id) if candidates.contains(&id) => Ok(id),
        NodeRef::Id(id) => Err(format!("node {id} is not a target now")),
        NodeRef::Leader => match w.leader() {
            Some(l) if candidates.contains(&l) => Ok(l),
            Some(l) => Err(format!("the leader {l} is not a target now")),
            None => Err("no leader".into()),
        },
        NodeRef::Follower(k) => {
            let leader = w.leader();
            let followers: Vec<NodeId> = candidates
                .iter()
                .copied()
                .filter(|n| Some(*n) != leader)
                .collect();
            if followers.is_empty() {
                return Err("no follower".into());
            }
            Ok(followers[k as usize % followers.len()])
        }
        NodeRef::Random => Ok(candidates[index(candidates.len())]),
    }
}
