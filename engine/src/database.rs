//! `Database`: the engine's public face — collections, points, search, replication and
//! checkpoints over one directory of one [`Vfs`].
//!
//! Every mutation takes the same path (`Database::commit_prepared`): validate the ops against
//! the current schema (bad input changes nothing), frame them as one WAL record, append and
//! sync it, and only then apply them in memory and return `Ok`. Any disk error on that path (the
//! append, the sync, or a checkpoint taken on the way) *poisons* the database: reads still work,
//! writes return [`Error::Poisoned`] until it is reopened, because what is durable is no longer
//! known (a failed fsync may have dropped pages the OS still shows us). So the rule for callers
//! is simple: after `Error::Io` from a write, the outcome of that write is unknown; reopen.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::batch::{BatchItem, WriteBatch};
use crate::checkpoint::{self, checkpoint_name};
use crate::error::{Error, Result};
use crate::op::{Descriptor, WalOp, vector_to_bytes};
use crate::recovery::{RecoveryReport, recover};
use crate::search::{SearchHit, SearchParams, knn};
use crate::state::{Limits, Prepared, State};
use crate::vfs::{Vfs, VfsError};
use crate::wal::record::encode_body;
use crate::wal::segment_name;
use crate::wal::writer::WalWriter;

/// Tunables. The defaults suit tests and simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Largest payload accepted, in bytes of its JSON encoding.
    pub max_payload_bytes: usize,
    /// Largest vector dimension a collection may declare.
    pub max_dim: u32,
    /// A checkpoint is taken before the next write once the active WAL segment holds at least
    /// this many bytes. `u64::MAX` disables automatic checkpoints.
    pub checkpoint_wal_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_payload_bytes: 64 * 1024,
            max_dim: 65_536,
            checkpoint_wal_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A stored point as returned by [`Database::get`].
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub vector: Vec<f32>,
    pub payload: Value,
}

/// A durable vector database in one directory.
pub struct Database {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    options: Options,
    state: State,
    /// Generation of the active WAL segment (and of the checkpoint it follows, if any).
    generation: u64,
    wal: WalWriter,
    poisoned: Option<String>,
    /// The state (as snapshot ops) that the write which poisoned the database would have made.
    /// Its record may or may not be on disk: recovery may find either this or the last state
    /// acknowledged.
    unsettled: Option<Vec<WalOp>>,
    /// A write staged on disk whose effect on the in-memory state waits for `settle`.
    staged: Option<Staged>,
    recovery: RecoveryReport,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("dir", &self.dir)
            .field("generation", &self.generation)
            .field("wal_bytes", &self.wal.len())
            .field("collections", &self.state.names())
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

impl Database {
    /// Opens (creating if needed) the database in `dir` with default [`Options`], recovering
    /// from the newest valid checkpoint and the WAL's valid prefix.
    pub fn open(vfs: Arc<dyn Vfs>, dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(vfs, dir, Options::default())
    }

    /// [`Database::open`] with explicit options.
    pub fn open_with(vfs: Arc<dyn Vfs>, dir: impl AsRef<Path>, options: Options) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let found = recover(&*vfs, &dir)?;
        let wal_path = dir.join(segment_name(found.generation));
        Ok(Self {
            wal: WalWriter::new(
                Arc::clone(&vfs),
                wal_path,
                found.generation,
                found.wal_len,
                found.wal_records,
            ),
            vfs,
            dir,
            options,
            state: found.state,
            generation: found.generation,
            poisoned: None,
            unsettled: None,
            staged: None,
            recovery: found.report,
        })
    }

    /// What recovery found when this database was opened.
    /// The file system the engine writes to.
    pub fn vfs(&self) -> &Arc<dyn Vfs> {
        &self.vfs
    }

    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// Generation of the active WAL segment; it grows by one per checkpoint or restore.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Bytes in the active WAL segment.
    pub fn wal_bytes(&self) -> u64 {
        self.wal.len()
    }

    /// Why writes are refused, if they are.
    pub fn poisoned(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }

    /// If a failed write poisoned the database: the state that write would have made, as
    /// [`Database::replication_snapshot`] ops. Never acknowledged, yet possibly durable (the
    /// disk may have kept its record), so recovery may find it instead of the state in memory.
    pub fn unsettled(&self) -> Option<Vec<WalOp>> {
        if let Some(ops) = &self.unsettled {
            return Some(ops.clone());
        }
        self.staged.as_ref().map(|staged| match staged {
            Staged::Ops(prepared) => {
                let mut would_be = self.state.clone();
                for p in prepared.clone() {
                    would_be.apply(p);
                }
                would_be.snapshot_ops()
            }
            Staged::Restore(state) => state.snapshot_ops(),
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    // ---- collections -------------------------------------------------------------------

    /// Creates a collection and returns the id it was given (one past the largest in use).
    pub fn create_collection(&mut self, name: &str, descriptor: Descriptor) -> Result<u64> {
        let collection_id = self.state.next_collection_id();
        self.commit(vec![WalOp::CreateCollection {
            collection_id,
            name: name.to_owned(),
            descriptor,
        }])?;
        Ok(collection_id)
    }

    /// Drops a collection and all its points.
    pub fn drop_collection(&mut self, name: &str) -> Result<()> {
        let collection_id = self.state.collection(name)?.id;
        self.commit(vec![WalOp::DropCollection { collection_id }])
    }

    /// Names of all collections, sorted.
    pub fn collection_names(&self) -> Vec<String> {
        self.state.names()
    }

    pub fn descriptor(&self, collection: &str) -> Result<Descriptor> {
        Ok(self.state.collection(collection)?.descriptor)
    }

    /// The name of the collection replicated under `collection_id`, if it exists.
    pub fn collection_name_of(&self, collection_id: u64) -> Option<&str> {
        Some(&self.state.collection_by_id(collection_id)?.name)
    }

    /// The id under which `collection` is replicated.
    pub fn collection_id(&self, collection: &str) -> Result<u64> {
        Ok(self.state.collection(collection)?.id)
    }

    /// Number of points in `collection`.
    pub fn len(&self, collection: &str) -> Result<usize> {
        Ok(self.state.collection(collection)?.points.len())
    }

    // ---- points ------------------------------------------------------------------------

    /// Inserts or replaces point `id`. Durable when it returns `Ok`.
    pub fn upsert(
        &mut self,
        collection: &str,
        id: u64,
        vector: &[f32],
        payload: Value,
    ) -> Result<()> {
        let op = self.upsert_op(collection, id, vector, &payload)?;
        self.commit(vec![op])
    }

    /// Deletes point `id`; returns whether it existed. Deleting a missing point writes nothing.
    pub fn delete(&mut self, collection: &str, id: u64) -> Result<bool> {
        self.writable()?;
        let c = self.state.collection(collection)?;
        if !c.points.contains_key(&id) {
            return Ok(false);
        }
        let collection_id = c.id;
        self.commit(vec![WalOp::Delete {
            collection_id,
            external_id: id,
        }])?;
        Ok(true)
    }

    /// The stored vector and payload of point `id`, if present.
    pub fn get(&self, collection: &str, id: u64) -> Result<Option<Record>> {
        Ok(self
            .state
            .collection(collection)?
            .points
            .get(&id)
            .map(|p| Record {
                vector: p.vector.clone(),
                payload: p.payload.clone(),
            }))
    }

    /// The stored vector and payload of point `id` of the collection replicated under
    /// `collection_id`, if both exist: what a replica's apply looks up, by the op's ids.
    pub fn get_by_id(&self, collection_id: u64, id: u64) -> Option<Record> {
        let p = self
            .state
            .collection_by_id(collection_id)?
            .points
            .get(&id)?;
        Some(Record {
            vector: p.vector.clone(),
            payload: p.payload.clone(),
        })
    }

    /// Exact k-nearest-neighbour search; ties are broken by ascending id.
    pub fn search(
        &self,
        collection: &str,
        query: &[f32],
        params: &SearchParams,
    ) -> Result<Vec<SearchHit>> {
        knn(self.state.collection(collection)?, query, params)
    }

    /// Commits a batch atomically with a single WAL record and a single sync (group commit).
    pub fn write(&mut self, batch: WriteBatch) -> Result<()> {
        let mut ops = Vec::with_capacity(batch.len());
        for item in &batch.items {
            ops.push(match item {
                BatchItem::Upsert {
                    collection,
                    id,
                    vector,
                    payload,
                } => self.upsert_op(collection, *id, vector, payload)?,
                BatchItem::Delete { collection, id } => WalOp::Delete {
                    collection_id: self.state.collection(collection)?.id,
                    external_id: *id,
                },
            });
        }
        self.commit(ops)
    }

    fn upsert_op(
        &self,
        collection: &str,
        id: u64,
        vector: &[f32],
        payload: &Value,
    ) -> Result<WalOp> {
        let collection_id = self.state.collection(collection)?.id;
        Ok(WalOp::Upsert {
            collection_id,
            external_id: id,
            vector: vector_to_bytes(vector),
            payload: serde_json::to_vec(payload).map_err(|e| Error::InvalidPayload {
                reason: e.to_string(),
            })?,
        })
    }

    // ---- replication -------------------------------------------------------------------

    /// Applies one committed op (from the Raft log). Invalid ops are typed errors that change
    /// nothing, and every replica rejects them alike.
    pub fn apply_replicated(&mut self, op: WalOp) -> Result<()> {
        self.commit(vec![op])
    }

    /// Applies committed ops in order with one WAL record and one sync. Each op succeeds or
    /// fails on its own (as if applied one by one); the outer error is a disk failure, after
    /// which none of them is applied in memory.
    pub fn apply_replicated_batch(&mut self, ops: Vec<WalOp>) -> Result<Vec<Result<()>>> {
        self.writable()?;
        let mut schema = self.state.schema();
        let limits = self.limits();
        let mut results = Vec::with_capacity(ops.len());
        let mut accepted = Vec::with_capacity(ops.len());
        let mut prepared = Vec::with_capacity(ops.len());
        for op in ops {
            match schema.prepare(&op, limits) {
                Ok(p) => {
                    accepted.push(op);
                    prepared.push(p);
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        self.commit_prepared(&accepted, prepared)?;
        Ok(results)
    }

    /// The durable half of [`Database::apply_replicated`]: validates `op` and logs it with a
    /// sync, but leaves the in-memory state as it was until [`Database::settle`]. Between the
    /// two a caller on a disk that takes time (a simulated one) waits for the device, so the
    /// engine never serves, nor acknowledges, a write its disk has not finished; meanwhile
    /// [`Database::unsettled`] names the state the write makes. An invalid op is a typed error
    /// that stages nothing.
    pub fn stage_replicated(&mut self, op: &WalOp) -> Result<()> {
        self.writable()?;
        self.settled()?;
        // Borrowed: a replica's op is shared with its log entry, and it carries a whole vector.
        let ops = std::slice::from_ref(op);
        let prepared = self.state.prepare_all(ops, self.limits())?;
        self.log(ops, &prepared)?;
        self.staged = Some(Staged::Ops(prepared));
        Ok(())
    }

    /// The durable half of [`Database::restore`]: the new state is written as a checkpoint
    /// generation, and takes over in memory at [`Database::settle`].
    pub fn stage_restore(&mut self, ops: Vec<WalOp>) -> Result<()> {
        self.writable()?;
        self.settled()?;
        let state = State::from_ops(&ops, self.limits())?;
        let snapshot = state.snapshot_ops();
        if let Err(e) = self.install_generation(&snapshot) {
            self.unsettled = Some(snapshot);
            return Err(e);
        }
        self.staged = Some(Staged::Restore(Box::new(state)));
        Ok(())
    }

    /// Applies the staged write to the in-memory state (nothing if none is staged).
    pub fn settle(&mut self) {
        match self.staged.take() {
            Some(Staged::Ops(prepared)) => {
                for p in prepared {
                    self.state.apply(p);
                }
            }
            Some(Staged::Restore(state)) => self.state = *state,
            None => {}
        }
    }

    /// A write is staged and not settled: another write would order itself before it.
    fn settled(&self) -> Result<()> {
        match self.staged {
            Some(_) => Err(Error::Unsettled),
            None => Ok(()),
        }
    }

    /// Ops that recreate the current state on an empty engine (collections by id, then their
    /// points by id). Equal states give equal snapshots.
    pub fn replication_snapshot(&self) -> Vec<WalOp> {
        self.state.snapshot_ops()
    }

    /// Replaces the whole state with the one `ops` build from empty, durably (as a checkpoint).
    /// Idempotent; the previous state, however divergent, is discarded. Invalid ops are a typed
    /// error and change nothing.
    pub fn restore(&mut self, ops: Vec<WalOp>) -> Result<()> {
        self.writable()?;
        let state = State::from_ops(&ops, self.limits())?;
        let snapshot = state.snapshot_ops();
        if let Err(e) = self.install_generation(&snapshot) {
            self.unsettled = Some(snapshot);
            return Err(e);
        }
        self.state = state;
        Ok(())
    }

    /// Writes a checkpoint of the current state and starts a fresh WAL segment.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.writable()?;
        let ops = self.state.snapshot_ops();
        self.install_generation(&ops)
    }

    // ---- the write path ----------------------------------------------------------------

    fn limits(&self) -> Limits {
        Limits {
            max_payload_bytes: self.options.max_payload_bytes,
            max_dim: self.options.max_dim,
        }
    }

    fn writable(&self) -> Result<()> {
        match &self.poisoned {
            Some(cause) => Err(Error::Poisoned {
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    fn poison(&mut self, what: &str, e: &VfsError) {
        if self.poisoned.is_none() {
            self.poisoned = Some(format!("{what}: {e}"));
        }
    }

    fn commit(&mut self, ops: Vec<WalOp>) -> Result<()> {
        self.writable()?;
        let prepared = self.state.prepare_all(&ops, self.limits())?;
        self.commit_prepared(&ops, prepared)
    }

    /// The one durable write path: log `ops` as one record, sync, then apply `prepared`.
    fn commit_prepared(&mut self, ops: &[WalOp], prepared: Vec<Prepared>) -> Result<()> {
        self.settled()?;
        self.log(ops, &prepared)?;
        for p in prepared {
            self.state.apply(p);
        }
        Ok(())
    }

    /// Logs `ops` as one WAL record and syncs it (checkpointing first when the WAL is due). A
    /// disk failure poisons the engine and leaves the state `prepared` would make as unsettled.
    fn log(&mut self, ops: &[WalOp], prepared: &[Prepared]) -> Result<()> {
        self.writable()?;
        if ops.is_empty() {
            return Ok(());
        }
        let body = encode_body(ops)?;
        if self.wal.len() >= self.options.checkpoint_wal_bytes {
            self.checkpoint()?;
        }
        let frame = self.wal.frame(&body);
        if let Err(e) = self.wal.commit(&frame) {
            self.poison("WAL append or sync failed", &e);
            let mut would_be = self.state.clone();
            for p in prepared.iter().cloned() {
                would_be.apply(p);
            }
            self.unsettled = Some(would_be.snapshot_ops());
            return Err(e.into());
        }
        Ok(())
    }

    /// Makes `ops` the durable base of a new generation and switches the WAL to it.
    fn install_generation(&mut self, ops: &[WalOp]) -> Result<()> {
        let next = self.generation + 1;
        if let Err(e) = checkpoint::install(&*self.vfs, &self.dir, next, ops) {
            self.poison("checkpoint failed", &e);
            return Err(e.into());
        }
        let old = self.generation;
        self.generation = next;
        self.wal = WalWriter::new(
            Arc::clone(&self.vfs),
            self.dir.join(segment_name(next)),
            next,
            0,
            0,
        );
        // The old generation is now garbage. Removing it is best effort and need not be durable:
        // recovery ignores and deletes generations older than the newest valid checkpoint.
        for name in [segment_name(old), checkpoint_name(old)] {
            let _ = self.vfs.remove(&self.dir.join(name));
        }
        Ok(())
    }
}

/// A write that reached the disk and waits to change the in-memory state.
#[derive(Debug, Clone)]
enum Staged {
    Ops(Vec<Prepared>),
    Restore(Box<State>),
}
