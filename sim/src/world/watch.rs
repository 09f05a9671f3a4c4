//! The watchers the world runs beside each node for as long as it lives: they write each
//! change of the node's own view — its term, the leader it knows, its role — into the trace,
//! and (openraft) report the membership its core acts on, which openraft publishes only in its
//! metrics. raft-io's driver reports its membership itself; its status is watched here.

use faultline_consensus::Node;
use faultline_consensus::observe::{Observation, log_ref, membership_ref};
use faultline_consensus::raft_io::RioServer;
use faultline_consensus::system::NodeStatus;

use super::NodeId;
use super::observer::ObservationLog;
use super::trace::{Event, Trace};

/// Watches an openraft node's metrics.
pub async fn openraft(
    id: NodeId,
    incarnation: u32,
    node: Node,
    trace: Trace,
    observations: ObservationLog,
) {
    // Record each change of this node's (term, leader, role) as the node saw it, and
    // report each change of the membership its Raft core acts on. The metrics change on
    // nearly every step of the core (each append, commit and apply), so the membership is
    // converted only when openraft's own config changed.
    let mut rx = node.raft().metrics();
    let mut last = None;
    let mut last_config = None;
    let mut last_membership = None;
    loop {
        let (now, membership) = {
            let m = rx.borrow_and_update();
            let c = &m.membership_config;
            let membership = (last_config.as_ref() != Some(c)).then(|| {
                last_config = Some(c.clone());
                (
                    c.log_id().as_ref().map(log_ref),
                    membership_ref(c.membership()),
                )
            });
            ((m.current_term, m.current_leader, m.state), membership)
        };
        // An empty membership is the metrics' initial value before the core has
        // published any: the node knows no membership yet, it acts on none.
        if let Some(membership) = membership
            && last_membership.as_ref() != Some(&membership)
            && !membership.1.voters().is_empty()
        {
            observations.record(
                id,
                incarnation,
                Observation::MembershipInEffect {
                    log_id: membership.0,
                    membership: membership.1.clone(),
                },
            );
            last_membership = Some(membership);
        }
        if last.as_ref() != Some(&now) {
            trace.record(Event::Raft {
                node: id,
                term: now.0,
                leader: now.1,
                role: format!("{:?}", now.2),
            });
            last = Some(now);
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Watches a raft-io node's status (its driver publishes one after every input).
pub async fn raft_io(id: NodeId, node: RioServer, trace: Trace) {
    let mut rx = node.node().status_watch();
    let mut last = None;
    loop {
        let now = {
            let s = NodeStatus::of_raft_io(id, &rx.borrow_and_update());
            (s.term, s.leader, s.role.name())
        };
        if last != Some(now) {
            trace.record(Event::Raft {
                node: id,
                term: now.0,
                leader: now.1,
                role: now.2.to_string(),
            });
            last = Some(now);
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
