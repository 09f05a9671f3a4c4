//! Liveness after healing: no agreed leader, unconverged replicas and failed or late probes are
//! each reported; a cluster that settles on one leader before the deadline, converges and
//! serves its probes is clean, whatever it did before settling.

use faultline_sim::check::liveness::{LivenessError, LivenessObservation, check_liveness};
use faultline_sim::check::observation::{MetricsSample, Role};
use faultline_sim::check::violation::Property;
use faultline_sim::history::{History, Operation};
use proptest::prelude::*;

use super::support::*;

const HEAL: u64 = 1_000;
const DEADLINE: u64 = 5_000;

/// Probes: a write (index 1) and a read (index 2) after the heal, both ok; index 0 is from
/// before the heal and not a probe.
fn history() -> History {
    History::new(vec![
        write(0, "k", "v0", 10, 20),
        write(0, "k", "p1", 1_500, 1_600),
        read(1, "k", Some("p1"), 1_700, 1_800),
    ])
}

/// Three live nodes agreeing on leader 2 in term 4 at 2000.
fn healthy() -> LivenessObservation {
    LivenessObservation {
        healed_at: HEAL,
        deadline: DEADLINE,
        live: vec![1, 2, 3],
        samples: vec![
            sample(500, 1, 3, Role::Leader, Some(1)),
            sample(1_100, 1, 4, Role::Candidate, None),
            sample(2_000, 1, 4, Role::Follower, Some(2)),
            sample(2_000, 2, 4, Role::Leader, Some(2)),
            sample(2_000, 3, 4, Role::Follower, Some(2)),
        ],
        final_observations: vec![replica(1, 9, &[]), replica(2, 9, &[]), replica(3, 9, &[])],
        probes: vec![1, 2],
    }
}

#[test]
fn a_healthy_liveness_phase_is_clean() {
    assert_eq!(check_liveness(&healthy(), &history()), Ok(vec![]));
}

#[test]
fn no_leader_after_healing_is_reported() {
    let mut o = healthy();
    o.samples = vec![
        sample(500, 1, 3, Role::Leader, Some(1)),
        sample(2_000, 1, 9, Role::Candidate, None),
        sample(2_000, 2, 9, Role::Follower, None),
        sample(2_000, 3, 8, Role::Candidate, None),
    ];
    let v = check_liveness(&o, &history()).unwrap();
    let v = only(&v, Property::Liveness);
    assert_eq!((v.nodes.as_slice(), v.at), (&[1, 2, 3][..], Some(DEADLINE)));
    assert!(
        v.message.contains("no single leader") && v.message.contains("node 3: candidate in term 8"),
        "{v}"
    );
}

#[test]
fn a_leader_seen_only_before_the_heal_or_after_the_deadline_does_not_count() {
    let mut o = healthy();
    for s in &mut o.samples {
        if s.at == 2_000 {
            s.at = DEADLINE + 1;
        }
    }
    assert_eq!(
        only(&check_liveness(&o, &history()).unwrap(), Property::Liveness).nodes,
        [1, 2, 3]
    );
}

#[test]
fn nodes_disagreeing_on_the_leader_are_not_settled() {
    let mut o = healthy();
    o.samples.push(sample(2_000, 3, 4, Role::Follower, Some(1)));
    assert!(
        only(&check_liveness(&o, &history()).unwrap(), Property::Liveness)
            .message
            .contains("no single leader")
    );
    // A node still in an older term is not settled either.
    let mut o = healthy();
    o.samples.push(sample(2_000, 3, 3, Role::Follower, Some(2)));
    assert_eq!(check_liveness(&o, &history()).unwrap().len(), 1);
    // A leader named by followers but not leading itself is not a leader.
    let mut o = healthy();
    o.samples.push(sample(2_000, 2, 4, Role::Follower, Some(2)));
    assert_eq!(check_liveness(&o, &history()).unwrap().len(), 1);
}

#[test]
fn agreement_is_judged_per_instant_after_all_its_samples() {
    // At 2000 node 3 first disagrees, then (same instant) agrees: the instant counts as settled.
    let mut o = healthy();
    o.samples
        .insert(4, sample(2_000, 3, 4, Role::Follower, Some(1)));
    assert_eq!(check_liveness(&o, &history()), Ok(vec![]));
}

#[test]
fn unconverged_replicas_are_reported() {
    let mut o = healthy();
    o.final_observations[2].last_applied = Some(7);
    let v = check_liveness(&o, &history()).unwrap();
    let v = only(&v, Property::Liveness);
    assert!(
        v.message.contains("did not converge") && v.message.contains("node 3 at 7"),
        "{v}"
    );
}

#[test]
fn failed_timed_out_or_late_probes_are_reported() {
    let mut ops = history().ops;
    ops.push(Operation::fail(
        2,
        faultline_sim::history::Call::Read { key: key("k") },
        1_900,
        2_000,
    ));
    ops.push(Operation::info(
        3,
        faultline_sim::history::Call::Delete { key: key("k") },
        1_900,
        Some(4_000),
    ));
    ops.push(write(4, "k", "p2", 4_000, DEADLINE + 1));
    let mut o = healthy();
    o.probes.extend([3, 4, 5]);
    let v = check_liveness(&o, &History::new(ops)).unwrap();
    let v = only(&v, Property::Liveness);
    assert_eq!(v.ops, [3, 4, 5]);
    assert!(v.message.starts_with("3 of 5 probes"), "{v}");
    assert!(
        v.message.contains("failed at 2000") && v.message.contains("timed out at 4000"),
        "{v}"
    );
    assert!(
        v.message
            .contains(&format!("succeeded only at {}", DEADLINE + 1)),
        "{v}"
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let h = history();
    let mut o = healthy();
    o.deadline = HEAL - 1;
    assert_eq!(
        check_liveness(&o, &h),
        Err(LivenessError::DeadlineBeforeHeal {
            healed_at: HEAL,
            deadline: HEAL - 1
        })
    );
    let mut o = healthy();
    o.live.clear();
    assert_eq!(check_liveness(&o, &h), Err(LivenessError::NoLiveNodes));
    let mut o = healthy();
    o.probes = vec![1];
    assert_eq!(
        check_liveness(&o, &h),
        Err(LivenessError::MissingProbe { kind: "read" })
    );
    let mut o = healthy();
    o.probes.push(9);
    assert_eq!(
        check_liveness(&o, &h),
        Err(LivenessError::ProbeOutOfRange { index: 9, len: 3 })
    );
    let mut o = healthy();
    o.probes.push(0);
    assert_eq!(
        check_liveness(&o, &h),
        Err(LivenessError::ProbeBeforeHeal {
            index: 0,
            invoke: 10,
            healed_at: HEAL
        })
    );
    let mut o = healthy();
    o.final_observations.pop();
    assert_eq!(
        check_liveness(&o, &h),
        Err(LivenessError::MissingObservation { node: 3 })
    );
}

proptest! {
    /// Any chatter before the cluster settles (elections, candidates, unknown leaders, samples
    /// of dead nodes) and any leader changes after it leave a settled, converged, serving
    /// cluster clean.
    #[test]
    fn settling_before_the_deadline_is_clean(
        nodes in 1u64..6,
        noise in prop::collection::vec((0u64..8, 0u64..10, 0u8..4, HEAL - 500..DEADLINE + 500), 0..40),
        settle in HEAL..=DEADLINE,
        leader in 0u64..5,
        term in 1u64..10,
    ) {
        let live: Vec<u64> = (0..nodes).collect();
        let leader = leader % nodes;
        // Noise up to the settling instant (or anywhere, for nodes that are not live).
        let mut samples: Vec<MetricsSample> = noise
            .iter()
            .filter(|(node, _, _, at)| *at < settle || *node >= nodes)
            .map(|&(node, t, role, at)| {
                let role = [Role::Follower, Role::Candidate, Role::Learner, Role::Shutdown][role as usize];
                sample(at, node, t, role, None)
            })
            .collect();
        for &node in &live {
            let role = if node == leader { Role::Leader } else { Role::Follower };
            samples.push(sample(settle, node, term, role, Some(leader)));
            // Later, another election: allowed, the cluster already proved it can settle.
            samples.push(sample(settle + 1, node, term + 1, Role::Candidate, None));
        }
        let o = LivenessObservation {
            healed_at: HEAL,
            deadline: DEADLINE,
            live: live.clone(),
            samples,
            final_observations: live.iter().map(|&n| replica(n, 42, &[])).collect(),
            probes: vec![1, 2],
        };
        prop_assert_eq!(check_liveness(&o, &history()), Ok(vec![]));
    }
}
