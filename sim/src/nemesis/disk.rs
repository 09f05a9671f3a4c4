//! Disk faults on a node's `SimVfs`: EIO on write, sync or read and silent read corruption
//! with a seeded probability per operation, or a full disk (ENOSPC on every write that grows
//! it); and healing them. The disk lives outside the node, so faults set here fire inside it.

use faultline_engine::vfs::{FaultConfig, SimVfs};

use super::Outcome;
use super::resolve::resolve;
use crate::plan::{DiskFault, DiskFaultKind, NodeRef};
use crate::world::World;

pub(super) fn inject(w: &World, node: NodeRef, fault: DiskFault) -> Outcome {
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

pub(super) fn heal(w: &World, node: NodeRef) -> Outcome {
    let node = resolve(w, node, &w.nodes())?;
    let disk = w.disk(node).map_err(|e| e.to_string())?;
    clear(&disk);
    Ok(format!("node {node}: disk faults cleared"))
}

/// Clears every probabilistic and scheduled fault and the capacity limit.
pub(super) fn clear(disk: &SimVfs) {
    disk.clear_faults();
    disk.set_faults(FaultConfig::default());
}
