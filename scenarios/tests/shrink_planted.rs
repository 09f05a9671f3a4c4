//! Shrinking a real failure: the first seed of `partition` that the planted
//! `ack-before-commit` bug fails is shrunk by `faultline shrink` (real runs, a fresh-process
//! confirmation) to a smaller plan, and that plan, replayed by the printed repro line in a
//! fresh process, fails with the same property.

#![cfg(feature = "planted-bugs")]

use std::process::Command;

use faultline_engine::planted::Bug;
use faultline_scenarios::bugs::plan_with_bug;
use faultline_scenarios::catalog;
use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{Verdict, run_plan};

const EXE: &str = env!("CARGO_BIN_EXE_faultline");

/// `shrunk: faults A -> B, ops C -> D, nodes E -> F, simulated Gs -> Hs`, parsed.
fn parse_summary(line: &str) -> Option<[(f64, f64); 4]> {
    let rest = line.strip_prefix("shrunk: ")?;
    let mut out = [(0.0, 0.0); 4];
    let names = ["faults", "ops", "nodes", "simulated"];
    for (i, part) in rest.split(", ").enumerate() {
        let (name, values) = part.split_once(' ')?;
        if names.get(i) != Some(&name) {
            return None;
        }
        let (a, b) = values.split_once(" -> ")?;
        let num = |s: &str| s.trim_end_matches('s').parse::<f64>().ok();
        out[i] = (num(a)?, num(b)?);
    }
    Some(out)
}

#[test]
fn a_planted_bug_shrinks_to_a_smaller_plan_that_still_fails_the_same_way() {
    let scenario = catalog::find("partition").unwrap();
    let seed = (1..=10)
        .find(|&s| {
            let plan =
                plan_with_bug(scenario, s, Some(Bug::AckBeforeCommit), Default::default()).unwrap();
            run_plan(&plan)
                .verdict
                .properties()
                .contains(&Property::Linearizability)
        })
        .expect("ack-before-commit fails a partition seed within 10");

    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["shrink", "--scenario", "partition", "--seed"])
        .arg(seed.to_string())
        .args([
            "--bug",
            "ack-before-commit",
            "--max-runs",
            "120",
            "--reports",
        ])
        .arg(reports.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("shrunk: "))
        .unwrap_or_else(|| panic!("no shrunk: line in {stdout}"));
    let [faults, ops, nodes, sim] = parse_summary(summary).expect(summary);
    assert!(faults.1 <= faults.0 && faults.1 <= 3.0, "{summary}");
    assert!(ops.1 < ops.0, "{summary}");
    assert!(nodes.1 <= nodes.0, "{summary}");
    assert!(sim.1 <= sim.0, "{summary}");
    assert!(stdout.contains("confirmed in a fresh process"), "{stdout}");

    // The printed repro line, run as printed in a fresh process.
    let repro = stdout
        .lines()
        .find(|l| l.starts_with("faultline repro --plan "))
        .expect("a repro line");
    let plan_path = repro.trim_start_matches("faultline repro --plan ");
    let plan = Plan::from_json(&std::fs::read_to_string(plan_path).unwrap()).unwrap();
    assert_eq!(plan.bug.as_deref(), Some("ack-before-commit"));
    assert_eq!(plan.scenario, "partition-shrunk");
    assert_eq!(plan.faults.len() as f64, faults.1);
    let replay_reports = tempfile::tempdir().unwrap();
    let fresh = Command::new(EXE)
        .args(repro.split_whitespace().skip(1))
        .arg("--json")
        .arg("--reports")
        .arg(replay_reports.path())
        .output()
        .unwrap();
    assert_eq!(fresh.status.code(), Some(1), "{fresh:?}");
    let verdict: Verdict = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(verdict.properties().contains(&Property::Linearizability));
    assert_eq!(verdict.stats.ops as f64, ops.1);

    // The shrink's own record sits next to the shrunk plan's report.
    let dir = std::path::Path::new(plan_path).parent().unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("shrink.json")).unwrap()).unwrap();
    assert_eq!(record["summary"], summary);
    assert_eq!(record["shrink"]["property"], "linearizability");
    assert!(dir.join("index.html").exists());
}

#[test]
fn the_summary_line_parses() {
    assert_eq!(
        parse_summary(
            "shrunk: faults 19 -> 2, ops 145 -> 12, nodes 5 -> 3, simulated 6.1s -> 1.4s"
        ),
        Some([(19.0, 2.0), (145.0, 12.0), (5.0, 3.0), (6.1, 1.4)])
    );
    assert_eq!(parse_summary("shrunk: ops 1 -> 2"), None);
}

/// `bugs --shrink` shrinks a caught bug's detection seed and reports before → after, with the
/// shrunk plan confirmed in a fresh process.
#[test]
fn the_bugs_matrix_shrinks_a_caught_bug_and_confirms_it_fresh() {
    let out = Command::new(EXE)
        .args([
            "bugs",
            "--bug",
            "truncate-sync-deferred",
            "--scenario",
            "minority-write",
            "--seeds",
            "3",
            "--jobs",
            "1",
            "--shrink",
            "--json",
            "-",
        ])
        .output()
        .expect("run faultline bugs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    let shrunk = &summary["bugs"][0]["shrunk"];
    assert_eq!(shrunk["property"], "log-durability", "{summary}");
    assert_eq!(shrunk["confirmed"], true, "{summary}");
    let (before, after) = (
        shrunk["faults_before"].as_u64().unwrap(),
        shrunk["faults_after"].as_u64().unwrap(),
    );
    assert!(after <= before && after <= 3, "{shrunk}");
    assert!(
        shrunk["ops_after"].as_u64() < shrunk["ops_before"].as_u64(),
        "{shrunk}"
    );
}
