//! faultline-engine: the storage engine the cluster replicates.
//!
//! Durable vector collections with a checksummed WAL, checkpoints and recovery, exact kNN
//! search, and the replication seam (`WalOp`, `apply_replicated`, `replication_snapshot`).
//! All file I/O goes through the `Vfs` seam (`vfs/`), with a real (`StdVfs`) and a simulated,
//! crash-capable (`SimVfs`) implementation.
//!
//! Map of the crate (one concept per file):
//!
//! | file | owns |
//! |---|---|
//! | `vfs/` | the disk seam: `Vfs`, `StdVfs`, `SimVfs`, fault injection |
//! | `fnv.rs` | FNV-1a, the one fingerprint hash (trace hashes, payload digests) |
//! | `op.rs` | `WalOp`, `Descriptor`, `Metric` and their versioned encoding |
//! | `error.rs` | the typed `Error` |
//! | `collection.rs` | one collection in memory and the input rules |
//! | `state.rs` | validating (`prepare`) and applying ops; snapshots |
//! | `search.rs` | exact kNN |
//! | `wal/` | WAL framing, scanning and the append-then-sync commit |
//! | `checkpoint.rs` | checkpoint file format and atomic install |
//! | `recovery.rs` | open = newest valid checkpoint + WAL valid prefix |
//! | `batch.rs` | `WriteBatch` (group commit) |
//! | `database.rs` | `Database`, the public API and the one durable write path |
//! | `planted.rs` | planted bugs for campaign measurements (feature `planted-bugs` only) |

/// `planted!(Name)`: whether planted bug `Bug::Name` is active on this thread. Outside a build
/// with the calling crate's `planted-bugs` feature it is the constant `false`, so the switch
/// leaves no trace and the default path is unchanged.
#[macro_export]
macro_rules! planted {
    ($bug:ident) => {{
        #[cfg(feature = "planted-bugs")]
        let on = $crate::planted::is($crate::planted::Bug::$bug);
        #[cfg(not(feature = "planted-bugs"))]
        let on = false;
        on
    }};
}

pub mod batch;
pub mod checkpoint;
pub mod collection;
pub mod database;
pub mod error;
pub mod fnv;
pub mod op;
#[cfg(feature = "planted-bugs")]
pub mod planted;
pub mod recovery;
pub mod search;
mod state;
pub mod vfs;
pub mod wal;

pub use batch::WriteBatch;
pub use database::{Database, Options, Record};
pub use error::{Error, Result};
pub use op::{Descriptor, Metric, OP_FORMAT_VERSION, WalOp, vector_from_bytes, vector_to_bytes};
pub use recovery::RecoveryReport;
pub use search::{Filter, SearchHit, SearchParams};
pub use vfs::{
    CrashImages, CrashModel, CrashReport, FaultConfig, FaultKind, IoLatency, SimVfs, StdVfs, Vfs,
    VfsCounters, VfsError, VfsResult,
};
