//! Generated histories: every history of the correct model cluster is clean for every check,
//! and any sequence of arbitrary events yields violations, never a panic.

use faultline_sim::check::observation::{
    EntryKind, EntryRef, LogRef, MembershipRef, Observation, RaftEvent, SnapshotRef, VoteRef,
};
use faultline_sim::check::raft::{LeaderIdentity, RaftObservations, check_raft};
use faultline_sim::check::violation::{Property, Violation};
use proptest::prelude::*;

use super::cluster_run::{ClusterRun, Step};

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0u64..7).prop_map(Step::Elect),
        4 => Just(Step::Propose),
        5 => (0u64..7).prop_map(Step::Replicate),
        3 => Just(Step::Commit),
        3 => (0u64..7).prop_map(Step::Apply),
        1 => (0u64..7, 0u64..4).prop_map(|(n, k)| Step::Snapshot(n, k)),
        1 => (0u64..7).prop_map(Step::Crash),
    ]
}

/// Correct runs of 3 or 5 nodes, each starting with an election.
pub fn correct_run() -> impl Strategy<Value = ClusterRun> {
    (
        prop_oneof![Just(3u64), Just(5u64)],
        proptest::collection::vec(step(), 0..120),
    )
        .prop_map(|(n, mut steps)| {
            steps.insert(0, Step::Elect(0));
            ClusterRun::play(n, &steps)
        })
}

/// The violations of `property` in a correct run (there must be none).
pub fn of(run: &ClusterRun, property: Property) -> Vec<Violation> {
    check_raft(&run.observations(LeaderIdentity::TermAndNode))
        .into_iter()
        .filter(|v| v.property == property)
        .collect()
}

fn log_ref() -> impl Strategy<Value = LogRef> {
    (0u64..4, 0u64..4, 0u64..8).prop_map(|(term, leader, index)| LogRef {
        term,
        leader,
        index,
    })
}

fn vote_ref() -> impl Strategy<Value = VoteRef> {
    (0u64..4, proptest::option::of(0u64..4), any::<bool>()).prop_map(|(term, node, committed)| {
        VoteRef {
            term,
            node,
            committed,
        }
    })
}

fn membership() -> impl Strategy<Value = MembershipRef> {
    proptest::collection::vec(proptest::collection::vec(0u64..5, 0..4), 0..3).prop_map(|configs| {
        MembershipRef {
            configs,
            learners: vec![],
        }
    })
}

fn entry() -> impl Strategy<Value = EntryRef> {
    (log_ref(), 0u64..3, proptest::option::of(membership())).prop_map(|(log_id, digest, m)| {
        EntryRef {
            log_id,
            digest,
            kind: match m {
                Some(membership) => EntryKind::Membership { membership },
                None => EntryKind::Normal,
            },
        }
    })
}

fn snapshot() -> impl Strategy<Value = SnapshotRef> {
    (
        proptest::option::of(log_ref()),
        proptest::option::of(log_ref()),
        membership(),
    )
        .prop_map(|(last, membership_log_id, membership)| SnapshotRef {
            last,
            membership_log_id,
            membership,
        })
}

fn observation() -> impl Strategy<Value = Observation> {
    let entries = || proptest::collection::vec(entry(), 0..4);
    prop_oneof![
        (
            proptest::option::of(vote_ref()),
            proptest::option::of(log_ref()),
            proptest::option::of(log_ref()),
            entries()
        )
            .prop_map(
                |(vote, committed, purged, entries)| Observation::Recovered {
                    vote,
                    committed,
                    purged,
                    entries
                }
            ),
        snapshot().prop_map(|snapshot| Observation::SnapshotLoaded { snapshot }),
        vote_ref().prop_map(|vote| Observation::VoteSaved { vote }),
        entries().prop_map(|entries| Observation::Appended { entries }),
        log_ref().prop_map(|upto| Observation::Flushed { upto }),
        (0u64..8).prop_map(|since| Observation::Truncated { since }),
        log_ref().prop_map(|upto| Observation::Purged { upto }),
        log_ref().prop_map(|committed| Observation::CommittedSaved { committed }),
        entry().prop_map(|entry| Observation::Applied { entry }),
        snapshot().prop_map(|snapshot| Observation::SnapshotBuilt { snapshot }),
        snapshot().prop_map(|snapshot| Observation::SnapshotReceived { snapshot }),
        snapshot().prop_map(|snapshot| Observation::SnapshotInstalled { snapshot }),
        (proptest::option::of(log_ref()), membership()).prop_map(|(log_id, membership)| {
            Observation::MembershipInEffect { log_id, membership }
        }),
    ]
}

fn garbage() -> impl Strategy<Value = RaftObservations> {
    (
        proptest::collection::vec((0u64..4, 1u32..3, observation()), 0..60),
        any::<bool>(),
    )
        .prop_map(|(events, term_only)| RaftObservations {
            events: events
                .into_iter()
                .enumerate()
                .map(|(i, (node, incarnation, event))| RaftEvent {
                    at: i as u64,
                    node,
                    incarnation,
                    event,
                })
                .collect(),
            identity: if term_only {
                LeaderIdentity::Term
            } else {
                LeaderIdentity::TermAndNode
            },
            promises: if term_only {
                faultline_sim::check::raft::Promises::raft_io()
            } else {
                Default::default()
            },
            end: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A correct Raft's history is clean for every check.
    #[test]
    fn a_correct_history_is_clean(run in correct_run()) {
        let v = check_raft(&run.observations(LeaderIdentity::TermAndNode));
        prop_assert!(v.is_empty(), "{v:#?}");
    }

    /// Corrupt reports are violations, never a panic, and never more than the cap per property.
    #[test]
    fn garbage_never_panics(obs in garbage()) {
        let v = check_raft(&obs);
        let mut per: std::collections::BTreeMap<Property, usize> = Default::default();
        for x in &v {
            *per.entry(x.property).or_default() += 1;
        }
        prop_assert!(per.values().all(|n| *n <= faultline_sim::check::raft::MAX_PER_PROPERTY + 1));
    }
}
