//! Crash faults: power failure of a node (its `SimVfs` drops unsynced writes, optionally
//! tearing the last one at 512-byte sectors) and restarting a killed node on the disk that
//! survived. Also how the heal finds nodes that must be restarted: down, failed to start, or
//! with a Raft core that stopped (e.g. after a disk error).

use super::Outcome;
use super::resolve::resolve;
use crate::plan::NodeRef;
use crate::world::{NodeId, Status, World};
use std::collections::BTreeSet;

pub(super) fn kill(w: &World, node: NodeRef, torn: bool) -> Outcome {
    let node = resolve(w, node, &w.live_nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
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
        if torn { " (last write torn)" } else { "" }
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
        Ok(Status::Up) => w
            .metrics(node)
            .is_ok_and(|m| m.running_state.is_err() || m.state == openraft::ServerState::Shutdown),
        _ => false,
    }
}

/// Powers `node` off so it can be restarted.
pub(super) fn stop(w: &World, node: NodeId) -> Result<(), String> {
    w.kill(node).map_err(|e| e.to_string())
}
