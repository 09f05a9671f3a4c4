//! Log durability: what a node's Raft log store acknowledged survives a power failure of its
//! disk, and nothing it removed comes back.
//!
//! openraft counts a node's vote and entries as persisted once the store says so, and builds
//! every safety argument on that; a store that loses a flushed entry, rolls a vote back or
//! resurrects entries a truncation removed can break Raft without any single run showing it.
//! So this is checked where the promise is made, like engine durability: at every power
//! failure the harness notes the store's acknowledged log and recovers a copy of the crashed
//! disk with the store's own recovery. The two must be equal.

use std::collections::BTreeMap;

use crate::check::observation::{LogRecovery, LogShape};
use crate::check::violation::{Property, Violation};

/// How many differing entries a violation names.
const SHOWN: usize = 5;

/// One violation per power failure whose recovered log differs from the acknowledged one.
pub fn check_log_durability(recoveries: &[LogRecovery]) -> Vec<Violation> {
    recoveries
        .iter()
        .filter_map(|r| {
            let found = match &r.recovered {
                Err(e) => format!("could not recover: {e}"),
                Ok(recovered) => {
                    let diff = differences(&r.acknowledged, recovered);
                    if diff.is_empty() {
                        return None;
                    }
                    diff.join("; ")
                }
            };
            Some(Violation::after_power_failure(
                Property::LogDurability,
                r.node,
                r.at,
                "Raft log",
                &found,
            ))
        })
        .collect()
}

fn differences(acknowledged: &LogShape, recovered: &LogShape) -> Vec<String> {
    let mut out = Vec::new();
    if acknowledged.vote != recovered.vote {
        out.push(format!(
            "vote acknowledged {:?}, recovered {:?}",
            acknowledged.vote, recovered.vote
        ));
    }
    if acknowledged.purged != recovered.purged {
        out.push(format!(
            "purged up to {:?} acknowledged, {:?} recovered",
            acknowledged.purged, recovered.purged
        ));
    }
    let before: BTreeMap<u64, u64> = acknowledged.entries.iter().copied().collect();
    let after: BTreeMap<u64, u64> = recovered.entries.iter().copied().collect();
    let lost: Vec<String> = before
        .iter()
        .filter(|(i, t)| after.get(i) != Some(t))
        .map(|(i, t)| format!("{i} (term {t})"))
        .collect();
    let back: Vec<String> = after
        .iter()
        .filter(|(i, t)| before.get(i) != Some(t))
        .map(|(i, t)| format!("{i} (term {t})"))
        .collect();
    for (what, entries) in [
        ("acknowledged entries lost", lost),
        (
            "entries recovered that the store had removed or never acknowledged",
            back,
        ),
    ] {
        if !entries.is_empty() {
            let shown: Vec<&str> = entries.iter().take(SHOWN).map(String::as_str).collect();
            let more = entries.len().saturating_sub(SHOWN);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            out.push(format!(
                "{} {what}: {}{tail}",
                entries.len(),
                shown.join(", ")
            ));
        }
    }
    out
}
