//! Acceptance 4: a pathological history — many concurrent indeterminate writes and reads,
//! where every subset of (write, read) pairs is a reachable configuration — makes the search
//! space exponential. Within a budget the checker answers `unknown` (never a guess) and its memo
//! table stays within the memory budget; a small instance of the same shape is decided, so it is
//! the budget that stops the big one.

use std::time::Duration;

use faultline_sim::check::models::Register;
use faultline_sim::check::{
    Budget, CheckOptions, Exhausted, PartitionVerdict, Report, Verdict, check,
};
use faultline_sim::history::{Call, History, Operation, Ret};

/// `pairs` indeterminate writes of distinct values and `pairs` reads, one seeing each value,
/// all concurrent; then a read of a value nobody wrote. Each read must directly follow its
/// write, in any order of the pairs, so before reaching the impossible read the search meets
/// every subset of pairs: 2^pairs configurations.
fn pathological(pairs: u64) -> History {
    let mut ops = Vec::new();
    for i in 0..pairs {
        ops.push(Operation::info(
            2 * i,
            Call::Write {
                key: None,
                value: format!("w{i}"),
            },
            i,
            None,
        ));
        let seen = Ret::Read(Some(format!("w{i}")));
        ops.push(Operation::ok(
            2 * i + 1,
            Call::Read { key: None },
            i,
            1_000,
            seen,
        ));
    }
    let never = Ret::Read(Some("never written".to_string()));
    ops.push(Operation::ok(
        2 * pairs,
        Call::Read { key: None },
        1_001,
        1_002,
        never,
    ));
    History::new(ops)
}

fn run(history: &History, budget: Budget) -> Report {
    check(
        &Register,
        history,
        &CheckOptions::every_partition().with_budget(budget),
    )
    .expect("well-formed")
}

fn exhausted(report: &Report) -> Exhausted {
    match report.partitions[0].verdict {
        PartitionVerdict::Unknown { exhausted } => exhausted,
        ref other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn a_small_instance_is_decided() {
    let report = run(&pathological(6), Budget::default());
    assert_eq!(report.verdict, Verdict::Illegal, "{report}");
}

#[test]
fn memory_budget_yields_unknown_within_the_budget() {
    let limit = 4 << 20;
    let report = run(
        &pathological(40),
        Budget::unlimited().with_memo_bytes(limit),
    );
    assert_eq!(report.verdict, Verdict::Unknown, "{report}");
    assert_eq!(exhausted(&report), Exhausted::Memory { limit_bytes: limit });
    // The table may pass the limit by at most the growth step that crossed it.
    let peak = report.partitions[0].stats.memo_bytes;
    assert!(peak <= 3 * limit as u64, "memo table grew to {peak} bytes");
    assert_eq!(
        report.counterexamples().count(),
        0,
        "unknown never comes with a counterexample"
    );
}

#[test]
fn step_budget_yields_unknown() {
    let report = run(&pathological(40), Budget::unlimited().with_steps(50_000));
    assert_eq!(exhausted(&report), Exhausted::Steps { limit: 50_000 });
    assert!(report.partitions[0].stats.steps <= 50_001);
}

#[test]
fn time_budget_yields_unknown() {
    let report = run(
        &pathological(40),
        Budget::unlimited().with_time(Duration::from_millis(100)),
    );
    assert_eq!(exhausted(&report), Exhausted::Time { limit_ms: 100 });
}

#[test]
fn the_default_budget_bounds_memory() {
    // No explicit budget: the default memo limit still ends the search with `unknown`.
    assert!(Budget::default().max_memo_bytes.is_some());
}
