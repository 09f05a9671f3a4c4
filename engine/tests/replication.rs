//! Acceptance 5: `replication_snapshot` → `restore` reproduces identical `get`/`search` results
//! on a fresh engine, and `restore` onto divergent state yields exactly the snapshot's state —
//! durably. Also the follower path: `apply_replicated` (single and batched) matches the leader,
//! and a replica's lookups by the replicated ids (`get_by_id`, `collection_name_of`) match the
//! lookups by name.

mod common;

use std::sync::Arc;

use common::{Model, apply_engine, assert_reads_match, view, workload};
use faultline_engine::{
    Database, Descriptor, Error, Metric, SearchParams, SimVfs, WalOp, vector_to_bytes,
};
use serde_json::json;

fn fresh(seed: u64) -> (SimVfs, Database) {
    let disk = SimVfs::new(seed);
    let db = Database::open(Arc::new(disk.clone()), "/db").unwrap();
    (disk, db)
}

fn built(seed: u64) -> (SimVfs, Database, Model) {
    let (disk, mut db) = fresh(seed);
    let mut model = Model::default();
    for step in workload(seed, 150) {
        let want = model.apply(&step);
        assert_eq!(apply_engine(&mut db, &step).is_ok(), want);
    }
    (disk, db, model)
}

/// Every search answer of `a` and `b` agrees, over all collections and several queries.
fn assert_same_answers(a: &Database, b: &Database) {
    assert_eq!(a.collection_names(), b.collection_names());
    for name in a.collection_names() {
        let dim = a.descriptor(&name).unwrap().dim as usize;
        for id in 0..30 {
            assert_eq!(a.get(&name, id).unwrap(), b.get(&name, id).unwrap());
        }
        for q in 0..8 {
            let query: Vec<f32> = (0..dim).map(|i| ((q + i) % 5) as f32 - 2.0).collect();
            let p = SearchParams {
                k: 7,
                filter: None,
                with_payload: true,
                with_vector: true,
            };
            assert_eq!(
                a.search(&name, &query, &p).unwrap(),
                b.search(&name, &query, &p).unwrap()
            );
        }
    }
}

#[test]
fn database_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Database>();
    assert_send_sync::<WalOp>();
}

#[test]
fn snapshot_restored_on_a_fresh_engine_answers_identically() {
    let (_, leader, model) = built(1);
    let snap = leader.replication_snapshot();
    assert!(!snap.is_empty());
    let (disk, mut follower) = fresh(2);
    follower.restore(snap.clone()).unwrap();
    assert_same_answers(&leader, &follower);
    assert_reads_match(&follower, &model, 30);
    assert_eq!(follower.replication_snapshot(), snap);
    // Durable: survives a power failure.
    drop(follower);
    disk.crash_with(true);
    let follower = Database::open(Arc::new(disk), "/db").unwrap();
    assert_same_answers(&leader, &follower);
}

#[test]
fn restore_onto_divergent_state_yields_exactly_the_snapshot_and_is_idempotent() {
    let (_, leader, model) = built(3);
    let snap = leader.replication_snapshot();
    // A follower that went its own way: other collections, other points, same names too.
    let (disk, mut follower, _) = built(4);
    follower
        .create_collection(
            "only-here",
            Descriptor {
                dim: 1,
                metric: Metric::L2,
            },
        )
        .unwrap();
    assert_ne!(view(&follower), model);
    follower.restore(snap.clone()).unwrap();
    assert_eq!(view(&follower), model);
    follower.restore(snap.clone()).unwrap();
    assert_eq!(view(&follower), model);
    assert_eq!(follower.replication_snapshot(), snap);
    assert_same_answers(&leader, &follower);
    // Writes after a restore are logged on top of it.
    let name = follower.collection_names()[0].clone();
    let dim = follower.descriptor(&name).unwrap().dim as usize;
    follower
        .upsert(&name, 77, &vec![1.0; dim], json!(1))
        .unwrap();
    drop(follower);
    disk.crash();
    let follower = Database::open(Arc::new(disk), "/db").unwrap();
    assert!(follower.get(&name, 77).unwrap().is_some());
    assert!(
        !follower
            .collection_names()
            .contains(&"only-here".to_string())
    );
}

#[test]
fn invalid_restore_changes_nothing() {
    let (_, mut db, model) = built(5);
    let bad_sets = vec![
        // Upsert before its collection exists.
        vec![WalOp::Upsert {
            collection_id: 1,
            external_id: 1,
            vector: vector_to_bytes(&[1.0]),
            payload: b"null".to_vec(),
        }],
        // Duplicate collection name.
        vec![
            WalOp::CreateCollection {
                collection_id: 1,
                name: "x".into(),
                descriptor: Descriptor {
                    dim: 1,
                    metric: Metric::L2,
                },
            },
            WalOp::CreateCollection {
                collection_id: 2,
                name: "x".into(),
                descriptor: Descriptor {
                    dim: 1,
                    metric: Metric::L2,
                },
            },
        ],
    ];
    let generation = db.generation();
    for ops in bad_sets {
        assert!(db.restore(ops).unwrap_err().is_invalid_input());
        assert_eq!(view(&db), model);
        assert_eq!(db.generation(), generation, "nothing was written");
    }
    db.restore(Vec::new()).unwrap();
    assert!(db.collection_names().is_empty());
}

#[test]
fn followers_applying_the_leaders_ops_converge() {
    // The leader's ops are its WAL ops; feed them to a follower one by one and batched.
    let ops = {
        let (_, leader, _) = built(6);
        leader.replication_snapshot()
    };
    let (_, mut one) = fresh(7);
    for op in ops.iter().cloned() {
        one.apply_replicated(op).unwrap();
    }
    let (_, mut batched) = fresh(8);
    for chunk in ops.chunks(16) {
        let results = batched.apply_replicated_batch(chunk.to_vec()).unwrap();
        assert!(results.iter().all(Result::is_ok));
    }
    assert_eq!(one.replication_snapshot(), ops);
    assert_eq!(batched.replication_snapshot(), ops);

    // In a batch, an invalid op fails alone, exactly as if applied one at a time.
    let (_, mut f) = fresh(9);
    let d = Descriptor {
        dim: 2,
        metric: Metric::Cosine,
    };
    let batch = vec![
        WalOp::CreateCollection {
            collection_id: 5,
            name: "c".into(),
            descriptor: d,
        },
        WalOp::Upsert {
            collection_id: 5,
            external_id: 1,
            vector: vector_to_bytes(&[1.0]),
            payload: b"{}".to_vec(),
        },
        WalOp::Upsert {
            collection_id: 5,
            external_id: 2,
            vector: vector_to_bytes(&[1.0, 2.0]),
            payload: b"{}".to_vec(),
        },
        WalOp::CreateCollection {
            collection_id: 5,
            name: "d".into(),
            descriptor: d,
        },
    ];
    let results = f.apply_replicated_batch(batch).unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(matches!(results[1], Err(Error::DimensionMismatch { .. })));
    assert!(matches!(
        results[3],
        Err(Error::DuplicateCollectionId { id: 5 })
    ));
    assert_eq!(f.collection_names(), ["c"]);
    assert_eq!(f.len("c").unwrap(), 1);
    assert_eq!(f.collection_id("c").unwrap(), 5);
}

#[test]
fn lookups_by_replicated_id_match_lookups_by_name() {
    for seed in 0..4 {
        let (_, db, _) = built(seed);
        let mut found = 0;
        for name in db.collection_names() {
            let cid = db.collection_id(&name).unwrap();
            assert_eq!(db.collection_name_of(cid), Some(name.as_str()));
            for id in 0..30 {
                let by_id = db.get_by_id(cid, id);
                found += usize::from(by_id.is_some());
                assert_eq!(by_id, db.get(&name, id).unwrap());
            }
        }
        assert!(
            found > 0,
            "seed {seed}: the workload left no point to look up"
        );
        let unused = db
            .collection_names()
            .iter()
            .map(|n| db.collection_id(n).unwrap())
            .max()
            .unwrap_or(0)
            + 1;
        assert_eq!(db.collection_name_of(unused), None);
        assert_eq!(db.get_by_id(unused, 0), None);
    }
}
