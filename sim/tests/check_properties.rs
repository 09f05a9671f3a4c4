//! Acceptance 2 (properties): histories produced by a real sequential execution of each model,
//! with random overlapping intervals and random `fail` / `info` outcomes, are always `ok` with
//! a linearization that replays; changing one read's result to a value no linearization allows
//! makes the verdict `illegal` with a counterexample naming that read; and on tiny random
//! histories (mostly not linearizable) the checker agrees with a brute-force search over every
//! order. Case counts are modest by default; set `PROPTEST_CASES` for more.

mod check_support;

use check_support::{Kind, brute_force, validate, validate_key};
use faultline_sim::check::generate::{GenModel, GenSpec, generate};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::{CheckOptions, PartitionVerdict, Report, Verdict, check};
use faultline_sim::history::{Call, History, Operation, Outcome, Ret};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kind_of(model: GenModel) -> Kind {
    match model {
        GenModel::Register => Kind::Register,
        GenModel::CasRegister => Kind::CasRegister,
        GenModel::AppendKv => Kind::AppendKv,
    }
}

fn run(kind: Kind, history: &History) -> Report {
    let options = CheckOptions::every_partition();
    match kind {
        Kind::Register => check(&Register, history, &options),
        Kind::CasRegister => check(&CasRegister, history, &options),
        Kind::AppendKv => check(&AppendKv, history, &options),
    }
    .expect("well-formed history")
}

fn gen_model() -> impl Strategy<Value = GenModel> {
    prop_oneof![
        Just(GenModel::Register),
        Just(GenModel::CasRegister),
        Just(GenModel::AppendKv)
    ]
}

prop_compose! {
    fn spec()(
        model in gen_model(),
        ops in 1usize..250,
        processes in 1usize..12,
        keys in 1usize..4,
        fail_percent in 0u32..15,
        info_percent in 0u32..15,
        max_duration in 1u64..30,
        seed in any::<u64>(),
    ) -> GenSpec {
        GenSpec { model, ops, processes, keys, fail_percent, info_percent, max_duration, seed }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(96)))]

    #[test]
    fn executions_are_linearizable(spec in spec()) {
        let history = generate(&spec);
        let kind = kind_of(spec.model);
        let report = run(kind, &history);
        prop_assert_eq!(report.verdict, Verdict::Ok, "{}", report);
        for p in &report.partitions {
            let PartitionVerdict::Ok { linearization } = &p.verdict else { unreachable!() };
            let key = history.ops.iter().find(|o| o.call.key().is_some_and(|k| k == p.key)).and_then(|o| o.call.key());
            if let Err(e) = validate_key(kind, &history, key, linearization) {
                prop_assert!(false, "key {}: {}", p.key, e);
            }
        }
    }

    #[test]
    fn a_read_of_an_impossible_value_is_illegal_and_named(spec in spec(), pick in any::<prop::sample::Index>()) {
        let mut history = generate(&spec);
        let reads: Vec<usize> = history.ops.iter().enumerate()
            .filter(|(_, o)| matches!(o.outcome, Outcome::Ok { ret: Ret::Read(_), .. }))
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!reads.is_empty());
        let victim = *pick.get(&reads);
        if let Outcome::Ok { ret, .. } = &mut history.ops[victim].outcome {
            *ret = Ret::Read(Some("never-written".to_string()));
        }
        let report = run(kind_of(spec.model), &history);
        prop_assert_eq!(report.verdict, Verdict::Illegal, "{}", report);
        let key = history.ops[victim].call.key().unwrap_or("(single object)");
        let cex = report.counterexamples().find(|c| c.key == key).expect("the victim's key is illegal");
        prop_assert!(cex.names(victim), "counterexample does not name operation {}:\n{}", victim, cex);
    }
}

/// A tiny random history: few operations, few values, arbitrary results and outcomes, so
/// most are not linearizable and every corner (equal times, info, fail, cas, ambiguous
/// appends) comes up.
fn tiny(kind: Kind, max_ops: usize, two_keys: bool) -> impl Strategy<Value = History> {
    let values = prop::sample::select(vec!["1", "2", "12"]);
    let call = (0u8..4, prop::bool::ANY, values.clone(), values.clone()).prop_map(
        move |(f, second_key, a, b)| {
            let key = Some(if second_key && two_keys { "b" } else { "a" }.to_string());
            match (kind, f) {
                (_, 0) => Call::Read { key },
                (Kind::AppendKv, 1) => Call::Append {
                    key,
                    value: a.to_string(),
                },
                (Kind::CasRegister, 1) => Call::Cas {
                    key,
                    from: a.to_string(),
                    to: b.to_string(),
                },
                (Kind::AppendKv | Kind::Register, 2) => Call::Delete { key },
                _ => Call::Write {
                    key,
                    value: a.to_string(),
                },
            }
        },
    );
    let read_values = prop::sample::select(vec![
        None,
        Some(""),
        Some("1"),
        Some("2"),
        Some("12"),
        Some("21"),
        Some("121"),
    ]);
    let op = (
        call,
        0u64..8,
        0u64..5,
        0u8..10,
        read_values,
        prop::bool::ANY,
    )
        .prop_map(|(call, invoke, duration, outcome, seen, applied)| {
            let complete = invoke + duration;
            let ret = match &call {
                Call::Read { .. } => Ret::Read(seen.map(str::to_string)),
                Call::Cas { .. } => Ret::Cas(applied),
                _ => Ret::Done,
            };
            let outcome = match outcome {
                0 => Outcome::Fail { complete },
                1 | 2 => Outcome::Info { complete: None },
                _ => Outcome::Ok { complete, ret },
            };
            (call, invoke, outcome)
        });
    prop::collection::vec(op, 1..max_ops).prop_map(|ops| {
        ops.into_iter()
            .enumerate()
            .map(|(p, (call, invoke, outcome))| Operation {
                process: p as u64,
                call,
                invoke,
                outcome,
            })
            .collect()
    })
}

fn agrees_with_brute_force(kind: Kind, history: &History) -> Result<(), TestCaseError> {
    let report = run(kind, history);
    let expected = brute_force(kind, history);
    prop_assert_eq!(
        report.verdict == Verdict::Ok,
        expected,
        "brute force says {}; checker:\n{}\n{:?}",
        expected,
        report,
        history
    );
    prop_assert_ne!(report.verdict, Verdict::Unknown);
    if report.verdict == Verdict::Ok {
        // Keys are independent, so the partitions' orders concatenated replay the whole history
        // (real time across keys is not checked by this concatenation, so check per key).
        for p in &report.partitions {
            let PartitionVerdict::Ok { linearization } = &p.verdict else {
                unreachable!()
            };
            if let Err(e) = validate_key(kind, history, Some(p.key.as_str()), linearization) {
                prop_assert!(false, "key {}: {}\n{:?}", p.key, e, history);
            }
        }
    }
    Ok(())
}

/// A tiny append-KV history on one key: appends of strings that are prefixes of one another
/// (so a read can often be spelled in several ways), puts, and reads of random concatenations
/// — the symbolic state's hardest cases.
fn tiny_appends() -> impl Strategy<Value = History> {
    let token = prop::sample::select(vec!["1", "2", "12"]);
    let seen = prop::collection::vec(token.clone(), 0..4).prop_map(|t| t.concat());
    let op = (0u8..6, token, seen, 0u64..8, 0u64..5, 0u8..10).prop_map(
        |(f, t, seen, invoke, duration, outcome)| {
            let key = Some("k".to_string());
            let (call, ret) = match f {
                0 | 1 => (Call::Read { key }, Ret::Read(Some(seen))),
                2 => (
                    Call::Write {
                        key,
                        value: t.to_string(),
                    },
                    Ret::Done,
                ),
                _ => (
                    Call::Append {
                        key,
                        value: t.to_string(),
                    },
                    Ret::Done,
                ),
            };
            let complete = invoke + duration;
            let outcome = match outcome {
                0 => Outcome::Fail { complete },
                1 => Outcome::Info { complete: None },
                _ => Outcome::Ok { complete, ret },
            };
            (call, invoke, outcome)
        },
    );
    prop::collection::vec(op, 1..9).prop_map(|ops| {
        ops.into_iter()
            .enumerate()
            .map(|(p, (call, invoke, outcome))| Operation {
                process: p as u64,
                call,
                invoke,
                outcome,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(400)))]

    #[test]
    fn append_kv_with_ambiguous_appends_matches_brute_force(history in tiny_appends()) {
        agrees_with_brute_force(Kind::AppendKv, &history)?;
    }

    #[test]
    fn register_matches_brute_force(history in tiny(Kind::Register, 7, true)) {
        agrees_with_brute_force(Kind::Register, &history)?;
    }

    #[test]
    fn register_one_key_matches_brute_force(history in tiny(Kind::Register, 9, false)) {
        agrees_with_brute_force(Kind::Register, &history)?;
    }

    #[test]
    fn cas_register_one_key_matches_brute_force(history in tiny(Kind::CasRegister, 9, false)) {
        agrees_with_brute_force(Kind::CasRegister, &history)?;
    }

    #[test]
    fn cas_register_matches_brute_force(history in tiny(Kind::CasRegister, 7, true)) {
        agrees_with_brute_force(Kind::CasRegister, &history)?;
    }

    #[test]
    fn append_kv_matches_brute_force(history in tiny(Kind::AppendKv, 7, true)) {
        agrees_with_brute_force(Kind::AppendKv, &history)?;
    }
}

#[test]
fn validator_rejects_a_wrong_order() {
    // The support validator itself must be able to fail, or the property above proves nothing.
    let history = History::new(vec![
        Operation::ok(
            0,
            Call::Write {
                key: None,
                value: "1".into(),
            },
            0,
            1,
            Ret::Done,
        ),
        Operation::ok(
            1,
            Call::Read { key: None },
            2,
            3,
            Ret::Read(Some("1".into())),
        ),
    ]);
    assert!(validate(Kind::Register, &history, &[0, 1]).is_ok());
    assert!(validate(Kind::Register, &history, &[1, 0]).is_err());
    assert!(validate(Kind::Register, &history, &[0]).is_err());
}
