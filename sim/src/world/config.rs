//! `WorldConfig`: the fixed shape of one simulated world — which Raft its nodes run, how many
//! nodes boot and how many of them form the initial group, the Raft timing, the log store kind,
//! the simulated network's base behaviour and the time bounds of a run.
//!
//! A config is plain data (serde), so a scenario's plan can print it and a repro can read it
//! back. Everything random in a run comes from the seed, never from the config.

use std::ops::Range;
use std::time::Duration;

use faultline_consensus::raft_io::RioTiming;
use faultline_consensus::{LogStoreKind, System};
use faultline_engine::vfs::{CrashModel, IoLatency};
use serde::{Deserialize, Serialize};

use super::error::WorldError;
use crate::plan::{MAX_NODES, RaftTiming};

/// raft-io counts time in ticks; the world ticks every node this often.
pub const RAFT_IO_TICK: Duration = Duration::from_millis(10);

impl RaftTiming {
    /// The openraft config every node of the world gets.
    pub fn to_openraft(&self) -> Result<openraft::Config, WorldError> {
        let policy = match self.snapshot_every {
            Some(n) => openraft::SnapshotPolicy::LogsSinceLast(n),
            None => openraft::SnapshotPolicy::Never,
        };
        let config = openraft::Config {
            cluster_name: "faultline".to_string(),
            heartbeat_interval: self.heartbeat_ms,
            election_timeout_min: self.election_min_ms,
            election_timeout_max: self.election_max_ms,
            snapshot_policy: policy,
            max_in_snapshot_log_to_keep: self.keep_after_snapshot,
            ..Default::default()
        };
        config
            .validate()
            .map_err(|e| WorldError::Config(format!("raft timing: {e}")))
    }

    /// The same timing for raft-io, in ticks of [`RAFT_IO_TICK`]: heartbeat and election
    /// timeout rounded down to whole ticks (at least one), a snapshot hint after
    /// `snapshot_every` applied entries (none without it). raft-io compacts its log exactly up
    /// to each snapshot, so `keep_after_snapshot` has no raft-io counterpart.
    pub fn to_raft_io(&self) -> RioTiming {
        let ticks = |ms: u64| {
            let t = ms / RAFT_IO_TICK.as_millis() as u64;
            u32::try_from(t.max(1)).unwrap_or(u32::MAX)
        };
        RioTiming {
            tick: RAFT_IO_TICK,
            election_ticks: (ticks(self.election_min_ms), ticks(self.election_max_ms)),
            heartbeat_ticks: ticks(self.heartbeat_ms),
            max_batch: RioTiming::default().max_batch,
            snapshot_threshold: self
                .snapshot_every
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }
}

/// The simulated network's behaviour on every link (madsim's `net::Config`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetBase {
    /// One-way latency of a message, drawn uniformly from this range per message.
    pub latency: Range<Duration>,
    /// Probability that a message is lost; madsim's TCP retransmits, so on a stream this shows
    /// up as extra delay, on connection setup as a refused connection.
    pub loss: f64,
}

impl Default for NetBase {
    fn default() -> Self {
        NetBase {
            latency: Duration::from_millis(1)..Duration::from_millis(5),
            loss: 0.0,
        }
    }
}

/// The whole configuration of one world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldConfig {
    /// The Raft every node runs.
    #[serde(default)]
    pub system: System,
    /// Nodes booted by `World::new`, ids `1..=nodes`.
    pub nodes: usize,
    /// The initial group: ids `1..=voters`; the others boot empty and can be added later.
    pub voters: usize,
    pub log_store: LogStoreKind,
    pub raft: RaftTiming,
    /// Bound on every Raft RPC.
    pub rpc_timeout: Duration,
    /// Bound on every client call.
    pub client_timeout: Duration,
    pub net: NetBase,
    /// How long `World::new` waits for the initial group to elect a leader.
    pub boot_timeout: Duration,
    /// A run that passes this much simulated time panics: a hung seed becomes a finding.
    pub time_limit: Duration,
    /// Recover each crashed disk's engine and Raft log at every power failure (see
    /// `power_probe`).
    pub power_probes: bool,
    /// How long disk operations take in simulated time (`None`: no time at all).
    pub disk_latency: Option<IoLatency>,
    /// What a power failure may do to each disk's unsynced state.
    pub crash_model: CrashModel,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            system: System::default(),
            nodes: 3,
            voters: 3,
            log_store: LogStoreKind::Durable,
            raft: RaftTiming::default(),
            rpc_timeout: Duration::from_millis(500),
            client_timeout: Duration::from_secs(2),
            net: NetBase::default(),
            boot_timeout: Duration::from_secs(10),
            time_limit: Duration::from_secs(600),
            power_probes: true,
            disk_latency: None,
            crash_model: CrashModel::Harsh,
        }
    }
}

impl WorldConfig {
    /// A world of `n` nodes that all start as voters.
    pub fn with_nodes(n: usize) -> Self {
        WorldConfig {
            nodes: n,
            voters: n,
            ..Default::default()
        }
    }

    /// Rejects configs that cannot describe a world, before anything boots.
    pub fn validate(&self) -> Result<(), WorldError> {
        let bad = |msg: String| Err(WorldError::Config(msg));
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return bad(format!("nodes must be 1..={MAX_NODES}, got {}", self.nodes));
        }
        if self.voters == 0 || self.voters > self.nodes {
            return bad(format!(
                "voters must be 1..=nodes ({}), got {}",
                self.nodes, self.voters
            ));
        }
        if !(0.0..1.0).contains(&self.net.loss) {
            return bad(format!("net.loss must be in [0, 1), got {}", self.net.loss));
        }
        if self.net.latency.is_empty() {
            return bad(format!("net.latency is empty: {:?}", self.net.latency));
        }
        for (name, d) in [
            ("rpc_timeout", self.rpc_timeout),
            ("client_timeout", self.client_timeout),
            ("boot_timeout", self.boot_timeout),
            ("time_limit", self.time_limit),
        ] {
            if d.is_zero() {
                return bad(format!("{name} must be positive"));
            }
        }
        if let Some(l) = &self.disk_latency {
            l.validate()
                .map_err(|e| WorldError::Config(format!("disk latency: {e}")))?;
        }
        self.raft.to_openraft().map(|_| ())
    }

    /// madsim's runtime config for this world's network.
    pub fn madsim_config(&self) -> madsim::Config {
        let mut config = madsim::Config::default();
        config.net.send_latency = self.net.latency.clone();
        config.net.packet_loss_rate = self.net.loss;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        WorldConfig::default().validate().unwrap();
        for n in [1, 3, 5, 7] {
            WorldConfig::with_nodes(n).validate().unwrap();
        }
    }

    #[test]
    fn raft_io_gets_the_same_timing_in_ticks() {
        let t = RaftTiming::default().to_raft_io();
        assert_eq!(t.tick, RAFT_IO_TICK);
        assert_eq!(t.heartbeat_ticks, 5);
        assert_eq!(t.election_ticks, (15, 30));
        assert_eq!(t.snapshot_threshold, 0);
        let every = RaftTiming {
            snapshot_every: Some(40),
            heartbeat_ms: 3,
            ..RaftTiming::default()
        };
        assert_eq!(every.to_raft_io().snapshot_threshold, 40);
        assert_eq!(every.to_raft_io().heartbeat_ticks, 1);
    }

    #[test]
    fn bad_configs_are_errors() {
        let cases = [
            WorldConfig::with_nodes(0),
            WorldConfig::with_nodes(MAX_NODES + 1),
            WorldConfig {
                voters: 4,
                ..WorldConfig::with_nodes(3)
            },
            WorldConfig {
                net: NetBase {
                    loss: 1.0,
                    ..NetBase::default()
                },
                ..Default::default()
            },
            WorldConfig {
                raft: RaftTiming {
                    election_min_ms: 10,
                    ..RaftTiming::default()
                },
                ..Default::default()
            },
        ];
        for c in cases {
            assert!(matches!(c.validate(), Err(WorldError::Config(_))), "{c:?}");
        }
    }
}
