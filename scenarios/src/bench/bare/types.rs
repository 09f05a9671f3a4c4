//! The bare reference's openraft type configuration: an entry carries one `u64` (the client's
//! write), applying it answers the entry's log index, and openraft runs on the nodes' runtime
//! (`faultline_consensus::NodeRuntime`: madsim's simulated clock, tasks and seeded RNG, which
//! openraft's own `TokioRuntime` cannot give a simulation).

use std::io::Cursor;

openraft::declare_raft_types!(
    /// The bare reference's Raft type configuration.
    pub BareConfig:
        D = u64,
        R = u64,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<BareConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = faultline_consensus::NodeRuntime,
        Responder = openraft::impls::OneshotResponder<BareConfig>,
);

/// A node's id.
pub type NodeId = u64;
/// A log entry.
pub type Entry = openraft::Entry<BareConfig>;
/// A log id.
pub type LogId = openraft::LogId<NodeId>;
/// A storage error.
pub type StorageError = openraft::StorageError<NodeId>;
/// The Raft handle.
pub type Raft = openraft::Raft<BareConfig>;

/// Locks `m`, taking the data of a poisoned lock as it is (a panicking seed ends anyway).
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
