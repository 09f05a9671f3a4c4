//! The planted-bug matrix (feature `planted-bugs`): for each planted bug and scenario, run
//! seeds in order until the first one fails, and check the same seeds with no bug, so a
//! detection is the bug's doing and not a failure the healthy build has too.
//!
//! A seed that fails with the bug AND without it proves nothing about the bug: it is recorded
//! as a healthy failure and the hunt goes on. A detection is a seed that fails with the bug
//! and passes without it; every seed before it is also run without the bug, and any that fail
//! are listed (they are bugs of the healthy build, reported rather than hidden).
//!
//! With a fresh-process executable configured, a candidate detection must also replay in a
//! fresh `faultline` process to a failure with the same trace hash (what a user's repro line
//! will do); an in-process failure that does not is recorded as unconfirmed and the hunt goes
//! on.
//!
//! Each bug declares the properties that count as catching it ([`catching`]): the ones its
//! mistake violates. A seed that fails only by other properties (a hang, a panic of the
//! harness, a check that happens to trip over the damage) is not a detection; it is listed as
//! such and the hunt goes on. The matrix names the declared property that caught each cell.
//!
//! Seeds are run in chunks of `jobs` at a time, and a chunk's lowest failing seed is the
//! detection, so the matrix is the same whatever `jobs` is. Healthy verdicts are cached per
//! (scenario, seed): every bug's check against the healthy build reuses them.
//!
//! With the power probes switched off (`without_probes`), the matrix shows what the end-to-end
//! checks (linearizability, durability, convergence, the Raft invariants …) catch on their own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use faultline_engine::planted::Bug;
use faultline_sim::check::violation::Property;
use faultline_sim::plan::{Plan, Switches, System};
use faultline_sim::run::{Verdict, panic_text};
use serde::Serialize;

use crate::catalog::Scenario;
use crate::fresh::replay_fresh;
use crate::result::reason;
use crate::runner::plan_of;
use crate::summary::BugCell;
use crate::watchdog::{Limits, run_in_process};

/// The properties whose violation counts as catching `bug`: what its mistake breaks, first the
/// property closest to the mistake.
pub fn catching(bug: Bug) -> &'static [Property] {
    use Property::*;
    match bug {
        Bug::AckBeforeCommit => &[Linearizability, Durability],
        Bug::VoteNotDurable => &[LogDurability, MonotonicVote, MonotonicTerm, ElectionSafety],
        Bug::LogAppendNotDurable => &[
            LogDurability,
            LeaderCompleteness,
            StateMachineSafety,
            Durability,
            Linearizability,
        ],
        Bug::TruncateNotDurable => &[LogDurability, LogMatching, StateMachineSafety, Durability],
        Bug::EngineAckWithoutSync => &[EngineDurability],
        Bug::StaleLocalRead => &[Linearizability, Search],
        Bug::FollowerRead => &[Linearizability],
        Bug::SnapshotMerges => &[Convergence, Durability, Linearizability, Search],
        Bug::SnapshotWithoutEngine => &[Convergence, Durability, Linearizability, Search],
        Bug::ApplyErrorSwallowed => &[Convergence, Durability, Linearizability, Search],
        Bug::CreateIdRace => &[Catalog],
        Bug::WalAcceptsTornTail => &[EngineDurability, NodeRecovery],
        Bug::StaleReply => &[
            CommitSafety,
            Linearizability,
            Durability,
            LeaderCompleteness,
        ],
        Bug::PeerAddrMixup => &[ElectionSafety, CommitSafety, Linearizability, Durability],
        Bug::WireLossyVector => &[
            LogMatching,
            Convergence,
            Durability,
            Linearizability,
            Search,
        ],
        Bug::ApplySkipsLast => &[StateMachineSafety, Durability, Linearizability, Convergence],
        // openraft's own assertion that every applied entry gets an answer.
        Bug::ApplyReplyMissing => &[Panic],
        Bug::SnapshotStaleMembership => &[Membership],
        Bug::SearchLocalState => &[Search],
        Bug::FlushReportedPastEnd => &[Observation],
        Bug::FlushBeforeSync => &[
            CommitSafety,
            LogDurability,
            LeaderCompleteness,
            StateMachineSafety,
            Durability,
            Linearizability,
        ],
        Bug::SnapshotDirNotSynced => &[
            NodeRecovery,
            Panic,
            Convergence,
            Durability,
            Linearizability,
        ],
        Bug::TruncateSyncDeferred => &[LogDurability, LogMatching, StateMachineSafety],
        Bug::ApplyAckedBeforeSync => &[EngineDurability],
    }
}

/// `faultline repro --scenario S --seed N --bug B` (and the switches the plan turned off).
pub fn repro_line(scenario: &str, seed: u64, bug: Bug, switches: &Switches) -> String {
    let mut line = format!("faultline repro --scenario {scenario} --seed {seed} --bug {bug}");
    for flag in switches.flags() {
        line.push(' ');
        line.push_str(flag);
    }
    line
}

/// The plan of `seed` of `scenario`, with `bug` switched on (or none) and `switches` set.
pub fn plan_with_bug(
    scenario: &dyn Scenario,
    seed: u64,
    bug: Option<Bug>,
    switches: Switches,
) -> Result<Plan, String> {
    let mut plan = plan_of(scenario, seed)?;
    plan.bug = bug.map(|b| b.name().to_string());
    plan.switches = switches;
    Ok(plan)
}

/// The first seed that failed with the bug on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    pub seed: u64,
    /// Seeds run up to and including this one.
    pub seeds_to_detection: u64,
    /// The violated properties.
    pub properties: Vec<String>,
    /// The violated properties the bug declares as catching it (never empty).
    pub caught_by: Vec<String>,
    /// One line: properties and the first violation's message.
    pub reason: String,
    pub trace_hash: String,
    pub repro: String,
}

/// A seed that failed without any bug (which voids a detection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthyFailure {
    pub seed: u64,
    pub reason: String,
}

/// One bug × scenario cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub bug: Bug,
    pub scenario: &'static str,
    /// Seeds allowed.
    pub budget: u64,
    /// Seeds run with the bug on.
    pub seeds_run: u64,
    pub detection: Option<Detection>,
    /// Seeds up to the detection (or, without one, seeds that failed with the bug) that also
    /// fail with no bug.
    pub healthy_failures: Vec<HealthyFailure>,
    /// Seeds that failed with the bug in this process but not the same way in a fresh one.
    pub unconfirmed: Vec<u64>,
    /// Seeds that failed with the bug, but only by properties it does not declare (with them).
    pub undeclared: Vec<(u64, Vec<String>)>,
}

impl Cell {
    /// Caught on a seed the healthy build passes.
    pub fn caught(&self) -> bool {
        self.detection.is_some()
    }

    /// The cell as a campaign summary holds it.
    pub fn summary(&self) -> BugCell {
        BugCell {
            bug: self.bug.name().to_string(),
            scenario: self.scenario.to_string(),
            budget: self.budget,
            seeds_run: self.seeds_run,
            seeds_to_detection: self.detection.as_ref().map(|d| d.seeds_to_detection),
            detection_seed: self.detection.as_ref().map(|d| d.seed),
            properties: self
                .detection
                .as_ref()
                .map_or_else(Vec::new, |d| d.properties.clone()),
            caught_by: self
                .detection
                .as_ref()
                .map_or_else(Vec::new, |d| d.caught_by.clone()),
            repro: self.detection.as_ref().map(|d| d.repro.clone()),
            undeclared: self.undeclared.clone(),
            healthy_failures: self
                .healthy_failures
                .iter()
                .map(|h| (h.seed, h.reason.clone()))
                .collect(),
            unconfirmed: self.unconfirmed.clone(),
            shrunk: None,
        }
    }
}

/// A seed's verdict reduced to what the matrix needs: `None` = passed.
type SeedFailure = Option<(Vec<String>, String, String)>;

/// Hunts planted bugs, keeping healthy verdicts across cells.
#[derive(Debug)]
pub struct Hunter {
    jobs: usize,
    fresh: Option<PathBuf>,
    switches: Switches,
    system: System,
    healthy: Mutex<BTreeMap<(&'static str, u64), Option<String>>>,
}

impl Hunter {
    /// `jobs` seeds in flight at once (at least 1).
    pub fn new(jobs: usize) -> Hunter {
        Hunter {
            jobs: jobs.max(1),
            fresh: None,
            switches: Switches::default(),
            system: System::default(),
            healthy: Mutex::default(),
        }
    }

    /// Runs every seed with these harness switches (e.g. the power probes off).
    pub fn with_switches(mut self, switches: Switches) -> Hunter {
        self.switches = switches;
        self
    }

    /// Runs every seed on the nodes of `system`.
    pub fn with_system(mut self, system: System) -> Hunter {
        self.system = system;
        self
    }

    /// Confirm every detection by replaying it in a fresh process of `exe` (a `faultline`).
    pub fn confirm_with(mut self, exe: impl Into<PathBuf>) -> Hunter {
        self.fresh = Some(exe.into());
        self
    }

    /// Whether `seed`'s failure replays in a fresh process with the same trace hash (always
    /// true without a fresh-process executable).
    fn replays_fresh(&self, scenario: &dyn Scenario, seed: u64, bug: Bug, hash: &str) -> bool {
        let Some(exe) = &self.fresh else {
            return true;
        };
        let Ok(mut plan) = plan_with_bug(scenario, seed, Some(bug), self.switches) else {
            return false;
        };
        plan.system = self.system;
        replay_fresh(exe, &plan).is_ok_and(|r| !r.ok && r.trace_hash == hash)
    }

    /// Runs seeds `seeds` of `scenario` with `bug` on until one fails, then checks the seeds
    /// up to it with no bug.
    pub fn hunt(&self, bug: Bug, scenario: &'static dyn Scenario, seeds: &[u64]) -> Cell {
        let mut cell = Cell {
            bug,
            scenario: scenario.name(),
            budget: seeds.len() as u64,
            seeds_run: 0,
            detection: None,
            healthy_failures: Vec::new(),
            unconfirmed: Vec::new(),
            undeclared: Vec::new(),
        };
        let declared: Vec<String> = catching(bug).iter().map(|p| p.name().to_string()).collect();
        'hunt: for chunk in seeds.chunks(self.jobs) {
            let results = in_parallel(
                chunk,
                |seed| failure_of(scenario, seed, Some(bug), self.switches, self.system),
                harness_panic,
            );
            let failing: Vec<u64> = chunk
                .iter()
                .zip(&results)
                .filter(|(_, r)| r.is_some())
                .map(|(s, _)| *s)
                .collect();
            let dirty = self.healthy_failures(scenario, &failing);
            for (i, (&seed, r)) in chunk.iter().zip(results).enumerate() {
                let Some((properties, why, trace_hash)) = r else {
                    continue;
                };
                if dirty.iter().any(|h| h.seed == seed) {
                    continue;
                }
                let caught_by: Vec<String> = declared
                    .iter()
                    .filter(|p| properties.contains(p))
                    .cloned()
                    .collect();
                if caught_by.is_empty() {
                    cell.undeclared.push((seed, properties));
                    continue;
                }
                if !self.replays_fresh(scenario, seed, bug, &trace_hash) {
                    cell.unconfirmed.push(seed);
                    continue;
                }
                cell.seeds_run += i as u64 + 1;
                cell.detection = Some(Detection {
                    seed,
                    seeds_to_detection: cell.seeds_run,
                    properties,
                    caught_by,
                    reason: why,
                    trace_hash,
                    repro: repro_line(scenario.name(), seed, bug, &self.switches)
                        + &self
                            .system
                            .flag()
                            .map(|f| format!(" {f}"))
                            .unwrap_or_default(),
                });
                break 'hunt;
            }
            cell.seeds_run += chunk.len() as u64;
        }
        let range = &seeds[..cell.seeds_run as usize];
        cell.healthy_failures = if cell.detection.is_some() {
            self.healthy_failures(scenario, range)
        } else {
            // Without a detection, only the seeds the bug failed on were run healthy (and are
            // cached): those are the ones worth reporting.
            self.cached_failures(scenario, range)
        };
        cell
    }

    /// Healthy failures among `seeds` that are already known (nothing is run).
    fn cached_failures(&self, scenario: &dyn Scenario, seeds: &[u64]) -> Vec<HealthyFailure> {
        let cache = self.healthy.lock().unwrap_or_else(|e| e.into_inner());
        seeds
            .iter()
            .filter_map(|&seed| {
                let reason = cache.get(&(scenario.name(), seed))?.clone()?;
                Some(HealthyFailure { seed, reason })
            })
            .collect()
    }

    /// The seeds of `seeds` that fail with no bug.
    pub fn healthy_failures(
        &self,
        scenario: &'static dyn Scenario,
        seeds: &[u64],
    ) -> Vec<HealthyFailure> {
        let known = |seed: u64| {
            self.healthy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&(scenario.name(), seed))
                .cloned()
        };
        let missing: Vec<u64> = seeds
            .iter()
            .copied()
            .filter(|s| known(*s).is_none())
            .collect();
        for chunk in missing.chunks(self.jobs) {
            let results = in_parallel(
                chunk,
                |seed| failure_of(scenario, seed, None, self.switches, self.system),
                harness_panic,
            );
            let mut cache = self.healthy.lock().unwrap_or_else(|e| e.into_inner());
            for (seed, r) in chunk.iter().zip(results) {
                cache.insert((scenario.name(), *seed), r.map(|(_, why, _)| why));
            }
        }
        seeds
            .iter()
            .filter_map(|&seed| {
                known(seed)
                    .flatten()
                    .map(|reason| HealthyFailure { seed, reason })
            })
            .collect()
    }
}

/// Runs one seed under the seed watchdog (a bug that hangs a seed is a `hang` failure); a
/// plan that cannot be built counts as a failure. Only `fail` is a failure: a seed that is
/// `unknown` or `vacuous` with the bug is no detection, and one that is so without the bug
/// does not void a detection (nothing was violated without the bug).
fn failure_of(
    scenario: &dyn Scenario,
    seed: u64,
    bug: Option<Bug>,
    switches: Switches,
    system: System,
) -> SeedFailure {
    let plan = match plan_with_bug(scenario, seed, bug, switches) {
        Ok(mut plan) => {
            plan.system = system;
            plan
        }
        Err(e) => return Some((vec!["plan".to_string()], e, String::new())),
    };
    let verdict: Verdict = run_in_process(&plan, &Limits::default()).result.verdict;
    if !verdict.failed() {
        return None;
    }
    let properties = verdict
        .properties()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    Some((properties, reason(&verdict), verdict.trace_hash.clone()))
}

/// A panic in the harness around a seed, as the seed's failure.
fn harness_panic(seed: u64, panic: String) -> SeedFailure {
    Some((
        vec!["harness-panic".to_string()],
        format!("harness-panic: the runner panicked around seed {seed}: {panic}"),
        String::new(),
    ))
}

/// `f` over `seeds`, all at once, results in seed order; a panic in `f` becomes
/// `on_panic(seed, message)` instead of ending the matrix. Runs outside any simulation: the
/// watchdog gives every seed threads of its own anyway.
fn in_parallel<R: Send>(
    seeds: &[u64],
    f: impl Fn(u64) -> R + Sync,
    on_panic: fn(u64, String) -> R,
) -> Vec<R> {
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .iter()
            .map(|&seed| (seed, scope.spawn(move || f(seed))))
            .collect();
        handles
            .into_iter()
            .map(|(seed, h)| {
                h.join()
                    .unwrap_or_else(|p| on_panic(seed, panic_text(p.as_ref())))
            })
            .collect()
    })
}
