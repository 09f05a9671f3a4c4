//! Convergence: replicas at the same applied index with different states are reported with
//! both nodes and the differing keys; replicas at different indices may differ; replicas that
//! applied prefixes of one execution are clean.

use faultline_sim::check::convergence::{SHOWN_KEYS, check_convergence};
use faultline_sim::check::observation::{NodeObservation, ObservationError};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::gen_register::{execution, op_spec};
use super::support::*;

#[test]
fn divergent_replicas_at_one_index_are_reported_with_the_differing_keys() {
    let replicas = [
        replica(3, 7, &[("a", "v1"), ("b", "v2"), ("c", "v3")]),
        replica(1, 7, &[("a", "v1"), ("b", "v9")]),
        replica(2, 5, &[]),
    ];
    let v = check_convergence(&replicas).unwrap();
    let v = only(&v, Property::Convergence);
    assert_eq!(v.nodes, [1, 3]);
    assert_eq!(v.keys, ["b", "c"]);
    assert!(
        v.message.contains("\"b\": \"v9\" vs \"v2\"")
            && v.message.contains("\"c\": absent vs \"v3\""),
        "{v}"
    );
}

#[test]
fn each_divergent_replica_is_compared_with_the_lowest_node() {
    let replicas = [
        replica(1, 4, &[("a", "x")]),
        replica(2, 4, &[("a", "y")]),
        replica(3, 4, &[("a", "x")]),
    ];
    let v = check_convergence(&replicas).unwrap();
    assert_eq!(only(&v, Property::Convergence).nodes, [1, 2]);
    let all_differ = [
        replica(1, 4, &[("a", "x")]),
        replica(2, 4, &[("a", "y")]),
        replica(3, 4, &[("a", "z")]),
    ];
    let v = check_convergence(&all_differ).unwrap();
    let pairs: Vec<&[u64]> = v.iter().map(|v| v.nodes.as_slice()).collect();
    assert_eq!(pairs, [&[1, 2][..], &[1, 3][..]]);
}

#[test]
fn many_differing_keys_are_capped() {
    let a: Vec<(String, String)> = (0..20)
        .map(|i| (format!("k{i:02}"), "x".to_string()))
        .collect();
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let v = check_convergence(&[replica(1, 9, &a), replica(2, 9, &[])]).unwrap();
    let v = only(&v, Property::Convergence);
    assert_eq!(v.keys.len(), SHOWN_KEYS);
    assert!(
        v.message.contains("differ in 20 key(s)") && v.message.contains("and 15 more"),
        "{v}"
    );
}

#[test]
fn duplicate_nodes_are_an_error() {
    assert_eq!(
        check_convergence(&[replica(4, 1, &[]), replica(4, 1, &[])]),
        Err(ObservationError::DuplicateNode { node: 4 })
    );
}

proptest! {
    /// Replicas that each applied some prefix of one execution agree wherever their applied
    /// indices match, and a planted difference between two of them at one index is reported.
    #[test]
    fn prefixes_of_one_execution_converge(
        specs in prop::collection::vec(op_spec(), 1..60),
        prefixes in prop::collection::vec(0usize..=100, 2..6),
    ) {
        let exec = execution(&specs);
        let n = exec.effects.len();
        let mut replicas: Vec<NodeObservation> = prefixes
            .iter()
            .enumerate()
            .map(|(node, p)| {
                let applied = p * n / 100;
                NodeObservation { node: node as u64, last_applied: Some(applied as u64), state: exec.state_after(applied), collections: Default::default() }
            })
            .collect();
        prop_assert!(check_convergence(&replicas).unwrap().is_empty());
        // Plant: the last replica becomes a twin of the first with one extra key.
        let mut twin = replicas[0].clone();
        twin.node = 99;
        twin.state.insert("planted".into(), "x".into());
        replicas.push(twin);
        let v = check_convergence(&replicas).unwrap();
        prop_assert_eq!(v.len(), 1);
        prop_assert_eq!(&v[0].nodes, &[0, 99]);
        prop_assert_eq!(&v[0].keys, &["planted".to_string()]);
    }
}
