//! The seed runner: runs one seed on a fresh OS thread inside a fresh madsim `Runtime` built
//! from that seed, and turns a panic anywhere in the simulation into a `Finding` instead of a
//! crashed harness.
//!
//! Why a fresh thread per seed: std's `HashMap` keys are thread-local and seeded when a thread
//! first uses them; madsim re-seeds them from the seed only on a thread that has not used them
//! yet. A fresh thread per seed is what lets a seed replay the same way as the first seed of a
//! process, the last, or the only one.
//!
//! Why a real tokio runtime around the simulation: openraft's internals use the real tokio's
//! channels and unbiased `select!`, which draw from tokio's thread-local RNG. Left alone, tokio
//! seeds that RNG from a process-wide counter, so a seed's second run in one process could wake
//! waiters or pick `select!` branches in another order than its first. Entering a current-thread
//! runtime built with `rng_seed(seed)` pins that RNG to the seed. The simulation runs inside
//! `unconstrained`, because all of it is one poll of the outer future and tokio's cooperative
//! budget would otherwise run out and starve the channels.
//!
//! Stopping a seed from outside ([`Cancel`]): a madsim runtime cannot be cancelled from another
//! thread, and a task that keeps re-waking itself never lets madsim's simulated time limit
//! fire (the limit is checked only when no task is ready). The seed watchdog therefore stops a
//! seed through the simulated clock: [`Cancel::cancel`] arms a 1 ms simulated timer whose
//! waker wakes the seed's main task, and the main task, polled on the seed's own thread,
//! panics with the stop's message. Simulated time advances with every task poll, so the timer
//! fires even while a task spins. If the main task has already finished (a spinning task keeps
//! madsim from returning even then), the timer's callback panics itself, on the seed's thread. Nothing is armed until a stop is asked for, so a run that is
//! never stopped schedules exactly what it did before. A seed stuck in synchronous code (a
//! loop with no await) cannot be stopped this way; its caller has to abandon the thread.
//!
//! This file is the one place that spawns OS threads: it runs outside the simulation.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How to build the runtime of a seed.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// madsim's config: the network's base latency and loss.
    pub madsim: madsim::Config,
    /// A run that passes this much simulated time panics, and so becomes a finding.
    pub time_limit: Option<Duration>,
    /// Lets another thread stop the run (the seed watchdog); a fresh token is never cancelled.
    pub cancel: Cancel,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            madsim: madsim::Config::default(),
            time_limit: Some(Duration::from_secs(600)),
            cancel: Cancel::default(),
        }
    }
}

impl From<&super::WorldConfig> for RunSpec {
    fn from(c: &super::WorldConfig) -> Self {
        RunSpec {
            madsim: c.madsim_config(),
            time_limit: Some(c.time_limit),
            cancel: Cancel::default(),
        }
    }
}

/// Why the watchdog stopped a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// The seed ran past its wall-clock limit.
    WallClock,
    /// The seed (or its process) used more memory than its limit.
    Memory,
}

/// A stop the watchdog asked for: its cause and the message the seed panics with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub cause: StopCause,
    pub message: String,
}

/// A handle that stops a running seed from another thread (see the module docs). Clones share
/// one state; cancelling twice keeps the first stop.
#[derive(Clone, Default)]
pub struct Cancel {
    state: Arc<Mutex<CancelState>>,
}

#[derive(Default)]
struct CancelState {
    stop: Option<Stop>,
    /// The main task returned; a stop must then strike from the timer itself.
    main_done: bool,
    /// The running seed's clock and main-task waker, once its main task was first polled.
    hook: Option<(madsim::time::TimeHandle, Waker)>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("stop", &self.stopped())
            .finish_non_exhaustive()
    }
}

/// Wakes the seed's main task, or panics with the stop when the main task has finished;
/// called by the simulated timer, on the seed's own thread.
struct WakeMain {
    cancel: Cancel,
    main: Waker,
}

impl Wake for WakeMain {
    fn wake(self: Arc<Self>) {
        let state = self.cancel.lock();
        if state.main_done
            && let Some(stop) = &state.stop
        {
            let message = stop.message.clone();
            drop(state);
            panic!("{message}");
        }
        drop(state);
        self.main.wake_by_ref();
    }
}

impl Cancel {
    fn lock(&self) -> std::sync::MutexGuard<'_, CancelState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the seed to stop: its main task panics with `message` at its next poll, which a
    /// 1 ms simulated timer brings about. Safe to call from any thread, before, during or
    /// after the run.
    pub fn cancel(&self, cause: StopCause, message: impl Into<String>) {
        let mut state = self.lock();
        if state.stop.is_some() {
            return;
        }
        state.stop = Some(Stop {
            cause,
            message: message.into(),
        });
        if let Some((time, main)) = &state.hook {
            // Polling a fresh sleep registers its timer in the seed's timer wheel (under the
            // wheel's own lock); the timer's callback runs on the seed's thread.
            let waker = Waker::from(Arc::new(WakeMain {
                cancel: self.clone(),
                main: main.clone(),
            }));
            let mut sleep = std::pin::pin!(time.sleep(Duration::ZERO));
            let _ = sleep.as_mut().poll(&mut Context::from_waker(&waker));
        }
    }

    /// The stop asked for, if any.
    pub fn stopped(&self) -> Option<Stop> {
        self.lock().stop.clone()
    }

    /// Called at every poll of the seed's main task: records its waker and clock, or panics
    /// with the stop's message once a stop was asked for.
    fn checkpoint(&self, cx: &Context<'_>) {
        let mut state = self.lock();
        if let Some(stop) = &state.stop {
            let message = stop.message.clone();
            drop(state);
            panic!("{message}");
        }
        match &mut state.hook {
            Some((_, waker)) => waker.clone_from(cx.waker()),
            None => {
                state.hook = Some((madsim::time::TimeHandle::current(), cx.waker().clone()));
            }
        }
    }
}

/// The seed's main future, with the cancellation checkpoint in front of every poll.
struct Cancellable<F> {
    inner: Pin<Box<F>>,
    cancel: Cancel,
}

impl<F: Future> Future for Cancellable<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.cancel.checkpoint(cx);
        let poll = self.inner.as_mut().poll(cx);
        if poll.is_ready() {
            self.cancel.lock().main_done = true;
        }
        poll
    }
}

/// A seed that panicked (in the system under test, the world, or the scenario) or hit its
/// simulated time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub seed: u64,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seed {} panicked: {}", self.seed, self.message)
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs `body` for `seed` in a fresh runtime on a fresh OS thread and returns its output, or the
/// panic as a `Finding`. `body` is called on the new thread, so its future need not be `Send`.
pub fn run_seed<T, F, Fut>(seed: u64, spec: &RunSpec, body: F) -> Result<T, Finding>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
{
    let spec = spec.clone();
    let stop = spec.cancel.clone();
    super::panic_site::install();
    let thread = std::thread::Builder::new()
        .name(format!("{}{seed}", super::panic_site::SEED_THREAD_PREFIX));
    // The runner lives outside the simulation; a fresh thread per seed is the determinism
    // contract described in the module docs.
    #[allow(clippy::disallowed_methods)]
    let spawned = thread.spawn(move || {
        let mut rt = madsim::runtime::Runtime::with_seed_and_config(seed, spec.madsim);
        if let Some(limit) = spec.time_limit {
            rt.set_time_limit(limit);
        }
        let seeded_tokio = real_tokio::runtime::Builder::new_current_thread()
            .rng_seed(real_tokio::runtime::RngSeed::from_bytes(
                &seed.to_le_bytes(),
            ))
            .build()
            .expect("a current-thread tokio runtime needs no resources that can run out");
        let main = Cancellable {
            inner: Box::pin(body()),
            cancel: spec.cancel,
        };
        seeded_tokio.block_on(real_tokio::task::unconstrained(
            async move { rt.block_on(main) },
        ))
    });
    match spawned {
        Ok(handle) => {
            let id = handle.thread().id();
            handle.join().map_err(|payload| {
                let message = panic_message(payload.as_ref());
                let site = super::panic_site::take(id);
                // A stop's panic is the runner's own doing: its site says nothing about the seed.
                let stopped = stop.stopped().is_some_and(|s| s.message == message);
                Finding {
                    seed,
                    message: match site {
                        Some(site) if !stopped => format!("{message} (at {site})"),
                        _ => message,
                    },
                }
            })
        }
        Err(e) => Err(Finding {
            seed,
            message: format!("could not spawn the seed's thread: {e}"),
        }),
    }
}

/// Runs every seed of `seeds` with `jobs` seeds in flight at once (each still on its own fresh
/// thread) and returns the results in seed order.
pub fn run_seeds<T, F, Fut>(
    seeds: &[u64],
    jobs: usize,
    spec: &RunSpec,
    body: F,
) -> Vec<(u64, Result<T, Finding>)>
where
    T: Send + 'static,
    F: Fn(u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = T> + 'static,
{
    /// (position in `seeds`, seed, result): collected in completion order, sorted at the end.
    type Done<T> = Vec<(usize, u64, Result<T, Finding>)>;
    let next = AtomicUsize::new(0);
    let results: Mutex<Done<T>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let body = body.clone();
            let (next, results) = (&next, &results);
            // Workers only hand out seeds; each seed still gets its own thread in `run_seed`.
            #[allow(clippy::disallowed_methods)]
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let body = body.clone();
                    let r = run_seed(seed, spec, move || body(seed));
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, seed, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _, _)| *i);
    results.into_iter().map(|(_, s, r)| (s, r)).collect()
}

/// The seeds a test runs: `FAULTLINE_SEEDS` of them (default `default`), starting at
/// `FAULTLINE_SEED_BASE` (default 1). A malformed variable is a panic naming it: tests are the
/// only callers and a silently ignored setting would be worse.
pub fn seeds_from_env(default: u64) -> Vec<u64> {
    let read = |name: &str, default: u64| match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a non-negative integer")),
        Err(_) => default,
    };
    let n = read("FAULTLINE_SEEDS", default);
    let base = read("FAULTLINE_SEED_BASE", 1);
    (base..base.saturating_add(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_findings() {
        let r: Result<(), Finding> = run_seed(7, &RunSpec::default(), || async {
            panic!("boom");
        });
        let f = r.unwrap_err();
        assert_eq!(f.seed, 7);
        assert!(f.message.starts_with("boom (at "), "{}", f.message);
        assert!(
            f.message.contains("runner.rs:"),
            "the panic's location: {}",
            f.message
        );
    }

    #[test]
    fn time_limit_is_a_finding() {
        let spec = RunSpec {
            time_limit: Some(Duration::from_secs(1)),
            ..RunSpec::default()
        };
        let r = run_seed(1, &spec, || async {
            madsim::time::sleep(Duration::from_secs(5)).await;
        });
        assert!(r.unwrap_err().message.contains("time limit"));
    }

    /// A task that keeps re-waking itself never lets madsim check its time limit; a cancel
    /// from another thread still stops the seed, with the stop's message.
    #[test]
    fn a_self_waking_task_is_stopped_by_a_cancel_from_another_thread() {
        let spec = RunSpec::default();
        let cancel = spec.cancel.clone();
        #[allow(clippy::disallowed_methods)] // the test's stand-in for the watchdog thread
        let watchdog = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            cancel.cancel(StopCause::WallClock, "stopped by the test");
        });
        let r: Result<(), Finding> = run_seed(5, &spec, || async {
            madsim::task::spawn(std::future::poll_fn(|cx: &mut Context<'_>| {
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            }));
            madsim::time::sleep(Duration::from_secs(3600)).await;
        });
        watchdog.join().unwrap();
        assert_eq!(r.unwrap_err().message, "stopped by the test");
        assert_eq!(
            spec.cancel.stopped().map(|s| s.cause),
            Some(StopCause::WallClock)
        );
    }

    /// The main task returned, but a spinning task keeps madsim from returning: the stop
    /// strikes from the timer.
    #[test]
    fn a_spinning_task_that_outlives_the_main_task_is_stopped_too() {
        let spec = RunSpec::default();
        let cancel = spec.cancel.clone();
        #[allow(clippy::disallowed_methods)] // the test's stand-in for the watchdog thread
        let watchdog = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            cancel.cancel(StopCause::WallClock, "stopped after the main task");
        });
        let r: Result<(), Finding> = run_seed(6, &spec, || async {
            madsim::task::spawn(std::future::poll_fn(|cx: &mut Context<'_>| {
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            }));
        });
        watchdog.join().unwrap();
        assert_eq!(r.unwrap_err().message, "stopped after the main task");
    }

    #[test]
    fn a_cancel_before_the_run_stops_it_at_its_first_poll() {
        let spec = RunSpec::default();
        spec.cancel.cancel(StopCause::Memory, "too big");
        spec.cancel
            .cancel(StopCause::WallClock, "ignored: the first stop wins");
        let r: Result<(), Finding> = run_seed(5, &spec, || async {});
        assert_eq!(r.unwrap_err().message, "too big");
    }

    #[test]
    fn runtime_is_seeded_and_results_come_back_in_order() {
        use madsim::rand::Rng;
        let draw = |seed| async move {
            assert_eq!(madsim::runtime::Handle::current().seed(), seed);
            madsim::rand::thread_rng().r#gen::<u64>()
        };
        let a = run_seeds(&[3, 1, 2], 2, &RunSpec::default(), draw);
        let b = run_seeds(&[3, 1, 2], 1, &RunSpec::default(), draw);
        assert_eq!(a.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3, 1, 2]);
        let values = |v: &[(u64, Result<u64, Finding>)]| {
            v.iter().map(|r| r.1.clone().unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(values(&a), values(&b));
        assert_ne!(values(&a)[0], values(&a)[1]);
    }
}
