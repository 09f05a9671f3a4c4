//! Typed errors of the crate: log store, state machine, node lifecycle and client calls.
//!
//! The client error keeps the distinction a history recorder needs: whether a failed call
//! surely did not take effect ([`ClientError::Definite`], [`ClientError::Rejected`]) or may
//! have ([`ClientError::Indeterminate`]). Of the definite ones, `Rejected` is the cluster's own
//! refusal, which checkers may hold to account (a create of a fresh name must not be refused).

use std::path::PathBuf;

use faultline_engine::vfs::VfsError;

use crate::log_store::record::EncodeError;

/// Errors of the durable log store.
#[derive(Debug, thiserror::Error)]
pub enum LogStoreError {
    #[error("log store disk error: {0}")]
    Vfs(#[from] VfsError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("{} is corrupt: {detail}", file.display())]
    Corrupt { file: PathBuf, detail: String },
    #[error("log store refuses writes after an earlier failure: {0}")]
    Failed(String),
}

/// Errors of the state machine (engine apply, snapshot build/install, persistence).
#[derive(Debug, thiserror::Error)]
pub enum StateMachineError {
    #[error("engine error: {0}")]
    Engine(String),
    #[error("state machine disk error: {0}")]
    Vfs(#[from] VfsError),
    #[error("snapshot is malformed: {0}")]
    BadSnapshot(String),
}

/// Errors of starting, probing or stopping a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot open the engine: {0}")]
    Engine(String),
    #[error(transparent)]
    LogStore(#[from] LogStoreError),
    #[error(transparent)]
    StateMachine(#[from] StateMachineError),
    #[error("invalid raft config: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("raft error: {0}")]
    Raft(String),
}

/// Why a client call failed, split by what the caller may conclude about its effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// Definitely not applied: rejected before proposal (validation, not the leader, no leader
    /// reachable before sending …) or refused by every replica's apply.
    #[error("definite failure: {0}")]
    Definite(String),
    /// Definitely not applied: a node answered and refused it (validation, a conflict such as
    /// a name already taken, or refused by every replica's apply).
    #[error("rejected: {0}")]
    Rejected(String),
    /// May or may not have been applied (timeout or connection lost after the request was sent).
    #[error("indeterminate: {0}")]
    Indeterminate(String),
}

impl ClientError {
    /// Whether the call surely had no effect: the one rule that makes a failed call `fail`
    /// (true) or `info` (false) in every history and trace.
    pub fn is_definite(&self) -> bool {
        matches!(self, ClientError::Definite(_) | ClientError::Rejected(_))
    }

    /// What went wrong, without the classification.
    pub fn reason(&self) -> &str {
        match self {
            ClientError::Definite(r) | ClientError::Rejected(r) | ClientError::Indeterminate(r) => {
                r
            }
        }
    }
}
