//! The plan transformations the shrinker tries: which faults form a window, a plan keeping
//! only some faults, a smaller cluster (with the faults fixed up to name only its nodes), and
//! the heal time a plan needs at the least. Pure functions of plans; whether a candidate still
//! fails is the oracle's business.

use faultline_sim::plan::{Fault, MAX_NODES, NodeRef, Plan};

/// Whether `end` closes a window `start` opened: a heal ends a partition, net-calm a link
/// fault, a restart of the same node a kill, a disk heal of the same node a disk fault.
fn closes(start: &Fault, end: &Fault) -> bool {
    match (start, end) {
        (
            Fault::Partition { .. }
            | Fault::RandomHalves
            | Fault::IsolateLeader
            | Fault::MajorityMinority
            | Fault::Bridge
            | Fault::OneWay { .. },
            Fault::Heal,
        ) => true,
        (Fault::LinkLoss { .. } | Fault::LatencySpike { .. }, Fault::NetCalm) => true,
        (Fault::Kill { node: a, .. }, Fault::Restart { node: b }) => a == b,
        (Fault::Disk { node: a, .. }, Fault::DiskHeal { node: b }) => a == b,
        _ => false,
    }
}

/// The plan's faults grouped into windows: a start and the first later fault that closes it;
/// every other fault is a group of its own. Groups list fault indices and are in the order of
/// their first fault.
pub(crate) fn windows(plan: &Plan) -> Vec<Vec<usize>> {
    let faults = &plan.faults;
    let mut taken = vec![false; faults.len()];
    let mut groups = Vec::new();
    for i in 0..faults.len() {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        let end = (i + 1..faults.len())
            .find(|&j| !taken[j] && closes(&faults[i].fault, &faults[j].fault));
        match end {
            Some(j) => {
                taken[j] = true;
                groups.push(vec![i, j]);
            }
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// The (start, end) index pairs of the plan's windows.
pub(crate) fn window_pairs(plan: &Plan) -> Vec<(usize, usize)> {
    windows(plan)
        .into_iter()
        .filter_map(|g| match g.as_slice() {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// `plan` keeping only the faults at `keep` (indices, any order).
pub(crate) fn with_faults(plan: &Plan, keep: &[usize]) -> Plan {
    let mut keep = keep.to_vec();
    keep.sort_unstable();
    keep.dedup();
    let mut out = plan.clone();
    out.faults = keep
        .into_iter()
        .filter_map(|i| plan.faults.get(i).cloned())
        .collect();
    out
}

/// Puts the faults back in time order (stable: faults at one time keep their order).
pub(crate) fn sort_faults(plan: &mut Plan) {
    plan.faults.sort_by_key(|f| f.at_ms);
}

/// The earliest heal the plan's own parts allow: when its workload and its last fault are
/// done. A plan's `heal_at_ms` beyond that only lengthens the run.
pub(crate) fn tight_heal(plan: &Plan) -> u64 {
    let last_fault = plan.faults.last().map_or(0, |f| f.at_ms);
    plan.workload.duration_ms.max(last_fault)
}

/// `plan` healing as early as its parts allow.
pub(crate) fn tightened(plan: &Plan) -> Plan {
    let mut out = plan.clone();
    out.liveness.heal_at_ms = out.liveness.heal_at_ms.min(tight_heal(plan));
    out
}

/// Smaller clusters to try, smallest first, each with a line saying what changed: fewer
/// voters (1, 3, 5, 7 below the current count, spares kept), then one spare fewer.
pub(crate) fn fewer_nodes(plan: &Plan) -> Vec<(String, Plan)> {
    let voters = plan.cluster.voters;
    let spares = plan.cluster.nodes - voters;
    let mut out = Vec::new();
    for v in [1, 3, 5, 7] {
        if v >= voters {
            break;
        }
        let s = spares.min(MAX_NODES - v);
        if let Some(p) = resized(plan, v, v + s) {
            out.push((
                format!(
                    "{} -> {} nodes ({} -> {} voters)",
                    plan.cluster.nodes,
                    v + s,
                    voters,
                    v
                ),
                p,
            ));
        }
    }
    if spares > 0
        && let Some(p) = resized(plan, voters, plan.cluster.nodes - 1)
    {
        out.push((
            format!(
                "{} -> {} nodes (one spare fewer)",
                plan.cluster.nodes,
                plan.cluster.nodes - 1
            ),
            p,
        ));
    }
    out
}

/// `plan` on `nodes` nodes of which `voters` vote, its faults fixed up to name only nodes
/// `1..=nodes`: partition groups drop the ids beyond (and groups left empty), a fault naming
/// a node beyond by id is renamed to node `((id - 1) mod nodes) + 1`. A fix-up that makes a
/// fault meaningless (a one-way cut from a node to itself) rejects the size (`None`).
pub(crate) fn resized(plan: &Plan, voters: usize, nodes: usize) -> Option<Plan> {
    if voters == 0 || nodes < voters || nodes > MAX_NODES {
        return None;
    }
    let n = nodes as u64;
    let rename = |r: NodeRef| match r {
        NodeRef::Id(id) if id > n => NodeRef::Id((id - 1) % n + 1),
        other => other,
    };
    let mut out = plan.clone();
    out.cluster.nodes = nodes;
    out.cluster.voters = voters;
    for f in &mut out.faults {
        f.fault = match f.fault.clone() {
            Fault::Partition { groups } => Fault::Partition {
                groups: groups
                    .into_iter()
                    .map(|g| g.into_iter().filter(|id| *id <= n).collect::<Vec<_>>())
                    .filter(|g| !g.is_empty())
                    .collect(),
            },
            Fault::OneWay { from, to } => {
                let (from, to) = (rename(from), rename(to));
                if from == to && matches!(from, NodeRef::Id(_)) {
                    return None;
                }
                Fault::OneWay { from, to }
            }
            Fault::Kill { node, torn } => Fault::Kill {
                node: rename(node),
                torn,
            },
            Fault::Restart { node } => Fault::Restart { node: rename(node) },
            Fault::Disk { node, fault } => Fault::Disk {
                node: rename(node),
                fault,
            },
            Fault::DiskHeal { node } => Fault::DiskHeal { node: rename(node) },
            Fault::Snapshot { node } => Fault::Snapshot { node: rename(node) },
            Fault::Purge { node } => Fault::Purge { node: rename(node) },
            Fault::RemoveVoter { node } => Fault::RemoveVoter { node: rename(node) },
            other => other,
        };
    }
    out.validate().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use faultline_sim::plan::ScheduledFault;

    use super::*;

    fn at(at_ms: u64, fault: Fault) -> ScheduledFault {
        ScheduledFault { at_ms, fault }
    }

    fn plan(faults: Vec<ScheduledFault>) -> Plan {
        let mut p = Plan::new("t", 1);
        p.cluster.nodes = 5;
        p.cluster.voters = 5;
        p.faults = faults;
        p
    }

    #[test]
    fn windows_pair_starts_with_their_ends() {
        let p = plan(vec![
            at(10, Fault::IsolateLeader),
            at(
                20,
                Fault::Kill {
                    node: NodeRef::Id(2),
                    torn: false,
                },
            ),
            at(30, Fault::Heal),
            at(
                35,
                Fault::Restart {
                    node: NodeRef::Id(3),
                },
            ),
            at(
                40,
                Fault::Restart {
                    node: NodeRef::Id(2),
                },
            ),
            at(50, Fault::TransferLeader),
        ]);
        assert_eq!(windows(&p), vec![vec![0, 2], vec![1, 4], vec![3], vec![5]]);
        assert_eq!(window_pairs(&p), vec![(0, 2), (1, 4)]);
    }

    #[test]
    fn a_smaller_cluster_fixes_up_or_rejects_node_names() {
        let p = plan(vec![
            at(
                10,
                Fault::Partition {
                    groups: vec![vec![1, 4], vec![2, 3, 5]],
                },
            ),
            at(
                20,
                Fault::Kill {
                    node: NodeRef::Id(5),
                    torn: true,
                },
            ),
            at(
                30,
                Fault::OneWay {
                    from: NodeRef::Id(1),
                    to: NodeRef::Leader,
                },
            ),
        ]);
        let small = resized(&p, 3, 3).expect("fixed up");
        assert_eq!(
            small.faults[0].fault,
            Fault::Partition {
                groups: vec![vec![1], vec![2, 3]]
            }
        );
        assert_eq!(
            small.faults[1].fault,
            Fault::Kill {
                node: NodeRef::Id(2),
                torn: true
            }
        );
        let cut = plan(vec![at(
            10,
            Fault::OneWay {
                from: NodeRef::Id(1),
                to: NodeRef::Id(4),
            },
        )]);
        assert!(
            resized(&cut, 3, 3).is_none(),
            "4 becomes 1: a cut from 1 to itself"
        );
        let names: Vec<String> = fewer_nodes(&p).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            names,
            vec![
                "5 -> 1 nodes (5 -> 1 voters)",
                "5 -> 3 nodes (5 -> 3 voters)"
            ]
        );
    }

    #[test]
    fn the_heal_comes_as_early_as_the_parts_allow() {
        let mut p = plan(vec![at(2500, Fault::Heal)]);
        p.workload.duration_ms = 2000;
        p.liveness.heal_at_ms = 9000;
        assert_eq!(tightened(&p).liveness.heal_at_ms, 2500);
        p.liveness.heal_at_ms = 100;
        assert_eq!(tightened(&p).liveness.heal_at_ms, 100);
    }
}
