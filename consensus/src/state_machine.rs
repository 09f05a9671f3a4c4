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

use faultline_engine::{Database, WalOp};
use openraft::storage::RaftStateMachine;
use openraft::{
    AnyError, EntryPayload, OptionalSend, RaftSnapshotBuilder, Snapshot, SnapshotMeta,
    StorageIOError,
};

use crate::api::Record;
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
        self.engine
            .collection_names()
            .into_iter()
            .find(|n| self.engine.collection_id(n).ok() == Some(collection_id))
    }

    fn record(&self, collection_id: u64, id: u64) -> Option<Record> {
        let name = self.collection_name(collection_id)?;
        let r = self.engine.get(&name, id).ok().flatten()?;
        Some(Record::from_engine(id, r))
    }

    /// The probe view.
    pub fn engine_state(&self) -> EngineState {
        EngineState {
            last_applied: self.last_applied,
            ops: self.engine.replication_snapshot(),
            poisoned: self.engine.poisoned().map(str::to_string),
            unsettled: self.engine.unsettled().map(<[WalOp]>::to_vec),
        }
    }

    /// Apply one committed entry.
    fn apply_entry(&mut self, entry: Entry) -> Result<ApplyResponse, ApplyFault> {
        let log_id = entry.log_id;
        let applied = match entry.payload {
            EntryPayload::Blank => Applied::NoOp,
            EntryPayload::Membership(m) => {
                self.membership = StoredMembership::new(Some(log_id), m);
                Applied::NoOp
            }
            EntryPayload::Normal(cmd) => self.apply_op(cmd.op, log_id)?,
        };
        self.last_applied = Some(log_id);
        Ok(ApplyResponse {
            log_index: log_id.index,
            applied,
        })
    }

    /// What applying `op` to the current state observes: the record it replaces, if any.
    pub(crate) fn observe(&self, op: &WalOp) -> Applied {
        match op {
            WalOp::CreateCollection { collection_id, .. } => Applied::CollectionCreated {
                collection_id: *collection_id,
            },
            WalOp::DropCollection { .. } => Applied::CollectionDropped,
            WalOp::Upsert {
                collection_id,
                external_id,
                ..
            } => Applied::Upserted {
                previous: self.record(*collection_id, *external_id),
            },
            WalOp::Delete {
                collection_id,
                external_id,
            } => Applied::Deleted {
                previous: self.record(*collection_id, *external_id),
            },
        }
    }

    fn apply_op(&mut self, op: WalOp, log_id: LogId) -> Result<Applied, ApplyFault> {
        let observed = self.observe(&op);
        let created = match &op {
            WalOp::CreateCollection { collection_id, .. } => Some(*collection_id),
            _ => None,
        };
        match self.engine.apply_replicated(op) {
            Ok(()) => {
                if let Some(id) = created {
                    self.max_collection_id = self.max_collection_id.max(id);
                }
                Ok(observed)
            }
            Err(e) if e.is_invalid_input() => Ok(Applied::Rejected {
                reason: e.to_string(),
            }),
            // Planted: log the failure away and report the entry as applied.
            Err(_) if faultline_engine::planted!(ApplyErrorSwallowed) => Ok(observed),
            Err(e) => Err(ApplyFault {
                log_id,
                source: Box::new(e),
            }),
        }
    }

    /// Replace everything with a snapshot's content.
    fn install(&mut self, p: SnapshotPayload) -> Result<(), StateMachineError> {
        // Planted: apply the snapshot's ops over what is there, keeping anything it lacks.
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(SnapshotMerges) {
            for op in p.ops {
                // Ops that clash with existing state (a collection that exists) are skipped.
                let _ = self.engine.apply_replicated(op);
            }
            self.last_applied = p.last_applied;
            self.membership = p.membership;
            self.max_collection_id = p.max_collection_id;
            return Ok(());
        }
        self.engine
            .restore(p.ops)
            .map_err(|e| StateMachineError::Engine(e.to_string()))?;
        self.last_applied = p.last_applied;
        self.membership = p.membership;
        self.max_collection_id = p.max_collection_id;
        Ok(())
    }
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

impl SnapshotSlot {
    fn replace(&mut self, snap: StoredSnapshot) -> Result<(), StateMachineError> {
        if let Some(f) = &self.file {
            f.store(&snap)?;
        }
        self.current = Some(snap);
        Ok(())
    }
}

/// The state machine openraft drives.
#[derive(Debug, Clone)]
pub struct StateMachineStore {
    state: SharedState,
    slot: Arc<Mutex<SnapshotSlot>>,
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

    /// Build a snapshot of the current state and make it the current snapshot.
    pub fn build(&self) -> Result<StoredSnapshot, StateMachineError> {
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
        let mut slot = lock_slot(&self.slot);
        slot.built += 1;
        let snapshot_id = match payload.last_applied {
            Some(l) => format!("{}-{}-{}", l.leader_id.term, l.index, slot.built),
            None => format!("0-0-{}", slot.built),
        };
        let snap = StoredSnapshot {
            meta: SnapshotMeta {
                last_log_id: payload.last_applied,
                last_membership: payload.membership.clone(),
                snapshot_id,
            },
            data: payload.encode()?,
        };
        slot.replace(snap.clone())?;
        self.reporter.report(|| Observation::SnapshotBuilt {
            snapshot: snapshot_ref(&snap.meta),
        });
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
        let mut s = lock_state(&self.state);
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
                    applied: s.observe(&cmd.op),
                });
                continue;
            }
            let observed = self.reporter.active().then(|| entry_ref(&e));
            // The first engine failure stops the batch: later entries must not be applied on top
            // of a state that no longer matches the log.
            out.push(s.apply_entry(e)?);
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
        let data = snapshot.into_inner();
        let payload = SnapshotPayload::decode(&data, meta).map_err(err)?;
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data,
        };
        // The snapshot is made durable before the engine changes: once openraft sees the install
        // succeed it may purge the log the snapshot covers, and after a crash the node must be
        // able to rebuild from the snapshot file.
        lock_slot(&self.slot).replace(stored).map_err(err)?;
        lock_state(&self.state).install(payload).map_err(err)?;
        self.reporter.report(|| Observation::SnapshotInstalled {
            snapshot: snapshot_ref(meta),
        });
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(lock_slot(&self.slot).current.clone().map(to_snapshot))
    }
}
