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
//! This file is the one place that spawns OS threads: it runs outside the simulation.

use std::any::Any;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How to build the runtime of a seed.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// madsim's config: the network's base latency and loss.
    pub madsim: madsim::Config,
    /// A run that passes this much simulated time panics, and so becomes a finding.
    pub time_limit: Option<Duration>,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            madsim: madsim::Config::default(),
            time_limit: Some(Duration::from_secs(600)),
        }
    }
}

impl From<&super::WorldConfig> for RunSpec {
    fn from(c: &super::WorldConfig) -> Self {
        RunSpec {
            madsim: c.madsim_config(),
            time_limit: Some(c.time_limit),
        }
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
        seeded_tokio.block_on(real_tokio::task::unconstrained(async move {
            rt.block_on(body())
        }))
    });
    match spawned {
        Ok(handle) => {
            let id = handle.thread().id();
            handle.join().map_err(|payload| {
                let message = panic_message(payload.as_ref());
                Finding {
                    seed,
                    message: match super::panic_site::take(id) {
                        Some(site) => format!("{message} (at {site})"),
                        None => message,
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
