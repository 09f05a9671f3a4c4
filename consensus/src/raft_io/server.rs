//! [`RioServer`]: a raft-io node on the network — a [`RioNode`] whose peers are reached over
//! TCP ([`TcpTransport`]) and whose server ([`crate::server::serve`] with [`RioService`])
//! takes peer frames and client requests on one listening port, exactly like an openraft node.
//!
//! `RioServer::start` binds the listener first (so no peer ever sees this node campaign while
//! it cannot be reached), starts the node over the transport, then serves. Everything runs on
//! the current runtime: under madsim on the current simulated node, so a `kill` takes it down.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_engine::vfs::Vfs;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::node::{RioNode, RioNodeConfig, RioTiming};
use super::service::RioService;
use super::tcp::{Resolve, TcpTransport};
use crate::error::NodeError;
use crate::observe::{Observer, Reporter};
use crate::server::serve;
use crate::type_config::NodeId;

/// Everything a networked raft-io node needs to start.
#[derive(Clone)]
pub struct RioServerConfig {
    pub id: NodeId,
    /// Where the server listens (port 0: any free port; see [`RioServer::addr`]).
    pub listen_addr: SocketAddr,
    /// The bootstrap voters (see [`RioNodeConfig::voters`]).
    pub voters: Vec<NodeId>,
    /// The node boots outside the group, to be added later (see [`RioNodeConfig::joining`]).
    pub joining: bool,
    pub data_dir: PathBuf,
    pub vfs: Arc<dyn Vfs>,
    pub timing: RioTiming,
    /// Seed of raft-io's election-timeout jitter.
    pub seed: u64,
    /// How long a client request may wait inside the node.
    pub request_timeout: Duration,
    /// Bound on every call that carries frames to a peer.
    pub rpc_timeout: Duration,
    /// Every node's address, by id.
    pub resolve: Resolve,
    pub observer: Option<Arc<dyn Observer>>,
}

impl std::fmt::Debug for RioServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RioServerConfig")
            .field("id", &self.id)
            .field("listen_addr", &self.listen_addr)
            .field("voters", &self.voters)
            .field("joining", &self.joining)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// A cheap, cloneable handle on a running, networked raft-io node.
#[derive(Debug, Clone)]
pub struct RioServer {
    node: RioNode,
    addr: SocketAddr,
    shutdown: Arc<watch::Sender<bool>>,
}

impl RioServer {
    /// Binds, starts the node, serves. Returns once listening.
    pub async fn start(config: RioServerConfig) -> Result<RioServer, NodeError> {
        let RioServerConfig {
            id,
            listen_addr,
            voters,
            joining,
            data_dir,
            vfs,
            timing,
            seed,
            request_timeout,
            rpc_timeout,
            resolve,
            observer,
        } = config;
        let listener =
            TcpListener::bind(listen_addr)
                .await
                .map_err(|source| NodeError::Listen {
                    addr: listen_addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| NodeError::Listen {
            addr: listen_addr,
            source,
        })?;
        let reporter = Reporter::new(observer.clone());
        let transport = TcpTransport::new(resolve.clone(), rpc_timeout, reporter.clone());
        let node = RioNode::start(RioNodeConfig {
            id,
            voters,
            joining,
            data_dir,
            vfs,
            timing,
            seed,
            request_timeout,
            transport: Arc::new(transport),
            observer,
        })
        .await?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let service = Arc::new(RioService::new(node.clone(), resolve, reporter));
        tokio::spawn(serve(listener, service, shutdown_rx));
        Ok(RioServer {
            node,
            addr,
            shutdown: Arc::new(shutdown),
        })
    }

    pub fn id(&self) -> NodeId {
        self.node.id()
    }

    /// The address the server actually listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The raft-io node itself (status, probes, admin calls).
    pub fn node(&self) -> &RioNode {
        &self.node
    }

    /// Stops the server and the node. Idempotent.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        self.node.shutdown();
    }
}
