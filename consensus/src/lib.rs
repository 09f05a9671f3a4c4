//! faultline-consensus: the openraft 0.9 adapter over the engine.
//!
//! Type config, state machine over the engine, in-memory and durable log stores, snapshots that
//! carry engine state, the node server and its RPC transport. Nothing here knows it may be
//! simulated: it sees only its seams (the `tokio` runtime, `tokio::net`, and the engine's `Vfs`).
