//! [`SystemNode`]: a running node of either system behind one handle — start, status, probes,
//! bootstrap and shutdown — so a harness drives openraft and raft-io nodes alike.
//!
//! What differs is said here once. openraft forms its group by an explicit `initialize` on
//! one node; raft-io has none (every node boots from its bootstrap configuration), so
//! [`SystemNode::initialize`] does nothing for it. openraft's metrics and raft-io's driver
//! status both become a [`NodeStatus`]. Admin operations whose meaning differs between the two
//! (a snapshot, a purge, a leadership change) are the harness's to map, on
//! [`SystemNode::openraft`] or [`SystemNode::raft_io`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::{EngineProbe, NodeStatus, ProbedLogImage, System};
use crate::error::NodeError;
use crate::node::{Node, NodeConfig};
use crate::raft_io::{RioServer, RioServerConfig};
use crate::type_config::NodeId;

/// How to start a node of one system.
#[derive(Debug, Clone)]
pub enum SystemConfig {
    Openraft(NodeConfig),
    RaftIo(RioServerConfig),
}

/// A cheap, cloneable handle on a running node of either system.
#[derive(Debug, Clone)]
pub enum SystemNode {
    Openraft(Node),
    RaftIo(RioServer),
}

impl SystemNode {
    /// Recovers the node from its disk and starts it; returns once it listens.
    pub async fn start(config: SystemConfig) -> Result<SystemNode, NodeError> {
        match config {
            SystemConfig::Openraft(c) => Node::start(c).await.map(SystemNode::Openraft),
            SystemConfig::RaftIo(c) => RioServer::start(c).await.map(SystemNode::RaftIo),
        }
    }

    pub fn system(&self) -> System {
        match self {
            SystemNode::Openraft(_) => System::Openraft,
            SystemNode::RaftIo(_) => System::RaftIo,
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            SystemNode::Openraft(n) => n.id(),
            SystemNode::RaftIo(n) => n.id(),
        }
    }

    /// The address the node's server listens on.
    pub fn addr(&self) -> SocketAddr {
        match self {
            SystemNode::Openraft(n) => n.addr(),
            SystemNode::RaftIo(n) => n.addr(),
        }
    }

    /// The openraft node, if this is one.
    pub fn openraft(&self) -> Option<&Node> {
        match self {
            SystemNode::Openraft(n) => Some(n),
            SystemNode::RaftIo(_) => None,
        }
    }

    /// The raft-io node, if this is one.
    pub fn raft_io(&self) -> Option<&RioServer> {
        match self {
            SystemNode::Openraft(_) => None,
            SystemNode::RaftIo(n) => Some(n),
        }
    }

    /// The node's Raft as it stands.
    pub fn status(&self) -> NodeStatus {
        match self {
            SystemNode::Openraft(n) => NodeStatus::of_openraft(&n.raft().metrics().borrow()),
            SystemNode::RaftIo(n) => NodeStatus::of_raft_io(n.id(), &n.node().status()),
        }
    }

    /// The engine's full state and last applied index, captured atomically.
    pub fn engine_state(&self) -> EngineProbe {
        match self {
            SystemNode::Openraft(n) => n.engine_state().into(),
            SystemNode::RaftIo(n) => n.node().engine_state().into(),
        }
    }

    /// What the durable log acknowledged and the write it has in flight; `None` with
    /// openraft's in-memory log store.
    pub fn log_state(&self) -> Option<ProbedLogImage> {
        match self {
            SystemNode::Openraft(n) => n.log_state().map(ProbedLogImage::from),
            SystemNode::RaftIo(n) => Some(n.node().log_state().into()),
        }
    }

    /// Forms the group (see `Node::initialize`); raft-io needs no such step: its nodes start
    /// from their bootstrap configuration.
    pub async fn initialize(&self, members: BTreeMap<NodeId, SocketAddr>) -> Result<(), NodeError> {
        match self {
            SystemNode::Openraft(n) => n.initialize(members).await,
            SystemNode::RaftIo(_) => Ok(()),
        }
    }

    /// Stops the node. Idempotent.
    pub async fn shutdown(&self) {
        match self {
            SystemNode::Openraft(n) => n.shutdown().await,
            SystemNode::RaftIo(n) => n.shutdown(),
        }
    }
}
