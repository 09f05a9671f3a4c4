//! `faultline bugs`: the planted-bug matrix. For each planted bug × scenario it runs up to
//! `--seeds` seeds, stops at the first failure by one of the properties the bug declares, and
//! prints seeds to first detection, the property that caught it and the repro line; a
//! detection counts only if the same seeds pass with no bug and it replays in a fresh process
//! to the same trace hash. `--no-probes` (and the other switches) run everything with a harness
//! mechanism off: what the campaign catches without it. Exits 1 if any of the
//! seeds it ran fails with no bug (the healthy build has a bug of its own). `--shard I/N` runs
//! this machine's share of the cells; `--json [FILE]` writes the summary (`-` or no file:
//! stdout) that `faultline merge` combines. `--shrink` shrinks each caught bug's first failing
//! seed and shows the plan's faults and operations before → after (`bugs_shrink`). Needs a build with `--features planted-bugs`; a
//! normal build says so.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use faultline_scenarios::shard::Shard;

use super::Exit;

#[derive(Debug, Args)]
pub struct BugsArgs {
    /// A planted bug's name, or `all`.
    #[arg(long, default_value = "all")]
    bug: String,
    /// A scenario name, or `all`.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Seeds per bug × scenario (seeds 1..=N).
    #[arg(long, default_value_t = 50)]
    seeds: u64,
    /// Seeds in flight at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// This machine's shard of the bug × scenario cells, I/N (0-based).
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Write the summary as JSON to FILE (`-`, or no FILE: stdout).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    json: Option<PathBuf>,
    /// Shrink each caught bug's first failing seed (its fastest cell) and show faults and
    /// operations before → after, confirmed in a fresh process.
    #[arg(long)]
    shrink: bool,
    #[command(flatten)]
    switches: super::switches::SwitchArgs,
}

#[cfg(not(feature = "planted-bugs"))]
pub fn run(_args: &BugsArgs) -> Result<Exit> {
    anyhow::bail!(
        "this build has no planted bugs: rebuild with `--features planted-bugs`, e.g. \
         `cargo run --release -p faultline-scenarios --features planted-bugs --bin faultline -- bugs`"
    )
}

#[cfg(feature = "planted-bugs")]
pub fn run(args: &BugsArgs) -> Result<Exit> {
    use anyhow::Context;
    use faultline_engine::planted::Bug;
    use faultline_scenarios::bugs::Hunter;
    use faultline_scenarios::catalog;
    use faultline_scenarios::summary::{Gate, Kind, Summary, render_bug_cell, render_bug_medians};

    use super::interrupt::Interrupt;

    let interrupt = Interrupt::install()?;
    let bugs: Vec<Bug> = if args.bug == "all" {
        Bug::ALL.to_vec()
    } else {
        vec![args.bug.parse::<Bug>().context("--bug")?]
    };
    let scenarios = catalog::select(&args.scenario)?;
    anyhow::ensure!(args.seeds > 0, "--seeds must be at least 1");
    let seeds: Vec<u64> = (1..=args.seeds).collect();
    let exe = std::env::current_exe().context("locating this executable for fresh replays")?;
    let hunter = Hunter::new(args.jobs)
        .confirm_with(exe.clone())
        .with_switches(args.switches.switches());
    let to_stdout = args.json.as_deref() == Some(std::path::Path::new("-"));
    let mut summary = Summary::new(Kind::Bugs, args.shard, Gate::default());
    let hunter = hunter.with_system(args.switches.system());
    let cells = bugs
        .iter()
        .flat_map(|&bug| scenarios.iter().map(move |&s| (bug, s)));
    for (position, (bug, scenario)) in cells.enumerate() {
        if !args.shard.owns(position as u64) {
            continue;
        }
        if interrupt.is_set() {
            summary.interrupted = true;
            break;
        }
        let cell = hunter.hunt(bug, scenario, &seeds).summary();
        if to_stdout {
            eprint!("{}", render_bug_cell(&cell));
        } else {
            print!("{}", render_bug_cell(&cell));
        }
        summary.bugs.push(cell);
    }
    if args.shrink && !summary.interrupted {
        super::bugs_shrink::shrink_caught(
            &mut summary.bugs,
            args.switches.switches(),
            args.switches.system(),
            args.jobs,
            &exe,
        );
        let shrunk: String = summary
            .bugs
            .iter()
            .filter(|c| c.shrunk.is_some())
            .map(render_bug_cell)
            .collect();
        if to_stdout {
            eprint!("\n{shrunk}");
        } else {
            print!("\n{shrunk}");
        }
    }
    let summary = summary.finish();
    let mut text = String::new();
    let off = args.switches.switches().flags();
    if !off.is_empty() {
        text.push_str(&format!("\n(switched off: {})", off.join(" ")));
    }
    if let Some(flag) = args.switches.system().flag() {
        text.push_str(&format!("\n(system under test: {flag})"));
    }
    text.push_str(&render_bug_medians(&summary.bugs));
    if summary.interrupted {
        text.push_str("\ninterrupted: the matrix covers only the cells that ran\n");
    }
    super::run::emit(&summary, &text, args.json.as_deref())?;
    Ok(Exit::from(summary.status))
}
