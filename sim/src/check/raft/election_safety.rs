//! Election safety (Ongaro & Ousterhout 2014, §5.2, Figure 3): at most one leader can be
//! elected under one leader identity, and the votes that make that true never go back.
//!
//! What a "leader identity" is depends on the Raft implementation ([`LeaderIdentity`]). In
//! standard Raft it is the term: two nodes evidenced as leaders of one term are two leaders. A
//! leader is evidenced by a node reporting itself leader of a term, or by any running node
//! reporting which node leads its current term (a follower learns that only from the leader's
//! own messages).
//!
//! openraft 0.9 by default identifies a leader by (term, node id): a node that granted a vote to
//! candidate `a` in term `t` may later grant one to `b > a` in the same term, so several nodes
//! can lead one term, one after another, each outranking the last. Two leaders of one term are
//! then normal, and what makes a leader unique is that no node's vote ever moves backwards.
//! That holds in either mode and is checked in both: every node's persisted vote, sampled over
//! the run and across restarts (the vote is persistent state), never decreases. A vote lost in a
//! crash, or granted to a lower-ranked candidate, is what lets two leaders both gather a quorum.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::by_time;
use crate::check::observation::{MetricsSample, NodeId, Role, SampledVote};
use crate::check::violation::{Property, Violation};
use crate::history::Time;

/// What the Raft implementation under test guarantees to be unique to one leader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaderIdentity {
    /// Standard Raft (openraft with `single-term-leader`): one leader per term.
    Term,
    /// openraft 0.9's default: a leader is (term, node id), so one term may see several.
    #[default]
    TermAndNode,
}

/// Violations in time order of evidence: votes that went back (both identities), and, for
/// [`LeaderIdentity::Term`], one violation per term with more than one leader.
pub fn check_election_safety(
    samples: &[MetricsSample],
    identity: LeaderIdentity,
) -> Vec<Violation> {
    let mut violations = check_votes_never_go_back(samples);
    if identity == LeaderIdentity::Term {
        violations.extend(check_one_leader_per_term(samples));
    }
    violations
}

/// One violation per decrease between consecutive vote samples of a node.
fn check_votes_never_go_back(samples: &[MetricsSample]) -> Vec<Violation> {
    let mut last: BTreeMap<NodeId, (Time, SampledVote)> = BTreeMap::new();
    let mut violations = Vec::new();
    for i in by_time(samples, |s| s.at) {
        let s = &samples[i];
        let Some(vote) = s.vote.filter(|_| s.role != Role::Shutdown) else {
            continue;
        };
        if let Some(&(at, before)) = last.get(&s.node)
            && vote < before
        {
            let message = format!(
                "node {}'s vote went back from {} (at {at}) to {} (at {}): a node that takes \
                 back a vote can help elect two leaders",
                s.node,
                show_vote(before),
                show_vote(vote),
                s.at
            );
            let nodes = [Some(s.node), before.node, vote.node].into_iter().flatten();
            violations.push(
                Violation::new(Property::ElectionSafety, message)
                    .with_nodes(nodes)
                    .at(s.at),
            );
        }
        last.insert(s.node, (s.at, vote));
    }
    violations
}

fn show_vote(v: SampledVote) -> String {
    let whom = v.node.map_or("nobody".to_string(), |n| format!("node {n}"));
    let state = if v.committed { "elected" } else { "granted" };
    format!("term {} for {whom} ({state})", v.term)
}

/// The first evidence of a leader: when, and which node reported it.
#[derive(Debug, Clone, Copy)]
struct Claim {
    at: Time,
    reporter: NodeId,
}

/// One violation per term with more than one leader.
fn check_one_leader_per_term(samples: &[MetricsSample]) -> Vec<Violation> {
    let mut leaders: BTreeMap<u64, BTreeMap<NodeId, Claim>> = BTreeMap::new();
    for i in by_time(samples, |s| s.at) {
        let s = &samples[i];
        if s.role == Role::Shutdown {
            continue;
        }
        let term = leaders.entry(s.term).or_default();
        let claim = Claim {
            at: s.at,
            reporter: s.node,
        };
        if s.role == Role::Leader {
            term.entry(s.node).or_insert(claim);
        }
        if let Some(leader) = s.leader {
            term.entry(leader).or_insert(claim);
        }
    }
    let mut violations = Vec::new();
    for (term, claims) in leaders {
        if claims.len() < 2 {
            continue;
        }
        let mut evidence: Vec<(NodeId, Claim)> = claims.into_iter().collect();
        evidence.sort_by_key(|(node, c)| (c.at, *node));
        // The violation exists from the moment the second leader is evidenced.
        let at = evidence[1].1.at;
        let shown: Vec<String> = evidence
            .iter()
            .map(|(node, c)| {
                if *node == c.reporter {
                    format!("node {node} (itself, at {})", c.at)
                } else {
                    format!("node {node} (reported by node {}, at {})", c.reporter, c.at)
                }
            })
            .collect();
        let message = format!(
            "term {term} has {} leaders: {}",
            evidence.len(),
            shown.join(", ")
        );
        let nodes = evidence.iter().flat_map(|(node, c)| [*node, c.reporter]);
        violations.push(
            Violation::new(Property::ElectionSafety, message)
                .with_nodes(nodes)
                .at(at),
        );
    }
    violations
}
