//! faultline-scenarios: the scenario catalog, the seed runner and the regression corpus — the
//! library behind the `faultline` binary and the `cargo test` entry points.
//!
//! - [`catalog`]: every scenario, each a deterministic `seed → Plan`.
//! - [`runner`]: runs seeds of scenarios on a pool of jobs and collects verdicts and stats.
//! - [`determinism`] and [`fresh`]: same-process and fresh-process replay comparisons.
//! - [`regressions`]: the corpus of seeds that once failed.
//! - [`shrink`]: shrinking a failing plan to a small one that fails with the same property.
//! - [`seeds`], [`shard`], [`duration`]: the typed parsers behind the CLI's arguments.
//! - [`rng`]: the seeded generator every plan choice comes from.
//! - `bugs` (feature `planted-bugs`): the planted-bug matrix behind `faultline bugs`.

#[cfg(feature = "planted-bugs")]
pub mod bugs;
pub mod catalog;
pub mod determinism;
pub mod duration;
pub mod fresh;
pub mod fuzz;
pub mod outcome;
pub mod regressions;
pub mod rng;
pub mod runner;
pub mod seeds;
pub mod shard;
pub mod shrink;
pub mod stats;
