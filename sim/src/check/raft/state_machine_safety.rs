//! State machine safety (Ongaro & Ousterhout 2014, §5.4.3, Figure 3: if a server has applied a
//! log entry at a given index to its state machine, no other server will ever apply a different
//! log entry for the same index), with what it rests on:
//!
//! - one entry committed per index: every node that records a commit point agrees, index by
//!   index, with the log id the cluster committed there first (two leaders committing different
//!   entries at one index break this, whatever their leader ids);
//! - one entry applied per index, same log id and payload digest on every node;
//! - an entry is applied only once the applying node has it committed, and in index order;
//! - no node truncates below its own commit point, and a snapshot installed never disagrees
//!   with the committed log at its last index. (A node that has not learned of a commit may
//!   hold other entries at committed indices: a deposed leader keeps appending until it hears
//!   of its successor. Raft promises nothing about them until they are applied.)
//!
//! Not verified: that applying an entry had the right effect on the engine (convergence and
//! durability); entries a node applied but never reported; the order of applies across nodes.

use std::collections::BTreeMap;

use super::{Check, Cluster, Findings, at_event};
use crate::check::observation::{LogRef, NodeId, Observation, RaftEvent};
use crate::check::raft::cluster::NodeState;
use crate::check::violation::Property;
use crate::history::Time;

#[derive(Debug, Default)]
pub(super) struct StateMachineSafety {
    /// The reporting node as it stood before the current event (its own incarnation only).
    committed_before: Option<LogRef>,
    /// Index → (log id, digest, node, when) of the first application.
    applied: BTreeMap<u64, (LogRef, u64, NodeId, Time)>,
}

fn same_incarnation<'a>(cluster: &'a Cluster, event: &RaftEvent) -> Option<&'a NodeState> {
    cluster
        .node(event.node)
        .filter(|n| n.incarnation == event.incarnation)
}

impl Check for StateMachineSafety {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let node = same_incarnation(cluster, event);
        self.committed_before = node.and_then(|n| n.committed);
        let Some(node) = node else {
            return;
        };
        match &event.event {
            Observation::Truncated { since } => {
                // A node that has not learned of a commit may hold (a deposed leader even
                // appends) other entries at committed indices, and truncate them; what it must
                // never do is remove what it knows is committed, or apply anything else there.
                if let Some(c) = node.committed.filter(|c| c.index >= *since) {
                    out.push(at_event(
                        Property::StateMachineSafety,
                        event,
                        format!(
                            "truncated its log from index {since}, below its own commit point {c}"
                        ),
                    ));
                }
            }
            Observation::Applied { entry } => {
                let index = entry.log_id.index;
                if node.committed.is_none_or(|c| c.index < index) {
                    out.push(at_event(
                        Property::StateMachineSafety,
                        event,
                        format!(
                            "applied {} before committing it (its commit point: {})",
                            entry.log_id,
                            super::consistency::show(node.committed)
                        ),
                    ));
                }
                // With nothing applied, the first entry to apply is the first of the log (index
                // 0 for openraft's initial membership entry, 1 for raft-io, whose bootstrap
                // configuration is no entry).
                let expected = node.applied.map_or_else(
                    || node.log.keys().next().copied().unwrap_or(0),
                    |a| a.index + 1,
                );
                if index != expected {
                    out.push(at_event(
                        Property::StateMachineSafety,
                        event,
                        format!(
                            "applied {} out of order: the next index to apply was {expected}",
                            entry.log_id
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    fn after(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        match &event.event {
            Observation::CommittedSaved { committed } => {
                let Some(node) = same_incarnation(cluster, event) else {
                    return;
                };
                let from = self
                    .committed_before
                    .into_iter()
                    .chain(node.snapshot.as_ref().and_then(|s| s.last))
                    .chain(node.purged)
                    .map(|b| b.index.saturating_add(1))
                    .max()
                    .unwrap_or(0);
                if from > committed.index {
                    return;
                }
                for (index, e) in node.log.range(from..=committed.index) {
                    if let Some(first) = cluster.committed.get(index)
                        && *first != e.log_id
                    {
                        out.push(at_event(
                            Property::StateMachineSafety,
                            event,
                            format!(
                                "committed {} at index {index}, where the cluster had already committed {first}",
                                e.log_id
                            ),
                        ));
                        return;
                    }
                }
            }
            Observation::Applied { entry } => {
                let index = entry.log_id.index;
                let first = *self.applied.entry(index).or_insert((
                    entry.log_id,
                    entry.digest,
                    event.node,
                    event.at,
                ));
                if (first.0, first.1) != (entry.log_id, entry.digest) {
                    out.push(
                        at_event(
                            Property::StateMachineSafety,
                            event,
                            format!(
                                "applied {} (digest {:#018x}) at index {index}, where node {} applied {} (digest {:#018x}) at {}",
                                entry.log_id, entry.digest, first.2, first.0, first.1, first.3
                            ),
                        )
                        .with_nodes([first.2]),
                    );
                }
                if let Some(c) = cluster.committed.get(&index)
                    && *c != entry.log_id
                {
                    out.push(at_event(
                        Property::StateMachineSafety,
                        event,
                        format!(
                            "applied {} at index {index}, where the cluster committed {c}",
                            entry.log_id
                        ),
                    ));
                }
            }
            Observation::SnapshotInstalled { snapshot } => {
                if let Some(last) = snapshot.last
                    && let Some(c) = cluster.committed.get(&last.index)
                    && *c != last
                {
                    out.push(at_event(
                        Property::StateMachineSafety,
                        event,
                        format!(
                            "installed a snapshot ending at {last}, where the cluster committed {c}"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}
