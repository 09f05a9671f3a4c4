//! Probes in system-neutral form: a node's engine state ([`EngineProbe`]) and its durable Raft
//! log ([`ProbedLogImage`]: what it acknowledged, and the write in flight), as the power-failure
//! probes and the final-state checks take them, and [`recover_log`]: what each system's own log
//! recovery makes of a (crashed) disk.
//!
//! Log images are in the observation vocabulary (`crate::observe`): votes and log ids exactly
//! as the node reports them online, so the probes and the online reports can be compared.

use std::path::Path;
use std::sync::Arc;

use faultline_engine::WalOp;
use faultline_engine::vfs::Vfs;

use super::System;
use crate::log_store::{LogImage, ProbedLog};
use crate::observe::{LogRef, VoteRef, log_ref, vote_ref};
use crate::raft_io::{ProbedRioLog, RioEngineState, RioLogImage};
use crate::state_machine::EngineState;

/// A node's replicated state, captured atomically.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineProbe {
    /// The index of the last entry applied to the engine.
    pub last_applied: Option<u64>,
    /// `Database::replication_snapshot()`: ops that rebuild the engine's state from empty.
    pub ops: Vec<WalOp>,
    /// Why the engine refuses writes, if a disk error poisoned it.
    pub poisoned: Option<String>,
    /// The state the failed write would have made, which its disk may hold instead of `ops`.
    pub unsettled: Option<Vec<WalOp>>,
}

impl From<EngineState> for EngineProbe {
    fn from(s: EngineState) -> EngineProbe {
        EngineProbe {
            last_applied: s.last_applied.map(|l| l.index),
            ops: s.ops,
            poisoned: s.poisoned,
            unsettled: s.unsettled,
        }
    }
}

impl From<RioEngineState> for EngineProbe {
    fn from(s: RioEngineState) -> EngineProbe {
        EngineProbe {
            last_applied: s.last_applied.map(|l| l.index),
            ops: s.ops,
            poisoned: s.poisoned,
            unsettled: s.unsettled,
        }
    }
}

/// A durable log's contents as a probe compares them: vote, purge point, live entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogImageRef {
    pub vote: Option<VoteRef>,
    pub purged: Option<LogRef>,
    /// Every live entry's log id, in index order.
    pub entries: Vec<LogRef>,
}

impl From<&LogImage> for LogImageRef {
    fn from(i: &LogImage) -> LogImageRef {
        LogImageRef {
            vote: i.vote.as_ref().map(vote_ref),
            purged: i.last_purged.as_ref().map(log_ref),
            entries: i.entries.iter().map(log_ref).collect(),
        }
    }
}

impl From<RioLogImage> for LogImageRef {
    fn from(i: RioLogImage) -> LogImageRef {
        LogImageRef {
            vote: i.vote,
            purged: i.purged,
            entries: i.entries,
        }
    }
}

/// What a durable log had acknowledged when probed, and the write it had in flight (which a
/// power failure may keep, or for an append a prefix of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedLogImage {
    pub acknowledged: LogImageRef,
    pub in_flight: Option<LogImageRef>,
}

impl From<ProbedLog> for ProbedLogImage {
    fn from(p: ProbedLog) -> ProbedLogImage {
        ProbedLogImage {
            acknowledged: LogImageRef::from(&p.acknowledged),
            in_flight: p.in_flight.as_ref().map(LogImageRef::from),
        }
    }
}

impl From<ProbedRioLog> for ProbedLogImage {
    fn from(p: ProbedRioLog) -> ProbedLogImage {
        ProbedLogImage {
            acknowledged: p.acknowledged.into(),
            in_flight: p.in_flight.map(LogImageRef::from),
        }
    }
}

/// What `system`'s durable log recovery finds in `dir` of `vfs` (call it on a copy of a
/// crashed disk: recovery may rewrite a torn tail).
pub fn recover_log(system: System, vfs: Arc<dyn Vfs>, dir: &Path) -> Result<LogImageRef, String> {
    match system {
        System::Openraft => crate::log_store::recover_image(vfs, dir)
            .map(|i| LogImageRef::from(&i))
            .map_err(|e| e.to_string()),
        System::RaftIo => crate::raft_io::recover_image(vfs, dir)
            .map(LogImageRef::from)
            .map_err(|e| e.to_string()),
    }
}
