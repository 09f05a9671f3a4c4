//! World benchmark: seeds per second and simulated seconds per wall second for the leader-kill
//! scenario (issue 4, item 6) with 200 writes, at 1 and 2 parallel jobs. Each seed runs on a
//! fresh thread in a fresh runtime, exactly as in the tests.
//!
//! `cargo bench -p faultline-sim --features world --bench world` (release). Seeds per setting:
//! `FAULTLINE_BENCH_SEEDS` (default 40); writes per seed: `FAULTLINE_BENCH_WRITES` (default 200).

#[cfg(madsim)]
#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(madsim)]
fn main() {
    use std::time::{Duration, Instant};

    use faultline_sim::world::{RunSpec, WorldConfig, run_seeds};

    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<u64>().unwrap_or_else(|_| panic!("{name}={v:?}")))
            .unwrap_or(default)
    };
    let n = env("FAULTLINE_BENCH_SEEDS", 40);
    let writes = env("FAULTLINE_BENCH_WRITES", 200);
    let spec = RunSpec::from(&WorldConfig::default());
    println!("leader_kill, 3 nodes, {writes} writes per seed, {n} seeds per setting");
    println!("jobs  seeds/s  sim s/seed  sim s per wall s  failures");
    for jobs in [1usize, 2] {
        let seeds: Vec<u64> = (1..=n).map(|s| s + 10_000 * jobs as u64).collect();
        // The bench measures the harness from outside the simulation: the wall clock is the
        // quantity being reported.
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let results = run_seeds(&seeds, jobs, &spec, move |seed| async move {
            common::scenarios::leader_kill_with(seed, writes).await;
            madsim::time::TimeHandle::current().elapsed()
        });
        let wall = start.elapsed();
        let sim: Duration = results.iter().filter_map(|(_, r)| r.as_ref().ok()).sum();
        let failures: Vec<String> = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(|f| f.to_string()))
            .collect();
        let ok = (results.len() - failures.len()).max(1) as f64;
        println!(
            "{jobs:>4}  {:>7.1}  {:>10.2}  {:>16.0}  {:>8}",
            results.len() as f64 / wall.as_secs_f64(),
            sim.as_secs_f64() / ok,
            sim.as_secs_f64() / wall.as_secs_f64(),
            failures.len()
        );
        for f in failures.iter().take(3) {
            println!("      {f}");
        }
    }
}

#[cfg(not(madsim))]
fn main() {
    eprintln!("the world bench needs --cfg madsim (set in .cargo/config.toml)");
}
