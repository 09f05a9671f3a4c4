//! `faultline fuzz`: random scenarios and seeds until the time is up (or SIGTERM / SIGINT).
//!
//! The moment a seed fails, the worker that ran it replays it in a fresh process under the
//! same limits; a failure that replays the same way there (same trace hash, or the same
//! harness finding: hang, oom, abort) is confirmed and recorded in the regression corpus at
//! once — one JSON plan per finding, under the corpus lock, written atomically — and its
//! report is written. An unconfirmed failure is reported (and fails the exit code) but not
//! recorded. Seeds that are `unknown` or `vacuous` are counted and listed with their repro
//! lines, but a fuzz campaign hunts violations: they neither enter the corpus nor fail the
//! exit code.
//!
//! The seed base is random unless given, and printed first, so any campaign can be rerun
//! exactly with `--seed-base` (and the same `--shard`, `--scenario` and build).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::duration::parse_duration;
use faultline_scenarios::fuzz::{FuzzConfig, fuzz};
use faultline_scenarios::regressions::{Corpus, Recorded};
use faultline_scenarios::result::SeedResult;
use faultline_scenarios::runner::RunnerConfig;
use faultline_scenarios::shard::Shard;
use faultline_scenarios::stats::ScenarioStats;
use faultline_scenarios::summary::{Finding, Gate, Kind, Summary};
use faultline_scenarios::watchdog::{abandoned, run_in_child, run_in_process};
use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{RunResult, write_report};

use super::Exit;
use super::interrupt::Interrupt;
use super::progress::{bar, default_jobs, on_seed_done, say};
use super::switches::SwitchArgs;
use super::watch::WatchArgs;

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// How long to keep starting seeds, e.g. 90s, 30m, 1h, 1h30m.
    #[arg(long, value_parser = parse_duration)]
    duration: Duration,
    /// This machine's shard of the seed space, I/N (0-based): seeds base + k*N + I.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// The first seed of the seed space (default: a random base, printed at the start).
    #[arg(long)]
    seed_base: Option<u64>,
    /// Restrict the campaign to one scenario (default: all).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Seeds in flight at once (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// The regression corpus confirmed failures are recorded in (default: the repo's).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Root of the report directories.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Shrink every failing seed (see `faultline shrink`).
    #[arg(long)]
    shrink: bool,
    /// Also write the summary as JSON to FILE (`-`: stdout, the table then goes to stderr).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    switches: SwitchArgs,
    #[command(flatten)]
    watch: WatchArgs,
}

/// A random seed base from the OS-seeded hasher keys, below 2^62 so the shard's seed space
/// cannot run out.
fn random_seed_base() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish() >> 2
}

impl FuzzArgs {
    /// The `--shard` given, as `I/N`.
    #[cfg(test)]
    pub fn shard_spec(&self) -> String {
        self.shard.to_string()
    }
}

pub fn run(args: &FuzzArgs) -> Result<Exit> {
    let interrupt = Interrupt::install()?;
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
    let mut runner = RunnerConfig {
        jobs,
        ..RunnerConfig::default()
    };
    args.watch.configure(&mut runner)?;
    runner.switches = args.switches.switches();
    runner.system = args.switches.system();
    let seed_base = args.seed_base.unwrap_or_else(random_seed_base);
    println!(
        "fuzz shard {}: seed base {seed_base} (rerun this campaign with --seed-base {seed_base} --shard {})",
        args.shard, args.shard
    );
    let config = FuzzConfig {
        duration: args.duration,
        shard: args.shard,
        seed_base,
        scenarios,
        runner,
    };
    let recorder = Recorder {
        exe: &exe,
        corpus: &corpus,
        reports: &args.reports,
        runner: &config.runner,
    };
    let findings: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let pb = bar(None);
    let progress = on_seed_done(&pb);
    let on_done = |r: &SeedResult| {
        progress(r);
        let Some(mut finding) = Finding::of(r) else {
            return;
        };
        if r.failed() {
            match recorder.record(r, &mut finding) {
                Ok(line) => say(&pb, &line),
                Err(e) => say(
                    &pb,
                    &format!("{} seed {}: recording failed: {e:#}", r.scenario, r.seed),
                ),
            }
        }
        findings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(finding);
    };
    let report = fuzz(&config, &on_done, &|| interrupt.is_set());
    pb.finish_and_clear();
    let mut summary = Summary::new(Kind::Fuzz, args.shard, Gate::FAILURES_ONLY);
    summary.seed_base = Some(seed_base);
    summary.scenarios = report
        .stats
        .values()
        .cloned()
        .collect::<Vec<ScenarioStats>>();
    summary.findings = findings.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.interrupted = report.interrupted;
    summary.abandoned = abandoned() as u64;
    let summary = summary.finish();
    let text = format!(
        "{}shard {}: {} seeds in {:.1}s{}\n",
        summary.render(),
        args.shard,
        report.seeds,
        report.wall.as_secs_f64(),
        if report.exhausted {
            " (the shard's seed space is exhausted)"
        } else {
            ""
        }
    );
    super::run::emit(&summary, &text, args.json.as_deref())?;
    if args.shrink {
        let failures: Vec<(&str, u64)> = summary
            .findings
            .iter()
            .filter(|f| f.status == faultline_sim::run::Status::Fail)
            .map(|f| (f.scenario.as_str(), f.seed))
            .collect();
        super::shrink::after_campaign(&failures, &args.reports, &args.switches)?;
    }
    Ok(Exit::from(summary.status))
}

/// Confirms, records and reports failing seeds, from the worker that found them.
struct Recorder<'a> {
    exe: &'a Path,
    corpus: &'a Corpus,
    reports: &'a Path,
    runner: &'a RunnerConfig,
}

/// Harness findings: whether they replay is a matter of the same limit breaking again, not of
/// the same trace.
const HARNESS: [Property; 4] = [
    Property::Hang,
    Property::Oom,
    Property::Abort,
    Property::HarnessPanic,
];

impl Recorder<'_> {
    /// Replays `r` in a fresh process; when it fails the same way there, records it in the
    /// corpus and writes its report. Returns the line to print.
    fn record(&self, r: &SeedResult, finding: &mut Finding) -> Result<String> {
        let scenario = catalog::find(r.scenario)?;
        let plan = self
            .runner
            .plan(scenario, r.seed)
            .map_err(anyhow::Error::msg)?;
        let fresh = run_in_child(self.exe, &plan, &self.runner.limits, true);
        let theirs = &fresh.result.verdict;
        let harness = r
            .verdict
            .as_ref()
            .is_some_and(|v| v.properties().iter().any(|p| HARNESS.contains(p)));
        let confirmed = theirs.failed()
            && match &r.verdict {
                Some(ours) if harness => ours.properties() == theirs.properties(),
                Some(ours) => ours.trace_hash == theirs.trace_hash,
                None => true,
            };
        finding.confirmed = Some(confirmed);
        let mut line = format!("{} seed {}: ", r.scenario, r.seed);
        if !confirmed {
            line.push_str(&format!(
                "NOT confirmed in a fresh process ({}: {}); not recorded",
                theirs.status,
                theirs
                    .violations
                    .first()
                    .map_or("no violation", |v| v.message.as_str())
            ));
            return Ok(line);
        }
        let reason = r.reason.clone().unwrap_or_default();
        let recorded = self.corpus.record(&plan, &reason)?;
        finding.corpus = Some(recorded.path().display().to_string());
        line.push_str(&format!(
            "confirmed in a fresh process; {} {}",
            match recorded {
                Recorded::Added(_) => "recorded in",
                Recorded::Already(_) => "already in",
            },
            recorded.path().display()
        ));
        let report = self.report_run(&plan, harness, fresh.result);
        match write_report(self.reports, &report) {
            Ok(dir) => line.push_str(&format!("; report {}", dir.display())),
            Err(e) => line.push_str(&format!("; writing the report failed: {e}")),
        }
        Ok(line)
    }

    /// The run a report is written from: a watched run in this process (it has the history),
    /// unless seeds run isolated or the finding is a harness one (an abort would take this
    /// process down): then the fresh process's run.
    fn report_run(&self, plan: &Plan, harness: bool, fresh: RunResult) -> RunResult {
        if harness || self.runner.isolate.is_some() {
            fresh
        } else {
            run_in_process(plan, &self.runner.limits).result
        }
    }
}
