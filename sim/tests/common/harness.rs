//! How the world's acceptance tests run a scenario: every seed (`FAULTLINE_SEEDS`, default
//! `DEFAULT_SEEDS`, from `FAULTLINE_SEED_BASE`) twice (`FAULTLINE_REPEAT`) in this process, each
//! run on a fresh thread in a fresh runtime; every run must pass and hash to the same trace, and
//! different seeds must give different traces.
//!
//! Child mode, for the fresh-process determinism test: with `FAULTLINE_CHILD=<scenario>:<seed>`
//! set, `child_main` runs that one seed once and prints its hash on a marker line.

use std::future::Future;
use std::pin::Pin;

use faultline_sim::world::trace::first_difference;
use faultline_sim::world::{RunSpec, Trace, TraceHash, WorldConfig, run_seed, seeds_from_env};

/// Seeds per test unless `FAULTLINE_SEEDS` says otherwise.
pub const DEFAULT_SEEDS: u64 = 20;

/// A scenario: runs one seed inside its runtime, asserts, and returns its trace.
pub type Scenario = fn(u64) -> Pin<Box<dyn Future<Output = Trace>>>;

/// The line prefix a child prints its hash after.
pub const HASH_MARKER: &str = "FAULTLINE_TRACE_HASH=";

/// Runs `scenario` for one seed; a panic fails the test naming the scenario and seed.
pub fn run_once(name: &str, scenario: Scenario, seed: u64) -> TraceHash {
    run_traced(name, scenario, seed).hash()
}

/// Like `run_once`, returning the whole trace.
pub fn run_traced(name: &str, scenario: Scenario, seed: u64) -> Trace {
    let spec = RunSpec::from(&WorldConfig::default());
    run_seed(seed, &spec, move || scenario(seed)).unwrap_or_else(|f| {
        panic!(
            "scenario {name} failed: {f}\n  replay: FAULTLINE_SEEDS=1 FAULTLINE_SEED_BASE={seed}"
        )
    })
}

/// Runs per seed: `FAULTLINE_REPEAT` (default 2, at least 2).
fn repeats() -> u32 {
    match std::env::var("FAULTLINE_REPEAT") {
        Ok(v) => v
            .trim()
            .parse::<u32>()
            .unwrap_or_else(|_| panic!("FAULTLINE_REPEAT={v:?} is not a count"))
            .max(2),
        Err(_) => 2,
    }
}

/// Runs `scenario` over the test's seeds, `repeats()` times each; returns each seed's hash.
pub fn check(name: &str, scenario: Scenario) -> Vec<(u64, TraceHash)> {
    let seeds = seeds_from_env(DEFAULT_SEEDS);
    let mut hashes = Vec::new();
    for &seed in &seeds {
        let first = run_traced(name, scenario, seed);
        for run in 2..=repeats() {
            let again = run_traced(name, scenario, seed);
            if let Some((i, a, b)) = first_difference(&first.entries(), &again.entries()) {
                let kept = keep_traces(name, seed, &[(1, &first), (run, &again)]);
                panic!(
                    "scenario {name} seed {seed}: run {run} differs from run 1; \
                     first difference at entry {i}:\n  run 1: {a:?}\n  run {run}: {b:?}\n\
                     both traces: {kept}"
                );
            }
        }
        hashes.push((seed, first.hash()));
    }
    if seeds.len() > 1 {
        let mut distinct: Vec<TraceHash> = hashes.iter().map(|(_, h)| *h).collect();
        distinct.sort();
        distinct.dedup();
        assert!(
            distinct.len() > 1,
            "scenario {name}: {} seeds all gave the trace {}",
            seeds.len(),
            distinct[0]
        );
    }
    hashes
}

/// Writes each run's trace (one canonical line per entry) to the temp dir for diffing; returns
/// where, or why not.
fn keep_traces(name: &str, seed: u64, runs: &[(u32, &Trace)]) -> String {
    let mut paths = Vec::new();
    for (run, trace) in runs {
        let path = std::env::temp_dir().join(format!("faultline-{name}-{seed}-run{run}.trace"));
        if let Err(e) = std::fs::write(&path, trace.lines().join("\n")) {
            return format!("not kept ({e})");
        }
        paths.push(path.display().to_string());
    }
    paths.join(" ")
}

/// Child mode: if `FAULTLINE_CHILD=<scenario>:<seed>` is set, runs it and prints the hash.
pub fn child_main(scenarios: &[(&str, Scenario)]) {
    let Ok(spec) = std::env::var("FAULTLINE_CHILD") else {
        return;
    };
    let (name, seed) = spec
        .split_once(':')
        .unwrap_or_else(|| panic!("FAULTLINE_CHILD={spec:?} is not <scenario>:<seed>"));
    let seed: u64 = seed
        .parse()
        .unwrap_or_else(|_| panic!("FAULTLINE_CHILD={spec:?}: bad seed"));
    let (_, scenario) = scenarios
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("FAULTLINE_CHILD={spec:?}: unknown scenario"));
    // The test harness prints the test's name on the same line: start a fresh one.
    println!("\n{HASH_MARKER}{}", run_once(name, *scenario, seed));
}

/// Runs `test_name` of the current test binary in a fresh process for `scenario:seed` and
/// returns the hash it printed.
pub fn hash_in_fresh_process(test_name: &str, scenario: &str, seed: u64) -> TraceHash {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env("FAULTLINE_CHILD", format!("{scenario}:{seed}"))
        .output()
        .expect("spawn the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {scenario}:{seed} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let hex = stdout
        .lines()
        .find_map(|l| l.split_once(HASH_MARKER).map(|(_, h)| h))
        .unwrap_or_else(|| panic!("child {scenario}:{seed} printed no hash:\n{stdout}"));
    TraceHash(u64::from_str_radix(hex.trim(), 16).expect("a hex hash"))
}
