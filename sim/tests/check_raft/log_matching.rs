//! Log matching: one log id held with two payloads fires, so does one log id held after two
//! different predecessors.

use faultline_sim::check::observation::Observation;
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, id, normal};
use super::generated::{correct_run, of};

#[test]
fn one_log_id_with_two_payloads_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(
        2,
        Observation::Appended {
            entries: vec![normal(id(1, 1, 1), 10)],
        },
    );
    run.emit(
        3,
        Observation::Appended {
            entries: vec![normal(id(1, 1, 1), 11)],
        },
    );
    let v = of(&run, Property::LogMatching);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(v[0].message.contains("holds T1-N1.1 with payload digest 0x000000000000000b, but node 2 held it with 0x000000000000000a"), "{}", v[0]);
    assert_eq!(v[0].nodes, [3]);
}

#[test]
fn one_log_id_after_two_predecessors_fires() {
    let mut run = ClusterRun::new(3);
    run.emit(
        2,
        Observation::Appended {
            entries: vec![normal(id(1, 1, 1), 1), normal(id(1, 1, 2), 2)],
        },
    );
    run.emit(
        3,
        Observation::Appended {
            entries: vec![normal(id(1, 2, 1), 3), normal(id(1, 1, 2), 2)],
        },
    );
    let v = of(&run, Property::LogMatching);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert!(
        v[0].message
            .contains("holds T1-N1.2 after T1-N2.1, but node 2 held it after T1-N1.1"),
        "{}",
        v[0]
    );
}

proptest! {
    #[test]
    fn silent_on_a_correct_history(run in correct_run()) {
        prop_assert!(of(&run, Property::LogMatching).is_empty());
    }
}
