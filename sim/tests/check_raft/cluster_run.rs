//! A small, correct Raft, written only to produce event histories for the Raft checks: every
//! history it emits is one a correct implementation could report, so the checks must stay
//! silent on it; tests then plant one wrong event to see a check fire.
//!
//! It follows the paper's rules directly: a candidate with the most up-to-date log wins a new
//! term with a majority of grants and appends a blank entry; followers accept the leader's
//! entries after truncating any conflicting suffix; the leader commits the highest entry of its
//! own term a majority has flushed; nodes apply committed entries in order; a crash recovers the
//! durable state (everything reported flushed, the vote, the commit point, the snapshot).

use std::collections::BTreeMap;

use faultline_sim::check::observation::{
    EntryKind, EntryRef, LogRef, MembershipRef, NodeId, Observation, RaftEvent, SnapshotRef,
    VoteRef,
};
use faultline_sim::check::raft::{EndState, LeaderIdentity, RaftObservations};

/// One node of the model.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub incarnation: u32,
    pub log: BTreeMap<u64, EntryRef>,
    pub purged: Option<LogRef>,
    pub vote: Option<VoteRef>,
    pub committed: Option<LogRef>,
    pub applied: Option<LogRef>,
    pub snapshot: Option<SnapshotRef>,
}

impl Node {
    pub fn last(&self) -> Option<LogRef> {
        self.log
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(self.purged)
    }
}

/// A run of the model cluster and the events it reported.
#[derive(Debug, Clone)]
pub struct ClusterRun {
    pub events: Vec<RaftEvent>,
    pub nodes: BTreeMap<NodeId, Node>,
    /// The current leader id `(term, node)`.
    pub leader: Option<(u64, NodeId)>,
    pub membership: MembershipRef,
    clock: u64,
    next_digest: u64,
}

pub fn id(term: u64, leader: NodeId, index: u64) -> LogRef {
    LogRef {
        term,
        leader,
        index,
    }
}

pub fn vote(term: u64, node: NodeId, committed: bool) -> VoteRef {
    VoteRef {
        term,
        node: Some(node),
        committed,
    }
}

pub fn normal(log_id: LogRef, digest: u64) -> EntryRef {
    EntryRef {
        log_id,
        digest,
        kind: EntryKind::Normal,
    }
}

impl ClusterRun {
    /// `n` initialised nodes: each holds the initial membership entry (index 0, leader id
    /// `(0, 0)`) durably and reports the membership it acts on.
    pub fn new(n: u64) -> ClusterRun {
        let membership = MembershipRef {
            configs: vec![(1..=n).collect()],
            learners: vec![],
        };
        let first = EntryRef {
            log_id: id(0, 0, 0),
            digest: 0xfeed,
            kind: EntryKind::Membership {
                membership: membership.clone(),
            },
        };
        let mut run = ClusterRun {
            events: Vec::new(),
            nodes: BTreeMap::new(),
            leader: None,
            membership,
            clock: 0,
            next_digest: 1,
        };
        for node in 1..=n {
            let mut state = Node {
                incarnation: 1,
                ..Node::default()
            };
            state.log.insert(0, first.clone());
            run.nodes.insert(node, state);
            run.emit(
                node,
                Observation::Recovered {
                    vote: None,
                    committed: None,
                    purged: None,
                    entries: vec![first.clone()],
                },
            );
            run.report_membership(node);
        }
        run
    }

    pub fn node(&self, n: NodeId) -> &Node {
        &self.nodes[&n]
    }

    /// Appends one reported event of `node` (its current incarnation), one ns after the last.
    pub fn emit(&mut self, node: NodeId, event: Observation) {
        self.clock += 1;
        let incarnation = self.nodes.get(&node).map_or(1, |n| n.incarnation);
        self.events.push(RaftEvent {
            at: self.clock,
            node,
            incarnation,
            event,
        });
    }

    fn report_membership(&mut self, node: NodeId) {
        let log_id = Some(id(0, 0, 0));
        let membership = self.membership.clone();
        self.emit(node, Observation::MembershipInEffect { log_id, membership });
    }

    fn save_vote(&mut self, node: NodeId, v: VoteRef) {
        self.nodes.get_mut(&node).unwrap().vote = Some(v);
        self.emit(node, Observation::VoteSaved { vote: v });
    }

    fn append(&mut self, node: NodeId, entries: Vec<EntryRef>) {
        if entries.is_empty() {
            return;
        }
        let last = entries.last().unwrap().log_id;
        {
            let n = self.nodes.get_mut(&node).unwrap();
            for e in &entries {
                n.log.insert(e.log_id.index, e.clone());
            }
        }
        self.emit(node, Observation::Appended { entries });
        self.emit(node, Observation::Flushed { upto: last });
    }

    fn majority(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    /// Node `c` campaigns in a new term; it wins if its log is at least as up to date as a
    /// majority's (voters are the nodes whose logs are not ahead of it). Returns whether it won.
    pub fn elect(&mut self, c: NodeId) -> bool {
        let term = self
            .nodes
            .values()
            .filter_map(|n| n.vote.map(|v| v.term))
            .max()
            .unwrap_or(0)
            + 1;
        let mine = self.node(c).last();
        let voters: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(n, s)| **n != c && s.last() <= mine)
            .map(|(n, _)| *n)
            .collect();
        if voters.len() + 1 < self.majority() {
            return false;
        }
        self.save_vote(c, vote(term, c, false));
        for v in voters.into_iter().take(self.majority() - 1) {
            self.save_vote(v, vote(term, c, false));
        }
        self.save_vote(c, vote(term, c, true));
        self.leader = Some((term, c));
        let index = mine.map_or(0, |l| l.index + 1);
        let blank = EntryRef {
            log_id: id(term, c, index),
            digest: 0,
            kind: EntryKind::Blank,
        };
        self.append(c, vec![blank]);
        true
    }

    /// The leader appends a new normal entry.
    pub fn propose(&mut self) -> bool {
        let Some((term, l)) = self.leader else {
            return false;
        };
        let index = self.node(l).last().map_or(0, |x| x.index + 1);
        self.next_digest += 1;
        let e = normal(id(term, l, index), self.next_digest);
        self.append(l, vec![e]);
        true
    }

    /// The leader replicates its whole log to `f`, which truncates any conflicting suffix first
    /// and then learns the leader's commit point.
    pub fn replicate(&mut self, f: NodeId) -> bool {
        let Some((term, l)) = self.leader else {
            return false;
        };
        if f == l {
            return false;
        }
        let leader_vote = vote(term, l, true);
        if self
            .node(f)
            .vote
            .is_some_and(|v| (v.term, v.node) > (term, Some(l)))
        {
            return false;
        }
        if self.node(f).vote != Some(leader_vote) {
            self.save_vote(f, leader_vote);
        }
        let leader_log = self.node(l).log.clone();
        let leader_purged = self.node(l).purged;
        let follower = self.node(f).clone();
        // Raft's consistency check, backtracking: the newest index where the follower holds
        // what the leader holds (in its log, or as its purge point).
        let leader_at = |i: u64| {
            leader_log
                .get(&i)
                .map(|e| e.log_id)
                .or(leader_purged.filter(|p| p.index == i))
        };
        let matched = follower
            .log
            .iter()
            .rev()
            .find(|(i, e)| leader_at(**i) == Some(e.log_id))
            .map(|(i, _)| *i);
        let start = matched.map_or(0, |m| m + 1);
        // Entries the follower lacks that the leader no longer has: it would need a snapshot.
        if leader_purged.is_some_and(|p| p.index >= start) {
            return false;
        }
        let conflict = follower
            .log
            .range(start..)
            .find(|(i, e)| leader_log.get(i).map(|l| l.log_id) != Some(e.log_id))
            .map(|(i, _)| *i);
        if let Some(conflict) = conflict {
            if follower.committed.is_some_and(|c| c.index >= conflict) {
                return false;
            }
            let n = self.nodes.get_mut(&f).unwrap();
            n.log.split_off(&conflict);
            self.emit(f, Observation::Truncated { since: conflict });
        }
        let start = self.node(f).last().map_or(0, |x| x.index + 1);
        let entries: Vec<EntryRef> = leader_log.range(start..).map(|(_, e)| e.clone()).collect();
        self.append(f, entries);
        if let Some(c) = self.node(l).committed
            && self.node(f).committed < Some(c)
        {
            self.nodes.get_mut(&f).unwrap().committed = Some(c);
            self.emit(f, Observation::CommittedSaved { committed: c });
        }
        true
    }

    /// The leader commits the newest entry of its own term that a majority holds.
    pub fn commit(&mut self) -> bool {
        let Some((term, l)) = self.leader else {
            return false;
        };
        let log = self.node(l).log.clone();
        let best = log.values().rev().find(|e| {
            e.log_id.term == term
                && e.log_id.leader == l
                && self
                    .nodes
                    .values()
                    .filter(|n| n.log.get(&e.log_id.index).map(|x| x.log_id) == Some(e.log_id))
                    .count()
                    >= self.majority()
        });
        let Some(best) = best.map(|e| e.log_id) else {
            return false;
        };
        if self.node(l).committed >= Some(best) {
            return false;
        }
        self.nodes.get_mut(&l).unwrap().committed = Some(best);
        self.emit(l, Observation::CommittedSaved { committed: best });
        true
    }

    /// `node` applies every committed entry it has not applied.
    pub fn apply(&mut self, node: NodeId) {
        let n = self.node(node).clone();
        let Some(c) = n.committed else {
            return;
        };
        let from = n.applied.map_or(0, |a| a.index + 1);
        if from > c.index {
            return;
        }
        for (_, e) in n.log.range(from..=c.index) {
            self.nodes.get_mut(&node).unwrap().applied = Some(e.log_id);
            self.emit(node, Observation::Applied { entry: e.clone() });
        }
    }

    /// `node` snapshots what it applied and purges its log up to `keep` entries before that.
    pub fn snapshot(&mut self, node: NodeId, keep: u64) {
        let Some(applied) = self.node(node).applied else {
            return;
        };
        let s = SnapshotRef {
            last: Some(applied),
            membership_log_id: Some(id(0, 0, 0)),
            membership: self.membership.clone(),
        };
        self.nodes.get_mut(&node).unwrap().snapshot = Some(s.clone());
        self.emit(node, Observation::SnapshotBuilt { snapshot: s });
        let Some(upto) = applied.index.checked_sub(keep) else {
            return;
        };
        let Some(upto) = self.node(node).log.get(&upto).map(|e| e.log_id) else {
            return;
        };
        if self.node(node).purged >= Some(upto) {
            return;
        }
        let n = self.nodes.get_mut(&node).unwrap();
        n.log = n.log.split_off(&(upto.index + 1));
        n.purged = Some(upto);
        self.emit(node, Observation::Purged { upto });
    }

    /// Power failure and restart of `node`: it recovers its durable state (here everything it
    /// reported is flushed at once) and re-applies from its snapshot.
    pub fn crash(&mut self, node: NodeId) {
        if self.leader.is_some_and(|(_, l)| l == node) {
            self.leader = None;
        }
        let old = self.node(node).clone();
        let restarted = Node {
            incarnation: old.incarnation + 1,
            log: old.log.clone(),
            purged: old.purged,
            vote: old.vote,
            committed: old.committed,
            applied: old.snapshot.as_ref().and_then(|s| s.last),
            snapshot: old.snapshot.clone(),
        };
        self.nodes.insert(node, restarted);
        self.emit(
            node,
            Observation::Recovered {
                vote: old.vote,
                committed: old.committed,
                purged: old.purged,
                entries: old.log.values().cloned().collect(),
            },
        );
        if let Some(s) = old.snapshot {
            self.emit(node, Observation::SnapshotLoaded { snapshot: s });
        }
        self.report_membership(node);
    }

    /// The checks' input: every event, and (if there is a leader with a commit point) the end.
    pub fn observations(&self, identity: LeaderIdentity) -> RaftObservations {
        let end = self.leader.and_then(|(_, l)| {
            self.node(l).committed.map(|_| EndState {
                leader: Some(l),
                live: self.nodes.keys().copied().collect(),
            })
        });
        RaftObservations {
            events: self.events.clone(),
            identity,
            promises: Default::default(),
            end,
        }
    }
}

/// One step a generated run takes.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Elect(u64),
    Propose,
    Replicate(u64),
    Commit,
    Apply(u64),
    Snapshot(u64, u64),
    Crash(u64),
}

impl ClusterRun {
    /// Runs `steps` (node numbers taken modulo the cluster size).
    pub fn play(n: u64, steps: &[Step]) -> ClusterRun {
        let mut run = ClusterRun::new(n);
        let pick = |k: u64| k % n + 1;
        for s in steps {
            match *s {
                Step::Elect(k) => {
                    run.elect(pick(k));
                }
                Step::Propose => {
                    run.propose();
                }
                Step::Replicate(k) => {
                    run.replicate(pick(k));
                }
                Step::Commit => {
                    run.commit();
                }
                Step::Apply(k) => run.apply(pick(k)),
                Step::Snapshot(k, keep) => run.snapshot(pick(k), keep),
                Step::Crash(k) => run.crash(pick(k)),
            }
        }
        run
    }
}
