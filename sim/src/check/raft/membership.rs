//! Membership (Ongaro 2014, §4: a server always uses the latest configuration in its log; joint
//! consensus, §4.3; openraft 0.9's effective and committed membership):
//!
//! - every node that applies a membership entry at an index applies the same membership there;
//! - a node never acts on a membership older than one it has applied (the Raft core's own
//!   report of the membership it acts on, against what its state machine applied);
//! - after the liveness phase, every live node acts on the leader's committed membership.
//!
//! Not verified: that each change moves through a legal sequence (joint consensus in openraft,
//! one server at a time in single-server Raft) beyond what commit safety's quorum rule implies;
//! that a removed node stops campaigning; learner promotion timing.

use std::collections::BTreeMap;

use super::{Check, Cluster, EndState, Findings, at_event};
use crate::check::observation::{EntryKind, MembershipRef, NodeId, Observation, RaftEvent};
use crate::check::violation::{Property, Violation};
use crate::history::Time;

/// The membership check. For raft-io (`Promises` of the run) its configuration entries are applied as raft-io counts
/// them (its applied index passes over them; the adapter reports each), and its bootstrap
/// configuration — no log entry — is the initial membership (`None`). It promises single-server
/// changes only, one at a time; it has no joint configurations.
///
/// Does not verify: that a change is safe by construction (single-server or joint) — only what
/// commit safety sees of it, a quorum of every voter set the committing node may act on; that
/// a joining raft-io node's bootstrap configuration (raft-io always counts the node itself)
/// agrees with the group before it hears from it — it is neither a voter the group counts nor
/// a node that campaigns (the adapter does not tick it) until then.
#[derive(Debug, Default)]
pub(super) struct Membership {
    /// Index → (membership, node, when) of its first application.
    applied: BTreeMap<u64, (MembershipRef, NodeId, Time)>,
}

fn show(id: Option<crate::check::observation::LogRef>) -> String {
    id.map_or_else(|| "the initial membership".to_string(), |l| l.to_string())
}

impl Check for Membership {
    fn after(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        match &event.event {
            Observation::Applied { entry } => {
                let EntryKind::Membership { membership } = &entry.kind else {
                    return;
                };
                let index = entry.log_id.index;
                let first =
                    self.applied
                        .entry(index)
                        .or_insert((membership.clone(), event.node, event.at));
                if first.0 != *membership {
                    out.push(
                        at_event(
                            Property::Membership,
                            event,
                            format!(
                                "applied membership {membership} at index {index}, where node {} applied {} (at {})",
                                first.1, first.0, first.2
                            ),
                        )
                        .with_nodes([first.1]),
                    );
                }
            }
            Observation::MembershipInEffect { log_id, membership } => {
                let Some(node) = cluster.node(event.node) else {
                    return;
                };
                if let Some((applied_id, applied)) = &node.applied_config
                    && *applied_id > *log_id
                {
                    out.push(at_event(
                        Property::Membership,
                        event,
                        format!(
                            "acts on membership {membership} of {}, older than {applied} of {} which it applied",
                            show(*log_id),
                            show(*applied_id)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }

    fn finish(&mut self, cluster: &Cluster, end: Option<&EndState>, out: &mut Findings) {
        let Some(end) = end else {
            return;
        };
        // Without a leader the liveness check has already failed the run.
        let Some(leader) = end.leader else {
            return;
        };
        let state = cluster.state(leader);
        let committed = state.committed.and_then(|c| state.config_at(c.index));
        let Some((committed_id, committed)) = committed else {
            out.push(
                Violation::new(
                    Property::Membership,
                    format!(
                        "after the liveness phase the leader {leader} has no committed membership"
                    ),
                )
                .with_nodes([leader]),
            );
            return;
        };
        for &node in &end.live {
            let s = cluster.state(node);
            let acting = s.reported_config.clone().or_else(|| s.effective_config());
            let same = acting
                .as_ref()
                .is_some_and(|(id, m)| *id == committed_id && *m == committed);
            if !same {
                let shown = acting.map_or_else(
                    || "no membership".to_string(),
                    |(id, m)| format!("{m} of {}", show(id)),
                );
                out.push(
                    Violation::new(
                        Property::Membership,
                        format!(
                            "after the liveness phase node {node} acts on {shown}, but the leader {leader} committed {committed} of {}",
                            show(committed_id)
                        ),
                    )
                    .with_nodes([node, leader]),
                );
            }
        }
    }
}
