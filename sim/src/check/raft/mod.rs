//! Raft's safety properties, checked online: every node reports what it does to its Raft state
//! as it happens ([`RaftEvent`]s in the vocabulary of `faultline_consensus::observe`), the
//! checks replay those reports in order through one model of the cluster ([`cluster`]) and judge
//! every moment, not samples. Entries are named by their full log id (leader term **and** node,
//! openraft 0.9's leader identity) with a digest of their payload.
//!
//! One file per property, each citing what it checks (Ongaro & Ousterhout 2014, "In Search of an
//! Understandable Consensus Algorithm", Figure 3 and §5; Ongaro 2014, "Consensus: Bridging
//! Theory and Practice", §4 for membership; openraft 0.9's docs for its leader identity):
//!
//! - `commit_safety`: a commit point is only ever saved for an entry a majority of every voter
//!   set durably holds;
//! - `election_safety`: a leader is elected only with a quorum of grants, each leader identity
//!   at most once, and (standard Raft) one leader per term;
//! - `leader_completeness`: an elected leader holds every entry committed before its election;
//! - `log_matching`: one log id, one payload and one predecessor;
//! - `state_machine_safety`: one entry committed and applied per index, applied only once
//!   committed, in order, and a committed entry is never truncated;
//! - `monotonic`: vote, term, commit point, applied index and flushed index never go back;
//! - `membership`: one membership per index, nobody acts on an older membership than it applied,
//!   and after the liveness phase every live node acts on the leader's committed membership;
//! - `consistency`: nothing reported is impossible (a flush of an entry the log lacks, an entry
//!   appended past a gap, an applied entry the log never held).
//!
//! Each check is deterministic in its input and reports at most [`MAX_PER_PROPERTY`] violations
//! of its property (and then one that counts the rest). Every check is total: any sequence of
//! events, however corrupt, yields violations, never a panic.
//!
//! Where Raft implementations promise different things, the run says which promises hold
//! ([`Promises`]): openraft 0.9 by default; raft-io 1.0 names leaders by term alone, boots every
//! node from a bootstrap configuration that is no log entry (its log starts at index 1) and
//! persists only `{term, voted_for}` — who won an election is volatile.
//!
//! For raft-io this means: election safety is one leader per term (`LeaderIdentity::Term`);
//! membership holds it to single-server changes without joint consensus (its promise; the
//! checks see one voter set per configuration); monotonic vote does not hold a restarted
//! leader to its "committed" mark. Everything else is checked as for openraft.
//!
//! What these checks do **not** verify (other checkers or nothing does):
//! - that reported events are true: a store that says "flushed" without syncing is caught by the
//!   log-durability probe at the next power failure, not here;
//! - liveness (the `liveness` checker), or client-visible behaviour (linearizability,
//!   durability of acknowledged writes);
//! - anything about nodes that never report (a node that is down reports nothing; its last
//!   durable state keeps counting);
//! - log matching beyond the immediate predecessor of each appended entry (by induction that
//!   covers whole prefixes, assuming every append is reported).

mod cluster;
mod commit_safety;
mod consistency;
mod election_safety;
mod leader_completeness;
mod log_matching;
mod membership;
mod monotonic;
mod state_machine_safety;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use cluster::{Cluster, Config, NodeState, is_majority};

use super::observation::{NodeId, RaftEvent, VoteRef};
use super::violation::{Property, Violation};

/// The most violations one property reports per run; a further one says how many were left out.
pub const MAX_PER_PROPERTY: usize = 10;

/// What the Raft implementation under test guarantees to be unique to one leader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaderIdentity {
    /// Standard Raft (openraft built with `single-term-leader`): a leader is named by its term;
    /// one leader per term, and a node grants at most one candidate per term.
    Term,
    /// openraft 0.9's default: a leader is `(term, node id)`, totally ordered by term then node.
    /// A node that granted `(t, a)` may later grant `(t, b)` with `b > a`, so one term can see
    /// several leaders one after another; each leader id is still granted by one quorum at most,
    /// and the order of leader ids is what the other properties use.
    #[default]
    TermAndNode,
}

impl LeaderIdentity {
    /// The identity of the build under test.
    pub fn of_this_build() -> Self {
        if cfg!(feature = "single-term-leader") {
            LeaderIdentity::Term
        } else {
            LeaderIdentity::TermAndNode
        }
    }

    /// openraft's order of votes in this identity; `None` when two votes are incomparable (in
    /// standard Raft: two different candidates of one term).
    pub fn compare_votes(self, a: &VoteRef, b: &VoteRef) -> Option<Ordering> {
        let leader = match self {
            LeaderIdentity::TermAndNode => Some((a.term, a.node).cmp(&(b.term, b.node))),
            LeaderIdentity::Term => match a.term.cmp(&b.term) {
                Ordering::Equal => match (a.node, b.node) {
                    (None, None) => Some(Ordering::Equal),
                    (Some(_), None) => Some(Ordering::Greater),
                    (None, Some(_)) => Some(Ordering::Less),
                    (Some(x), Some(y)) if x == y => Some(Ordering::Equal),
                    (Some(_), Some(_)) => None,
                },
                other => Some(other),
            },
        };
        match leader {
            Some(Ordering::Equal) => Some(a.committed.cmp(&b.committed)),
            Some(o) => Some(o),
            // Incomparable leaders: a committed vote outranks an uncommitted one.
            None => match (a.committed, b.committed) {
                (true, false) => Some(Ordering::Greater),
                (false, true) => Some(Ordering::Less),
                _ => None,
            },
        }
    }
}

/// What the Raft under test promises where implementations differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promises {
    /// A won election is not persistent state (raft-io persists `{term, voted_for}` only): a
    /// restarted leader recovers its vote for itself as a plain grant, which `monotonic` then
    /// accepts as no step back. Without it (openraft), a committed vote is durable.
    #[serde(default)]
    pub volatile_leadership: bool,
}

impl Promises {
    /// raft-io 1.0's promises.
    pub fn raft_io() -> Promises {
        Promises {
            volatile_leadership: true,
        }
    }

    fn is_default(&self) -> bool {
        *self == Promises::default()
    }
}

/// How the run ended, for the checks that judge the final state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndState {
    /// The leader after the liveness phase, if there was one.
    pub leader: Option<NodeId>,
    /// The voters running at the end.
    pub live: Vec<NodeId>,
}

/// Everything the Raft checks look at, for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftObservations {
    /// Every report of every node, in the order they happened.
    pub events: Vec<RaftEvent>,
    #[serde(default)]
    pub identity: LeaderIdentity,
    /// What the Raft under test promises beyond its leader identity.
    #[serde(default, skip_serializing_if = "Promises::is_default")]
    pub promises: Promises,
    /// The state after the liveness phase (`None`: the run did not get that far).
    #[serde(default)]
    pub end: Option<EndState>,
}

/// One property's judge: sees the cluster just before and just after every event, then the end.
trait Check {
    fn before(&mut self, _cluster: &Cluster, _event: &RaftEvent, _out: &mut Findings) {}
    fn after(&mut self, _cluster: &Cluster, _event: &RaftEvent, _out: &mut Findings) {}
    fn finish(&mut self, _cluster: &Cluster, _end: Option<&EndState>, _out: &mut Findings) {}
}

/// Violations, at most [`MAX_PER_PROPERTY`] kept per property.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    kept: Vec<Violation>,
    per_property: BTreeMap<Property, usize>,
}

impl Findings {
    pub(crate) fn push(&mut self, v: Violation) {
        let n = self.per_property.entry(v.property).or_default();
        *n += 1;
        if *n <= MAX_PER_PROPERTY {
            self.kept.push(v);
        }
    }

    fn into_violations(mut self) -> Vec<Violation> {
        for (property, n) in self.per_property {
            if n > MAX_PER_PROPERTY {
                self.kept.push(Violation::new(
                    property,
                    format!(
                        "{} more {property} violations of this run are not listed",
                        n - MAX_PER_PROPERTY
                    ),
                ));
            }
        }
        self.kept
    }
}

/// Runs every Raft check over the run's events.
pub fn check_raft(observations: &RaftObservations) -> Vec<Violation> {
    let identity = observations.identity;
    let mut checks: Vec<Box<dyn Check>> = vec![
        Box::new(consistency::Consistency),
        Box::new(commit_safety::CommitSafety),
        Box::new(election_safety::ElectionSafety::new(identity)),
        Box::new(leader_completeness::LeaderCompleteness::default()),
        Box::new(log_matching::LogMatching::default()),
        Box::new(state_machine_safety::StateMachineSafety::default()),
        Box::new(monotonic::Monotonic::new(identity, observations.promises)),
        Box::new(membership::Membership::default()),
    ];
    let mut cluster = Cluster::default();
    let mut out = Findings::default();
    for event in &observations.events {
        for c in &mut checks {
            c.before(&cluster, event, &mut out);
        }
        cluster.apply(event);
        for c in &mut checks {
            c.after(&cluster, event, &mut out);
        }
    }
    for c in &mut checks {
        c.finish(&cluster, observations.end.as_ref(), &mut out);
    }
    out.into_violations()
}

/// A violation of `property` at `event`, naming its node.
fn at_event(property: Property, event: &RaftEvent, message: String) -> Violation {
    Violation::new(
        property,
        format!(
            "node {} (incarnation {}): {message}",
            event.node, event.incarnation
        ),
    )
    .with_nodes([event.node])
    .at(event.at)
}
