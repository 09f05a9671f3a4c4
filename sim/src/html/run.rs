//! The view of one run: its history events (operations with the error texts of `fail` and
//! `info` outcomes), its trace (node lanes, leaders, fault windows, notes), its verdict (facts
//! and violations, a linearizability counterexample with its prefix) and its plan. Built from
//! the same four things a report directory holds, so a report can be re-rendered from disk.

use std::collections::BTreeMap;

use super::trace::{parse_lines, timeline};
use super::view::{OpView, TimeUnit, View, ViolationView, call_parts};
use crate::plan::Plan;
use crate::run::{RunResult, Verdict};
use crate::workload::{EventKind, HistoryEvent};

/// The view of a run.
pub fn from_run(result: &RunResult) -> View {
    from_parts(
        &result.plan,
        &result.verdict,
        &result.history,
        &result.trace,
    )
}

/// The view of a run from its report's parts: `plan.json`, `verdict.json`, the events of
/// `history.jsonl` and the lines of `trace.log`.
pub fn from_parts<S: AsRef<str>>(
    plan: &Plan,
    verdict: &Verdict,
    history: &[HistoryEvent],
    trace: &[S],
) -> View {
    let unit = TimeUnit::Ms;
    let mut title = format!("{} seed {}", plan.scenario, plan.seed);
    if let Some(bug) = &plan.bug {
        title.push_str(&format!(" (planted bug {bug})"));
    }
    let mut view = View::new(title, verdict.status.name(), unit);
    view.ops = ops(history, unit);
    let probes = u64::from(plan.workload.clients) + 1;
    if view.ops.iter().any(|o| o.process == probes) {
        view.process_labels
            .push((probes, "liveness probes".to_string()));
    }
    let entries = parse_lines(trace);
    let end = unit.of(verdict.stats.sim_ms.saturating_mul(1_000_000));
    let t = timeline(&entries, plan.cluster.nodes, Some(end));
    view.nodes = t.nodes;
    view.leaders = t.leaders;
    view.faults = t.faults;
    view.notes = t.notes;
    view.end = t.end;
    view.violations = verdict
        .violations
        .iter()
        .map(|v| ViolationView {
            property: v.property.name().to_string(),
            message: v.message.clone(),
            at: v.at.map(|t| unit.of(t)),
            ops: v.ops.clone(),
            prefix: v.prefix.clone(),
            keys: v.keys.clone(),
            nodes: v.nodes.clone(),
            detail: v.detail.clone(),
        })
        .collect();
    view.facts = facts(plan, verdict);
    view.plan = serde_json::to_value(plan).ok();
    view.finish();
    view
}

/// Operations by history index, from their invoke and completion events. Events of other
/// kinds (numbered apart from the register operations, or added later) are not operations of
/// the checked history and are skipped.
fn ops(history: &[HistoryEvent], unit: TimeUnit) -> Vec<OpView> {
    let mut ops: BTreeMap<usize, OpView> = BTreeMap::new();
    for e in history {
        let at = unit.of(e.at);
        let (outcome, result, error) = match &e.kind {
            EventKind::Invoke { call, .. } => {
                let (f, key) = call_parts(call);
                ops.insert(
                    e.op,
                    OpView {
                        index: e.op,
                        process: e.process,
                        f,
                        key,
                        call: call.to_string(),
                        start: at,
                        end: None,
                        // Until a completion says otherwise: never completed.
                        outcome: "info".to_string(),
                        result: None,
                        error: Some("never completed".to_string()),
                    },
                );
                continue;
            }
            EventKind::Ok { ret, .. } => ("ok", Some(ret.to_string()), None),
            EventKind::Fail { error, .. } => ("fail", None, Some(error.clone())),
            EventKind::Info { error, .. } => ("info", None, Some(error.clone())),
            #[allow(unreachable_patterns)]
            _ => continue,
        };
        if let Some(op) = ops.get_mut(&e.op) {
            op.end = Some(at);
            op.outcome = outcome.to_string();
            op.result = result;
            op.error = error;
        }
    }
    ops.into_values().collect()
}

fn facts(plan: &Plan, verdict: &Verdict) -> Vec<(String, String)> {
    let s = &verdict.stats;
    let mut facts = vec![("status".to_string(), verdict.status.name().to_string())];
    if !verdict.reasons.is_empty() {
        facts.push(("why".into(), verdict.reasons.join("; ")));
    }
    let properties: Vec<&str> = verdict.properties().iter().map(|p| p.name()).collect();
    if !properties.is_empty() {
        facts.push(("violated".into(), properties.join(", ")));
    }
    facts.push((
        "simulated".into(),
        format!("{:.2} s", s.sim_ms as f64 / 1000.0),
    ));
    facts.push((
        "operations".into(),
        format!(
            "{} (ok {}, fail {}, info {})",
            s.ops, s.ops_ok, s.ops_fail, s.ops_info
        ),
    ));
    facts.push((
        "faults".into(),
        format!(
            "{} planned, {} applied, {} skipped",
            plan.faults.len(),
            s.faults_applied,
            s.faults_skipped
        ),
    ));
    facts.push((
        "cluster".into(),
        format!(
            "{} nodes ({} voters), {} clients over {} keys",
            plan.cluster.nodes, plan.cluster.voters, plan.workload.clients, plan.workload.keys
        ),
    ));
    facts.push((
        "leaders".into(),
        format!("{} seen, max term {}", s.leaders_seen, s.max_term),
    ));
    facts.push(("linearizability".into(), s.linearizability.clone()));
    if let Some(bug) = &plan.bug {
        facts.push(("planted bug".into(), bug.clone()));
    }
    facts.push(("trace hash".into(), verdict.trace_hash.clone()));
    facts.push((
        "replay".into(),
        "faultline repro --plan plan.json".to_string(),
    ));
    facts
}
