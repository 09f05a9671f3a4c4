//! The world's simulator authorities on their own, with a toy echo server standing in for the
//! consensus node: node lifecycle (boot, power-failure kill, restart on the kept disk), the
//! network authority (partition, isolate, one-way clog, heal, flaky links), the runner, and the
//! determinism of the trace they produce.
#![cfg(madsim)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use faultline_engine::vfs::{CrashModel, SimVfs, Vfs};
use faultline_sim::world::node_slot::{LocalFuture, NodeProgram, NodeSlot, Status, server_addr};
use faultline_sim::world::{
    Event, Host, Network, RunSpec, Trace, TraceHash, WorldError, run_seed, seeds_from_env,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Listens on the server address and echoes one byte back per byte received. On start it
/// appends one durable and one unsynced byte to its disk, so a restart shows what survived.
struct Echo {
    id: u64,
}

impl NodeProgram for Echo {
    type Handle = u64;

    fn start(&self, disk: SimVfs, _incarnation: u32) -> LocalFuture<Result<u64, String>> {
        let id = self.id;
        Box::pin(async move {
            let boots = Path::new("/boots");
            if !disk.exists(boots).map_err(|e| e.to_string())? {
                disk.create(boots).map_err(|e| e.to_string())?;
                disk.sync_dir(Path::new("/")).map_err(|e| e.to_string())?;
            }
            disk.append(boots, b"d").map_err(|e| e.to_string())?;
            disk.sync(boots).map_err(|e| e.to_string())?;
            disk.append(boots, b"u").map_err(|e| e.to_string())?;
            let listener = tokio::net::TcpListener::bind(server_addr(id))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        let mut b = [0u8; 1];
                        while stream.read_exact(&mut b).await.is_ok() {
                            if stream.write_all(&b).await.is_err() || stream.flush().await.is_err()
                            {
                                return;
                            }
                        }
                    });
                }
            });
            Ok(id)
        })
    }

    fn run(&self, _handle: u64, _incarnation: u32) -> LocalFuture<()> {
        Box::pin(std::future::pending())
    }
}

/// Whether a fresh connection from the client machine to `node` echoes within a second.
async fn reachable(client: &madsim::runtime::NodeHandle, node: u64) -> bool {
    client
        .spawn(async move {
            let attempt = async {
                let mut s = tokio::net::TcpStream::connect(server_addr(node))
                    .await
                    .ok()?;
                s.write_all(&[7]).await.ok()?;
                s.flush().await.ok()?;
                let mut b = [0u8; 1];
                s.read_exact(&mut b).await.ok()?;
                Some(b[0] == 7)
            };
            madsim::time::timeout(Duration::from_secs(1), attempt)
                .await
                .ok()
                .flatten()
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
}

/// Whether server `from` can reach server `to` (the probe runs on `from`'s machine).
async fn server_reaches(slots: &[NodeSlot<u64>], from: u64, to: u64) -> bool {
    let handle = madsim::runtime::Handle::current();
    let node = handle.get_node(slots[from as usize - 1].sim_id()).unwrap();
    reachable(&node, to).await
}

struct Fixture {
    slots: Vec<NodeSlot<u64>>,
    net: Network,
    client: madsim::runtime::NodeHandle,
    trace: Trace,
}

async fn boot(n: u64) -> Fixture {
    let trace = Trace::new();
    let net = Network::new(trace.clone());
    let mut slots = Vec::new();
    for id in 1..=n {
        // The gentle model loses every unsynced byte, which the lifecycle assertions name.
        let disk = SimVfs::new(id);
        disk.set_crash_model(CrashModel::Gentle);
        let slot = NodeSlot::boot(id, disk, Echo { id }, trace.clone());
        net.register(Host::Node(id), slot.sim_id());
        slots.push(slot);
    }
    for s in &slots {
        s.wait_started(Duration::from_secs(1)).await.unwrap();
    }
    let client = madsim::runtime::Handle::current()
        .create_node()
        .ip(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)))
        .build();
    net.register(Host::Client(1), client.id());
    Fixture {
        slots,
        net,
        client,
        trace,
    }
}

/// One scenario touching every authority; returns the trace hash.
async fn scenario() -> TraceHash {
    let f = boot(3).await;
    for n in 1..=3 {
        assert!(reachable(&f.client, n).await, "node {n} up");
    }

    // Partition {1} | {2,3}: servers are cut, clients are not.
    f.net.partition(&[vec![1], vec![2, 3]]).unwrap();
    assert!(!server_reaches(&f.slots, 1, 2).await);
    assert!(!server_reaches(&f.slots, 3, 1).await);
    assert!(server_reaches(&f.slots, 2, 3).await);
    assert!(reachable(&f.client, 1).await);
    // A new partition replaces the old one; an unlisted node is alone.
    f.net.partition(&[vec![1, 2]]).unwrap();
    assert!(server_reaches(&f.slots, 1, 2).await);
    assert!(!server_reaches(&f.slots, 2, 3).await);
    assert_eq!(
        f.net.partition(&[vec![1], vec![1, 2]]),
        Err(WorldError::Network("node 1 is in two groups".into()))
    );
    f.net.heal();
    assert!(server_reaches(&f.slots, 2, 3).await);

    // Isolate, then heal.
    f.net.isolate(2).unwrap();
    assert!(!server_reaches(&f.slots, 1, 2).await);
    assert!(!server_reaches(&f.slots, 2, 3).await);
    assert!(server_reaches(&f.slots, 1, 3).await);
    f.net.heal();

    // One-way clog: client → n3 cut, n3 → client open. A connection needs both ways.
    f.net.clog(Host::Client(1), Host::Node(3)).unwrap();
    assert!(f.net.is_cut(Host::Client(1), Host::Node(3)));
    assert!(!f.net.is_cut(Host::Node(3), Host::Client(1)));
    assert!(!reachable(&f.client, 3).await);
    f.net.unclog(Host::Client(1), Host::Node(3)).unwrap();
    assert!(reachable(&f.client, 3).await);

    // A flaky link is sometimes cut, sometimes not; heal stops it.
    f.net
        .set_flaky(
            Host::Client(1),
            Host::Node(1),
            0.5,
            Duration::from_millis(20),
        )
        .unwrap();
    let mut cut = 0;
    for _ in 0..40 {
        madsim::time::sleep(Duration::from_millis(20)).await;
        cut += usize::from(f.net.is_cut(Host::Client(1), Host::Node(1)));
    }
    assert!((5..=35).contains(&cut), "cut in {cut} of 40 slots");
    f.net.heal();
    assert!(!f.net.is_cut(Host::Client(1), Host::Node(1)));
    assert!(reachable(&f.client, 1).await);

    // Kill is a power failure: the node is gone and its unsynced byte is lost.
    let disk = f.slots[1].disk().clone();
    assert_eq!(disk.read_all(Path::new("/boots")).unwrap(), b"du");
    f.slots[1].kill().unwrap();
    assert_eq!(f.slots[1].status(), Status::Down);
    assert_eq!(f.slots[1].kill(), Err(WorldError::NodeDown(2)));
    assert!(!reachable(&f.client, 2).await);
    assert_eq!(disk.read_all(Path::new("/boots")).unwrap(), b"d");
    // Restart re-runs start on the same disk.
    assert_eq!(
        f.slots[0].restart(Duration::from_secs(1)).await,
        Err(WorldError::NodeUp(1))
    );
    assert_eq!(f.slots[1].restart(Duration::from_secs(1)).await, Ok(2));
    assert_eq!(f.slots[1].incarnation(), 2);
    assert_eq!(disk.read_all(Path::new("/boots")).unwrap(), b"ddu");
    assert!(reachable(&f.client, 2).await);

    let events = f.trace.entries();
    assert!(events.iter().any(|e| matches!(
        e.event,
        Event::Killed {
            node: 2,
            lost_writes: 1,
            ..
        }
    )));
    f.trace.hash()
}

#[test]
fn world_authorities_behave_and_replay() {
    let spec = RunSpec::default();
    let mut hashes = Vec::new();
    for seed in seeds_from_env(20) {
        let a = run_seed(seed, &spec, scenario).unwrap_or_else(|f| panic!("{f}"));
        let b = run_seed(seed, &spec, scenario).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(a, b, "seed {seed} replays to the same trace");
        hashes.push(a);
    }
    hashes.sort();
    hashes.dedup();
    assert!(hashes.len() > 1, "different seeds give different traces");
}
