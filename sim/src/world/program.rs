//! What each server runs: the real consensus node (`faultline_consensus::Node`) over the node's
//! `SimVfs`, reporting into the run's observation log, plus a watcher of its metrics that writes
//! its leader/term/role changes into the trace and reports the membership its Raft core acts on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_consensus::observe::{Observation, log_ref, membership_ref};
use faultline_consensus::{LogStoreKind, Node, NodeConfig};
use faultline_engine::vfs::SimVfs;

use super::NodeId;
use super::config::LogStore;
use super::node_slot::{LocalFuture, NodeProgram, server_addr};
use super::observer::ObservationLog;
use super::trace::{Event, Trace};

/// Where the engine and the log store live inside each node's disk.
pub const DATA_DIR: &str = "/data";

/// Starts the consensus node `id` on its disk.
pub struct ConsensusProgram {
    pub id: NodeId,
    pub log_store: LogStore,
    pub raft: openraft::Config,
    pub rpc_timeout: Duration,
    pub trace: Trace,
    pub observations: ObservationLog,
}

impl NodeProgram for ConsensusProgram {
    type Handle = Node;

    fn start(&self, disk: SimVfs, incarnation: u32) -> LocalFuture<Result<Node, String>> {
        let config = NodeConfig {
            id: self.id,
            listen_addr: server_addr(self.id),
            data_dir: PathBuf::from(DATA_DIR),
            vfs: Arc::new(disk),
            log_store: match self.log_store {
                LogStore::Memory => LogStoreKind::Memory,
                LogStore::Durable => LogStoreKind::Durable,
            },
            raft: self.raft.clone(),
            rpc_timeout: self.rpc_timeout,
            observer: Some(self.observations.observer(self.id, incarnation)),
        };
        Box::pin(async move { Node::start(config).await.map_err(|e| e.to_string()) })
    }

    fn run(&self, node: Node, incarnation: u32) -> LocalFuture<()> {
        let (id, trace) = (self.id, self.trace.clone());
        let observations = self.observations.clone();
        Box::pin(async move {
            // Record each change of this node's (term, leader, role) as the node saw it, and
            // report each change of the membership its Raft core acts on.
            let mut rx = node.raft().metrics();
            let mut last = None;
            let mut last_membership = None;
            loop {
                let (now, membership) = {
                    let m = rx.borrow_and_update();
                    let c = &m.membership_config;
                    (
                        (m.current_term, m.current_leader, format!("{:?}", m.state)),
                        (
                            c.log_id().as_ref().map(log_ref),
                            membership_ref(c.membership()),
                        ),
                    )
                };
                // An empty membership is the metrics' initial value before the core has
                // published any: the node knows no membership yet, it acts on none.
                if last_membership.as_ref() != Some(&membership)
                    && !membership.1.voters().is_empty()
                {
                    observations.record(
                        id,
                        incarnation,
                        Observation::MembershipInEffect {
                            log_id: membership.0,
                            membership: membership.1.clone(),
                        },
                    );
                    last_membership = Some(membership);
                }
                if last.as_ref() != Some(&now) {
                    trace.record(Event::Raft {
                        node: id,
                        term: now.0,
                        leader: now.1,
                        role: now.2.clone(),
                    });
                    last = Some(now);
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
    }
}
