//! The seed runner: runs seeds of scenarios on a pool of `jobs` worker threads and turns each
//! into a [`SeedOutcome`]. `run_plan` already runs every seed on its own fresh OS thread in a
//! fresh runtime; the workers here only hand out seeds and wait, outside any simulation.
//!
//! With determinism checking on, every seed runs twice in this process and the trace hashes
//! must agree; a sample of seeds (every `fresh_every`-th of a batch) is also replayed in a
//! fresh `faultline` process. A mismatch fails the seed with both traces' first difference.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use faultline_sim::plan::Plan;
use faultline_sim::run::{RunResult, run_plan};

use crate::catalog::Scenario;
use crate::determinism::{ReplayKind, compare};
use crate::fresh::replay_fresh;
use crate::outcome::{SeedOutcome, reason};

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Seeds in flight at once (at least 1).
    pub jobs: usize,
    /// Run each seed twice in-process and compare trace hashes.
    pub check_determinism: bool,
    /// With `check_determinism`, also replay every `fresh_every`-th seed of a batch in a fresh
    /// process of this executable; `None`: no fresh-process replays.
    pub fresh: Option<FreshReplay>,
}

/// Which executable fresh-process replays spawn, and how often.
#[derive(Debug, Clone)]
pub struct FreshReplay {
    pub exe: PathBuf,
    /// Replay seeds at positions 0, n, 2n, … of a batch (at least 1).
    pub every: usize,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            jobs: 1,
            check_determinism: false,
            fresh: None,
        }
    }
}

/// Expands `scenario`'s plan for `seed`, without letting a bug in a scenario's generator
/// crash the campaign.
pub fn plan_of(scenario: &dyn Scenario, seed: u64) -> Result<Plan, String> {
    let plan = catch_unwind(AssertUnwindSafe(|| scenario.plan(seed)))
        .map_err(|_| format!("{} panicked while planning seed {seed}", scenario.name()))?;
    plan.validate().map_err(|e| {
        format!(
            "{} planned an invalid plan for seed {seed}: {e}",
            scenario.name()
        )
    })?;
    Ok(plan)
}

/// Runs one seed; `sample_fresh` asks for a fresh-process replay too (when configured).
pub fn run_one(
    scenario: &'static dyn Scenario,
    seed: u64,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> SeedOutcome {
    // Wall-clock time is a campaign statistic measured outside the simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let mut outcome = SeedOutcome {
        scenario: scenario.name(),
        seed,
        failure: None,
        verdict: None,
        mismatch: None,
        sim: Duration::ZERO,
        wall: Duration::ZERO,
    };
    let plan = match plan_of(scenario, seed) {
        Ok(plan) => plan,
        Err(e) => {
            outcome.failure = Some(e);
            outcome.wall = started.elapsed();
            return outcome;
        }
    };
    let first = run_plan(&plan);
    outcome.sim = Duration::from_millis(first.verdict.stats.sim_ms);
    if !first.verdict.passed() {
        outcome.failure = Some(reason(&first.verdict));
    }
    if config.check_determinism {
        outcome.mismatch = check_replays(&plan, &first, config, sample_fresh);
        if let Some(m) = &outcome.mismatch
            && outcome.failure.is_none()
        {
            outcome.failure = Some(format!(
                "nondeterminism: {} hash {} != {}",
                m.replay, m.first_hash, m.second_hash
            ));
        }
    }
    outcome.verdict = Some(first.verdict);
    outcome.wall = started.elapsed();
    outcome
}

/// Runs `plan` again in-process (and in a fresh process when sampled); returns the first
/// mismatch. A fresh process that cannot run at all is reported as a mismatch too: the seed's
/// replayability could not be shown.
fn check_replays(
    plan: &Plan,
    first: &RunResult,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> Option<crate::determinism::Mismatch> {
    let hash = first.verdict.trace_hash.as_str();
    // Transcripts are rendered only to locate a mismatch.
    let again = run_plan(plan);
    if again.verdict.trace_hash != hash {
        return compare(
            ReplayKind::InProcess,
            (hash, &first.transcript()),
            (again.verdict.trace_hash.as_str(), &again.transcript()),
        );
    }
    let fresh = config.fresh.as_ref().filter(|_| sample_fresh)?;
    match replay_fresh(&fresh.exe, plan) {
        Ok(r) if r.trace_hash == hash => None,
        Ok(r) => compare(
            ReplayKind::FreshProcess,
            (hash, &first.transcript()),
            (r.trace_hash.as_str(), r.trace.as_slice()),
        ),
        Err(e) => Some(crate::determinism::Mismatch {
            replay: ReplayKind::FreshProcess,
            first_hash: first.verdict.trace_hash.clone(),
            second_hash: "none".to_string(),
            line: 0,
            first_line: None,
            second_line: Some(format!("the fresh process failed: {e}")),
        }),
    }
}

/// Runs `seeds` of `scenario` with `config.jobs` seeds in flight; calls `on_done` as each seed
/// finishes (from a worker thread) and returns the outcomes in seed order.
pub fn run_batch(
    scenario: &'static dyn Scenario,
    seeds: &[u64],
    config: &RunnerConfig,
    on_done: &(dyn Fn(&SeedOutcome) + Sync),
) -> Vec<SeedOutcome> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, SeedOutcome)>> = Mutex::new(Vec::with_capacity(seeds.len()));
    let every = config.fresh.as_ref().map_or(usize::MAX, |f| f.every.max(1));
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.clamp(1, seeds.len().max(1)) {
            // The job pool lives outside the simulation: each worker only hands out seeds,
            // and `run_plan` runs every seed on its own fresh thread.
            #[allow(clippy::disallowed_methods)]
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let outcome = run_one(scenario, seed, config, i.is_multiple_of(every));
                    on_done(&outcome);
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, outcome));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}
