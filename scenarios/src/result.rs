//! `SeedOutcome`: what the runner keeps of one seed — pass or fail with a one-line reason, its
//! trace hash, simulated and wall time, and any determinism mismatch — and the repro line a
//! failure prints.

use std::time::Duration;

use faultline_sim::run::Verdict;

use crate::determinism::Mismatch;

/// The result of one seed of one scenario.
#[derive(Debug, Clone)]
pub struct SeedOutcome {
    pub scenario: &'static str,
    pub seed: u64,
    /// `None`: the seed passed (and, if checked, replayed identically).
    pub failure: Option<String>,
    /// The verdict of the (first) run; `None` if the plan could not be built.
    pub verdict: Option<Verdict>,
    pub mismatch: Option<Mismatch>,
    /// Simulated time of the (first) run.
    pub sim: Duration,
    /// Wall-clock time the seed took, replays included.
    pub wall: Duration,
}

impl SeedOutcome {
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// The one line that reproduces this seed.
    pub fn repro_line(&self) -> String {
        repro_line(self.scenario, self.seed)
    }
}

/// `faultline repro --scenario S --seed N`.
pub fn repro_line(scenario: &str, seed: u64) -> String {
    format!("faultline repro --scenario {scenario} --seed {seed}")
}

/// A one-line reason for a failed verdict: the violated properties and the first message,
/// cut to a readable length (the full evidence is in the report).
pub fn reason(verdict: &Verdict) -> String {
    let props: Vec<String> = verdict
        .properties()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let first = verdict
        .violations
        .first()
        .map(|v| v.message.lines().next().unwrap_or("").to_string())
        .unwrap_or_default();
    let mut line = format!("{}: {first}", props.join(", "));
    if line.chars().count() > 160 {
        line = line.chars().take(157).collect::<String>() + "...";
    }
    line
}
