//! Plans as files and reports as directories: a plan survives a JSON round trip, a corrupted
//! or invalid plan file is a typed error (never a panic), and `write_report` writes the four
//! files with a `verdict.json` that parses back.
#![cfg(madsim)]

mod run_support;

use faultline_sim::plan::{Fault, Plan, PlanError};
use faultline_sim::run::{Verdict, run_plan, write_report};
use faultline_sim::workload::{HistoryEvent, history_of};

#[test]
fn plan_json_round_trip() {
    let mut plan = run_support::partition_kill(3);
    plan.faults.push(faultline_sim::plan::ScheduledFault {
        at_ms: 3000,
        fault: Fault::Disk {
            node: faultline_sim::plan::NodeRef::Follower(1),
            fault: faultline_sim::plan::DiskFault {
                kind: faultline_sim::plan::DiskFaultKind::EioSync,
                probability: 0.25,
            },
        },
    });
    plan.faults.push(faultline_sim::plan::ScheduledFault {
        at_ms: 3100,
        fault: Fault::Partition {
            groups: vec![vec![1], vec![2, 3]],
        },
    });
    let json = plan.to_json();
    assert!(json.contains("\"kind\": \"isolate-leader\""), "{json}");
    assert_eq!(Plan::from_json(&json).unwrap(), plan);
}

#[test]
fn corrupted_plans_are_typed_errors() {
    let good = run_support::partition_kill(3).to_json();
    // Truncated, garbage, wrong types, unknown fault kinds and fields.
    let parse_errors = [
        good[..good.len() / 2].to_string(),
        "not json at all".to_string(),
        String::new(),
        good.replace("\"seed\": 3", "\"seed\": \"three\""),
        good.replace("isolate-leader", "flood-the-datacenter"),
        good.replace("\"scenario\"", "\"scenari0\""),
        good.replace("\"seed\": 3", "\"seed\": -3"),
    ];
    for text in &parse_errors {
        assert!(
            matches!(Plan::from_json(text), Err(PlanError::Parse { .. })),
            "{text:.200}"
        );
    }
    let invalid = [
        good.replace("\"nodes\": 3", "\"nodes\": 0"),
        good.replace("\"voters\": 3", "\"voters\": 4"),
        good.replace("\"clients\": 5", "\"clients\": 0"),
        good.replace("\"at_ms\": 1000", "\"at_ms\": 100"),
        good.replace("\"loss\": 0.0", "\"loss\": 2.0"),
        good.replace("\"log_store\": \"durable\"", "\"log_store\": \"memory\""),
        good.replace("\"scenario\": \"partition-kill\"", "\"scenario\": \"../x\""),
    ];
    for text in &invalid {
        assert_ne!(text, &good, "the replacement must change the plan");
        let r = Plan::from_json(text);
        assert!(matches!(r, Err(PlanError::Invalid { .. })), "{r:?}");
    }
    // An invalid plan handed to run_plan directly is reported, not run.
    let mut bad = run_support::partition_kill(3);
    bad.cluster.nodes = 0;
    let result = run_plan(&bad);
    assert!(!result.verdict.passed());
}

#[test]
fn write_report_writes_four_files() {
    let result = run_plan(&run_support::partition_kill(11));
    let root = std::env::temp_dir().join(format!("faultline-report-test-{}", std::process::id()));
    let dir = write_report(&root, &result).unwrap();
    assert_eq!(dir, root.join("partition-kill").join("11"));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(Plan::from_json(&read("plan.json")).unwrap(), result.plan);
    let verdict: Verdict = serde_json::from_str(&read("verdict.json")).unwrap();
    assert_eq!(verdict, result.verdict);
    let events: Vec<HistoryEvent> = read("history.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events, result.history);
    assert!(!history_of(&events).is_empty());
    assert_eq!(read("trace.log").lines().count(), result.trace.len());
    std::fs::remove_dir_all(&root).unwrap();
}
