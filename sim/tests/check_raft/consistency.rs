//! Consistency of the reports: a flush of an entry the log lacks, an append past a gap or over
//! another entry, an applied entry the log never held, a purge no snapshot covers and a
//! snapshot built beyond what was applied each fire as `observation` violations.

use faultline_sim::check::observation::{Observation, SnapshotRef};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id, normal};
use super::generated::{correct_run, of};

fn fires(run: &ClusterRun, needle: &str) {
    let v = of(run, Property::Observation);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].message.contains(needle), "{}", v[0]);
}

#[test]
fn a_flush_of_an_entry_the_log_lacks_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(2, Observation::Flushed { upto: id(1, 1, 4) });
    fires(
        &run,
        "reported flushed up to T1-N1.4, which its log does not hold",
    );
}

#[test]
fn an_append_past_a_gap_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(
        2,
        Observation::Appended {
            entries: vec![normal(id(1, 1, 3), 1)],
        },
    );
    fires(
        &run,
        "appended T1-N1.3 past a gap: its log ends before index 1",
    );
}

#[test]
fn an_append_over_another_entry_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(
        2,
        Observation::Appended {
            entries: vec![normal(id(1, 1, 1), 1)],
        },
    );
    run.emit(
        2,
        Observation::Appended {
            entries: vec![normal(id(2, 3, 1), 2)],
        },
    );
    fires(
        &run,
        "appended T2-N3.1 over T1-N1.1 without truncating it first",
    );
}

#[test]
fn applying_an_entry_the_log_never_held_fires() {
    let mut run = ClusterRun::new(3);
    assert!(run.elect(1));
    run.propose();
    assert!(run.replicate(2));
    assert!(run.commit());
    run.emit(
        3,
        Observation::Applied {
            entry: normal(id(1, 1, 1), 999),
        },
    );
    let v = of(&run, Property::Observation);
    assert!(
        v.iter().any(|v| v
            .message
            .contains("applied T1-N1.1 (digest 0x3e7), which its log does not hold")),
        "{v:#?}"
    );
}

#[test]
fn a_purge_no_snapshot_covers_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(2, Observation::Purged { upto: id(0, 0, 0) });
    fires(
        &run,
        "purged its log up to T0-N0.0, which no snapshot of it covers",
    );
}

#[test]
fn a_snapshot_beyond_what_was_applied_fires() {
    let mut run = ClusterRun::new(3);
    let snapshot = SnapshotRef {
        last: Some(id(0, 0, 0)),
        membership_log_id: Some(id(0, 0, 0)),
        membership: run.membership.clone(),
    };
    run.emit(2, Observation::SnapshotBuilt { snapshot });
    fires(
        &run,
        "built a snapshot up to T0-N0.0, beyond what it applied (nothing)",
    );
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::Observation).is_empty());
    }
}
