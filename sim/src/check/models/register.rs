//! The register model: `write v`, `delete`, `read → v | none`, one register per key.

use crate::check::model::{Model, ModelError, Op};
use crate::history::{Call, Ret};

use super::{PendingReads, bad_result, describe_key, is_read, unsupported};

/// A read/write register per key; a missing value reads as none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

const NAME: &str = "register";

impl Model for Register {
    type Call = Call;
    type Ret = Ret;
    type State = Option<String>;
    type Key = Option<String>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn partition(&self, call: &Call, ret: Option<&Ret>) -> Result<Self::Key, ModelError> {
        match (call, ret) {
            (Call::Read { .. }, None | Some(Ret::Read(_))) => {}
            (Call::Write { .. } | Call::Delete { .. }, None | Some(Ret::Done)) => {}
            (Call::Cas { .. } | Call::Append { .. }, _) => return Err(unsupported(NAME, call)),
            (_, Some(ret)) => return Err(bad_result(NAME, call, ret)),
        }
        Ok(call.key().map(str::to_string))
    }

    fn describe_key(&self, key: &Self::Key) -> String {
        describe_key(key)
    }

    fn init(&self) -> Self::State {
        None
    }

    fn step(
        &self,
        ops: &[Op<'_, Call, Ret>],
        state: &Self::State,
        op: usize,
    ) -> Option<Self::State> {
        step_register(ops[op].call, ops[op].ret, state)
    }

    fn is_read_only(&self, call: &Call, _ret: Option<&Ret>) -> bool {
        matches!(call, Call::Read { .. })
    }

    fn worth_trying(
        &self,
        ops: &[Op<'_, Call, Ret>],
        state: &Self::State,
        op: usize,
        _next: &Self::State,
        callable: &[u32],
    ) -> bool {
        super::register_write_worth_trying(ops, state, op, callable)
    }

    fn unobservable(&self, ops: &[Op<'_, Call, Ret>]) -> Vec<bool> {
        // Only a read can observe a write (the next write hides it), so a write of a value no
        // read returned — or a delete when no read returned none — can be left out.
        let mut read: Vec<Option<&str>> = ops
            .iter()
            .filter_map(|o| match o.ret {
                Some(Ret::Read(v)) => Some(v.as_deref()),
                _ => None,
            })
            .collect();
        read.sort_unstable();
        read.dedup();
        let seen = |v: Option<&str>| read.binary_search(&v).is_ok();
        ops.iter()
            .map(|o| match o.call {
                Call::Write { value, .. } => !seen(Some(value)),
                Call::Delete { .. } => !seen(None),
                _ => false,
            })
            .collect()
    }

    fn feasible(
        &self,
        ops: &[Op<'_, Call, Ret>],
        state: &Self::State,
        must: usize,
        window: &[u32],
        end: usize,
    ) -> bool {
        // Every pending read must see the current value or one a write that could still come
        // before it wrote.
        let sets = |c: &Call| matches!(c, Call::Write { .. } | Call::Delete { .. });
        let want = |r: usize| match ops[r].ret {
            Some(Ret::Read(v)) => v.as_ref(),
            _ => None,
        };
        let writes = |s: usize, r: usize| match ops[s].call {
            Call::Write { value, .. } => want(r) == Some(value),
            _ => want(r).is_none(),
        };
        PendingReads::new(ops, must, window, end, |i| is_read(ops, i), sets)
            .all_explained(|r| want(r) == state.as_ref(), writes)
    }

    fn describe_state(&self, _ops: &[Op<'_, Call, Ret>], state: &Self::State) -> String {
        match state {
            Some(v) => format!("{v:?}"),
            None => "none".to_string(),
        }
    }

    fn state_heap_bytes(&self, state: &Self::State) -> usize {
        state.as_ref().map_or(0, String::capacity)
    }
}

/// One register step: read, write or delete applied to `state`, or `None` if the op cannot
/// follow it (or is not a register op). Shared with the compare-and-set register.
#[inline]
pub(super) fn step_register(
    call: &Call,
    ret: Option<&Ret>,
    state: &Option<String>,
) -> Option<Option<String>> {
    match (call, ret) {
        (Call::Read { .. }, Some(Ret::Read(v))) => (v == state).then(|| state.clone()),
        (Call::Write { value, .. }, _) => Some(Some(value.clone())),
        (Call::Delete { .. }, _) => Some(None),
        _ => None,
    }
}
