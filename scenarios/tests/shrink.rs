//! The shrinker's search, against a model of the system (a `Runner` that decides from the plan
//! alone, instantly): it finds the faults a failure needs and drops the rest, turns every
//! workload and cluster lever down as far as the failure allows, keeps the property it was
//! asked for, respects its budget, and takes the same path whatever its parallelism. Real
//! runs of planted bugs are in `shrink_planted.rs`.

use std::sync::atomic::{AtomicU64, Ordering};

use faultline_scenarios::catalog;
use faultline_scenarios::runner::plan_of;
use faultline_scenarios::shrink::{Budget, Probe, Runner, ShrinkError, Shrinker, Stop};
use faultline_sim::check::violation::Property;
use faultline_sim::plan::{Fault, Plan};
use faultline_sim::run::Status;
use proptest::prelude::*;

/// Fails with linearizability when the plan kills a node while it isolates the leader, with
/// at least two clients and a workload of at least 400 ms; with durability too when there are
/// at least five nodes. Operations grow with clients and duration.
struct Model {
    calls: AtomicU64,
}

impl Model {
    fn new() -> Self {
        Model {
            calls: AtomicU64::new(0),
        }
    }
}

fn has(plan: &Plan, name: &str) -> bool {
    plan.faults.iter().any(|f| f.fault.name() == name)
}

impl Runner for Model {
    fn run(&self, plan: &Plan) -> Probe {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let w = &plan.workload;
        let ops = u64::from(w.clients) * (w.duration_ms / 40 + 1) * 10 / (w.think_max_ms + 10)
            + u64::from(plan.liveness.probe_writes + plan.liveness.probe_reads);
        let mut properties = Vec::new();
        if has(plan, "kill")
            && has(plan, "isolate-leader")
            && w.clients >= 2
            && w.duration_ms >= 400
        {
            properties.push(Property::Linearizability);
            if plan.cluster.nodes >= 5 {
                properties.push(Property::Durability);
            }
        }
        Probe {
            status: if properties.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            properties,
            ops,
            sim_ms: plan.heal_at_ms() + 300,
        }
    }
}

/// A `random` plan with a kill and an isolated leader among other faults, on 5+ nodes.
fn noisy_plan() -> Plan {
    let scenario = catalog::find("random").unwrap();
    (1..500)
        .map(|seed| plan_of(scenario, seed).unwrap())
        .find(|p| {
            p.faults.len() >= 10
                && p.cluster.nodes >= 5
                && has(p, "kill")
                && has(p, "isolate-leader")
                && p.workload.clients >= 3
        })
        .expect("some random seed has a noisy plan")
}

#[test]
fn the_shrinker_keeps_what_the_failure_needs_and_drops_the_rest() {
    let plan = noisy_plan();
    let model = Model::new();
    let report = Shrinker::new(Budget::default())
        .with_runner(model)
        .shrink(&plan, None)
        .unwrap();
    assert_eq!(report.property, Property::Linearizability);
    assert_eq!(report.stopped, Stop::Minimal);
    let m = &report.minimal;
    let names: Vec<&str> = m.faults.iter().map(|f| f.fault.name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&"kill") && names.contains(&"isolate-leader"),
        "{names:?}"
    );
    assert_eq!(m.workload.clients, 2);
    assert_eq!(m.workload.keys, 1);
    assert!(
        m.workload.duration_ms >= 400 && m.workload.duration_ms < 800,
        "{}",
        m.workload.duration_ms
    );
    assert_eq!(m.cluster.voters, 1, "nothing in the model needs more nodes");
    assert_eq!((m.liveness.probe_writes, m.liveness.probe_reads), (1, 1));
    assert!(report.after.ops < report.before.ops);
    assert!(report.after.sim_ms < report.before.sim_ms);
    assert_eq!(m.scenario, "random-shrunk");
    assert_eq!(m.seed, plan.seed);
    // Every step's plan still fails, and the last one is the minimal plan.
    assert_eq!(report.accepted.last(), Some(&report.minimal));
    for p in &report.accepted {
        assert!(
            Model::new()
                .run(p)
                .properties
                .contains(&Property::Linearizability)
        );
    }
    assert_eq!(
        report.summary,
        format!(
            "shrunk: faults {} -> 2, ops {} -> {}, nodes {} -> {}, simulated {:.1}s -> {:.1}s",
            plan.faults.len(),
            report.before.ops,
            report.after.ops,
            plan.cluster.nodes,
            m.cluster.nodes,
            report.before.sim_ms as f64 / 1000.0,
            report.after.sim_ms as f64 / 1000.0,
        )
    );
}

#[test]
fn a_named_property_is_the_one_kept() {
    let plan = noisy_plan();
    let report = Shrinker::new(Budget::default())
        .with_runner(Model::new())
        .shrink(&plan, Some(Property::Durability))
        .unwrap();
    assert_eq!(report.property, Property::Durability);
    assert!(
        report.minimal.cluster.nodes >= 5,
        "durability needs five nodes"
    );
    assert!(
        Model::new()
            .run(&report.minimal)
            .properties
            .contains(&Property::Durability)
    );
}

#[test]
fn a_plan_that_does_not_fail_that_way_is_refused() {
    let mut plan = noisy_plan();
    plan.faults
        .retain(|f| !matches!(f.fault, Fault::Kill { .. }));
    let err = Shrinker::new(Budget::default())
        .with_runner(Model::new())
        .shrink(&plan, None)
        .unwrap_err();
    assert!(matches!(err, ShrinkError::DoesNotFail { .. }), "{err}");
    let err = Shrinker::new(Budget::default())
        .with_runner(Model::new())
        .shrink(&noisy_plan(), Some(Property::Convergence))
        .unwrap_err();
    assert!(
        err.to_string().contains("does not fail with convergence"),
        "{err}"
    );
}

#[test]
fn the_run_budget_is_respected_and_what_was_found_is_kept() {
    let plan = noisy_plan();
    let model = Model::new();
    let report = Shrinker::new(Budget {
        max_runs: 7,
        max_time: None,
    })
    .with_runner(model)
    .shrink(&plan, None)
    .unwrap();
    assert_eq!(report.stopped, Stop::Runs);
    assert_eq!(report.runs, 7);
    assert!(Model::new().run(&report.minimal).status == Status::Fail);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Parallel candidates change nothing but the wall time: the same plan, the same steps,
    /// the same run count.
    #[test]
    fn the_shrink_does_not_depend_on_jobs(jobs in 2usize..6, max_runs in 5u64..200) {
        let plan = noisy_plan();
        let budget = Budget { max_runs, max_time: None };
        let one = Shrinker::new(budget.clone()).with_runner(Model::new()).shrink(&plan, None).unwrap();
        let many = Shrinker::new(budget).jobs(jobs).with_runner(Model::new()).shrink(&plan, None).unwrap();
        prop_assert_eq!(&one.minimal, &many.minimal);
        prop_assert_eq!(&one.steps, &many.steps);
        prop_assert_eq!(one.runs, many.runs);
    }
}
