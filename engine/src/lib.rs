//! faultline-engine: the storage engine the cluster replicates.
//!
//! Durable vector collections with a checksummed WAL, checkpoints and recovery, exact kNN
//! search, and the replication seam (`WalOp`, `apply_replicated`, `replication_snapshot`).
//! All file I/O goes through the `Vfs` seam (`vfs/`), with a real (`StdVfs`) and a simulated,
//! crash-capable (`SimVfs`) implementation.
