//! Acceptance 2 (textbook cases): small histories whose verdicts are known by hand, including
//! the `info` subtleties, for each model, plus first-failure mode and input validation.

mod check_support;

use check_support::{Kind, validate};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::{
    CheckError, CheckOptions, Model, PartitionVerdict, Report, Verdict, check,
};
use faultline_sim::history::{Call, History, Operation, Ret};

fn w(p: u64, v: &str, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        p,
        Call::Write {
            key: None,
            value: v.into(),
        },
        invoke,
        complete,
        Ret::Done,
    )
}

fn w_info(p: u64, v: &str, invoke: u64) -> Operation {
    Operation::info(
        p,
        Call::Write {
            key: None,
            value: v.into(),
        },
        invoke,
        None,
    )
}

fn r(p: u64, v: Option<&str>, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        p,
        Call::Read { key: None },
        invoke,
        complete,
        Ret::Read(v.map(str::to_string)),
    )
}

fn cas(p: u64, from: &str, to: &str, invoke: u64, complete: u64, applied: bool) -> Operation {
    Operation::ok(
        p,
        Call::Cas {
            key: None,
            from: from.into(),
            to: to.into(),
        },
        invoke,
        complete,
        Ret::Cas(applied),
    )
}

fn run<M: Model<Call = Call, Ret = Ret>>(model: &M, ops: Vec<Operation>) -> (History, Report) {
    let history = History::new(ops);
    let report = check(model, &history, &CheckOptions::every_partition()).expect("well-formed");
    (history, report)
}

/// The single partition's linearization, validated against the naive semantics.
fn linearization(kind: Kind, history: &History, report: &Report) -> Vec<usize> {
    assert_eq!(report.verdict, Verdict::Ok, "{report}");
    let PartitionVerdict::Ok { linearization } = &report.partitions[0].verdict else {
        unreachable!()
    };
    validate(kind, history, linearization).expect("the returned linearization replays");
    linearization.clone()
}

fn assert_illegal_naming(report: &Report, index: usize) {
    assert_eq!(report.verdict, Verdict::Illegal, "{report}");
    let cex = report.counterexamples().next().expect("counterexample");
    assert!(
        cex.names(index),
        "operation {index} should be named:\n{cex}"
    );
}

#[test]
fn stale_read_after_a_completed_write_is_illegal() {
    let (_, report) = run(
        &Register,
        vec![w(0, "1", 0, 1), w(1, "2", 2, 3), r(2, Some("1"), 4, 5)],
    );
    assert_illegal_naming(&report, 2);
}

#[test]
fn read_of_a_value_never_written_is_illegal() {
    let (_, report) = run(&Register, vec![w(0, "1", 0, 1), r(1, Some("7"), 2, 3)]);
    assert_illegal_naming(&report, 1);
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    let ops = vec![w(0, "1", 0, 10), r(1, None, 1, 2), r(2, Some("1"), 3, 4)];
    let (history, report) = run(&Register, ops);
    assert_eq!(
        linearization(Kind::Register, &history, &report),
        vec![1, 0, 2]
    );
}

#[test]
fn an_indeterminate_write_may_appear_late_and_lose_a_completed_update() {
    // The info write of 1 takes effect after the acknowledged write of 2 was read: write 2 is
    // lost, but that is allowed — an indeterminate operation may take effect at any time after
    // its invoke. Linearizable, with the info write placed between the two reads.
    let ops = vec![
        w_info(0, "1", 0),
        w(1, "2", 1, 2),
        r(2, Some("2"), 3, 4),
        r(3, Some("1"), 5, 6),
    ];
    let (history, report) = run(&Register, ops);
    assert_eq!(
        linearization(Kind::Register, &history, &report),
        vec![1, 2, 0, 3]
    );
}

#[test]
fn an_indeterminate_write_cannot_be_seen_before_its_invoke() {
    let ops = vec![r(0, Some("1"), 0, 1), w_info(1, "1", 2)];
    let (_, report) = run(&Register, ops);
    assert_illegal_naming(&report, 0);
}

#[test]
fn an_indeterminate_write_takes_effect_at_most_once() {
    // Reading 1 after write 2 completed places the info write after write 2; reading 2 again
    // would need write 2 to happen twice.
    let ops = vec![
        w_info(0, "1", 0),
        w(1, "2", 1, 2),
        r(2, Some("1"), 3, 4),
        r(3, Some("2"), 5, 6),
    ];
    let (_, report) = run(&Register, ops);
    assert_illegal_naming(&report, 3);
}

#[test]
fn a_failed_write_is_never_seen() {
    let ops = vec![
        Operation::fail(
            0,
            Call::Write {
                key: None,
                value: "1".into(),
            },
            0,
            1,
        ),
        r(1, Some("1"), 2, 3),
    ];
    let (_, report) = run(&Register, ops);
    assert_illegal_naming(&report, 1);
}

#[test]
fn delete_reads_as_none() {
    let ops = vec![
        w(0, "1", 0, 1),
        Operation::ok(1, Call::Delete { key: None }, 2, 3, Ret::Done),
        r(2, None, 4, 5),
        r(3, Some("1"), 6, 7),
    ];
    let (_, report) = run(&Register, ops);
    assert_illegal_naming(&report, 3);
}

#[test]
fn two_cas_from_the_same_value_cannot_both_apply() {
    let ops = vec![
        w(0, "0", 0, 1),
        cas(1, "0", "1", 2, 5, true),
        cas(2, "0", "2", 3, 6, true),
    ];
    let (_, report) = run(&CasRegister, ops);
    assert_eq!(report.verdict, Verdict::Illegal, "{report}");
}

#[test]
fn a_cas_that_did_not_apply_saw_a_different_value() {
    let illegal = vec![w(0, "0", 0, 1), cas(1, "0", "1", 2, 3, false)];
    assert_illegal_naming(&run(&CasRegister, illegal).1, 1);
    // With a concurrent write of another value, "differed" is explained.
    let ok = vec![
        w(0, "0", 0, 1),
        w(2, "5", 2, 6),
        cas(1, "0", "1", 2, 3, false),
    ];
    let (history, report) = run(&CasRegister, ok);
    assert_eq!(
        linearization(Kind::CasRegister, &history, &report),
        vec![0, 1, 2]
    );
}

#[test]
fn an_indeterminate_cas_may_apply_late() {
    let ops = vec![
        w(0, "0", 0, 1),
        Operation::info(
            1,
            Call::Cas {
                key: None,
                from: "0".into(),
                to: "1".into(),
            },
            2,
            Some(3),
        ),
        r(2, Some("0"), 4, 5),
        r(3, Some("1"), 6, 7),
    ];
    let (history, report) = run(&CasRegister, ops);
    assert_eq!(
        linearization(Kind::CasRegister, &history, &report),
        vec![0, 2, 1, 3]
    );
}

fn append(p: u64, v: &str, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        p,
        Call::Append {
            key: Some("k".into()),
            value: v.into(),
        },
        invoke,
        complete,
        Ret::Done,
    )
}

fn get(p: u64, v: &str, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        p,
        Call::Read {
            key: Some("k".into()),
        },
        invoke,
        complete,
        Ret::Read(Some(v.into())),
    )
}

#[test]
fn concurrent_appends_take_one_order_for_everyone() {
    let agree = vec![
        append(0, "a", 0, 10),
        append(1, "b", 0, 10),
        get(2, "ba", 11, 12),
        get(3, "ba", 13, 14),
    ];
    let (history, report) = run(&AppendKv, agree);
    let order = linearization(Kind::AppendKv, &history, &report);
    assert_eq!(
        &order[..2],
        &[1, 0],
        "the appends are reported in the order the reads saw"
    );
    let disagree = vec![
        append(0, "a", 0, 10),
        append(1, "b", 0, 10),
        get(2, "ab", 11, 12),
        get(3, "ba", 13, 14),
    ];
    assert_illegal_naming(&run(&AppendKv, disagree).1, 3);
}

#[test]
fn appends_respect_real_time_even_unobserved_in_between() {
    // "b" was appended after "a" completed, so no read may see "ba".
    let ops = vec![
        append(0, "a", 0, 1),
        append(1, "b", 2, 3),
        get(2, "ba", 4, 5),
    ];
    assert_illegal_naming(&run(&AppendKv, ops).1, 2);
}

#[test]
fn a_missing_key_reads_empty_in_append_kv() {
    let ops = vec![
        Operation::ok(
            0,
            Call::Read {
                key: Some("k".into()),
            },
            0,
            1,
            Ret::Read(None),
        ),
        get(1, "", 2, 3),
    ];
    assert_eq!(run(&AppendKv, ops).1.verdict, Verdict::Ok);
}

#[test]
fn first_failure_mode_stops_after_one_illegal_key() {
    let bad = |key: &str, base: u64| {
        vec![
            Operation::ok(
                0,
                Call::Write {
                    key: Some(key.into()),
                    value: "1".into(),
                },
                base,
                base + 1,
                Ret::Done,
            ),
            Operation::ok(
                1,
                Call::Read {
                    key: Some(key.into()),
                },
                base + 2,
                base + 3,
                Ret::Read(Some("2".into())),
            ),
        ]
    };
    let history: History = bad("a", 0).into_iter().chain(bad("b", 10)).collect();
    let first = check(
        &Register,
        &history,
        &CheckOptions::first_failure().with_threads(1),
    )
    .expect("well-formed");
    assert_eq!(first.verdict, Verdict::Illegal);
    assert_eq!(first.counterexamples().count(), 1);
    assert!(
        first
            .partitions
            .iter()
            .any(|p| p.verdict == PartitionVerdict::Skipped),
        "{first}"
    );
    let every = check(
        &Register,
        &history,
        &CheckOptions::every_partition().with_threads(1),
    )
    .expect("well-formed");
    assert_eq!(every.counterexamples().count(), 2);
}

#[test]
fn unsupported_operations_and_reversed_times_are_errors() {
    let history = History::new(vec![w(0, "0", 0, 1), cas(1, "0", "1", 2, 3, true)]);
    let err = check(&Register, &history, &CheckOptions::default()).unwrap_err();
    assert!(matches!(err, CheckError::Model { index: 1, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "operation 1: model register does not support `cas`"
    );
    let history = History::new(vec![w(0, "0", 5, 1)]);
    let err = check(&Register, &history, &CheckOptions::default()).unwrap_err();
    assert_eq!(
        err,
        CheckError::TimeReversed {
            index: 0,
            invoke: 5,
            complete: 1
        }
    );
    let history = History::new(vec![Operation::ok(
        0,
        Call::Read { key: None },
        0,
        1,
        Ret::Done,
    )]);
    assert!(matches!(
        check(&Register, &history, &CheckOptions::default()),
        Err(CheckError::Model { index: 0, .. })
    ));
}
