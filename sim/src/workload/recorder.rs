//! The history recorder: every register operation a client issues becomes an `invoke` event and
//! later an `ok`, `fail` or `info` event, stamped with simulated time. Events are kept in the
//! order they happened (madsim runs every task on one thread), and `history()` folds them into
//! the checkers' [`History`], whose operation indices the events carry.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::history::{Call, History, Operation, Outcome, ProcessId, Ret, Time, nanos};

/// What happened to an operation at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EventKind {
    Invoke {
        call: Call,
    },
    Ok {
        ret: Ret,
    },
    /// Definitely had no effect.
    Fail {
        error: String,
    },
    /// Unknown: a timeout or a lost connection after the request was sent.
    Info {
        error: String,
    },
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// The operation's index in the checked history (violations name operations by it).
    pub op: usize,
    pub process: ProcessId,
    /// Simulated nanoseconds since the runtime started.
    pub at: Time,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The run's recorder. Cheap to clone; clones share one log. It lives outside the simulated
/// runtime's thread too, so a run that panics still has its history.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    events: Vec<HistoryEvent>,
    invoked: usize,
}

fn now() -> Time {
    let at = madsim::time::TimeHandle::try_current()
        .map(|t| t.elapsed())
        .unwrap_or_default();
    nanos(at)
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        // A panic while holding the lock is already a finding; keep the events readable.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `process` invokes `call` now; returns the operation's index.
    pub fn invoke(&self, process: ProcessId, call: Call) -> usize {
        let mut log = self.lock();
        let op = log.invoked;
        log.invoked += 1;
        log.events.push(HistoryEvent {
            op,
            process,
            at: now(),
            kind: EventKind::Invoke { call },
        });
        op
    }

    /// Operation `op` of `process` ended now with `kind` (not an invoke).
    pub fn complete(&self, op: usize, process: ProcessId, kind: EventKind) {
        self.lock().events.push(HistoryEvent {
            op,
            process,
            at: now(),
            kind,
        });
    }

    /// Every event so far, in the order they happened.
    pub fn events(&self) -> Vec<HistoryEvent> {
        self.lock().events.clone()
    }

    /// The checked history: one operation per invoke; operations never completed are `info`.
    pub fn history(&self) -> History {
        history_of(&self.lock().events)
    }
}

/// Folds events into a history (also used on events read back from `history.jsonl`).
pub fn history_of(events: &[HistoryEvent]) -> History {
    let mut ops: Vec<Operation> = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::Invoke { call } => {
                if e.op == ops.len() {
                    ops.push(Operation::info(e.process, call.clone(), e.at, None));
                }
            }
            kind => {
                let Some(op) = ops.get_mut(e.op) else {
                    continue;
                };
                op.outcome = match kind {
                    EventKind::Ok { ret } => Outcome::Ok {
                        complete: e.at,
                        ret: ret.clone(),
                    },
                    EventKind::Fail { .. } => Outcome::Fail { complete: e.at },
                    EventKind::Info { .. } => Outcome::Info {
                        complete: Some(e.at),
                    },
                    EventKind::Invoke { .. } => continue,
                };
            }
        }
    }
    History::new(ops)
}
