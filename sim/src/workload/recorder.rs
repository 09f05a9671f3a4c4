//! The history recorder: every register operation a client issues becomes an `invoke` event and
//! later an `ok`, `fail` or `info` event, stamped with simulated time; an upsert's invoke also
//! carries the record it writes. Every search becomes a `search` event and later its hits (or a
//! failure), numbered apart from the register operations. Events are kept in the order they
//! happened (madsim runs every task on one thread); `history()` folds the register events into
//! the checkers' [`History`], whose operation indices they carry, and `searches()` the search
//! events into [`SearchOp`]s.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::check::knn::{RecordData, SearchCall, SearchHit, SearchOp};
use crate::history::{Call, History, Operation, Outcome, ProcessId, Ret, Time, nanos};

/// What happened to an operation at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    Invoke {
        call: Call,
        /// The record an upsert writes (its vector and payload).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<RecordData>,
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
    /// A search invoked (its `op` numbers searches, apart from register operations).
    Search {
        search: SearchCall,
    },
    /// A search's hits.
    Hits {
        hits: Vec<SearchHit>,
    },
    /// A search that failed or whose outcome is unknown.
    SearchFailed {
        error: String,
    },
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    searches: usize,
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

    /// `process` invokes `call` now (writing `record`, for an upsert); returns the operation's
    /// index.
    pub fn invoke(&self, process: ProcessId, call: Call, record: Option<RecordData>) -> usize {
        let mut log = self.lock();
        let op = log.invoked;
        log.invoked += 1;
        log.events.push(HistoryEvent {
            op,
            process,
            at: now(),
            kind: EventKind::Invoke { call, record },
        });
        op
    }

    /// `process` invokes `search` now; returns the search's number.
    pub fn invoke_search(&self, process: ProcessId, search: SearchCall) -> usize {
        let mut log = self.lock();
        let op = log.searches;
        log.searches += 1;
        log.events.push(HistoryEvent {
            op,
            process,
            at: now(),
            kind: EventKind::Search { search },
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
    /// Whether register operation `op` has completed `ok`.
    pub fn succeeded(&self, op: usize) -> bool {
        self.lock()
            .events
            .iter()
            .rev()
            .any(|e| e.op == op && matches!(e.kind, EventKind::Ok { .. }))
    }

    pub fn events(&self) -> Vec<HistoryEvent> {
        self.lock().events.clone()
    }

    /// The checked history: one operation per invoke; operations never completed are `info`.
    pub fn history(&self) -> History {
        history_of(&self.lock().events)
    }

    /// Every search and its hits.
    pub fn searches(&self) -> Vec<SearchOp> {
        searches_of(&self.lock().events)
    }

    /// Every record a write wrote, by the register value it wrote.
    pub fn written(&self) -> BTreeMap<String, RecordData> {
        written_of(&self.lock().events)
    }
}

/// Folds search events into searches (also used on events read back from `history.jsonl`).
pub fn searches_of(events: &[HistoryEvent]) -> Vec<SearchOp> {
    let mut out: Vec<SearchOp> = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::Search { search } if e.op == out.len() => out.push(SearchOp {
                index: e.op,
                process: e.process,
                call: search.clone(),
                invoke: e.at,
                complete: None,
                hits: None,
            }),
            EventKind::Hits { hits } => {
                if let Some(s) = out.get_mut(e.op) {
                    s.complete = Some(e.at);
                    s.hits = Some(hits.clone());
                }
            }
            EventKind::SearchFailed { .. } => {
                if let Some(s) = out.get_mut(e.op) {
                    s.complete = Some(e.at);
                }
            }
            _ => {}
        }
    }
    out
}

/// Every record a write wrote, by the register value it wrote.
pub fn written_of(events: &[HistoryEvent]) -> BTreeMap<String, RecordData> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Invoke {
                call: Call::Write { value, .. },
                record: Some(r),
            } => Some((value.clone(), r.clone())),
            _ => None,
        })
        .collect()
}

/// Folds events into a history (also used on events read back from `history.jsonl`).
pub fn history_of(events: &[HistoryEvent]) -> History {
    let mut ops: Vec<Operation> = Vec::new();
    for e in events {
        match &e.kind {
            EventKind::Invoke { call, .. } => {
                if e.op == ops.len() {
                    ops.push(Operation::info(e.process, call.clone(), e.at, None));
                }
            }
            EventKind::Search { .. } | EventKind::Hits { .. } | EventKind::SearchFailed { .. } => {}
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
                    EventKind::Invoke { .. }
                    | EventKind::Search { .. }
                    | EventKind::Hits { .. }
                    | EventKind::SearchFailed { .. } => continue,
                };
            }
        }
    }
    History::new(ops)
}
