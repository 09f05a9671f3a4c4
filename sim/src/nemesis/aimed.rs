//! Aimed faults: each waits (bounded) for the moment the cluster opens the window a class of
//! bugs needs — seen in the nodes' online reports through the world's aiming authority
//! (`world::aim`) — and strikes then: power off the leader as it appends a client entry, a node
//! right after it truncated its log, the node catching up after a heal, a node installing a
//! snapshot; cut the leader off, or make it snapshot and purge, as it appends a membership
//! change. A power failure begins in the very report that fired (the node's disk takes nothing
//! more), and completes when the nemesis runs, at the same simulated instant.
//!
//! An aimed fault whose moment does not come within its bound strikes as its blunt counterpart
//! then. With aimed faults switched off (`--blunt-nemesis`), each strikes at once, at its scheduled
//! time, as its blunt counterpart (kill the leader, a follower, a random node; isolate the
//! leader; snapshot and purge the leader): the comparison that shows what aiming buys.

use std::sync::Arc;
use std::time::Duration;

use super::FaultResult;
use super::{admin, crash, partition, resolve};
use crate::plan::{Aim, NodeRef};
use crate::world::aim::{Aimer, OnStrike};
use crate::world::{NodeId, World};

/// Arms `aim` now: from this instant every report is offered to it. Synchronous, so a fault
/// scheduled at the same instant (the membership change an aim waits for) cannot slip past.
pub(super) fn arm(w: &World, aim: Aim) -> Arc<Aimer> {
    let on_strike: OnStrike = if aim.kills() {
        // The node's power goes now: nothing more reaches its disk.
        let disks: Vec<(NodeId, faultline_engine::SimVfs)> = w
            .nodes()
            .into_iter()
            .filter_map(|n| w.disk(n).ok().map(|d| (n, d)))
            .collect();
        Box::new(move |node| {
            if let Some((_, d)) = disks.iter().find(|(n, _)| *n == node) {
                d.cut_power();
            }
        })
    } else if matches!(
        aim,
        Aim::PartitionAfterTruncate | Aim::PartitionDuringMembershipChange
    ) {
        // Cut off now: nothing more it sends gets through.
        let network = w.network().clone();
        Box::new(move |node| {
            let _ = network.isolate(node);
        })
    } else {
        Box::new(|_| {})
    };
    let aimer = Aimer::new(aim, on_strike);
    w.observations().arm(aimer.clone());
    aimer
}

/// Waits up to `within` for the armed `aimer`'s moment, and strikes.
pub(super) async fn strike(w: &World, aimer: Arc<Aimer>, within: Duration) -> FaultResult {
    let waited = madsim::time::timeout(within, aimer.wait()).await;
    w.observations().disarm(&aimer);
    let aim = aimer.aim();
    let Some(strike) = aimer.fired().filter(|_| waited.is_ok()) else {
        // A missed moment still injects the fault, bluntly: a fault scenario whose faults all
        // wait for a moment that never comes would otherwise test nothing (a vacuous seed).
        return blunt(w, aim)
            .await
            .map(|what| format!("{what}: its moment did not come within {within:?}"));
    };
    let node = strike.node;
    let what = match aim {
        Aim::KillLeaderMidAppend
        | Aim::KillAfterTruncate
        | Aim::KillCatchingUp
        | Aim::KillDuringInstall => {
            w.kill(node).map_err(|e| e.to_string())?;
            format!("node {node} lost power")
        }
        Aim::PartitionAfterTruncate | Aim::PartitionDuringMembershipChange => {
            format!("node {node} cut off")
        }
        Aim::SnapshotDuringMembershipChange => admin::purge(w, NodeRef::Id(node)).await?,
    };
    Ok(format!("{what}: {} (node {node})", strike.because))
}

/// The blunt counterpart of `aim`, struck at once.
pub(super) async fn blunt(w: &World, aim: Aim) -> FaultResult {
    if aim.blunt_targets_leader() {
        resolve::await_leader(w).await;
    }
    match aim {
        Aim::KillLeaderMidAppend => crash::kill(w, NodeRef::Leader, false).await,
        Aim::KillAfterTruncate => crash::kill(w, NodeRef::Follower(0), false).await,
        Aim::KillCatchingUp | Aim::KillDuringInstall => {
            crash::kill(w, NodeRef::Random, false).await
        }
        Aim::PartitionAfterTruncate => partition::one_node(w, NodeRef::Follower(0)),
        Aim::PartitionDuringMembershipChange => partition::isolate_leader(w),
        Aim::SnapshotDuringMembershipChange => admin::purge(w, NodeRef::Leader).await,
    }
    .map(|what| format!("(blunt) {what}"))
}
