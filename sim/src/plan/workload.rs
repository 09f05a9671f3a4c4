//! `WorkloadPlan`: what the clients do — how many, over how many keys, the mix of operations,
//! think time between operations, and how long they run (simulated time).

use serde::{Deserialize, Serialize};

use super::error::PlanError;

/// Relative weights of the operations a client picks; a zero weight disables one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpMix {
    pub upsert: u32,
    pub delete: u32,
    pub read: u32,
    pub search: u32,
    pub create: u32,
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix {
            upsert: 45,
            delete: 8,
            read: 40,
            search: 5,
            create: 2,
        }
    }
}

impl OpMix {
    pub fn total(&self) -> u64 {
        [
            self.upsert,
            self.delete,
            self.read,
            self.search,
            self.create,
        ]
        .iter()
        .map(|w| u64::from(*w))
        .sum()
    }
}

/// The client workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadPlan {
    /// Concurrent clients, each on its own simulated machine and its own history process.
    pub clients: u32,
    /// Keys `0..keys` of the one register collection: small, so operations collide.
    pub keys: u64,
    /// Cold keys `keys..keys + cold_keys`: each written once, at a seeded moment of the
    /// workload, and read only after the heal, so an acknowledged write lost on the way is
    /// still visible at the end (a hot key's loss is soon hidden by later writes).
    #[serde(default)]
    pub cold_keys: u64,
    pub mix: OpMix,
    /// Pause after each operation, drawn from `[think_min_ms, think_max_ms]`.
    pub think_min_ms: u64,
    pub think_max_ms: u64,
    /// Clients start no new operation after this much simulated time from the workload start.
    pub duration_ms: u64,
}

impl Default for WorkloadPlan {
    fn default() -> Self {
        WorkloadPlan {
            clients: 5,
            keys: 5,
            cold_keys: 0,
            mix: OpMix::default(),
            think_min_ms: 5,
            think_max_ms: 40,
            duration_ms: 2000,
        }
    }
}

/// The most clients a plan may run (the world hands out client machine addresses).
pub const MAX_CLIENTS: u32 = 64;

impl WorkloadPlan {
    pub(crate) fn validate(&self) -> Result<(), PlanError> {
        let bad = |field: &str, reason: String| Err(PlanError::invalid(field, reason));
        if self.clients == 0 || self.clients > MAX_CLIENTS {
            return bad(
                "workload.clients",
                format!("must be 1..={MAX_CLIENTS}, got {}", self.clients),
            );
        }
        if self.keys == 0 || self.keys > 1_000_000 {
            return bad(
                "workload.keys",
                format!("must be 1..=1000000, got {}", self.keys),
            );
        }
        if self.cold_keys > 1_000 {
            return bad(
                "workload.cold_keys",
                format!("must be at most 1000, got {}", self.cold_keys),
            );
        }
        if self.mix.total() == 0 {
            return bad("workload.mix", "every weight is zero".into());
        }
        if self.think_max_ms < self.think_min_ms {
            return bad(
                "workload.think_max_ms",
                format!(
                    "must be at least think_min_ms ({}), got {}",
                    self.think_min_ms, self.think_max_ms
                ),
            );
        }
        if self.mix.upsert == 0 && self.mix.delete == 0 && self.mix.read == 0 {
            return bad(
                "workload.mix",
                "needs at least one register operation (upsert, delete or read)".into(),
            );
        }
        Ok(())
    }
}
