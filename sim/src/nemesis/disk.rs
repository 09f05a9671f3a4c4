//! Disk faults on a node's `SimVfs`: EIO on write, sync or read and silent read corruption
//! with a seeded probability per operation, a full disk (ENOSPC on every write that grows
//! it), a slow disk (every operation takes `factor` times longer) and an fsync stall (every
//! sync within a window takes at least so long); and healing them. The disk lives outside the
//! node, so faults set here fire inside it.

use std::time::Duration;

use faultline_engine::vfs::{FaultConfig, SimVfs, StallSpan, SyncStall};

use super::FaultResult;
use super::resolve::resolve;
use crate::plan::{DiskFault, DiskFaultKind, NodeRef};
use crate::world::World;

pub(super) fn inject(w: &World, node: NodeRef, fault: DiskFault) -> FaultResult {
    let node = resolve(w, node, &w.nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    let mut c = disk.faults();
    let p = fault.probability;
    match fault.kind {
        DiskFaultKind::EioWrite => c.write_eio = p,
        DiskFaultKind::EioSync => c.sync_eio = p,
        DiskFaultKind::EioRead => c.read_eio = p,
        DiskFaultKind::ReadCorruption => c.read_corruption = p,
        // Total size is measured over current file lengths: capacity 0 makes every write
        // that grows a file fail, as on a full disk.
        DiskFaultKind::Enospc => c.capacity_bytes = Some(0),
    }
    disk.set_faults(c);
    Ok(format!("node {node}: {:?} p={p}", fault.kind))
}

pub(super) fn slow(w: &World, node: NodeRef, factor: f64) -> FaultResult {
    let node = resolve(w, node, &w.nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    disk.set_slowdown(factor).map_err(|e| e.to_string())?;
    Ok(format!("node {node}: disk {factor}x slower"))
}

pub(super) fn stall_syncs(w: &World, node: NodeRef, each_ms: u64, for_ms: u64) -> FaultResult {
    let node = resolve(w, node, &w.nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    disk.stall_syncs(SyncStall {
        each: Duration::from_millis(each_ms),
        lasts: StallSpan::For(Duration::from_millis(for_ms)),
    })
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "node {node}: every sync for {for_ms} ms takes at least {each_ms} ms"
    ))
}

pub(super) fn heal(w: &World, node: NodeRef) -> FaultResult {
    let node = resolve(w, node, &w.nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    clear(&disk);
    Ok(format!("node {node}: disk faults cleared"))
}

/// Clears every probabilistic and scheduled fault, the capacity limit, the slowdown and any
/// sync stall.
pub(super) fn clear(disk: &SimVfs) {
    disk.clear_faults();
    disk.set_faults(FaultConfig::default());
}
