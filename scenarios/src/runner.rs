//! The seed runner: runs seeds of scenarios on a pool of `jobs` worker threads and turns each
//! into a [`SeedResult`]. Every run of a plan goes through the seed watchdog
//! ([`crate::watchdog`]): in this process by default, in a child process with `isolate`. The
//! workers only hand out seeds and wait, outside any simulation; a panic anywhere in the runner
//! around a seed is a `harness-panic` result for that seed, never a dead campaign.
//!
//! With determinism checking on, every seed that ran to its end runs twice and the trace
//! hashes must agree; a sample of seeds (every `fresh_every`-th of a batch) is also replayed in
//! a fresh `faultline` process. A mismatch fails the seed with both traces' first difference.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use faultline_sim::check::violation::Property;
use faultline_sim::plan::{Plan, Switches, System};
use faultline_sim::run::{Status, panic_text};

use crate::catalog::Scenario;
use crate::determinism::{Mismatch, ReplayKind, compare};
use crate::fresh::{ChildLimits, run_child};
use crate::result::SeedResult;
use crate::watchdog::{Limits, Run, harness_verdict, run_in_child, run_in_process};

/// How to run a batch.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Seeds in flight at once (at least 1).
    pub jobs: usize,
    /// Run each seed twice and compare trace hashes.
    pub check_determinism: bool,
    /// With `check_determinism`, also replay every `fresh_every`-th seed of a batch in a fresh
    /// process of this executable; `None`: no fresh-process replays.
    pub fresh: Option<FreshReplay>,
    /// Each seed's wall-clock and memory limits.
    pub limits: Limits,
    /// Run every seed in a child process of this `faultline` executable (`--isolate`).
    pub isolate: Option<PathBuf>,
    /// Harness plants to switch on in given seeds (builds with `harness-plants` only).
    pub plants: Vec<PlantAt>,
    /// Run seeds without the watchdog, straight on the worker (only to measure what the
    /// watchdog costs: a hang then hangs the campaign).
    pub unwatched: bool,
    /// Harness mechanisms every plan turns off (comparison runs).
    pub switches: Switches,
    /// The Raft every plan's nodes run.
    pub system: System,
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
            limits: Limits::default(),
            isolate: None,
            plants: Vec::new(),
            unwatched: false,
            switches: Switches::default(),
            system: System::default(),
        }
    }
}

/// `--plant NAME@SEED` (or `NAME`, every seed): switch harness plant NAME on in seed SEED of
/// every scenario run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantAt {
    pub plant: String,
    pub seed: Option<u64>,
}

impl FromStr for PlantAt {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (plant, seed) = match s.split_once('@') {
            Some((plant, seed)) => {
                let seed = seed
                    .trim()
                    .parse()
                    .map_err(|_| format!("{s:?}: {seed:?} is not a seed (NAME@SEED)"))?;
                (plant, Some(seed))
            }
            None => (s, None),
        };
        faultline_sim::plant::check(Some(plant))?;
        Ok(PlantAt {
            plant: plant.to_string(),
            seed,
        })
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

impl RunnerConfig {
    /// One watched run of `plan`, in this process or in a child.
    pub fn execute(&self, plan: &Plan, trace: bool) -> Run {
        match &self.isolate {
            Some(exe) => run_in_child(exe, plan, &self.limits, trace),
            None if self.unwatched => Run {
                result: faultline_sim::run::run_plan(plan),
                completed: true,
                retry_alone: false,
            },
            None => run_in_process(plan, &self.limits),
        }
    }

    /// The plan of `seed` of `scenario`, with any plant asked for on that seed.
    pub fn plan(&self, scenario: &dyn Scenario, seed: u64) -> Result<Plan, String> {
        let mut plan = plan_of(scenario, seed)?;
        plan.switches = self.switches;
        plan.system = self.system;
        if let Some(p) = self
            .plants
            .iter()
            .find(|p| p.seed.is_none_or(|s| s == seed))
        {
            plan.plant = Some(p.plant.clone());
            plan.validate().map_err(|e| e.to_string())?;
        }
        Ok(plan)
    }
}

/// Runs one seed; `sample_fresh` asks for a fresh-process replay too (when configured). Never
/// panics: a panic in the runner is the seed's `harness-panic` result.
pub fn run_one(
    scenario: &'static dyn Scenario,
    seed: u64,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> SeedResult {
    // Wall-clock time is a campaign statistic measured outside the simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let mut result = catch_unwind(AssertUnwindSafe(|| {
        run_one_unguarded(scenario, seed, config, sample_fresh)
    }))
    .unwrap_or_else(|payload| {
        let plan = faultline_sim::plan::Plan::new(scenario.name(), seed);
        let message = format!(
            "the runner panicked around seed {seed}: {}",
            panic_text(payload.as_ref())
        );
        SeedResult::of_verdict(
            scenario.name(),
            harness_verdict(&plan, Property::HarnessPanic, message),
        )
    });
    result.wall = started.elapsed();
    result
}

fn run_one_unguarded(
    scenario: &'static dyn Scenario,
    seed: u64,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> SeedResult {
    match config.plan(scenario, seed) {
        Ok(plan) => run_planned(scenario.name(), &plan, config, sample_fresh),
        Err(e) => SeedResult::failed_with(scenario.name(), seed, e),
    }
}

/// Runs a given plan (a stored regression, say) as `scenario`'s seed `plan.seed`, with the
/// determinism checks `config` asks for. Panics in the runner are the caller's to catch
/// ([`run_one`] does).
pub fn run_planned(
    scenario: &'static str,
    plan: &Plan,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> SeedResult {
    let plan = plan.clone();
    let first = config.execute(&plan, config.check_determinism);
    let mut result = SeedResult::of_verdict(scenario, first.result.verdict.clone());
    result.plant = plan.plant.clone();
    result.switched_off = plan.switches.flags();
    result.system = plan.system;
    result.retry_alone = first.retry_alone;
    // A seed the watchdog had to stop would only hit its limit again.
    if config.check_determinism && first.completed {
        result.mismatch = check_replays(&plan, &first, config, sample_fresh);
        if let Some(m) = &result.mismatch {
            if result.status != Status::Fail {
                result.reason = Some(format!(
                    "nondeterminism: {} hash {} != {}",
                    m.replay, m.first_hash, m.second_hash
                ));
            }
            result.status = Status::Fail;
        }
    }
    result
}

/// Runs `plan` again (and in a fresh process when sampled); returns the first mismatch. A
/// replay that cannot finish is reported as a mismatch too: the seed's replayability could not
/// be shown.
fn check_replays(
    plan: &Plan,
    first: &Run,
    config: &RunnerConfig,
    sample_fresh: bool,
) -> Option<Mismatch> {
    let hash = first.result.verdict.trace_hash.as_str();
    let again = config.execute(plan, true);
    let kind = if config.isolate.is_some() {
        ReplayKind::FreshProcess
    } else {
        ReplayKind::InProcess
    };
    // Transcripts are rendered only to locate a mismatch.
    if again.result.verdict.trace_hash != hash {
        return compare(
            kind,
            (hash, &first.result.transcript()),
            (
                again.result.verdict.trace_hash.as_str(),
                &again.result.transcript(),
            ),
        );
    }
    let fresh = config.fresh.as_ref().filter(|_| sample_fresh)?;
    let limits = ChildLimits {
        wall: config.limits.wall_for(plan),
        memory: config.limits.memory,
        trace: true,
    };
    match run_child(&fresh.exe, plan, &limits) {
        Ok(r) if r.trace_hash == hash => None,
        Ok(r) => compare(
            ReplayKind::FreshProcess,
            (hash, &first.result.transcript()),
            (r.trace_hash.as_str(), r.trace.as_slice()),
        ),
        Err(e) => Some(Mismatch {
            replay: ReplayKind::FreshProcess,
            first_hash: first.result.verdict.trace_hash.clone(),
            second_hash: "none".to_string(),
            line: 0,
            first_line: None,
            second_line: Some(format!("the fresh process failed: {e}")),
        }),
    }
}

/// Runs `seeds` of `scenario` with `config.jobs` seeds in flight; calls `on_done` as each seed
/// finishes (from a worker thread) and returns the results in seed order. A seed that passed
/// its memory limit while other seeds shared the process is re-run alone at the end, and that
/// run's result is the one kept. `stop` (when it returns true) keeps further seeds from
/// starting: the results then cover only the seeds that ran.
pub fn run_batch(
    scenario: &'static dyn Scenario,
    seeds: &[u64],
    config: &RunnerConfig,
    on_done: &(dyn Fn(&SeedResult) + Sync),
) -> Vec<SeedResult> {
    run_batch_until(scenario, seeds, config, on_done, &|| false)
}

/// [`run_batch`] with a `stop` condition checked before each seed starts.
pub fn run_batch_until(
    scenario: &'static dyn Scenario,
    seeds: &[u64],
    config: &RunnerConfig,
    on_done: &(dyn Fn(&SeedResult) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Vec<SeedResult> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, SeedResult)>> = Mutex::new(Vec::with_capacity(seeds.len()));
    let every = config.fresh.as_ref().map_or(usize::MAX, |f| f.every.max(1));
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.clamp(1, seeds.len().max(1)) {
            // The job pool lives outside the simulation: each worker only hands out seeds,
            // and the watchdog runs every seed on threads (or in a process) of its own.
            #[allow(clippy::disallowed_methods)]
            scope.spawn(|| {
                while !stop() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let result = run_one(scenario, seed, config, i.is_multiple_of(every));
                    if !result.retry_alone {
                        on_done(&result);
                    }
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, result));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    for (i, result) in done.iter_mut() {
        if result.retry_alone {
            let alone = RunnerConfig {
                jobs: 1,
                ..config.clone()
            };
            *result = run_one(scenario, result.seed, &alone, i.is_multiple_of(every));
            result.retry_alone = false;
            on_done(result);
        }
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
