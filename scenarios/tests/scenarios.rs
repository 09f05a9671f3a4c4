//! The `cargo test` entry points of the catalog: every scenario over `FAULTLINE_SEEDS` seeds
//! (default 3, starting at `FAULTLINE_SEED_BASE`, default 1) must pass, and every seed in the
//! regression corpus must replay clean, and identically in-process, on the healthy build.

use faultline_scenarios::catalog::{self, Scenario};
use faultline_scenarios::outcome::SeedOutcome;
use faultline_scenarios::regressions::Corpus;
use faultline_scenarios::runner::{RunnerConfig, run_batch};

/// Seeds per scenario when `FAULTLINE_SEEDS` is unset: small enough that the whole file runs
/// in a few minutes on two cores in the dev profile.
const DEFAULT_SEEDS: u64 = 3;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a non-negative integer")),
        Err(_) => default,
    }
}

fn seeds() -> Vec<u64> {
    let n = env_u64("FAULTLINE_SEEDS", DEFAULT_SEEDS);
    let base = env_u64("FAULTLINE_SEED_BASE", 1);
    (base..base.saturating_add(n)).collect()
}

fn assert_all_pass(outcomes: &[SeedOutcome]) {
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| o.failed())
        .map(|o| {
            format!(
                "{} seed {}: {}\n  {}",
                o.scenario,
                o.seed,
                o.failure.as_deref().unwrap_or(""),
                o.repro_line()
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing seeds:\n{}",
        failures.join("\n")
    );
}

fn run_scenario(name: &str) {
    let scenario: &'static dyn Scenario = catalog::find(name).unwrap();
    // The test harness already runs the scenarios' tests side by side; one job each.
    let outcomes = run_batch(scenario, &seeds(), &RunnerConfig::default(), &|_| {});
    assert_eq!(outcomes.len(), seeds().len());
    assert_all_pass(&outcomes);
}

macro_rules! scenario_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                run_scenario($name);
            }
        )*

        #[test]
        fn every_catalog_scenario_has_a_test() {
            let tested = [$($name),*];
            assert_eq!(tested.to_vec(), catalog::names());
        }
    };
}

scenario_tests! {
    partition => "partition",
    leader_kill => "leader-kill",
    compaction_then_join => "compaction-then-join",
    minority_write => "minority-write",
    crash_restart => "crash-restart",
    membership_churn => "membership-churn",
    disk_faults => "disk-faults",
    random => "random",
}

/// Every corpus seed must pass and replay to the same trace in this process: several seeds are
/// there because a second in-process run once diverged from the first.
#[test]
fn regression_corpus_replays_clean() {
    let corpus = Corpus::in_repo();
    let all = corpus.load_all().unwrap();
    let mut outcomes = Vec::new();
    for (name, entries) in &all {
        let scenario = catalog::find(name)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus.path(name).unwrap().display()));
        let seeds: Vec<u64> = entries.iter().map(|e| e.seed).collect();
        let config = RunnerConfig {
            check_determinism: true,
            ..RunnerConfig::default()
        };
        outcomes.extend(run_batch(scenario, &seeds, &config, &|_| {}));
    }
    assert_all_pass(&outcomes);
}
