//! The append-KV model (the Porcupine / 6.824 key-value service): per key a string, initially
//! empty; `get → s` (a missing key reads `""`), `put v` (a write), `append v`, `delete` (back
//! to `""`).
//!
//! Its state is *symbolic*, which is what lets the checker decide histories with dozens of
//! concurrent appends (Porcupine's `c50-bad`). A concrete search tells apart every order of
//! the appends linearized since the last read, although nothing can observe that order until
//! the next read — and the next read reveals it exactly. So the state is a `base` string (the
//! last value fixed by a read, a put or the start) plus the *set* of appends linearized since,
//! standing for every concatenation of them in an order allowed by real time. A read narrows
//! the set to the one order that spells its value (if any does, respecting real-time order
//! among those appends), and a put discards it. Why this is exact: between two fixing points
//! only appends are linearized, so permuting them within that stretch touches no other
//! operation's real-time constraints; the search has already checked each against everything
//! outside the stretch.

use std::sync::Arc;

use crate::check::model::{Model, ModelError, Op};
use crate::history::{Call, Ret};

use super::{PendingReads, bad_result, describe_key, is_read, unsupported};

/// The append-KV model.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppendKv;

const NAME: &str = "append-kv";

/// `base` followed by the appends at `pending` (partition positions, sorted), in an order not
/// yet fixed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KvState {
    base: Arc<str>,
    /// Shared, so cloning a state (for the memo table and the search stack) never allocates.
    pending: Arc<[u32]>,
}

type KvOp<'a, 'h> = &'a Op<'h, Call, Ret>;

fn appended<'h>(op: KvOp<'_, 'h>) -> &'h str {
    match op.call {
        Call::Append { value, .. } => value,
        _ => "",
    }
}

/// The string a read observed (a missing key reads as empty).
fn observed<'h>(op: KvOp<'_, 'h>) -> Option<&'h str> {
    match op.ret {
        Some(Ret::Read(v)) => Some(v.as_deref().unwrap_or("")),
        _ => None,
    }
}

/// An order of the appends at `pending` that respects real time and spells `rest`, if any.
pub(crate) fn spell(ops: &[Op<'_, Call, Ret>], pending: &[u32], rest: &str) -> Option<Vec<u32>> {
    let total: usize = pending
        .iter()
        .map(|&i| appended(&ops[i as usize]).len())
        .sum();
    if total != rest.len() {
        return None;
    }
    // Trying candidates by completion time makes the first of several identical strings the
    // one to try (the exchange argument: of two equal appends both placeable here, the one that
    // completed first can always take this slot).
    let mut cands: Vec<u32> = pending.to_vec();
    cands.sort_by_key(|&i| (ops[i as usize].complete, i));
    let mut placed = vec![false; cands.len()];
    let mut out = Vec::with_capacity(cands.len());
    spell_from(ops, &cands, rest, 0, &mut placed, &mut out).then_some(out)
}

fn spell_from(
    ops: &[Op<'_, Call, Ret>],
    cands: &[u32],
    rest: &str,
    pos: usize,
    placed: &mut [bool],
    out: &mut Vec<u32>,
) -> bool {
    if out.len() == cands.len() {
        return pos == rest.len();
    }
    let mut tried: Vec<&str> = Vec::new();
    for (j, &c) in cands.iter().enumerate() {
        let token = appended(&ops[c as usize]);
        if placed[j] || !rest[pos..].starts_with(token) || tried.contains(&token) {
            continue;
        }
        // Real-time order among the appends: all that completed before this one was invoked
        // must already be placed.
        let invoke = ops[c as usize].invoke;
        let blocked = cands
            .iter()
            .enumerate()
            .any(|(k, &o)| !placed[k] && k != j && ops[o as usize].complete < invoke);
        if blocked {
            continue;
        }
        tried.push(token);
        placed[j] = true;
        out.push(c);
        if spell_from(ops, cands, rest, pos + token.len(), placed, out) {
            return true;
        }
        out.pop();
        placed[j] = false;
    }
    false
}

impl Model for AppendKv {
    type Call = Call;
    type Ret = Ret;
    type State = KvState;
    type Key = Option<String>;

    fn name(&self) -> &'static str {
        NAME
    }

    fn partition(&self, call: &Call, ret: Option<&Ret>) -> Result<Self::Key, ModelError> {
        match (call, ret) {
            (Call::Read { .. }, None | Some(Ret::Read(_))) => {}
            (
                Call::Write { .. } | Call::Delete { .. } | Call::Append { .. },
                None | Some(Ret::Done),
            ) => {}
            (Call::Cas { .. }, _) => return Err(unsupported(NAME, call)),
            (_, Some(ret)) => return Err(bad_result(NAME, call, ret)),
        }
        Ok(call.key().map(str::to_string))
    }

    fn describe_key(&self, key: &Self::Key) -> String {
        describe_key(key)
    }

    fn init(&self) -> KvState {
        KvState {
            base: Arc::from(""),
            pending: Arc::from([]),
        }
    }

    fn step(&self, ops: &[Op<'_, Call, Ret>], state: &KvState, op: usize) -> Option<KvState> {
        let o = &ops[op];
        match o.call {
            Call::Read { .. } => {
                let seen = observed(o)?;
                if state.pending.is_empty() {
                    return (*state.base == *seen).then(|| state.clone());
                }
                let rest = seen.strip_prefix(&*state.base)?;
                spell(ops, &state.pending, rest)?;
                Some(KvState {
                    base: Arc::from(seen),
                    pending: Arc::from([]),
                })
            }
            Call::Write { value, .. } => Some(KvState {
                base: Arc::from(value.as_str()),
                pending: Arc::from([]),
            }),
            Call::Delete { .. } => Some(KvState {
                base: Arc::from(""),
                pending: Arc::from([]),
            }),
            Call::Append { .. } => {
                let mut pending = Vec::with_capacity(state.pending.len() + 1);
                let at = state.pending.partition_point(|&p| p < op as u32);
                pending.extend_from_slice(&state.pending[..at]);
                pending.push(op as u32);
                pending.extend_from_slice(&state.pending[at..]);
                Some(KvState {
                    base: state.base.clone(),
                    pending: pending.into(),
                })
            }
            Call::Cas { .. } => None,
        }
    }

    fn unchanged_by(&self, ops: &[Op<'_, Call, Ret>], state: &KvState, op: usize) -> bool {
        // A read that would fix pending appends changes the (symbolic) state; only a read of
        // exactly the base, with nothing pending, leaves it as it is.
        state.pending.is_empty() && observed(&ops[op]).is_some_and(|seen| *state.base == *seen)
    }

    fn is_read_only(&self, call: &Call, _ret: Option<&Ret>) -> bool {
        matches!(call, Call::Read { .. })
    }

    fn unobservable(&self, ops: &[Op<'_, Call, Ret>]) -> Vec<bool> {
        // Every read sees the value since the last put, so an append or put that took effect is
        // visible in every read until the next put. An append whose string occurs in no read,
        // or a put no read starts with, can only have been hidden by a later put: leave it out.
        // (An empty append or put is always "seen"; it is kept.)
        let mut reads = String::new();
        let mut sorted: Vec<&str> = Vec::new();
        for o in ops {
            if let Some(seen) = observed(o) {
                reads.push_str(seen);
                reads.push('\0');
                sorted.push(seen);
            }
        }
        sorted.sort_unstable();
        // Reads starting with `v` sort contiguously from the first one not below `v`.
        let some_read_starts_with = |v: &str| {
            sorted
                .get(sorted.partition_point(|s| *s < v))
                .is_some_and(|s| s.starts_with(v))
        };
        ops.iter()
            .map(|o| match o.call {
                _ if o.is_ok() => false,
                Call::Append { value, .. } => {
                    !value.is_empty() && !value.contains('\0') && !reads.contains(value.as_str())
                }
                Call::Write { value, .. } => !value.is_empty() && !some_read_starts_with(value),
                Call::Delete { .. } | Call::Read { .. } | Call::Cas { .. } => false,
            })
            .collect()
    }

    fn feasible(
        &self,
        ops: &[Op<'_, Call, Ret>],
        state: &KvState,
        must: usize,
        window: &[u32],
        end: usize,
    ) -> bool {
        // Every pending read must still be explainable: either it extends the current value by
        // appends only (it starts with the base and contains every pending append after it), or
        // it starts with the value of a put that could still come before it.
        let sets = |c: &Call| matches!(c, Call::Write { .. } | Call::Delete { .. });
        let pending_len: usize = state
            .pending
            .iter()
            .map(|&i| appended(&ops[i as usize]).len())
            .sum();
        let seen = |r: usize| observed(&ops[r]).unwrap_or("");
        let extends = |r: usize| {
            seen(r).strip_prefix(&*state.base).is_some_and(|rest| {
                pending_len <= rest.len()
                    && state
                        .pending
                        .iter()
                        .all(|&i| rest.contains(appended(&ops[i as usize])))
            })
        };
        let after_put = |s: usize, r: usize| match ops[s].call {
            Call::Write { value, .. } => seen(r).starts_with(value.as_str()),
            _ => true,
        };
        PendingReads::new(ops, must, window, end, |i| is_read(ops, i), sets)
            .all_explained(extends, after_put)
    }

    fn linearization(&self, ops: &[Op<'_, Call, Ret>], path: &[usize]) -> Vec<usize> {
        // Replay the path; at each read that fixed a set of pending appends, put those appends
        // in the order the read spelled.
        let mut out = Vec::with_capacity(path.len());
        let mut base: &str = "";
        let mut segment: Vec<u32> = Vec::new();
        for &i in path {
            let o = &ops[i];
            match o.call {
                Call::Append { .. } => segment.push(i as u32),
                Call::Write { .. } | Call::Delete { .. } | Call::Cas { .. } => {
                    out.extend(segment.drain(..).map(|s| s as usize));
                    out.push(i);
                    base = match o.call {
                        Call::Write { value, .. } => value,
                        _ => "",
                    };
                }
                Call::Read { .. } => {
                    let seen = observed(o).unwrap_or("");
                    if !segment.is_empty() {
                        let order = seen
                            .strip_prefix(base)
                            .and_then(|rest| spell(ops, &segment, rest));
                        // The search only narrowed through reads it could spell, so the
                        // fallback (search order) is never taken.
                        let order = order.unwrap_or_else(|| segment.clone());
                        out.extend(order.into_iter().map(|s| s as usize));
                        segment.clear();
                    }
                    out.push(i);
                    base = seen;
                }
            }
        }
        out.extend(segment.into_iter().map(|s| s as usize));
        out
    }

    fn describe_state(&self, ops: &[Op<'_, Call, Ret>], state: &KvState) -> String {
        if state.pending.is_empty() {
            return format!("{:?}", &*state.base);
        }
        let tokens: Vec<String> = state
            .pending
            .iter()
            .map(|&i| format!("{:?}", appended(&ops[i as usize])))
            .collect();
        format!(
            "{:?} followed by, in some order, {}",
            &*state.base,
            tokens.join(", ")
        )
    }

    fn state_heap_bytes(&self, state: &KvState) -> usize {
        state.base.len() + std::mem::size_of_val(&*state.pending)
    }
}
