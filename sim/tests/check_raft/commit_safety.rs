//! Commit safety: a commit point saved before a majority durably holds the entry fires — when
//! nobody else has it, and when a follower appended it but has not flushed it.

use faultline_sim::check::observation::Observation;
use faultline_sim::check::raft::{LeaderIdentity, check_raft};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id, normal};
use super::generated::{correct_run, of};

fn commit_safety(run: &ClusterRun) -> Vec<faultline_sim::check::violation::Violation> {
    check_raft(&run.observations(LeaderIdentity::TermAndNode))
        .into_iter()
        .filter(|v| v.property == Property::CommitSafety)
        .collect()
}

#[test]
fn committing_an_entry_only_the_leader_holds_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    let entry = run.node(1).last().unwrap();
    run.emit(1, Observation::CommittedSaved { committed: entry });
    let v = commit_safety(&run);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message.contains("only [1] durably hold it"),
        "{}",
        v[0]
    );
    assert_eq!(v[0].at, Some(run.events.last().unwrap().at));
}

#[test]
fn counting_a_follower_that_appended_but_did_not_flush_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    let blank = run.node(1).last().unwrap();
    let e = normal(id(blank.term, 1, blank.index + 1), 77);
    run.emit(
        1,
        Observation::Appended {
            entries: vec![e.clone()],
        },
    );
    run.emit(1, Observation::Flushed { upto: e.log_id });
    // Node 2 accepts both entries but reports no flush before the leader commits.
    let blank_entry = run.node(1).log[&blank.index].clone();
    run.emit(
        2,
        Observation::Appended {
            entries: vec![blank_entry, e.clone()],
        },
    );
    run.emit(
        1,
        Observation::CommittedSaved {
            committed: e.log_id,
        },
    );
    assert_eq!(commit_safety(&run).len(), 1);
    // Once node 2 reports the flush, the same commit is safe.
    let mut fixed = run.clone();
    fixed.events.pop();
    fixed.emit(2, Observation::Flushed { upto: e.log_id });
    fixed.emit(
        1,
        Observation::CommittedSaved {
            committed: e.log_id,
        },
    );
    assert!(
        commit_safety(&fixed).is_empty(),
        "{:#?}",
        commit_safety(&fixed)
    );
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::CommitSafety).is_empty());
    }
}

#[test]
fn a_commit_learned_after_a_membership_change_was_appended_is_silent() {
    use faultline_sim::check::observation::{EntryKind, EntryRef, MembershipRef};
    // Node 1 commits entry 2 under the initial membership [1..5] with 1, 2 and 3 holding it.
    let mut run = ClusterRun::new(5);
    assert!(run.elect(1));
    run.propose();
    for n in [2, 3] {
        assert!(run.replicate(n));
    }
    assert!(run.commit());
    let committed = run.node(1).committed.unwrap();
    // Then it appends a joint change that removes node 2 ([1..5] + [1, 3, 4, 5]); node 2
    // receives the change before it learns the commit point.
    let joint = EntryRef {
        log_id: id(committed.term, 1, committed.index + 1),
        digest: 3,
        kind: EntryKind::Membership {
            membership: MembershipRef {
                configs: vec![vec![1, 2, 3, 4, 5], vec![1, 3, 4, 5]],
                learners: vec![],
            },
        },
    };
    for n in [1, 2] {
        run.emit(
            n,
            Observation::Appended {
                entries: vec![joint.clone()],
            },
        );
        run.emit(n, Observation::Flushed { upto: joint.log_id });
    }
    run.emit(2, Observation::CommittedSaved { committed });
    assert!(commit_safety(&run).is_empty(), "{:#?}", commit_safety(&run));
}
