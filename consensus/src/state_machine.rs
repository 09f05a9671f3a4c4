//! openraft's `RaftStateMachine` (storage-v2) over the engine.
//!
//! Committed entries are applied with `Database::apply_replicated`. The engine refuses some ops
//! as invalid against the replicated state (unknown collection, wrong dimension …); such a
//! refusal is a pure function of that state, so every replica refuses alike and the entry is
//! answered [`Applied::Rejected`]. Any other engine failure (disk error, poisoned engine) on a
//! committed entry is returned to openraft as a `StorageError`, which stops the node: it is never
//! swallowed, and the proposing client gets an error rather than a phantom success.
//!
//! The engine and the Raft bookkeeping live together behind one mutex ([`SmState`]) so a snapshot
//! (built on a separate task) captures them atomically and linearizable reads see a consistent
//! engine.

use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};

use faultline_engine::vfs::Vfs;
use faultline_engine::{Database, WalOp};
use openraft::storage::RaftStateMachine;
use openraft::{
    AnyError, EntryPayload, OptionalSend, RaftSnapshotBuilder, Snapshot, SnapshotMeta,
    StorageIOError,
};

use crate::disk;
use crate::error::StateMachineError;
use crate::observe::{Observation, Reporter, entry_ref, snapshot_ref};
use crate::snapshot::{SNAPSHOT_FORMAT_VERSION, SnapshotFile, SnapshotPayload, StoredSnapshot};
use crate::type_config::{
    Applied, ApplyResponse, Entry, LogId, NodeId, SnapshotData, StorageError, StoredMembership,
    TypeConfig,
};

/// The replicated state: the engine plus the Raft bookkeeping that must move with it.
#[derive(Debug)]
pub struct SmState {
    pub engine: Database,
    pub last_applied: Option<LogId>,
    pub membership: StoredMembership,
    /// Highest collection id ever created; the leader assigns ids above it.
    pub max_collection_id: u64,
}

/// A probe's view of the replicated state, for checkers.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineState {
    pub last_applied: Option<LogId>,
    /// `Database::replication_snapshot()`: ops that rebuild the engine's state from empty.
    pub ops: Vec<WalOp>,
    /// Why the engine refuses writes, if a disk error poisoned it.
    pub poisoned: Option<String>,
    /// `Database::unsettled()`: the state the failed write would have made, which its disk
    /// may hold instead of `ops`.
    pub unsettled: Option<Vec<WalOp>>,
}

/// Shared handle on the replicated state.
pub type SharedState = Arc<Mutex<SmState>>;

/// Lock the replicated state. A panic while holding it would have aborted the apply before
/// `last_applied` moved, so the inner value is still coherent: recover it instead of panicking.
pub fn lock_state(state: &Mutex<SmState>) -> MutexGuard<'_, SmState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl SmState {
    /// Name of the collection with this id, if it exists.
    pub fn collection_name(&self, collection_id: u64) -> Option<String> {
        crate::engine_view::collection_name(&self.engine, collection_id)
    }

    /// The probe view.
    pub fn engine_state(&self) -> EngineState {
        EngineState {
            last_applied: self.last_applied,
            ops: self.engine.replication_snapshot(),
            poisoned: self.engine.poisoned().map(str::to_string),
            unsettled: self.engine.unsettled(),
        }
    }

    /// The first half of applying one committed entry: what it does to the engine reaches the
    /// disk (validated, logged, synced), the in-memory state waits for [`SmState::settle`]. An
    /// engine failure that is not a deterministic rejection is an `ApplyFault`.
    fn stage(&mut self, entry: &Entry) -> Result<Staged, ApplyFault> {
        let log_id = entry.log_id;
        let (applied, effect) = match &entry.payload {
            EntryPayload::Blank => (Applied::NoOp, Effect::None),
            EntryPayload::Membership(m) => (
                Applied::NoOp,
                Effect::Membership(StoredMembership::new(Some(log_id), m.clone())),
            ),
            EntryPayload::Normal(cmd) => self.stage_op(&cmd.op, log_id)?,
        };
        Ok(Staged {
            log_id,
            applied,
            effect,
        })
    }

    /// The second half, once the disk has finished: the entry takes effect and counts as
    /// applied.
    fn settle(&mut self, staged: Staged) -> ApplyResponse {
        match staged.effect {
            Effect::None => {}
            Effect::Membership(m) => self.membership = m,
            Effect::Engine { created } => {
                self.engine.settle();
                if let Some(id) = created {
                    self.max_collection_id = self.max_collection_id.max(id);
                }
            }
        }
        self.last_applied = Some(staged.log_id);
        ApplyResponse {
            log_index: staged.log_id.index,
            applied: staged.applied,
        }
    }

    /// What applying `op` to the current state observes: the record it replaces, if any.
    pub(crate) fn observe(&self, op: &WalOp) -> Applied {
        crate::engine_view::observe(&self.engine, op)
    }

    fn stage_op(&mut self, op: &WalOp, log_id: LogId) -> Result<(Applied, Effect), ApplyFault> {
        let observed = self.observe(op);
        let created = match op {
            WalOp::CreateCollection { collection_id, .. } => Some(*collection_id),
            _ => None,
        };
        match self.engine.stage_replicated(op) {
            Ok(()) => Ok((observed, Effect::Engine { created })),
            Err(e) if e.is_invalid_input() => Ok((
                Applied::Rejected {
                    reason: e.to_string(),
                },
                Effect::None,
            )),
            // Planted: log the failure away and report the entry as applied.
            Err(_) if faultline_engine::planted!(ApplyErrorSwallowed) => {
                Ok((observed, Effect::None))
            }
            Err(e) => Err(ApplyFault {
                log_id,
                source: Box::new(e),
            }),
        }
    }

    /// Replace everything with a snapshot's content, at once (at start, before anything runs).
    fn install(&mut self, p: SnapshotPayload) -> Result<(), StateMachineError> {
        let p = self.stage_install(p)?;
        self.settle_install(p);
        Ok(())
    }

    /// The first half of installing a snapshot: its engine state reaches the disk; the
    /// in-memory state waits for [`SmState::settle_install`].
    fn stage_install(&mut self, p: SnapshotPayload) -> Result<SnapshotPayload, StateMachineError> {
        // Planted: apply the snapshot's ops over what is there, keeping anything it lacks.
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(SnapshotMerges) {
            for op in p.ops.clone() {
                // Ops that clash with existing state (a collection that exists) are skipped.
                let _ = self.engine.apply_replicated(op);
            }
            return Ok(SnapshotPayload {
                ops: Vec::new(),
                ..p
            });
        }
        self.engine
            .stage_restore(p.ops.clone())
            .map_err(|e| StateMachineError::Engine(e.to_string()))?;
        Ok(p)
    }

    fn settle_install(&mut self, p: SnapshotPayload) {
        self.engine.settle();
        self.last_applied = p.last_applied;
        self.membership = p.membership;
        self.max_collection_id = p.max_collection_id;
    }
}

/// A committed entry that reached the disk and waits to take effect.
#[derive(Debug)]
struct Staged {
    log_id: LogId,
    applied: Applied,
    effect: Effect,
}

/// What a staged entry changes when it settles.
#[derive(Debug)]
enum Effect {
    None,
    Membership(StoredMembership),
    /// The engine's staged write; `created` is the id of a collection it creates.
    Engine {
        created: Option<u64>,
    },
}

/// An engine failure (not a deterministic rejection) while applying a committed entry.
#[derive(Debug)]
struct ApplyFault {
    log_id: LogId,
    source: Box<faultline_engine::Error>,
}

impl From<ApplyFault> for StorageError {
    fn from(f: ApplyFault) -> StorageError {
        StorageIOError::apply(f.log_id, AnyError::new(&*f.source)).into()
    }
}

/// The current snapshot and, in durable mode, its file.
#[derive(Debug)]
struct SnapshotSlot {
    current: Option<StoredSnapshot>,
    file: Option<SnapshotFile>,
    /// Snapshots built by this process, to make snapshot ids unique.
    built: u64,
}

/// The state machine openraft drives.
#[derive(Debug, Clone)]
pub struct StateMachineStore {
    state: SharedState,
    slot: Arc<Mutex<SnapshotSlot>>,
    /// Held from writing a snapshot file until it is the current snapshot: a build and an
    /// install may overlap, and each waits for its disk in between.
    snapshot_writes: Arc<tokio::sync::Mutex<()>>,
    /// The engine's disk, waited on before anything is acknowledged (`disk::settle`).
    disk: Arc<dyn Vfs>,
    reporter: Reporter,
}

fn lock_slot(slot: &Mutex<SnapshotSlot>) -> MutexGuard<'_, SnapshotSlot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

impl StateMachineStore {
    /// Wrap `engine`. The engine is first reset to the stored snapshot (or to empty): applied
    /// state and engine must describe the same log prefix, and openraft replays the log after
    /// the snapshot, so engine state from beyond it would be applied twice.
    pub fn open(
        mut engine: Database,
        file: Option<SnapshotFile>,
    ) -> Result<StateMachineStore, StateMachineError> {
        let stored = match &file {
            Some(f) => f.load()?,
            None => None,
        };
        let disk = engine.vfs().clone();
        let mut state = SmState {
            engine: {
                engine
                    .restore(Vec::new())
                    .map_err(|e| StateMachineError::Engine(e.to_string()))?;
                engine
            },
            last_applied: None,
            membership: StoredMembership::default(),
            max_collection_id: 0,
        };
        if let Some(s) = &stored {
            state.install(SnapshotPayload::decode(&s.data, &s.meta)?)?;
        }
        Ok(StateMachineStore {
            state: Arc::new(Mutex::new(state)),
            slot: Arc::new(Mutex::new(SnapshotSlot {
                current: stored,
                file,
                built: 0,
            })),
            snapshot_writes: Arc::default(),
            disk,
            reporter: Reporter::default(),
        })
    }

    /// Reports every later change to `reporter`, starting with the snapshot it opened from.
    pub fn with_reporter(mut self, reporter: Reporter) -> StateMachineStore {
        if let Some(s) = &lock_slot(&self.slot).current {
            reporter.report(|| Observation::SnapshotLoaded {
                snapshot: snapshot_ref(&s.meta),
            });
        }
        self.reporter = reporter;
        self
    }

    /// The shared replicated state (for reads and probes).
    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// Makes `snap` the current snapshot: writes its file (durable mode), waits for the disk,
    /// then installs it as current and (a built one) tells the log store how far a purge may
    /// now reach. A built snapshot older than the current one (an install overtook the build)
    /// is not kept.
    async fn keep(&self, snap: &StoredSnapshot, built: bool) -> Result<bool, StateMachineError> {
        let _writing = self.snapshot_writes.lock().await;
        let file = {
            let slot = lock_slot(&self.slot);
            let newer = slot
                .current
                .as_ref()
                .is_some_and(|c| c.meta.last_log_id > snap.meta.last_log_id);
            if built && newer {
                return Ok(false);
            }
            slot.file.clone()
        };
        if let Some(f) = &file {
            f.store(snap)?;
            disk::settle(&*self.disk).await;
            // An installed snapshot lets purges through only once the engine holds it too
            // (`install_snapshot`): a purge then always follows a snapshot the node reported.
            if built {
                f.mark_durable(snap.meta.last_log_id);
            }
        }
        lock_slot(&self.slot).current = Some(snap.clone());
        Ok(true)
    }

    /// Build a snapshot of the current state and make it the current snapshot.
    pub async fn build(&self) -> Result<StoredSnapshot, StateMachineError> {
        // Planted `snapshot-stale-membership`: the membership of the previous snapshot.
        let stale_membership = faultline_engine::planted!(SnapshotStaleMembership)
            .then(|| {
                lock_slot(&self.slot)
                    .current
                    .as_ref()
                    .map(|c| c.meta.last_membership.clone())
            })
            .flatten();
        let payload = {
            let s = lock_state(&self.state);
            SnapshotPayload {
                version: SNAPSHOT_FORMAT_VERSION,
                last_applied: s.last_applied,
                membership: stale_membership.unwrap_or_else(|| s.membership.clone()),
                max_collection_id: s.max_collection_id,
                // Planted: the snapshot records where it stands but not what the engine holds.
                ops: if faultline_engine::planted!(SnapshotWithoutEngine) {
                    Vec::new()
                } else {
                    s.engine.replication_snapshot()
                },
            }
        };
        let snapshot_id = {
            let mut slot = lock_slot(&self.slot);
            slot.built += 1;
            match payload.last_applied {
                Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, slot.built),
                None => format!("0-0-{}", slot.built),
            }
        };
        let snap = StoredSnapshot {
            meta: SnapshotMeta {
                last_log_id: payload.last_applied,
                last_membership: payload.membership.clone(),
                snapshot_id,
            },
            data: payload.encode()?,
        };
        if self.keep(&snap, true).await? {
            self.reporter.report(|| Observation::SnapshotBuilt {
                snapshot: snapshot_ref(&snap.meta),
            });
        }
        Ok(snap)
    }
}

fn to_snapshot(s: StoredSnapshot) -> Snapshot<TypeConfig> {
    Snapshot {
        meta: s.meta,
        snapshot: Box::new(Cursor::new(s.data)),
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let snap = self
            .build()
            .await
            .map_err(|e| StorageIOError::write_snapshot(None, AnyError::new(&e)))?;
        Ok(to_snapshot(snap))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = StateMachineStore;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let s = lock_state(&self.state);
        Ok((s.last_applied, s.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResponse>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let batch = entries.len();
        let mut out = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            // Planted `apply-skips-last`: the last entry of a larger batch never reaches the
            // engine, yet gets an answer.
            if faultline_engine::planted!(ApplySkipsLast)
                && batch >= 3
                && i + 1 == batch
                && let EntryPayload::Normal(cmd) = &e.payload
            {
                out.push(ApplyResponse {
                    log_index: e.log_id.index,
                    applied: lock_state(&self.state).observe(&cmd.op),
                });
                continue;
            }
            let observed = self.reporter.active().then(|| entry_ref(&e));
            // The first engine failure stops the batch: later entries must not be applied on top
            // of a state that no longer matches the log.
            let staged = lock_state(&self.state).stage(&e)?;
            // Planted `apply-acked-before-sync`: answered while the engine's sync is queued.
            if !faultline_engine::planted!(ApplyAckedBeforeSync) {
                disk::settle(&*self.disk).await;
            }
            out.push(lock_state(&self.state).settle(staged));
            if let Some(entry) = observed {
                self.reporter.report(|| Observation::Applied { entry });
            }
        }
        // Planted `apply-reply-missing`: one answer too few for a larger batch.
        if faultline_engine::planted!(ApplyReplyMissing) && batch >= 3 {
            out.pop();
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> StateMachineStore {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<SnapshotData>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, openraft::BasicNode>,
        snapshot: Box<SnapshotData>,
    ) -> Result<(), StorageError> {
        let err = |e: StateMachineError| {
            StorageError::from(StorageIOError::write_snapshot(
                Some(meta.signature()),
                AnyError::new(&e),
            ))
        };
        self.reporter.report(|| Observation::SnapshotReceived {
            snapshot: snapshot_ref(meta),
        });
        let data = snapshot.into_inner();
        let payload = SnapshotPayload::decode(&data, meta).map_err(err)?;
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data,
        };
        // The snapshot is made durable before the engine changes: once openraft sees the install
        // succeed it may purge the log the snapshot covers, and after a crash the node must be
        // able to rebuild from the snapshot file.
        self.keep(&stored, false).await.map_err(err)?;
        let staged = lock_state(&self.state)
            .stage_install(payload)
            .map_err(err)?;
        disk::settle(&*self.disk).await;
        lock_state(&self.state).settle_install(staged);
        self.reporter.report(|| Observation::SnapshotInstalled {
            snapshot: snapshot_ref(meta),
        });
        if let Some(f) = &lock_slot(&self.slot).file {
            f.mark_durable(meta.last_log_id);
        }
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(lock_slot(&self.slot).current.clone().map(to_snapshot))
    }
}
