//! The shrinker's oracle: runs candidate plans and says whether each still fails with the
//! property being shrunk for, within the budget.
//!
//! Every candidate is a real run (`run_plan`, through a [`Runner`] so tests can substitute a
//! model of the system). Runs are deterministic, so the oracle caches answers by the plan's
//! JSON. With `jobs > 1` a batch of candidates runs at once, but the answer is always the
//! first failing candidate in the caller's order and only the runs up to it are counted (and
//! cached), exactly as if they had run one by one — so the shrink's path and its run count do
//! not depend on `jobs`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{Status, run_plan};
use serde::Serialize;

/// What the shrinker needs to know of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub status: Status,
    /// The violated properties, in property order.
    pub properties: Vec<Property>,
    /// Operations in the history (register operations, liveness probes included).
    pub ops: u64,
    /// Simulated ms the run took.
    pub sim_ms: u64,
}

/// Runs plans. Implemented by [`InProcess`]; tests substitute a model of the system.
pub trait Runner: Sync {
    fn run(&self, plan: &Plan) -> Probe;
}

/// Runs each plan with `run_plan`, in this process (each on its own fresh thread).
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcess;

impl Runner for InProcess {
    fn run(&self, plan: &Plan) -> Probe {
        let v = run_plan(plan).verdict;
        Probe {
            status: v.status,
            properties: v.properties(),
            ops: v.stats.ops,
            sim_ms: v.stats.sim_ms,
        }
    }
}

/// Why a shrink stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// Every pass ran without finding a smaller failing plan.
    Minimal,
    /// The run budget (`--max-runs`) was spent.
    Runs,
    /// The wall-time budget (`--max-time`) was spent.
    Time,
}

impl Stop {
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Minimal => "no smaller plan fails",
            Stop::Runs => "run budget spent",
            Stop::Time => "time budget spent",
        }
    }
}

/// Runs candidates for one shrink.
pub(crate) struct Oracle<'r, R: Runner> {
    runner: &'r R,
    property: Property,
    max_runs: u64,
    deadline: Option<Instant>,
    jobs: usize,
    pub(crate) runs: u64,
    cache: BTreeMap<String, Probe>,
}

impl<'r, R: Runner> Oracle<'r, R> {
    pub(crate) fn new(
        runner: &'r R,
        property: Property,
        max_runs: u64,
        max_time: Option<Duration>,
        jobs: usize,
    ) -> Self {
        // The shrinker runs outside any simulation; its time budget is wall-clock time.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        Oracle {
            runner,
            property,
            max_runs,
            deadline: max_time.map(|t| now + t),
            jobs: jobs.max(1),
            runs: 0,
            cache: BTreeMap::new(),
        }
    }

    pub(crate) fn set_property(&mut self, property: Property) {
        self.property = property;
    }

    /// Whether `probe` is a failure with the property.
    pub(crate) fn fails(&self, probe: &Probe) -> bool {
        probe.status == Status::Fail && probe.properties.contains(&self.property)
    }

    fn spent(&self) -> Option<Stop> {
        if self.runs >= self.max_runs {
            return Some(Stop::Runs);
        }
        // Wall-clock budget, outside any simulation.
        #[allow(clippy::disallowed_methods)]
        let late = self.deadline.is_some_and(|d| Instant::now() >= d);
        late.then_some(Stop::Time)
    }

    /// Runs `plan` (counted, cached) whatever it gives.
    pub(crate) fn probe(&mut self, plan: &Plan) -> Probe {
        let key = plan.to_json();
        if let Some(p) = self.cache.get(&key) {
            return p.clone();
        }
        self.runs += 1;
        let p = self.runner.run(plan);
        self.cache.insert(key, p.clone());
        p
    }

    /// The first of `candidates`, in order, that still fails with the property, and its probe.
    /// Invalid plans never fail (and cost nothing). `Err` when the budget ran out first.
    pub(crate) fn first_failing(
        &mut self,
        candidates: &[Plan],
    ) -> Result<Option<(usize, Probe)>, Stop> {
        let mut batch: Vec<(usize, String)> = Vec::new();
        for (i, plan) in candidates.iter().enumerate() {
            if plan.validate().is_err() {
                continue;
            }
            let key = plan.to_json();
            if batch.is_empty()
                && let Some(p) = self.cache.get(&key)
            {
                if self.fails(p) {
                    return Ok(Some((i, p.clone())));
                }
                continue;
            }
            batch.push((i, key));
            if batch.len() == self.jobs
                && let Some(found) = self.run_batch(candidates, &mut batch)?
            {
                return Ok(Some(found));
            }
        }
        if !batch.is_empty() {
            return self.run_batch(candidates, &mut batch);
        }
        Ok(None)
    }

    /// Runs `batch` (at once when it holds several), then reads the answers in order as if
    /// they had run one by one; empties `batch`.
    fn run_batch(
        &mut self,
        candidates: &[Plan],
        batch: &mut Vec<(usize, String)>,
    ) -> Result<Option<(usize, Probe)>, Stop> {
        let pending = std::mem::take(batch);
        // A candidate already answered (the same plan twice in one batch) needs no run.
        let todo: Vec<&(usize, String)> = pending
            .iter()
            .filter(|(_, k)| !self.cache.contains_key(k))
            .collect();
        if let Some(stop) = self.spent() {
            // Nothing new can run; cached answers ahead of the first uncached one still count.
            for (i, key) in &pending {
                match self.cache.get(key) {
                    Some(p) if self.fails(p) => return Ok(Some((*i, p.clone()))),
                    Some(_) => {}
                    None => return Err(stop),
                }
            }
            return Ok(None);
        }
        let room = usize::try_from(self.max_runs - self.runs).unwrap_or(usize::MAX);
        let todo = &todo[..todo.len().min(room)];
        let runner = self.runner;
        let results: Vec<Probe> = if todo.len() == 1 {
            vec![runner.run(&candidates[todo[0].0])]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = todo
                    .iter()
                    .map(|(i, _)| {
                        let plan = &candidates[*i];
                        // Outside any simulation: each `run_plan` starts its own fresh thread.
                        #[allow(clippy::disallowed_methods)]
                        scope.spawn(move || runner.run(plan))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| match h.join() {
                        Ok(p) => p,
                        // `run_plan` turns panics into verdicts; a runner that still panics
                        // answers "no failure", which only makes the shrink keep more.
                        Err(_) => Probe {
                            status: Status::Unknown,
                            properties: Vec::new(),
                            ops: 0,
                            sim_ms: 0,
                        },
                    })
                    .collect()
            })
        };
        let fresh: BTreeMap<&str, &Probe> = todo
            .iter()
            .map(|(_, k)| k.as_str())
            .zip(results.iter())
            .collect();
        // In order: count and cache each answer until the first failure, as a sequential
        // oracle would have.
        for (i, key) in &pending {
            let probe = match self.cache.get(key) {
                Some(p) => p.clone(),
                None => match fresh.get(key.as_str()) {
                    Some(p) => {
                        self.runs += 1;
                        self.cache.insert(key.clone(), (*p).clone());
                        (*p).clone()
                    }
                    // Cut off by the run budget.
                    None => return Err(Stop::Runs),
                },
            };
            if self.fails(&probe) {
                return Ok(Some((*i, probe)));
            }
        }
        Ok(None)
    }
}
