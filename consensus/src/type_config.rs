//! The openraft type configuration: what a log entry carries and what applying it answers.
//!
//! A committed entry carries exactly one engine [`WalOp`] plus the client's request id (so a
//! history can tie an applied entry back to the call that proposed it). Applying it answers an
//! [`ApplyResponse`]: the log index plus what the apply observed (the key's previous value, the
//! collection id assigned …), which the client records.

use std::io::Cursor;
use std::sync::Arc;

use faultline_engine::WalOp;
use serde::{Deserialize, Serialize};

use crate::api::Record;
use crate::runtime::NodeRuntime;

/// A node's identity in the group.
pub type NodeId = u64;

/// The application payload of a normal log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Chosen by the client; unique per logical request (not interpreted by the state machine).
    pub request_id: u64,
    /// The engine operation the entry applies. Shared: openraft clones entries on every read
    /// of the log and every replication batch, and an op carries a whole vector.
    pub op: Arc<WalOp>,
}

impl Command {
    pub fn new(request_id: u64, op: WalOp) -> Command {
        Command {
            request_id,
            op: Arc::new(op),
        }
    }
}

/// What applying one entry observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Applied {
    /// A blank or membership entry: nothing reached the engine.
    NoOp,
    /// A collection was created under this id.
    CollectionCreated { collection_id: u64 },
    /// A collection was dropped.
    CollectionDropped,
    /// A record was written; `previous` is what the key held before.
    Upserted { previous: Option<Record> },
    /// A record was deleted; `previous` is what the key held before (`None`: nothing to delete).
    Deleted { previous: Option<Record> },
    /// The engine refused the op as invalid against the current state (unknown collection,
    /// wrong dimension, duplicate name …). Such a refusal is a pure function of the replicated
    /// state, so every replica refuses identically and nothing changed anywhere.
    Rejected { reason: String },
}

/// The state machine's answer for one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyResponse {
    pub log_index: u64,
    pub applied: Applied,
}

/// Snapshot bytes as openraft moves them around.
pub type SnapshotData = Cursor<Vec<u8>>;

openraft::declare_raft_types!(
    /// The faultline Raft type configuration.
    pub TypeConfig:
        D = Command,
        R = ApplyResponse,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = SnapshotData,
        AsyncRuntime = NodeRuntime,
        Responder = openraft::impls::OneshotResponder<TypeConfig>,
);

/// A log entry of this configuration.
pub type Entry = openraft::Entry<TypeConfig>;
/// A log id of this configuration.
pub type LogId = openraft::LogId<NodeId>;
/// The Raft handle of this configuration.
pub type Raft = openraft::Raft<TypeConfig>;
/// Stored membership of this configuration.
pub type StoredMembership = openraft::StoredMembership<NodeId, openraft::BasicNode>;
/// A storage error of this configuration.
pub type StorageError = openraft::StorageError<NodeId>;
