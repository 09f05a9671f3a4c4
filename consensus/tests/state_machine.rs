//! The state machine over the engine: applies, deterministic rejections, an engine disk failure
//! surfacing as a storage error (never a phantom success), and the snapshot build / read-back /
//! install round trip into a fresh engine.

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::snapshot::SnapshotFile;
use faultline_consensus::state_machine::lock_state;
use faultline_consensus::{Applied, Command, StateMachineStore, TypeConfig};
use faultline_engine::{Database, Descriptor, FaultKind, Metric, SimVfs, WalOp, vector_to_bytes};
use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, EntryPayload, LogId, RaftSnapshotBuilder};

type Entry = openraft::Entry<TypeConfig>;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    #[cfg(madsim)]
    {
        madsim::runtime::Runtime::new().block_on(f)
    }
    #[cfg(not(madsim))]
    {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }
}

fn entry(index: u64, op: WalOp) -> Entry {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Command {
            request_id: index,
            op: op.into(),
        }),
    }
}

fn create(id: u64) -> WalOp {
    WalOp::CreateCollection {
        collection_id: id,
        name: format!("c{id}"),
        descriptor: Descriptor {
            dim: 2,
            metric: Metric::L2,
        },
    }
}

fn upsert(collection_id: u64, id: u64, v: f32) -> WalOp {
    WalOp::Upsert {
        collection_id,
        external_id: id,
        vector: vector_to_bytes(&[v, 1.0]),
        payload: format!("{{\"v\":{v}}}").into_bytes(),
    }
}

fn store(vfs: &Arc<SimVfs>, dir: &str) -> StateMachineStore {
    let engine = Database::open(vfs.clone(), Path::new(dir).join("engine")).unwrap();
    let file = SnapshotFile::new(vfs.clone(), &Path::new(dir).join("sm"));
    StateMachineStore::open(engine, Some(file)).unwrap()
}

#[test]
fn applies_report_what_they_observed_and_invalid_ops_are_rejected_alike() {
    block_on(async {
        let vfs = Arc::new(SimVfs::new(1));
        let mut sm = store(&vfs, "/a");
        let out = sm
            .apply(vec![
                entry(1, create(1)),
                entry(2, upsert(1, 7, 1.0)),
                entry(3, upsert(1, 7, 2.0)),
                entry(4, upsert(9, 1, 1.0)),
            ])
            .await
            .unwrap();
        assert_eq!(
            out[0].applied,
            Applied::CollectionCreated { collection_id: 1 }
        );
        assert_eq!(out[1].applied, Applied::Upserted { previous: None });
        match &out[2].applied {
            Applied::Upserted { previous: Some(r) } => assert_eq!(r.vector, vec![1.0, 1.0]),
            other => panic!("expected the previous value, got {other:?}"),
        }
        assert!(matches!(out[3].applied, Applied::Rejected { .. }));
        let (applied, _) = sm.applied_state().await.unwrap();
        assert_eq!(applied.map(|l| l.index), Some(4));
    });
}

#[test]
fn an_engine_disk_failure_on_a_committed_entry_is_a_storage_error() {
    block_on(async {
        let vfs = Arc::new(SimVfs::new(2));
        let mut sm = store(&vfs, "/b");
        sm.apply(vec![entry(1, create(1))]).await.unwrap();
        vfs.schedule_fault(FaultKind::SyncEio, vfs.counters().ops + 1);
        let res = sm.apply(vec![entry(2, upsert(1, 1, 1.0))]).await;
        assert!(
            res.is_err(),
            "a failed apply must not be reported as applied"
        );
        let (applied, _) = sm.applied_state().await.unwrap();
        assert_eq!(
            applied.map(|l| l.index),
            Some(1),
            "last applied did not move"
        );
    });
}

#[test]
fn snapshot_build_read_back_install_round_trip() {
    block_on(async {
        let vfs = Arc::new(SimVfs::new(3));
        let mut src = store(&vfs, "/src");
        let mut entries = vec![entry(1, create(1)), entry(2, create(2))];
        for i in 0..20 {
            entries.push(entry(3 + i, upsert(1 + i % 2, i, i as f32)));
        }
        src.apply(entries).await.unwrap();

        let mut builder = src.get_snapshot_builder().await;
        let built = builder.build_snapshot().await.unwrap();
        let read_back = src.get_current_snapshot().await.unwrap().expect("kept");
        assert_eq!(read_back.meta, built.meta);
        assert_eq!(read_back.snapshot.get_ref(), built.snapshot.get_ref());

        // A fresh node with divergent state of its own installs it and ends up identical.
        let mut dst = store(&vfs, "/dst");
        dst.apply(vec![entry(1, create(5)), entry(2, upsert(5, 1, 9.0))])
            .await
            .unwrap();
        dst.install_snapshot(&read_back.meta, read_back.snapshot)
            .await
            .unwrap();
        let src_state = lock_state(&src.state()).engine_state();
        let dst_state = lock_state(&dst.state()).engine_state();
        assert_eq!(src_state, dst_state);
        assert_eq!(
            dst.applied_state().await.unwrap().0.map(|l| l.index),
            Some(22)
        );

        // And the installed snapshot survives a restart of the destination.
        drop(dst);
        vfs.crash();
        let restarted = store(&vfs, "/dst");
        assert_eq!(lock_state(&restarted.state()).engine_state(), src_state);
    });
}
