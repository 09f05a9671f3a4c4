//! `faultline run`: runs seeds of one scenario or all of them, with a progress bar, a summary
//! table per scenario (seeds by status: pass, fail, unknown, vacuous), and a repro line with
//! its status for every seed that did not pass. Exits 0 only when every seed passed
//! (`--allow-unknown` / `--allow-vacuous` relax that). `--check-determinism` runs each seed
//! twice and replays a sample in fresh processes. `--shard I/N` runs this machine's share of
//! the (scenario, seed) pairs; `--json FILE` writes the summary `faultline merge` combines.
//! SIGTERM / SIGINT stop new seeds from starting; the summary covers the seeds that ran.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::runner::{FreshReplay, RunnerConfig, run_batch_until};
use faultline_scenarios::seeds::SeedRange;
use faultline_scenarios::shard::Shard;
use faultline_scenarios::stats::ScenarioStats;
use faultline_scenarios::summary::{Finding, Gate, Kind, Summary};
use faultline_scenarios::watchdog::abandoned;

use super::Exit;
use super::interrupt::Interrupt;
use super::progress::{bar, default_jobs, on_seed_done};
use super::switches::SwitchArgs;
use super::watch::WatchArgs;

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
    /// Run every seed twice and compare trace hashes; also replay a sample of seeds in a
    /// fresh process.
    #[arg(long)]
    check_determinism: bool,
    /// With --check-determinism, replay every N-th seed of each scenario in a fresh process
    /// (0: none).
    #[arg(long, default_value_t = 10)]
    fresh_every: usize,
    /// Shrink every failing seed (see `faultline shrink`); reports go under `reports/`.
    #[arg(long)]
    shrink: bool,
    /// This machine's shard of the (scenario, seed) pairs, I/N (0-based); shards are
    /// disjoint, together cover the run, and each gets its share of every scenario.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Exit 0 even if some seeds are `unknown` (a check ran out of budget).
    #[arg(long)]
    allow_unknown: bool,
    /// Exit 0 even if some seeds are `vacuous` (did not exercise their scenario).
    #[arg(long)]
    allow_vacuous: bool,
    /// Also write the summary as JSON to FILE (`-`: stdout, the table then goes to stderr).
    #[arg(long, value_name = "FILE")]
    json: Option<std::path::PathBuf>,
    #[command(flatten)]
    switches: SwitchArgs,
    #[command(flatten)]
    watch: WatchArgs,
}

impl RunArgs {
    /// The `--shard` given, as `I/N`.
    #[cfg(test)]
    pub fn shard_spec(&self) -> String {
        self.shard.to_string()
    }
}

pub fn run(args: &RunArgs) -> Result<Exit> {
    let interrupt = Interrupt::install()?;
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
    let mut config = RunnerConfig {
        jobs,
        check_determinism: args.check_determinism,
        fresh,
        ..RunnerConfig::default()
    };
    args.watch.configure(&mut config)?;
    config.switches = args.switches.switches();
    config.system = args.switches.system();
    let seeds: Vec<u64> = args.seeds.iter().collect();
    // Shard by position in the fixed list of (scenario, seed) pairs.
    let owned: Vec<Vec<u64>> = (0..scenarios.len())
        .map(|s| {
            seeds
                .iter()
                .enumerate()
                .filter(|(k, _)| args.shard.owns((s * seeds.len() + k) as u64))
                .map(|(_, seed)| *seed)
                .collect()
        })
        .collect();
    let pb = bar(Some(owned.iter().map(|o| o.len() as u64).sum()));
    let on_done = on_seed_done(&pb);
    let gate = Gate {
        allow_unknown: args.allow_unknown,
        allow_vacuous: args.allow_vacuous,
    };
    let mut summary = Summary::new(Kind::Run, args.shard, gate);
    for (scenario, seeds) in scenarios.into_iter().zip(&owned) {
        if seeds.is_empty() {
            continue;
        }
        // Wall-clock time per scenario is a campaign statistic, measured outside simulation.
        #[allow(clippy::disallowed_methods)]
        let started = Instant::now();
        let results = run_batch_until(scenario, seeds, &config, &on_done, &|| interrupt.is_set());
        summary.scenarios.push(ScenarioStats::of(
            scenario.name(),
            &results,
            started.elapsed(),
        ));
        summary
            .findings
            .extend(results.iter().filter_map(Finding::of));
        if interrupt.is_set() {
            summary.interrupted = true;
            break;
        }
    }
    pb.finish_and_clear();
    summary.abandoned = abandoned() as u64;
    let summary = summary.finish();
    emit(&summary, &summary.render(), args.json.as_deref())?;
    if args.shrink {
        let failures: Vec<(&str, u64)> = summary
            .findings
            .iter()
            .filter(|f| f.status == faultline_sim::run::Status::Fail)
            .map(|f| (f.scenario.as_str(), f.seed))
            .collect();
        super::shrink::after_campaign(&failures, std::path::Path::new("reports"), &args.switches)?;
    }
    Ok(Exit::from(summary.status))
}

/// Prints the human summary and writes the JSON one: to `json` when given (`-`: stdout, and
/// then the human text goes to stderr so the JSON stays parseable).
pub fn emit(summary: &Summary, text: &str, json: Option<&Path>) -> Result<()> {
    match json {
        Some(p) if p == Path::new("-") => {
            eprint!("{text}");
            println!("{}", serde_json::to_string_pretty(summary)?);
        }
        Some(p) => {
            print!("{text}");
            summary
                .write(p)
                .with_context(|| format!("writing the summary {}", p.display()))?;
        }
        None => print!("{text}"),
    }
    Ok(())
}
