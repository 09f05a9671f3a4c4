//! One seed of the bare reference: three openraft nodes on madsim (in-memory log, no-op state
//! machine, madsim RPC transport), `clients` concurrent clients, each on its own machine, writing
//! `writes` values between them through `Raft::client_write` on the leader, and the leader
//! isolated halfway ([`load`](crate::bench::load)). A client retries a write that timed out or
//! was refused on the next node, or on the leader a refusal names.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use faultline_sim::world::RaftTiming;
use madsim::net::Endpoint;
use openraft::BasicNode;

use super::network::{Msg, Peers, Reply, call, serve};
use super::state_machine::NoopMachine;
use super::store::MemLog;
use super::types::{NodeId, Raft};
use crate::bench::load::{Halfway, drive};

/// Nodes in the group.
pub const NODES: u64 = 3;
/// Bound on one client write (the standard campaign's world uses the same).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// The client's pause before retrying a write on another node.
pub const RETRY_PAUSE: Duration = Duration::from_millis(50);
const PORT: u16 = 7000;

/// The ip of client machine `k` (1-based).
fn client_ip(k: u64) -> IpAddr {
    let last = u8::try_from(k).expect("a handful of clients");
    IpAddr::V4(Ipv4Addr::new(10, 7, 1, last))
}

fn addr(id: NodeId) -> SocketAddr {
    let last = u8::try_from(id).expect("a handful of nodes");
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 7, 0, last)), PORT)
}

/// What one seed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Writes the clients got acknowledged.
    pub acked: u64,
    /// The leader isolated halfway (`None`: no leader was known then, or too few writes).
    pub isolated: Option<NodeId>,
    /// The highest term any node reached.
    pub max_term: u64,
}

/// Runs one seed (inside a fresh madsim runtime): `clients` clients (at least one) write
/// `writes` values between them.
pub async fn run(writes: u64, clients: u64) -> SeedOutcome {
    let config = Arc::new(
        RaftTiming::default()
            .to_openraft()
            .expect("the default timing is valid"),
    );
    let handle = madsim::runtime::Handle::current();
    let mut nodes: Vec<(madsim::task::NodeId, Raft)> = Vec::new();
    for id in 1..=NODES {
        let node = handle
            .create_node()
            .name(format!("bare{id}"))
            .ip(addr(id).ip())
            .build();
        let config = config.clone();
        let raft = node
            .spawn(async move {
                let ep = Endpoint::bind(addr(id)).await.expect("binding a node");
                let raft = Raft::new(
                    id,
                    config,
                    Peers::new(id, ep.clone()),
                    MemLog::default(),
                    NoopMachine::default(),
                )
                .await
                .expect("starting a node");
                serve(&ep, raft.clone());
                raft
            })
            .await
            .expect("booting a node");
        nodes.push((node.id(), raft));
    }
    let members: BTreeMap<NodeId, BasicNode> = (1..=NODES)
        .map(|id| (id, BasicNode::new(addr(id))))
        .collect();
    nodes[0]
        .1
        .initialize(members)
        .await
        .expect("initializing the group");

    let nodes = &nodes;
    let driven = drive(writes, clients, client_ip, write_all, || async move {
        let mut leader = None;
        for (_, raft) in nodes {
            leader = leader.or(raft.current_leader().await);
        }
        let (machine, _) = nodes.get(usize::try_from(leader?).ok()? - 1)?;
        Some((*machine, leader?))
    })
    .await;
    let max_term = nodes
        .iter()
        .map(|(_, raft)| raft.metrics().borrow().current_term)
        .max()
        .unwrap_or(0);
    SeedOutcome {
        acked: driven.acked,
        isolated: driven.isolated,
        max_term,
    }
}

/// Client `k`: writes `values` one after another; returns how many were acknowledged.
async fn write_all(k: u64, values: Vec<u64>, halfway: Arc<Halfway>) -> u64 {
    let ep = Endpoint::bind(SocketAddr::new(client_ip(k), 0))
        .await
        .expect("binding a client");
    let mut leader: NodeId = 1;
    let mut acked = 0;
    for value in values {
        loop {
            match call(&ep, addr(leader), &Msg::Write(value), CLIENT_TIMEOUT).await {
                Ok(Reply::Write(Ok(_))) => break,
                Ok(Reply::Write(Err(Some(to)))) if to != leader => leader = to,
                _ => {
                    leader = leader % NODES + 1;
                    madsim::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
        acked += 1;
        halfway.acked_one();
    }
    acked
}

#[cfg(test)]
mod tests {
    use faultline_sim::world::{RunSpec, WorldConfig, run_seed};

    use super::*;

    #[test]
    fn every_client_write_is_acknowledged_across_a_leader_isolation() {
        let spec = RunSpec::from(&WorldConfig::default());
        let outcome = run_seed(7, &spec, || run(40, 3)).expect("the seed runs to its end");
        assert_eq!(outcome.acked, 40);
        assert!(outcome.isolated.is_some(), "{outcome:?}");
        // The isolated leader's followers elected another leader in a later term.
        assert!(outcome.max_term >= 2, "{outcome:?}");
    }
}
