//! State-machine snapshots: their byte format and where the current one is kept.
//!
//! A snapshot carries the Raft bookkeeping (last applied log id, membership, the highest
//! collection id ever assigned) **and** the engine's state as the op list
//! `Database::replication_snapshot` returns; installing it resets the engine and replays those
//! ops. With a durable log store the current snapshot is also written to the node's disk (temp
//! file, sync, rename, sync dir), because purged log entries exist nowhere else on this node:
//! a restart restores the engine from it and replays the log after it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use faultline_engine::WalOp;
use faultline_engine::vfs::{Vfs, create_dir_durable};
use openraft::SnapshotMeta;
use serde::{Deserialize, Serialize};

use crate::error::StateMachineError;
use crate::log_store::record::{encode_into, scan};
use crate::type_config::{LogId, NodeId, StoredMembership};

/// Version of [`SnapshotPayload`]'s layout; bump on change.
pub const SNAPSHOT_FORMAT_VERSION: u8 = 1;

/// The content of a snapshot's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPayload {
    pub version: u8,
    pub last_applied: Option<LogId>,
    pub membership: StoredMembership,
    /// Collection ids are never reused, so a stale proposal naming a dropped collection can
    /// never land in a newer one; this is the high-water mark that guarantees it.
    pub max_collection_id: u64,
    /// Ops that rebuild the engine's state from empty.
    pub ops: Vec<WalOp>,
}

impl SnapshotPayload {
    pub fn encode(&self) -> Result<Vec<u8>, StateMachineError> {
        postcard::to_stdvec(self).map_err(|e| StateMachineError::BadSnapshot(e.to_string()))
    }

    /// Decode and check the payload against the metadata it travels with.
    pub fn decode(
        bytes: &[u8],
        meta: &SnapshotMeta<NodeId, openraft::BasicNode>,
    ) -> Result<SnapshotPayload, StateMachineError> {
        let p: SnapshotPayload = postcard::from_bytes(bytes)
            .map_err(|e| StateMachineError::BadSnapshot(e.to_string()))?;
        if p.version != SNAPSHOT_FORMAT_VERSION {
            return Err(StateMachineError::BadSnapshot(format!(
                "format version {} (this build reads {SNAPSHOT_FORMAT_VERSION})",
                p.version
            )));
        }
        if p.last_applied != meta.last_log_id || p.membership != meta.last_membership {
            return Err(StateMachineError::BadSnapshot(format!(
                "payload covers {:?} but metadata says {:?}",
                p.last_applied, meta.last_log_id
            )));
        }
        Ok(p)
    }
}

/// A snapshot at rest: its metadata and its data bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSnapshot {
    pub meta: SnapshotMeta<NodeId, openraft::BasicNode>,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// How far the node's durable snapshot reaches: the last log id of the snapshot file on disk.
/// Shared with the log store, which never purges (durably) beyond it.
#[derive(Debug, Clone, Default)]
pub struct DurableSnapshotPoint(Arc<Mutex<Option<LogId>>>);

impl DurableSnapshotPoint {
    pub fn get(&self) -> Option<LogId> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set(&self, point: Option<LogId>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = point;
    }
}

/// Where the node keeps its current snapshot on disk (durable mode only).
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    durable: DurableSnapshotPoint,
}

const SNAPSHOT_FILE: &str = "snapshot";
const SNAPSHOT_TMP: &str = "snapshot.tmp";

impl SnapshotFile {
    pub fn new(vfs: Arc<dyn Vfs>, dir: &Path) -> SnapshotFile {
        SnapshotFile {
            vfs,
            dir: dir.to_path_buf(),
            durable: DurableSnapshotPoint::default(),
        }
    }

    /// How far the snapshot on disk reaches (updated by `load` and `store`).
    pub fn durable_point(&self) -> DurableSnapshotPoint {
        self.durable.clone()
    }

    /// Read the stored snapshot, if any. A damaged file is an error: silently starting without
    /// it would lose the purged prefix of the log.
    pub fn load(&self) -> Result<Option<StoredSnapshot>, StateMachineError> {
        // Durably: `store` syncs the snapshot into this directory, which must itself survive.
        if faultline_engine::planted!(SnapshotDirNotSynced) {
            // Planted `snapshot-dir-not-synced`: the directory's entry in its parent is never
            // synced.
            self.vfs.create_dir_all(&self.dir)?;
        } else {
            create_dir_durable(&*self.vfs, &self.dir)?;
        }
        let tmp = self.dir.join(SNAPSHOT_TMP);
        if self.vfs.exists(&tmp)? {
            self.vfs.remove(&tmp)?;
            self.vfs.sync_dir(&self.dir)?;
        }
        let path = self.dir.join(SNAPSHOT_FILE);
        if !self.vfs.exists(&path)? {
            return Ok(None);
        }
        let bytes = self.vfs.read_all(&path)?;
        let s = scan::<StoredSnapshot>(&bytes);
        match (s.records.len(), s.tail_discarded) {
            (1, false) => {
                let snap = s.records.into_iter().next().map(|(_, r)| r);
                self.durable
                    .set(snap.as_ref().and_then(|s| s.meta.last_log_id));
                Ok(snap)
            }
            _ => Err(StateMachineError::BadSnapshot(format!(
                "{} is damaged ({} valid records)",
                path.display(),
                s.records.len()
            ))),
        }
    }

    /// Atomically and durably replace the stored snapshot (durable once the disk has finished:
    /// then call [`SnapshotFile::mark_durable`]).
    pub fn store(&self, snap: &StoredSnapshot) -> Result<(), StateMachineError> {
        let mut buf = Vec::new();
        encode_into(snap, &mut buf).map_err(|e| StateMachineError::BadSnapshot(e.to_string()))?;
        let tmp = self.dir.join(SNAPSHOT_TMP);
        self.vfs.create(&tmp)?;
        self.vfs.append(&tmp, &buf)?;
        self.vfs.sync(&tmp)?;
        self.vfs.rename(&tmp, &self.dir.join(SNAPSHOT_FILE))?;
        self.vfs.sync_dir(&self.dir)?;
        Ok(())
    }

    /// The snapshot up to `last` is on disk (its `store` returned and the disk finished): a
    /// purge may now reach that far.
    pub fn mark_durable(&self, last: Option<LogId>) {
        self.durable.set(last);
    }
}
