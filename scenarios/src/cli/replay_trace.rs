//! `faultline replay-trace` (hidden): the child side of a fresh-process replay and of an
//! `--isolate`d seed. Reads a plan's JSON on stdin, runs it, and prints its verdict, trace hash
//! and (unless `--no-trace`) trace as one JSON object.

use anyhow::Result;
use clap::Args;
use faultline_scenarios::fresh::serve;

use super::Exit;

#[derive(Debug, Args)]
pub struct ReplayTraceArgs {
    /// Leave the trace out (the parent only needs the verdict).
    #[arg(long)]
    no_trace: bool,
}

pub fn run(args: &ReplayTraceArgs) -> Result<Exit> {
    serve(
        std::io::stdin().lock(),
        std::io::stdout().lock(),
        !args.no_trace,
    )?;
    Ok(Exit::Success)
}
