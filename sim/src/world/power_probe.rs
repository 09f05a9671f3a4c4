//! The probes taken at every power failure: what the node's engine and its durable Raft log
//! store had acknowledged just before, and what each one's own recovery makes of the disk the
//! failure left behind. Both systems' logs are probed alike: openraft's log store and raft-io's
//! `RioLog`, each recovered with its own code (`faultline_consensus::system::recover_log`).
//!
//! The recoveries run on a fork of the crashed disk with its faults cleared, so the probe
//! neither changes what the node will find when it restarts nor trips over a fault meant for
//! the node.

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::system::{LogImageRef, recover_log as recover_system_log};
use faultline_consensus::{ENGINE_DIR, EngineProbe, ProbedLogImage, RAFT_DIR, System};
use faultline_engine::{Database, SimVfs, WalOp};

use super::NodeId;
use super::program::DATA_DIR;

/// One power failure of a running node. A poisoned engine's `acknowledged.unsettled` holds
/// the state of the write that failed.
#[derive(Debug, Clone)]
pub struct PowerFailureProbe {
    pub node: NodeId,
    /// Simulated time since the start of the run.
    pub at: std::time::Duration,
    pub acknowledged: EngineProbe,
    /// `Database::replication_snapshot()` of the recovered engine, or why recovery failed.
    pub recovered: Result<Vec<WalOp>, String>,
    /// The durable log store's acknowledged image (and the change a failed write was making)
    /// and what its recovery found; `None` with the in-memory store.
    pub log: Option<(ProbedLogImage, Result<LogImageRef, String>)>,
}

/// A copy of `disk` with its faults cleared, for one recovery.
fn image_of(disk: &SimVfs) -> Arc<SimVfs> {
    let image = disk.fork();
    image.clear_faults();
    Arc::new(image)
}

/// Recovers the engine from a copy of `disk`.
pub fn recover_engine(disk: &SimVfs) -> Result<Vec<WalOp>, String> {
    Database::open(image_of(disk), Path::new(DATA_DIR).join(ENGINE_DIR))
        .map(|db| db.replication_snapshot())
        .map_err(|e| e.to_string())
}

/// Recovers `system`'s durable log from a copy of `disk`.
pub fn recover_log(system: System, disk: &SimVfs) -> Result<LogImageRef, String> {
    recover_system_log(system, image_of(disk), &Path::new(DATA_DIR).join(RAFT_DIR))
}
