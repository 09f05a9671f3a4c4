//! `faultline repro`: replays one seed of a scenario (or a plan file, or a regression corpus
//! entry) in this process under the seed watchdog, writes its report directory (`plan.json`,
//! `history.jsonl`, `trace.log`, `verdict.json`) and prints the verdict. The exit code is the
//! seed's status (0 pass, 1 fail, 3 unknown, 4 vacuous).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::regressions::read_plan;
use faultline_scenarios::result::repro_line;
use faultline_scenarios::runner::{RunnerConfig, plan_of};
use faultline_sim::plan::Plan;
use faultline_sim::run::{RunResult, write_report};

use super::Exit;
use super::switches::SwitchArgs;
use super::watch::WatchArgs;

#[derive(Debug, Args)]
pub struct ReproArgs {
    /// Scenario name (with --seed).
    #[arg(long, requires = "seed", required_unless_present = "plan")]
    scenario: Option<String>,
    /// The seed to replay.
    #[arg(long, requires = "scenario")]
    seed: Option<u64>,
    /// Replay this plan file (plan.json of a report, a regression corpus entry, or
    /// hand-written) instead.
    #[arg(long, conflicts_with_all = ["scenario", "seed"])]
    plan: Option<PathBuf>,
    /// Root of the report directories.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Print the verdict as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Switch on this planted bug (needs a build with `--features planted-bugs`).
    #[arg(long)]
    bug: Option<String>,
    #[command(flatten)]
    switches: SwitchArgs,
    #[command(flatten)]
    watch: WatchArgs,
}

pub fn run(args: &ReproArgs) -> Result<Exit> {
    let mut plan = load_plan(args)?;
    if let Some(bug) = &args.bug {
        plan.bug = Some(bug.clone());
        plan.validate()?;
    }
    args.switches.apply_to_plan(&mut plan);
    #[cfg(feature = "harness-plants")]
    if let Some(p) = args.watch.plant.first() {
        plan.plant = Some(p.plant.clone());
        plan.validate()?;
    }
    let mut config = RunnerConfig::default();
    args.watch.configure(&mut config)?;
    // With --isolate the report has the verdict and trace but no history (the child keeps it).
    let result = config.execute(&plan, true).result;
    let dir = write_report(&args.reports, &result)
        .with_context(|| format!("writing the report under {}", args.reports.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result.verdict)?);
    } else {
        print_verdict(&result);
        println!("report: {}", dir.display());
        if !result.verdict.passed() && args.plan.is_none() {
            let mut line = repro_line(&result.verdict.scenario, result.verdict.seed);
            if let Some(bug) = &result.plan.bug {
                line.push_str(&format!(" --bug {bug}"));
            }
            for flag in result.plan.switches.flags() {
                line.push(' ');
                line.push_str(flag);
            }
            if let Some(flag) = result.plan.system.flag() {
                line.push(' ');
                line.push_str(&flag);
            }
            if let Some(plant) = &result.plan.plant {
                line.push_str(&format!(" --plant {plant}"));
            }
            println!("{line}");
        }
    }
    Ok(Exit::from(result.verdict.status))
}

fn load_plan(args: &ReproArgs) -> Result<Plan> {
    if let Some(path) = &args.plan {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the plan {}", path.display()))?;
        return read_plan(&text).with_context(|| format!("plan {}", path.display()));
    }
    // clap guarantees both or neither; neither is caught above by `required_unless_present`.
    let (Some(name), Some(seed)) = (&args.scenario, args.seed) else {
        anyhow::bail!("give --scenario and --seed, or --plan");
    };
    let scenario = catalog::find(name)?;
    plan_of(scenario, seed).map_err(anyhow::Error::msg)
}

/// The verdict in a few lines: status, hash, what the run did, and every violation.
pub fn print_verdict(result: &RunResult) {
    let v = &result.verdict;
    let s = &v.stats;
    println!("{} seed {}: {}", v.scenario, v.seed, v.status);
    println!("trace hash: {}", v.trace_hash);
    println!(
        "simulated {:.2}s; ops {} (ok {}, fail {}, info {}); faults applied {}, skipped {}; \
         restarts {}; leaders seen {}; max term {}; linearizability {}",
        s.sim_ms as f64 / 1000.0,
        s.ops,
        s.ops_ok,
        s.ops_fail,
        s.ops_info,
        s.faults_applied,
        s.faults_skipped,
        s.restarts,
        s.leaders_seen,
        s.max_term,
        s.linearizability,
    );
    for reason in &v.reasons {
        println!("{}: {reason}", v.status);
    }
    for note in &s.notes {
        println!("note: {note}");
    }
    for violation in &v.violations {
        println!("violation {}: {}", violation.property, violation.message);
    }
    for op in &v.involved {
        println!(
            "  op {} (process {}): {} invoked at {} -> {}",
            op.index, op.process, op.call, op.invoke, op.outcome
        );
    }
}
