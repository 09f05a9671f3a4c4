//! Standalone, deterministic reproductions of raft-io 1.0.0 behaviour, driving
//! `RaftNode::step` directly — no faultline world, no disk, no runtime: nodes over raft-io's own
//! `MemoryLog`, and a message queue this file delivers, drops or duplicates by hand. Every
//! schedule here is one a real network may produce (loss, delay, duplication) with nodes that
//! crash and restart from their durable log.
//!
//! The pattern for a finding: one function plays the schedule and returns what happened; a
//! test that is not ignored asserts the behaviour raft-io shows today (so it fails, and says
//! so, the day a new raft-io fixes it), and an `#[ignore]`d test asserts what Raft requires.
//! The first test is the sanity case: a healthy cluster elects, replicates and commits.

use std::collections::{BTreeMap, VecDeque};

use raft_io::{
    Action, EntryKind, Error as RioError, Event, MemoryLog, Message, RaftConfig, RaftLog, RaftNode,
};

type Id = u64;

/// A handful of raft-io nodes and the messages in flight between them.
struct Sim {
    configs: BTreeMap<Id, RaftConfig>,
    nodes: BTreeMap<Id, RaftNode>,
    queue: VecDeque<(Id, Id, Message)>,
    /// Every `Apply` each node emitted: `(index, term, command)`.
    applied: BTreeMap<Id, Vec<(u64, u64, Vec<u8>)>>,
}

impl Sim {
    /// Nodes `ids`, each booted with `voters` as its configuration.
    fn new(ids: &[Id], voters: &[Id], tune: impl Fn(RaftConfig) -> RaftConfig) -> Sim {
        let mut sim = Sim {
            configs: BTreeMap::new(),
            nodes: BTreeMap::new(),
            queue: VecDeque::new(),
            applied: BTreeMap::new(),
        };
        for &id in ids {
            let cfg = tune(
                RaftConfig::new(id, voters.iter().copied())
                    .with_election_timeout(10, 20)
                    .with_heartbeat_interval(3),
            );
            sim.nodes
                .insert(id, RaftNode::with_log(cfg.clone(), MemoryLog::new()));
            sim.configs.insert(id, cfg);
        }
        sim
    }

    fn node(&self, id: Id) -> &RaftNode {
        &self.nodes[&id]
    }

    fn step(&mut self, id: Id, event: Event) -> Result<(), RioError> {
        let actions = self.nodes.get_mut(&id).unwrap().step(event)?;
        for a in actions {
            match a {
                Action::Send { to, message } => self.queue.push_back((id, to, message)),
                Action::Apply {
                    index,
                    term,
                    command,
                } => self
                    .applied
                    .entry(id)
                    .or_default()
                    .push((index, term, command)),
                _ => {}
            }
        }
        Ok(())
    }

    fn tick(&mut self, id: Id, n: usize) {
        for _ in 0..n {
            self.step(id, Event::Tick).unwrap();
        }
    }

    /// Delivers queued messages (and the ones they cause) while `allow` admits them; the rest
    /// are lost.
    fn deliver(&mut self, allow: impl Fn(Id, Id, &Message) -> bool) {
        let mut budget = 10_000;
        while let Some((from, to, m)) = self.queue.pop_front() {
            budget -= 1;
            assert!(budget > 0, "message storm");
            if allow(from, to, &m) {
                self.step(to, Event::Message(m)).unwrap();
            }
        }
    }

    /// Ticks `ids` together until one of them leads, delivering what `allow` admits.
    fn elect(&mut self, ids: &[Id], allow: impl Fn(Id, Id, &Message) -> bool + Copy) -> Id {
        for _ in 0..500 {
            for &id in ids {
                self.tick(id, 1);
            }
            self.deliver(allow);
            if let Some(&l) = ids.iter().find(|&&id| self.node(id).is_leader()) {
                return l;
            }
        }
        panic!("no leader among {ids:?}");
    }

    /// The node crashes and restarts from its (durable) log.
    fn restart(&mut self, id: Id) {
        let log = self.node(id).log().clone();
        let node = RaftNode::with_log(self.configs[&id].clone(), log);
        self.nodes.insert(id, node);
    }

    /// `(term, kind)` of the entry at `index` on node `id`.
    fn entry_at(&self, id: Id, index: u64) -> Option<(u64, EntryKind)> {
        self.node(id).log().entry(index).map(|e| (e.term, e.kind))
    }
}

/// Only messages among `group`.
fn within(group: &'static [Id]) -> impl Fn(Id, Id, &Message) -> bool + Copy {
    move |from, to, _| group.contains(&from) && group.contains(&to)
}

#[test]
fn a_healthy_cluster_elects_replicates_and_commits() {
    let mut sim = Sim::new(&[1, 2, 3], &[1, 2, 3], |c| c);
    let all = within(&[1, 2, 3]);
    let leader = sim.elect(&[1, 2, 3], all);
    for i in 0..5u8 {
        sim.step(leader, Event::Propose(vec![i])).unwrap();
        sim.deliver(all);
    }
    sim.tick(leader, 3);
    sim.deliver(all);
    for id in [1, 2, 3] {
        assert_eq!(sim.node(id).commit_index(), 5, "node {id}");
        assert_eq!(sim.applied[&id].len(), 5, "node {id} applied every command");
    }
}

// ---- Finding 1: a membership change before the leader committed an entry of its term ----

/// What the schedule of finding 1 leaves: the entry node `l2` (leader of term 2) committed at
/// index 2, and the entry at index 2 once node 1 (leader of term 3) has committed index 3.
struct ConfigRace {
    l2: Id,
    committed_by_l2: (u64, EntryKind),
    l2_commit: u64,
    s1_term: u64,
    s1_commit: u64,
    at_2_on_s1: (u64, EntryKind),
    at_2_on_follower: (u64, EntryKind),
}

/// The single-server membership bug Ongaro reported in 2015 (raft-dev, "bug in single-server
/// membership changes"; fixed in the dissertation's errata: a leader may not append a new
/// configuration entry until it has committed an entry of its own term).
///
/// raft-io's `reconfigure` (src/node.rs:1817) only requires the previous configuration entry
/// to be committed (`config_index > commit_index`, :1824), and a new leader whose log is
/// already fully committed appends no no-op (:884-886), so it may append a configuration
/// entry at once. Schedule, five servers S1..S5, initial voters {1,2,3,4}:
/// 1. S1 leads term 1 and commits `a` at index 1 on everyone.
/// 2. S1 adds S5: `C = {1..5}` at index 2 reaches only S5 (uncommitted).
/// 3. S2, S3, S4 elect a leader L2 in term 2; its log `[a]` is fully committed, so no no-op.
/// 4. L2 removes S1: `C' = {2,3,4}` at index 2 (term 2), committed with one follower F.
/// 5. S1 restarts; under `C` it needs 3 of 5: S5 and the third node X (which never heard L2)
///    elect it in term 3. Its no-op at index 3 commits with X and S5, committing `C` at 2.
/// 6. S1 replicates to F, which truncates the committed `C'`.
fn config_change_before_own_term_commit() -> ConfigRace {
    let mut sim = Sim::new(&[1, 2, 3, 4, 5], &[1, 2, 3, 4], |c| c);
    let old = within(&[1, 2, 3, 4]);
    assert_eq!(sim.elect(&[1], old), 1);
    sim.step(1, Event::Propose(b"a".to_vec())).unwrap();
    sim.deliver(old);
    sim.tick(1, 3);
    sim.deliver(old);
    for id in [1, 2, 3, 4] {
        assert_eq!(sim.node(id).commit_index(), 1, "node {id}");
    }

    // 2. C = {1..5} reaches S5 only.
    sim.step(1, Event::AddServer(5)).unwrap();
    let s1_s5 = within(&[1, 5]);
    sim.deliver(s1_s5);
    for _ in 0..5 {
        sim.tick(1, 3);
        sim.deliver(s1_s5);
    }
    assert_eq!(sim.entry_at(5, 2), Some((1, EntryKind::Config)));
    assert_eq!(sim.node(1).commit_index(), 1, "C is not committed");

    // 3. S2..S4 elect L2 on votes alone (no AppendEntries of the new leader yet).
    let votes_only = |from: Id, to: Id, m: &Message| {
        [2, 3, 4].contains(&from)
            && [2, 3, 4].contains(&to)
            && matches!(
                m,
                Message::PreVote(_)
                    | Message::PreVoteReply(_)
                    | Message::RequestVote(_)
                    | Message::RequestVoteReply(_)
            )
    };
    let l2 = sim.elect(&[2, 3, 4], votes_only);
    assert_eq!(sim.node(l2).term(), 2);
    assert_eq!(
        sim.node(l2).log().last_index(),
        1,
        "no no-op: L2's log is committed"
    );
    let others: Vec<Id> = [2, 3, 4].into_iter().filter(|&i| i != l2).collect();
    let (f, x) = (others[0], others[1]);

    // 4. L2 removes S1; C' commits with F.
    sim.step(l2, Event::RemoveServer(1))
        .expect("raft-io lets a leader reconfigure before committing an entry of its term");
    let l2_f =
        move |from: Id, to: Id, _: &Message| (from == l2 && to == f) || (from == f && to == l2);
    sim.deliver(l2_f);
    for _ in 0..3 {
        sim.tick(l2, 3);
        sim.deliver(l2_f);
    }
    let committed_by_l2 = sim.entry_at(l2, 2).unwrap();
    let l2_commit = sim.node(l2).commit_index();

    // 5. S1 restarts and campaigns among {S1, X, S5}. X and S5 time out too (which is what
    //    makes them forget S1 as leader), but their own campaigns are lost: only S1's
    //    messages and the replies to it get through.
    sim.restart(1);
    let s1_x_s5 = move |from: Id, to: Id, m: &Message| {
        let reply = matches!(
            m,
            Message::PreVoteReply(_)
                | Message::RequestVoteReply(_)
                | Message::AppendEntriesReply(_)
                | Message::ReadProbeReply(_)
        );
        (from == 1 && [x, 5].contains(&to)) || (to == 1 && [x, 5].contains(&from) && reply)
    };
    let mut elected = false;
    for _ in 0..200 {
        for id in [1, x, 5] {
            sim.tick(id, 1);
        }
        sim.deliver(s1_x_s5);
        if sim.node(1).is_leader() {
            elected = true;
            break;
        }
    }
    assert!(elected, "S1 is elected by X and S5 under C");
    for _ in 0..5 {
        sim.tick(1, 3);
        sim.deliver(s1_x_s5);
    }

    // 6. S1 reaches F.
    let s1_f =
        move |from: Id, to: Id, _: &Message| (from == 1 && to == f) || (from == f && to == 1);
    for _ in 0..5 {
        sim.tick(1, 3);
        sim.deliver(s1_f);
    }
    ConfigRace {
        l2,
        committed_by_l2,
        l2_commit,
        s1_term: sim.node(1).term(),
        s1_commit: sim.node(1).commit_index(),
        at_2_on_s1: sim.entry_at(1, 2).unwrap(),
        at_2_on_follower: sim.entry_at(f, 2).unwrap(),
    }
}

/// raft-io 1.0.0 today: two different entries are committed at index 2 (C' by term 2, C by
/// term 3), and a follower truncated the committed C'. Fails once raft-io is fixed.
#[test]
fn known_bug_a_committed_configuration_entry_is_overwritten() {
    let r = config_change_before_own_term_commit();
    assert_eq!(
        r.committed_by_l2,
        (2, EntryKind::Config),
        "L2 wrote C' at 2"
    );
    assert!(r.l2_commit >= 2, "L2 committed C' (commit {})", r.l2_commit);
    assert_eq!(r.s1_term, 3);
    assert!(
        r.s1_commit >= 3,
        "S1 committed through 3 (commit {})",
        r.s1_commit
    );
    assert_eq!(r.at_2_on_s1, (1, EntryKind::Config), "S1 committed C at 2");
    assert_eq!(
        r.at_2_on_follower,
        (1, EntryKind::Config),
        "the follower's committed C' was overwritten"
    );
    let _ = r.l2;
}

/// What Raft requires (leader completeness, state-machine safety): an entry committed at an
/// index is the only one ever committed there.
#[test]
#[ignore = "raft-io 1.0.0 bug: reconfigure before committing an entry of the leader's term (see above)"]
fn a_committed_configuration_entry_is_never_overwritten() {
    let r = config_change_before_own_term_commit();
    if r.l2_commit >= 2 && r.s1_commit >= 2 {
        assert_eq!(r.at_2_on_s1, r.committed_by_l2);
    }
    assert_eq!(r.at_2_on_follower, r.committed_by_l2);
}

// ---- Finding 2: a leadership transfer to an unreachable node never ends ----

/// raft-io sets `transfer_target` (src/node.rs:1903) and clears it only when it sends
/// `TimeoutNow` or the leader changes role; while it is set, `propose` and `reconfigure`
/// answer `NotLeader` naming the leader itself (:985, :1818). Transfer to a voter that is
/// down: the leader keeps its followers, stays leader, and refuses every proposal for good.
/// (The Raft dissertation, §3.10: "if the transfer does not complete within an election
/// timeout, the prior leader aborts the transfer and resumes accepting client requests".)
fn transfer_to_a_dead_voter() -> Result<(), RioError> {
    let mut sim = Sim::new(&[1, 2, 3], &[1, 2, 3], |c| c);
    let up = within(&[1, 2]);
    assert_eq!(sim.elect(&[1], up), 1);
    sim.step(1, Event::Propose(b"a".to_vec())).unwrap();
    sim.deliver(up);
    sim.step(1, Event::TransferLeadership(3)).unwrap();
    // Ten election timeouts later, with node 2 answering every heartbeat.
    for _ in 0..70 {
        sim.tick(1, 3);
        sim.tick(2, 3);
        sim.deliver(up);
    }
    assert!(sim.node(1).is_leader(), "node 1 still leads");
    sim.step(1, Event::Propose(b"b".to_vec()))
}

#[test]
fn known_bug_a_transfer_to_a_dead_voter_blocks_proposals_forever() {
    match transfer_to_a_dead_voter() {
        Err(RioError::NotLeader { leader: Some(1) }) => {}
        other => panic!("raft-io changed: {other:?}"),
    }
}

#[test]
#[ignore = "raft-io 1.0.0 bug: a leadership transfer is never aborted (see above)"]
fn a_stalled_transfer_is_aborted_after_an_election_timeout() {
    transfer_to_a_dead_voter().expect("the leader accepts proposals again");
}

// ---- Finding 3: a duplicated AppendEntries moves a follower's commit index back ----

/// `handle_append_entries` sets `commit_index = min(leader_commit, match_index)` whenever
/// `leader_commit > commit_index` (src/node.rs:1580-1583; also :1531-1533 for an RPC below the
/// snapshot), without keeping the larger of that and the current commit index. A duplicate (or
/// late) AppendEntries that carries few entries but a high `leader_commit` therefore lowers a
/// follower's commit index below what it has already applied. Schedule: node 2 is cut off
/// while the leader commits six entries with node 3 (`max_batch` 1); node 2 then receives the
/// leader's catch-up RPCs one by one — `prev 0, [1], commit 6` first — and, after it holds and
/// committed four entries, a duplicate of that first RPC. Returns node 2's
/// `(commit before, commit after, last_applied)`.
fn duplicated_append_entries() -> (u64, u64, u64) {
    let mut sim = Sim::new(&[1, 2, 3], &[1, 2, 3], |c| c.with_max_batch(1));
    let one_three = within(&[1, 3]);
    assert_eq!(sim.elect(&[1], one_three), 1);
    for i in 0..6u8 {
        sim.step(1, Event::Propose(vec![i])).unwrap();
        sim.deliver(one_three);
        sim.tick(1, 3);
        sim.deliver(one_three);
    }
    assert_eq!(sim.node(1).commit_index(), 6);

    // Node 2 comes back: the next heartbeat probes it from index 1.
    sim.tick(1, 3);
    let to_2: Vec<usize> = (0..sim.queue.len())
        .filter(|&i| sim.queue[i].1 == 2)
        .collect();
    let first = sim.queue[to_2[0]].2.clone();
    assert!(
        matches!(&first, Message::AppendEntries(ae) if ae.prev_log_index == 0 && ae.leader_commit == 6),
        "{first:?}"
    );
    let all = within(&[1, 2, 3]);
    for _ in 0..50 {
        if sim.node(2).log().last_index() >= 4 {
            break;
        }
        let Some((from, to, m)) = sim.queue.pop_front() else {
            sim.tick(1, 1);
            continue;
        };
        if all(from, to, &m) {
            sim.step(to, Event::Message(m)).unwrap();
        }
    }
    let before = sim.node(2).commit_index();
    sim.step(2, Event::Message(first)).unwrap();
    (
        before,
        sim.node(2).commit_index(),
        sim.node(2).last_applied(),
    )
}

#[test]
fn known_bug_a_duplicate_append_entries_lowers_the_commit_index() {
    let (before, after, applied) = duplicated_append_entries();
    assert!(before >= 4, "node 2 committed {before}");
    assert_eq!(after, 1, "raft-io changed: commit {before} -> {after}");
    assert!(
        applied > after,
        "applied {applied} now exceeds the commit index {after}"
    );
}

#[test]
#[ignore = "raft-io 1.0.0 bug: commit_index = min(leader_commit, match) can decrease (see above)"]
fn a_follower_commit_index_never_decreases() {
    let (before, after, _) = duplicated_append_entries();
    assert!(
        after >= before,
        "commit index went back: {before} -> {after}"
    );
}

/// Finding 3 without any duplicate: the same catch-up schedule, but the leader's first RPC to
/// node 2 (`prev 0, [1], commit 6`) is delayed — not copied — and arrives after the RPCs sent
/// behind it, as a reordering network (or a call that timed out during a partition and is
/// delivered once the link heals, after the sender reconnected) delivers it. Every message is
/// delivered exactly once. Returns node 2's `(commit before, commit after, last_applied)`.
fn late_append_entries() -> (u64, u64, u64) {
    let mut sim = Sim::new(&[1, 2, 3], &[1, 2, 3], |c| c.with_max_batch(1));
    let one_three = within(&[1, 3]);
    assert_eq!(sim.elect(&[1], one_three), 1);
    for i in 0..6u8 {
        sim.step(1, Event::Propose(vec![i])).unwrap();
        sim.deliver(one_three);
        sim.tick(1, 3);
        sim.deliver(one_three);
    }
    sim.tick(1, 3);
    let first_at = (0..sim.queue.len())
        .find(|&i| sim.queue[i].1 == 2)
        .expect("a heartbeat to node 2");
    let (_, _, late) = sim.queue.remove(first_at).unwrap();
    assert!(
        matches!(&late, Message::AppendEntries(ae) if ae.prev_log_index == 0 && ae.leader_commit == 6),
        "{late:?}"
    );
    let all = within(&[1, 2, 3]);
    for _ in 0..50 {
        if sim.node(2).log().last_index() >= 4 {
            break;
        }
        let Some((from, to, m)) = sim.queue.pop_front() else {
            sim.tick(1, 1);
            continue;
        };
        if all(from, to, &m) {
            sim.step(to, Event::Message(m)).unwrap();
        }
    }
    let before = sim.node(2).commit_index();
    sim.step(2, Event::Message(late)).unwrap();
    (
        before,
        sim.node(2).commit_index(),
        sim.node(2).last_applied(),
    )
}

#[test]
fn known_bug_a_late_append_entries_lowers_the_commit_index() {
    let (before, after, applied) = late_append_entries();
    println!("late: commit {before} -> {after}, applied {applied}");
    assert!(before >= 2, "node 2 committed {before}");
    assert!(
        after < before,
        "raft-io changed: commit {before} -> {after}"
    );
    assert!(applied > after, "applied {applied}, commit {after}");
}

#[test]
#[ignore = "raft-io 1.0.0 bug: commit_index = min(leader_commit, match) can decrease (see above)"]
fn a_late_append_entries_never_lowers_the_commit_index() {
    let (before, after, _) = late_append_entries();
    assert!(
        after >= before,
        "commit index went back: {before} -> {after}"
    );
}

// ---- Finding 4: a new leader's no-op configuration entry drops the learners ----

/// `become_leader` appends, when its log has an uncommitted tail, a no-op configuration entry
/// "re-asserting the current membership" — built with `LogEntry::config(term, index,
/// &self.voters)` (src/node.rs:888), which carries the voters only. The leader keeps its
/// learners in memory; every follower that appends the entry recomputes its configuration from
/// it (`refresh_config`, src/node.rs:645-663) and loses them, and so does the leader itself when
/// it restarts from its log. Schedule: voters 1, 2, 3 and learner 4 (committed); leader 1's next
/// entry reaches node 2 only, then node 1 is cut off; node 2 wins the election with node 3's
/// vote, with that entry uncommitted, and appends the no-op. Returns the learners of
/// `(node 2, node 3, node 2 restarted from its log)`.
fn election_no_op_config() -> (Vec<Id>, Vec<Id>, Vec<Id>) {
    let mut sim = Sim::new(&[1, 2, 3, 4], &[1, 2, 3], |c| c);
    let voters = within(&[1, 2, 3]);
    assert_eq!(sim.elect(&[1], voters), 1);
    let all = within(&[1, 2, 3, 4]);
    sim.step(1, Event::AddLearner(4)).unwrap();
    for _ in 0..10 {
        sim.deliver(all);
        sim.tick(1, 3);
    }
    sim.deliver(all);
    assert_eq!(sim.node(1).learners(), &[4][..]);
    assert_eq!(sim.node(3).learners(), &[4][..]);
    // One more entry: node 2 holds it, nobody learns that it committed.
    sim.step(1, Event::Propose(vec![7])).unwrap();
    let one_two = |from: Id, to: Id, m: &Message| {
        from == 1 && to == 2 && matches!(m, Message::AppendEntries(ae) if !ae.entries.is_empty())
    };
    sim.deliver(one_two);
    let two_three = within(&[2, 3]);
    assert_eq!(sim.elect(&[2, 3], two_three), 2);
    for _ in 0..5 {
        sim.deliver(two_three);
        sim.tick(2, 3);
    }
    sim.deliver(two_three);
    let leader = sim.node(2).learners().to_vec();
    let follower = sim.node(3).learners().to_vec();
    sim.restart(2);
    (leader, follower, sim.node(2).learners().to_vec())
}

#[test]
fn known_bug_an_election_no_op_drops_the_learners() {
    let (leader, follower, restarted) = election_no_op_config();
    assert_eq!(leader, vec![4], "the new leader keeps learner 4 in memory");
    assert_eq!(
        (follower, restarted),
        (vec![], vec![]),
        "raft-io changed: the no-op configuration entry keeps the learners"
    );
}

#[test]
#[ignore = "raft-io 1.0.0 bug: the election no-op configuration entry carries no learners (see above)"]
fn an_election_keeps_the_learners() {
    let (leader, follower, restarted) = election_no_op_config();
    assert_eq!(leader, vec![4]);
    assert_eq!(follower, vec![4], "node 3 dropped learner 4");
    assert_eq!(restarted, vec![4], "node 2 restarted without learner 4");
}
