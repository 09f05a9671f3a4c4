//! The node's RPC transport: frames on `tokio::net` TCP, outgoing connections, the messages,
//! and openraft's network factory over them.

pub mod client_conn;
pub mod frame;
pub mod message;
pub mod raft_network;
