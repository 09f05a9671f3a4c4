//! `faultline check`: reads history files, checks each for linearizability against a model and
//! prints its verdict, per-key results, counterexamples and the time taken.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::read::Format;
use faultline_sim::check::{Budget, CheckOptions, Mode, Report, Verdict, check};
use faultline_sim::history::History;

use super::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// write v, delete, read -> v | none; one register per key.
    Register,
    /// register plus cas(from -> to); a cas that did not apply saw another value.
    CasRegister,
    /// get, put, append on strings (Porcupine's key-value model).
    AppendKv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Porcupine key-value EDN lines ({:process 0, :type :invoke, :f :get, ...}).
    EdnKv,
    /// Jepsen `jepsen.util` log lines (register / cas-register tests).
    JepsenLog,
    /// This project's JSON Lines history (or one JSON array of operations).
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::EdnKv => Format::EdnKv,
            FormatArg::JepsenLog => Format::JepsenLog,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Sequential model to check against.
    #[arg(long, value_enum)]
    model: ModelArg,
    /// Format of the history files.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Decide every key instead of stopping at the first illegal one.
    #[arg(long)]
    every_key: bool,
    /// Give up (verdict unknown) after this many model steps per key.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Give up (verdict unknown) when a key's memo table exceeds this many MiB.
    #[arg(long, default_value_t = 1024)]
    max_memory_mib: usize,
    /// Give up (verdict unknown) after this many seconds per file.
    #[arg(long)]
    timeout_secs: Option<f64>,
    /// Worker threads (default: available cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Show the whole linearizable prefix of each counterexample, not just its tail.
    #[arg(long)]
    full: bool,
    /// Print each file's report as one JSON object per line instead of text.
    #[arg(long)]
    json: bool,
    /// History files.
    #[arg(required = true)]
    pub(super) files: Vec<PathBuf>,
}

pub fn run(args: &CheckArgs) -> Result<Exit> {
    let mut budget =
        Budget::unlimited().with_memo_bytes(args.max_memory_mib.saturating_mul(1 << 20));
    budget.max_steps = args.max_steps;
    if let Some(secs) = args.timeout_secs {
        let time = Duration::try_from_secs_f64(secs)
            .context("--timeout-secs must be a non-negative number")?;
        budget = budget.with_time(time);
    }
    let mode = if args.every_key {
        Mode::EveryPartition
    } else {
        Mode::FirstFailure
    };
    let options = CheckOptions {
        mode,
        budget,
        threads: args.threads,
    };
    let mut worst = Exit::Success;
    for path in &args.files {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let format = Format::from(args.format);
        let history = format
            .read(&text)
            .with_context(|| format!("{}: not a {format} history", path.display()))?;
        // The CLI measures real elapsed time; it never runs inside a simulation.
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let report = check_with(args.model, &history, &options)
            .with_context(|| format!("checking {}", path.display()))?;
        let elapsed = start.elapsed();
        print_report(args, path, &history, &report, elapsed)?;
        worst = match (worst, report.verdict) {
            (_, Verdict::Illegal) | (Exit::Violation, _) => Exit::Violation,
            (_, Verdict::Unknown) | (Exit::Undecided, _) => Exit::Undecided,
            _ => Exit::Success,
        };
    }
    Ok(worst)
}

fn check_with(model: ModelArg, history: &History, options: &CheckOptions) -> Result<Report> {
    Ok(match model {
        ModelArg::Register => check(&Register, history, options)?,
        ModelArg::CasRegister => check(&CasRegister, history, options)?,
        ModelArg::AppendKv => check(&AppendKv, history, options)?,
    })
}

fn print_report(
    args: &CheckArgs,
    path: &std::path::Path,
    history: &History,
    report: &Report,
    elapsed: Duration,
) -> Result<()> {
    if args.json {
        let line = serde_json::json!({
            "file": path.display().to_string(),
            "ops": history.len(),
            "millis": elapsed.as_secs_f64() * 1000.0,
            "report": report,
        });
        println!("{line}");
        return Ok(());
    }
    println!(
        "{}: {} in {:.1} ms ({} ops, {} keys, {} decided)",
        path.display(),
        report.verdict,
        elapsed.as_secs_f64() * 1000.0,
        history.len(),
        report.partitions.len(),
        report.decided()
    );
    for p in &report.partitions {
        println!("  {p}");
    }
    for cex in report.counterexamples() {
        let tail = if args.full {
            usize::MAX
        } else {
            faultline_sim::check::PREFIX_TAIL
        };
        for line in cex.render(tail).lines() {
            println!("  {line}");
        }
    }
    Ok(())
}
