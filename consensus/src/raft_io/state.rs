//! The replicated state a raft-io node applies into: the engine plus the bookkeeping that moves
//! with it, applied through the same two-phase path as the openraft state machine.
//!
//! A committed normal entry's bytes are a [`Command`]; applying it stages the engine op
//! durably (`Database::stage_replicated`), the caller waits for the disk
//! (`consensus::disk::settle`), then the op takes effect in memory (`Database::settle`). An op
//! the engine refuses as invalid against the replicated state — a pure function of that
//! state, so every replica refuses alike — is answered [`Applied::Rejected`]; so is a command
//! that does not decode. Any other engine failure is fatal to the node. A snapshot carries
//! [`RioSnapshotPayload`] (the engine as `Database::replication_snapshot` ops, the applied
//! position, the configuration entry in effect there and the collection-id high-water mark)
//! and is restored with `Database::stage_restore`, then `settle`.

use faultline_engine::{Database, WalOp};
use raft_io::Snapshot;
use serde::{Deserialize, Serialize};

use super::codec::decode_command;
use super::observe::log_ref;
use crate::error::StateMachineError;
use crate::observe::LogRef;
use crate::type_config::{Applied, ApplyResponse};

/// Version of [`RioSnapshotPayload`]'s layout; bump on change.
pub const RIO_SNAPSHOT_VERSION: u8 = 2;

/// The application bytes of a raft-io snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RioSnapshotPayload {
    pub version: u8,
    /// The last entry the state covers: `(term, index)`.
    pub last_term: u64,
    pub last_index: u64,
    /// The configuration entry in effect at `last_index`: `(term, index)`, `(0, 0)` for the
    /// bootstrap configuration. raft-io's snapshot records the configuration but not which
    /// entry made it; membership reports need the entry's log id, so the builder records it.
    pub config_term: u64,
    pub config_index: u64,
    /// Collection ids are never reused: the highest ever assigned.
    pub max_collection_id: u64,
    /// Ops that rebuild the engine's state from empty.
    pub ops: Vec<WalOp>,
}

/// The leading fields of a payload (postcard writes fields in order), read without decoding
/// the engine state behind them.
#[derive(Deserialize)]
struct Header {
    version: u8,
    _last_term: u64,
    _last_index: u64,
    config_term: u64,
    config_index: u64,
}

impl RioSnapshotPayload {
    /// The configuration entry a payload's bytes name, if they are a payload of this version
    /// and name one.
    pub fn config_log_id_of(bytes: &[u8]) -> Option<LogRef> {
        let (h, _) = postcard::take_from_bytes::<Header>(bytes).ok()?;
        (h.version == RIO_SNAPSHOT_VERSION && h.config_index > 0)
            .then(|| log_ref(h.config_term, h.config_index))
    }

    /// The configuration entry in effect at the payload's last index (`None`: bootstrap).
    pub fn config_log_id(&self) -> Option<LogRef> {
        (self.config_index > 0).then(|| log_ref(self.config_term, self.config_index))
    }

    pub fn encode(&self) -> Result<Vec<u8>, StateMachineError> {
        postcard::to_stdvec(self).map_err(|e| StateMachineError::BadSnapshot(e.to_string()))
    }

    /// Decodes a payload and checks it against the snapshot position it travels with.
    pub fn decode(bytes: &[u8], index: u64, term: u64) -> Result<Self, StateMachineError> {
        let p: RioSnapshotPayload = postcard::from_bytes(bytes)
            .map_err(|e| StateMachineError::BadSnapshot(e.to_string()))?;
        if p.version != RIO_SNAPSHOT_VERSION {
            return Err(StateMachineError::BadSnapshot(format!(
                "format version {} (this build reads {RIO_SNAPSHOT_VERSION})",
                p.version
            )));
        }
        if (p.last_index, p.last_term) != (index, term) {
            return Err(StateMachineError::BadSnapshot(format!(
                "payload covers {}@{} but the snapshot says {index}@{term}",
                p.last_index, p.last_term
            )));
        }
        Ok(p)
    }
}

/// A probe's view of the replicated state.
#[derive(Debug, Clone, PartialEq)]
pub struct RioEngineState {
    pub last_applied: Option<LogRef>,
    pub ops: Vec<WalOp>,
    pub poisoned: Option<String>,
    pub unsettled: Option<Vec<WalOp>>,
}

/// The engine and its bookkeeping.
#[derive(Debug)]
pub struct RioState {
    pub engine: Database,
    pub last_applied: Option<LogRef>,
    pub max_collection_id: u64,
}

/// An entry staged on disk, waiting for [`RioState::settle`].
#[derive(Debug)]
pub struct Staged {
    log_id: LogRef,
    applied: Applied,
    engine: bool,
    created: Option<u64>,
}

impl RioState {
    /// Wraps `engine`, reset to `snapshot` (or to empty): raft-io restarts its applied index
    /// at the snapshot's and re-applies every later committed entry, so engine state from
    /// beyond the snapshot would be applied twice.
    pub fn open(
        mut engine: Database,
        snapshot: Option<&Snapshot>,
    ) -> Result<Self, StateMachineError> {
        let engine_err = |e: faultline_engine::Error| StateMachineError::Engine(e.to_string());
        let Some(s) = snapshot else {
            engine.restore(Vec::new()).map_err(engine_err)?;
            return Ok(RioState {
                engine,
                last_applied: None,
                max_collection_id: 0,
            });
        };
        let p = RioSnapshotPayload::decode(&s.data, s.index, s.term)?;
        engine.restore(p.ops).map_err(engine_err)?;
        Ok(RioState {
            engine,
            last_applied: Some(log_ref(p.last_term, p.last_index)),
            max_collection_id: p.max_collection_id,
        })
    }

    /// Name of the collection with this id, if it exists.
    pub fn collection_name(&self, collection_id: u64) -> Option<String> {
        crate::engine_view::collection_name(&self.engine, collection_id)
    }

    /// What applying `op` to the current state observes.
    pub fn observe(&self, op: &WalOp) -> Applied {
        crate::engine_view::observe(&self.engine, op)
    }

    /// The durable half of applying the committed entry `(term, index)` carrying `bytes`.
    pub fn stage(
        &mut self,
        term: u64,
        index: u64,
        bytes: &[u8],
    ) -> Result<Staged, StateMachineError> {
        let log_id = log_ref(term, index);
        let rejected = |reason: String| Staged {
            log_id,
            applied: Applied::Rejected { reason },
            engine: false,
            created: None,
        };
        let cmd = match decode_command(bytes) {
            Ok(c) => c,
            Err(e) => return Ok(rejected(e.to_string())),
        };
        let observed = self.observe(&cmd.op);
        let created = match &*cmd.op {
            WalOp::CreateCollection { collection_id, .. } => Some(*collection_id),
            _ => None,
        };
        match self.engine.stage_replicated(&cmd.op) {
            Ok(()) => Ok(Staged {
                log_id,
                applied: observed,
                engine: true,
                created,
            }),
            Err(e) if e.is_invalid_input() => Ok(rejected(e.to_string())),
            Err(e) => Err(StateMachineError::Engine(format!(
                "applying entry {index} (term {term}): {e}"
            ))),
        }
    }

    /// The second half, once the disk has finished: the entry takes effect.
    pub fn settle(&mut self, staged: Staged) -> ApplyResponse {
        if staged.engine {
            self.engine.settle();
            if let Some(id) = staged.created {
                self.max_collection_id = self.max_collection_id.max(id);
            }
        }
        self.last_applied = Some(staged.log_id);
        ApplyResponse {
            log_index: staged.log_id.index,
            applied: staged.applied,
        }
    }

    /// The state as a snapshot payload covering the log through `(term, index)`: raft-io's
    /// applied index, which also counts the configuration entries it never hands to the
    /// application, so it may lie past `last_applied`. `config` is the configuration entry in
    /// effect at `index`.
    pub fn payload(&self, term: u64, index: u64, config: Option<LogRef>) -> RioSnapshotPayload {
        RioSnapshotPayload {
            version: RIO_SNAPSHOT_VERSION,
            last_term: term,
            last_index: index,
            config_term: config.map_or(0, |c| c.term),
            config_index: config.map_or(0, |c| c.index),
            max_collection_id: self.max_collection_id,
            ops: self.engine.replication_snapshot(),
        }
    }

    /// The durable half of restoring a snapshot's payload.
    pub fn stage_restore(&mut self, p: &RioSnapshotPayload) -> Result<(), StateMachineError> {
        self.engine
            .stage_restore(p.ops.clone())
            .map_err(|e| StateMachineError::Engine(e.to_string()))
    }

    /// The second half: the restored state takes over.
    pub fn settle_restore(&mut self, p: &RioSnapshotPayload) {
        self.engine.settle();
        self.last_applied = (p.last_index > 0).then(|| log_ref(p.last_term, p.last_index));
        self.max_collection_id = p.max_collection_id;
    }

    /// The probe view.
    pub fn engine_state(&self) -> RioEngineState {
        RioEngineState {
            last_applied: self.last_applied,
            ops: self.engine.replication_snapshot(),
            poisoned: self.engine.poisoned().map(str::to_string),
            unsettled: self.engine.unsettled(),
        }
    }
}
