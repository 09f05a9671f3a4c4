//! The engine probe taken at every power failure: what the node's engine had acknowledged just
//! before, and what the engine's own recovery makes of the disk the failure left behind.
//!
//! The recovery runs on a fork of the crashed disk with its faults cleared, so the probe neither
//! changes what the node will find when it restarts nor trips over a fault meant for the node.

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::EngineState;
use faultline_engine::{Database, SimVfs, WalOp};

use super::NodeId;
use super::program::DATA_DIR;

/// One power failure of a node whose engine was healthy when the power went.
#[derive(Debug, Clone)]
pub struct EnginePowerFailure {
    pub node: NodeId,
    /// Simulated time since the start of the run.
    pub at: std::time::Duration,
    pub acknowledged: EngineState,
    /// `Database::replication_snapshot()` of the recovered engine, or why recovery failed.
    pub recovered: Result<Vec<WalOp>, String>,
}

/// Recovers the engine from a copy of `disk`.
pub fn recover_engine(disk: &SimVfs) -> Result<Vec<WalOp>, String> {
    let image = disk.fork();
    image.clear_faults();
    Database::open(Arc::new(image), Path::new(DATA_DIR).join("engine"))
        .map(|db| db.replication_snapshot())
        .map_err(|e| e.to_string())
}
