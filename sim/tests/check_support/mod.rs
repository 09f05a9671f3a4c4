//! Test support for the checker tests: an independent, deliberately naive statement of the
//! three models' concrete semantics, used two ways — to validate a linearization the checker
//! returns (real-time order respected, every result reproduced) and as a brute-force reference
//! checker for tiny histories (every order, no memoisation, no pruning).

#![allow(dead_code)]

use std::collections::BTreeMap;

use faultline_sim::history::{Call, History, Operation, Outcome, Ret};

/// Which built-in model's semantics to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Register,
    CasRegister,
    AppendKv,
}

type State = BTreeMap<Option<String>, Option<String>>;

/// Applies `op` to `state`; `None` if its recorded result is impossible there (for an `info`
/// operation: it cannot take effect there).
fn apply(kind: Kind, state: &State, op: &Operation) -> Option<State> {
    let key = op.call.key().map(str::to_string);
    let current = state.get(&key).cloned().flatten();
    let ret = op.outcome.ret();
    let mut next = state.clone();
    match &op.call {
        Call::Read { .. } => {
            let Some(Ret::Read(seen)) = ret else {
                return Some(next);
            };
            let ok = match kind {
                Kind::AppendKv => {
                    current.clone().unwrap_or_default() == seen.clone().unwrap_or_default()
                }
                _ => &current == seen,
            };
            ok.then_some(next)
        }
        Call::Write { value, .. } => {
            next.insert(key, Some(value.clone()));
            Some(next)
        }
        Call::Delete { .. } => {
            next.insert(key, None);
            Some(next)
        }
        Call::Append { value, .. } => {
            next.insert(key, Some(current.unwrap_or_default() + value));
            Some(next)
        }
        Call::Cas { from, to, .. } => match ret {
            Some(Ret::Cas(false)) => (current.as_ref() != Some(from)).then_some(next),
            _ => {
                if current.as_ref() != Some(from) {
                    return None;
                }
                next.insert(key, Some(to.clone()));
                Some(next)
            }
        },
    }
}

fn complete(op: &Operation) -> u64 {
    match op.outcome {
        Outcome::Ok { complete, .. } => complete,
        _ => u64::MAX,
    }
}

/// Checks that `order` (history indices) is a linearization of `history`: each `ok` operation
/// exactly once, no `fail` one, real-time order respected, and every result reproduced.
pub fn validate(kind: Kind, history: &History, order: &[usize]) -> Result<(), String> {
    validate_where(kind, history, order, |_| true)
}

/// [`validate`] for the operations on one key only (a partition's linearization).
pub fn validate_key(
    kind: Kind,
    history: &History,
    key: Option<&str>,
    order: &[usize],
) -> Result<(), String> {
    validate_where(kind, history, order, |op| op.call.key() == key)
}

fn validate_where(
    kind: Kind,
    history: &History,
    order: &[usize],
    included: impl Fn(&Operation) -> bool,
) -> Result<(), String> {
    let mut seen = vec![false; history.len()];
    for &i in order {
        let op = history
            .ops
            .get(i)
            .ok_or(format!("index {i} out of range"))?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(format!("operation {i} linearized twice"));
        }
        if matches!(op.outcome, Outcome::Fail { .. }) {
            return Err(format!("failed operation {i} linearized"));
        }
        if !included(op) {
            return Err(format!("operation {i} belongs to another key"));
        }
    }
    for (i, op) in history.ops.iter().enumerate() {
        if included(op) && matches!(op.outcome, Outcome::Ok { .. }) && !seen[i] {
            return Err(format!("ok operation {i} missing"));
        }
    }
    let mut max_invoke = 0;
    for (pos, &i) in order.iter().enumerate() {
        let op = &history.ops[i];
        if pos > 0 && complete(op) < max_invoke {
            return Err(format!(
                "operation {i} completed before an operation placed earlier was invoked"
            ));
        }
        max_invoke = max_invoke.max(op.invoke);
    }
    let mut state = State::new();
    for &i in order {
        state = apply(kind, &state, &history.ops[i])
            .ok_or(format!("operation {i} illegal at its place"))?;
    }
    Ok(())
}

/// Whether `history` is linearizable, by trying every order (tiny histories only).
pub fn brute_force(kind: Kind, history: &History) -> bool {
    let ops: Vec<&Operation> = history
        .ops
        .iter()
        .filter(|o| !matches!(o.outcome, Outcome::Fail { .. }))
        .collect();
    let mut placed = vec![false; ops.len()];
    search(kind, &ops, &mut placed, &State::new())
}

fn search(kind: Kind, ops: &[&Operation], placed: &mut [bool], state: &State) -> bool {
    let pending_ok = ops
        .iter()
        .zip(placed.iter())
        .any(|(o, p)| !p && matches!(o.outcome, Outcome::Ok { .. }));
    if !pending_ok {
        return true;
    }
    let deadline = ops
        .iter()
        .zip(placed.iter())
        .filter(|(_, p)| !**p)
        .map(|(o, _)| complete(o))
        .min()
        .unwrap_or(u64::MAX);
    for i in 0..ops.len() {
        if placed[i] || ops[i].invoke > deadline {
            continue;
        }
        if let Some(next) = apply(kind, state, ops[i]) {
            placed[i] = true;
            let found = search(kind, ops, placed, &next);
            placed[i] = false;
            if found {
                return true;
            }
        }
    }
    false
}
