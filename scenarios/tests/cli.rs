//! The `faultline` binary end to end: usage errors exit 2 with a clear message, `plan` prints
//! a plan `repro --plan` accepts, `repro` writes the four report files, a fresh-process
//! replay gives the same trace hash as a run in this process, and `bench` prints its CPU ratio.

use std::process::{Command, Output};

use faultline_scenarios::catalog;
use faultline_scenarios::fresh::replay_fresh;
use faultline_sim::run::run_plan;

const EXE: &str = env!("CARGO_BIN_EXE_faultline");

fn faultline(args: &[&str]) -> Output {
    Command::new(EXE).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["run", "--scenario", "nope", "--seeds", "3"],
            "unknown scenario \"nope\"",
        ),
        (
            &["run", "--scenario", "all", "--seeds", "5..2"],
            "the range is empty",
        ),
        (
            &["run", "--scenario", "all", "--seeds", "x"],
            "not a non-negative integer",
        ),
        (
            &["repro", "--scenario", "partition", "--seed=-1"],
            "invalid value",
        ),
        (
            &["fuzz", "--duration", "10", "--shard", "0/1"],
            "expected a number and a unit",
        ),
        (
            &["fuzz", "--duration", "1s", "--shard", "2/2"],
            "not below the count",
        ),
        (
            &["plan", "--scenario", "leader_kill", "--seed", "1"],
            "valid scenarios",
        ),
    ];
    for (args, needle) in cases {
        let o = faultline(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn plan_then_repro_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = faultline(&["plan", "--scenario", "minority-write", "--seed", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan_file = dir.path().join("plan.json");
    std::fs::write(&plan_file, &o.stdout).unwrap();
    let reports = dir.path().join("reports");
    let o = faultline(&[
        "repro",
        "--plan",
        plan_file.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let verdict: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(verdict["status"], "pass");
    assert_eq!(verdict["seed"], 5);
    let report = reports.join("minority-write").join("5");
    for file in [
        "plan.json",
        "history.jsonl",
        "trace.log",
        "observations.jsonl",
        "verdict.json",
    ] {
        assert!(report.join(file).is_file(), "missing {file}");
    }
    // The same seed by name replays to the same trace.
    let again = faultline(&[
        "repro",
        "--scenario",
        "minority-write",
        "--seed",
        "5",
        "--reports",
        reports.to_str().unwrap(),
        "--json",
    ]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["trace_hash"], verdict["trace_hash"]);
}

#[test]
fn fresh_process_replay_matches_this_process() {
    let plan = catalog::find("crash-restart").unwrap().plan(3);
    let here = run_plan(&plan);
    let there = replay_fresh(EXE.as_ref(), &plan).unwrap();
    assert_eq!(there.trace_hash, here.verdict.trace_hash);
    assert_eq!(there.trace, here.transcript());
    assert_eq!(there.ok, here.verdict.passed());
}

#[test]
fn run_with_determinism_check_passes_and_prints_the_table() {
    let o = faultline(&[
        "run",
        "--scenario",
        "partition",
        "--seeds",
        "1..3",
        "--jobs",
        "2",
        "--check-determinism",
        "--fresh-every",
        "2",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("sim-s/wall-s"), "{out}");
    assert!(out.contains("partition"), "{out}");
}

#[test]
fn bench_with_one_seed_exits_0_and_prints_the_cpu_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let o = faultline(&["bench", "--seeds", "1", "--json", json.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(
        out.lines()
            .any(|l| l.starts_with("ratio campaign/bare of cpu-us per acknowledged op: ")),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        out.lines()
            .any(|l| l.starts_with("of which campaign/system (the harness")),
        "{out}"
    );
    assert_eq!(report["campaign"]["seeds"], report["bare"]["seeds"]);
    assert_eq!(report["campaign"]["seeds"], report["system"]["seeds"]);
    // Both references run to their end and get every write acknowledged.
    let writes = report["writes"].as_u64().unwrap();
    assert!(
        writes >= report["bare"]["seeds"].as_u64().unwrap(),
        "{report}"
    );
    assert_eq!(
        report["bare"]["ops_ok"].as_u64().unwrap(),
        writes,
        "{report}"
    );
    assert_eq!(
        report["system"]["ops_ok"].as_u64().unwrap(),
        writes,
        "{report}"
    );
    assert_eq!(report["system"]["not_passed"], 0, "{report}");
    // The bare side runs as many clients as the campaign's seeds (their plans draw 3 to 6).
    let clients = report["clients"].as_u64().unwrap();
    assert!((3..=6).contains(&clients), "{report}");
}
