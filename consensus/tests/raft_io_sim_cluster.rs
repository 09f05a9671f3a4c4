//! A three-node raft-io cluster inside a seeded madsim world, on the in-process network: it
//! elects a leader, replicates writes, serves linearizable reads, survives a power failure and
//! kill of its leader (reads and writes from the survivors), takes the killed node back from
//! its durable log, and converges; a snapshot and a lagging follower's catch-up by
//! InstallSnapshot; and a partitioned leader that must not serve reads.
#![cfg(madsim)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_consensus::raft_io::{MemoryNet, RioNode, RioNodeConfig, RioTiming};
use faultline_consensus::{
    ClientReply, ClientRequest, JsonValue, NodeId, ServerError, WriteRequest,
};
use faultline_engine::{Descriptor, Metric, SimVfs};
use madsim::runtime::{Handle, NodeHandle, Runtime};

type Slots = Arc<Mutex<BTreeMap<NodeId, RioNode>>>;

const IDS: [NodeId; 3] = [1, 2, 3];

struct Cluster {
    handle: Handle,
    slots: Slots,
    net: MemoryNet,
    disks: BTreeMap<NodeId, Arc<SimVfs>>,
    nodes: BTreeMap<NodeId, NodeHandle>,
    client: NodeHandle,
}

fn config(id: NodeId, vfs: Arc<SimVfs>, net: &MemoryNet, timing: RioTiming) -> RioNodeConfig {
    RioNodeConfig {
        id,
        voters: IDS.to_vec(),
        joining: false,
        data_dir: PathBuf::from(format!("/node{id}")),
        vfs,
        timing,
        seed: 0x5EED ^ id,
        request_timeout: Duration::from_secs(2),
        transport: Arc::new(net.clone()),
        observer: None,
    }
}

fn boot(seed: u64, timing: RioTiming) -> Cluster {
    let handle = Handle::current();
    let slots: Slots = Arc::default();
    let net = MemoryNet::new();
    let mut disks = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for id in IDS {
        let vfs = Arc::new(SimVfs::new(seed ^ id));
        disks.insert(id, vfs.clone());
        let (slots, net) = (slots.clone(), net.clone());
        let n = handle
            .create_node()
            .name(format!("n{id}"))
            .ip(format!("10.0.0.{id}").parse().unwrap())
            .init(move || {
                let (vfs, slots, net) = (vfs.clone(), slots.clone(), net.clone());
                async move {
                    let node = RioNode::start(config(id, vfs, &net, timing))
                        .await
                        .expect("node starts");
                    net.register(id, node.inbox());
                    slots.lock().unwrap().insert(id, node);
                    std::future::pending::<()>().await;
                }
            })
            .build();
        nodes.insert(id, n);
    }
    let client = handle
        .create_node()
        .name("client")
        .ip("10.0.1.1".parse().unwrap())
        .build();
    Cluster {
        handle,
        slots,
        net,
        disks,
        nodes,
        client,
    }
}

/// Sends `req` to the leader: follows `NotLeader` hints, retries (bounded) through elections.
async fn call(slots: &Slots, req: ClientRequest) -> ClientReply {
    let mut target: Option<NodeId> = None;
    let mut last = None;
    for attempt in 0..200u64 {
        let node = {
            let s = slots.lock().unwrap();
            let id = target
                .filter(|t| s.contains_key(t))
                .or_else(|| s.keys().nth(attempt as usize % s.len().max(1)).copied());
            id.map(|id| s[&id].clone())
        };
        let Some(node) = node else {
            // No node has started yet.
            madsim::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        match node.request(req.clone()).await {
            Ok(r) => return r,
            Err(ServerError::NotLeader { leader_id, .. }) => {
                // The hint may name a dead node until the survivors time out: wait a little.
                target = leader_id;
                madsim::time::sleep(Duration::from_millis(20)).await;
                last = Some(ServerError::NotLeader {
                    leader_id,
                    leader_addr: None,
                });
            }
            Err(ServerError::Rejected(m)) if m.contains("already exists") => {
                return ClientReply::MembershipChanged { log_index: 0 };
            }
            Err(e) => {
                target = None;
                last = Some(e);
                madsim::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    panic!("{req:?} never succeeded: {last:?}");
}

fn create() -> ClientRequest {
    ClientRequest::Write {
        request_id: 1,
        request: WriteRequest::CreateCollection {
            name: "c".into(),
            descriptor: Descriptor {
                dim: 2,
                metric: Metric::L2,
            },
        },
    }
}

fn upsert(id: u64) -> ClientRequest {
    ClientRequest::Write {
        request_id: 1000 + id,
        request: WriteRequest::Upsert {
            collection: "c".into(),
            id,
            vector: vec![id as f32, 1.0],
            payload: JsonValue(serde_json::json!({ "v": id })),
        },
    }
}

fn read(id: u64) -> ClientRequest {
    ClientRequest::Read {
        collection: "c".into(),
        id,
    }
}

async fn assert_reads(slots: &Slots, ids: impl IntoIterator<Item = u64>) {
    for i in ids {
        match call(slots, read(i)).await {
            ClientReply::Record(Some(r)) => assert_eq!(r.payload.0["v"], i),
            other => panic!("read {i}: {other:?}"),
        }
    }
}

fn leader(slots: &Slots) -> NodeId {
    let s = slots.lock().unwrap();
    let leaders: Vec<NodeId> = s
        .values()
        .filter(|n| n.is_leader())
        .map(RioNode::id)
        .collect();
    assert_eq!(leaders.len(), 1, "one leader among {:?}", s.keys());
    leaders[0]
}

fn assert_converged(slots: &Slots, records: usize) {
    let s = slots.lock().unwrap();
    let states: Vec<_> = s.values().map(RioNode::engine_state).collect();
    assert_eq!(states.len(), IDS.len(), "every node is up");
    for st in &states[1..] {
        assert_eq!(st.ops, states[0].ops, "replicas converge");
    }
    assert_eq!(
        states[0].ops.len(),
        1 + records,
        "one collection, {records} records"
    );
    for n in s.values() {
        assert_eq!(
            n.log_state().unsynced_flushes,
            0,
            "raft-io synced every change"
        );
        assert!(n.status().stopped.is_none());
    }
}

fn leader_kill(seed: u64) {
    let rt = Runtime::with_seed_and_config(seed, madsim::Config::default());
    rt.block_on(async move {
        let c = boot(seed, RioTiming::default());
        let slots = c.slots.clone();
        c.client
            .spawn(async move {
                call(&slots, create()).await;
                for i in 0..50 {
                    match call(&slots, upsert(i)).await {
                        ClientReply::Written(w) => assert!(w.log_index > 0),
                        other => panic!("{other:?}"),
                    }
                }
                assert_reads(&slots, 0..50).await;
            })
            .await
            .unwrap();

        // Power failure on the leader: unsynced writes vanish, then the node dies.
        let old = leader(&c.slots);
        c.disks[&old].crash();
        c.handle.kill(c.nodes[&old].id());
        c.slots.lock().unwrap().remove(&old);

        let slots = c.slots.clone();
        c.client
            .spawn(async move {
                assert_reads(&slots, 0..50).await;
                call(&slots, upsert(100)).await;
            })
            .await
            .unwrap();
        assert_ne!(leader(&c.slots), old);

        // The killed node restarts from its durable log and catches up.
        c.handle.restart(c.nodes[&old].id());
        madsim::time::sleep(Duration::from_secs(3)).await;
        assert_converged(&c.slots, 51);
    });
}

#[test]
fn raft_io_cluster_elects_replicates_reads_and_survives_a_leader_kill() {
    for seed in [1, 2, 3, 42] {
        leader_kill(seed);
    }
}

#[test]
fn raft_io_follower_catches_up_by_snapshot_and_a_cut_off_leader_serves_no_read() {
    let rt = Runtime::with_seed_and_config(7, madsim::Config::default());
    rt.block_on(async move {
        let timing = RioTiming {
            snapshot_threshold: 20,
            max_batch: 8,
            ..RioTiming::default()
        };
        let c = boot(7, timing);
        let slots = c.slots.clone();
        c.client
            .spawn(async move { call(&slots, create()).await })
            .await
            .unwrap();
        let first = leader(&c.slots);
        let lagging = IDS.into_iter().find(|&i| i != first).unwrap();
        c.net.isolate(lagging, IDS);
        let slots = c.slots.clone();
        c.client
            .spawn(async move {
                for i in 0..60 {
                    call(&slots, upsert(i)).await;
                }
            })
            .await
            .unwrap();
        c.net.heal();
        madsim::time::sleep(Duration::from_secs(2)).await;
        assert_converged(&c.slots, 60);
        let snap = c.slots.lock().unwrap()[&lagging]
            .log_state()
            .acknowledged
            .purged;
        assert!(
            snap.is_some(),
            "the lagging node holds a snapshot: {snap:?}"
        );

        // A leader cut off from both followers keeps believing it leads (raft-io has no
        // check-quorum), but must not confirm a read.
        let old = leader(&c.slots);
        c.net.isolate(old, IDS);
        let node = c.slots.lock().unwrap()[&old].clone();
        let r = c
            .client
            .spawn(async move { node.request(read(1)).await })
            .await
            .unwrap();
        assert!(
            matches!(
                r,
                Err(ServerError::Unavailable(_) | ServerError::NotLeader { .. })
            ),
            "a partitioned leader answered a read: {r:?}"
        );
    });
}
