//! Monotonic counters per node: the current term never decreases (it is persistent state,
//! Ongaro & Ousterhout 2014, §5.1 and Figure 2, so not even a restart may lower it); the commit
//! index and the applied index never decrease within one incarnation of a node (§5.3: committed
//! entries are durable and applied in order). They are volatile, so a node restarted after a
//! crash may start them afresh.

use std::collections::BTreeMap;

use super::by_time;
use crate::check::observation::{MetricsSample, NodeId, Role};
use crate::check::violation::{Property, Violation};
use crate::history::Time;

/// One violation per decrease between consecutive samples of a node (so one regression is
/// reported once, however long the node stays behind). `Shutdown` samples are skipped: a
/// stopped node's counters are not its own report.
pub fn check_monotonic(samples: &[MetricsSample], restarts: &[(NodeId, Time)]) -> Vec<Violation> {
    let mut restart_times: BTreeMap<NodeId, Vec<Time>> = BTreeMap::new();
    for &(node, at) in restarts {
        restart_times.entry(node).or_default().push(at);
    }
    let incarnation = |node: NodeId, at: Time| {
        restart_times
            .get(&node)
            .map_or(0, |times| times.iter().filter(|&&r| r <= at).count())
    };
    let mut previous: BTreeMap<NodeId, (&MetricsSample, usize)> = BTreeMap::new();
    let mut violations = Vec::new();
    for i in by_time(samples, |s| s.at) {
        let s = &samples[i];
        if s.role == Role::Shutdown {
            continue;
        }
        let life = incarnation(s.node, s.at);
        if let Some(&(prev, prev_life)) = previous.get(&s.node) {
            if s.term < prev.term {
                violations.push(regression(
                    Property::MonotonicTerm,
                    "term",
                    prev,
                    s,
                    Some(prev.term),
                    Some(s.term),
                ));
            }
            if life == prev_life {
                if s.committed < prev.committed {
                    violations.push(regression(
                        Property::MonotonicCommit,
                        "commit index",
                        prev,
                        s,
                        prev.committed,
                        s.committed,
                    ));
                }
                if s.last_applied < prev.last_applied {
                    violations.push(regression(
                        Property::MonotonicApplied,
                        "applied index",
                        prev,
                        s,
                        prev.last_applied,
                        s.last_applied,
                    ));
                }
            }
        }
        previous.insert(s.node, (s, life));
    }
    violations
}

fn regression(
    property: Property,
    what: &str,
    prev: &MetricsSample,
    cur: &MetricsSample,
    from: Option<u64>,
    to: Option<u64>,
) -> Violation {
    let show = |v: Option<u64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let message = format!(
        "node {}'s {what} went back from {} (at {}) to {} (at {})",
        cur.node,
        show(from),
        prev.at,
        show(to),
        cur.at
    );
    Violation::new(property, message)
        .with_nodes([cur.node])
        .at(cur.at)
}
