//! One run of a plan, top to bottom: `run_plan` boots the world for `plan.seed` on a fresh OS
//! thread in a fresh madsim runtime (`world::runner`), runs the workload, the fault schedule
//! and the metrics sampler concurrently, then the liveness phase, and then — back outside the
//! simulation — every checker. A panic anywhere in the simulation becomes a `Panic` violation
//! naming the seed (a hung run that hits its simulated time limit, a `Liveness` one), with the
//! history and trace recorded up to that point.
//!
//! Files: `simulate` (inside the runtime), `observe` (probes → checker vocabulary), `checks`
//! (every checker), `report` (the report directory).

pub mod checks;
pub mod fingerprint;
pub mod observe;
mod plants;
pub mod report;
pub mod simulate;

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};

pub use crate::world::runner::{Cancel, Stop, StopCause};
pub use report::write_report;

use crate::check::violation::{Property, Violation};
use crate::history::{History, Outcome};
use crate::plan::Plan;
use crate::workload::{CallCounts, HistoryEvent};
use crate::world::{RunSpec, run_seed};
use fingerprint::{RunRecord, fingerprint};
use simulate::{Simulated, Sink, simulate, world_config};

/// Everything one run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub plan: Plan,
    pub verdict: Verdict,
    /// Invoke / ok / fail / info events of register operations (`history.jsonl`).
    pub history: Vec<HistoryEvent>,
    /// `trace.log` lines: `<simulated ms> <event as JSON>`.
    pub trace: Vec<String>,
    /// Everything else the fingerprint covers: every node's online reports
    /// (`observations.jsonl`), samples, probes, disk and network digests.
    pub record: RunRecord,
    /// The transcript, when the run happened elsewhere (a child process) and only that came
    /// back; `None` for a run of this process, whose transcript is rendered on demand.
    pub transcript: Option<Vec<String>>,
}

impl RunResult {
    /// The run as lines, for finding where two runs of one plan parted (`fingerprint`).
    pub fn transcript(&self) -> Vec<String> {
        match &self.transcript {
            Some(t) => t.clone(),
            None => fingerprint::transcript(&self.trace, &self.record, &self.verdict),
        }
    }
}

/// An operation a violation names, as `verdict.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct InvolvedOp {
    pub index: usize,
    pub process: u64,
    pub call: String,
    /// Simulated ns.
    pub invoke: u64,
    /// `ok <result> at <ns>`, `fail at <ns>`, `info at <ns>` or `info (never completed)`.
    pub outcome: String,
}

/// What a seed amounts to. Only `Pass` is green: a seed whose checks could not decide
/// (`Unknown`) or that never exercised what its scenario is for (`Vacuous`) proves nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every check ran, decided, and held; the run did what its scenario is for.
    Pass,
    /// At least one property was violated.
    Fail,
    /// Nothing was violated, but a check ran out of budget before it could decide.
    Unknown,
    /// Nothing was violated, but the run did not exercise its scenario (no fault applied, no
    /// operation succeeded).
    Vacuous,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Vacuous => "vacuous",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The run's answer (`verdict.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Verdict {
    pub scenario: String,
    pub seed: u64,
    pub status: Status,
    /// Why the status is `unknown` or `vacuous` (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    pub violations: Vec<Violation>,
    /// The run's FNV-1a fingerprint, 16 hex digits: the trace, every node's reports, samples,
    /// probes, disk and network digests and this verdict (see `fingerprint`).
    pub trace_hash: String,
    pub stats: RunStats,
    /// The operations the violations name, in index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub involved: Vec<InvolvedOp>,
}

impl Verdict {
    /// Whether the seed passed (the only green status).
    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }

    /// Whether a property was violated.
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }

    /// The names of the violated properties, deduplicated, in property order.
    pub fn properties(&self) -> Vec<Property> {
        let mut p: Vec<Property> = self.violations.iter().map(|v| v.property).collect();
        p.sort();
        p.dedup();
        p
    }
}

/// What a run did. Only simulated quantities: the same seed gives the same stats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct RunStats {
    /// Simulated ms at the end of the run (boot included).
    pub sim_ms: u64,
    /// Register operations (the history), by outcome.
    pub ops: u64,
    pub ops_ok: u64,
    pub ops_fail: u64,
    pub ops_info: u64,
    pub searches: CallCounts,
    pub creates: CallCounts,
    pub faults_applied: u64,
    pub faults_skipped: u64,
    pub restarts: u64,
    /// Distinct (term, leader) pairs the samples saw.
    pub leaders_seen: u64,
    pub max_term: u64,
    pub samples: u64,
    /// `ok`, `illegal`, `unknown`, `error`, or `not-run` (the run aborted first).
    pub linearizability: String,
    pub linearizability_steps: u64,
    /// Non-failing remarks: keys whose linearizability is unknown, and similar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Runs `plan` and checks it. Never panics on account of the plan, the system under test or
/// a checker; an invalid plan is reported as a violation (callers should `validate` first).
pub fn run_plan(plan: &Plan) -> RunResult {
    run_plan_with(plan, &Cancel::default())
}

/// [`run_plan`], stoppable from another thread through `cancel` (the seed watchdog's handle):
/// a stopped run is a `Hang` (wall clock) or `Oom` (memory) violation with everything recorded
/// up to the stop.
pub fn run_plan_with(plan: &Plan, cancel: &Cancel) -> RunResult {
    let sink = Sink::default();
    let plant = crate::plant::check(plan.plant.as_deref()).ok().flatten();
    let result = match plan.validate() {
        Err(e) => Err(format!("invalid plan: {e}")),
        Ok(()) => {
            let mut spec = RunSpec::from(&world_config(plan));
            spec.cancel = cancel.clone();
            let (p, s) = (plan.clone(), sink.clone());
            #[cfg(feature = "planted-bugs")]
            let bug = plan.planted_bug().ok().flatten();
            run_seed(plan.seed, &spec, move || {
                // On the seed's own thread, before the runtime starts: the whole simulation
                // runs on this thread, so the bug is on for exactly this run.
                #[cfg(feature = "planted-bugs")]
                faultline_engine::planted::set_active(bug);
                async move {
                    plants::start_in_simulation(plant);
                    simulate(p, s).await
                }
            })
            .map_err(|f| f.to_string())
        }
    };
    let trace = sink.trace.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let events = sink.recorder.events();
    let history = sink.recorder.history();
    let (observations, wire) = sink
        .observations
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|o| (o.take(), o.wire_digests()))
        .unwrap_or_default();
    let (mut sim, panic) = match result {
        Ok(sim) => (sim, None),
        Err(message) => (Simulated::default(), Some(message)),
    };
    sim.events = observations;
    sim.searches = sink.recorder.searches();
    sim.written = sink.recorder.written();
    let mut stats = RunStats {
        linearizability: "not-run".to_string(),
        ..RunStats::default()
    };
    let mut violations = Vec::new();
    if let Some(message) = panic {
        // A stop the watchdog asked for, or the runtime's simulated time limit, is a hang (or
        // a memory overrun), not a crash of the system under test.
        let (property, message) = match cancel.stopped() {
            Some(Stop {
                cause: StopCause::WallClock,
                message,
            }) => (Property::Hang, message),
            Some(Stop {
                cause: StopCause::Memory,
                message,
            }) => (Property::Oom, message),
            None if message.contains("time limit exceeded") => (Property::Hang, message),
            None => (Property::Panic, message),
        };
        violations.push(Violation::new(property, message));
    } else if let Some(why) = &sim.aborted {
        violations.push(Violation::new(Property::Liveness, why.clone()));
    } else {
        let checked = catch_unwind(AssertUnwindSafe(|| {
            plants::in_checks(plant);
            checks::run_checks(&history, &sim)
        }));
        match checked {
            Ok(checked) => {
                violations = checked.violations;
                stats.linearizability = checked.linearizability;
                stats.linearizability_steps = checked.steps;
                stats.notes = checked.notes;
            }
            Err(payload) => {
                stats.linearizability = "error".to_string();
                violations.push(Violation::new(
                    Property::HarnessPanic,
                    format!(
                        "a checker panicked (a harness defect, not a finding about the system under test): {}",
                        panic_text(payload.as_ref())
                    ),
                ));
            }
        }
    }
    fill_stats(&mut stats, &history, &sim);
    let (status, reasons) = status_of(plan, &violations, &stats, &history, &sim);
    let involved = involved(&history, &violations);
    let (entries, trace_lines) = match &trace {
        Some(t) => (t.entries(), report::trace_lines(t)),
        None => (Vec::new(), Vec::new()),
    };
    let record = RunRecord {
        observations: std::mem::take(&mut sim.events),
        samples: std::mem::take(&mut sim.samples),
        engine_recoveries: std::mem::take(&mut sim.engine_recoveries),
        log_recoveries: std::mem::take(&mut sim.log_recoveries),
        disks: std::mem::take(&mut sim.disks),
        wire,
    };
    let mut verdict = Verdict {
        scenario: plan.scenario.clone(),
        seed: plan.seed,
        status,
        reasons,
        violations,
        trace_hash: String::new(),
        stats,
        involved,
    };
    verdict.trace_hash = fingerprint(&entries, &record, &verdict).to_string();
    RunResult {
        plan: plan.clone(),
        verdict,
        history: events,
        trace: trace_lines,
        record,
        transcript: None,
    }
}

/// The text of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn fill_stats(stats: &mut RunStats, history: &History, sim: &Simulated) {
    stats.sim_ms = sim.finished_at / 1_000_000;
    stats.ops = history.len() as u64;
    for op in &history.ops {
        match op.outcome {
            Outcome::Ok { .. } => stats.ops_ok += 1,
            Outcome::Fail { .. } => stats.ops_fail += 1,
            Outcome::Info { .. } => stats.ops_info += 1,
        }
    }
    stats.searches = sim.workload.searches;
    stats.creates = sim.workload.creates;
    stats.faults_applied = sim.nemesis.applied;
    stats.faults_skipped = sim.nemesis.skipped;
    stats.restarts = sim.restarts.len() as u64;
    let mut leaders: Vec<(u64, u64)> = sim
        .samples
        .iter()
        .filter(|s| s.role == crate::check::observation::Role::Leader)
        .map(|s| (s.term, s.node))
        .collect();
    leaders.sort_unstable();
    leaders.dedup();
    stats.leaders_seen = leaders.len() as u64;
    stats.max_term = sim.samples.iter().map(|s| s.term).max().unwrap_or(0);
    stats.samples = sim.samples.len() as u64;
}

/// The seed's status and, for `unknown` and `vacuous`, why.
fn status_of(
    plan: &Plan,
    violations: &[Violation],
    stats: &RunStats,
    history: &History,
    sim: &Simulated,
) -> (Status, Vec<String>) {
    if !violations.is_empty() {
        return (Status::Fail, Vec::new());
    }
    let mut vacuous = Vec::new();
    if !plan.faults.is_empty() && stats.faults_applied == 0 {
        vacuous.push(format!(
            "none of the plan's {} faults applied",
            plan.faults.len()
        ));
    }
    let workload_ok = history
        .ops
        .iter()
        .enumerate()
        .filter(|(i, op)| !sim.probes.contains(i) && matches!(op.outcome, Outcome::Ok { .. }))
        .count();
    if workload_ok == 0 {
        vacuous.push("no workload operation succeeded".to_string());
    }
    if !vacuous.is_empty() {
        return (Status::Vacuous, vacuous);
    }
    if stats.linearizability == "unknown" {
        let mut why = stats.notes.clone();
        if why.is_empty() {
            why.push("linearizability undecided".to_string());
        }
        return (Status::Unknown, why);
    }
    (Status::Pass, Vec::new())
}

fn involved(history: &History, violations: &[Violation]) -> Vec<InvolvedOp> {
    let mut indices: Vec<usize> = violations.iter().flat_map(|v| v.ops.clone()).collect();
    indices.sort_unstable();
    indices.dedup();
    indices
        .into_iter()
        .filter_map(|i| {
            let op = history.ops.get(i)?;
            let outcome = match &op.outcome {
                Outcome::Ok { complete, ret } => format!("ok {ret} at {complete}"),
                Outcome::Fail { complete } => format!("fail at {complete}"),
                Outcome::Info { complete: Some(c) } => format!("info at {c}"),
                Outcome::Info { complete: None } => "info (never completed)".to_string(),
            };
            Some(InvolvedOp {
                index: i,
                process: op.process,
                call: op.call.to_string(),
                invoke: op.invoke,
                outcome,
            })
        })
        .collect()
}
