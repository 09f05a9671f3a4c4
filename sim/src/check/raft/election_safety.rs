//! Election safety (Ongaro & Ousterhout 2014, §5.2, Figure 3): at most one leader can be
//! elected in a given term.
//!
//! A leader is evidenced by a node reporting itself leader of a term, or by any running node
//! reporting which node leads its current term (a follower learns that only from the leader's
//! own messages). Two different nodes so evidenced for one term are two leaders.

use std::collections::BTreeMap;

use super::by_time;
use crate::check::observation::{MetricsSample, NodeId, Role};
use crate::check::violation::{Property, Violation};
use crate::history::Time;

/// The first evidence of a leader: when, and which node reported it.
#[derive(Debug, Clone, Copy)]
struct Claim {
    at: Time,
    reporter: NodeId,
}

/// One violation per term with more than one leader.
pub fn check_election_safety(samples: &[MetricsSample]) -> Vec<Violation> {
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
