//! Leader completeness (Ongaro & Ousterhout 2014, §5.4 and Figure 3; argued in §5.4.3): if a
//! log entry is committed in a given term, that entry is present in the logs of the leaders of
//! all higher-numbered terms.
//!
//! An entry reported committed by a node in its term `t` was committed in a term no later than
//! `t`, so every leader of a term above `t` must hold it. Metrics show a leader's log only by
//! its last index, so the check is that the leader's log reaches the entry's index; an entry of
//! a different term at that index is caught by `state_machine_safety` once it commits.

use std::collections::{BTreeMap, BTreeSet};

use super::by_time;
use crate::check::observation::{CommittedEntry, MetricsSample, NodeId, Role};
use crate::check::violation::{Property, Violation};

/// One violation per (leader, term) whose log is shorter than an entry committed before it.
pub fn check_leader_completeness(
    samples: &[MetricsSample],
    entries: &[CommittedEntry],
) -> Vec<Violation> {
    if entries.is_empty() {
        return Vec::new();
    }
    // For each reporting term, the entry of highest index committed by then; then a running
    // maximum, so `required(t)` is the highest-index entry committed in a term below `t`.
    let mut by_term: BTreeMap<u64, &CommittedEntry> = BTreeMap::new();
    for i in by_time(entries, |e| e.at) {
        let e = &entries[i];
        let best = by_term.entry(e.node_term).or_insert(e);
        if e.index > best.index {
            *best = e;
        }
    }
    let mut running: Vec<(u64, &CommittedEntry)> = Vec::new();
    for (term, e) in by_term {
        let e = match running.last() {
            Some((_, best)) if best.index >= e.index => *best,
            _ => e,
        };
        running.push((term, e));
    }
    let required = |term: u64| {
        let below = running.partition_point(|(t, _)| *t < term);
        below.checked_sub(1).map(|i| running[i].1)
    };
    let mut reported: BTreeSet<(NodeId, u64)> = BTreeSet::new();
    let mut violations = Vec::new();
    for i in by_time(samples, |s| s.at) {
        let s = &samples[i];
        if s.role != Role::Leader || reported.contains(&(s.node, s.term)) {
            continue;
        }
        let Some(entry) = required(s.term) else {
            continue;
        };
        if s.last_log_index.is_some_and(|last| last >= entry.index) {
            continue;
        }
        reported.insert((s.node, s.term));
        let last = s.last_log_index.map_or_else(
            || "an empty log".to_string(),
            |i| format!("last log index {i}"),
        );
        let message = format!(
            "node {} leads term {} with {last} (at {}), but entry {} of term {} was committed by term {} \
             (reported by node {} at {})",
            s.node, s.term, s.at, entry.index, entry.term, entry.node_term, entry.node, entry.at
        );
        violations.push(
            Violation::new(Property::LeaderCompleteness, message)
                .with_nodes([s.node, entry.node])
                .at(s.at),
        );
    }
    violations
}
