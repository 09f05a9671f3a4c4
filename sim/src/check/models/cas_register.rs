//! The compare-and-set register model: `read`, `write v`, `delete`, `cas(from → to)`, one
//! register per key. A cas that returned `false` saw a value other than `from` and changed
//! nothing; a cas with unknown outcome either applied (the value was `from`) or had no effect
//! (covered by leaving it out of the linearization).

use crate::check::model::{Model, ModelError, Op};
use crate::history::{Call, Ret};

use super::register::step_register;
use super::{PendingReads, bad_result, describe_key, unsupported};

/// A compare-and-set register per key; a missing value reads as none.
#[derive(Debug, Clone, Copy, Default)]
pub struct CasRegister;

const NAME: &str = "cas-register";

impl Model for CasRegister {
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
            (Call::Cas { .. }, None | Some(Ret::Cas(_))) => {}
            (Call::Append { .. }, _) => return Err(unsupported(NAME, call)),
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
        let op = &ops[op];
        match (op.call, op.ret) {
            (Call::Cas { from, to, .. }, Some(Ret::Cas(true)) | None) => {
                (state.as_ref() == Some(from)).then(|| Some(to.clone()))
            }
            (Call::Cas { from, .. }, Some(Ret::Cas(false))) => {
                (state.as_ref() != Some(from)).then(|| state.clone())
            }
            (call, ret) => step_register(call, ret, state),
        }
    }

    fn is_read_only(&self, call: &Call, ret: Option<&Ret>) -> bool {
        matches!(
            (call, ret),
            (Call::Read { .. }, _) | (Call::Cas { .. }, Some(Ret::Cas(false)))
        )
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
        // A value is observed by a read returning it, or by a cas from it that applied or may
        // have (an indeterminate cas needs the value to take effect). A cas that did not apply
        // observes only that the value differed, which any write could explain: if there is
        // one, nothing is unobservable.
        if ops.iter().any(|o| matches!(o.ret, Some(Ret::Cas(false)))) {
            return vec![false; ops.len()];
        }
        let mut read: Vec<Option<&str>> = ops
            .iter()
            .filter_map(|o| match (o.call, o.ret) {
                (_, Some(Ret::Read(v))) => Some(v.as_deref()),
                (Call::Cas { from, .. }, Some(Ret::Cas(true)) | None) => Some(Some(from.as_str())),
                _ => None,
            })
            .collect();
        read.sort_unstable();
        read.dedup();
        let seen = |v: Option<&str>| read.binary_search(&v).is_ok();
        ops.iter()
            .map(|o| match o.call {
                Call::Write { value, .. } => !seen(Some(value)),
                Call::Cas { to, .. } => !seen(Some(to)),
                Call::Delete { .. } => !seen(None),
                Call::Read { .. } | Call::Append { .. } => false,
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
        // Every pending read, and every pending cas that applied, must find the value it saw
        // current or produced by an operation that could still come before it.
        let seen = |r: usize| match (ops[r].call, ops[r].ret) {
            (_, Some(Ret::Read(v))) => v.as_deref(),
            (Call::Cas { from, .. }, _) => Some(from.as_str()),
            _ => None,
        };
        let observes = |i: usize| matches!(ops[i].ret, Some(Ret::Read(_) | Ret::Cas(true)));
        let sets = |c: &Call| !matches!(c, Call::Read { .. });
        let produces = |s: usize, want: Option<&str>| match ops[s].call {
            Call::Write { value, .. } => want == Some(value.as_str()),
            // A cas that did not apply produces nothing; one that applied, or may have, its `to`.
            Call::Cas { to, .. } => {
                ops[s].ret != Some(&Ret::Cas(false)) && want == Some(to.as_str())
            }
            Call::Delete { .. } => want.is_none(),
            _ => false,
        };
        PendingReads::new(ops, must, window, end, observes, sets).all_explained(
            |r| seen(r) == state.as_deref(),
            |s, r| s != r && produces(s, seen(r)),
        )
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
