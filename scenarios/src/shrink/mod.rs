//! Shrinking a failing plan to a small one that still fails with the same property.
//!
//! A failing `random` seed carries a score of faults and hundreds of operations; most of them
//! have nothing to do with the bug. [`shrink`] searches for a smaller [`Plan`] that still
//! fails **with the same violated property**: delta debugging (ddmin) over the fault windows
//! and then single faults, a smaller cluster, fewer clients, op kinds and keys, a shorter
//! workload and liveness phase, shorter fault windows and an earlier schedule (see `passes`
//! for the order). Every candidate is a real run of the plan (`run_plan`), and runs are
//! deterministic, so the same plan and budget always shrink to the same plan.
//!
//! What "ops" means: the workload is generated at run time from the plan's `WorkloadPlan`, so
//! the plan holds no operations to drop. The shrinker turns the levers that make the
//! generated history shorter (clients, duration, op mix, think time, probes) and counts the
//! operations of the history the run records (register operations, liveness probes
//! included; searches and creates are not history operations).
//!
//! The shrunk plan keeps the seed (which still decides every choice the plan leaves open) and
//! is renamed `<scenario>-shrunk`, so its report and `repro --plan` never overwrite the
//! original seed's report. [`confirm_fresh`] replays it in a fresh process, as a user's repro
//! will, and walks back to the last adopted plan that fails there if the smallest does not.
//!
//! Files: `oracle` (runs candidates: budget, cache, parallel batches), `ddmin`, `reduce`
//! (plan transformations: windows, smaller clusters with fixed-up node names, heal time),
//! `passes` (the search).

mod ddmin;
mod oracle;
mod passes;
mod reduce;

use std::path::Path;
use std::time::{Duration, Instant};

use faultline_sim::check::violation::Property;
use faultline_sim::plan::{Plan, PlanError};
use faultline_sim::run::Status;
use serde::Serialize;
use thiserror::Error;

pub use oracle::{InProcess, Probe, Runner, Stop};

use crate::fresh::replay_fresh;

/// What a shrink may spend: candidate runs and wall time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Runs, the original's included.
    pub max_runs: u64,
    /// Wall time; `None`: no limit. A shrink cut short by time is still reproducible up to
    /// where it stopped, but where that is depends on the machine.
    pub max_time: Option<Duration>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_runs: 500,
            max_time: Some(Duration::from_secs(600)),
        }
    }
}

/// The size of a failing plan and of its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Size {
    pub faults: usize,
    /// Operations in the run's history.
    pub ops: u64,
    pub nodes: usize,
    pub clients: u32,
    /// Simulated ms of the run.
    pub sim_ms: u64,
}

impl Size {
    pub fn of(plan: &Plan, probe: &Probe) -> Size {
        Size {
            faults: plan.faults.len(),
            ops: probe.ops,
            nodes: plan.cluster.nodes,
            clients: plan.workload.clients,
            sim_ms: probe.sim_ms,
        }
    }
}

/// One adopted reduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The pass that found it (`faults`, `nodes`, `clients`, …).
    pub pass: String,
    /// What changed, in a few words.
    pub change: String,
    /// Runs spent so far.
    pub runs: u64,
    /// The size after it.
    pub size: Size,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.size;
        write!(
            f,
            "[run {:>3}] {:<10} {:<40} faults {}, ops {}, nodes {}, simulated {}",
            self.runs,
            self.pass,
            self.change,
            s.faults,
            s.ops,
            s.nodes,
            seconds(s.sim_ms)
        )
    }
}

/// What a shrink found.
#[derive(Debug, Clone, Serialize)]
pub struct ShrinkReport {
    /// The property every adopted plan fails with.
    pub property: Property,
    /// Every property the original violated.
    pub original_properties: Vec<Property>,
    pub original: Plan,
    /// The smallest plan found that still fails with `property` (in this process).
    pub minimal: Plan,
    pub before: Size,
    pub after: Size,
    /// Candidate runs, the original's included.
    pub runs: u64,
    /// Wall-clock ms the shrink took.
    pub wall_ms: u64,
    pub stopped: Stop,
    pub steps: Vec<Step>,
    /// The one line scripts parse (see [`ShrinkReport::summary`]).
    pub summary: String,
    /// Every adopted plan, oldest (the original) first: where [`confirm_fresh`] walks back.
    #[serde(skip)]
    pub accepted: Vec<Plan>,
}

/// Simulated ms as seconds with one decimal: `6.1s`.
fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

impl ShrinkReport {
    /// `shrunk: faults 19 -> 2, ops 145 -> 12, nodes 5 -> 3, simulated 6.1s -> 1.4s`.
    pub fn summary(&self) -> String {
        summary_line(&self.before, &self.after)
    }
}

/// The before/after line, exactly in the shape scripts parse.
pub fn summary_line(before: &Size, after: &Size) -> String {
    format!(
        "shrunk: faults {} -> {}, ops {} -> {}, nodes {} -> {}, simulated {} -> {}",
        before.faults,
        after.faults,
        before.ops,
        after.ops,
        before.nodes,
        after.nodes,
        seconds(before.sim_ms),
        seconds(after.sim_ms)
    )
}

/// Why a plan could not be shrunk.
#[derive(Debug, Error)]
pub enum ShrinkError {
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// The plan does not fail (with the property, when one was named).
    #[error("{}", does_not_fail(*property, *status, properties))]
    DoesNotFail {
        property: Option<Property>,
        status: Status,
        properties: Vec<Property>,
    },
    /// The budget allows not even the original's run.
    #[error("the budget allows no run at all")]
    NoBudget,
}

fn does_not_fail(property: Option<Property>, status: Status, properties: &[Property]) -> String {
    let got = if properties.is_empty() {
        format!("its status is {status}")
    } else {
        let names: Vec<&str> = properties.iter().map(|p| p.name()).collect();
        format!("it violates {}", names.join(", "))
    };
    match property {
        Some(p) => format!("nothing to shrink: the plan does not fail with {p} ({got})"),
        None => format!("nothing to shrink: the plan does not fail ({got})"),
    }
}

/// The shrunk plan's scenario name: `<scenario>-shrunk` (once).
pub fn shrunk_name(scenario: &str) -> String {
    if scenario.ends_with("-shrunk") {
        scenario.to_string()
    } else {
        format!("{scenario}-shrunk")
    }
}

/// Shrinks `plan`, failing with `property` (by default the first property it violates, in
/// property order), within `budget`; candidates run one at a time in this process.
pub fn shrink(
    plan: &Plan,
    property: Option<Property>,
    budget: &Budget,
) -> Result<ShrinkReport, ShrinkError> {
    Shrinker::new(budget.clone()).shrink(plan, property)
}

/// A configurable shrink: the runner, parallel candidates, a callback per adopted step.
pub struct Shrinker<R: Runner = InProcess> {
    budget: Budget,
    jobs: usize,
    runner: R,
    on_step: Option<OnStep>,
}

/// The callback [`Shrinker::on_step`] takes.
pub type OnStep = Box<dyn Fn(&Step) + Sync>;

impl Shrinker<InProcess> {
    pub fn new(budget: Budget) -> Self {
        Shrinker {
            budget,
            jobs: 1,
            runner: InProcess,
            on_step: None,
        }
    }
}

impl<R: Runner> Shrinker<R> {
    /// Runs candidates with `runner` instead.
    pub fn with_runner<S: Runner>(self, runner: S) -> Shrinker<S> {
        Shrinker {
            budget: self.budget,
            jobs: self.jobs,
            runner,
            on_step: self.on_step,
        }
    }

    /// Runs up to `jobs` candidates at once (the result does not depend on it).
    pub fn jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }

    /// Calls `f` with every adopted step, as it is adopted.
    pub fn on_step(mut self, f: impl Fn(&Step) + Sync + 'static) -> Self {
        self.on_step = Some(Box::new(f));
        self
    }

    /// Shrinks `plan` (see [`shrink`]).
    pub fn shrink(
        &self,
        plan: &Plan,
        property: Option<Property>,
    ) -> Result<ShrinkReport, ShrinkError> {
        plan.validate()?;
        if self.budget.max_runs == 0 {
            return Err(ShrinkError::NoBudget);
        }
        // Wall-clock time of a shrink, outside any simulation.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        let mut oracle = oracle::Oracle::new(
            &self.runner,
            property.unwrap_or(Property::Linearizability),
            self.budget.max_runs,
            self.budget.max_time,
            self.jobs,
        );
        let first = oracle.probe(plan);
        let target = match property {
            Some(p) => p,
            None => match first.properties.first() {
                Some(p) => *p,
                None => {
                    return Err(ShrinkError::DoesNotFail {
                        property,
                        status: first.status,
                        properties: first.properties,
                    });
                }
            },
        };
        oracle.set_property(target);
        if !oracle.fails(&first) {
            return Err(ShrinkError::DoesNotFail {
                property: Some(target),
                status: first.status,
                properties: first.properties,
            });
        }
        let original_properties = first.properties.clone();
        let before = Size::of(plan, &first);
        let mut start = plan.clone();
        start.scenario = shrunk_name(&plan.scenario);
        let mut search = passes::Search {
            oracle: &mut oracle,
            current: start.clone(),
            probe: first,
            steps: Vec::new(),
            accepted: vec![start],
            on_step: self.on_step.as_deref(),
        };
        let stopped = loop {
            match search.round() {
                Ok(true) => {}
                Ok(false) => break Stop::Minimal,
                Err(stop) => break stop,
            }
        };
        let after = Size::of(&search.current, &search.probe);
        let (minimal, steps, accepted) = (search.current, search.steps, search.accepted);
        let mut report = ShrinkReport {
            property: target,
            original_properties,
            original: plan.clone(),
            minimal,
            before,
            after,
            runs: oracle.runs,
            wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            stopped,
            steps,
            summary: String::new(),
            accepted,
        };
        report.summary = report.summary();
        Ok(report)
    }
}

/// The outcome of replaying a shrunk plan in a fresh process.
#[derive(Debug, Clone, Serialize)]
pub struct Confirmation {
    /// A plan that failed with the property in a fresh process, if any did.
    pub plan: Option<Plan>,
    /// Adopted plans walked back past because they did not fail the same way in a fresh
    /// process (0: the minimal plan itself is confirmed).
    pub walked_back: usize,
    /// What the fresh processes said, newest plan first.
    pub attempts: Vec<String>,
}

impl Confirmation {
    pub fn confirmed(&self) -> bool {
        self.plan.is_some()
    }
}

/// Replays the report's minimal plan in a fresh `exe replay-trace` process; if it does not
/// fail with the property there, walks back through the adopted plans (at most `max_back`)
/// to the newest that does.
pub fn confirm_fresh(exe: &Path, report: &ShrinkReport, max_back: usize) -> Confirmation {
    let mut out = Confirmation {
        plan: None,
        walked_back: 0,
        attempts: Vec::new(),
    };
    for (back, plan) in report.accepted.iter().rev().take(max_back + 1).enumerate() {
        match replay_fresh(exe, plan) {
            Ok(r) if r.properties.contains(&report.property) => {
                out.attempts.push(format!(
                    "fails with {} (trace {})",
                    report.property, r.trace_hash
                ));
                out.plan = Some(plan.clone());
                out.walked_back = back;
                return out;
            }
            Ok(r) => {
                let names: Vec<&str> = r.properties.iter().map(|p| p.name()).collect();
                out.attempts.push(format!(
                    "does not fail with {} (violates: {}; trace {})",
                    report.property,
                    if names.is_empty() {
                        "nothing".to_string()
                    } else {
                        names.join(", ")
                    },
                    r.trace_hash
                ));
            }
            Err(e) => out.attempts.push(format!("the fresh process failed: {e}")),
        }
    }
    out
}
