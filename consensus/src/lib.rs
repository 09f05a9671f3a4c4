//! faultline-consensus: the Raft adapters over the engine — openraft 0.9 and raft-io 1.0 — behind
//! one system seam (`system`).
//!
//! Type config, state machine over the engine, in-memory and durable log stores, snapshots that
//! carry engine state, the node server and its RPC transport; the raft-io adapter (`raft_io`). Nothing here knows it may be
//! simulated: it sees only its seams (the `tokio` runtime, `tokio::net`, and the engine's `Vfs`).
//!
//! | file | owns |
//! |---|---|
//! | `runtime.rs` | openraft's `AsyncRuntime` over `tokio` (= madsim-tokio), seeded RNG |
//! | `type_config.rs` | entry payload (`Command`), apply answer (`ApplyResponse`) |
//! | `state_machine.rs` | `RaftStateMachine` over the engine; apply, install |
//! | `disk.rs` | waiting for the disk to finish before acknowledging anything |
//! | `snapshot.rs` | snapshot payload format and the durable snapshot file |
//! | `log_store/` | `RaftLogStorage`: in-memory cache, durable files, record framing |
//! | `network/` | frames, outgoing connections, messages, `RaftNetwork` |
//! | `service.rs` | what a node does with each request (Raft RPCs, client API) |
//! | `server.rs` | the TCP accept loop and per-connection serving |
//! | `node.rs` | `Node`: start, bootstrap, probes, shutdown |
//! | `client.rs` | `Client`: redirects, timeouts, definite vs indeterminate errors |
//! | `api.rs` | client-facing wire types |
//! | `error.rs` | typed errors |
//! | `observe.rs` | online observation: the events a node reports for invariant checkers |
//! | `planted.rs` | code only planted bugs use (feature `planted-bugs`) |
//! | `raft_io/` | the raft-io 1.0 adapter: durable `RaftLog` on the `Vfs`, node driver, TCP transport, server |
//! | `system/` | the system seam: which Raft a node runs, one status and probe vocabulary for both |

pub mod api;
pub mod client;
pub mod disk;
pub mod engine_view;
pub mod error;
pub mod log_store;
pub mod network;
pub mod node;
pub mod observe;
#[cfg(feature = "planted-bugs")]
mod planted;
pub mod raft_io;
pub mod runtime;
pub mod server;
pub mod service;
pub mod snapshot;
pub mod state_machine;
pub mod system;
pub mod type_config;

pub use api::{
    ClientReply, ClientRequest, FilterSpec, Hit, JsonValue, Record, SearchRequest, ServerError,
    WriteRequest, WriteResponse,
};
pub use client::Client;
pub use error::{ClientError, LogStoreError, NodeError, StateMachineError};
pub use log_store::{
    LogImage, LogStore, LogStoreKind, ProbedLog, recover_image as recover_log_image,
};
pub use node::{ENGINE_DIR, Node, NodeConfig, RAFT_DIR};
pub use runtime::NodeRuntime;
pub use state_machine::{EngineState, StateMachineStore};
pub use system::{EngineProbe, NodeRole, NodeStatus, ProbedLogImage, System, SystemNode};
pub use type_config::{Applied, ApplyResponse, Command, LogId, NodeId, TypeConfig};
