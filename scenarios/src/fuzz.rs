//! The fuzz campaign: random scenarios and seeds until a wall-clock deadline (or a stop
//! signal). Seeds come from the shard's slice of the seed space (`base + k*N + I`), so N
//! machines never repeat a seed; the scenario of a seed is drawn from the seed itself, so
//! `(scenario, seed)` pairs are as reproducible as the seeds. Every seed runs under the seed
//! watchdog (`RunnerConfig::limits`, `isolate`). Confirming and recording failures is the
//! caller's job (`faultline fuzz` does it in `on_done`, the moment a seed fails): this file
//! runs seeds and keeps the stats and the results that did not pass.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::catalog::Scenario;
use crate::result::SeedResult;
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
    /// The scenarios to draw from (the whole catalog, or the one asked for).
    pub scenarios: Vec<&'static dyn Scenario>,
    /// Jobs, limits, isolation and plants for every seed.
    pub runner: RunnerConfig,
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct FuzzReport {
    pub seeds: u64,
    /// Per scenario; `wall` is its share of the workers' time (busy time / jobs).
    pub stats: BTreeMap<&'static str, ScenarioStats>,
    /// Every seed that did not pass, by seed.
    pub not_passed: Vec<SeedResult>,
    pub wall: Duration,
    /// The shard's seed space ran out before the deadline.
    pub exhausted: bool,
    /// `stop` said so before the deadline.
    pub interrupted: bool,
}

/// The scenario `seed` runs in a campaign over `scenarios` (non-empty).
pub fn scenario_for(
    seed: u64,
    scenarios: &[&'static dyn Scenario],
) -> Option<&'static dyn Scenario> {
    let mut rng = SeedRng::new("fuzz", seed);
    rng.pick(scenarios).copied()
}

/// Runs seeds until the deadline or until `stop` returns true; `on_done` sees every result as
/// it finishes, on the worker that ran it (so what it does for a failure — confirming,
/// recording — is done before that worker starts another seed).
pub fn fuzz(
    config: &FuzzConfig,
    on_done: &(dyn Fn(&SeedResult) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> FuzzReport {
    // The deadline is wall-clock time by definition; the campaign runs outside any simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let jobs = config.runner.jobs.max(1);
    let next = AtomicU64::new(0);
    let exhausted = AtomicBool::new(false);
    let interrupted = AtomicBool::new(false);
    let report = Mutex::new(FuzzReport::default());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            // Workers only hand out seeds; the watchdog runs each seed on threads of its own.
            #[allow(clippy::disallowed_methods)]
            scope.spawn(|| {
                while started.elapsed() < config.duration {
                    if stop() {
                        interrupted.store(true, Ordering::Relaxed);
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(seed) = config.shard.seed(config.seed_base, k) else {
                        exhausted.store(true, Ordering::Relaxed);
                        break;
                    };
                    let Some(scenario) = scenario_for(seed, &config.scenarios) else {
                        break;
                    };
                    let mut result = run_one(scenario, seed, &config.runner, false);
                    if result.retry_alone {
                        // Blamed for memory other seeds may have used: the confirmation in a
                        // fresh process decides.
                        result.retry_alone = false;
                    }
                    on_done(&result);
                    let mut r = report.lock().unwrap_or_else(|e| e.into_inner());
                    r.seeds += 1;
                    let s = r
                        .stats
                        .entry(scenario.name())
                        .or_insert_with(|| ScenarioStats::new(scenario.name()));
                    s.count(&result);
                    s.wall += result.wall / jobs as u32;
                    if !result.passed() {
                        r.not_passed.push(result);
                    }
                }
            });
        }
    });
    let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
    report.wall = started.elapsed();
    report.exhausted = exhausted.load(Ordering::Relaxed);
    report.interrupted = interrupted.load(Ordering::Relaxed);
    report.not_passed.sort_by_key(|r| r.seed);
    report
}
