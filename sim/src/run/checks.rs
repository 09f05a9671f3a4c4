//! Runs every checker on what a run recorded and observed: linearizability (register model,
//! per key, bounded by a step budget so the answer never depends on the machine's speed —
//! `unknown` makes the seed's status unknown, not a violation), durability, convergence, the
//! searches' results, the catalog, the power probes, the Raft invariants, node recovery and
//! liveness. A checker that refuses its input is a harness defect; it is
//! reported as a violation of that checker's property so it cannot pass silently.

use crate::check::catalog::check_catalog;
use crate::check::convergence::check_convergence;
use crate::check::durability::check_durability;
use crate::check::engine_durability::check_engine_durability;
use crate::check::knn::{Collection, check_searches};
use crate::check::liveness::{LivenessObservation, check_liveness};
use crate::check::log_durability::check_log_durability;
use crate::check::models::Register;
use crate::check::raft::{LeaderIdentity, Promises, RaftObservations, check_raft};
use crate::check::violation::{Property, Violation};
use crate::check::{Budget, CheckOptions, PartitionVerdict, Verdict as LinVerdict, check};
use crate::history::History;
use crate::workload::ops::{record_value, register_key};

use super::simulate::Simulated;

/// Model steps per key before the linearizability search gives up (`unknown`).
pub const LINEARIZABILITY_STEPS: u64 = 5_000_000;

/// Memo-table bytes per key before the search gives up.
pub const LINEARIZABILITY_MEMO_BYTES: usize = 256 << 20;

/// What the checks found.
#[derive(Debug, Default)]
pub struct Checked {
    pub violations: Vec<Violation>,
    /// `ok`, `illegal`, `unknown` or `error`.
    pub linearizability: String,
    pub steps: u64,
    pub notes: Vec<String>,
}

fn refused(property: Property, checker: &str, e: impl std::fmt::Display) -> Violation {
    Violation::new(
        property,
        format!("the {checker} checker refused the run's data (a harness defect): {e}"),
    )
}

/// Runs every checker.
pub fn run_checks(history: &History, sim: &Simulated) -> Checked {
    let mut out = Checked::default();
    let options = CheckOptions::every_partition()
        .with_budget(
            Budget::unlimited()
                .with_steps(LINEARIZABILITY_STEPS)
                .with_memo_bytes(LINEARIZABILITY_MEMO_BYTES),
        )
        // One thread: campaigns run many seeds at once already.
        .with_threads(1);
    match check(&Register, history, &options) {
        Ok(report) => {
            out.steps = report.stats().steps;
            out.linearizability = match report.verdict {
                LinVerdict::Ok => "ok",
                LinVerdict::Illegal => "illegal",
                LinVerdict::Unknown => "unknown",
            }
            .to_string();
            for p in &report.partitions {
                if let PartitionVerdict::Unknown { exhausted } = &p.verdict {
                    out.notes.push(format!(
                        "linearizability of key {} unknown ({} ops): budget {:?} ran out",
                        p.key, p.ops, exhausted
                    ));
                }
            }
            out.violations
                .extend(Violation::from_linearizability(&report));
        }
        Err(e) => {
            out.linearizability = "error".to_string();
            out.violations
                .push(refused(Property::Linearizability, "linearizability", e));
        }
    }
    match check_durability(history, &sim.observations) {
        Ok(v) => out.violations.extend(v),
        Err(e) => out
            .violations
            .push(refused(Property::Durability, "durability", e)),
    }
    match check_convergence(&sim.observations) {
        Ok(v) => out.violations.extend(v),
        Err(e) => out
            .violations
            .push(refused(Property::Convergence, "convergence", e)),
    }
    out.violations
        .extend(check_engine_durability(&sim.engine_recoveries));
    out.violations
        .extend(check_log_durability(&sim.log_recoveries));
    out.violations
        .extend(check_catalog(&sim.workload.refused_creates));
    out.violations.extend(check_searches(
        history,
        &sim.searches,
        &Collection {
            key_of: &register_key,
            value_of: &record_value,
            written: &sim.written,
        },
    ));
    out.violations.extend(check_raft(&raft_observations(sim)));
    for (node, why) in &sim.not_serving {
        out.violations.push(
            Violation::new(
                Property::NodeRecovery,
                format!("voter {node} was not serving after the liveness phase: {why}"),
            )
            .with_nodes([*node])
            .at(sim.deadline),
        );
    }
    if sim.live.is_empty() {
        out.violations.push(Violation::new(
            Property::Liveness,
            "no voter was running at the end of the liveness phase",
        ));
    } else {
        let observation = LivenessObservation {
            healed_at: sim.healed_at,
            deadline: sim.deadline,
            live: sim.live.clone(),
            samples: sim.samples.clone(),
            final_observations: sim.observations.clone(),
            probes: sim.probes.clone(),
        };
        match check_liveness(&observation, history) {
            Ok(v) => out.violations.extend(v),
            Err(e) => out
                .violations
                .push(refused(Property::Liveness, "liveness", e)),
        }
    }
    out
}

/// The Raft observations of a run, with the promises of the Raft it ran: openraft's as this
/// build has it, or raft-io's (one leader per term; leadership volatile).
fn raft_observations(sim: &Simulated) -> RaftObservations {
    let (identity, promises) = match sim.system {
        faultline_consensus::System::Openraft => {
            (LeaderIdentity::of_this_build(), Promises::default())
        }
        faultline_consensus::System::RaftIo => (LeaderIdentity::Term, Promises::raft_io()),
    };
    RaftObservations {
        events: sim.events.clone(),
        identity,
        promises,
        end: sim.end.clone(),
    }
}
