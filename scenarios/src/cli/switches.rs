//! The harness switches as command-line flags (`--no-probes`, `--no-io-time`,
//! `--gentle-crash`, `--blunt-nemesis`), shared by every subcommand that runs plans. Each turns one mechanism off
//! for a comparison run; the plan records it, so the printed repro line carries the flag.
//! `--system openraft|raft-io` rides along: which Raft the nodes run (the plan's `system`,
//! openraft when absent), printed in repro lines the same way.

use clap::Args;
use faultline_sim::plan::{Plan, Switches, System};

#[derive(Debug, Clone, Args)]
pub struct SwitchArgs {
    /// Switch the engine and Raft-log power-failure probes off.
    #[arg(long)]
    pub no_probes: bool,
    /// Disk operations take no simulated time.
    #[arg(long)]
    pub no_io_time: bool,
    /// Power failures follow the gentle crash model (every unsynced write lost, the last one
    /// maybe torn) instead of the harsh one.
    #[arg(long)]
    pub gentle_crash: bool,
    /// Aimed faults strike at their scheduled time as blunt ones, blind to what the cluster
    /// is doing.
    #[arg(long)]
    pub blunt_nemesis: bool,
    /// The Raft the nodes run: `openraft` or `raft-io` (default: openraft; a `--plan` file
    /// keeps its own unless this is given).
    #[arg(long, value_name = "SYSTEM")]
    pub system: Option<System>,
}

impl SwitchArgs {
    /// The switches these flags ask for.
    pub fn switches(&self) -> Switches {
        let mut s = Switches::default();
        self.apply(&mut s);
        s
    }

    /// The system these flags ask for (openraft unless `--system` says otherwise).
    pub fn system(&self) -> System {
        self.system.unwrap_or_default()
    }

    /// Sets in `plan` what these flags ask for: switches off, and the system if named.
    pub fn apply_to_plan(&self, plan: &mut Plan) {
        self.apply(&mut plan.switches);
        if let Some(system) = self.system {
            plan.system = system;
        }
    }

    /// Turns off in `switches` what these flags turn off.
    pub fn apply(&self, switches: &mut Switches) {
        if self.no_probes {
            switches.power_probes = false;
        }
        if self.no_io_time {
            switches.io_time = false;
        }
        if self.gentle_crash {
            switches.harsh_crashes = false;
        }
        if self.blunt_nemesis {
            switches.aimed_faults = false;
        }
    }
}
