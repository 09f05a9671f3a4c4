//! The state checkers: each one fires on a planted violation (lost acked write, phantom value,
//! an engine that loses what it acknowledged, a refused create of a fresh name, a Raft log store
//! that brings back truncated entries, divergent replicas, no leader after healing, and —
//! through the linearizability wrapper — a stale read), naming the property, operations and
//! nodes involved; and each stays silent on correct inputs, generated with proptest where inputs
//! vary. (The Raft invariants have their own suite, `check_raft`.)

#[path = "check_state_checkers/catalog.rs"]
mod catalog;
#[path = "check_state_checkers/convergence.rs"]
mod convergence;
#[path = "check_state_checkers/durability.rs"]
mod durability;
#[path = "check_state_checkers/engine_durability.rs"]
mod engine_durability;
#[path = "check_state_checkers/gen_register.rs"]
mod gen_register;
#[path = "check_state_checkers/liveness.rs"]
mod liveness;
#[path = "check_state_checkers/log_durability.rs"]
mod log_durability;
#[path = "check_state_checkers/support.rs"]
mod support;

use faultline_sim::check::models::Register;
use faultline_sim::check::violation::{Property, Violation};
use faultline_sim::check::{CheckOptions, check};
use faultline_sim::history::History;

use support::{read, write};

/// A write acknowledged after an earlier one completed, lost on one replica: the JSON a
/// `verdict.json` carries for it.
#[test]
fn durability_violation_renders_as_json() {
    let history = History::new(vec![
        write(0, "k", "v1", 0, 10),
        write(1, "k", "v2", 20, 30),
    ]);
    let replicas = [
        support::replica(1, 2, &[("k", "v2")]),
        support::replica(2, 2, &[("k", "v1")]),
    ];
    let violations =
        faultline_sim::check::durability::check_durability(&history, &replicas).unwrap();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    insta::assert_json_snapshot!(violations[0]);
    let back: Violation =
        serde_json::from_value(serde_json::to_value(&violations[0]).unwrap()).unwrap();
    assert_eq!(
        back, violations[0],
        "a violation survives a JSON round trip"
    );
}

/// A read that returns a value overwritten before it was invoked is a stale read; the
/// linearizability report becomes a violation naming that read.
#[test]
fn stale_read_becomes_a_linearizability_violation() {
    let history = History::new(vec![
        write(0, "k", "v1", 0, 10),
        write(0, "k", "v2", 20, 30),
        read(1, "k", Some("v1"), 40, 50),
    ]);
    let report = check(&Register, &history, &CheckOptions::every_partition()).unwrap();
    let violations = Violation::from_linearizability(&report);
    assert_eq!(violations.len(), 1, "{report}");
    let v = &violations[0];
    assert_eq!(v.property, Property::Linearizability);
    assert!(v.ops.contains(&2), "the stale read is named: {v}");
    assert_eq!(v.keys, ["k"]);
    assert!(
        v.detail
            .as_deref()
            .is_some_and(|d| d.contains("could not be placed")),
        "{v}"
    );
}

#[test]
fn linearizable_report_yields_no_violation() {
    let history = History::new(vec![
        write(0, "k", "v1", 0, 10),
        write(0, "k", "v2", 20, 30),
        read(1, "k", Some("v2"), 40, 50),
    ]);
    let report = check(&Register, &history, &CheckOptions::every_partition()).unwrap();
    assert!(
        Violation::from_linearizability(&report).is_empty(),
        "{report}"
    );
}

#[test]
fn property_names_are_stable() {
    let json = serde_json::to_string(&Property::ElectionSafety).unwrap();
    assert_eq!(json, "\"election-safety\"");
    assert_eq!(
        Property::StateMachineSafety.to_string(),
        "state-machine-safety"
    );
}
