//! Durability: after the liveness phase, every write that is known to have taken effect — it
//! was acknowledged, or a read returned its value — is still present on every live replica,
//! unless a write or delete that may have come after it replaced it. A replica value that no
//! write could have produced (a phantom) is a violation too.
//!
//! Writes carry unique values, so a replica's value names the one write that produced it. For a
//! key `k` and a write `w` that must survive, a replica's final value is acceptable iff it is
//! `w`'s value, or the value of a write `w2` that is not known to precede `w` in real time, or
//! absent while some delete `d` of `k` is not known to precede `w`. "`x` is known to precede
//! `w`" means `x` completed before `w` was invoked; an `info` operation has no completion, so
//! it may follow anything invoked before it took effect. The check is sound: each reported
//! value is impossible in every linearization, whatever the `info` operations did.
//!
//! Reads that return values no write produced are the linearizability checker's to report.
//!
//! Not verified: a lost write that a later write of the same key replaced (the replica's value is
//! then correct); keys the workload never wrote; replicas that are down at the end; vectors and
//! payloads beyond the value that names them (convergence and the engine probe compare records
//! whole); collections other than the workload's own.

use std::collections::BTreeMap;

use thiserror::Error;

use super::observation::{NodeId, NodeObservation, ObservationError, unique_nodes};
use super::violation::{Property, Violation};
use crate::history::{Call, History, Outcome, Ret, Time};

/// A history or set of replicas the durability checker cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurabilityError {
    #[error(transparent)]
    Observation(#[from] ObservationError),
    #[error("operation {index}: {function} has no key; replica state is keyed")]
    NoKey {
        index: usize,
        function: &'static str,
    },
    #[error(
        "operation {index}: {function} is not a register operation; replica values cannot name its effect"
    )]
    Unsupported {
        index: usize,
        function: &'static str,
    },
    #[error(
        "operations {first} and {second} both write {value:?} to key {key:?}; written values must be unique per key"
    )]
    DuplicateValue {
        key: String,
        value: String,
        first: usize,
        second: usize,
    },
    #[error("operation {index}: completes at {complete}, before its invoke at {invoke}")]
    TimeReversed {
        index: usize,
        invoke: Time,
        complete: Time,
    },
}

/// Whether a write took effect, as far as the history says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Acknowledged: it took effect before its completion.
    Acked,
    /// Unknown: it may take effect at any time after its invoke, or never.
    Unknown,
    /// It failed, or was a compare-and-set that did not apply.
    None,
}

/// A write (or applied compare-and-set) of a unique value to a key.
#[derive(Debug, Clone, Copy)]
struct Write<'h> {
    index: usize,
    value: &'h str,
    invoke: Time,
    /// The latest time it can have taken effect (`None`: unbounded).
    latest: Option<Time>,
    effect: Effect,
}

/// A delete that may have taken effect.
#[derive(Debug, Clone, Copy)]
struct Delete {
    index: usize,
    latest: Option<Time>,
}

/// One key's operations.
#[derive(Debug, Default)]
struct KeyOps<'h> {
    writes: BTreeMap<&'h str, Write<'h>>,
    deletes: Vec<Delete>,
    /// Value → the `ok` reads that returned it.
    observed: BTreeMap<&'h str, Vec<usize>>,
}

/// `x`, whose effect is no later than `latest`, is known to precede an operation invoked at
/// `invoke`.
fn precedes(latest: Option<Time>, invoke: Time) -> bool {
    latest.is_some_and(|c| c < invoke)
}

/// Checks the final states of the live `replicas` against `history`. One violation per key and
/// distinct replica value that loses writes or is a phantom, naming the nodes holding it.
pub fn check_durability(
    history: &History,
    replicas: &[NodeObservation],
) -> Result<Vec<Violation>, DurabilityError> {
    unique_nodes(replicas)?;
    let keys = index_history(history)?;
    // Every key a replica holds or a surviving write addresses, in order.
    let mut all_keys: Vec<&str> = keys.keys().copied().collect();
    all_keys.extend(
        replicas
            .iter()
            .flat_map(|r| r.state.keys().map(String::as_str)),
    );
    all_keys.sort_unstable();
    all_keys.dedup();
    let empty = KeyOps::default();
    let mut violations = Vec::new();
    for key in all_keys {
        let ops = keys.get(key).unwrap_or(&empty);
        let mut held: BTreeMap<Option<&str>, Vec<NodeId>> = BTreeMap::new();
        for r in replicas {
            held.entry(r.state.get(key).map(String::as_str))
                .or_default()
                .push(r.node);
        }
        for (value, nodes) in held {
            violations.extend(judge(key, ops, value, &nodes));
        }
    }
    Ok(violations)
}

/// The violation, if any, of `nodes` holding `value` for `key`.
fn judge(key: &str, ops: &KeyOps<'_>, value: Option<&str>, nodes: &[NodeId]) -> Option<Violation> {
    let holder = value.and_then(|v| ops.writes.get(v));
    if let Some(value) = value
        && holder.is_none_or(|w| w.effect == Effect::None)
    {
        // A phantom is reported as itself; the writes it displaced are implied.
        return Some(phantom(key, value, holder, nodes));
    }
    let mut lost: Vec<(&Write<'_>, &[usize])> = ops
        .writes
        .values()
        .filter_map(|w| must_survive(ops, w).map(|readers| (w, readers)))
        .filter(|(w, _)| match holder {
            Some(h) => h.index != w.index && precedes(h.latest, w.invoke),
            None => ops.deletes.iter().all(|d| precedes(d.latest, w.invoke)),
        })
        .collect();
    if lost.is_empty() {
        return None;
    }
    // History order reads better than value order ("v10" sorts before "v2").
    lost.sort_by_key(|(w, _)| w.index);
    let listed: Vec<String> = lost
        .iter()
        .map(|(w, readers)| describe_write(w, readers))
        .collect();
    let instead = match holder {
        Some(h) => format!(
            "{:?}, written by #{} which completed at {}, before {} invoked",
            h.value,
            h.index,
            h.latest.map_or_else(|| "?".to_string(), |c| c.to_string()),
            if lost.len() == 1 {
                "that write was"
            } else {
                "each of them was"
            }
        ),
        None => {
            let deletes: Vec<String> = ops
                .deletes
                .iter()
                .map(|d| format!("#{}", d.index))
                .collect();
            if deletes.is_empty() {
                "nothing, and the key was never deleted".to_string()
            } else {
                format!(
                    "nothing, and every delete of the key ({}) completed before",
                    deletes.join(", ")
                )
            }
        }
    };
    let message = format!(
        "key {key:?}: {} lost on {}: {}; {} {instead}",
        if lost.len() == 1 { "write" } else { "writes" },
        node_list(nodes),
        listed.join(", "),
        if nodes.len() == 1 {
            "it holds"
        } else {
            "they hold"
        },
    );
    let mut involved: Vec<usize> = lost
        .iter()
        .flat_map(|(w, readers)| std::iter::once(w.index).chain(readers.iter().copied()))
        .collect();
    involved.extend(holder.map(|h| h.index));
    Some(
        Violation::new(Property::Durability, message)
            .with_ops(involved)
            .with_nodes(nodes.iter().copied())
            .with_keys([key.to_string()]),
    )
}

/// The reads that observed `w` if it must survive (an acknowledged write has none needed).
fn must_survive<'a>(ops: &'a KeyOps<'_>, w: &Write<'_>) -> Option<&'a [usize]> {
    let readers = ops.observed.get(w.value).map_or(&[][..], Vec::as_slice);
    match w.effect {
        Effect::Acked => Some(readers),
        Effect::Unknown if !readers.is_empty() => Some(readers),
        _ => None,
    }
}

fn describe_write(w: &Write<'_>, readers: &[usize]) -> String {
    let how = if w.effect == Effect::Acked {
        format!("acknowledged at {}", w.latest.unwrap_or(w.invoke))
    } else {
        let reads: Vec<String> = readers.iter().map(|r| format!("#{r}")).collect();
        format!("outcome unknown, observed by read {}", reads.join(", "))
    };
    format!(
        "#{} {:?} (invoked at {}, {how})",
        w.index, w.value, w.invoke
    )
}

fn phantom(key: &str, value: &str, holder: Option<&Write<'_>>, nodes: &[NodeId]) -> Violation {
    let why = match holder {
        Some(w) => format!(
            "only operation #{} wrote it, and it definitely had no effect",
            w.index
        ),
        None => "no operation wrote it".to_string(),
    };
    let message = format!(
        "key {key:?} holds {value:?} on {}, but {why}",
        node_list(nodes)
    );
    Violation::new(Property::Durability, message)
        .with_ops(holder.map(|w| w.index))
        .with_nodes(nodes.iter().copied())
        .with_keys([key.to_string()])
}

fn node_list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    format!(
        "{} {}",
        if nodes.len() == 1 { "node" } else { "nodes" },
        names.join(", ")
    )
}

/// Validates `history` and indexes its writes, deletes and reads by key.
fn index_history(history: &History) -> Result<BTreeMap<&str, KeyOps<'_>>, DurabilityError> {
    let mut keys: BTreeMap<&str, KeyOps<'_>> = BTreeMap::new();
    for (index, op) in history.ops.iter().enumerate() {
        let function = op.call.function();
        if let Call::Append { .. } = op.call {
            return Err(DurabilityError::Unsupported { index, function });
        }
        let key = op
            .call
            .key()
            .ok_or(DurabilityError::NoKey { index, function })?;
        if let Some(complete) = op.outcome.complete()
            && complete < op.invoke
        {
            return Err(DurabilityError::TimeReversed {
                index,
                invoke: op.invoke,
                complete,
            });
        }
        // An `ok` operation took effect by its completion; an `info` one is unbounded.
        let latest = match op.outcome {
            Outcome::Ok { complete, .. } => Some(complete),
            _ => None,
        };
        let ops = keys.entry(key).or_default();
        let written = match (&op.call, &op.outcome) {
            (Call::Write { value, .. }, Outcome::Ok { .. }) => Some((value, Effect::Acked)),
            (Call::Cas { to, .. }, Outcome::Ok { ret, .. }) => Some((
                to,
                if *ret == Ret::Cas(true) {
                    Effect::Acked
                } else {
                    Effect::None
                },
            )),
            (Call::Write { value, .. } | Call::Cas { to: value, .. }, Outcome::Info { .. }) => {
                Some((value, Effect::Unknown))
            }
            (Call::Write { value, .. } | Call::Cas { to: value, .. }, Outcome::Fail { .. }) => {
                Some((value, Effect::None))
            }
            (Call::Delete { .. }, Outcome::Ok { .. } | Outcome::Info { .. }) => {
                ops.deletes.push(Delete { index, latest });
                None
            }
            (
                Call::Read { .. },
                Outcome::Ok {
                    ret: Ret::Read(Some(value)),
                    ..
                },
            ) => {
                ops.observed.entry(value.as_str()).or_default().push(index);
                None
            }
            _ => None,
        };
        if let Some((value, effect)) = written {
            let write = Write {
                index,
                value,
                invoke: op.invoke,
                latest,
                effect,
            };
            if let Some(first) = ops.writes.insert(value, write) {
                return Err(DurabilityError::DuplicateValue {
                    key: key.to_string(),
                    value: value.clone(),
                    first: first.index,
                    second: index,
                });
            }
        }
    }
    Ok(keys)
}
