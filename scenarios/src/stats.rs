//! Campaign statistics per scenario: seeds by status (pass, fail, unknown, vacuous), seeds per
//! second, simulated seconds per seed, and simulated seconds per wall-second (the time
//! compression the simulator achieved); and the summary table `run`, `fuzz` and `merge` print.

use std::fmt::Write as _;
use std::time::Duration;

use faultline_sim::run::Status;
use serde::{Deserialize, Serialize};

use crate::result::SeedResult;

/// What one scenario's seeds amounted to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioStats {
    pub scenario: String,
    pub seeds: u64,
    pub pass: u64,
    pub fail: u64,
    pub unknown: u64,
    pub vacuous: u64,
    /// Determinism mismatches (also counted in `fail`).
    #[serde(default)]
    pub mismatches: u64,
    /// Wall-clock time of the scenario's seeds (jobs run in parallel within it).
    #[serde(with = "millis")]
    pub wall: Duration,
    /// Simulated time summed over the seeds.
    #[serde(with = "millis")]
    pub sim: Duration,
}

impl ScenarioStats {
    /// An empty row for `scenario`.
    pub fn new(scenario: &str) -> Self {
        ScenarioStats {
            scenario: scenario.to_string(),
            ..ScenarioStats::default()
        }
    }

    /// The stats of one batch that took `wall`.
    pub fn of(scenario: &str, results: &[SeedResult], wall: Duration) -> Self {
        let mut s = ScenarioStats::new(scenario);
        for r in results {
            s.count(r);
        }
        s.wall = wall;
        s
    }

    /// Counts one seed (not its wall time: batches measure theirs as a whole).
    pub fn count(&mut self, r: &SeedResult) {
        self.seeds += 1;
        match r.status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Unknown => self.unknown += 1,
            Status::Vacuous => self.vacuous += 1,
        }
        self.mismatches += u64::from(r.mismatch.is_some());
        self.sim += r.sim;
    }

    /// Adds another row of the same scenario (another shard's).
    pub fn add(&mut self, other: &ScenarioStats) {
        self.seeds += other.seeds;
        self.pass += other.pass;
        self.fail += other.fail;
        self.unknown += other.unknown;
        self.vacuous += other.vacuous;
        self.mismatches += other.mismatches;
        self.wall += other.wall;
        self.sim += other.sim;
    }

    /// The sum of several rows (the table's total row).
    pub fn total(name: &str, all: &[ScenarioStats]) -> Self {
        let mut t = ScenarioStats::new(name);
        for s in all {
            t.add(s);
        }
        t
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

/// `a / b`, or 0 when `b` is not positive (an empty run has no rate).
pub(crate) fn per(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Durations as integer milliseconds in JSON.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
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
        "{:<width$}  {:>7}  {:>7}  {:>6}  {:>7}  {:>7}  {:>8}  {:>10}  {:>12}  {:>8}",
        "scenario",
        "seeds",
        "pass",
        "fail",
        "unknown",
        "vacuous",
        "seeds/s",
        "sim-s/seed",
        "sim-s/wall-s",
        "wall-s"
    );
    for r in &all {
        let fail = if r.mismatches > 0 {
            format!("{}*", r.fail)
        } else {
            r.fail.to_string()
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>7}  {:>6}  {:>7}  {:>7}  {:>8.2}  {:>10.2}  {:>12.1}  {:>8.1}",
            r.scenario,
            r.seeds,
            r.pass,
            fail,
            r.unknown,
            r.vacuous,
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
