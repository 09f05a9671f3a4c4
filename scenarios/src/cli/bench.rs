//! `faultline bench`: the standard campaign (`run --scenario all --seeds N --jobs 1`) against
//! the system alone (faultline's nodes without the harness) and a bare openraft reference on
//! madsim, in this process, with CPU µs per acknowledged op for each and their ratios (see
//! `faultline_scenarios::bench`). `--json FILE` also writes the measurements as JSON. Exits 0
//! whatever the seeds' verdicts: the table counts the seeds that did not pass.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use faultline_scenarios::bench;
use faultline_scenarios::runner::RunnerConfig;

use super::Exit;
use super::watch::WatchArgs;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seeds per scenario of the campaign (seeds 1..=N); each reference runs as many seeds in
    /// all (N times the number of scenarios).
    #[arg(long, default_value_t = 16)]
    seeds: u64,
    /// Also write the measurements as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    #[command(flatten)]
    watch: WatchArgs,
}

pub fn run(args: &BenchArgs) -> Result<Exit> {
    if args.seeds == 0 {
        bail!("--seeds must be at least 1");
    }
    // One job, as `run --jobs 1`: CPU time per op is then the cost of one seed at a time.
    let mut config = RunnerConfig {
        jobs: 1,
        ..RunnerConfig::default()
    };
    args.watch.configure(&mut config)?;
    let report = bench::run(args.seeds, &config, &|phase| eprintln!("{phase}"))?;
    print!("{}", report.render());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(Exit::Success)
}
