//! World acceptance, item 11: determinism. Every scenario's trace hash is the same when a seed
//! runs again in a fresh process (this test binary re-run for one seed) as in this process,
//! where it runs after other seeds on other threads. (Twice-in-one-process and different-seeds
//! checks run in every scenario's own test, see `common::harness::check`.)
#![cfg(madsim)]

mod common;

use common::{harness, scenarios};
use faultline_sim::world::seeds_from_env;

/// Child mode: prints the hash of `FAULTLINE_CHILD=<scenario>:<seed>`; a no-op otherwise.
#[test]
fn child_prints_hash() {
    harness::child_main(scenarios::ALL);
}

#[test]
fn world_fresh_process_replays_every_scenario() {
    if std::env::var("FAULTLINE_CHILD").is_ok() {
        return;
    }
    // Two seeds per scenario by default: each child process costs a process start.
    let seeds: Vec<u64> = seeds_from_env(2);
    for (name, scenario) in scenarios::ALL {
        for &seed in &seeds {
            // Run another seed first, so the in-process run is not the first of its process.
            harness::run_once(name, *scenario, seed + 1000);
            let here = harness::run_once(name, *scenario, seed);
            let fresh = harness::hash_in_fresh_process("child_prints_hash", name, seed);
            assert_eq!(
                here, fresh,
                "scenario {name} seed {seed}: fresh process differs"
            );
            println!("{name:<24} seed {seed:>3}: in-process {here}, fresh process {fresh}");
        }
    }
}
