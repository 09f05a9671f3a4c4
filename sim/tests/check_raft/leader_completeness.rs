//! Leader completeness: a leader elected (with a quorum) whose log lacks an entry committed
//! before its election fires, naming the entry.

use faultline_sim::check::observation::Observation;
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, vote};
use super::generated::{correct_run, of};

#[test]
fn a_leader_missing_a_committed_entry_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    assert!(run.replicate(2));
    assert!(run.commit());
    let committed = run.node(1).committed.unwrap();
    // Node 3 never got the entries, yet gathers node 2's grant for term 2.
    run.emit(
        3,
        Observation::VoteSaved {
            vote: vote(2, 3, false),
        },
    );
    run.emit(
        2,
        Observation::VoteSaved {
            vote: vote(2, 3, false),
        },
    );
    run.emit(
        3,
        Observation::VoteSaved {
            vote: vote(2, 3, true),
        },
    );
    let v = of(&run, Property::LeaderCompleteness);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message.contains(&format!("became leader T2-N3 without 2 committed entries: T1-N1.1 (it holds nothing there), {committed}")),
        "{}",
        v[0]
    );
    assert_eq!(v[0].nodes, [3]);
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::LeaderCompleteness).is_empty());
    }
}
