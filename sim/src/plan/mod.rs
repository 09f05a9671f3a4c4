//! Plans: everything one run does, as plain, serialisable data. A scenario expands a seed into
//! a `Plan`; a plan can also be written by hand or produced by shrinking, and replays exactly
//! like its seed (the seed still drives every random choice the plan leaves open, such as
//! which node `NodeRef::Random` names).
//!
//! Files: `cluster` (the simulated cluster), `workload` (the clients), `fault` (the fault
//! vocabulary and schedule), `liveness` (the quiet phase at the end), `switches` (harness
//! mechanisms a comparison run turns off), `error` (typed errors). Which Raft the nodes run is
//! the plan's `system` (`faultline_consensus::System`): absent, as in every plan written before
//! there was a choice, it is openraft.
//! `Plan::from_json` + `Plan::validate` accept any text without panicking.

mod cluster;
mod error;
mod fault;
mod liveness;
mod switches;
mod workload;

use serde::{Deserialize, Serialize};

pub use faultline_consensus::System;

pub use cluster::{ClusterPlan, LogStoreKind, MAX_NODES, RaftTiming};
pub use error::PlanError;
pub use fault::{Aim, DiskFault, DiskFaultKind, Fault, NodeRef, ScheduledFault};
pub use liveness::LivenessPlan;
pub use switches::Switches;
pub use workload::{MAX_CLIENTS, OpMix, WorkloadPlan};

/// The most faults one plan may schedule.
pub const MAX_FAULTS: usize = 10_000;

/// Everything one run does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The scenario's catalog name (free text for a hand-written plan).
    pub scenario: String,
    /// The seed of the run's simulated runtime.
    pub seed: u64,
    /// The Raft the nodes run (absent: openraft, so every stored plan replays as it did).
    #[serde(default, skip_serializing_if = "System::is_default")]
    pub system: System,
    pub cluster: ClusterPlan,
    pub workload: WorkloadPlan,
    /// In time order.
    pub faults: Vec<ScheduledFault>,
    pub liveness: LivenessPlan,
    /// The planted bug the run switches on (`faultline_engine::planted`; needs a build with
    /// the `planted-bugs` feature). Absent in every normal plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<String>,
    /// Harness mechanisms switched off for a comparison run (all on when absent).
    #[serde(default, skip_serializing_if = "Switches::all_on")]
    pub switches: Switches,
    /// A harness plant (`crate::plant`; needs a build with the `harness-plants` feature):
    /// how the watchdog's tests make a seed hang, abort or eat memory. Absent in every
    /// normal plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<String>,
}

impl Plan {
    /// A healthy plan: default cluster and workload, no faults.
    pub fn new(scenario: impl Into<String>, seed: u64) -> Plan {
        Plan {
            scenario: scenario.into(),
            seed,
            system: System::default(),
            cluster: ClusterPlan::default(),
            workload: WorkloadPlan::default(),
            faults: Vec::new(),
            liveness: LivenessPlan::default(),
            bug: None,
            switches: Switches::default(),
            plant: None,
        }
    }

    /// Pretty JSON (what `plan.json` holds).
    pub fn to_json(&self) -> String {
        // A plan holds no maps and no non-finite floats after validation; serialising it cannot
        // fail, and a plan that somehow does still prints something readable.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"unserialisable_plan\": \"{e}\"}}"))
    }

    /// Reads and validates a plan.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        let plan: Plan = serde_json::from_str(text)?;
        plan.validate()?;
        Ok(plan)
    }

    /// Rejects plans no run can carry out, naming the field.
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.scenario.is_empty() || self.scenario.len() > 200 {
            return Err(PlanError::invalid(
                "scenario",
                "must be a non-empty name of at most 200 bytes",
            ));
        }
        if self
            .scenario
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
            || self.scenario == "."
            || self.scenario == ".."
        {
            // The name becomes a directory of the report.
            return Err(PlanError::invalid(
                "scenario",
                format!("{:?} cannot name a report directory", self.scenario),
            ));
        }
        self.planted_bug()?;
        crate::plant::check(self.plant.as_deref()).map_err(|e| PlanError::invalid("plant", e))?;
        self.cluster.validate()?;
        self.workload.validate()?;
        self.liveness.validate()?;
        if self.faults.len() > MAX_FAULTS {
            return Err(PlanError::invalid(
                "faults",
                format!("at most {MAX_FAULTS} faults, got {}", self.faults.len()),
            ));
        }
        let mut last = 0;
        for (i, f) in self.faults.iter().enumerate() {
            let field = format!("faults[{i}]");
            if f.at_ms < last {
                return Err(PlanError::invalid(
                    field,
                    format!("at_ms {} is before the previous fault's {last}", f.at_ms),
                ));
            }
            last = f.at_ms;
            if f.at_ms > 3_600_000 {
                return Err(PlanError::invalid(field, "at_ms beyond one simulated hour"));
            }
            f.fault.validate(&field)?;
            if f.fault.crashes() && self.cluster.log_store == LogStoreKind::Memory {
                return Err(PlanError::invalid(
                    field,
                    format!(
                        "{} needs the durable log store: an in-memory log forgets the vote",
                        f.fault.name()
                    ),
                ));
            }
            if let Fault::Partition { groups } = &f.fault
                && let Some(id) = groups.iter().flatten().find(|id| **id > 250)
            {
                return Err(PlanError::invalid(field, format!("no node {id} can exist")));
            }
        }
        if self.workload.duration_ms > 3_600_000 || self.liveness.heal_at_ms > 3_600_000 {
            return Err(PlanError::invalid(
                "workload.duration_ms",
                "runs are limited to one simulated hour",
            ));
        }
        Ok(())
    }

    /// The planted bug the plan names, if any.
    #[cfg(feature = "planted-bugs")]
    pub fn planted_bug(&self) -> Result<Option<faultline_engine::planted::Bug>, PlanError> {
        let Some(name) = &self.bug else {
            return Ok(None);
        };
        name.parse()
            .map(Some)
            .map_err(
                |e: faultline_engine::planted::UnknownBug| PlanError::UnknownBug {
                    name: e.name,
                    known: e.known,
                },
            )
    }

    /// A build without planted bugs refuses any plan that names one.
    #[cfg(not(feature = "planted-bugs"))]
    fn planted_bug(&self) -> Result<(), PlanError> {
        match &self.bug {
            None => Ok(()),
            Some(bug) => Err(PlanError::PlantedBugsNotBuilt { bug: bug.clone() }),
        }
    }

    /// Simulated ms from the workload start at which the heal happens at the earliest.
    pub fn heal_at_ms(&self) -> u64 {
        let last_fault = self.faults.last().map_or(0, |f| f.at_ms);
        self.liveness
            .heal_at_ms
            .max(self.workload.duration_ms)
            .max(last_fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_without_a_system_reads_as_openraft_and_prints_as_before() {
        let plan = Plan::new("hand-written", 3);
        let json = plan.to_json();
        assert!(!json.contains("\"system\""));
        let read = Plan::from_json(&json).unwrap();
        assert_eq!(read.system, System::Openraft);
        let mut raft_io = plan.clone();
        raft_io.system = System::RaftIo;
        let json = raft_io.to_json();
        assert!(json.contains("\"system\": \"raft-io\""));
        assert_eq!(Plan::from_json(&json), Ok(raft_io));
        assert!(Plan::from_json(&json.replace("raft-io", "zookeeper")).is_err());
    }

    #[test]
    fn a_plan_without_a_bug_reads_and_prints_as_before() {
        let plan = Plan::new("hand-written", 3);
        let json = plan.to_json();
        assert!(!json.contains("\"bug\""));
        assert_eq!(Plan::from_json(&json), Ok(plan));
    }

    #[cfg(not(feature = "planted-bugs"))]
    #[test]
    fn a_build_without_planted_bugs_refuses_a_plan_that_names_one() {
        let mut plan = Plan::new("hand-written", 3);
        plan.bug = Some("ack-before-commit".to_string());
        assert_eq!(
            plan.validate(),
            Err(PlanError::PlantedBugsNotBuilt {
                bug: "ack-before-commit".to_string()
            })
        );
        assert!(matches!(
            Plan::from_json(&plan.to_json()),
            Err(PlanError::PlantedBugsNotBuilt { .. })
        ));
    }

    #[cfg(feature = "planted-bugs")]
    #[test]
    fn a_plan_names_a_known_bug_or_is_refused() {
        let mut plan = Plan::new("hand-written", 3);
        plan.bug = Some("ack-before-commit".to_string());
        assert_eq!(Plan::from_json(&plan.to_json()), Ok(plan.clone()));
        plan.bug = Some("no-such-bug".to_string());
        assert!(matches!(plan.validate(), Err(PlanError::UnknownBug { .. })));
    }
}
