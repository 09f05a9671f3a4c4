//! Per-scenario campaign statistics and the summary table `faultline run` prints: seeds,
//! failures, seeds per wall-second, simulated seconds per seed, and simulated seconds per
//! wall-second (the time compression the simulator achieved).

use std::fmt::Write as _;
use std::time::Duration;

use crate::outcome::SeedOutcome;

/// What one scenario's batch of seeds amounted to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioStats {
    pub scenario: String,
    pub seeds: u64,
    pub failures: u64,
    /// Determinism mismatches (also counted in `failures`).
    pub mismatches: u64,
    /// Wall-clock time of the whole batch (jobs run in parallel within it).
    pub wall: Duration,
    /// Simulated time summed over the seeds.
    pub sim: Duration,
}

impl ScenarioStats {
    /// The stats of one batch that took `wall`.
    pub fn of(scenario: &str, outcomes: &[SeedOutcome], wall: Duration) -> Self {
        ScenarioStats {
            scenario: scenario.to_string(),
            seeds: outcomes.len() as u64,
            failures: outcomes.iter().filter(|o| o.failed()).count() as u64,
            mismatches: outcomes.iter().filter(|o| o.mismatch.is_some()).count() as u64,
            wall,
            sim: outcomes.iter().map(|o| o.sim).sum(),
        }
    }

    /// The sum of several batches (the table's total row).
    pub fn total(name: &str, all: &[ScenarioStats]) -> Self {
        ScenarioStats {
            scenario: name.to_string(),
            seeds: all.iter().map(|s| s.seeds).sum(),
            failures: all.iter().map(|s| s.failures).sum(),
            mismatches: all.iter().map(|s| s.mismatches).sum(),
            wall: all.iter().map(|s| s.wall).sum(),
            sim: all.iter().map(|s| s.sim).sum(),
        }
    }

    pub fn seeds_per_sec(&self) -> f64 {
        per(self.seeds as f64, self.wall.as_secs_f64())
    }

    pub fn sim_secs_per_seed(&self) -> f64 {
        per(self.sim.as_secs_f64(), self.seeds as f64)
    }

    pub fn sim_secs_per_wall_sec(&self) -> f64 {
        per(self.sim.as_secs_f64(), self.wall.as_secs_f64())
    }
}

fn per(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The summary table, one row per scenario and a total row when there is more than one.
pub fn render_table(rows: &[ScenarioStats]) -> String {
    let mut all: Vec<ScenarioStats> = rows.to_vec();
    if rows.len() > 1 {
        all.push(ScenarioStats::total("total", rows));
    }
    let width = all
        .iter()
        .map(|r| r.scenario.len())
        .max()
        .unwrap_or(0)
        .max("scenario".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>8}  {:>8}  {:>10}  {:>12}  {:>8}",
        "scenario", "seeds", "failures", "seeds/s", "sim-s/seed", "sim-s/wall-s", "wall-s"
    );
    for r in &all {
        let failures = if r.mismatches > 0 {
            format!("{}*", r.failures)
        } else {
            r.failures.to_string()
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>8}  {:>8.2}  {:>10.2}  {:>12.1}  {:>8.1}",
            r.scenario,
            r.seeds,
            failures,
            r.seeds_per_sec(),
            r.sim_secs_per_seed(),
            r.sim_secs_per_wall_sec(),
            r.wall.as_secs_f64(),
        );
    }
    if all.iter().any(|r| r.mismatches > 0) {
        let _ = writeln!(out, "* includes determinism mismatches");
    }
    out
}
