//! `faultline replay-trace` (hidden): the child side of a fresh-process replay. Reads a plan's
//! JSON on stdin, runs it, and prints its trace hash and trace as one JSON object.

use anyhow::Result;
use clap::Args;
use faultline_scenarios::fresh::serve;

use super::Outcome;

#[derive(Debug, Args)]
pub struct ReplayTraceArgs {}

pub fn run(_: &ReplayTraceArgs) -> Result<Outcome> {
    serve(std::io::stdin().lock(), std::io::stdout().lock())?;
    Ok(Outcome::Success)
}
