//! faultline-sim: the simulated world and the harness around it.
//!
//! The world/cluster builder on madsim, nemesis primitives, the client workload and history
//! recorder, the checkers (linearizability, durability, convergence, Raft invariants), the
//! determinism check and the report writer.

pub mod check;
pub mod history;
pub mod html;

// The world needs madsim's simulator API, which exists only under `--cfg madsim`.
#[cfg(all(feature = "world", madsim))]
pub mod world;

// A run of a plan: the plan vocabulary is plain data; the rest drives the world.
#[cfg(all(feature = "world", madsim))]
pub mod nemesis;
#[cfg(feature = "world")]
pub mod plan;
#[cfg(feature = "world")]
pub mod plant;
#[cfg(all(feature = "world", madsim))]
pub mod run;
#[cfg(all(feature = "world", madsim))]
pub mod workload;
