//! Durability: lost acknowledged or observed writes and phantom values are reported with the
//! write, the replicas and what they hold instead; values a later-or-concurrent write or delete
//! may have left are accepted; correct executions are clean.

use faultline_sim::check::durability::{DurabilityError, check_durability};
use faultline_sim::check::models::Register;
use faultline_sim::check::observation::{NodeObservation, ObservationError};
use faultline_sim::check::violation::Property;
use faultline_sim::check::{CheckOptions, Verdict, check};
use faultline_sim::history::{Call, History, Operation, Outcome, Ret};
use proptest::prelude::*;

use super::gen_register::{execution, op_spec};
use super::support::*;

fn durability(
    ops: Vec<Operation>,
    replicas: &[NodeObservation],
) -> Vec<faultline_sim::check::violation::Violation> {
    check_durability(&History::new(ops), replicas).unwrap()
}

#[test]
fn lost_acked_write_names_the_write_the_replica_and_what_it_holds() {
    let ops = vec![write(0, "k", "v1", 0, 10), write(1, "k", "v2", 20, 30)];
    let replicas = [
        replica(1, 2, &[("k", "v2")]),
        replica(2, 2, &[("k", "v1")]),
        replica(3, 2, &[("k", "v1")]),
    ];
    let v = durability(ops, &replicas);
    let v = only(&v, Property::Durability);
    assert_eq!(
        v.nodes,
        [2, 3],
        "both replicas holding the stale value, grouped"
    );
    assert_eq!(v.ops, [0, 1], "the lost write and the one found instead");
    assert_eq!(v.keys, ["k"]);
    assert!(
        v.message.contains("#1 \"v2\"") && v.message.contains("\"v1\", written by #0"),
        "{v}"
    );
}

#[test]
fn lost_write_with_no_delete_is_reported_as_absent() {
    let v = durability(vec![write(0, "k", "v1", 0, 10)], &[replica(1, 1, &[])]);
    let v = only(&v, Property::Durability);
    assert_eq!((v.ops.as_slice(), v.nodes.as_slice()), (&[0][..], &[1][..]));
    assert!(v.message.contains("never deleted"), "{v}");
}

#[test]
fn absence_needs_a_delete_that_may_follow_the_write() {
    // The only delete completed before the write was invoked: it cannot explain the absence.
    let early = vec![delete(0, "k", 0, 4), write(1, "k", "v1", 5, 10)];
    let v = durability(early, &[replica(1, 2, &[])]);
    assert!(
        only(&v, Property::Durability)
            .message
            .contains("every delete of the key (#0) completed before")
    );
    // A delete concurrent with the write, or with an unknown outcome after it, can.
    let concurrent = vec![delete(0, "k", 3, 6), write(1, "k", "v1", 5, 10)];
    assert!(durability(concurrent, &[replica(1, 2, &[])]).is_empty());
    let unknown = vec![write(1, "k", "v1", 5, 10), delete_info(0, "k", 1)];
    assert!(durability(unknown, &[replica(1, 2, &[])]).is_empty());
}

#[test]
fn a_write_observed_by_a_read_must_survive_even_if_its_outcome_was_unknown() {
    let ops = vec![
        write(0, "k", "v1", 0, 10),
        write_info(1, "k", "v2", 20),
        read(2, "k", Some("v2"), 30, 40),
    ];
    let v = durability(ops.clone(), &[replica(1, 3, &[("k", "v1")])]);
    let v = only(&v, Property::Durability);
    assert_eq!(
        v.ops,
        [0, 1, 2],
        "the lost write, its observer and the stale holder"
    );
    assert!(v.message.contains("observed by read #2"), "{v}");
    assert!(durability(ops, &[replica(1, 3, &[("k", "v2")])]).is_empty());
}

#[test]
fn an_unobserved_unknown_write_may_be_lost() {
    let ops = vec![write(0, "k", "v1", 0, 10), write_info(1, "k", "v2", 20)];
    assert!(durability(ops, &[replica(1, 1, &[("k", "v1")])]).is_empty());
}

#[test]
fn a_concurrent_write_may_win_but_an_earlier_one_may_not() {
    let concurrent = vec![write(0, "k", "v1", 0, 10), write(1, "k", "v2", 5, 15)];
    assert!(durability(concurrent.clone(), &[replica(1, 2, &[("k", "v1")])]).is_empty());
    assert!(durability(concurrent, &[replica(1, 2, &[("k", "v2")])]).is_empty());
    // Completion equal to the invoke is not "before": the order is unknown.
    let touching = vec![write(0, "k", "v1", 0, 10), write(1, "k", "v2", 10, 15)];
    assert!(durability(touching, &[replica(1, 2, &[("k", "v1")])]).is_empty());
    let sequential = vec![write(0, "k", "v1", 0, 10), write(1, "k", "v2", 11, 15)];
    let v = durability(sequential, &[replica(1, 2, &[("k", "v1")])]);
    assert_eq!(only(&v, Property::Durability).ops, [0, 1]);
}

#[test]
fn an_unknown_write_may_follow_anything_invoked_before_it_took_effect() {
    // v2's client gave up at 11, but the write may apply after v3's.
    let ops = vec![
        Operation::info(
            0,
            Call::Write {
                key: key("k"),
                value: "v2".into(),
            },
            5,
            Some(11),
        ),
        write(1, "k", "v3", 20, 30),
    ];
    assert!(durability(ops, &[replica(1, 2, &[("k", "v2")])]).is_empty());
}

#[test]
fn phantom_values_are_reported() {
    let v = durability(
        vec![write(0, "k", "v1", 0, 10)],
        &[replica(1, 1, &[("k", "v1"), ("other", "zzz")])],
    );
    let v = only(&v, Property::Durability);
    assert_eq!(
        (v.keys.as_slice(), v.nodes.as_slice()),
        (&["other".to_string()][..], &[1][..])
    );
    assert!(
        v.ops.is_empty() && v.message.contains("no operation wrote it"),
        "{v}"
    );
    // A failed write's value, or a compare-and-set that did not apply, is a phantom too.
    let failed = vec![write_fail(0, "k", "v1", 0, 10)];
    assert_eq!(
        only(
            &durability(failed, &[replica(1, 1, &[("k", "v1")])]),
            Property::Durability
        )
        .ops,
        [0]
    );
    let not_applied = vec![cas(0, "k", "v0", "v1", false, 0, 10)];
    assert_eq!(
        only(
            &durability(not_applied, &[replica(1, 1, &[("k", "v1")])]),
            Property::Durability
        )
        .ops,
        [0]
    );
}

#[test]
fn an_applied_compare_and_set_is_an_acknowledged_write() {
    let ops = vec![
        write(0, "k", "v1", 0, 10),
        cas(1, "k", "v1", "v2", true, 20, 30),
    ];
    assert!(durability(ops.clone(), &[replica(1, 2, &[("k", "v2")])]).is_empty());
    assert_eq!(
        only(
            &durability(ops, &[replica(1, 2, &[("k", "v1")])]),
            Property::Durability
        )
        .ops,
        [0, 1]
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let check = |ops: Vec<Operation>, replicas: &[NodeObservation]| {
        check_durability(&History::new(ops), replicas)
    };
    assert_eq!(
        check(
            vec![write(0, "k", "v", 0, 1), write(1, "k", "v", 2, 3)],
            &[]
        ),
        Err(DurabilityError::DuplicateValue {
            key: "k".into(),
            value: "v".into(),
            first: 0,
            second: 1
        })
    );
    let keyless = Operation::ok(
        0,
        Call::Write {
            key: None,
            value: "v".into(),
        },
        0,
        1,
        Ret::Done,
    );
    assert_eq!(
        check(vec![keyless], &[]),
        Err(DurabilityError::NoKey {
            index: 0,
            function: "write"
        })
    );
    let append = Operation::ok(
        0,
        Call::Append {
            key: key("k"),
            value: "x".into(),
        },
        0,
        1,
        Ret::Done,
    );
    assert_eq!(
        check(vec![append], &[]),
        Err(DurabilityError::Unsupported {
            index: 0,
            function: "append"
        })
    );
    assert_eq!(
        check(vec![write(0, "k", "v", 5, 1)], &[]),
        Err(DurabilityError::TimeReversed {
            index: 0,
            invoke: 5,
            complete: 1
        })
    );
    assert_eq!(
        check(vec![], &[replica(1, 0, &[]), replica(1, 0, &[])]),
        Err(DurabilityError::Observation(
            ObservationError::DuplicateNode { node: 1 }
        ))
    );
}

proptest! {
    /// Every replica holding the state a real execution produced is clean (soundness: no
    /// false alarms on overlapping intervals, unknown outcomes and deletes).
    #[test]
    fn correct_executions_are_clean(specs in prop::collection::vec(op_spec(), 1..60), replicas in 1u64..4) {
        let exec = execution(&specs);
        let state = exec.final_state();
        let applied = Some(exec.effects.len() as u64);
        let replicas: Vec<NodeObservation> =
            (1..=replicas).map(|node| NodeObservation { node, last_applied: applied, state: state.clone(), collections: Default::default() }).collect();
        let violations = check_durability(&exec.history, &replicas).unwrap();
        prop_assert!(violations.is_empty(), "{:#?}\n{:#?}", violations, exec.history);
        // The generator itself is sound: its histories are linearizable.
        let report = check(&Register, &exec.history, &CheckOptions::every_partition().with_threads(1)).unwrap();
        prop_assert_eq!(report.verdict, Verdict::Ok, "{}", report);
    }

    /// Rolling one replica's key back to an acknowledged write that completed before the final
    /// (acknowledged) write was invoked is always reported, naming that write and replica.
    #[test]
    fn planted_rollback_fires(specs in prop::collection::vec(op_spec(), 1..60)) {
        let exec = execution(&specs);
        let state = exec.final_state();
        let acked = |i: usize| match &exec.history.ops[i] {
            Operation { call: Call::Write { key, value }, outcome: Outcome::Ok { complete, .. }, invoke, .. } => {
                Some((key.clone().unwrap_or_default(), value.clone(), *invoke, *complete))
            }
            _ => None,
        };
        // A final value written by an acknowledged write, and an older acknowledged write of
        // the same key that completed before it was invoked.
        let planted = state.iter().find_map(|(k, v)| {
            let last = (0..exec.history.len()).find(|&i| acked(i).is_some_and(|(wk, wv, _, _)| &wk == k && &wv == v))?;
            let (_, _, invoke, _) = acked(last)?;
            let older = (0..exec.history.len())
                .find(|&i| acked(i).is_some_and(|(wk, _, _, complete)| &wk == k && complete < invoke))?;
            Some((k.clone(), last, acked(older)?.1))
        });
        prop_assume!(planted.is_some());
        let (k, last, old_value) = planted.unwrap();
        let mut bad = state.clone();
        bad.insert(k.clone(), old_value);
        let replicas = [
            NodeObservation { node: 1, last_applied: None, state, collections: Default::default() },
            NodeObservation { node: 2, last_applied: None, state: bad, collections: Default::default() },
        ];
        let violations = check_durability(&exec.history, &replicas).unwrap();
        prop_assert_eq!(violations.len(), 1, "{:#?}", violations);
        prop_assert_eq!(&violations[0].nodes, &[2]);
        prop_assert_eq!(&violations[0].keys, &[k]);
        prop_assert!(violations[0].ops.contains(&last), "{:#?}", violations);
    }

    /// A planted phantom on one replica of a correct execution is always reported, on that
    /// replica alone.
    #[test]
    fn planted_phantom_fires(specs in prop::collection::vec(op_spec(), 1..60), key in 0usize..3) {
        let exec = execution(&specs);
        let state = exec.final_state();
        let mut bad = state.clone();
        bad.insert(format!("k{key}"), "phantom".to_string());
        let replicas = [
            NodeObservation { node: 1, last_applied: None, state, collections: Default::default() },
            NodeObservation { node: 2, last_applied: None, state: bad, collections: Default::default() },
        ];
        let violations = check_durability(&exec.history, &replicas).unwrap();
        prop_assert_eq!(violations.len(), 1, "{:#?}", violations);
        prop_assert_eq!(&violations[0].nodes, &[2]);
        prop_assert_eq!(&violations[0].keys, &[format!("k{key}")]);
    }
}
