//! State machine safety: applying before committing, applying out of order, two nodes applying
//! different entries at one index, two nodes committing different entries at one index, and
//! truncating a committed entry each fire.

use faultline_sim::check::observation::{EntryRef, Observation};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id, normal};
use super::generated::{correct_run, of};

/// Node 1 leads term 1 and has committed its blank entry and one more on nodes 1 and 2.
fn committed_run() -> ClusterRun {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    assert!(run.replicate(2));
    assert!(run.commit());
    run
}

fn entry(run: &ClusterRun, node: u64, index: u64) -> EntryRef {
    run.node(node).log[&index].clone()
}

#[test]
fn applying_before_committing_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    let first = entry(&run, 1, 0);
    run.emit(1, Observation::Applied { entry: first });
    let v = of(&run, Property::StateMachineSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("applied T0-N0.0 before committing it"),
        "{}",
        v[0]
    );
}

#[test]
fn applying_out_of_order_fires() {
    let mut run = committed_run();
    let second = entry(&run, 1, 2);
    run.emit(1, Observation::Applied { entry: second });
    let v = of(&run, Property::StateMachineSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("applied T1-N1.2 out of order: the next index to apply was 0"),
        "{}",
        v[0]
    );
}

#[test]
fn different_entries_applied_at_one_index_fire() {
    let mut run = committed_run();
    run.apply(1);
    // Node 2 applies its own (reported) version of index 2 with another payload.
    let mut other = entry(&run, 2, 2);
    other.digest ^= 1;
    assert!(run.replicate(2));
    run.apply(2);
    let applied = run
        .events
        .iter()
        .rposition(|e| e.node == 2 && matches!(e.event, Observation::Applied { .. }))
        .unwrap();
    run.events[applied].event = Observation::Applied { entry: other };
    let v = of(&run, Property::StateMachineSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("at index 2, where node 1 applied T1-N1.2"),
        "{}",
        v[0]
    );
    assert_eq!(v[0].nodes, [1, 2]);
}

#[test]
fn different_entries_committed_at_one_index_fire() {
    let mut run = committed_run();
    // Node 3 holds another leader's entries at 1 and 2 and records them committed.
    run.emit(
        3,
        Observation::Appended {
            entries: vec![normal(id(1, 3, 1), 5), normal(id(1, 3, 2), 6)],
        },
    );
    run.emit(3, Observation::Flushed { upto: id(1, 3, 2) });
    run.emit(
        3,
        Observation::CommittedSaved {
            committed: id(1, 3, 2),
        },
    );
    let v = of(&run, Property::StateMachineSafety);
    assert!(
        v.iter().any(|v| v.message.contains(
            "committed T1-N3.1 at index 1, where the cluster had already committed T1-N1.1"
        )),
        "{v:#?}"
    );
}

#[test]
fn truncating_below_its_own_commit_point_fires() {
    let mut run = committed_run();
    assert!(run.replicate(2));
    run.emit(2, Observation::Truncated { since: 2 });
    let v = of(&run, Property::StateMachineSafety);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("truncated its log from index 2, below its own commit point T1-N1.2"),
        "{}",
        v[0]
    );
}

#[test]
fn a_deposed_leader_appending_at_a_committed_index_is_silent() {
    let mut run = committed_run();
    // Node 3 never learned the commit; holding, truncating and appending other entries there
    // is what a deposed or lagging node does, and is fine until something is applied.
    run.emit(
        3,
        Observation::Appended {
            entries: vec![normal(id(0, 3, 1), 9)],
        },
    );
    run.emit(3, Observation::Truncated { since: 1 });
    assert!(of(&run, Property::StateMachineSafety).is_empty());
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::StateMachineSafety).is_empty());
    }
}
