//! The sequential specification the checker searches against: the [`Model`] trait, and [`Op`],
//! the view of one prepared operation that models and the search share.
//!
//! The checker knows nothing about the system under test: everything it knows about meaning
//! comes through this trait. A model names the partition an operation belongs to (the checker
//! splits the history by it, P-compositionality), steps a state through one operation, and
//! may offer two optional hints that keep the search small without changing its answer:
//! [`Model::is_read_only`] (read compression) and [`Model::feasible`] (lookahead pruning).

use std::fmt::{Debug, Display};
use std::hash::Hash;

use thiserror::Error;

use crate::history::{ProcessId, Time};

/// `complete` of an operation whose outcome is unknown: it may take effect at any time after
/// its invoke, so it never bounds anything.
pub const NEVER: Time = Time::MAX;

/// One operation as the search sees it: failed operations are gone, `info` operations have
/// `ret: None` and `complete: NEVER`.
#[derive(Debug)]
pub struct Op<'h, C, R> {
    pub call: &'h C,
    /// The result of an `ok` operation; `None` for an `info` one (any result is possible).
    pub ret: Option<&'h R>,
    pub invoke: Time,
    pub complete: Time,
    pub process: ProcessId,
    /// Index of the operation in the history it came from.
    pub index: usize,
}

impl<C, R> Clone for Op<'_, C, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C, R> Copy for Op<'_, C, R> {}

impl<C, R> Op<'_, C, R> {
    /// Whether the operation definitely happened (and so must be linearized).
    pub fn is_ok(&self) -> bool {
        self.ret.is_some()
    }

    /// Real-time order: `self` completed before `other` was invoked, so any linearization
    /// puts `self` first. Equal times count as concurrent.
    pub fn precedes(&self, other: &Self) -> bool {
        self.complete < other.invoke
    }
}

/// An operation the model cannot interpret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
    #[error("model {model} does not support `{function}`")]
    Unsupported {
        model: &'static str,
        function: String,
    },
    #[error("model {model}: `{function}` cannot return {ret}")]
    BadResult {
        model: &'static str,
        function: String,
        ret: String,
    },
}

/// A sequential specification.
///
/// States are compared and hashed for Lowe's memoisation: two equal states must have identical
/// futures. A model may use a *symbolic* state standing for a set of concrete states (see the
/// append-KV model) as long as `step` answers for the whole set and
/// [`Model::linearization`] can turn a symbolic path into a concrete one.
pub trait Model: Sync {
    type Call: Sync + Display;
    type Ret: Sync + Display;
    type State: Clone + Eq + Hash;
    /// Operations with different keys are independent; each key is checked on its own.
    type Key: Ord + Clone + Debug + Send + Sync;

    /// The model's name in reports.
    fn name(&self) -> &'static str;

    /// Validates an operation and names its partition. `ret` is `None` for an operation whose
    /// outcome is unknown.
    fn partition(
        &self,
        call: &Self::Call,
        ret: Option<&Self::Ret>,
    ) -> Result<Self::Key, ModelError>;

    /// How a key is shown in reports.
    fn describe_key(&self, key: &Self::Key) -> String {
        format!("{key:?}")
    }

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// The state after `ops[op]` runs in `state`, or `None` if that is not a legal step (for
    /// an `ok` operation: the result does not match; for an `info` one: it cannot take effect
    /// here — leaving it out of the linearization covers "it never happened").
    ///
    /// `ops` is the whole partition in invoke order, so a symbolic model can consult other
    /// operations' times; plain models look at `ops[op]` only.
    fn step(
        &self,
        ops: &[Op<'_, Self::Call, Self::Ret>],
        state: &Self::State,
        op: usize,
    ) -> Option<Self::State>;

    /// True if the operation can never change any state: `step` gives `None` or the same state.
    /// Such an operation is linearized as soon as it is callable and legal (it can be moved to
    /// the front of any completion without loss of generality), and dropped when its outcome is
    /// unknown.
    fn is_read_only(&self, _call: &Self::Call, _ret: Option<&Self::Ret>) -> bool {
        false
    }

    /// Whether `ops[op]` is legal in `state` and leaves it unchanged (read compression asks
    /// this of read-only operations). Override only to answer faster than `step` does.
    fn unchanged_by(
        &self,
        ops: &[Op<'_, Self::Call, Self::Ret>],
        state: &Self::State,
        op: usize,
    ) -> bool {
        self.step(ops, state, op).as_ref() == Some(state)
    }

    /// Whether it is worth linearizing the `info` operation `ops[op]` now, in `state` (it would
    /// lead to `next`), given the other callable, not yet linearized operations (`callable`,
    /// which may include `op`). Return `false` only if every completion that starts with it can
    /// be turned into one that starts with another callable operation, by leaving it out (the
    /// next operation gives the same state whether or not it came first) or, when the next
    /// operation is an `ok` one that leaves both states unchanged, by moving it after that
    /// one. For a blind write that no callable operation needs to see, that is always so: the
    /// search then tries it later, when something can observe it. The default always tries.
    fn worth_trying(
        &self,
        _ops: &[Op<'_, Self::Call, Self::Ret>],
        _state: &Self::State,
        _op: usize,
        _next: &Self::State,
        _callable: &[u32],
    ) -> bool {
        true
    }

    /// Which operations with unknown outcome can be left out of every linearization without
    /// loss: if one took effect, no `ok` operation could ever have observed it (e.g. a write
    /// whose value nobody read), so any linearization that includes it stays one without it.
    /// Called once per partition (in invoke order); only `info` entries are consulted. Such
    /// operations would otherwise stay callable to the end of the history and multiply the
    /// configurations the search explores. The default drops nothing.
    fn unobservable(&self, ops: &[Op<'_, Self::Call, Self::Ret>]) -> Vec<bool> {
        vec![false; ops.len()]
    }

    /// Lookahead. `ops[must]` is the pending `ok` operation with the earliest completion: it
    /// must be linearized after some subset of `window` and before anything else. `window`
    /// lists the other callable operations not yet linearized; every operation at a position
    /// `>= end` is not yet linearized either (it was invoked after the deadline). Return
    /// `false` only if the configuration provably has no completion — e.g. no order of any
    /// subset of `window` can make `ops[must]` legal from `state`, or some pending read can no
    /// longer see what it saw whatever comes before it. The default never prunes.
    fn feasible(
        &self,
        _ops: &[Op<'_, Self::Call, Self::Ret>],
        _state: &Self::State,
        _must: usize,
        _window: &[u32],
        _end: usize,
    ) -> bool {
        true
    }

    /// Turns the order the search linearized `path` in into a concrete linearization (a
    /// permutation of `path`). Only models with symbolic states need to reorder.
    fn linearization(&self, _ops: &[Op<'_, Self::Call, Self::Ret>], path: &[usize]) -> Vec<usize> {
        path.to_vec()
    }

    /// A state, for counterexamples.
    fn describe_state(&self, ops: &[Op<'_, Self::Call, Self::Ret>], state: &Self::State) -> String;

    /// Heap bytes a state owns beyond its inline size, for the memo table's memory budget.
    fn state_heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }
}
