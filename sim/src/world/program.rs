//! What each server runs: the real consensus node (`faultline_consensus::Node`) over the node's
//! `SimVfs`, plus an observer that writes the node's leader/term/role changes into the trace.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_consensus::{LogStoreKind, Node, NodeConfig};
use faultline_engine::vfs::SimVfs;

use super::NodeId;
use super::config::LogStore;
use super::node_slot::{LocalFuture, NodeProgram, server_addr};
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
}

impl NodeProgram for ConsensusProgram {
    type Handle = Node;

    fn start(&self, disk: SimVfs) -> LocalFuture<Result<Node, String>> {
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
        };
        Box::pin(async move { Node::start(config).await.map_err(|e| e.to_string()) })
    }

    fn run(&self, node: Node) -> LocalFuture<()> {
        let (id, trace) = (self.id, self.trace.clone());
        Box::pin(async move {
            // Record each change of this node's (term, leader, role) as the node saw it.
            let mut rx = node.raft().metrics();
            let mut last = None;
            loop {
                let now = {
                    let m = rx.borrow_and_update();
                    (m.current_term, m.current_leader, format!("{:?}", m.state))
                };
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
