//! Raft invariants: two leaders in a term, regressing term / commit / applied, conflicting
//! committed entries and a leader missing a committed entry are each reported with the right
//! property and nodes; a generated run with one leader per term, monotonic counters (reset
//! only by restarts) and one log is clean.

use std::collections::BTreeMap;

use faultline_sim::check::observation::{CommittedEntry, MetricsSample, Role, SampledVote};
use faultline_sim::check::raft::{
    LeaderIdentity, RaftObservations, check_election_safety, check_leader_completeness,
    check_log_matching, check_monotonic, check_raft, check_state_machine_safety,
};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::support::*;

fn counters(mut s: MetricsSample, committed: Option<u64>, applied: Option<u64>) -> MetricsSample {
    s.committed = committed;
    s.last_applied = applied;
    s
}

fn entry(
    at: u64,
    node: u64,
    index: u64,
    term: u64,
    node_term: u64,
    digest: Option<u64>,
) -> CommittedEntry {
    CommittedEntry {
        at,
        node,
        index,
        term,
        node_term,
        digest,
    }
}

#[test]
fn two_leaders_in_a_term_are_reported() {
    let samples = [
        sample(10, 1, 3, Role::Leader, Some(1)),
        sample(12, 2, 3, Role::Follower, Some(1)),
        sample(20, 2, 3, Role::Leader, Some(2)),
        sample(30, 3, 4, Role::Leader, Some(3)),
    ];
    let v = check_election_safety(&samples, LeaderIdentity::Term);
    let v = only(&v, Property::ElectionSafety);
    assert_eq!(v.nodes, [1, 2]);
    assert_eq!(v.at, Some(20), "visible when the second leader appears");
    assert!(v.message.starts_with("term 3 has 2 leaders"), "{v}");
}

#[test]
fn followers_naming_different_leaders_of_one_term_are_two_leaders() {
    let samples = [
        sample(10, 1, 5, Role::Follower, Some(2)),
        sample(11, 3, 5, Role::Follower, Some(4)),
    ];
    let v = check_election_safety(&samples, LeaderIdentity::Term);
    assert_eq!(
        only(&v, Property::ElectionSafety).nodes,
        [1, 2, 3, 4],
        "claimed leaders and their reporters"
    );
}

fn voted(mut s: MetricsSample, term: u64, node: u64, committed: bool) -> MetricsSample {
    s.vote = Some(SampledVote {
        term,
        node: Some(node),
        committed,
    });
    s
}

#[test]
fn leaders_of_one_term_taking_turns_are_normal_when_leaders_are_term_and_node() {
    // openraft 0.9's default: node 2 outranks node 1 in term 3, and every vote only grows.
    let samples = [
        voted(sample(10, 1, 3, Role::Leader, Some(1)), 3, 1, true),
        voted(sample(12, 2, 3, Role::Follower, Some(1)), 3, 1, true),
        voted(sample(20, 2, 3, Role::Leader, Some(2)), 3, 2, true),
        voted(sample(21, 3, 3, Role::Follower, Some(2)), 3, 2, true),
    ];
    assert!(check_election_safety(&samples, LeaderIdentity::TermAndNode).is_empty());
    let term_mode = check_election_safety(&samples, LeaderIdentity::Term);
    assert_eq!(only(&term_mode, Property::ElectionSafety).nodes, [1, 2]);
}

#[test]
fn a_vote_that_goes_back_is_reported_in_both_modes() {
    // Node 3 granted node 2 in term 3, then (a restart lost the vote) granted node 1.
    let samples = [
        voted(sample(10, 3, 3, Role::Follower, Some(2)), 3, 2, true),
        sample(15, 3, 3, Role::Shutdown, None),
        voted(sample(20, 3, 3, Role::Follower, None), 3, 1, false),
        voted(sample(30, 3, 4, Role::Follower, None), 4, 1, false),
    ];
    for identity in [LeaderIdentity::Term, LeaderIdentity::TermAndNode] {
        let v = check_election_safety(&samples, identity);
        let v = only(&v, Property::ElectionSafety);
        assert_eq!(v.nodes, [1, 2, 3]);
        assert_eq!(v.at, Some(20));
        assert!(v.message.contains("vote went back"), "{v}");
    }
}

#[test]
fn shutdown_samples_claim_nothing() {
    let samples = [
        sample(10, 1, 5, Role::Leader, Some(1)),
        sample(11, 2, 5, Role::Shutdown, Some(2)),
    ];
    assert!(check_election_safety(&samples, LeaderIdentity::Term).is_empty());
}

#[test]
fn term_never_goes_back_even_across_a_restart() {
    let samples = [
        sample(10, 1, 4, Role::Follower, None),
        sample(30, 1, 3, Role::Follower, None),
    ];
    let v = check_monotonic(&samples, &[(1, 20)]);
    let v = only(&v, Property::MonotonicTerm);
    assert_eq!((v.nodes.as_slice(), v.at), (&[1][..], Some(30)));
    assert!(
        v.message.contains("went back from 4 (at 10) to 3 (at 30)"),
        "{v}"
    );
}

#[test]
fn commit_and_applied_may_reset_only_at_a_restart() {
    let samples = [
        counters(sample(10, 1, 2, Role::Follower, None), Some(8), Some(7)),
        counters(sample(20, 1, 2, Role::Follower, None), Some(6), Some(5)),
        counters(sample(30, 2, 2, Role::Follower, None), Some(8), Some(8)),
    ];
    let v = check_monotonic(&samples, &[]);
    let properties: Vec<Property> = v.iter().map(|v| v.property).collect();
    assert_eq!(
        properties,
        [Property::MonotonicCommit, Property::MonotonicApplied]
    );
    assert!(
        v.iter().all(|v| v.nodes == [1] && v.at == Some(20)),
        "{v:#?}"
    );
    // The same values with node 1 restarted in between are fine; a restart of node 2 is not.
    assert!(check_monotonic(&samples, &[(1, 15)]).is_empty());
    assert_eq!(check_monotonic(&samples, &[(2, 15)]).len(), 2);
    // Losing the commit index entirely within an incarnation is a regression too.
    let lost = [
        counters(sample(10, 1, 2, Role::Follower, None), Some(3), None),
        sample(11, 1, 2, Role::Follower, None),
    ];
    assert_eq!(
        only(&check_monotonic(&lost, &[]), Property::MonotonicCommit).at,
        Some(11)
    );
}

#[test]
fn a_regression_is_reported_once_however_long_it_lasts() {
    let samples: Vec<MetricsSample> = [5, 3, 3, 3, 4]
        .iter()
        .enumerate()
        .map(|(i, t)| sample(i as u64, 1, *t, Role::Follower, None))
        .collect();
    assert_eq!(
        only(&check_monotonic(&samples, &[]), Property::MonotonicTerm).at,
        Some(1)
    );
}

#[test]
fn different_terms_committed_at_one_index_violate_state_machine_safety() {
    let entries = [
        entry(10, 1, 7, 2, 2, None),
        entry(15, 2, 7, 3, 3, None),
        entry(20, 3, 7, 2, 3, None),
    ];
    let v = check_state_machine_safety(&entries);
    let v = only(&v, Property::StateMachineSafety);
    assert_eq!((v.nodes.as_slice(), v.at), (&[1, 2][..], Some(15)));
    assert!(
        check_log_matching(&entries).is_empty(),
        "no digests, nothing to compare"
    );
}

#[test]
fn different_payloads_at_one_index_and_term_violate_log_matching() {
    let entries = [
        entry(10, 1, 7, 2, 2, Some(0xaa)),
        entry(12, 2, 7, 2, 2, Some(0xaa)),
        entry(15, 3, 7, 2, 2, Some(0xbb)),
    ];
    let v = check_log_matching(&entries);
    let v = only(&v, Property::LogMatching);
    assert_eq!((v.nodes.as_slice(), v.at), (&[1, 3][..], Some(15)));
    assert!(check_state_machine_safety(&entries).is_empty());
}

#[test]
fn a_leader_missing_an_earlier_committed_entry_violates_leader_completeness() {
    let mut leader = sample(50, 3, 6, Role::Leader, Some(3));
    leader.last_log_index = Some(6);
    // Entry 9 was reported committed by node 1 while in term 5, so term 6's leader needs it.
    let entries = [entry(40, 1, 9, 4, 5, None), entry(41, 1, 3, 1, 5, None)];
    let v = check_leader_completeness(std::slice::from_ref(&leader), &entries);
    let v = only(&v, Property::LeaderCompleteness);
    assert_eq!((v.nodes.as_slice(), v.at), (&[1, 3][..], Some(50)));
    assert!(
        v.message
            .contains("entry 9 of term 4 was committed by term 5"),
        "{v}"
    );
    // An entry reported only in term 6 or later may have been committed in term 6: no claim.
    let later = [entry(40, 1, 9, 4, 6, None)];
    assert!(check_leader_completeness(std::slice::from_ref(&leader), &later).is_empty());
    leader.last_log_index = Some(9);
    assert!(check_leader_completeness(std::slice::from_ref(&leader), &entries).is_empty());
}

/// A step of a generated correct run.
#[derive(Debug, Clone)]
enum Step {
    /// A new term begins, led by the node (or by none if out of range).
    Elect(u64),
    /// The current leader appends an entry.
    Append,
    /// The current leader commits up to this many more entries.
    Commit(u64),
    /// The node adopts the current term (and learns the commit index if there is a leader).
    Catch(u64),
    /// The node reports its metrics and, picked by the number, one committed entry.
    Sample(u64, u64),
    /// The node crashes and restarts, its volatile counters back to a fraction of what they were.
    Restart(u64, u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..4).prop_map(Step::Elect),
        Just(Step::Append),
        (1u64..4).prop_map(Step::Commit),
        (0u64..3).prop_map(Step::Catch),
        (0u64..3, any::<u64>()).prop_map(|(n, x)| Step::Sample(n, x)),
        (0u64..3, 0u64..=100).prop_map(|(n, x)| Step::Restart(n, x)),
    ]
}

#[derive(Debug, Clone, Copy, Default)]
struct Node {
    term: u64,
    committed: Option<u64>,
    applied: Option<u64>,
}

/// Runs `steps` on a 3-node cluster with one shared log (so leaders hold every entry).
fn run(steps: &[Step]) -> RaftObservations {
    let mut obs = RaftObservations::default();
    let mut nodes = [Node::default(); 3];
    let mut term = 0u64;
    let mut leaders: BTreeMap<u64, u64> = BTreeMap::new();
    let mut log: Vec<u64> = Vec::new(); // log[i - 1] is entry i's term
    let mut commit = 0u64;
    for (t, step) in steps.iter().enumerate() {
        let at = 10 * t as u64;
        let leader = leaders.get(&term).copied();
        match *step {
            Step::Elect(n) => {
                term += 1;
                if n < 3 {
                    leaders.insert(term, n);
                    nodes[n as usize].term = term;
                }
            }
            Step::Append if leader.is_some() => log.push(term),
            Step::Commit(k) => {
                if let Some(l) = leader.filter(|l| nodes[*l as usize].term == term) {
                    commit = (commit + k).min(log.len() as u64).max(commit);
                    let n = &mut nodes[l as usize];
                    n.committed = n.committed.max(Some(commit).filter(|c| *c > 0));
                }
            }
            Step::Catch(n) => {
                let node = &mut nodes[n as usize];
                node.term = term;
                if leader.is_some() && commit > 0 {
                    node.committed = node.committed.max(Some(commit));
                }
                node.applied = node
                    .applied
                    .max(node.committed.map(|c| c / 2))
                    .min(node.committed);
            }
            Step::Sample(n, x) => {
                let node = nodes[n as usize];
                let leads = leaders.get(&node.term) == Some(&n);
                let role = if leads {
                    Role::Leader
                } else {
                    [Role::Follower, Role::Candidate][(x % 2) as usize]
                };
                let known = leaders
                    .get(&node.term)
                    .copied()
                    .filter(|_| x % 3 != 0 && role != Role::Candidate);
                let last_log = if leads {
                    log.len() as u64
                } else {
                    x % (log.len() as u64 + 1)
                };
                obs.samples.push(MetricsSample {
                    at,
                    node: n,
                    term: node.term,
                    role,
                    leader: if leads { Some(n) } else { known },
                    last_log_index: (last_log > 0).then_some(last_log),
                    committed: node.committed,
                    last_applied: node.applied,
                    // A node votes once per term, for that term's leader (if it has one yet).
                    vote: Some(SampledVote {
                        term: node.term,
                        node: leaders.get(&node.term).copied(),
                        committed: false,
                    }),
                });
                if let Some(c) = node.committed {
                    let index = 1 + x % c;
                    let entry_term = log[index as usize - 1];
                    let digest = Some(index * 1000 + entry_term);
                    obs.committed.push(CommittedEntry {
                        at,
                        node: n,
                        index,
                        term: entry_term,
                        node_term: node.term,
                        digest,
                    });
                }
            }
            Step::Restart(n, x) => {
                let node = &mut nodes[n as usize];
                node.committed = node.committed.map(|c| c * x / 100).filter(|c| *c > 0);
                node.applied = node.applied.min(node.committed);
                obs.restarts.push((n, at));
            }
            Step::Append => {}
        }
    }
    obs
}

proptest! {
    #[test]
    fn correct_runs_are_clean(steps in prop::collection::vec(step(), 1..150)) {
        for identity in [LeaderIdentity::Term, LeaderIdentity::TermAndNode] {
            let obs = RaftObservations { leader_identity: identity, ..run(&steps) };
            let v = check_raft(&obs);
            prop_assert!(v.is_empty(), "{:#?}\n{:#?}", v, obs);
        }
    }

    /// The same run with a second leader planted in a term that has one is reported, where the
    /// implementation promises one leader per term.
    #[test]
    fn planted_second_leader_fires(steps in prop::collection::vec(step(), 1..150), pick in any::<prop::sample::Index>()) {
        let mut obs = RaftObservations { leader_identity: LeaderIdentity::Term, ..run(&steps) };
        let leaders: Vec<&MetricsSample> = obs.samples.iter().filter(|s| s.role == Role::Leader).collect();
        prop_assume!(!leaders.is_empty());
        let mut intruder = (*pick.get(&leaders)).clone();
        intruder.node = 7;
        intruder.leader = Some(7);
        let term = intruder.term;
        intruder.vote = None;
        obs.samples.push(intruder);
        let v = check_raft(&obs);
        prop_assert_eq!(v.len(), 1, "{:#?}", v);
        prop_assert_eq!(v[0].property, Property::ElectionSafety);
        let prefix = format!("term {term} ");
        prop_assert!(v[0].nodes.contains(&7) && v[0].message.starts_with(&prefix), "{}", v[0]);
    }

    /// The same run with one node's vote planted lower than one it had before is reported.
    #[test]
    fn planted_vote_regression_fires(steps in prop::collection::vec(step(), 1..150), pick in any::<prop::sample::Index>()) {
        let mut obs = run(&steps);
        let voted: Vec<MetricsSample> = obs.samples.iter().filter(|s| s.role != Role::Shutdown && s.vote.is_some_and(|v| v.term > 0)).cloned().collect();
        prop_assume!(!voted.is_empty());
        let mut forgetful = pick.get(&voted).clone();
        let latest = obs.samples.iter().map(|s| s.at).max().unwrap_or(0);
        forgetful.at = latest + 1;
        forgetful.vote = Some(SampledVote { term: 0, node: None, committed: false });
        forgetful.term = obs.samples.iter().filter(|s| s.node == forgetful.node).map(|s| s.term).max().unwrap_or(0);
        forgetful.role = Role::Follower;
        forgetful.leader = None;
        obs.samples.push(forgetful);
        let v = check_raft(&obs);
        prop_assert!(v.iter().any(|v| v.property == Property::ElectionSafety && v.message.contains("vote went back")), "{:#?}", v);
    }
}
