//! Consistency of the reports themselves: nothing a node reports may be impossible for the node
//! that reports it — an entry appended past a gap in its log or over a different entry without a
//! truncation, a flush of an entry its log does not hold, a commit point or an applied entry its
//! log never held, a purge no snapshot covers, a snapshot built beyond what was applied.
//!
//! Such a report means the adapter (or the Raft under it) is broken in a way the other checks
//! would misread, so it is a violation of its own (`observation`), never a harness panic. The
//! model still applies the report, so the other checks keep judging what follows.

use super::{Check, Cluster, Findings, at_event};
use crate::check::observation::{EntryRef, LogRef, Observation, RaftEvent};
use crate::check::raft::cluster::{NEVER_REPORTED, NodeState};
use crate::check::violation::Property;

#[derive(Debug, Default)]
pub(super) struct Consistency;

impl Check for Consistency {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let node = cluster.state(event.node);
        let node = if node.incarnation == event.incarnation {
            node
        } else {
            &NEVER_REPORTED
        };
        let mut bad = |what: String| out.push(at_event(Property::Observation, event, what));
        match &event.event {
            Observation::Recovered {
                purged, entries, ..
            } => {
                let mut expect = purged.map(|p| p.index + 1);
                for e in entries {
                    if expect.is_some_and(|x| e.log_id.index != x) {
                        bad(format!(
                            "recovered a log with a gap: {} where index {} was due",
                            e.log_id,
                            expect.unwrap_or_default()
                        ));
                        break;
                    }
                    expect = Some(e.log_id.index + 1);
                }
            }
            Observation::Appended { entries } => {
                let mut next = next_index(node);
                for e in entries {
                    if let Some(why) = append_problem(node, next, e) {
                        bad(why);
                        break;
                    }
                    next = Some(e.log_id.index + 1);
                }
            }
            Observation::Flushed { upto } => {
                if !node.holds(upto) {
                    bad(format!(
                        "reported flushed up to {upto}, which its log does not hold{}",
                        shown_at(node, upto.index)
                    ));
                }
            }
            Observation::CommittedSaved { committed } => {
                if !node.holds(committed) {
                    bad(format!(
                        "saved commit point {committed}, which its log does not hold{}",
                        shown_at(node, committed.index)
                    ));
                }
            }
            Observation::Applied { entry } => {
                let held = node.entry(entry.log_id.index);
                if held != Some(entry) {
                    bad(format!(
                        "applied {} (digest {:#x}), which its log does not hold{}",
                        entry.log_id,
                        entry.digest,
                        shown_at(node, entry.log_id.index)
                    ));
                }
            }
            Observation::Purged { upto } => {
                let covered = node
                    .snapshot
                    .as_ref()
                    .and_then(|s| s.last)
                    .is_some_and(|l| l.index >= upto.index);
                if !covered {
                    bad(format!(
                        "purged its log up to {upto}, which no snapshot of it covers"
                    ));
                }
            }
            Observation::SnapshotBuilt { snapshot } => {
                if snapshot.last.map(|l| l.index) > node.applied.map(|a| a.index) {
                    bad(format!(
                        "built a snapshot up to {}, beyond what it applied ({})",
                        show(snapshot.last),
                        show(node.applied)
                    ));
                }
            }
            Observation::SnapshotLoaded { .. }
            | Observation::VoteSaved { .. }
            | Observation::Truncated { .. }
            | Observation::SnapshotReceived { .. }
            | Observation::SnapshotInstalled { .. }
            | Observation::MembershipInEffect { .. } => {}
        }
    }
}

/// The index the node's next appended entry must have, if its log says.
fn next_index(node: &NodeState) -> Option<u64> {
    let snapshot = node.snapshot.as_ref().and_then(|s| s.last).map(|l| l.index);
    [
        node.log.keys().next_back().copied(),
        node.purged.map(|p| p.index),
        snapshot,
    ]
    .into_iter()
    .flatten()
    .max()
    .map(|i| i + 1)
}

fn append_problem(node: &NodeState, next: Option<u64>, e: &EntryRef) -> Option<String> {
    let index = e.log_id.index;
    if let Some(held) = node.entry(index)
        && held.log_id != e.log_id
    {
        return Some(format!(
            "appended {} over {} without truncating it first",
            e.log_id, held.log_id
        ));
    }
    match next {
        Some(x) if index > x => Some(format!(
            "appended {} past a gap: its log ends before index {x}",
            e.log_id
        )),
        _ => None,
    }
}

fn shown_at(node: &NodeState, index: u64) -> String {
    match node.entry(index) {
        Some(e) => format!(" (it holds {} there)", e.log_id),
        None => format!(" (it holds nothing at index {index})"),
    }
}

pub(super) fn show(id: Option<LogRef>) -> String {
    id.map_or_else(|| "nothing".to_string(), |l| l.to_string())
}
