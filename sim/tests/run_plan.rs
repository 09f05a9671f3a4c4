//! `run_plan` end to end on the healthy system: a partition + kill plan runs clean over a
//! handful of seeds (`FAULTLINE_SEEDS`, default 5), and a seed run twice gives the same trace
//! hash and an identical verdict.
#![cfg(madsim)]

mod run_support;

use faultline_sim::run::run_plan;
use faultline_sim::world::seeds_from_env;

#[test]
fn partition_and_kill_run_clean() {
    for seed in seeds_from_env(5) {
        let result = run_plan(&run_support::partition_kill(seed));
        let v = &result.verdict;
        assert!(
            v.passed(),
            "seed {seed}: {} violation(s):\n{}\nstats: {:?}",
            v.violations.len(),
            v.violations
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            v.stats
        );
        assert!(v.stats.ops_ok > 0, "seed {seed}: no operation succeeded");
        assert!(v.stats.faults_applied > 0, "seed {seed}: no fault applied");
        assert_eq!(v.stats.linearizability, "ok", "seed {seed}");
        eprintln!("seed {seed}: {:?}", v.stats);
    }
}

#[test]
fn same_seed_same_trace_and_verdict() {
    let plan = run_support::partition_kill(7);
    let a = run_plan(&plan);
    let b = run_plan(&plan);
    assert_eq!(a.verdict.trace_hash, b.verdict.trace_hash);
    assert_eq!(a.verdict, b.verdict);
    assert_eq!(a.history, b.history);
    assert_eq!(a.trace, b.trace);
    let other = run_plan(&run_support::partition_kill(8));
    assert_ne!(a.verdict.trace_hash, other.verdict.trace_hash);
}
