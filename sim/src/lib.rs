//! faultline-sim: the simulated world and the harness around it.
//!
//! The world/cluster builder on madsim, nemesis primitives, the client workload and history
//! recorder, the checkers (linearizability, durability, convergence, Raft invariants), the
//! determinism check and the report writer.
