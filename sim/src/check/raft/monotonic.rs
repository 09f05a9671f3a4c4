//! Monotonic state per node (Ongaro & Ousterhout 2014, Figure 2: `currentTerm` and `votedFor`
//! are persistent and only move forward; `commitIndex` and `lastApplied` increase
//! monotonically), with the durable log's own watermark:
//!
//! - vote (and its term): never goes back, in the Raft's own order of votes, not even across a
//!   restart (a vote is persistent: a node that recovers an older vote than it saved can grant
//!   two rival candidates);
//! - commit point: never goes back within an incarnation;
//! - applied index: only moves forward within an incarnation (an installed snapshot included);
//! - flushed (durable-up-to) index: never goes back within an incarnation except by a
//!   truncation the node reported.
//!
//! Where the Raft promises a won election volatile ([`Promises::volatile_leadership`],
//! raft-io), a restarted leader's vote comes back as a grant for the same candidate in the same
//! term; losing the "committed" mark is then no step back (not verified: that a won election
//! survives a restart).
//!
//! Volatile state (commit point, applied, flushed) may restart lower after a crash; what the
//! disk must bring back is the log-durability probe's to check.
//!
//! Not verified: commit point, applied and flushed index across a restart (volatile; durability
//! and recovery checks cover what must come back); the term of entries within a log (log matching
//! covers their order).

use std::cmp::Ordering;

use super::{Check, Cluster, Findings, LeaderIdentity, Promises, at_event};
use crate::check::observation::{Observation, RaftEvent, VoteRef};
use crate::check::raft::cluster::NodeState;
use crate::check::violation::Property;

pub(super) struct Monotonic {
    identity: LeaderIdentity,
    promises: Promises,
}

impl Monotonic {
    pub(super) fn new(identity: LeaderIdentity, promises: Promises) -> Self {
        Monotonic { identity, promises }
    }

    fn vote_moves(
        &self,
        from: Option<VoteRef>,
        to: Option<VoteRef>,
        event: &RaftEvent,
        across_restart: bool,
        out: &mut Findings,
    ) {
        let Some(mut from) = from else {
            return;
        };
        if across_restart && self.promises.volatile_leadership {
            // Only the grant is persistent; who won with it is not.
            from.committed = false;
        }
        let how = if across_restart {
            "across a restart"
        } else {
            "when it saved a new vote"
        };
        let Some(to) = to else {
            out.push(at_event(
                Property::MonotonicVote,
                event,
                format!("lost its vote {from} {how}"),
            ));
            return;
        };
        match self.identity.compare_votes(&to, &from) {
            Some(Ordering::Less) => {
                let property = if to.term < from.term {
                    Property::MonotonicTerm
                } else {
                    Property::MonotonicVote
                };
                out.push(at_event(
                    property,
                    event,
                    format!("vote went back from {from} to {to} {how}"),
                ));
            }
            None => out.push(at_event(
                Property::MonotonicVote,
                event,
                format!("vote moved from {from} to the incomparable {to} {how}"),
            )),
            Some(_) => {}
        }
    }
}

impl Check for Monotonic {
    fn before(&mut self, cluster: &Cluster, event: &RaftEvent, out: &mut Findings) {
        let empty = NodeState::default();
        let node = cluster.node(event.node).unwrap_or(&empty);
        let same = node.incarnation == event.incarnation;
        match &event.event {
            Observation::Recovered { vote, .. } => {
                self.vote_moves(node.durable_vote, *vote, event, true, out);
            }
            Observation::VoteSaved { vote } => {
                let mut from = if same { node.vote } else { node.durable_vote };
                if !same
                    && self.promises.volatile_leadership
                    && let Some(f) = &mut from
                {
                    f.committed = false;
                }
                self.vote_moves(from, Some(*vote), event, false, out);
            }
            Observation::CommittedSaved { committed } if same => {
                if let Some(before) = node.committed
                    && committed.index < before.index
                {
                    out.push(at_event(
                        Property::MonotonicCommit,
                        event,
                        format!("commit point went back from {before} to {committed}"),
                    ));
                }
            }
            Observation::Applied { entry } if same => {
                if let Some(before) = node.applied
                    && entry.log_id.index <= before.index
                {
                    out.push(at_event(
                        Property::MonotonicApplied,
                        event,
                        format!("applied {} after having applied {before}", entry.log_id),
                    ));
                }
            }
            Observation::SnapshotInstalled { snapshot } if same => {
                if let (Some(before), Some(last)) = (node.applied, snapshot.last)
                    && last.index < before.index
                {
                    out.push(at_event(
                        Property::MonotonicApplied,
                        event,
                        format!(
                            "installed a snapshot ending at {last} after having applied {before}"
                        ),
                    ));
                }
            }
            Observation::Flushed { upto } if same => {
                if let Some(before) = node.flushed
                    && upto.index < before
                {
                    out.push(at_event(
                        Property::MonotonicFlushed,
                        event,
                        format!(
                            "reported its log durable up to {upto}, after index {before} (and no truncation since)"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}
