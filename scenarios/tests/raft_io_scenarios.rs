//! Every scenario against the second system under test: the first seed `scenarios.rs` runs
//! (`FAULTLINE_SEED_BASE`, default 1) of each scenario, with raft-io 1.0 nodes instead of
//! openraft's. The harness, nemeses, workload and checkers are the same.
//!
//! raft-io has open bugs a campaign finds (`faultline_scenarios::known`, `docs/findings/`), so a
//! seed may fail. What must hold: the run completes with a verdict that names raft-io in its
//! repro line; it is `pass` or `fail`, never `unknown` or `vacuous` (the seed exercised its
//! scenario and every check decided); and every violation of a failing seed is explained by a
//! known raft-io bug. A new violation — an adapter bug or a new raft-io finding — fails here.

use faultline_scenarios::catalog::{self, Scenario};
use faultline_scenarios::known;
use faultline_scenarios::runner::{RunnerConfig, run_batch};
use faultline_sim::plan::System;
use faultline_sim::run::Status;

fn seed() -> u64 {
    std::env::var("FAULTLINE_SEED_BASE").ok().map_or(1, |v| {
        v.trim().parse().expect("FAULTLINE_SEED_BASE is a seed")
    })
}

fn run_on_raft_io(name: &str) {
    let scenario: &'static dyn Scenario = catalog::find(name).unwrap();
    let config = RunnerConfig {
        system: System::RaftIo,
        ..RunnerConfig::default()
    };
    let results = run_batch(scenario, &[seed()], &config, &|_| {});
    let [r] = results.as_slice() else {
        panic!("one seed, {} results", results.len());
    };
    let repro = r.repro_line();
    assert!(repro.ends_with("--system raft-io"), "{repro}");
    let verdict = r
        .verdict
        .as_ref()
        .unwrap_or_else(|| panic!("{repro}: no verdict: {:?}", r.reason));
    assert!(
        matches!(r.status, Status::Pass | Status::Fail),
        "{repro}: {} ({})",
        r.status,
        r.reason.as_deref().unwrap_or("")
    );
    assert!(verdict.stats.ops > 0, "{repro}: no operations ran");
    let unexplained = known::unexplained(System::RaftIo, &verdict.violations);
    assert!(
        unexplained.is_empty(),
        "{repro}: violations no known raft-io bug explains:\n{}",
        unexplained
            .iter()
            .map(|v| format!("  {}: {}", v.property.name(), v.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
    for bug in known::explained(System::RaftIo, &verdict.violations) {
        eprintln!(
            "{repro}: fails with the known raft-io bug {} (docs/findings/{}.md)",
            bug.name, bug.name
        );
    }
}

macro_rules! raft_io_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                run_on_raft_io($name);
            }
        )*

        #[test]
        fn every_catalog_scenario_runs_on_raft_io() {
            let tested = [$($name),*];
            assert_eq!(tested.to_vec(), catalog::names());
        }
    };
}

raft_io_tests! {
    partition => "partition",
    leader_kill => "leader-kill",
    compaction_then_join => "compaction-then-join",
    minority_write => "minority-write",
    crash_restart => "crash-restart",
    membership_churn => "membership-churn",
    disk_faults => "disk-faults",
    random => "random",
}
