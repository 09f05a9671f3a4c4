//! The text rendering of a counterexample, pinned by a snapshot: what a person reading a
//! failed check sees (the prefix's tail, the state after it, and what could not come next).

use faultline_sim::check::models::AppendKv;
use faultline_sim::check::{CheckOptions, check};
use faultline_sim::history::{Call, History, Operation, Ret};

#[test]
fn append_kv_counterexample_renders() {
    let key = || Some("k".to_string());
    let history = History::new(vec![
        Operation::ok(
            0,
            Call::Write {
                key: key(),
                value: "a".into(),
            },
            0,
            2,
            Ret::Done,
        ),
        Operation::ok(
            1,
            Call::Append {
                key: key(),
                value: "b".into(),
            },
            3,
            9,
            Ret::Done,
        ),
        Operation::ok(
            2,
            Call::Append {
                key: key(),
                value: "c".into(),
            },
            4,
            8,
            Ret::Done,
        ),
        Operation::ok(
            0,
            Call::Read { key: key() },
            10,
            11,
            Ret::Read(Some("acb".into())),
        ),
        Operation::ok(
            3,
            Call::Read { key: key() },
            12,
            13,
            Ret::Read(Some("abc".into())),
        ),
        Operation::info(
            1,
            Call::Append {
                key: key(),
                value: "d".into(),
            },
            14,
            None,
        ),
    ]);
    let report = check(&AppendKv, &history, &CheckOptions::default()).expect("well-formed");
    let cex = report.counterexamples().next().expect("illegal");
    insta::assert_snapshot!(cex.to_string());
}
