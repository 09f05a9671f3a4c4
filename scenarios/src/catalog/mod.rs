//! The scenario catalog: every named scenario, each a deterministic function `seed → Plan`.
//!
//! One file per scenario; `shape` draws what all scenarios share (cluster size, timing,
//! workload, liveness phase) and `schedule` builds fault schedules. Every choice comes from a
//! [`SeedRng`](crate::rng::SeedRng) seeded with the scenario's name and the seed, never from
//! anything else, so a seed always expands into the same printed plan.

mod compaction_then_join;
mod crash_restart;
mod disk_faults;
mod leader_kill;
mod membership_churn;
mod minority_write;
mod partition;
mod random;
pub mod schedule;
pub mod shape;

use faultline_sim::plan::Plan;
use thiserror::Error;

/// The version of the catalog's seed → plan generators. The regression corpus stores each
/// finding's plan with the version it was expanded with, and `cargo test` checks that every
/// entry of the current version still expands from its seed into its stored plan. A change
/// that gives existing seeds new plans (a new draw, a changed range) must bump this, which
/// makes it a visible decision; stored plans keep replaying what they found either way.
pub const GENERATOR: u32 = 3;

/// A named family of runs: `plan(seed)` expands a seed into everything one run does.
pub trait Scenario: Sync {
    /// The catalog name, as `--scenario` takes it (kebab-case).
    fn name(&self) -> &'static str;
    /// One line saying what the scenario exercises.
    fn describe(&self) -> &'static str;
    /// The plan of one seed. Pure: the same seed always gives the same plan.
    fn plan(&self, seed: u64) -> Plan;
}

static CATALOG: [&dyn Scenario; 8] = [
    &partition::Partition,
    &leader_kill::LeaderKill,
    &compaction_then_join::CompactionThenJoin,
    &minority_write::MinorityWrite,
    &crash_restart::CrashRestart,
    &membership_churn::MembershipChurn,
    &disk_faults::DiskFaults,
    &random::Random,
];

/// Every scenario, in a fixed order (the order `--scenario all` runs them in).
pub fn catalog() -> &'static [&'static dyn Scenario] {
    &CATALOG
}

/// The names of every scenario, in catalog order.
pub fn names() -> Vec<&'static str> {
    CATALOG.iter().map(|s| s.name()).collect()
}

/// A scenario name that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown scenario {name:?}; valid scenarios: {}", valid.join(", "))]
pub struct UnknownScenario {
    pub name: String,
    pub valid: Vec<&'static str>,
}

/// The scenario called `name`.
pub fn find(name: &str) -> Result<&'static dyn Scenario, UnknownScenario> {
    CATALOG
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .ok_or_else(|| UnknownScenario {
            name: name.to_string(),
            valid: names(),
        })
}

/// `all` → every scenario; otherwise the one named (the error then lists `all` too).
pub fn select(name: &str) -> Result<Vec<&'static dyn Scenario>, UnknownScenario> {
    if name == "all" {
        return Ok(catalog().to_vec());
    }
    find(name).map(|s| vec![s]).map_err(|mut e| {
        e.valid.push("all");
        e
    })
}
