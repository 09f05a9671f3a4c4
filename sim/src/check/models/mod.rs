//! The built-in sequential models, one file each, all over the project's key-value vocabulary
//! ([`Call`](crate::history::Call) / [`Ret`](crate::history::Ret)) and all split by key.

mod append_kv;
mod cas_register;
mod register;

pub use append_kv::{AppendKv, KvState};
pub use cas_register::CasRegister;
pub use register::Register;

use crate::history::{Call, Ret};

use super::model::{ModelError, Op};

/// How a key-value model shows a key: a single-object history has none.
pub(crate) fn describe_key(key: &Option<String>) -> String {
    match key {
        Some(k) => k.clone(),
        None => "(single object)".to_string(),
    }
}

pub(crate) fn unsupported(model: &'static str, call: &Call) -> ModelError {
    ModelError::Unsupported {
        model,
        function: call.function().to_string(),
    }
}

pub(crate) fn bad_result(model: &'static str, call: &Call, ret: &Ret) -> ModelError {
    ModelError::BadResult {
        model,
        function: call.function().to_string(),
        ret: format!("{ret:?}"),
    }
}

/// The lookahead's view of the pending observers: every `ok` operation among the deadline
/// operation and the window that must see a particular value (a read; for the CAS register
/// also a cas that applied), and the value-setting operations that could still be linearized
/// before each of them (positions `>= end` are all unlinearized).
pub(crate) struct PendingReads<'a, 'h, O, S> {
    ops: &'a [Op<'h, Call, Ret>],
    must: usize,
    window: &'a [u32],
    end: usize,
    observes: O,
    sets: S,
}

impl<'a, 'h, O: Fn(usize) -> bool, S: Fn(&Call) -> bool> PendingReads<'a, 'h, O, S> {
    pub fn new(
        ops: &'a [Op<'h, Call, Ret>],
        must: usize,
        window: &'a [u32],
        end: usize,
        observes: O,
        sets: S,
    ) -> Self {
        PendingReads {
            ops,
            must,
            window,
            end,
            observes,
            sets,
        }
    }

    /// The deadline operation and the window: everything callable and not yet linearized.
    fn pending(&self) -> impl Iterator<Item = usize> + '_ {
        self.window
            .iter()
            .map(|&i| i as usize)
            .chain(std::iter::once(self.must))
    }

    /// Whether every pending observer can still be explained: by the current value
    /// (`current`), or by a value-setting operation that could come before it (`from`): one
    /// among the pending operations, or one invoked after the deadline but before the observer
    /// completed. (Computed without allocating: this runs for every new configuration.)
    pub fn all_explained(
        &self,
        current: impl Fn(usize) -> bool,
        from: impl Fn(usize, usize) -> bool,
    ) -> bool {
        let ops = self.ops;
        self.pending().filter(|&r| (self.observes)(r)).all(|r| {
            current(r)
                || self
                    .pending()
                    .any(|s| (self.sets)(ops[s].call) && from(s, r))
                || (self.end.min(ops.len())..ops.len())
                    .take_while(|&s| ops[s].invoke <= ops[r].complete)
                    .any(|s| (self.sets)(ops[s].call) && from(s, r))
        })
    }
}

/// Whether `ops[i]` is an `ok` read.
pub(crate) fn is_read(ops: &[Op<'_, Call, Ret>], i: usize) -> bool {
    matches!(ops[i].ret, Some(Ret::Read(_)))
}

/// [`Model::worth_trying`](super::model::Model::worth_trying) for the register models: a
/// write or delete that took effect is only worth placing now if a callable operation needs
/// its value next (a read of it, a cas from it that applied or may), or needs the value to
/// differ from the current one (a cas that did not apply, from the current value). Any other
/// next operation either overwrites it (so leave it out), or sees the same in both states (the
/// write was a no-op), or is a cas that did not apply in both (so it can go first).
pub(crate) fn register_write_worth_trying(
    ops: &[Op<'_, Call, Ret>],
    state: &Option<String>,
    op: usize,
    callable: &[u32],
) -> bool {
    let written: Option<&str> = match ops[op].call {
        Call::Write { value, .. } => Some(value),
        Call::Delete { .. } => None,
        _ => return true,
    };
    if written == state.as_deref() {
        return false;
    }
    callable.iter().map(|&y| y as usize).any(|y| {
        y != op
            && match (ops[y].call, ops[y].ret) {
                (Call::Read { .. }, Some(Ret::Read(v))) => v.as_deref() == written,
                (Call::Cas { from, .. }, Some(Ret::Cas(true)) | None) => {
                    written == Some(from.as_str())
                }
                (Call::Cas { from, .. }, Some(Ret::Cas(false))) => {
                    state.as_deref() == Some(from.as_str()) && written != Some(from.as_str())
                }
                _ => false,
            }
    })
}
