//! One operation of a history and its outcome, generic over the call and result vocabulary.
//!
//! The defaults (`Call`, `Ret`) are the project's key-value vocabulary; the checker itself only
//! needs the shape defined here.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::kv::{Call, Ret};

/// A point in time. Only the order of times matters; the unit is the recorder's.
pub type Time = u64;

/// Simulated time since the runtime started as a [`Time`], in nanoseconds (the unit the
/// harness records in), saturating.
pub fn nanos(since_start: Duration) -> Time {
    u64::try_from(since_start.as_nanos()).unwrap_or(u64::MAX)
}

/// The client process (logical thread) that issued an operation. A process has at most one
/// operation open at a time.
pub type ProcessId = u64;

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outcome<R = Ret> {
    /// Definitely happened, between invoke and `complete`, and returned `ret`.
    Ok { complete: Time, ret: R },
    /// Definitely had no effect.
    Fail { complete: Time },
    /// Unknown: it may take effect at any time after invoke, or never. `complete` is when the
    /// client gave up (`None` if the history ended first); it does not bound the effect.
    Info {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        complete: Option<Time>,
    },
}

impl<R> Outcome<R> {
    /// The result, for an `ok` outcome.
    pub fn ret(&self) -> Option<&R> {
        match self {
            Outcome::Ok { ret, .. } => Some(ret),
            _ => None,
        }
    }

    /// When the client learned the outcome, if it did.
    pub fn complete(&self) -> Option<Time> {
        match self {
            Outcome::Ok { complete, .. } | Outcome::Fail { complete } => Some(*complete),
            Outcome::Info { complete } => *complete,
        }
    }
}

/// One operation: a process called `call` at `invoke` and learned `outcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation<C = Call, R = Ret> {
    pub process: ProcessId,
    pub call: C,
    pub invoke: Time,
    pub outcome: Outcome<R>,
}

impl<C, R> Operation<C, R> {
    /// An operation that returned `ret` at `complete`.
    pub fn ok(process: ProcessId, call: C, invoke: Time, complete: Time, ret: R) -> Self {
        Operation {
            process,
            call,
            invoke,
            outcome: Outcome::Ok { complete, ret },
        }
    }

    /// An operation that definitely had no effect.
    pub fn fail(process: ProcessId, call: C, invoke: Time, complete: Time) -> Self {
        Operation {
            process,
            call,
            invoke,
            outcome: Outcome::Fail { complete },
        }
    }

    /// An operation with an unknown outcome.
    pub fn info(process: ProcessId, call: C, invoke: Time, complete: Option<Time>) -> Self {
        Operation {
            process,
            call,
            invoke,
            outcome: Outcome::Info { complete },
        }
    }
}

/// The operations of one run. The order of `ops` carries no meaning for the checker (it uses
/// the times), but builders and readers keep invoke order so indexes read naturally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "C: Serialize, R: Serialize",
    deserialize = "C: Deserialize<'de>, R: Deserialize<'de>"
))]
pub struct History<C = Call, R = Ret> {
    pub ops: Vec<Operation<C, R>>,
}

impl<C, R> Default for History<C, R> {
    fn default() -> Self {
        History { ops: Vec::new() }
    }
}

impl<C, R> History<C, R> {
    pub fn new(ops: Vec<Operation<C, R>>) -> Self {
        History { ops }
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

impl<C, R> FromIterator<Operation<C, R>> for History<C, R> {
    fn from_iter<T: IntoIterator<Item = Operation<C, R>>>(iter: T) -> Self {
        History {
            ops: iter.into_iter().collect(),
        }
    }
}
