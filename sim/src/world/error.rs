//! `WorldError`: every way a request to the world can be refused or fail. The world never
//! panics on bad input; a panic inside the system under test is caught by the runner instead.

use thiserror::Error;

use super::NodeId;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WorldError {
    #[error("invalid world config: {0}")]
    Config(String),
    #[error(
        "seed {given} differs from the runtime's seed {runtime}: build the runtime from the seed"
    )]
    SeedMismatch { given: u64, runtime: u64 },
    #[error("World::new must run inside a madsim runtime (see world::runner)")]
    NoRuntime,
    #[error("no node {0} in this world")]
    UnknownNode(NodeId),
    #[error("node {0} is down")]
    NodeDown(NodeId),
    #[error("node {0} is up: kill it before restarting it")]
    NodeUp(NodeId),
    #[error("node {node} failed to start: {reason}")]
    Boot { node: NodeId, reason: String },
    #[error("node {node}: {reason}")]
    Node { node: NodeId, reason: String },
    #[error("timed out after {millis} simulated ms waiting for {what}")]
    Timeout { what: String, millis: u64 },
    #[error("invalid network request: {0}")]
    Network(String),
    #[error("this world's nodes run {0}: the call needs openraft")]
    NotOpenraft(faultline_consensus::System),
}
