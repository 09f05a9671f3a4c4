//! State machine safety (Ongaro & Ousterhout 2014, §5.4.3, Figure 3): if a server has applied
//! a log entry at a given index, no other server ever applies a different entry at that index.
//!
//! Checked on committed entries: all reports of a committed entry at one index name the same
//! term (an entry is identified by its index and term, §5.3).

use std::collections::BTreeMap;

use super::by_time;
use crate::check::observation::CommittedEntry;
use crate::check::violation::{Property, Violation};

/// One violation per index committed with more than one term.
pub fn check_state_machine_safety(entries: &[CommittedEntry]) -> Vec<Violation> {
    // index → term → first report of it.
    let mut seen: BTreeMap<u64, BTreeMap<u64, &CommittedEntry>> = BTreeMap::new();
    for i in by_time(entries, |e| e.at) {
        let e = &entries[i];
        seen.entry(e.index).or_default().entry(e.term).or_insert(e);
    }
    let mut violations = Vec::new();
    for (index, terms) in seen {
        if terms.len() < 2 {
            continue;
        }
        let mut reports: Vec<&CommittedEntry> = terms.into_values().collect();
        reports.sort_by_key(|e| (e.at, e.node, e.term));
        let shown: Vec<String> = reports
            .iter()
            .map(|e| format!("term {} on node {} (at {})", e.term, e.node, e.at))
            .collect();
        let message = format!(
            "index {index} is committed as different entries: {}",
            shown.join(", ")
        );
        violations.push(
            Violation::new(Property::StateMachineSafety, message)
                .with_nodes(reports.iter().map(|e| e.node))
                .at(reports[1].at),
        );
    }
    violations
}
