//! Election safety (Ongaro & Ousterhout 2014, §5.2, Figure 3: at most one leader can be elected
//! in a given term), in the leader identity of the Raft under test ([`LeaderIdentity`]):
//!
//! - a node becomes leader (saves a committed vote for itself) only when a majority of every
//!   voter set of its membership has granted that very leader id (saved a vote for it, in any
//!   incarnation: votes are durable);
//! - each leader id is elected at most once;
//! - in standard Raft (`LeaderIdentity::Term`), at most one node leads a term.
//!
//! openraft 0.9's default names a leader `(term, node id)`: a node that granted `(t, a)` may
//! later grant `(t, b)` with `b > a`, so one term can see several leaders, one after another,
//! and what the protocol promises is one quorum per leader id. "Two leaders never both commit at
//! overlapping indices" is the state machine safety check on the cluster's committed log (one
//! log id per index, whoever committed it); a vote that goes back, which is what lets one node
//! grant two rival candidates, is the monotonic check's.
//!
//! Not verified: leader leases or read safety (linearizability judges reads); a grant is a vote the
//! granting node reported saving, so a vote granted but never reported is invisible; the timing of
//! elections (liveness).

use std::collections::BTreeMap;

use super::{Check, Cluster, Findings, LeaderIdentity, at_event, is_majority};
use crate::check::observation::{NodeId, Observation, RaftEvent, VoteRef};
use crate::check::violation::Property;
use crate::history::Time;

pub(super) struct ElectionSafety {
    identity: LeaderIdentity,
    /// The vote of the reporting node before the current event.
    previous: Option<VoteRef>,
    /// Leader id → when it was elected.
    elected: BTreeMap<(u64, NodeId), Time>,
    /// Term → the first node elected in it (standard Raft only).
    by_term: BTreeMap<u64, NodeId>,
}

impl ElectionSafety {
    pub(super) fn new(identity: LeaderIdentity) -> Self {
        ElectionSafety {
            identity,
            previous: None,
            elected: BTreeMap::new(),
            by_term: BTreeMap::new(),
        }
    }
}

/// The leader id `event` elects, if it is a node saving a committed vote for itself that it did
/// not hold before.
pub(super) fn election(previous: Option<VoteRef>, event: &RaftEvent) -> Option<(u64, NodeId)> {
    let Observation::VoteSaved { vote } = &event.event else {
        return None;
    };
    let newly = vote.committed && vote.node == Some(event.node) && previous != Some(*vote);
    newly.then_some((vote.term, event.node))
}

/// The node's vote just before `event`, in the event's incarnation.
pub(super) fn vote_before(cluster: &Cluster, event: &RaftEvent) -> Option<VoteRef> {
    cluster
        .node(event.node)
        .filter(|n| n.incarnation == event.incarnation)
        .and_then(|n| n.vote)
}

impl Check for ElectionSafety {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, _: &mut Findings) {
        self.previous = vote_before(cluster, event);
    }

    fn after(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let Some((term, leader)) = election(self.previous, event) else {
            return;
        };
        let Some(node) = cluster.node(event.node) else {
            return;
        };
        match node.effective_config() {
            None => out.push(at_event(
                Property::ElectionSafety,
                event,
                format!("became leader T{term}-N{leader} while acting on no membership"),
            )),
            Some((_, config)) => {
                for set in &config.configs {
                    let granted: Vec<NodeId> = set
                        .iter()
                        .copied()
                        .filter(|n| {
                            cluster
                                .node(*n)
                                .is_some_and(|s| s.granted.contains(&(term, Some(leader))))
                        })
                        .collect();
                    if !is_majority(granted.len(), set.len()) {
                        out.push(
                            at_event(
                                Property::ElectionSafety,
                                event,
                                format!(
                                    "became leader T{term}-N{leader}, but of voter set {set:?} only {granted:?} granted it: no quorum"
                                ),
                            )
                            .with_nodes(set.iter().copied()),
                        );
                    }
                }
            }
        }
        if let Some(first) = self.elected.get(&(term, leader)) {
            out.push(at_event(
                Property::ElectionSafety,
                event,
                format!("was elected leader T{term}-N{leader} a second time (first at {first})"),
            ));
        } else {
            self.elected.insert((term, leader), event.at);
        }
        if self.identity == LeaderIdentity::Term {
            match self.by_term.get(&term) {
                Some(other) if *other != leader => out.push(
                    at_event(
                        Property::ElectionSafety,
                        event,
                        format!("became leader of term {term}, which node {other} already leads"),
                    )
                    .with_nodes([*other, leader]),
                ),
                Some(_) => {}
                None => {
                    self.by_term.insert(term, leader);
                }
            }
        }
    }
}
