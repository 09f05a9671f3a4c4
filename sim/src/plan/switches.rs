//! `Switches`: which of the harness's own mechanisms a run uses. Every one is on by default;
//! turning one off exists to measure what it contributes — what a campaign finds without it
//! (a planted bug caught only thanks to it). A plan carries its switches, so a repro of a run
//! with one switched off replays exactly.

use serde::{Deserialize, Serialize};

/// The harness mechanisms a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Switches {
    /// At every power failure (and one last one of every node at the end), recover the node's
    /// engine and Raft log from its crashed disk and compare with what they acknowledged.
    pub power_probes: bool,
    /// Disk operations take simulated time (the plan's latency model); off: they complete in
    /// the instant they are issued.
    pub io_time: bool,
    /// Power failures follow the harsh crash model (any sound subset of unsynced writes
    /// survives, directory entries only once synced); off: the gentle one (every unsynced write
    /// lost, the last one maybe torn).
    pub harsh_crashes: bool,
    /// Aimed faults wait for the moment they name (seen in the nodes' reports); off: they strike
    /// at their scheduled time as their blunt counterparts.
    pub aimed_faults: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            power_probes: true,
            io_time: true,
            harsh_crashes: true,
            aimed_faults: true,
        }
    }
}

impl Switches {
    /// Whether every mechanism is on (plans then leave the field out).
    pub fn all_on(&self) -> bool {
        *self == Switches::default()
    }

    /// The CLI flags that turn the off ones off, e.g. `--no-probes`.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.power_probes {
            out.push("--no-probes");
        }
        if !self.io_time {
            out.push("--no-io-time");
        }
        if !self.harsh_crashes {
            out.push("--gentle-crash");
        }
        if !self.aimed_faults {
            out.push("--blunt-nemesis");
        }
        out
    }
}
