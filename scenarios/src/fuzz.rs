//! The fuzz campaign: random scenarios and seeds until a wall-clock deadline. Seeds come from
//! the shard's slice of the seed space (`base + k*N + I`), so N machines never repeat a seed;
//! the scenario of a seed is drawn from the seed itself, so `(scenario, seed)` pairs are as
//! reproducible as the seeds. Confirming, recording and reporting failures is the caller's
//! job (`faultline fuzz`): this file only runs seeds and keeps the failures and the stats.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::catalog::Scenario;
use crate::outcome::SeedOutcome;
use crate::rng::SeedRng;
use crate::runner::{RunnerConfig, run_one};
use crate::shard::Shard;
use crate::stats::ScenarioStats;

/// A campaign's settings.
#[derive(Clone)]
pub struct FuzzConfig {
    /// Stop starting seeds after this much wall-clock time.
    pub duration: Duration,
    pub shard: Shard,
    pub seed_base: u64,
    pub jobs: usize,
    /// The scenarios to draw from (the whole catalog, or the one asked for).
    pub scenarios: Vec<&'static dyn Scenario>,
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct FuzzReport {
    pub seeds: u64,
    /// Per scenario; `wall` is its share of the workers' time (busy time / jobs).
    pub stats: BTreeMap<&'static str, ScenarioStats>,
    pub failures: Vec<SeedOutcome>,
    pub wall: Duration,
    /// The shard's seed space ran out before the deadline.
    pub exhausted: bool,
}

/// The scenario `seed` runs in a campaign over `scenarios` (non-empty).
pub fn scenario_for(
    seed: u64,
    scenarios: &[&'static dyn Scenario],
) -> Option<&'static dyn Scenario> {
    let mut rng = SeedRng::new("fuzz", seed);
    rng.pick(scenarios).copied()
}

/// Runs seeds until the deadline; `on_done` sees every outcome as it finishes.
pub fn fuzz(config: &FuzzConfig, on_done: &(dyn Fn(&SeedOutcome) + Sync)) -> FuzzReport {
    // The deadline is wall-clock time by definition; the campaign runs outside any simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let jobs = config.jobs.max(1);
    let next = AtomicU64::new(0);
    let exhausted = AtomicBool::new(false);
    let report = Mutex::new(FuzzReport::default());
    let runner = RunnerConfig::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            // Workers only hand out seeds; `run_plan` runs each seed on its own fresh thread.
            #[allow(clippy::disallowed_methods)]
            scope.spawn(|| {
                while started.elapsed() < config.duration {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(seed) = config.shard.seed(config.seed_base, k) else {
                        exhausted.store(true, Ordering::Relaxed);
                        break;
                    };
                    let Some(scenario) = scenario_for(seed, &config.scenarios) else {
                        break;
                    };
                    let outcome = run_one(scenario, seed, &runner, false);
                    on_done(&outcome);
                    let mut r = report.lock().unwrap_or_else(|e| e.into_inner());
                    r.seeds += 1;
                    let s = r
                        .stats
                        .entry(scenario.name())
                        .or_insert_with(|| ScenarioStats {
                            scenario: scenario.name().to_string(),
                            ..ScenarioStats::default()
                        });
                    s.seeds += 1;
                    s.sim += outcome.sim;
                    s.wall += outcome.wall / jobs as u32;
                    if outcome.failed() {
                        s.failures += 1;
                        r.failures.push(outcome);
                    }
                }
            });
        }
    });
    let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
    report.wall = started.elapsed();
    report.exhausted = exhausted.load(Ordering::Relaxed);
    report.failures.sort_by_key(|o| o.seed);
    report
}
