//! Acceptance 1: the six Porcupine key-value histories get their documented verdicts, in
//! first-failure mode and in check-every-key mode, and `c50-bad` is decided for every key.
//! The data is Porcupine's own test data, copied into `tests/data/porcupine/` (MIT licence).

mod check_support;

use std::path::PathBuf;

use check_support::{Kind, validate_key};

use faultline_sim::check::models::AppendKv;
use faultline_sim::check::read::read_edn_kv;
use faultline_sim::check::{CheckOptions, PartitionVerdict, Report, Verdict, check};
use faultline_sim::history::History;

/// File, documented verdict, and operation count (from the data's README).
const FILES: [(&str, Verdict, usize); 6] = [
    ("c01-ok", Verdict::Ok, 58),
    ("c01-bad", Verdict::Illegal, 38),
    ("c10-ok", Verdict::Ok, 337),
    ("c10-bad", Verdict::Illegal, 405),
    ("c50-ok", Verdict::Ok, 1712),
    ("c50-bad", Verdict::Illegal, 2024),
];

fn load(name: &str) -> History {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "porcupine",
        &format!("{name}.txt"),
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    read_edn_kv(&text).unwrap_or_else(|e| panic!("parsing {name}: {e}"))
}

fn run(name: &str, options: &CheckOptions) -> Report {
    check(&AppendKv, &load(name), options).unwrap_or_else(|e| panic!("checking {name}: {e}"))
}

#[test]
fn files_parse_to_the_documented_operation_counts() {
    for (name, _, ops) in FILES {
        let history = load(name);
        assert_eq!(history.len(), ops, "{name}");
        // Every call completes in these files.
        assert!(
            history.ops.iter().all(|o| o.outcome.ret().is_some()),
            "{name}"
        );
    }
}

#[test]
fn documented_verdicts_in_first_failure_mode() {
    for (name, expected, _) in FILES {
        let report = run(name, &CheckOptions::first_failure());
        assert_eq!(report.verdict, expected, "{name}:\n{report}");
        if expected == Verdict::Illegal {
            let cex = report
                .counterexamples()
                .next()
                .expect("an illegal verdict carries a counterexample");
            assert!(
                !cex.stuck.is_empty(),
                "{name}: the counterexample names the operations that could not be placed"
            );
        }
    }
}

#[test]
fn documented_verdicts_checking_every_key() {
    for (name, expected, _) in FILES {
        let history = load(name);
        let report =
            check(&AppendKv, &history, &CheckOptions::every_partition()).expect("well-formed");
        assert_eq!(report.verdict, expected, "{name}:\n{report}");
        // Every key decided: nothing unknown, nothing skipped (for c50-bad this is what
        // Porcupine cannot do).
        assert_eq!(
            report.decided(),
            report.partitions.len(),
            "{name}:\n{report}"
        );
        for p in &report.partitions {
            match &p.verdict {
                PartitionVerdict::Ok { linearization } => {
                    // An ok key comes with a linearization that replays.
                    validate_key(
                        Kind::AppendKv,
                        &history,
                        Some(p.key.as_str()),
                        linearization,
                    )
                    .unwrap_or_else(|e| panic!("{name} key {}: {e}", p.key));
                }
                PartitionVerdict::Illegal { counterexample } => {
                    assert_eq!(counterexample.key, p.key);
                    assert!(!counterexample.stuck.is_empty(), "{name} key {}", p.key);
                }
                other => panic!("{name} key {}: {other:?}", p.key),
            }
        }
    }
}

#[test]
fn c50_bad_has_an_illegal_key_zero_and_nine() {
    // The two keys Porcupine cannot finish in 120 s are decided, both illegal.
    let report = run("c50-bad", &CheckOptions::every_partition());
    for key in ["0", "9"] {
        let p = report.partition(key).expect("key present");
        assert!(
            matches!(p.verdict, PartitionVerdict::Illegal { .. }),
            "key {key}: {p}"
        );
    }
}
