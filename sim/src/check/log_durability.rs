//! Log durability: what a node's Raft log store acknowledged survives a power failure of its
//! disk, and nothing it removed comes back.
//!
//! openraft counts a node's vote and entries as persisted once the store says so, and builds
//! every safety argument on that; a store that loses a flushed entry, rolls a vote back or
//! resurrects entries a truncation removed can break Raft without any single run showing it.
//! So this is checked where the promise is made, like engine durability: at every power
//! failure the harness notes the store's acknowledged log and recovers a copy of the crashed
//! disk with the store's own recovery. The two must be equal — unless a write of the store had
//! failed (a store refuses every write after one fails), in which case the disk may also hold
//! what that write was making: acknowledged ⊆ recovered ⊆ acknowledged + in flight. For an
//! append in flight, any prefix of its entries may have reached the disk; a vote, truncation or
//! purge in flight is all or nothing.
//!
//! Entries are compared by full log id (index, leader term and leader node).
//!
//! Not verified: payload bytes of entries (entries are compared by log id; log matching compares
//! payload digests); the store's state at moments without a power failure; how much of an
//! in-flight append survived, beyond "a prefix"; the in-memory log store (it promises nothing).

use crate::check::observation::{LogRecovery, LogRef, LogShape};
use crate::check::violation::{Property, Violation};

/// How many differing entries a violation names.
const SHOWN: usize = 5;

/// One violation per power failure whose recovered log is neither the acknowledged one nor one
/// the write in flight may have left.
pub fn check_log_durability(recoveries: &[LogRecovery]) -> Vec<Violation> {
    recoveries
        .iter()
        .filter_map(|r| {
            let found = match &r.recovered {
                Err(e) => format!("could not recover: {e}"),
                Ok(recovered) => {
                    if acceptable(&r.acknowledged, r.in_flight.as_ref(), recovered) {
                        return None;
                    }
                    let mut diff = differences(&r.acknowledged, recovered);
                    if let Some(flight) = &r.in_flight {
                        diff.push(format!(
                            "(nor is it what the failed write in flight would have left: {})",
                            differences(flight, recovered).join("; ")
                        ));
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

/// Whether `recovered` is the acknowledged log, or one the failed write in flight may have left.
fn acceptable(acknowledged: &LogShape, in_flight: Option<&LogShape>, recovered: &LogShape) -> bool {
    if recovered == acknowledged {
        return true;
    }
    let Some(flight) = in_flight else {
        return false;
    };
    if recovered == flight {
        return true;
    }
    // A torn append: the acknowledged log's entries that the append keeps, then a prefix of
    // what it adds.
    let same_meta = recovered.vote == acknowledged.vote && recovered.purged == acknowledged.purged;
    let kept = common_prefix(&acknowledged.entries, &flight.entries);
    same_meta
        && flight.vote == acknowledged.vote
        && flight.purged == acknowledged.purged
        && recovered.entries.len() > kept
        && recovered.entries.len() <= flight.entries.len()
        && recovered.entries[..] == flight.entries[..recovered.entries.len()]
}

fn common_prefix(a: &[LogRef], b: &[LogRef]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn differences(acknowledged: &LogShape, recovered: &LogShape) -> Vec<String> {
    let mut out = Vec::new();
    if acknowledged.vote != recovered.vote {
        out.push(format!(
            "vote {} acknowledged, {} recovered",
            show(acknowledged.vote.map(|v| v.to_string())),
            show(recovered.vote.map(|v| v.to_string()))
        ));
    }
    if acknowledged.purged != recovered.purged {
        out.push(format!(
            "purged up to {} acknowledged, {} recovered",
            show(acknowledged.purged.map(|p| p.to_string())),
            show(recovered.purged.map(|p| p.to_string()))
        ));
    }
    let lost: Vec<String> = acknowledged
        .entries
        .iter()
        .filter(|l| !recovered.entries.contains(l))
        .map(LogRef::to_string)
        .collect();
    let back: Vec<String> = recovered
        .entries
        .iter()
        .filter(|l| !acknowledged.entries.contains(l))
        .map(LogRef::to_string)
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

fn show(v: Option<String>) -> String {
    v.unwrap_or_else(|| "nothing".to_string())
}
