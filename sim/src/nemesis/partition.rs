//! Partition faults: explicit groups, random halves, isolating the leader, a random majority
//! against the minority, one node cut off, a bridge (two halves only one node talks to both of), a one-way cut,
//! and the heal. Partitions act on server↔server links only; clients reach every server.

use std::collections::BTreeSet;

use super::FaultResult;
use super::resolve::{self, resolve};
use crate::plan::NodeRef;
use crate::world::{Host, NodeId, World};

/// Servers a random partition spreads over: every server except those removed from the group
/// (powered off for good, they would only make a side empty).
fn servers(w: &World, removed: &BTreeSet<NodeId>) -> Vec<NodeId> {
    w.network()
        .servers()
        .into_iter()
        .filter(|n| !removed.contains(n))
        .collect()
}

fn show(groups: &[Vec<NodeId>]) -> String {
    let parts: Vec<String> = groups.iter().map(|g| format!("{g:?}")).collect();
    parts.join(" | ")
}

fn split(w: &World, groups: Vec<Vec<NodeId>>) -> FaultResult {
    w.partition(&groups).map_err(|e| e.to_string())?;
    Ok(format!("groups {}", show(&groups)))
}

pub(super) fn explicit(w: &World, groups: &[Vec<u64>]) -> FaultResult {
    split(w, groups.to_vec())
}

pub(super) fn random_halves(w: &World, removed: &BTreeSet<NodeId>) -> FaultResult {
    let mut all = servers(w, removed);
    if all.len() < 2 {
        return Err("fewer than two servers".into());
    }
    resolve::shuffle(&mut all);
    let cut = 1 + resolve::index(all.len() - 1);
    let (a, b) = all.split_at(cut);
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    split(w, vec![a, b])
}

pub(super) fn majority_minority(w: &World, removed: &BTreeSet<NodeId>) -> FaultResult {
    let members = resolve::members(w);
    if members.len() < 2 {
        return Err("fewer than two voters".into());
    }
    let mut all = servers(w, removed);
    resolve::shuffle(&mut all);
    // A majority of the voters on one side; every other server on the other.
    let need = members.len() / 2 + 1;
    let mut majority = Vec::new();
    let mut minority = Vec::new();
    for n in all {
        if members.contains(&n) && majority.iter().filter(|m| members.contains(m)).count() < need {
            majority.push(n);
        } else {
            minority.push(n);
        }
    }
    majority.sort_unstable();
    minority.sort_unstable();
    split(w, vec![majority, minority])
}

pub(super) fn isolate_leader(w: &World) -> FaultResult {
    let leader = w.leader().ok_or("no leader")?;
    w.isolate(leader).map_err(|e| e.to_string())?;
    Ok(format!("leader {leader} isolated"))
}

/// Cuts one node (resolved among the live servers) off from every other server.
pub(super) fn one_node(w: &World, node: NodeRef) -> FaultResult {
    let node = resolve(w, node, &w.live_nodes())?;
    w.isolate(node).map_err(|e| e.to_string())?;
    Ok(format!("node {node} isolated"))
}

pub(super) fn bridge(w: &World, removed: &BTreeSet<NodeId>) -> FaultResult {
    let mut all = servers(w, removed);
    if all.len() < 3 {
        return Err("a bridge needs three servers".into());
    }
    resolve::shuffle(&mut all);
    let bridge = all[0];
    let rest = &all[1..];
    let (a, b) = rest.split_at(rest.len() / 2);
    // Start from a whole network, then cut every link between the two halves.
    w.partition(&[w.network().servers()])
        .map_err(|e| e.to_string())?;
    for x in a {
        for y in b {
            for (from, to) in [(*x, *y), (*y, *x)] {
                w.clog(Host::Node(from), Host::Node(to))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    Ok(format!("{a:?} and {b:?} bridged by node {bridge}"))
}

pub(super) fn one_way(
    w: &World,
    removed: &BTreeSet<NodeId>,
    from: NodeRef,
    to: NodeRef,
) -> FaultResult {
    let all = servers(w, removed);
    let from = resolve(w, from, &all)?;
    let others: Vec<NodeId> = all.into_iter().filter(|n| *n != from).collect();
    let to = resolve(w, to, &others)?;
    w.clog(Host::Node(from), Host::Node(to))
        .map_err(|e| e.to_string())?;
    Ok(format!("link {from} -> {to} cut"))
}

pub(super) fn heal(w: &World) -> FaultResult {
    w.heal();
    Ok("every link restored".into())
}
