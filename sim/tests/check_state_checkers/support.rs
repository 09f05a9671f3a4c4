//! Small constructors for hand-written histories, replicas and samples.

use std::collections::BTreeMap;

use faultline_sim::check::observation::{MetricsSample, NodeObservation, Role};
use faultline_sim::check::violation::{Property, Violation};
use faultline_sim::history::{Call, Operation, Ret};

pub fn key(k: &str) -> Option<String> {
    Some(k.to_string())
}

pub fn write(process: u64, k: &str, value: &str, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        process,
        Call::Write {
            key: key(k),
            value: value.to_string(),
        },
        invoke,
        complete,
        Ret::Done,
    )
}

pub fn write_info(process: u64, k: &str, value: &str, invoke: u64) -> Operation {
    Operation::info(
        process,
        Call::Write {
            key: key(k),
            value: value.to_string(),
        },
        invoke,
        None,
    )
}

pub fn write_fail(process: u64, k: &str, value: &str, invoke: u64, complete: u64) -> Operation {
    Operation::fail(
        process,
        Call::Write {
            key: key(k),
            value: value.to_string(),
        },
        invoke,
        complete,
    )
}

pub fn delete(process: u64, k: &str, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        process,
        Call::Delete { key: key(k) },
        invoke,
        complete,
        Ret::Done,
    )
}

pub fn delete_info(process: u64, k: &str, invoke: u64) -> Operation {
    Operation::info(
        process,
        Call::Delete { key: key(k) },
        invoke,
        Some(invoke + 1),
    )
}

pub fn read(process: u64, k: &str, value: Option<&str>, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        process,
        Call::Read { key: key(k) },
        invoke,
        complete,
        Ret::Read(value.map(str::to_string)),
    )
}

pub fn cas(
    process: u64,
    k: &str,
    from: &str,
    to: &str,
    applied: bool,
    invoke: u64,
    complete: u64,
) -> Operation {
    let call = Call::Cas {
        key: key(k),
        from: from.to_string(),
        to: to.to_string(),
    };
    Operation::ok(process, call, invoke, complete, Ret::Cas(applied))
}

pub fn replica(node: u64, applied: u64, state: &[(&str, &str)]) -> NodeObservation {
    let state: BTreeMap<String, String> = state
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    NodeObservation {
        node,
        last_applied: Some(applied),
        state,
        collections: BTreeMap::new(),
    }
}

/// A sample with the given term, role and leader; counters left empty.
pub fn sample(at: u64, node: u64, term: u64, role: Role, leader: Option<u64>) -> MetricsSample {
    MetricsSample {
        at,
        node,
        term,
        role,
        leader,
        last_log_index: None,
        last_applied: None,
    }
}

/// The only violation, asserting there is exactly one and it is of `property`.
pub fn only(violations: &[Violation], property: Property) -> &Violation {
    assert_eq!(
        violations.len(),
        1,
        "expected one {property} violation, got {violations:#?}"
    );
    assert_eq!(violations[0].property, property, "{violations:#?}");
    &violations[0]
}
