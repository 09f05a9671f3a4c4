//! One seed of the system-alone reference: faultline's own nodes (the engine with its WAL, the
//! durable Raft log, snapshots, the TCP transport and the client service, each node on a
//! simulated disk that takes its time) under the cluster settings of a campaign plan, with
//! nothing of the harness around them: no recorder, no trace, no observer, no watcher, no power
//! probes, no checks. The load is the bare reference's ([`super::load`]): `clients` concurrent
//! clients, each on its own machine, upsert `writes` workload records between them, and the
//! leader is isolated halfway.
//!
//! So the bench splits the campaign's cost per operation in two: this reference against the
//! bare one is what the system under test costs beyond openraft; the campaign against this one
//! is what the harness adds, together with the campaign's reads, searches and faults.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use faultline_consensus::{Client, Node, NodeConfig, NodeId};
use faultline_sim::workload::ops;
use faultline_sim::world::node_slot::server_addr;
use faultline_sim::world::{WorldConfig, node_disk};
use madsim::rand::Rng;

use super::bare::cluster::RETRY_PAUSE;
use super::load::{Halfway, drive};

/// What one seed did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOutcome {
    /// Upserts the clients got acknowledged.
    pub acked: u64,
    /// The leader isolated halfway (`None`: no leader was known then, or too few writes).
    pub isolated: Option<NodeId>,
    /// The highest log index any node's state machine applied.
    pub applied: u64,
    /// Every node kept its Raft log in the durable store (on its disk).
    pub durable_logs: bool,
}

/// The ip of client machine `k` (1-based).
fn client_ip(k: u64) -> IpAddr {
    let last = u8::try_from(k).expect("a handful of clients");
    IpAddr::V4(Ipv4Addr::new(10, 8, 1, last))
}

/// Runs one seed (inside a fresh madsim runtime built from `config`'s network): a group of
/// `config.voters` nodes with `config`'s log store, Raft timing, timeouts and disk latency, and
/// `clients` clients (at least one) upserting `writes` records between them.
pub async fn run(config: &WorldConfig, writes: u64, clients: u64) -> SeedOutcome {
    let raft = config.raft.to_openraft().expect("a plan's timing is valid");
    let handle = madsim::runtime::Handle::current();
    let voters = config.voters as NodeId;
    let mut nodes: Vec<(madsim::task::NodeId, Node)> = Vec::new();
    for id in 1..=voters {
        // As in the campaign's world: the disk takes its time on the simulated clock.
        let disk = node_disk(madsim::rand::thread_rng().r#gen::<u64>(), config)
            .expect("a plan's disk latency is valid");
        let node_config = NodeConfig {
            id,
            listen_addr: server_addr(id),
            data_dir: PathBuf::from("/data"),
            vfs: Arc::new(disk),
            log_store: config.log_store,
            raft: raft.clone(),
            rpc_timeout: config.rpc_timeout,
            observer: None,
        };
        let machine = handle
            .create_node()
            .name(format!("system{id}"))
            .ip(server_addr(id).ip())
            .build();
        let node = machine
            .spawn(Node::start(node_config))
            .await
            .expect("booting a node")
            .expect("starting a node");
        nodes.push((machine.id(), node));
    }
    let members: BTreeMap<NodeId, SocketAddr> =
        (1..=voters).map(|id| (id, server_addr(id))).collect();
    nodes[0]
        .1
        .initialize(members.clone())
        .await
        .expect("initializing the group");

    let timeout = config.client_timeout;
    let nodes = &nodes;
    let driven = drive(
        writes,
        clients,
        client_ip,
        |k, values, halfway| {
            let client = Client::with_id(members.clone(), timeout, k);
            upsert_all(client, k == 1, values, halfway)
        },
        || async move {
            let leader = nodes.iter().find_map(|(_, n)| n.metrics().current_leader)?;
            let (machine, _) = nodes.iter().find(|(_, n)| n.id() == leader)?;
            Some((*machine, leader))
        },
    )
    .await;
    let applied = nodes
        .iter()
        .filter_map(|(_, n)| n.metrics().last_applied.map(|l| l.index))
        .max()
        .unwrap_or(0);
    let durable_logs = nodes.iter().all(|(_, n)| n.log_state().is_some());
    SeedOutcome {
        acked: driven.acked,
        isolated: driven.isolated,
        applied,
        durable_logs,
    }
}

/// One client: creates the workload's collection first if `creates`, then upserts `values`
/// (as the workload's register writes, keys spread over five) one after another, retrying a
/// write that failed after [`RETRY_PAUSE`]; returns how many were acknowledged.
async fn upsert_all(
    mut client: Client,
    creates: bool,
    values: Vec<u64>,
    halfway: Arc<Halfway>,
) -> u64 {
    if creates {
        // Rejected: another attempt of this create went through (the name is taken).
        while let Err(e) = client.write(ops::create(ops::COLLECTION)).await {
            if matches!(e, faultline_consensus::ClientError::Rejected(_)) {
                break;
            }
            madsim::time::sleep(RETRY_PAUSE).await;
        }
    }
    let mut acked = 0;
    for value in values {
        let (request, _, _) = ops::upsert(value % 5, &format!("s{value}"), value);
        loop {
            match client.write(request.clone()).await {
                Ok(_) => break,
                // Before the create is applied the collection is unknown: try again.
                Err(_) => madsim::time::sleep(RETRY_PAUSE).await,
            }
        }
        acked += 1;
        halfway.acked_one();
    }
    acked
}

#[cfg(test)]
mod tests {
    use faultline_sim::world::{RunSpec, run_seed};

    use super::*;

    #[test]
    fn every_upsert_is_acknowledged_across_a_leader_isolation() {
        let config = WorldConfig::default();
        let spec = RunSpec::from(&config);
        let outcome = run_seed(7, &spec, move || async move { run(&config, 40, 3).await })
            .expect("the seed runs to its end");
        assert_eq!(outcome.acked, 40);
        assert!(outcome.isolated.is_some(), "{outcome:?}");
        // Through the real nodes: the create and the 40 upserts went through the durable log.
        assert!(outcome.applied >= 41, "{outcome:?}");
        assert!(outcome.durable_logs, "{outcome:?}");
    }
}
