//! `faultline fuzz`: random scenarios and seeds until the time is up. Every failing seed is
//! re-run in a fresh process to confirm it replays with the same trace hash, then appended to
//! the regression corpus with a short reason, and its report is written.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::determinism::{ReplayKind, compare};
use faultline_scenarios::duration::parse_duration;
use faultline_scenarios::fresh::replay_fresh;
use faultline_scenarios::fuzz::{FuzzConfig, fuzz};
use faultline_scenarios::outcome::SeedOutcome;
use faultline_scenarios::regressions::Corpus;
use faultline_scenarios::runner::plan_of;
use faultline_scenarios::shard::Shard;
use faultline_scenarios::stats::{ScenarioStats, render_table};
use faultline_sim::run::{run_plan, write_report};

use super::Outcome;
use super::progress::{bar, default_jobs, on_seed_done};

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// How long to keep starting seeds, e.g. 90s, 30m, 1h, 1h30m.
    #[arg(long, value_parser = parse_duration)]
    duration: Duration,
    /// This machine's shard of the seed space, I/N (0-based): seeds base + k*N + I.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// The first seed of the seed space.
    #[arg(long, default_value_t = 1)]
    seed_base: u64,
    /// Restrict the campaign to one scenario (default: all).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Seeds in flight at once (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// The regression corpus failing seeds are appended to.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Root of the report directories.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Shrink every failing seed (see `faultline shrink`).
    #[arg(long)]
    shrink: bool,
}

pub fn run(args: &FuzzArgs) -> Result<Outcome> {
    let scenarios = catalog::select(&args.scenario)?;
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let corpus = args
        .corpus
        .clone()
        .map_or_else(Corpus::in_repo, Corpus::new);
    // Fail before hours of fuzzing, not after, if the corpus is already unreadable.
    corpus.load_all()?;
    let exe = std::env::current_exe().context("locating the faultline executable")?;
    let config = FuzzConfig {
        duration: args.duration,
        shard: args.shard,
        seed_base: args.seed_base,
        jobs,
        scenarios,
    };
    let pb = bar(None);
    let on_done = on_seed_done(&pb);
    let report = fuzz(&config, &on_done);
    pb.finish_and_clear();
    let rows: Vec<ScenarioStats> = report.stats.values().cloned().collect();
    print!("{}", render_table(&rows));
    println!(
        "shard {}: {} seeds in {:.1}s{}",
        args.shard,
        report.seeds,
        report.wall.as_secs_f64(),
        if report.exhausted {
            " (the shard's seed space is exhausted)"
        } else {
            ""
        }
    );
    if report.failures.is_empty() {
        return Ok(Outcome::Success);
    }
    println!();
    for f in &report.failures {
        record(f, &exe, &corpus, args)?;
    }
    if args.shrink {
        let seeds: Vec<(&str, u64)> = report
            .failures
            .iter()
            .map(|f| (f.scenario, f.seed))
            .collect();
        super::shrink::after_campaign(&seeds, &args.reports)?;
    }
    Ok(Outcome::Violation)
}

/// Confirms one failing seed in a fresh process, writes its report and adds it to the corpus.
fn record(f: &SeedOutcome, exe: &std::path::Path, corpus: &Corpus, args: &FuzzArgs) -> Result<()> {
    let scenario = catalog::find(f.scenario)?;
    let plan = plan_of(scenario, f.seed).map_err(anyhow::Error::msg)?;
    // The report comes from a run in this process; its hash must match the campaign's run,
    // and the fresh process's must match both.
    let result = run_plan(&plan);
    let campaign_hash = f.verdict.as_ref().map(|v| v.trace_hash.clone());
    let mut reason = f.failure.clone().unwrap_or_default();
    let fresh = replay_fresh(exe, &plan);
    let confirmed = match &fresh {
        Ok(r) => {
            match compare(
                ReplayKind::FreshProcess,
                (&result.verdict.trace_hash, &result.trace),
                (&r.trace_hash, &r.trace),
            ) {
                None => true,
                Some(m) => {
                    println!("{} seed {}: {m}", f.scenario, f.seed);
                    false
                }
            }
        }
        Err(e) => {
            println!(
                "{} seed {}: fresh-process replay failed: {e}",
                f.scenario, f.seed
            );
            false
        }
    };
    if campaign_hash
        .as_deref()
        .is_some_and(|h| h != result.verdict.trace_hash)
    {
        println!(
            "{} seed {}: the campaign's trace hash differs from the in-process replay's",
            f.scenario, f.seed
        );
    }
    if !confirmed {
        reason = format!("{reason} (did not replay identically in a fresh process)");
    }
    let dir = write_report(&args.reports, &result)
        .with_context(|| format!("writing the report under {}", args.reports.display()))?;
    let added = corpus.append(f.scenario, f.seed, &reason)?;
    println!(
        "{} seed {}: {}; report {}; {}",
        f.scenario,
        f.seed,
        if confirmed {
            "confirmed in a fresh process"
        } else {
            "NOT confirmed"
        },
        dir.display(),
        if added {
            "added to the corpus"
        } else {
            "already in the corpus"
        }
    );
    println!("{}", f.repro_line());
    Ok(())
}
