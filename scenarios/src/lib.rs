//! faultline-scenarios: the scenario catalog, the seed runner and the regression corpus — the
//! library behind the `faultline` binary and the `cargo test` entry points.
//!
//! - [`catalog`]: every scenario, each a deterministic `seed → Plan`.
//! - [`runner`]: runs seeds of scenarios on a pool of jobs and collects [`result::SeedResult`]s.
//! - [`watchdog`]: every run under a wall-clock, simulated-time and memory limit, in this
//!   process or (`--isolate`) in a child; [`memory`]: sizes and resident memory.
//! - [`determinism`] and [`fresh`]: same-process and fresh-process replays (child processes).
//! - [`known`]: confirmed bugs of the systems under test, to tell expected findings from new
//!   ones.
//! - [`regressions`]: the corpus of plans that once failed, one JSON file per finding.
//! - [`fuzz`]: the random campaign; [`stats`] and [`summary`]: the tables and the `--json`
//!   summaries that `faultline merge` combines.
//! - [`shrink`]: shrinking a failing plan to a small one that fails with the same property.
//! - [`seeds`], [`shard`], [`duration`]: the typed parsers behind the CLI's arguments.
//! - [`rng`]: the seeded generator every plan choice comes from.
//! - [`bench`]: the campaign's cost per acknowledged op against a bare openraft on madsim.
//! - `bugs` (feature `planted-bugs`): the planted-bug matrix behind `faultline bugs`.

pub mod bench;
#[cfg(feature = "planted-bugs")]
pub mod bugs;
pub mod catalog;
pub mod determinism;
pub mod duration;
pub mod fresh;
pub mod fuzz;
pub mod known;
pub mod memory;
pub mod regressions;
pub mod result;
pub mod rng;
pub mod runner;
pub mod seeds;
pub mod shard;
pub mod shrink;
pub mod stats;
pub mod summary;
pub mod watchdog;
