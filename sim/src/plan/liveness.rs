//! `LivenessPlan`: the quiet phase after the faults — when everything is healed, how long the
//! cluster then has to elect one leader and converge, and how many fresh writes and reads must
//! succeed within that deadline.

use serde::{Deserialize, Serialize};

use super::error::PlanError;

/// The liveness phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivenessPlan {
    /// Heal no earlier than this (simulated ms from the workload start); the heal also waits
    /// for the workload and the fault schedule to finish.
    pub heal_at_ms: u64,
    /// After the heal, the cluster must have one leader, converge and serve the probes within
    /// this many simulated ms.
    pub deadline_ms: u64,
    /// Probe writes, then probe reads, issued once the cluster has a leader again.
    pub probe_writes: u32,
    pub probe_reads: u32,
}

impl Default for LivenessPlan {
    fn default() -> Self {
        LivenessPlan {
            heal_at_ms: 2000,
            // A link that was cut redelivers with madsim's retransmission backoff (up to 10 s).
            deadline_ms: 15_000,
            probe_writes: 2,
            probe_reads: 2,
        }
    }
}

impl LivenessPlan {
    pub(crate) fn validate(&self) -> Result<(), PlanError> {
        if self.deadline_ms == 0 {
            return Err(PlanError::invalid(
                "liveness.deadline_ms",
                "must be positive",
            ));
        }
        if self.probe_writes == 0 || self.probe_reads == 0 {
            return Err(PlanError::invalid(
                "liveness",
                "needs at least one probe write and one probe read",
            ));
        }
        if self.probe_writes > 100 || self.probe_reads > 100 {
            return Err(PlanError::invalid(
                "liveness",
                "at most 100 probe writes and 100 probe reads",
            ));
        }
        Ok(())
    }
}
