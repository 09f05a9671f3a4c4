//! Convergence: replicas that applied the same log prefix hold the same engine state. Raft's
//! state machine safety (Ongaro & Ousterhout 2014, §5.4.3) promises the same entries at the same
//! indices; this checks the consequence the user sees, that applying them produced the same
//! state (so the state machine is deterministic and nothing bypassed the log).
//!
//! Replicas are grouped by `last_applied`; within a group every replica is compared with the
//! one of lowest node id — every record whole (its value names vector and payload) and every
//! collection with its id and descriptor, empty ones included — and each one that differs is
//! reported with the first differing keys.
//!
//! Not verified: replicas at different `last_applied` are not compared (a lagging replica's state
//! is judged only once it catches up, or by durability); a node down at the end is not compared;
//! the state itself is not compared with the client history (durability and linearizability do
//! that); kNN index structures beyond the records they return.

use std::collections::BTreeMap;

use super::observation::{NodeObservation, ObservationError, unique_nodes};
use super::violation::{Property, Violation};

/// How many differing keys a violation names.
pub const SHOWN_KEYS: usize = 5;

/// Checks that replicas with equal `last_applied` hold identical state.
pub fn check_convergence(replicas: &[NodeObservation]) -> Result<Vec<Violation>, ObservationError> {
    unique_nodes(replicas)?;
    let mut groups: BTreeMap<Option<u64>, Vec<&NodeObservation>> = BTreeMap::new();
    for r in replicas {
        groups.entry(r.last_applied).or_default().push(r);
    }
    let mut violations = Vec::new();
    for (applied, mut group) in groups {
        group.sort_by_key(|r| r.node);
        let Some((reference, others)) = group.split_first() else {
            continue;
        };
        for other in others {
            let keys = differing_keys(reference, other);
            if keys.is_empty() {
                continue;
            }
            let shown: Vec<String> = keys
                .iter()
                .take(SHOWN_KEYS)
                .map(|k| {
                    format!(
                        "{k:?}: {} vs {}",
                        show(lookup(reference, k)),
                        show(lookup(other, k))
                    )
                })
                .collect();
            let more = keys.len().saturating_sub(SHOWN_KEYS);
            let applied = applied.map_or_else(|| "nothing".to_string(), |i| format!("index {i}"));
            let message = format!(
                "nodes {} and {} both applied {applied} but differ in {} key(s): {}{}",
                reference.node,
                other.node,
                keys.len(),
                shown.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            );
            violations.push(
                Violation::new(Property::Convergence, message)
                    .with_nodes([reference.node, other.node])
                    .with_keys(keys.into_iter().take(SHOWN_KEYS)),
            );
        }
    }
    Ok(violations)
}

/// Keys whose values differ between `a` and `b`, in key order, then collections (as
/// `collection <name>`) whose id or descriptor differ.
fn differing_keys(a: &NodeObservation, b: &NodeObservation) -> Vec<String> {
    let mut keys: Vec<&String> = a.state.keys().chain(b.state.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut names: Vec<&String> = a.collections.keys().chain(b.collections.keys()).collect();
    names.sort_unstable();
    names.dedup();
    keys.into_iter()
        .filter(|k| a.state.get(*k) != b.state.get(*k))
        .cloned()
        .chain(
            names
                .into_iter()
                .filter(|n| a.collections.get(*n) != b.collections.get(*n))
                .map(|n| format!("collection {n}")),
        )
        .collect()
}

/// What `r` holds under `key` (a point key, or `collection <name>`).
fn lookup<'a>(r: &'a NodeObservation, key: &str) -> Option<&'a String> {
    match key.strip_prefix("collection ") {
        Some(name) if !r.state.contains_key(key) => r.collections.get(name),
        _ => r.state.get(key),
    }
}

fn show(value: Option<&String>) -> String {
    value.map_or_else(|| "absent".to_string(), |v| format!("{v:?}"))
}
