//! Crash faults: power failure of a node (its `SimVfs` drops unsynced writes; a torn one
//! strikes mid-sync and tears the write in flight at 512-byte sectors) and restarting a killed
//! node on the disk that survived. Also how the heal finds nodes that must be restarted: down,
//! failed to start, or with a Raft core that stopped (e.g. after a disk error).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use faultline_consensus::{ENGINE_DIR, RAFT_DIR};
use faultline_engine::vfs::FaultKind;
use madsim::rand::Rng;

use super::FaultResult;
use super::resolve::resolve;
use crate::plan::NodeRef;
use crate::world::program::DATA_DIR;
use crate::world::{NodeId, Status, World};

/// How long a torn power failure waits for the node's next sync before it cuts anyway.
const POWER_CUT_WAIT: Duration = Duration::from_millis(200);

/// Power failure of `node`. A torn one strikes in the middle of the node's next sync of its
/// engine or of its Raft log (a coin toss: each store's recovery must face its own torn
/// write), so there is a write in flight to tear. A busy node syncs within a few ms; an idle
/// one loses power after `POWER_CUT_WAIT` with nothing in flight.
pub(super) async fn kill(w: &World, node: NodeRef, torn: bool) -> FaultResult {
    let node = resolve(w, node, &w.live_nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    let mut mid_sync = false;
    if torn {
        let cuts = disk.counters().power_cuts;
        let store = if madsim::rand::thread_rng().gen_bool(0.5) {
            ENGINE_DIR
        } else {
            RAFT_DIR
        };
        disk.schedule_fault_under(FaultKind::PowerCut, 0, &Path::new(DATA_DIR).join(store));
        let deadline = w.now() + POWER_CUT_WAIT;
        while !mid_sync && w.now() < deadline {
            w.sleep(Duration::from_millis(1)).await;
            mid_sync = disk.counters().power_cuts > cuts;
        }
        if w.status(node) != Ok(Status::Up) {
            // Nothing but the nemesis kills nodes, so this is a harness defect; stay loud.
            return Err(format!(
                "node {node} went down while its power cut was pending"
            ));
        }
    }
    // The disk tears the last pending write on a crash iff its fault config says so; set it
    // for this crash only.
    let before = disk.faults();
    disk.set_faults(faultline_engine::vfs::FaultConfig {
        torn_writes: torn,
        ..before.clone()
    });
    let killed = w.kill(node);
    disk.set_faults(before);
    killed.map_err(|e| e.to_string())?;
    Ok(format!(
        "node {node} lost power{}",
        match (torn, mid_sync) {
            (false, _) => "",
            (true, true) => " in the middle of a sync (last write torn)",
            (true, false) => " (last write torn; no sync came)",
        }
    ))
}

/// The node a restart fault names: a down node that was not removed from the group.
pub(super) fn restart_target(
    w: &World,
    node: NodeRef,
    removed: &BTreeSet<NodeId>,
) -> Result<NodeId, String> {
    let down: Vec<NodeId> = w
        .nodes()
        .into_iter()
        .filter(|n| !removed.contains(n) && w.status(*n) == Ok(Status::Down))
        .collect();
    resolve(w, node, &down)
}

/// Whether `node` is running but cannot serve: it failed to start, or its Raft core stopped.
pub(super) fn needs_restart(w: &World, node: NodeId) -> bool {
    match w.status(node) {
        Ok(Status::Failed) => true,
        Ok(Status::Up) => w.raft_status(node).is_ok_and(|m| m.halted()),
        _ => false,
    }
}

/// Powers `node` off so it can be restarted.
pub(super) fn stop(w: &World, node: NodeId) -> Result<(), String> {
    w.kill(node).map_err(|e| e.to_string())
}
