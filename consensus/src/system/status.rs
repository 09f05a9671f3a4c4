//! [`NodeStatus`]: what the harness reads of a node's Raft, in one vocabulary for every system —
//! its term and role, the leader it knows, how far its log and its state machine got, its
//! snapshot and purge points, the membership its core acts on, and whether the core stopped.
//!
//! openraft publishes this as its metrics; raft-io as the status its driver writes after every
//! input (`crate::raft_io::RioStatus`). Both convert here, so a harness that waits for a leader,
//! for convergence or for a snapshot reads the same fields whichever Raft runs.

use openraft::{BasicNode, RaftMetrics, ServerState};

use crate::observe::{LogRef, MembershipRef, log_ref, membership_ref};
use crate::raft_io::RioStatus;
use crate::type_config::NodeId;

/// A node's Raft role. The names are openraft's `ServerState` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    Leader,
    Follower,
    Candidate,
    /// A member that replicates but does not vote.
    Learner,
    /// The Raft core is not running (it stopped, e.g. after a disk error).
    Shutdown,
}

impl NodeRole {
    /// The role's name as openraft's metrics print it.
    pub fn name(self) -> &'static str {
        match self {
            NodeRole::Leader => "Leader",
            NodeRole::Follower => "Follower",
            NodeRole::Candidate => "Candidate",
            NodeRole::Learner => "Learner",
            NodeRole::Shutdown => "Shutdown",
        }
    }
}

/// One node's Raft, as the harness reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub term: u64,
    /// The role the core last published. A core that stopped may still show the role it had;
    /// [`NodeStatus::effective_role`] says `Shutdown` then.
    pub role: NodeRole,
    /// The leader this node knows for `term` (itself when it leads).
    pub leader: Option<NodeId>,
    /// Index of the last entry in the node's log (or its snapshot), if any.
    pub last_log_index: Option<u64>,
    /// The highest index the node's core counts as applied (raft-io counts configuration
    /// entries it never hands to the state machine).
    pub last_applied: Option<u64>,
    /// The last index the node's newest snapshot covers.
    pub snapshot: Option<u64>,
    /// The last index removed from the log (raft-io removes exactly what its snapshot covers).
    pub purged: Option<u64>,
    /// The log id of the entry the membership in effect comes from (`None`: the initial one).
    pub membership_log_id: Option<LogRef>,
    /// The membership the core acts on.
    pub membership: MembershipRef,
    /// Why the core stopped, if it did.
    pub stopped: Option<String>,
}

impl NodeStatus {
    /// The status of an openraft node, from its metrics.
    pub fn of_openraft(m: &RaftMetrics<NodeId, BasicNode>) -> NodeStatus {
        let stopped = m
            .running_state
            .is_err()
            .then(|| format!("{:?}", m.running_state));
        let role = match m.state {
            ServerState::Leader => NodeRole::Leader,
            ServerState::Follower => NodeRole::Follower,
            ServerState::Candidate => NodeRole::Candidate,
            ServerState::Learner => NodeRole::Learner,
            ServerState::Shutdown => NodeRole::Shutdown,
        };
        let c = &m.membership_config;
        NodeStatus {
            term: m.current_term,
            role,
            leader: m.current_leader,
            last_log_index: m.last_log_index,
            last_applied: m.last_applied.map(|l| l.index),
            snapshot: m.snapshot.map(|l| l.index),
            purged: m.purged.map(|l| l.index),
            membership_log_id: c.log_id().as_ref().map(log_ref),
            membership: membership_ref(c.membership()),
            stopped,
        }
    }

    /// The status of a raft-io node `id`, from what its driver published. raft-io has no
    /// learner role: a follower outside the voters is reported as one.
    pub fn of_raft_io(id: NodeId, s: &RioStatus) -> NodeStatus {
        let role = if s.leader {
            NodeRole::Leader
        } else if s.candidate {
            NodeRole::Candidate
        } else if s.voters.contains(&id) {
            NodeRole::Follower
        } else {
            NodeRole::Learner
        };
        let some = |i: u64| (i > 0).then_some(i);
        NodeStatus {
            term: s.term,
            role,
            leader: s.known_leader,
            last_log_index: some(s.last_index),
            last_applied: some(s.last_applied),
            snapshot: some(s.snapshot_index),
            purged: some(s.snapshot_index),
            membership_log_id: s.membership_log_id,
            membership: crate::raft_io::observe::membership_ref(&s.voters, &s.learners),
            stopped: s.stopped.clone(),
        }
    }

    /// The voters of the membership in effect, in id order.
    pub fn voters(&self) -> Vec<NodeId> {
        self.membership.voters()
    }

    /// The role, or `Shutdown` once the core stopped.
    pub fn effective_role(&self) -> NodeRole {
        if self.stopped.is_some() {
            NodeRole::Shutdown
        } else {
            self.role
        }
    }

    /// Whether the node is running but cannot serve: its core stopped or shut down.
    pub fn halted(&self) -> bool {
        self.effective_role() == NodeRole::Shutdown
    }
}
