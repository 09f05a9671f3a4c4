//! Engine durability: a recovery that lost an acknowledged record, kept a write that was never
//! acknowledged, or failed outright is reported for that node and power failure; a recovery
//! equal to what was acknowledged is not.

use std::collections::BTreeMap;

use faultline_sim::check::engine_durability::check_engine_durability;
use faultline_sim::check::observation::{EngineRecovery, NodeObservation};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::support::{only, replica};

fn power_failure(
    acknowledged: &[(&str, &str)],
    recovered: Result<&[(&str, &str)], &str>,
) -> EngineRecovery {
    EngineRecovery {
        node: 3,
        at: 700,
        acknowledged: replica(3, 9, acknowledged),
        recovered: recovered.map(|r| replica(3, 9, r)).map_err(str::to_string),
        unsettled: None,
    }
}

#[test]
fn a_lost_acknowledged_record_is_reported() {
    let r = power_failure(&[("a", "1"), ("b", "2")], Ok(&[("a", "1")]));
    let v = check_engine_durability(&[r]);
    let v = only(&v, Property::EngineDurability);
    assert_eq!(v.nodes, [3]);
    assert_eq!(v.at, Some(700));
    assert!(
        v.message
            .contains("1 record(s) differ: b: acknowledged \"2\", recovered nothing"),
        "{v}"
    );
}

#[test]
fn an_older_or_unacknowledged_value_is_reported() {
    let r = power_failure(&[("a", "2")], Ok(&[("a", "1"), ("z", "garbage")]));
    let v = check_engine_durability(&[r]);
    let v = only(&v, Property::EngineDurability);
    assert!(v.message.contains("2 record(s) differ"), "{v}");
    assert!(v.message.contains("z: acknowledged nothing"), "{v}");
}

#[test]
fn a_failed_recovery_is_reported() {
    let r = power_failure(&[("a", "1")], Err("checksum mismatch in checkpoint"));
    let v = check_engine_durability(&[r]);
    assert!(
        only(&v, Property::EngineDurability)
            .message
            .contains("could not recover: checksum mismatch"),
    );
}

#[test]
fn the_write_in_flight_may_be_recovered_but_nothing_else() {
    let mut r = power_failure(&[("a", "1")], Ok(&[("a", "1"), ("b", "2")]));
    r.unsettled = Some(replica(3, 9, &[("a", "1"), ("b", "2")]));
    assert!(check_engine_durability(&[r.clone()]).is_empty());

    r.recovered = Ok(replica(3, 9, &[("a", "1")]));
    assert!(check_engine_durability(&[r.clone()]).is_empty());

    // A torn record taken for data is neither the acknowledged state nor the one in flight.
    r.recovered = Ok(replica(3, 9, &[("a", "1"), ("b", "\u{0}\u{0}")]));
    let v = check_engine_durability(&[r]);
    let v = only(&v, Property::EngineDurability);
    assert!(v.message.contains("write that was in flight"), "{v}");
}

proptest! {
    /// A recovery equal to what was acknowledged is clean, whatever the records.
    #[test]
    fn an_exact_recovery_is_clean(state in prop::collection::btree_map("[a-e]", "[0-9]{1,3}", 0..6)) {
        let observed = NodeObservation { node: 1, last_applied: Some(4), state: state.clone(), collections: Default::default() };
        let r = EngineRecovery { node: 1, at: 5, acknowledged: observed.clone(), recovered: Ok(observed), unsettled: None };
        prop_assert!(check_engine_durability(&[r]).is_empty());
    }

    /// Dropping any one acknowledged record from the recovery is reported, naming its key.
    #[test]
    fn any_dropped_record_is_reported(state in prop::collection::btree_map("[a-e]", "[0-9]{1,3}", 1..6), pick in any::<prop::sample::Index>()) {
        let keys: Vec<String> = state.keys().cloned().collect();
        let dropped = pick.get(&keys).clone();
        let mut recovered: BTreeMap<String, String> = state.clone();
        recovered.remove(&dropped);
        let r = EngineRecovery {
            node: 1,
            at: 5,
            acknowledged: NodeObservation { node: 1, last_applied: Some(4), state, collections: Default::default() },
            recovered: Ok(NodeObservation { node: 1, last_applied: Some(4), state: recovered, collections: Default::default() }),
            unsettled: None,
        };
        let v = check_engine_durability(&[r]);
        prop_assert_eq!(v.len(), 1);
        prop_assert!(v[0].message.contains(&format!("{dropped}: acknowledged")), "{}", v[0]);
    }
}
