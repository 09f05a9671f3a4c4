//! `SeedResult`: what the runner keeps of one seed — its status (pass, fail, unknown or
//! vacuous, as `sim::run::Status` defines them) with a one-line reason, its trace hash,
//! simulated and wall time, and any determinism mismatch — and the repro line a seed that did
//! not pass prints. (An operation's ok / fail / info is its *outcome*; a seed has a *result*.)

use std::time::Duration;

use faultline_sim::run::{Status, Verdict};

use crate::determinism::Mismatch;

/// The result of one seed of one scenario.
#[derive(Debug, Clone)]
pub struct SeedResult {
    pub scenario: &'static str,
    pub seed: u64,
    /// Only `Pass` is green. A determinism mismatch or a plan that could not be built is `Fail`.
    pub status: Status,
    /// Why the seed did not pass, in one line; `None` when it passed.
    pub reason: Option<String>,
    /// The verdict of the (first) run; `None` if the plan could not be built.
    pub verdict: Option<Verdict>,
    pub mismatch: Option<Mismatch>,
    /// Simulated time of the (first) run.
    pub sim: Duration,
    /// Wall-clock time the seed took, replays included.
    pub wall: Duration,
    /// The harness plant the seed's plan switched on (builds with `harness-plants` only).
    pub plant: Option<String>,
    /// The harness switches the seed's plan turned off (`--no-probes` …), for its repro line.
    pub switched_off: Vec<&'static str>,
    /// The Raft the seed's nodes ran (named in its repro line unless openraft).
    pub system: faultline_sim::plan::System,
    /// The seed passed its memory limit while other seeds shared the process; the runner
    /// re-runs it alone before it reports it.
    pub retry_alone: bool,
}

impl SeedResult {
    /// A seed that failed before or outside any run (its plan could not be built, say).
    pub fn failed_with(scenario: &'static str, seed: u64, reason: impl Into<String>) -> Self {
        SeedResult {
            scenario,
            seed,
            status: Status::Fail,
            reason: Some(reason.into()),
            verdict: None,
            mismatch: None,
            sim: Duration::ZERO,
            wall: Duration::ZERO,
            plant: None,
            switched_off: Vec::new(),
            system: Default::default(),
            retry_alone: false,
        }
    }

    /// The result of one run's verdict (no determinism check yet).
    pub fn of_verdict(scenario: &'static str, verdict: Verdict) -> Self {
        SeedResult {
            scenario,
            seed: verdict.seed,
            status: verdict.status,
            reason: (verdict.status != Status::Pass).then(|| reason(&verdict)),
            sim: Duration::from_millis(verdict.stats.sim_ms),
            verdict: Some(verdict),
            mismatch: None,
            wall: Duration::ZERO,
            plant: None,
            switched_off: Vec::new(),
            system: Default::default(),
            retry_alone: false,
        }
    }

    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }

    /// A property was violated (or the seed could not be run, or did not replay identically).
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }

    /// The violated properties' names (empty unless the verdict failed).
    pub fn properties(&self) -> Vec<String> {
        self.verdict.as_ref().map_or_else(Vec::new, |v| {
            v.properties()
                .iter()
                .map(|p| p.name().to_string())
                .collect()
        })
    }

    /// The one line that reproduces this seed.
    pub fn repro_line(&self) -> String {
        let mut line = repro_line(self.scenario, self.seed);
        for flag in &self.switched_off {
            line.push(' ');
            line.push_str(flag);
        }
        if let Some(flag) = self.system.flag() {
            line.push(' ');
            line.push_str(&flag);
        }
        if let Some(plant) = &self.plant {
            line.push_str(&format!(" --plant {plant}"));
        }
        line
    }
}

/// `faultline repro --scenario S --seed N`.
pub fn repro_line(scenario: &str, seed: u64) -> String {
    format!("faultline repro --scenario {scenario} --seed {seed}")
}

/// A one-line reason for a verdict that did not pass: for `fail`, the violated properties and
/// the first message; for `unknown` and `vacuous`, the verdict's reasons. Cut to a readable
/// length (the full evidence is in the report).
pub fn reason(verdict: &Verdict) -> String {
    let mut line = match verdict.status {
        Status::Fail => {
            let props: Vec<&str> = verdict.properties().iter().map(|p| p.name()).collect();
            let first = verdict
                .violations
                .first()
                .map(|v| v.message.lines().next().unwrap_or("").to_string())
                .unwrap_or_default();
            format!("{}: {first}", props.join(", "))
        }
        Status::Unknown | Status::Vacuous => {
            format!("{}: {}", verdict.status, verdict.reasons.join("; "))
        }
        Status::Pass => String::new(),
    };
    if line.chars().count() > 160 {
        line = line.chars().take(157).collect::<String>() + "...";
    }
    line
}
