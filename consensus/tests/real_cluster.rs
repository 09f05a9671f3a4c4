//! The same node code on a real network: three nodes on 127.0.0.1 (ephemeral ports) with real
//! tokio and `StdVfs` in a temp dir. Writes, reads linearizably, shuts the leader down, and reads
//! again from the survivors.
//!
//! Runs only in a build without `--cfg madsim`:
//! `RUSTFLAGS="" CARGO_TARGET_DIR=target/real cargo test -p faultline-consensus --test real_cluster`
#![cfg(not(madsim))]

#[macro_use]
#[path = "common/driver.rs"]
mod driver;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use faultline_consensus::{Client, LogStoreKind, Node, NodeConfig, NodeId};
use faultline_engine::StdVfs;

use driver::{create_collection, raft_config, upsert};

#[tokio::test]
async fn three_nodes_on_loopback_survive_leader_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let vfs = Arc::new(StdVfs::new());
    let mut nodes = BTreeMap::new();
    for id in 1..=3u64 {
        let node = Node::start(NodeConfig {
            id,
            listen_addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join(format!("node{id}")),
            vfs: vfs.clone(),
            log_store: LogStoreKind::Durable,
            raft: raft_config("real"),
            rpc_timeout: Duration::from_millis(500),
            observer: None,
        })
        .await
        .unwrap();
        nodes.insert(id, node);
    }
    let members: BTreeMap<NodeId, SocketAddr> =
        nodes.iter().map(|(id, n)| (*id, n.addr())).collect();
    for n in nodes.values() {
        n.initialize(members.clone()).await.unwrap();
    }

    let mut c = Client::new(members.clone(), Duration::from_secs(3));
    create_collection(&mut c).await;
    for i in 0..20 {
        retry!("upsert", c.write(upsert(i)));
    }
    for i in 0..20 {
        let r = retry!("read", c.read("c", i)).expect("present");
        assert_eq!(r.payload.0["v"], i);
    }

    // Stop the leader: its server and Raft tasks end; the others must elect and serve.
    let leader = c.leader_hint().expect("a leader answered");
    let leader_id = *members.iter().find(|(_, a)| **a == leader).unwrap().0;
    nodes[&leader_id].shutdown().await;

    let mut c = Client::new(members.clone(), Duration::from_secs(3));
    for i in 0..20 {
        let r = retry!("read after shutdown", c.read("c", i)).expect("present");
        assert_eq!(r.payload.0["v"], i);
    }
    retry!("write after shutdown", c.write(upsert(100)));
    let r = retry!("read new write", c.read("c", 100)).expect("present");
    assert_eq!(r.payload.0["v"], 100);
    assert_ne!(c.leader_hint(), Some(leader), "a new leader serves");

    for n in nodes.values() {
        n.shutdown().await;
    }
}
