//! Engine durability: what a node's engine acknowledged survives a power failure of its disk.
//!
//! The Raft layer can mask an engine that acknowledges too early (a node rebuilds its state
//! from the snapshot and the Raft log), so this is checked where the promise is made: at every
//! power failure the harness notes what the engine had acknowledged and recovers a copy of the
//! crashed disk with the engine's own recovery. The two must hold the same records (whole:
//! vector and payload) and the same collections (empty ones too, with their descriptors): a missing
//! or older record is a lost acknowledged write, an unknown one is a write that was never
//! acknowledged (or a torn record taken for data), and a failed recovery is an engine that
//! cannot come back from its own disk. The one exception is the write in flight when the power
//! went (it failed, so it poisoned the engine): its record may have reached the disk whole, so
//! recovering the state it would have made is correct too.
//!
//! Not verified: durability at moments without a power failure (every run ends with one per node,
//! so each node is judged at least once); an in-flight write that reached the disk whole is
//! accepted, so an engine that acknowledges a write one sync early at the instant of the cut
//! passes; disk faults the nemesis injected (the recovery runs on a copy with faults cleared).

use crate::check::observation::{EngineRecovery, NodeObservation};
use crate::check::violation::{Property, Violation};

/// How many differing keys a violation names.
const SHOWN: usize = 5;

/// One violation per power failure whose recovery differs from what was acknowledged.
pub fn check_engine_durability(recoveries: &[EngineRecovery]) -> Vec<Violation> {
    recoveries
        .iter()
        .filter_map(|r| {
            let found = match &r.recovered {
                Err(e) => format!("could not recover: {e}"),
                Ok(recovered) => {
                    let diff = differences(&r.acknowledged, recovered);
                    let in_flight_kept = r
                        .unsettled
                        .as_ref()
                        .is_some_and(|u| differences(u, recovered).is_empty());
                    if diff.is_empty() || in_flight_kept {
                        return None;
                    }
                    let keys = diff.len();
                    let shown: Vec<String> = diff.into_iter().take(SHOWN).collect();
                    format!("{keys} record(s) differ: {}", shown.join("; "))
                }
            };
            let in_flight = if r.unsettled.is_some() && r.recovered.is_ok() {
                " (nor is it the state of the write that was in flight)"
            } else {
                ""
            };
            Some(Violation::after_power_failure(
                Property::EngineDurability,
                r.node,
                r.at,
                "engine",
                &format!("{found}{in_flight}"),
            ))
        })
        .collect()
}

/// Every key whose value differs, as "key: acknowledged X, recovered Y", in key order.
fn differences(acknowledged: &NodeObservation, recovered: &NodeObservation) -> Vec<String> {
    let show = |v: Option<&String>| v.map_or("nothing".to_string(), |v| format!("{v:?}"));
    let mut keys: Vec<&String> = acknowledged
        .state
        .keys()
        .chain(recovered.state.keys())
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| acknowledged.state.get(*k) != recovered.state.get(*k))
        .map(|k| {
            format!(
                "{k}: acknowledged {}, recovered {}",
                show(acknowledged.state.get(k)),
                show(recovered.state.get(k))
            )
        })
        .chain(collection_differences(acknowledged, recovered))
        .collect()
}

/// Every collection whose id or descriptor differs (or that exists on one side only).
fn collection_differences(
    acknowledged: &NodeObservation,
    recovered: &NodeObservation,
) -> Vec<String> {
    let show = |v: Option<&String>| v.map_or("nothing".to_string(), |v| v.clone());
    let mut names: Vec<&String> = acknowledged
        .collections
        .keys()
        .chain(recovered.collections.keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| acknowledged.collections.get(*n) != recovered.collections.get(*n))
        .map(|n| {
            format!(
                "collection {n}: acknowledged {}, recovered {}",
                show(acknowledged.collections.get(n)),
                show(recovered.collections.get(n))
            )
        })
        .collect()
}
