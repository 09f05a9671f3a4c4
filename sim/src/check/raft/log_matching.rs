//! Log matching (Ongaro & Ousterhout 2014, §5.3, Figure 3): if two logs contain an entry with
//! the same index and term, the entries are identical (and so are all entries before them).
//!
//! Checked on committed entries that carry a payload digest: two with the same index and term
//! must have the same digest. (Different terms at one committed index are a state machine
//! safety violation, checked in `state_machine_safety`.)

use std::collections::BTreeMap;

use super::by_time;
use crate::check::observation::CommittedEntry;
use crate::check::violation::{Property, Violation};

/// One violation per (index, term) committed with more than one payload.
pub fn check_log_matching(entries: &[CommittedEntry]) -> Vec<Violation> {
    // (index, term) → digest → first report of it.
    let mut seen: BTreeMap<(u64, u64), BTreeMap<u64, &CommittedEntry>> = BTreeMap::new();
    for i in by_time(entries, |e| e.at) {
        let e = &entries[i];
        if let Some(digest) = e.digest {
            seen.entry((e.index, e.term))
                .or_default()
                .entry(digest)
                .or_insert(e);
        }
    }
    let mut violations = Vec::new();
    for ((index, term), digests) in seen {
        if digests.len() < 2 {
            continue;
        }
        let mut reports: Vec<(u64, &CommittedEntry)> = digests.into_iter().collect();
        reports.sort_by_key(|(digest, e)| (e.at, e.node, *digest));
        let shown: Vec<String> = reports
            .iter()
            .map(|(digest, e)| format!("payload {digest:#018x} on node {} (at {})", e.node, e.at))
            .collect();
        let message = format!(
            "entry {index} of term {term} is committed with different payloads: {}",
            shown.join(", ")
        );
        violations.push(
            Violation::new(Property::LogMatching, message)
                .with_nodes(reports.iter().map(|(_, e)| e.node))
                .at(reports[1].1.at),
        );
    }
    violations
}
