//! Membership: two memberships applied at one index fire; a node acting on a membership older
//! than one it applied fires; after the liveness phase a live node acting on anything but the
//! leader's committed membership fires.

use faultline_sim::check::observation::{EntryKind, EntryRef, MembershipRef, Observation};
use faultline_sim::check::raft::{LeaderIdentity, check_raft};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id};
use super::generated::{correct_run, of};

fn config(voters: &[u64]) -> MembershipRef {
    MembershipRef {
        configs: vec![voters.to_vec()],
        learners: vec![],
    }
}

fn settled_run() -> ClusterRun {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    for n in [2, 3] {
        assert!(run.replicate(n));
    }
    assert!(run.commit());
    for n in [2, 3] {
        assert!(run.replicate(n));
    }
    for n in 1..=3 {
        run.apply(n);
    }
    run
}

#[test]
fn two_memberships_applied_at_one_index_fire() {
    let mut run = settled_run();
    let change = |m: MembershipRef| EntryRef {
        log_id: id(1, 1, 9),
        digest: 1,
        kind: EntryKind::Membership { membership: m },
    };
    run.emit(
        1,
        Observation::Applied {
            entry: change(config(&[1, 2])),
        },
    );
    run.emit(
        2,
        Observation::Applied {
            entry: change(config(&[1, 3])),
        },
    );
    let v = of(&run, Property::Membership);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("applied membership [1, 3] at index 9, where node 1 applied [1, 2]"),
        "{}",
        v[0]
    );
}

#[test]
fn acting_on_an_older_membership_than_applied_fires() {
    let mut run = settled_run();
    let newer = EntryRef {
        log_id: id(1, 1, 7),
        digest: 2,
        kind: EntryKind::Membership {
            membership: config(&[1, 2, 3]),
        },
    };
    run.emit(2, Observation::Applied { entry: newer });
    run.emit(
        2,
        Observation::MembershipInEffect {
            log_id: Some(id(0, 0, 0)),
            membership: config(&[1, 2, 3]),
        },
    );
    let v = of(&run, Property::Membership);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("older than [1, 2, 3] of T1-N1.7 which it applied"),
        "{}",
        v[0]
    );
}

#[test]
fn a_live_node_on_another_membership_at_the_end_fires() {
    let mut run = settled_run();
    run.emit(
        3,
        Observation::MembershipInEffect {
            log_id: Some(id(1, 1, 1)),
            membership: config(&[1, 3]),
        },
    );
    let obs = run.observations(LeaderIdentity::TermAndNode);
    assert!(obs.end.is_some());
    let v: Vec<_> = check_raft(&obs)
        .into_iter()
        .filter(|v| v.property == Property::Membership)
        .collect();
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message.contains(
            "node 3 acts on [1, 3] of T1-N1.1, but the leader 1 committed [1, 2, 3] of T0-N0.0"
        ),
        "{}",
        v[0]
    );
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::Membership).is_empty());
    }
}
