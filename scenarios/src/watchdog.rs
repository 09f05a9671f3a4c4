//! The seed watchdog: every run of a plan happens under a wall-clock limit (by default derived
//! from the plan), the plan's simulated-time limit and a memory limit, and whatever the seed
//! does — hang, spin, eat memory, panic in a checker, abort its process — the campaign gets a
//! [`Run`] back: a verdict, with a `hang`, `oom`, `harness-panic` or `abort` violation when the
//! seed broke a limit or the harness.
//!
//! **In process** ([`run_in_process`]): the run (simulation and checks) happens on a job thread
//! while the caller waits with a timeout and samples the process's resident memory. Each
//! calling thread keeps one long-lived job thread (its checks then run on a warm thread, as
//! they did on the worker before there was a watchdog); the simulation still gets a fresh
//! thread per run from `run_plan_with`.
//! At a limit the watchdog stops the seed through its `Cancel` handle (the simulation's main
//! task panics at its next poll, which a 1 ms simulated timer brings about even when a task
//! spins; see `faultline_sim::world::runner`) and the verdict keeps everything recorded up to
//! the stop. A seed that does not stop within the grace period (it is stuck in synchronous
//! code, or the stop came during its checks) is *abandoned*: its thread cannot be killed, so it
//! is left running, counted ([`abandoned`]) and reported, and the campaign goes on.
//! Memory in one process is shared: the watchdog compares the process's growth since the seed
//! started with the limit, and when other seeds were in flight at the time the overrun is
//! marked [`Run::retry_alone`] so the runner can re-run the seed alone before it blames it.
//!
//! **In a child process** ([`run_in_child`], `--isolate`): the run happens in a fresh
//! `faultline replay-trace` process that is killed at either limit; the memory limit is the
//! child's own resident set, and a child that aborts or dies of a signal is an `abort`
//! finding. This is the mode for campaigns where seeds may abort or leak.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use faultline_sim::check::violation::{Property, Violation};
use faultline_sim::plan::Plan;
use faultline_sim::run::simulate::world_config;
use faultline_sim::run::{
    Cancel, RunResult, RunStats, Status, StopCause, Verdict, panic_text, run_plan_with,
};

use crate::fresh::{ChildLimits, FreshError, run_child};
use crate::memory::{Bytes, rss_self};

/// How often the in-process watchdog looks at the clock and the memory.
const POLL: Duration = Duration::from_millis(25);

/// The default memory limit per seed.
pub const DEFAULT_MEMORY_LIMIT: Bytes = Bytes(4 << 30);

/// The default grace period between a stop and abandoning the seed.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// A seed's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit of one run; `None`: [`derived_wall_limit`] of the plan.
    pub wall: Option<Duration>,
    /// Memory limit of one run (in process: the process's growth while the seed runs; in a
    /// child: the child's resident set); `None`: unlimited.
    pub memory: Option<Bytes>,
    /// How long a stopped seed has to wind down before it is abandoned.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wall: None,
            memory: Some(DEFAULT_MEMORY_LIMIT),
            grace: DEFAULT_GRACE,
        }
    }
}

impl Limits {
    /// The wall-clock limit of `plan`'s runs.
    pub fn wall_for(&self, plan: &Plan) -> Duration {
        self.wall.unwrap_or_else(|| derived_wall_limit(plan))
    }
}

/// The default wall-clock limit of a plan: 30 s plus half its simulated-time limit (the
/// workload, the heal and the liveness deadline plus two minutes). A release build simulates a
/// seed hundreds of times faster than that and a debug build tens of times, so only a seed that
/// is stuck gets near it.
pub fn derived_wall_limit(plan: &Plan) -> Duration {
    Duration::from_secs(30) + world_config(plan).time_limit / 2
}

/// One watched run of a plan.
#[derive(Debug, Clone)]
pub struct Run {
    /// The run's plan, verdict, history and trace. A run that produced no result of its own
    /// (abandoned, killed, died) has the watchdog's verdict and no history or trace; a run in a
    /// child has no history, and a trace only when asked for one.
    pub result: RunResult,
    /// The run ended by itself (its verdict is the run's own): false when the watchdog
    /// stopped it, abandoned it, killed it, or it died.
    pub completed: bool,
    /// The run passed the memory limit while other seeds shared the process: re-run it
    /// alone before blaming it.
    pub retry_alone: bool,
}

/// Seeds in flight in this process (in-process runs only).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Seed threads that did not stop and were left running.
static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// How many seed threads this process has abandoned so far.
pub fn abandoned() -> usize {
    ABANDONED.load(Ordering::Relaxed)
}

struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A failing verdict for a run that produced none of its own (abandoned, killed, died).
pub fn harness_verdict(plan: &Plan, property: Property, message: impl Into<String>) -> Verdict {
    Verdict {
        scenario: plan.scenario.clone(),
        seed: plan.seed,
        status: Status::Fail,
        reasons: Vec::new(),
        violations: vec![Violation::new(property, message)],
        trace_hash: "0000000000000000".to_string(),
        stats: RunStats {
            linearizability: "not-run".to_string(),
            ..RunStats::default()
        },
        involved: Vec::new(),
    }
}

fn property_of(cause: StopCause) -> Property {
    match cause {
        StopCause::WallClock => Property::Hang,
        StopCause::Memory => Property::Oom,
    }
}

/// Adds the stop to a verdict that finished without it (the stop came while the checks ran).
fn mark_stopped(verdict: &mut Verdict, property: Property, message: String) {
    if verdict.violations.iter().all(|v| v.property != property) {
        verdict.violations.push(Violation::new(property, message));
        verdict.status = Status::Fail;
        verdict.reasons.clear();
    }
}

/// What a job thread sends back: the run, or the text of a panic around it.
type JobResult = Result<RunResult, String>;

/// A job thread: runs the plans it is sent, one at a time, and sends each result back.
struct JobThread {
    jobs: mpsc::Sender<(Plan, Cancel)>,
    results: mpsc::Receiver<JobResult>,
}

impl JobThread {
    fn spawn() -> std::io::Result<JobThread> {
        let (jobs, job_rx) = mpsc::channel::<(Plan, Cancel)>();
        let (result_tx, results) = mpsc::channel();
        // The job thread lives outside the simulation (`run_plan_with` gives the simulation a
        // fresh thread of its own); it exists so the watchdog can wait for it with a timeout.
        // It ends when its caller drops it (or, abandoned, when its stuck run ends).
        #[allow(clippy::disallowed_methods)]
        std::thread::Builder::new()
            .name("seed-job".to_string())
            .spawn(move || {
                for (plan, cancel) in job_rx {
                    let r = catch_unwind(AssertUnwindSafe(|| run_plan_with(&plan, &cancel)));
                    if result_tx
                        .send(r.map_err(|p| panic_text(p.as_ref())))
                        .is_err()
                    {
                        break;
                    }
                }
            })?;
        Ok(JobThread { jobs, results })
    }
}

thread_local! {
    /// The calling thread's job thread, kept between runs; dropped when a run is abandoned.
    static JOB_THREAD: RefCell<Option<JobThread>> = const { RefCell::new(None) };
}

/// Runs `plan` in this process under `limits` (see the module docs).
pub fn run_in_process(plan: &Plan, limits: &Limits) -> Run {
    let wall = limits.wall_for(plan);
    let cancel = Cancel::default();
    let job = JOB_THREAD.with_borrow_mut(|slot| {
        let thread = match slot.take() {
            Some(t) => t,
            None => JobThread::spawn()?,
        };
        match thread.jobs.send((plan.clone(), cancel.clone())) {
            Ok(()) => Ok(thread),
            // Its thread is gone (it cannot be: it only ends when dropped); start afresh.
            Err(mpsc::SendError(job)) => {
                let fresh = JobThread::spawn()?;
                let _ = fresh.jobs.send(job);
                Ok(fresh)
            }
        }
    });
    let job: JobThread = match job {
        Ok(job) => job,
        Err(e) => {
            let e: std::io::Error = e;
            let v = harness_verdict(
                plan,
                Property::HarnessPanic,
                format!("could not spawn the seed's job thread: {e}"),
            );
            return finished(plan, v, false, false);
        }
    };
    let (run, answered) = watch(plan, limits, wall, &cancel, &job.results);
    if answered {
        // Keep the job thread for the next run; an abandoned one is dropped (it ends when
        // its stuck run does).
        JOB_THREAD.with_borrow_mut(|slot| *slot = Some(job));
    }
    run
}

/// Waits for the job thread's answer under the limits (see the module docs); the flag says
/// whether the job thread answered (false: abandoned, or gone).
fn watch(
    plan: &Plan,
    limits: &Limits,
    wall: Duration,
    cancel: &Cancel,
    rx: &mpsc::Receiver<JobResult>,
) -> (Run, bool) {
    let _in_flight = InFlight::enter();
    // Wall-clock limits are the watchdog's business; it runs outside any simulation.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let base = limits.memory.and_then(|_| rss_self());
    // (cause, message, when, other seeds were in flight)
    let mut stop: Option<(StopCause, String, Instant, bool)> = None;
    loop {
        match rx.recv_timeout(POLL) {
            Ok(Ok(mut result)) => {
                let verdict = &mut result.verdict;
                let crowded = stop.as_ref().is_some_and(|s| s.3);
                let completed = stop.is_none();
                let cause = stop.as_ref().map(|s| s.0);
                if let Some((cause, message, at, _)) = stop {
                    let late = format!(
                        "{message} (the seed finished {:.1}s after the stop)",
                        at.elapsed().as_secs_f64()
                    );
                    mark_stopped(verdict, property_of(cause), late);
                }
                let retry = crowded && cause == Some(StopCause::Memory);
                let run = Run {
                    result,
                    completed,
                    retry_alone: retry,
                };
                return (run, true);
            }
            Ok(Err(panic)) => {
                let v = harness_verdict(
                    plan,
                    Property::HarnessPanic,
                    format!("the runner panicked around the run: {panic}"),
                );
                return (finished(plan, v, false, false), true);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let v = harness_verdict(
                    plan,
                    Property::HarnessPanic,
                    "the seed's job thread ended without a result",
                );
                return (finished(plan, v, false, false), false);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        match &stop {
            None => {
                let breach = if started.elapsed() >= wall {
                    Some((
                        StopCause::WallClock,
                        format!(
                            "wall-clock limit of {:.1}s exceeded: the watchdog stopped the seed",
                            wall.as_secs_f64()
                        ),
                    ))
                } else {
                    match (limits.memory, base, rss_self()) {
                        (Some(limit), Some(base), Some(rss))
                            if rss.saturating_sub(base) > limit.0 =>
                        {
                            Some((
                                StopCause::Memory,
                                format!(
                                    "memory limit of {limit} exceeded: the process grew by {} while the seed ran; the watchdog stopped the seed",
                                    Bytes(rss - base)
                                ),
                            ))
                        }
                        _ => None,
                    }
                };
                if let Some((cause, message)) = breach {
                    cancel.cancel(cause, message.clone());
                    let crowded = IN_FLIGHT.load(Ordering::Relaxed) > 1;
                    #[allow(clippy::disallowed_methods)]
                    let now = Instant::now();
                    stop = Some((cause, message, now, crowded));
                }
            }
            Some((cause, message, at, crowded)) if at.elapsed() >= limits.grace => {
                ABANDONED.fetch_add(1, Ordering::Relaxed);
                let limit = message.split(':').next().unwrap_or(message);
                let message = format!(
                    "{limit}; the seed did not stop within {:.1}s and its thread was abandoned \
                     (stuck outside any await point, or in its checks; --isolate kills such seeds)",
                    limits.grace.as_secs_f64()
                );
                let v = harness_verdict(plan, property_of(*cause), message);
                let retry = *crowded && *cause == StopCause::Memory;
                return (finished(plan, v, false, retry), false);
            }
            Some(_) => {}
        }
    }
}

/// A run whose result is only a verdict (no history or trace).
fn finished(plan: &Plan, verdict: Verdict, completed: bool, retry_alone: bool) -> Run {
    Run {
        result: RunResult {
            plan: plan.clone(),
            verdict,
            history: Vec::new(),
            trace: Vec::new(),
            record: Default::default(),
            transcript: None,
        },
        completed,
        retry_alone,
    }
}

/// Runs `plan` in a fresh child process of `exe` under `limits` (see the module docs);
/// `trace` asks for the trace too.
pub fn run_in_child(exe: &Path, plan: &Plan, limits: &Limits, trace: bool) -> Run {
    let child_limits = ChildLimits {
        wall: limits.wall_for(plan),
        memory: limits.memory,
        trace,
    };
    match run_child(exe, plan, &child_limits) {
        Ok(replay) => match replay.verdict {
            Some(verdict) => {
                let mut run = finished(plan, verdict, true, false);
                run.result.transcript = Some(replay.trace);
                run
            }
            None => finished(
                plan,
                harness_verdict(
                    plan,
                    Property::HarnessPanic,
                    "the seed's process answered without a verdict",
                ),
                false,
                false,
            ),
        },
        Err(e) => finished(
            plan,
            harness_verdict(plan, property_of_child_error(&e), e.to_string()),
            false,
            false,
        ),
    }
}

/// The finding a failed child run amounts to.
fn property_of_child_error(e: &FreshError) -> Property {
    match e {
        FreshError::Killed { cause, .. } => property_of(*cause),
        // The allocator's own message when an allocation fails.
        FreshError::Exit { stderr, .. } if stderr.contains("memory allocation of") => Property::Oom,
        FreshError::Exit {
            signal: Some(_), ..
        } => Property::Abort,
        // A panic outside the run's own catch (Rust exits 101), a usage error, a bad pipe.
        _ => Property::HarnessPanic,
    }
}
