//! Monotonic state: a vote or term that goes back (also across a restart), a commit point, an
//! applied index or a flushed index that goes back each fire with their own property.

use faultline_sim::check::observation::Observation;
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id, vote};
use super::generated::{correct_run, of};

#[test]
fn a_term_going_back_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(3, 2, false),
        },
    );
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(2, 3, false),
        },
    );
    let v = of(&run, Property::MonotonicTerm);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("vote went back from T3-N2 (granted) to T2-N3 (granted)"),
        "{}",
        v[0]
    );
}

#[test]
fn a_vote_lost_in_a_restart_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.crash(2);
    let recovered = run
        .events
        .iter()
        .rposition(|e| matches!(e.event, Observation::Recovered { .. }))
        .unwrap();
    if let Observation::Recovered { vote: v, .. } = &mut run.events[recovered].event {
        *v = Some(vote(0, 1, false));
    }
    let v = of(&run, Property::MonotonicTerm);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].message.contains("across a restart"), "{}", v[0]);
}

#[test]
fn a_commit_point_going_back_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    assert!(run.replicate(2));
    assert!(run.commit());
    run.emit(
        1,
        Observation::CommittedSaved {
            committed: id(1, 1, 1),
        },
    );
    assert_eq!(of(&run, Property::MonotonicCommit).len(), 1);
}

#[test]
fn an_applied_index_going_back_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    assert!(run.replicate(2));
    assert!(run.commit());
    run.apply(1);
    let first = run.node(1).log[&1].clone();
    run.emit(1, Observation::Applied { entry: first });
    assert_eq!(of(&run, Property::MonotonicApplied).len(), 1);
}

#[test]
fn a_flushed_index_going_back_without_truncation_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    run.emit(1, Observation::Flushed { upto: id(1, 1, 1) });
    let v = of(&run, Property::MonotonicFlushed);
    assert_eq!(v.len(), 1, "{v:#?}");
    // After a reported truncation, the same report is fine.
    let mut truncated = run.clone();
    truncated.events.pop();
    truncated.emit(1, Observation::Truncated { since: 2 });
    truncated.emit(1, Observation::Flushed { upto: id(1, 1, 1) });
    assert!(of(&truncated, Property::MonotonicFlushed).is_empty());
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        for p in [
            Property::MonotonicTerm,
            Property::MonotonicVote,
            Property::MonotonicCommit,
            Property::MonotonicApplied,
            Property::MonotonicFlushed,
        ] {
            prop_assert!(of(&run, p).is_empty(), "{p}");
        }
    }
}
