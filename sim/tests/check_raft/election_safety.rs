//! Election safety: a leader elected without a quorum of grants fires, so does one leader id
//! elected twice; two leaders of one term fire in standard Raft and are legal in openraft's
//! default identity.

use faultline_sim::check::observation::Observation;
use faultline_sim::check::raft::{LeaderIdentity, check_raft};
use faultline_sim::check::violation::{Property, Violation};
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, vote};
use super::generated::{correct_run, of};

fn of_property(run: &ClusterRun, identity: LeaderIdentity, p: Property) -> Vec<Violation> {
    check_raft(&run.observations(identity))
        .into_iter()
        .filter(|v| v.property == p)
        .collect()
}

#[test]
fn a_leader_without_a_quorum_of_grants_fires() {
    let mut run = ClusterRun::new(5);
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(4, 2, false),
        },
    );
    run.emit(
        3,
        Observation::VoteSaved {
            vote: vote(4, 2, false),
        },
    );
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(4, 2, true),
        },
    );
    let v = of_property(&run, LeaderIdentity::TermAndNode, Property::ElectionSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message.contains("only [2, 3] granted it: no quorum"),
        "{}",
        v[0]
    );
    assert_eq!(v[0].nodes, [1, 2, 3, 4, 5]);
}

#[test]
fn one_leader_id_elected_twice_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    // Node 1 restarts having lost its vote, and claims the same leadership again.
    run.crash(1);
    let recovered = run
        .events
        .iter()
        .rposition(|e| matches!(e.event, Observation::Recovered { .. }))
        .unwrap();
    if let Observation::Recovered { vote, .. } = &mut run.events[recovered].event {
        *vote = None;
    }
    run.emit(
        1,
        Observation::VoteSaved {
            vote: vote(1, 1, true),
        },
    );
    let v = of_property(&run, LeaderIdentity::TermAndNode, Property::ElectionSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message.contains("elected leader T1-N1 a second time"),
        "{}",
        v[0]
    );
}

/// Node 1 leads term 1 with grants from 2 and 3; then node 2 gathers 4 and 5 for (1, 2).
fn two_leaders_of_term_one() -> ClusterRun {
    let mut run = ClusterRun::new(5);
    assert!(run.elect(1));
    for n in [2, 4, 5] {
        run.emit(
            n,
            Observation::VoteSaved {
                vote: vote(1, 2, false),
            },
        );
    }
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(1, 2, true),
        },
    );
    run
}

#[test]
fn two_leaders_of_one_term_fire_in_standard_raft() {
    let run = two_leaders_of_term_one();
    let v = of_property(&run, LeaderIdentity::Term, Property::ElectionSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("became leader of term 1, which node 1 already leads"),
        "{}",
        v[0]
    );
    assert_eq!(v[0].nodes, [1, 2]);
}

#[test]
fn two_leaders_of_one_term_are_legal_in_openraft_default_identity() {
    let run = two_leaders_of_term_one();
    let v = check_raft(&run.observations(LeaderIdentity::TermAndNode));
    assert!(v.is_empty(), "{v:#?}");
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::ElectionSafety).is_empty());
        let standard = of_property(&run, LeaderIdentity::Term, Property::ElectionSafety);
        prop_assert!(standard.is_empty(), "the model elects one leader per term: {standard:#?}");
    }
}
