//! `faultline run`: runs seeds of one scenario or all of them, with a progress bar, a summary
//! table per scenario, and a repro line for every failing seed. `--check-determinism` runs
//! each seed twice in-process and replays a sample in fresh processes.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::outcome::SeedOutcome;
use faultline_scenarios::runner::{FreshReplay, RunnerConfig, run_batch};
use faultline_scenarios::seeds::SeedRange;
use faultline_scenarios::stats::{ScenarioStats, render_table};

use super::Outcome;
use super::progress::{bar, default_jobs, on_seed_done};

/// More seeds than this in one `run` is almost certainly a typo; campaigns use `fuzz`.
const MAX_SEEDS: u64 = 100_000_000;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario name, or `all` for the whole catalog.
    #[arg(long)]
    scenario: String,
    /// N (seeds 1..=N), A..B (half-open) or A..=B.
    #[arg(long)]
    seeds: SeedRange,
    /// Seeds in flight at once (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run every seed twice in-process and compare trace hashes; also replay a sample of seeds
    /// in a fresh process.
    #[arg(long)]
    check_determinism: bool,
    /// With --check-determinism, replay every N-th seed of each scenario in a fresh process
    /// (0: none).
    #[arg(long, default_value_t = 10)]
    fresh_every: usize,
    /// Shrink every failing seed (see `faultline shrink`); reports go under `reports/`.
    #[arg(long)]
    shrink: bool,
}

pub fn run(args: &RunArgs) -> Result<Outcome> {
    let scenarios = catalog::select(&args.scenario)?;
    if args.seeds.len() > MAX_SEEDS {
        bail!(
            "--seeds {} is {} seeds; at most {MAX_SEEDS} per run (use `faultline fuzz` for longer campaigns)",
            args.seeds,
            args.seeds.len()
        );
    }
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let fresh = if args.check_determinism && args.fresh_every > 0 {
        let exe = std::env::current_exe().context("locating the faultline executable")?;
        Some(FreshReplay {
            exe,
            every: args.fresh_every,
        })
    } else {
        None
    };
    let config = RunnerConfig {
        jobs,
        check_determinism: args.check_determinism,
        fresh,
    };
    let seeds: Vec<u64> = args.seeds.iter().collect();
    let pb = bar(Some(seeds.len() as u64 * scenarios.len() as u64));
    let on_done = on_seed_done(&pb);
    let mut rows = Vec::new();
    let mut failures: Vec<SeedOutcome> = Vec::new();
    for scenario in scenarios {
        // Wall-clock time per scenario is a campaign statistic, measured outside simulation.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        let outcomes = run_batch(scenario, &seeds, &config, &on_done);
        rows.push(ScenarioStats::of(
            scenario.name(),
            &outcomes,
            started.elapsed(),
        ));
        failures.extend(outcomes.into_iter().filter(|o| o.failed()));
    }
    pb.finish_and_clear();
    print!("{}", render_table(&rows));
    if failures.is_empty() {
        return Ok(Outcome::Success);
    }
    println!();
    for f in &failures {
        if let Some(m) = &f.mismatch {
            println!("{} seed {}: {m}", f.scenario, f.seed);
        }
    }
    for f in &failures {
        println!("{}", f.repro_line());
    }
    if args.shrink {
        let seeds: Vec<(&str, u64)> = failures.iter().map(|f| (f.scenario, f.seed)).collect();
        super::shrink::after_campaign(&seeds, std::path::Path::new("reports"))?;
    }
    Ok(Outcome::Violation)
}
