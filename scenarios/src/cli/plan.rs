//! `faultline plan`: prints the plan a seed of a scenario expands into, as JSON — the same
//! text `repro --plan` reads back.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use faultline_scenarios::catalog;
use faultline_scenarios::runner::plan_of;

use super::Exit;

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long)]
    scenario: String,
    #[arg(long)]
    seed: u64,
}

pub fn run(args: &PlanArgs) -> Result<Exit> {
    let scenario = catalog::find(&args.scenario)?;
    let plan = plan_of(scenario, args.seed).map_err(anyhow::Error::msg)?;
    // A reader that stops early (`faultline plan … | head`) is not an error of ours.
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", plan.to_json()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(Exit::Success),
    }
}
