//! Planted bugs are caught: a fast subset of the `faultline bugs` matrix. Each bug below must
//! fail a seed within a small fixed budget while the same seeds pass with no bug, and the
//! `ack-before-commit` catch must replay, through its printed repro line in a fresh process,
//! to the same trace hash.

#![cfg(feature = "planted-bugs")]

use std::process::Command;

use faultline_engine::planted::Bug;
use faultline_scenarios::bugs::{Hunter, plan_with_bug};
use faultline_scenarios::catalog;
use faultline_sim::plan::{Plan, PlanError};
use faultline_sim::run::{Verdict, run_plan};

/// (bug, scenario, seed budget): budgets leave room above the measured detection seed.
const FAST_SUBSET: &[(Bug, &str, u64)] = &[
    (Bug::AckBeforeCommit, "partition", 10),
    (Bug::VoteNotDurable, "leader-kill", 5),
    (Bug::StaleLocalRead, "minority-write", 12),
    (Bug::FollowerRead, "minority-write", 5),
    (Bug::EngineAckWithoutSync, "crash-restart", 5),
    (Bug::LogAppendNotDurable, "partition", 3),
    (Bug::CreateIdRace, "crash-restart", 4),
    (Bug::WalAcceptsTornTail, "crash-restart", 26),
    (Bug::FlushBeforeSync, "leader-kill", 4),
    (Bug::ApplyAckedBeforeSync, "crash-restart", 4),
    (Bug::TruncateSyncDeferred, "minority-write", 3),
    (Bug::SnapshotDirNotSynced, "random", 4),
];

fn seeds(budget: u64) -> Vec<u64> {
    (1..=budget).collect()
}

#[test]
fn each_bug_of_the_fast_subset_is_caught_on_seeds_the_healthy_build_passes() {
    let hunter = Hunter::new(2).confirm_with(env!("CARGO_BIN_EXE_faultline"));
    for &(bug, scenario, budget) in FAST_SUBSET {
        let scenario = catalog::find(scenario).expect("a catalog scenario");
        let cell = hunter.hunt(bug, scenario, &seeds(budget));
        let detection = cell.detection.as_ref().unwrap_or_else(|| {
            panic!(
                "{bug} not caught by {} in {budget}: {cell:?}",
                cell.scenario
            )
        });
        assert!(
            cell.healthy_failures.is_empty(),
            "{bug} on {}: seeds up to the detection fail with no bug too: {:?}",
            cell.scenario,
            cell.healthy_failures
        );
        assert!(detection.repro.ends_with(&format!("--bug {bug}")));
        assert!(cell.unconfirmed.is_empty(), "{bug}: {:?}", cell.unconfirmed);
    }
}

#[test]
fn the_ack_before_commit_repro_line_replays_to_the_same_trace_hash() {
    let scenario = catalog::find("partition").expect("a catalog scenario");
    let cell = Hunter::new(2).hunt(Bug::AckBeforeCommit, scenario, &seeds(10));
    let caught = cell.detection.expect("ack-before-commit is caught");

    // In this process, from the plan the repro line names.
    let plan = plan_with_bug(
        scenario,
        caught.seed,
        Some(Bug::AckBeforeCommit),
        Default::default(),
    )
    .unwrap();
    let again = run_plan(&plan).verdict;
    assert!(again.failed());
    assert_eq!(again.trace_hash, caught.trace_hash);

    // In a fresh process, exactly as printed.
    let reports = tempfile::tempdir().unwrap();
    let args: Vec<&str> = caught.repro.split_whitespace().skip(1).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(&args)
        .arg("--json")
        .arg("--reports")
        .arg(reports.path())
        .output()
        .expect("faultline runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let fresh: Verdict = serde_json::from_slice(&out.stdout).expect("a verdict");
    assert!(fresh.failed());
    assert_eq!(fresh.trace_hash, caught.trace_hash);
    let stored = std::fs::read_to_string(
        reports
            .path()
            .join("partition")
            .join(caught.seed.to_string())
            .join("plan.json"),
    )
    .unwrap();
    assert_eq!(
        Plan::from_json(&stored).unwrap().bug.as_deref(),
        Some("ack-before-commit")
    );
}

#[test]
fn a_plan_naming_an_unknown_bug_is_a_typed_error() {
    let mut plan = Plan::new("hand-written", 1);
    plan.bug = Some("not-a-bug".to_string());
    assert!(matches!(plan.validate(), Err(PlanError::UnknownBug { .. })));
    plan.bug = Some("ack-before-commit".to_string());
    assert_eq!(plan.validate(), Ok(()));
}
