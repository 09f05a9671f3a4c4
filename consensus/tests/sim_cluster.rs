//! A three-node cluster inside a seeded madsim world: writes, linearizable reads, a leader kill
//! (power failure of its disk, then madsim kill), reads from the survivors, and the killed node's
//! restart from its durable log and snapshot-free state.
#![cfg(madsim)]

#[macro_use]
#[path = "common/driver.rs"]
mod driver;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_consensus::{Client, LogStoreKind, Node, NodeConfig, NodeId};
use faultline_engine::SimVfs;
use madsim::runtime::{Handle, Runtime};

use driver::{create_collection, raft_config, upsert};

type Slots = Arc<Mutex<BTreeMap<NodeId, Node>>>;

fn addr(id: NodeId) -> SocketAddr {
    format!("10.0.0.{id}:7000").parse().unwrap()
}

fn node_config(id: NodeId, vfs: Arc<SimVfs>) -> NodeConfig {
    NodeConfig {
        id,
        listen_addr: addr(id),
        data_dir: PathBuf::from(format!("/node{id}")),
        vfs,
        log_store: LogStoreKind::Durable,
        raft: raft_config("sim"),
        rpc_timeout: Duration::from_millis(500),
        observer: None,
    }
}

fn run(seed: u64) {
    let rt = Runtime::with_seed_and_config(seed, madsim::Config::default());
    rt.block_on(async move {
        let handle = Handle::current();
        let slots: Slots = Arc::default();
        let members: BTreeMap<NodeId, SocketAddr> = (1..=3).map(|id| (id, addr(id))).collect();
        let mut disks = BTreeMap::new();
        let mut sim_nodes = BTreeMap::new();
        for id in 1..=3u64 {
            let vfs = Arc::new(SimVfs::new(seed ^ id));
            disks.insert(id, vfs.clone());
            let slots = slots.clone();
            let members = members.clone();
            let n = handle
                .create_node()
                .name(format!("n{id}"))
                .ip(addr(id).ip())
                .init(move || {
                    let vfs = vfs.clone();
                    let slots = slots.clone();
                    let members = members.clone();
                    async move {
                        let node = Node::start(node_config(id, vfs))
                            .await
                            .expect("node starts");
                        node.initialize(members).await.expect("bootstrap");
                        slots.lock().unwrap().insert(id, node);
                        std::future::pending::<()>().await;
                    }
                })
                .build();
            sim_nodes.insert(id, n);
        }

        let client_node = handle
            .create_node()
            .name("client")
            .ip("10.0.1.1".parse().unwrap())
            .build();
        let m2 = members.clone();
        let leader = client_node
            .spawn(async move {
                let mut c = Client::new(m2, Duration::from_secs(2));
                create_collection(&mut c).await;
                for i in 0..50 {
                    let w = retry!("upsert", c.write(upsert(i)));
                    assert!(w.log_index > 0);
                }
                for i in 0..50 {
                    let r = retry!("read", c.read("c", i)).expect("present");
                    assert_eq!(r.payload.0["v"], i);
                }
                c.leader_hint().expect("a leader answered")
            })
            .await
            .unwrap();

        // Power failure on the leader: unsynced writes vanish, then the node dies.
        let leader_id = members
            .iter()
            .find(|(_, a)| **a == leader)
            .map(|(id, _)| *id)
            .unwrap();
        disks[&leader_id].crash();
        handle.kill(sim_nodes[&leader_id].id());
        slots.lock().unwrap().remove(&leader_id);

        let m3 = members.clone();
        client_node
            .spawn(async move {
                let mut c = Client::new(m3, Duration::from_secs(2));
                for i in 0..50 {
                    let r = retry!("read after kill", c.read("c", i)).expect("present");
                    assert_eq!(r.payload.0["v"], i);
                }
                retry!("write after kill", c.write(upsert(100)));
            })
            .await
            .unwrap();

        // The killed node restarts from its durable log and catches up.
        handle.restart(sim_nodes[&leader_id].id());
        madsim::time::sleep(Duration::from_secs(3)).await;
        let states: Vec<_> = slots
            .lock()
            .unwrap()
            .values()
            .map(|n| n.engine_state())
            .collect();
        assert_eq!(states.len(), 3, "all three nodes are up");
        for s in &states[1..] {
            assert_eq!(s.ops, states[0].ops, "replicas converge");
        }
        assert_eq!(states[0].ops.len(), 1 + 51, "one collection, 51 records");
    });
}

#[test]
fn three_node_cluster_survives_leader_kill() {
    for seed in [1, 2, 3, 42] {
        run(seed);
    }
}
