//! What each server runs: the system under test's node (`faultline_consensus::SystemNode`:
//! openraft's `Node` or raft-io's `RioServer`) over the node's `SimVfs`, reporting into the
//! run's observation log, plus a watcher of its Raft (`watch.rs`) that writes its
//! leader/term/role changes into the trace.
//!
//! This is the node seam: the world, the nemesis, the workload and the checks reach every node
//! through [`SystemNode`], and only this file says how each system is started — openraft with
//! the plan's timing in milliseconds, raft-io with the same timing in ticks
//! (`RaftTiming::to_raft_io`), peers found at `server_addr(id)`, and the jitter of its election
//! timeouts seeded from the run's seed, the node and its incarnation.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_consensus::raft_io::{RioServerConfig, RioTiming};
use faultline_consensus::system::SystemConfig;
use faultline_consensus::{LogStoreKind, NodeConfig, System, SystemNode};
use faultline_engine::fnv::Fnv1a;
use faultline_engine::vfs::SimVfs;

use super::NodeId;
use super::node_slot::{LocalFuture, NodeProgram, server_addr};
use super::observer::ObservationLog;
use super::trace::Trace;
use super::watch;

/// Where the engine and the log store live inside each node's disk.
pub const DATA_DIR: &str = "/data";

/// Starts the node `id` of the world's system on its disk.
pub struct ConsensusProgram {
    pub id: NodeId,
    pub system: System,
    /// The run's seed (raft-io's election jitter is derived from it).
    pub seed: u64,
    /// The initial group, ids `1..=voters`; a node outside it boots to be added later.
    pub voters: usize,
    pub log_store: LogStoreKind,
    pub raft: openraft::Config,
    pub raft_io: RioTiming,
    pub rpc_timeout: Duration,
    /// How long a raft-io node holds a client request before it answers it as timed out.
    pub client_timeout: Duration,
    pub trace: Trace,
    pub observations: ObservationLog,
}

impl ConsensusProgram {
    fn config(&self, disk: SimVfs, incarnation: u32) -> SystemConfig {
        let observer = Some(self.observations.observer(self.id, incarnation));
        match self.system {
            System::Openraft => SystemConfig::Openraft(NodeConfig {
                id: self.id,
                listen_addr: server_addr(self.id),
                data_dir: PathBuf::from(DATA_DIR),
                vfs: Arc::new(disk),
                log_store: self.log_store,
                raft: self.raft.clone(),
                rpc_timeout: self.rpc_timeout,
                observer,
            }),
            System::RaftIo => {
                let mut seed = Fnv1a::new();
                seed.write_u64(self.seed);
                seed.write_u64(self.id);
                seed.write_u64(u64::from(incarnation));
                SystemConfig::RaftIo(RioServerConfig {
                    id: self.id,
                    listen_addr: server_addr(self.id),
                    voters: (1..=self.voters as NodeId).collect(),
                    joining: self.id > self.voters as NodeId,
                    data_dir: PathBuf::from(DATA_DIR),
                    vfs: Arc::new(disk),
                    timing: self.raft_io,
                    seed: seed.finish(),
                    request_timeout: self.client_timeout,
                    rpc_timeout: self.rpc_timeout,
                    resolve: Arc::new(|id| Some(server_addr(id))),
                    observer,
                })
            }
        }
    }
}

impl NodeProgram for ConsensusProgram {
    type Handle = SystemNode;

    fn start(&self, disk: SimVfs, incarnation: u32) -> LocalFuture<Result<SystemNode, String>> {
        let config = self.config(disk, incarnation);
        Box::pin(async move { SystemNode::start(config).await.map_err(|e| e.to_string()) })
    }

    fn run(&self, node: SystemNode, incarnation: u32) -> LocalFuture<()> {
        let (id, trace) = (self.id, self.trace.clone());
        let observations = self.observations.clone();
        match node {
            SystemNode::Openraft(n) => {
                Box::pin(watch::openraft(id, incarnation, n, trace, observations))
            }
            SystemNode::RaftIo(n) => Box::pin(watch::raft_io(id, n, trace)),
        }
    }
}
