//! The `cargo test` entry points of the catalog: every scenario over `FAULTLINE_SEEDS` seeds
//! (default 3, starting at `FAULTLINE_SEED_BASE`, default 1) must pass; every plan stored in
//! the regression corpus must replay clean, and identically in-process, on the healthy build;
//! and every stored seed must still expand into its stored plan (generator drift fails loudly).

use faultline_scenarios::catalog::{self, GENERATOR, Scenario};
use faultline_scenarios::regressions::Corpus;
use faultline_scenarios::result::SeedResult;
use faultline_scenarios::runner::{RunnerConfig, run_batch, run_planned};

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

/// Only `pass` is green: a seed that is `unknown` or `vacuous` fails the test too.
fn assert_all_pass(results: &[SeedResult]) {
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            format!(
                "{} seed {} ({}): {}\n  {}",
                r.scenario,
                r.seed,
                r.status,
                r.reason.as_deref().unwrap_or(""),
                r.repro_line()
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "seeds that did not pass:\n{}",
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

/// Every stored plan must pass and replay to the same trace in this process: several entries
/// are there because a second in-process run once diverged from the first. The stored plan is
/// what runs, whatever its seed expands into today.
#[test]
fn regression_corpus_replays_clean() {
    let corpus = Corpus::in_repo();
    let entries = corpus.load_all().unwrap();
    assert!(
        !entries.is_empty(),
        "the corpus at {} is empty",
        corpus.dir().display()
    );
    let config = RunnerConfig {
        check_determinism: true,
        ..RunnerConfig::default()
    };
    let results: Vec<SeedResult> = entries
        .iter()
        .map(|(path, entry)| {
            let scenario = catalog::find(&entry.scenario)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            run_planned(scenario.name(), &entry.plan, &config, false)
        })
        .collect();
    assert_all_pass(&results);
}

/// Generator drift is a decision, not an accident: every entry expanded with the current
/// generator version must still be what its seed expands into. (The replay test above keeps
/// guarding each finding either way; what drift breaks is every repro line ever printed for
/// a seed, in CI logs, issues and nightly summaries.)
#[test]
fn stored_seeds_still_expand_into_their_stored_plans() {
    let corpus = Corpus::in_repo();
    let mut drifted = Vec::new();
    for (path, entry) in corpus.load_all().unwrap() {
        let scenario = catalog::find(&entry.scenario).unwrap();
        // Entries of older generator versions are replayed by plan only (`drift` is `None`).
        match entry.drift(scenario) {
            None => {}
            Some(Ok(d)) => drifted.push(format!(
                "  {}: seed {} now plans {} = {} (stored: {})",
                path.display(),
                entry.seed,
                d.path,
                d.now,
                d.stored
            )),
            Some(Err(e)) => drifted.push(format!("  {}: {e}", path.display())),
        }
    }
    assert!(
        drifted.is_empty(),
        "generator drift: these stored seeds now expand into different plans than the ones \
         recorded with generator version {GENERATOR}:\n{}\n\
         The stored plans still replay (regression_corpus_replays_clean runs them), but \
         `faultline repro --scenario S --seed N` no longer reproduces these findings, nor any \
         seed printed before the change. If the change is unintended, fix the generator. If it \
         is intended, bump catalog::GENERATOR (older entries are then replayed from their \
         stored plans and no longer compared with their seeds).",
        drifted.join("\n")
    );
}
