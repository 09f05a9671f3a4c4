//! `faultline check`: checks history files for linearizability against a model. Each file
//! gets one line (verdict, operations, keys, time taken); `--details` adds per-key results and
//! counterexamples, `--json` prints one machine-readable summary of every file, `--html`
//! draws each checked file as the report page does a run.
//!
//! A file that cannot be read or checked is reported on its line, naming the file (and the
//! line of the file at fault), and the other files are still checked. Exit code: 2 if any
//! file could not be read or checked, else 1 if any history is not linearizable, else 3 if
//! any is undecided, else 0.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::read::{Clock, Format, read_history_file_timed};
use faultline_sim::check::{Budget, CheckOptions, Mode, Report, Verdict, check};
use faultline_sim::history::History;
use faultline_sim::html::{self, TimeUnit, View};
use serde::Serialize;

use super::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// write v, delete, read -> v | none; one register per key.
    Register,
    /// register plus cas(from -> to); a cas that did not apply saw another value.
    CasRegister,
    /// get, put, append on strings (Porcupine's key-value model; Jepsen's list-append).
    AppendKv,
}

impl ModelArg {
    fn name(self) -> &'static str {
        match self {
            ModelArg::Register => "register",
            ModelArg::CasRegister => "cas-register",
            ModelArg::AppendKv => "append-kv",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Porcupine key-value EDN lines ({:process 0, :type :invoke, :f :get, ...}).
    EdnKv,
    /// Jepsen `jepsen.util` log lines (register / cas-register tests), fields separated by
    /// tabs or spaces, with or without the `INFO jepsen.util -` prefix.
    JepsenLog,
    /// Jepsen's history.edn: register, cas-register (plain or jepsen.independent) and
    /// one-micro-op list-append transactions.
    JepsenEdn,
    /// This project's JSON Lines history (or one JSON array of operations).
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::EdnKv => Format::EdnKv,
            FormatArg::JepsenLog => Format::JepsenLog,
            FormatArg::JepsenEdn => Format::JepsenEdn,
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
    /// Under each file's line, its per-key results and counterexamples.
    #[arg(long)]
    details: bool,
    /// With --details, the whole linearizable prefix of each counterexample, not just its tail.
    #[arg(long)]
    full: bool,
    /// Print one JSON summary of every file instead of text (with --details, each report).
    #[arg(long)]
    json: bool,
    /// Draw each checked history as an HTML timeline: this file for one history, or a
    /// directory holding `<file name>.html` for several.
    #[arg(long)]
    html: Option<PathBuf>,
    /// History files.
    #[arg(required = true)]
    pub(super) files: Vec<PathBuf>,
}

/// One file's line, as `--json` prints it.
#[derive(Debug, Serialize)]
struct FileSummary {
    file: String,
    /// `ok`, `illegal`, `unknown`, `unreadable` (the file could not be read or parsed) or
    /// `unchecked` (the model refused the history).
    status: &'static str,
    ops: Option<usize>,
    keys: Option<usize>,
    decided: Option<usize>,
    millis: Option<f64>,
    /// Why the file is unreadable or unchecked.
    error: Option<String>,
    /// The line of the file at fault, when there is one.
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
}

#[derive(Debug, Default, Serialize)]
struct Totals {
    files: usize,
    ok: usize,
    illegal: usize,
    unknown: usize,
    unreadable: usize,
    unchecked: usize,
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
    let format = Format::from(args.format);
    let html_dir = match &args.html {
        Some(dir) if args.files.len() > 1 => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the --html directory {}", dir.display()))?;
            Some(dir.clone())
        }
        _ => None,
    };
    let mut totals = Totals::default();
    let mut summaries = Vec::new();
    for path in &args.files {
        let summary = check_file(args, path, format, &options, html_dir.as_deref());
        totals.files += 1;
        match summary.status {
            "ok" => totals.ok += 1,
            "illegal" => totals.illegal += 1,
            "unknown" => totals.unknown += 1,
            "unchecked" => totals.unchecked += 1,
            _ => totals.unreadable += 1,
        }
        if !args.json {
            print_summary(args, &summary);
        }
        summaries.push(summary);
    }
    if args.json {
        let out = serde_json::json!({ "files": summaries, "totals": totals });
        println!("{out}");
    } else if totals.files > 1 {
        println!(
            "{} files: {} ok, {} illegal, {} unknown, {} unreadable, {} unchecked",
            totals.files,
            totals.ok,
            totals.illegal,
            totals.unknown,
            totals.unreadable,
            totals.unchecked
        );
    }
    let bad = totals.unreadable + totals.unchecked;
    if bad > 0 {
        anyhow::bail!(
            "{bad} of {} file(s) could not be read or checked (see above)",
            totals.files
        );
    }
    Ok(if totals.illegal > 0 {
        Exit::Violation
    } else if totals.unknown > 0 {
        Exit::Undecided
    } else {
        Exit::Success
    })
}

fn check_file(
    args: &CheckArgs,
    path: &Path,
    format: Format,
    options: &CheckOptions,
    html_dir: Option<&Path>,
) -> FileSummary {
    let mut s = FileSummary {
        file: path.display().to_string(),
        status: "unreadable",
        ops: None,
        keys: None,
        decided: None,
        millis: None,
        error: None,
        line: None,
        html: None,
        report: None,
    };
    let (history, clock) = match read_history_file_timed(path, format) {
        Ok(h) => h,
        Err(e) => {
            s.line = e.line();
            s.error = Some(e.to_string());
            return s;
        }
    };
    s.ops = Some(history.len());
    // The CLI measures real elapsed time; it never runs inside a simulation.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let report = match check_with(args.model, &history, options) {
        Ok(r) => r,
        Err(e) => {
            s.status = "unchecked";
            s.error = Some(format!("{}: {e:#}", path.display()));
            return s;
        }
    };
    s.millis = Some(start.elapsed().as_secs_f64() * 1000.0);
    s.status = match report.verdict {
        Verdict::Ok => "ok",
        Verdict::Illegal => "illegal",
        Verdict::Unknown => "unknown",
    };
    s.keys = Some(report.partitions.len());
    s.decided = Some(report.decided());
    if let Some(target) = &args.html {
        let out = match html_dir {
            Some(dir) => dir.join(format!(
                "{}.html",
                path.file_name().map_or_else(
                    || "history".to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            )),
            None => target.clone(),
        };
        match write_html(args, path, format, clock, &history, &report, &out) {
            Ok(()) => s.html = Some(out.display().to_string()),
            Err(e) => {
                s.error = Some(format!("writing {}: {e}", out.display()));
            }
        }
    }
    // Without --details the summary stays small.
    s.report = args.details.then_some(report);
    s
}

fn write_html(
    args: &CheckArgs,
    path: &Path,
    format: Format,
    clock: Clock,
    history: &History,
    report: &Report,
    out: &Path,
) -> std::io::Result<()> {
    let unit = match clock {
        Clock::Nanos => TimeUnit::Ms,
        Clock::Lines => TimeUnit::Line,
        Clock::Given => TimeUnit::Raw,
    };
    let mut view = View::from_history(path.display().to_string(), history, unit, Some(report));
    view.facts.insert(0, ("status".into(), view.status.clone()));
    view.facts
        .push(("format".into(), format.name().to_string()));
    view.facts
        .push(("checked with".into(), args.model.name().to_string()));
    std::fs::write(out, html::render(&view))
}

fn check_with(model: ModelArg, history: &History, options: &CheckOptions) -> Result<Report> {
    Ok(match model {
        ModelArg::Register => check(&Register, history, options)?,
        ModelArg::CasRegister => check(&CasRegister, history, options)?,
        ModelArg::AppendKv => check(&AppendKv, history, options)?,
    })
}

fn print_summary(args: &CheckArgs, s: &FileSummary) {
    match (s.status, &s.report) {
        ("unreadable", _) => println!("{}", s.error.as_deref().unwrap_or("unreadable")),
        ("unchecked", _) => println!(
            "{}: cannot check: {}",
            s.file,
            s.error.as_deref().unwrap_or("")
        ),
        (status, report) => {
            println!(
                "{}: {status} in {:.1} ms ({} ops, {} keys, {} decided){}",
                s.file,
                s.millis.unwrap_or(0.0),
                s.ops.unwrap_or(0),
                s.keys.unwrap_or(0),
                s.decided.unwrap_or(0),
                s.html
                    .as_deref()
                    .map_or_else(String::new, |h| format!("; timeline {h}"))
            );
            if let Some(e) = &s.error {
                println!("  {e}");
            }
            if let (true, Some(report)) = (args.details, report) {
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
            }
        }
    }
}
