//! `ClusterPlan`: the shape of the simulated cluster a plan runs on — node and voter counts,
//! the log store, Raft timing, RPC and client timeouts, the network's base latency and loss,
//! and the disks' latency model. Plain data; `run` turns it into the world's config. The settings a
//! world has too (the log store kind, the Raft timing, the node limit) are defined here, once,
//! and the world's config uses them.

use faultline_engine::vfs::IoLatency;
use serde::{Deserialize, Serialize};

use super::error::PlanError;
pub use faultline_consensus::LogStoreKind;

/// The largest world we boot; node ips are `10.0.0.<id>`, so ids must stay well below 255.
pub const MAX_NODES: usize = 9;

/// Raft timing and compaction policy, in milliseconds / entries (openraft's terms; raft-io
/// gets the same in ticks, see `RaftTiming::to_raft_io` in the world).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftTiming {
    pub heartbeat_ms: u64,
    pub election_min_ms: u64,
    pub election_max_ms: u64,
    /// Build a snapshot automatically after this many entries; `None`: only on request.
    pub snapshot_every: Option<u64>,
    /// Entries kept in the log behind the last snapshot before purging them.
    pub keep_after_snapshot: u64,
}

impl Default for RaftTiming {
    fn default() -> Self {
        // The production defaults of openraft scaled down: elections resolve within a few
        // hundred simulated milliseconds, which keeps seeds short.
        RaftTiming {
            heartbeat_ms: 50,
            election_min_ms: 150,
            election_max_ms: 300,
            snapshot_every: None,
            keep_after_snapshot: 1000,
        }
    }
}

/// The simulated cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPlan {
    /// Nodes booted, ids `1..=nodes`.
    pub nodes: usize,
    /// The initial group, ids `1..=voters`; the others boot as spares `AddVoter` can use.
    pub voters: usize,
    pub log_store: LogStoreKind,
    pub raft: RaftTiming,
    pub rpc_timeout_ms: u64,
    /// Bound on every client call (the workload's op timeout is the same bound).
    pub client_timeout_ms: u64,
    /// One-way message latency, drawn per message from `[latency_min_ms, latency_max_ms)`.
    pub latency_min_ms: u64,
    pub latency_max_ms: u64,
    /// Base probability that a message is lost.
    pub loss: f64,
    /// How long every disk operation takes (simulated time), drawn per operation from each
    /// node's disk stream. Absent in older plans: a realistic SSD.
    #[serde(default = "IoLatency::realistic")]
    pub disk_latency: IoLatency,
}

impl Default for ClusterPlan {
    fn default() -> Self {
        ClusterPlan {
            nodes: 3,
            voters: 3,
            log_store: LogStoreKind::Durable,
            raft: RaftTiming::default(),
            rpc_timeout_ms: 500,
            client_timeout_ms: 1000,
            latency_min_ms: 1,
            latency_max_ms: 5,
            loss: 0.0,
            disk_latency: IoLatency::realistic(),
        }
    }
}

impl ClusterPlan {
    pub(crate) fn validate(&self) -> Result<(), PlanError> {
        let bad = |field: &str, reason: String| Err(PlanError::invalid(field, reason));
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return bad(
                "cluster.nodes",
                format!("must be 1..={MAX_NODES}, got {}", self.nodes),
            );
        }
        if self.voters == 0 || self.voters > self.nodes {
            return bad(
                "cluster.voters",
                format!("must be 1..={} (nodes), got {}", self.nodes, self.voters),
            );
        }
        let r = &self.raft;
        if r.heartbeat_ms == 0 {
            return bad("cluster.raft.heartbeat_ms", "must be positive".into());
        }
        if r.election_min_ms <= r.heartbeat_ms || r.election_max_ms <= r.election_min_ms {
            return bad(
                "cluster.raft",
                format!(
                    "need heartbeat_ms < election_min_ms < election_max_ms, got {} / {} / {}",
                    r.heartbeat_ms, r.election_min_ms, r.election_max_ms
                ),
            );
        }
        if r.snapshot_every == Some(0) {
            return bad("cluster.raft.snapshot_every", "must be positive".into());
        }
        if self.rpc_timeout_ms == 0 {
            return bad("cluster.rpc_timeout_ms", "must be positive".into());
        }
        if self.client_timeout_ms == 0 {
            return bad("cluster.client_timeout_ms", "must be positive".into());
        }
        if self.latency_max_ms <= self.latency_min_ms {
            return bad(
                "cluster.latency_max_ms",
                format!(
                    "must exceed latency_min_ms ({}), got {}",
                    self.latency_min_ms, self.latency_max_ms
                ),
            );
        }
        if !(0.0..0.5).contains(&self.loss) {
            return bad(
                "cluster.loss",
                format!("must be in [0, 0.5), got {}", self.loss),
            );
        }
        if let Err(e) = self.disk_latency.validate() {
            return bad("cluster.disk_latency", e.to_string());
        }
        Ok(())
    }
}
