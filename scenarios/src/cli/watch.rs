//! The seed watchdog's flags, shared by `run`, `fuzz` and `repro`: `--seed-timeout`,
//! `--memory-limit`, `--isolate` and, in a `harness-plants` build, the hidden `--plant`.

use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use faultline_scenarios::duration::parse_duration;
use faultline_scenarios::memory::{Bytes, parse_size};
#[cfg(feature = "harness-plants")]
use faultline_scenarios::runner::PlantAt;
use faultline_scenarios::runner::RunnerConfig;
use faultline_scenarios::watchdog::Limits;

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Wall-clock limit per seed, e.g. 90s (default: 30s plus half the plan's simulated-time
    /// limit). A seed past it is a `hang` finding.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub seed_timeout: Option<Duration>,
    /// Memory limit per seed, e.g. 4GiB. In process it bounds the process's growth while the
    /// seed runs; with --isolate, the seed process's resident memory. Past it: an `oom` finding.
    #[arg(long, value_parser = parse_size, default_value = "4GiB", value_name = "SIZE")]
    pub memory_limit: Bytes,
    /// Run every seed in a child process, killed at its limits: survives seeds that abort,
    /// crash or leak (slower: a process per seed).
    #[arg(long)]
    pub isolate: bool,
    /// How long a stopped seed gets to wind down before it is abandoned (in process).
    #[arg(long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION", hide = true)]
    pub stop_grace: Duration,
    /// Run seeds without the watchdog (only to measure its cost: a hang hangs the campaign).
    #[arg(long, hide = true, conflicts_with = "isolate")]
    pub unwatched: bool,
    /// Switch harness plant NAME on in seed SEED (hang, checker-panic, abort, oom).
    #[cfg(feature = "harness-plants")]
    #[arg(long, value_name = "NAME@SEED", hide = true)]
    pub plant: Vec<PlantAt>,
}

impl WatchArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            wall: self.seed_timeout,
            memory: Some(self.memory_limit),
            grace: self.stop_grace,
        }
    }

    /// Sets the runner's limits, isolation and plants from the flags.
    pub fn configure(&self, config: &mut RunnerConfig) -> Result<()> {
        config.limits = self.limits();
        config.unwatched = self.unwatched;
        if self.isolate {
            config.isolate =
                Some(std::env::current_exe().context("locating the faultline executable")?);
        }
        #[cfg(feature = "harness-plants")]
        {
            config.plants = self.plant.clone();
        }
        Ok(())
    }
}
