//! `faultline shrink`: shrinks a failing seed (or plan file) to a small plan that still fails
//! with the same property (`faultline_scenarios::shrink`), confirms it in a fresh process, and
//! writes its report under `<reports>/<scenario>-shrunk/<seed>/` with the shrink's own record,
//! `shrink.json`. Prints every adopted step, then the line scripts parse,
//!
//! ```text
//! shrunk: faults 19 -> 2, ops 145 -> 12, nodes 5 -> 3, simulated 6.1s -> 1.4s
//! ```
//!
//! and the repro line of the shrunk plan. `run --shrink` and `fuzz --shrink` call
//! [`after_campaign`] for their failures.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::duration::parse_duration;
use faultline_scenarios::runner::plan_of;
use faultline_scenarios::shrink::{
    Budget, Confirmation, ShrinkReport, Shrinker, Size, confirm_fresh, summary_line,
};
use faultline_sim::check::violation::Property;
use faultline_sim::plan::Plan;
use faultline_sim::run::{run_plan, write_report};
use serde::Serialize;

use super::Exit;

#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// Scenario name (with --seed).
    #[arg(long, requires = "seed", required_unless_present = "plan")]
    scenario: Option<String>,
    /// The failing seed.
    #[arg(long, requires = "scenario")]
    seed: Option<u64>,
    /// Shrink this plan file instead (a report's plan.json, or hand-written).
    #[arg(long, conflicts_with_all = ["scenario", "seed"])]
    plan: Option<PathBuf>,
    /// Switch on this planted bug (needs a build with `--features planted-bugs`).
    #[arg(long)]
    bug: Option<String>,
    /// The property the shrunk plan must still violate (default: the first the plan violates,
    /// e.g. linearizability).
    #[arg(long, value_parser = parse_property)]
    property: Option<Property>,
    /// At most this many candidate runs.
    #[arg(long, default_value_t = 500)]
    max_runs: u64,
    /// At most this much wall time, e.g. 90s, 10m.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    max_time: Duration,
    /// Candidate runs at once (the shrunk plan does not depend on it).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Root of the report directories.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Skip the fresh-process confirmation of the shrunk plan.
    #[arg(long)]
    no_fresh: bool,
    /// Print the shrink's record as JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// A property by its report name (`linearizability`, `durability`, …).
pub(super) fn parse_property(s: &str) -> Result<Property, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
        format!("unknown property {s:?} (e.g. linearizability, durability, convergence, liveness)")
    })
}

/// What `shrink.json` holds.
#[derive(Debug, Serialize)]
struct Record<'a> {
    shrink: &'a ShrinkReport,
    /// The fresh-process confirmation (absent with `--no-fresh`).
    fresh: Option<&'a Confirmation>,
    /// The plan the report and the repro line are of (the minimal one, or the newest that
    /// failed the same way in a fresh process).
    plan: &'a Plan,
    /// Its size, from its run in this process.
    size: Size,
    /// The before/after line for that plan.
    summary: String,
    repro: String,
}

/// A shrink done and written.
struct Shrunk {
    repro: String,
    confirmed: Option<bool>,
}

fn load_plan(args: &ShrinkArgs) -> Result<Plan> {
    let mut plan = if let Some(path) = &args.plan {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the plan {}", path.display()))?;
        Plan::from_json(&text).with_context(|| format!("plan {}", path.display()))?
    } else {
        let (Some(name), Some(seed)) = (&args.scenario, args.seed) else {
            anyhow::bail!("give --scenario and --seed, or --plan");
        };
        plan_of(catalog::find(name)?, seed).map_err(anyhow::Error::msg)?
    };
    if let Some(bug) = &args.bug {
        plan.bug = Some(bug.clone());
        plan.validate()?;
    }
    Ok(plan)
}

pub fn run(args: &ShrinkArgs) -> Result<Exit> {
    let plan = load_plan(args)?;
    let budget = Budget {
        max_runs: args.max_runs,
        max_time: Some(args.max_time),
    };
    let exe = (!args.no_fresh)
        .then(std::env::current_exe)
        .transpose()
        .context("locating this executable for the fresh-process replay")?;
    if !args.json {
        println!(
            "shrinking {} seed {}{} for {} (at most {} runs, {:?})",
            plan.scenario,
            plan.seed,
            plan.bug
                .as_deref()
                .map_or_else(String::new, |b| format!(" (planted bug {b})")),
            args.property.map_or_else(
                || "the first property it violates".to_string(),
                |p| p.to_string()
            ),
            args.max_runs,
            args.max_time
        );
    }
    let verbose = !args.json;
    let shrunk = shrink_one(
        &plan,
        args.property,
        budget,
        args.jobs,
        &args.reports,
        exe.as_deref(),
        verbose,
        args.json,
    )?;
    if !args.json {
        println!("{}", shrunk.repro);
    }
    // The shrunk plan fails, like the seed it came from.
    Ok(Exit::Violation)
}

/// Shrinks `plan`, confirms, writes the report; prints progress when `verbose`.
#[allow(clippy::too_many_arguments)]
fn shrink_one(
    plan: &Plan,
    property: Option<Property>,
    budget: Budget,
    jobs: usize,
    reports: &Path,
    exe: Option<&Path>,
    verbose: bool,
    json: bool,
) -> Result<Shrunk> {
    let mut shrinker = Shrinker::new(budget).jobs(jobs);
    if verbose {
        shrinker = shrinker.on_step(|s| println!("  {s}"));
    }
    let report = shrinker.shrink(plan, property)?;
    if verbose {
        println!(
            "{} runs in {:.1}s; stopped: {}",
            report.runs,
            report.wall_ms as f64 / 1000.0,
            report.stopped.describe()
        );
    }
    let fresh = exe.map(|exe| confirm_fresh(exe, &report, 10));
    let chosen = fresh
        .as_ref()
        .and_then(|c| c.plan.clone())
        .unwrap_or_else(|| report.minimal.clone());
    if verbose && let Some(c) = &fresh {
        match (&c.plan, c.walked_back) {
            (Some(_), 0) => println!(
                "confirmed in a fresh process: {}",
                c.attempts.last().map_or("", String::as_str)
            ),
            (Some(_), n) => println!(
                "the smallest plan did not fail the same way in a fresh process; {n} step(s) back, one does: {}",
                c.attempts.join(" / ")
            ),
            (None, _) => println!(
                "NOT confirmed: no shrunk plan failed with {} in a fresh process ({})",
                report.property,
                c.attempts.join(" / ")
            ),
        }
    }
    // The report comes from a run of the chosen plan in this process.
    let result = run_plan(&chosen);
    let size = Size {
        faults: chosen.faults.len(),
        ops: result.verdict.stats.ops,
        nodes: chosen.cluster.nodes,
        clients: chosen.workload.clients,
        sim_ms: result.verdict.stats.sim_ms,
    };
    let summary = summary_line(&report.before, &size);
    let dir = write_report(reports, &result)
        .with_context(|| format!("writing the report under {}", reports.display()))?;
    let plan_path = dir.join("plan.json");
    let repro = format!("faultline repro --plan {}", plan_path.display());
    let record = Record {
        shrink: &report,
        fresh: fresh.as_ref(),
        plan: &chosen,
        size,
        summary: summary.clone(),
        repro: repro.clone(),
    };
    let text = serde_json::to_string_pretty(&record)?;
    std::fs::write(dir.join("shrink.json"), &text)
        .with_context(|| format!("writing {}", dir.join("shrink.json").display()))?;
    if json {
        println!("{text}");
    } else {
        println!("{summary}");
        if verbose {
            println!("plan: {}", plan_path.display());
            println!("report: {}", dir.join("index.html").display());
        }
    }
    Ok(Shrunk {
        repro,
        confirmed: fresh.as_ref().map(Confirmation::confirmed),
    })
}

/// `run --shrink` / `fuzz --shrink`: shrinks each failing seed with the default budget, prints
/// its before/after line and the shrunk plan's repro line. A seed that cannot be shrunk is
/// reported and the others go on.
pub fn after_campaign(
    failures: &[(&str, u64)],
    reports: &Path,
    switches: &super::switches::SwitchArgs,
) -> Result<()> {
    let exe = std::env::current_exe().context("locating this executable")?;
    for &(scenario, seed) in failures {
        println!();
        println!("shrinking {scenario} seed {seed}");
        let plan = match catalog::find(scenario)
            .map_err(anyhow::Error::from)
            .and_then(|s| plan_of(s, seed).map_err(anyhow::Error::msg))
        {
            Ok(mut p) => {
                switches.apply_to_plan(&mut p);
                p
            }
            Err(e) => {
                println!("  cannot shrink: {e:#}");
                continue;
            }
        };
        match shrink_one(
            &plan,
            None,
            Budget::default(),
            1,
            reports,
            Some(&exe),
            false,
            false,
        ) {
            Ok(s) => {
                if s.confirmed == Some(false) {
                    println!("  (not confirmed in a fresh process)");
                }
                println!("{}", s.repro);
            }
            Err(e) => println!("  cannot shrink: {e:#}"),
        }
    }
    Ok(())
}
