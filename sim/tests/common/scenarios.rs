//! The world acceptance scenarios (issue 4, items 1–10). Each runs one seed inside its runtime,
//! asserts its behaviour, and returns the seed's trace (item 11 compares their hashes).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::snapshot::{SnapshotFile, SnapshotPayload};
use faultline_engine::vfs::FaultKind;
use faultline_sim::world::{Host, LogStoreKind, NetBase, Trace, World, WorldConfig, program};
use madsim::rand::Rng;

use super::harness::Scenario;
use super::ops::{
    Reference, create_collection, delete, read_value, reference_values, upsert, values_in,
    write_acked,
};

/// Every scenario by name (the fresh-process determinism test looks them up here).
pub const ALL: &[(&str, Scenario)] = &[
    ("single_member", single_member),
    ("apply_fault", apply_fault),
    ("snapshot_roundtrip", snapshot_roundtrip),
    ("snapshot_to_fresh_voter", snapshot_to_fresh_voter),
    ("three_member_apply", three_member_apply),
    ("leader_kill", leader_kill),
    ("minority_write", minority_write),
    ("snapshot_purge_join", snapshot_purge_join),
    ("partition_rejoin", partition_rejoin),
    ("crash_restart", crash_restart),
    ("lossy_network", lossy_network),
];

fn boxed(f: impl Future<Output = Trace> + 'static) -> Pin<Box<dyn Future<Output = Trace>>> {
    Box::pin(f)
}

const LONG: Duration = Duration::from_secs(30);
const TRIES: u32 = 50;

async fn world(seed: u64, config: WorldConfig) -> World {
    World::new(seed, config)
        .await
        .unwrap_or_else(|e| panic!("world did not boot: {e}"))
}

/// A booted world, a client of it, and the register collection created through that client
/// (acknowledged, and fed to the returned reference).
async fn world_with_collection(
    seed: u64,
    config: WorldConfig,
) -> (World, faultline_sim::world::WorldClient, Reference) {
    let w = world(seed, config).await;
    let c = w.client().unwrap();
    let mut reference = Reference::new();
    write_acked(&w, &c, create_collection(), TRIES).await;
    reference.apply(&create_collection());
    (w, c, reference)
}

fn rng() -> madsim::rand::GlobalRng {
    madsim::rand::thread_rng()
}

/// Writes `n` upserts of random keys in `0..keys` with unique values; returns the last
/// response's log index. Every write is acknowledged and fed to `reference`.
async fn write_some(
    w: &World,
    client: &faultline_sim::world::WorldClient,
    reference: &mut Reference,
    n: u64,
    keys: u64,
    first_value: u64,
) -> u64 {
    let mut last = 0;
    for i in 0..n {
        let req = upsert(rng().gen_range(0..keys), first_value + i);
        last = write_acked(w, client, req.clone(), TRIES).await.log_index;
        reference.apply(&req);
    }
    last
}

/// Item 1: a single-member group commits ops and the engine serves them.
pub fn single_member(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(1)).await;
        write_some(&w, &c, &mut reference, 12, 6, 100).await;
        let del = delete(rng().gen_range(0..6));
        write_acked(&w, &c, del.clone(), TRIES).await;
        reference.apply(&del);
        for k in 0..6 {
            assert_eq!(
                read_value(&w, &c, k, TRIES).await,
                reference.value(k),
                "key {k}"
            );
        }
        let state = w.engine_state(1).unwrap();
        assert_eq!(values_in(&state, 6), reference_values(&reference, 6));
        w.trace().clone()
    })
}

/// Item 2: an engine apply fault (EIO on write or sync, or ENOSPC) on the only node surfaces to
/// the client as an error, never as a phantom success.
pub fn apply_fault(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        // The in-memory log store keeps the engine's apply the node's only disk writer, so the
        // scheduled fault hits exactly the apply of the next op.
        let config = WorldConfig {
            log_store: LogStoreKind::Memory,
            ..WorldConfig::with_nodes(1)
        };
        let (w, c, mut reference) = world_with_collection(seed, config).await;
        write_some(&w, &c, &mut reference, 4, 4, 100).await;

        let kinds = [FaultKind::WriteEio, FaultKind::SyncEio, FaultKind::NoSpace];
        let kind = kinds[rng().gen_range(0..kinds.len())];
        let disk = w.disk(1).unwrap();
        let before = disk.counters();
        disk.schedule_fault(kind, before.ops + 1);
        w.note(format!("schedule {kind:?} on node 1"));
        let key = 3;
        let r = c.write(upsert(key, 999)).await;
        assert!(
            disk.counters().faults_fired > before.faults_fired,
            "{kind:?} never fired"
        );
        assert!(
            r.is_err(),
            "{kind:?} on apply answered {r:?}: a phantom success"
        );
        // Nor does the value show up later.
        if let Ok(Some(rec)) = c.read(super::ops::COLL, key).await {
            assert_ne!(
                super::ops::value_of(&rec.payload.0),
                999,
                "{kind:?}: failed write served"
            );
        }
        w.trace().clone()
    })
}

/// Item 3: snapshot build, read-back and install (by a restart from a purged log) round-trip.
pub fn snapshot_roundtrip(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(1)).await;
        write_some(&w, &c, &mut reference, 15, 8, 100).await;
        let before = w.engine_state(1).unwrap();
        let at = w.trigger_snapshot(1).await.unwrap();
        // Read the durable snapshot back from a copy of the node's disk (no side effects on it).
        let copy = Arc::new(w.disk(1).unwrap().fork());
        let stored = SnapshotFile::new(copy, &Path::new(program::DATA_DIR).join("sm"))
            .load()
            .expect("the snapshot file reads back")
            .expect("a snapshot file after trigger_snapshot");
        let payload = SnapshotPayload::decode(&stored.data, &stored.meta).expect("it decodes");
        assert_eq!(stored.meta.last_log_id.map(|l| l.index), Some(at));
        assert_eq!(payload.last_applied.map(|l| l.index), before.last_applied);
        assert_eq!(
            payload.ops, before.ops,
            "the snapshot holds the engine state it was built from"
        );
        w.purge_log(1, at).await.unwrap();
        w.kill(1).unwrap();
        w.restart(1).await.unwrap();
        w.wait_for_leader(LONG).await.unwrap();
        w.wait_applied(&[1], at, LONG).await.unwrap();
        assert_eq!(w.engine_state(1).unwrap().ops, before.ops);
        for k in 0..8 {
            assert_eq!(
                read_value(&w, &c, k, TRIES).await,
                reference.value(k),
                "key {k}"
            );
        }
        w.trace().clone()
    })
}

/// Item 4: a snapshot transfers engine state to a fresh, empty voter.
pub fn snapshot_to_fresh_voter(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let config = WorldConfig {
            voters: 1,
            ..WorldConfig::with_nodes(2)
        };
        let (w, c, mut reference) = world_with_collection(seed, config).await;
        write_some(&w, &c, &mut reference, 15, 8, 100).await;
        let at = w.trigger_snapshot(1).await.unwrap();
        w.purge_log(1, at).await.unwrap();
        assert!(
            w.engine_state(2).unwrap().ops.is_empty(),
            "node 2 starts empty"
        );
        w.add_voter(2).await.unwrap();
        w.wait_applied(&[2], at, LONG).await.unwrap();
        let m2 = w.metrics(2).unwrap();
        assert!(
            m2.snapshot.is_some_and(|s| s.index >= at),
            "node 2 caught up without installing the snapshot: {:?}",
            m2.snapshot
        );
        assert_eq!(
            w.engine_state(2).unwrap().ops,
            w.engine_state(1).unwrap().ops
        );
        assert_eq!(
            values_in(&w.engine_state(2).unwrap(), 8),
            reference_values(&reference, 8)
        );
        w.trace().clone()
    })
}

/// Item 5: a three-member group applies every committed op on every voter.
pub fn three_member_apply(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
        let mut last = write_some(&w, &c, &mut reference, 20, 10, 100).await;
        for _ in 0..3 {
            let req = delete(rng().gen_range(0..10));
            last = write_acked(&w, &c, req.clone(), TRIES).await.log_index;
            reference.apply(&req);
        }
        w.wait_applied(&[1, 2, 3], last, LONG).await.unwrap();
        let want = reference_values(&reference, 10);
        for n in 1..=3 {
            assert_eq!(values_in(&w.engine_state(n).unwrap(), 10), want, "node {n}");
        }
        w.trace().clone()
    })
}

/// Item 6 (and the bench's scenario): after the leader is killed, every acknowledged write is
/// served by the survivors, and they agree with a single-node engine fed the same ops.
pub async fn leader_kill_with(seed: u64, writes: u64) -> Trace {
    let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
    let keys = 16;
    let kill_after = rng().gen_range(1..writes);
    write_some(&w, &c, &mut reference, kill_after, keys, 100).await;
    let leader = w.leader().expect("a leader");
    w.kill(leader).unwrap();
    let last = write_some(
        &w,
        &c,
        &mut reference,
        writes - kill_after,
        keys,
        100 + kill_after,
    )
    .await;
    let survivors: Vec<u64> = (1..=3).filter(|n| *n != leader).collect();
    for k in 0..keys {
        assert_eq!(
            read_value(&w, &c, k, TRIES).await,
            reference.value(k),
            "key {k}"
        );
    }
    w.wait_applied(&survivors, last, LONG).await.unwrap();
    let want = reference_values(&reference, keys);
    for n in &survivors {
        assert_eq!(
            values_in(&w.engine_state(*n).unwrap(), keys),
            want,
            "survivor {n}"
        );
    }
    w.trace().clone()
}

pub fn leader_kill(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(leader_kill_with(seed, 20))
}

/// Item 7: with two of three voters partitioned away, a write cannot commit (bounded wait) and
/// the remaining node still holds everything committed before.
pub fn minority_write(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
        let last = write_some(&w, &c, &mut reference, 10, 6, 100).await;
        // The minority is the current leader (or, by the seed, a follower).
        let leader = w.leader().expect("a leader");
        let alone = if rng().gen_bool(0.5) {
            leader
        } else {
            (1..=3).find(|n| *n != leader).unwrap()
        };
        w.wait_applied(&[alone], last, LONG).await.unwrap();
        let others: Vec<u64> = (1..=3).filter(|n| *n != alone).collect();
        w.partition(&[vec![alone], others.clone()]).unwrap();
        // The client reaches only the lone node.
        for n in &others {
            w.clog(Host::Client(c.id()), Host::Node(*n)).unwrap();
            w.clog(Host::Node(*n), Host::Client(c.id())).unwrap();
        }
        let applied_before = w.metrics(alone).unwrap().last_applied;
        let bounded = madsim::time::timeout(Duration::from_secs(10), c.write(upsert(0, 999))).await;
        assert!(
            !matches!(bounded, Ok(Ok(_))),
            "a write committed on a one-node minority: {bounded:?}"
        );
        w.sleep(Duration::from_secs(2)).await;
        assert_eq!(w.metrics(alone).unwrap().last_applied, applied_before);
        assert_eq!(
            values_in(&w.engine_state(alone).unwrap(), 6),
            reference_values(&reference, 6),
            "node {alone} lost committed data"
        );
        w.heal();
        w.trace().clone()
    })
}

/// Item 8: after snapshot + purge on the leader, a newly added voter catches up by installing
/// the snapshot and holds data it never saw in its log.
pub fn snapshot_purge_join(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let config = WorldConfig {
            voters: 3,
            ..WorldConfig::with_nodes(4)
        };
        let (w, c, mut reference) = world_with_collection(seed, config).await;
        write_some(&w, &c, &mut reference, 15, 8, 100).await;
        let leader = w.leader().expect("a leader");
        let at = w.trigger_snapshot(leader).await.unwrap();
        w.purge_log(leader, at).await.unwrap();
        w.add_voter(4).await.unwrap();
        let last = write_some(&w, &c, &mut reference, 5, 8, 200).await;
        w.wait_applied(&[1, 2, 3, 4], last, LONG).await.unwrap();
        let m4 = w.metrics(4).unwrap();
        assert!(
            m4.snapshot.is_some_and(|s| s.index >= at),
            "node 4 did not install the snapshot: {:?}",
            m4.snapshot
        );
        let want = reference_values(&reference, 8);
        for n in 1..=4 {
            assert_eq!(values_in(&w.engine_state(n).unwrap(), 8), want, "node {n}");
        }
        w.trace().clone()
    })
}

/// Item 9: a partitioned voter rejoins after healing and catches up.
pub fn partition_rejoin(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
        write_some(&w, &c, &mut reference, 5, 8, 100).await;
        let leader = w.leader().expect("a leader");
        let cut = (1..=3)
            .filter(|n| *n != leader)
            .nth(rng().gen_range(0..2))
            .unwrap();
        w.isolate(cut).unwrap();
        let last = write_some(&w, &c, &mut reference, 15, 8, 200).await;
        let behind = w.metrics(cut).unwrap().last_applied.map_or(0, |l| l.index);
        assert!(
            behind < last,
            "the isolated node applied {behind} >= {last}"
        );
        w.heal();
        w.wait_applied(&[cut], last, LONG).await.unwrap();
        assert_eq!(
            values_in(&w.engine_state(cut).unwrap(), 8),
            reference_values(&reference, 8)
        );
        w.trace().clone()
    })
}

/// Item 10: a voter killed with unsynced disk writes lost (torn, by the seed) restarts from its
/// durable log and vote and rejoins without losing any acknowledged write.
pub fn crash_restart(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
        write_some(&w, &c, &mut reference, 10, 8, 100).await;
        let victim = rng().gen_range(1..=3u64);
        let disk = w.disk(victim).unwrap();
        let mut faults = disk.faults();
        faults.torn_writes = rng().gen_bool(0.5);
        disk.set_faults(faults);
        let term = w.metrics(victim).unwrap().current_term;
        w.kill(victim).unwrap();
        write_some(&w, &c, &mut reference, 5, 8, 200).await;
        // Restart it cut off, so its term can come only from its own disk: the first metrics
        // its Raft reports (well before an election timeout) must show the term it had.
        w.isolate(victim).unwrap();
        w.restart(victim).await.unwrap();
        let recovered = w
            .wait_until(
                victim,
                "recovered metrics",
                Duration::from_millis(100),
                |m| m.last_log_index.map(|_| m.term),
            )
            .await
            .unwrap();
        assert!(
            recovered >= term,
            "node {victim} forgot its term: {recovered} < {term}"
        );
        w.heal();
        let last = write_some(&w, &c, &mut reference, 5, 8, 300).await;
        w.wait_applied(&[1, 2, 3], last, LONG).await.unwrap();
        let want = reference_values(&reference, 8);
        for n in 1..=3 {
            assert_eq!(values_in(&w.engine_state(n).unwrap(), 8), want, "node {n}");
        }
        w.trace().clone()
    })
}

/// The network knobs on a real cluster: slower, lossy links everywhere plus two flaky links
/// still let every write commit; after healing, every voter converges.
pub fn lossy_network(seed: u64) -> Pin<Box<dyn Future<Output = Trace>>> {
    boxed(async move {
        let (w, c, mut reference) = world_with_collection(seed, WorldConfig::with_nodes(3)).await;
        let base = NetBase {
            latency: Duration::from_millis(1)..Duration::from_millis(rng().gen_range(5..30)),
            loss: rng().gen_range(0.0..0.1),
        };
        w.set_net_base(&base).unwrap();
        for _ in 0..2 {
            let from = rng().gen_range(1..=3u64);
            let to = (from % 3) + 1;
            let p = rng().gen_range(0.1..0.5);
            w.set_flaky(
                Host::Node(from),
                Host::Node(to),
                p,
                Duration::from_millis(50),
            )
            .unwrap();
        }
        let last = write_some(&w, &c, &mut reference, 15, 8, 100).await;
        w.heal();
        w.set_net_base(&NetBase::default()).unwrap();
        w.wait_applied(&[1, 2, 3], last, LONG).await.unwrap();
        let want = reference_values(&reference, 8);
        for n in 1..=3 {
            assert_eq!(values_in(&w.engine_state(n).unwrap(), 8), want, "node {n}");
        }
        w.trace().clone()
    })
}
