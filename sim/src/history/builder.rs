//! Builds a [`History`] from the event stream a recorder or a log produces: each process
//! invokes, then later completes (`ok`, `fail`, `info`). Operations still open when the stream
//! ends become `info` with no completion time.

use std::collections::BTreeMap;

use thiserror::Error;

use super::kv::{Call, Ret};
use super::operation::{History, Operation, Outcome, ProcessId, Time};

/// An event stream that cannot form a history.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HistoryError {
    #[error(
        "process {process} invoked at time {at} while its operation invoked at {open_since} was still open"
    )]
    AlreadyOpen {
        process: ProcessId,
        at: Time,
        open_since: Time,
    },
    #[error("process {process} completed at time {at} without an open operation")]
    NotOpen { process: ProcessId, at: Time },
    #[error("process {process}: time {at} is earlier than its invoke at {invoke}")]
    TimeReversed {
        process: ProcessId,
        at: Time,
        invoke: Time,
    },
}

/// Pairs invoke and completion events per process.
#[derive(Debug)]
pub struct HistoryBuilder<C = Call, R = Ret> {
    ops: Vec<Operation<C, R>>,
    /// Per process, the index in `ops` of its open operation.
    open: BTreeMap<ProcessId, usize>,
}

impl<C, R> Default for HistoryBuilder<C, R> {
    fn default() -> Self {
        HistoryBuilder {
            ops: Vec::new(),
            open: BTreeMap::new(),
        }
    }
}

impl<C, R> HistoryBuilder<C, R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// `process` calls `call` at `at`. Returns the operation's index in the history.
    pub fn invoke(&mut self, process: ProcessId, call: C, at: Time) -> Result<usize, HistoryError> {
        if let Some(&i) = self.open.get(&process) {
            return Err(HistoryError::AlreadyOpen {
                process,
                at,
                open_since: self.ops[i].invoke,
            });
        }
        let index = self.ops.len();
        // Placeholder outcome until the completion arrives (or the stream ends).
        self.ops.push(Operation {
            process,
            call,
            invoke: at,
            outcome: Outcome::Info { complete: None },
        });
        self.open.insert(process, index);
        Ok(index)
    }

    /// The open operation of `process` returned `ret` at `at`.
    pub fn ok(&mut self, process: ProcessId, at: Time, ret: R) -> Result<usize, HistoryError> {
        self.complete(process, at, Outcome::Ok { complete: at, ret })
    }

    /// The open operation of `process` definitely had no effect.
    pub fn fail(&mut self, process: ProcessId, at: Time) -> Result<usize, HistoryError> {
        self.complete(process, at, Outcome::Fail { complete: at })
    }

    /// The client of `process` gave up at `at` without knowing the outcome.
    pub fn info(&mut self, process: ProcessId, at: Time) -> Result<usize, HistoryError> {
        self.complete(process, at, Outcome::Info { complete: Some(at) })
    }

    /// The client of `process` stopped waiting at `at`; the operation stays open to the end of
    /// the history (`info` with no completion time), as Jepsen's `:info` means.
    pub fn abandon(&mut self, process: ProcessId, at: Time) -> Result<usize, HistoryError> {
        self.complete(process, at, Outcome::Info { complete: None })
    }

    /// The open operation of `process`, if any (readers use it to fill in a call's arguments).
    pub fn open_call(&self, process: ProcessId) -> Option<&C> {
        self.open.get(&process).map(|&i| &self.ops[i].call)
    }

    /// Replaces the call of the open operation of `process` (e.g. a completion that carries
    /// more arguments than the invoke). No effect if none is open.
    pub fn set_open_call(&mut self, process: ProcessId, call: C) {
        if let Some(&i) = self.open.get(&process) {
            self.ops[i].call = call;
        }
    }

    fn complete(
        &mut self,
        process: ProcessId,
        at: Time,
        outcome: Outcome<R>,
    ) -> Result<usize, HistoryError> {
        let Some(&i) = self.open.get(&process) else {
            return Err(HistoryError::NotOpen { process, at });
        };
        let invoke = self.ops[i].invoke;
        if at < invoke {
            return Err(HistoryError::TimeReversed {
                process,
                at,
                invoke,
            });
        }
        self.open.remove(&process);
        self.ops[i].outcome = outcome;
        Ok(i)
    }

    /// Ends the stream: operations still open stay `info` with no completion time.
    pub fn finish(self) -> History<C, R> {
        History { ops: self.ops }
    }
}
