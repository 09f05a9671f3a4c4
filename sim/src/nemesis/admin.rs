//! Administrative faults: snapshot and purge triggers, a leader change, and membership changes.
//!
//! openraft 0.9 has no leader-transfer API; `transfer_leader` makes a random follower start an
//! election at once (`Raft::trigger().elect()`), the closest real operation: it wins if its log
//! is up to date, and otherwise the cluster re-elects. raft-io's leader is asked to transfer to
//! that follower instead (`World::transfer_leader` maps it). A purge on raft-io is its snapshot:
//! raft-io compacts its log exactly up to each snapshot (`World::purge_log`). A removed voter is powered off for good,
//! as an operator decommissioning it would, so it never campaigns from outside the group.

use std::collections::BTreeSet;

use super::FaultResult;
use super::resolve::{self, resolve};
use crate::plan::NodeRef;
use crate::world::{NodeId, RaftTiming, Status, World};

pub(super) async fn snapshot(w: &World, node: NodeRef) -> FaultResult {
    let node = resolve(w, node, &resolve::live_members(w))?;
    let index = w.trigger_snapshot(node).await.map_err(|e| e.to_string())?;
    Ok(format!("node {node} snapshot at index {index}"))
}

pub(super) async fn purge(w: &World, node: NodeRef) -> FaultResult {
    let node = resolve(w, node, &resolve::live_members(w))?;
    // openraft never purges past its last snapshot: build one first, then purge up to it.
    let snapshot = w.trigger_snapshot(node).await.map_err(|e| e.to_string())?;
    let index = purge_line(&w.config().raft, snapshot);
    if index == 0 {
        return Err(format!("node {node} has nothing to purge"));
    }
    w.purge_log(node, index).await.map_err(|e| e.to_string())?;
    Ok(format!("node {node} log purged up to {index}"))
}

/// How far a manual purge may go behind a snapshot at `snapshot`. With a snapshot policy,
/// openraft purges up to its newest snapshot minus `keep_after_snapshot` after every build and
/// asserts that this never lowers a purge still pending; a manual purge past that line races
/// every later policy build (docs/findings/openraft-purge-upto-goes-back.md). Staying on the
/// policy's own line keeps the purge a real one (the log still loses everything behind it)
/// without tripping a known openraft bug in every long campaign.
fn purge_line(raft: &RaftTiming, snapshot: u64) -> u64 {
    match raft.snapshot_every {
        Some(_) => snapshot.saturating_sub(raft.keep_after_snapshot),
        None => snapshot,
    }
}

pub(super) async fn transfer_leader(w: &World) -> FaultResult {
    let leader = w.leader().ok_or("no leader")?;
    let followers: Vec<NodeId> = resolve::live_members(w)
        .into_iter()
        .filter(|n| *n != leader)
        .collect();
    if followers.is_empty() {
        return Err("no live follower".into());
    }
    let to = followers[resolve::index(followers.len())];
    w.transfer_leader(leader, to)
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn add_voter(w: &World, removed: &BTreeSet<NodeId>) -> FaultResult {
    let members = resolve::members(w);
    if members.is_empty() {
        return Err("no node knows the membership".into());
    }
    let spare = w
        .nodes()
        .into_iter()
        .find(|n| !members.contains(n) && !removed.contains(n) && w.status(*n) == Ok(Status::Up));
    let node = match spare {
        Some(n) => n,
        None => w.add_node().await.map_err(|e| e.to_string())?,
    };
    w.add_voter(node).await.map_err(|e| e.to_string())?;
    Ok(format!("node {node} added as a voter"))
}

/// Removes a voter and powers it off; returns the node and what was done.
pub(super) async fn remove_voter(w: &World, node: NodeRef) -> Result<(NodeId, String), String> {
    let members = resolve::members(w);
    if members.len() <= 1 {
        return Err("the group has a single voter".into());
    }
    let node = resolve(w, node, &members)?;
    w.remove_voter(node).await.map_err(|e| e.to_string())?;
    if w.status(node) != Ok(Status::Down) {
        w.kill(node).map_err(|e| e.to_string())?;
    }
    Ok((
        node,
        format!("node {node} removed from the group and powered off"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_purge_stays_on_the_policy_line() {
        let policy = RaftTiming {
            snapshot_every: Some(40),
            keep_after_snapshot: 4,
            ..RaftTiming::default()
        };
        // openraft's next policy purge after a snapshot at s goes to s - keep; never beyond it.
        assert_eq!(purge_line(&policy, 99), 95);
        assert_eq!(purge_line(&policy, 3), 0);
        let manual_only = RaftTiming {
            keep_after_snapshot: 4,
            ..RaftTiming::default()
        };
        assert_eq!(purge_line(&manual_only, 99), 99);
    }
}
