//! Acceptance 3: with read corruption on, no corrupted record is ever applied or served; with
//! EIO (and ENOSPC) on, errors surface, a failed sync poisons the engine until reopen, and
//! nothing acknowledged is lost — including across the Linux "fsync dropped my pages" trap.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use common::{Model, apply_engine, view, workload};
use faultline_engine::wal::reader::scan;
use faultline_engine::{
    Database, Descriptor, Error, FaultConfig, FaultKind, Metric, Options, SimVfs, VfsError,
};
use serde_json::{Value, json};

const DIR: &str = "/db";

fn open(disk: &SimVfs, options: Options) -> Result<Database, Error> {
    Database::open_with(Arc::new(disk.clone()), DIR, options)
}

fn small_checkpoints() -> Options {
    Options {
        checkpoint_wal_bytes: 4096,
        ..Options::default()
    }
}

fn no_checkpoints() -> Options {
    Options {
        checkpoint_wal_bytes: u64::MAX,
        ..Options::default()
    }
}

/// A disk holding the workload's final state, and that state.
fn populated(seed: u64, options: Options) -> (SimVfs, Model) {
    let disk = SimVfs::new(seed);
    let mut db = open(&disk, options).unwrap();
    let mut model = Model::default();
    for step in workload(seed, 120) {
        let want = model.apply(&step);
        assert_eq!(apply_engine(&mut db, &step).is_ok(), want);
    }
    (disk, model)
}

#[test]
fn read_corruption_is_never_applied_or_served_and_destroys_nothing() {
    for (options, label) in [
        (small_checkpoints(), "checkpoints"),
        (no_checkpoints(), "wal only"),
    ] {
        let (disk, model) = populated(11, options.clone());
        disk.crash();
        let mut opened = 0;
        let mut refused = 0;
        let mut corruptions = 0;
        for (i, p) in [0.05, 0.3, 0.6, 1.0].into_iter().enumerate() {
            for seed in 0..60u64 {
                let d = disk.fork_with_seed(seed * 7 + i as u64);
                d.set_faults(FaultConfig {
                    read_corruption: p,
                    ..FaultConfig::default()
                });
                match open(&d, options.clone()) {
                    // Whatever recovery accepted is exactly the acknowledged state.
                    Ok(db) => {
                        assert_eq!(view(&db), model, "{label} p={p} seed={seed}");
                        opened += 1;
                    }
                    Err(e) => {
                        assert!(matches!(e, Error::Io(_) | Error::Corrupt { .. }), "{e}");
                        refused += 1;
                    }
                }
                corruptions += d.counters().read_corruptions;
                // And it repaired nothing on the word of a garbled read.
                d.clear_faults();
                d.crash();
                assert_eq!(
                    view(&open(&d, options.clone()).unwrap()),
                    model,
                    "{label} p={p}"
                );
            }
        }
        assert!(
            opened > 0 && refused > 0 && corruptions > 0,
            "{opened} {refused} {corruptions}"
        );
    }
}

/// Byte offsets of each record in the active WAL segment.
fn record_offsets(disk: &SimVfs, generation: u64) -> Vec<u64> {
    let path = format!("{DIR}/{}", faultline_engine::wal::segment_name(generation));
    let bytes = disk.durable_contents(Path::new(&path)).unwrap();
    let mut offsets = vec![0];
    let mut at = 0usize;
    while at < bytes.len() {
        let index = offsets.len() as u64 - 1;
        let (_, used) =
            faultline_engine::wal::record::decode_frame(&bytes[at..], generation, index).unwrap();
        at += used;
        offsets.push(at as u64);
    }
    assert_eq!(
        scan(&bytes, generation).unwrap().batches.len() + 1,
        offsets.len()
    );
    offsets
}

#[test]
fn on_disk_corruption_cuts_the_log_before_the_bad_record() {
    let base = SimVfs::new(1);
    let mut db = open(&base, no_checkpoints()).unwrap();
    let d = Descriptor {
        dim: 2,
        metric: Metric::L2,
    };
    db.create_collection("c", d).unwrap();
    let mut models = vec![];
    let mut m = BTreeMap::new();
    for id in 0..20u64 {
        models.push(m.clone());
        db.upsert("c", id, &[id as f32, 1.0], json!({"id": id}))
            .unwrap();
        m.insert(id, id as f32);
    }
    models.push(m);
    let generation = db.generation();
    drop(db);
    let offsets = record_offsets(&base, generation);
    assert_eq!(offsets.len(), 22); // create + 20 upserts, plus the end
    for rec in 1..21usize {
        for within in [0u64, 5, 12] {
            let disk = base.fork();
            let at = offsets[rec] + within.min(offsets[rec + 1] - offsets[rec] - 1);
            disk.rot_byte(
                Path::new(&format!("{DIR}/wal-{generation:020}.log")),
                at,
                0x40,
            )
            .unwrap();
            let db = open(&disk, no_checkpoints()).unwrap();
            let got: BTreeMap<u64, f32> = (0..20)
                .filter_map(|id| db.get("c", id).unwrap().map(|r| (id, r.vector[0])))
                .collect();
            // Record `rec` is upsert `rec - 1`; it and everything after it are cut.
            assert_eq!(got, models[rec - 1], "rot in record {rec} at +{within}");
            let (offset, ..) = db.recovery_report().truncated.clone().unwrap();
            assert_eq!(offset, offsets[rec]);
        }
    }
}

#[test]
fn a_corrupt_checkpoint_falls_back_to_the_older_chain_or_is_a_typed_error() {
    let disk = SimVfs::new(2);
    let mut db = open(&disk, no_checkpoints()).unwrap();
    db.create_collection(
        "c",
        Descriptor {
            dim: 1,
            metric: Metric::Dot,
        },
    )
    .unwrap();
    db.upsert("c", 1, &[1.0], Value::Null).unwrap();
    db.checkpoint().unwrap();
    db.upsert("c", 2, &[2.0], Value::Null).unwrap();
    let g = db.generation();
    let want = view(&db);
    drop(db);
    let ckpt = format!("{DIR}/{}", faultline_engine::checkpoint::checkpoint_name(g));

    // The old generation's removal was not yet durable. Where a crash keeps the old chain,
    // recovery skips the bad checkpoint and replays the older WAL followed by the newer one;
    // where it kept part of the removal, the damage is a typed error.
    let (mut fell_back, mut refused) = (0, 0);
    for seed in 0..32 {
        let image = disk.fork_with_seed(seed);
        image.crash();
        image.rot_byte(Path::new(&ckpt), 40, 1).unwrap();
        match open(&image, no_checkpoints()) {
            Ok(db) => {
                assert_eq!(view(&db), want, "seed {seed}");
                assert_eq!(db.recovery_report().skipped_checkpoints.len(), 1);
                fell_back += 1;
            }
            Err(err) => {
                assert!(matches!(err, Error::Corrupt { .. }), "seed {seed}: {err}");
                refused += 1;
            }
        }
    }
    assert!(fell_back > 0 && refused > 0, "{fell_back} {refused}");
    disk.crash();

    // After a clean reopen has durably removed the old generation, the same damage cannot be
    // worked around: a typed error, never a state missing the checkpoint's contents.
    drop(open(&disk, no_checkpoints()).unwrap());
    disk.crash();
    disk.rot_byte(Path::new(&ckpt), 40, 1).unwrap();
    let err = open(&disk, no_checkpoints()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn failed_sync_poisons_until_reopen_and_reopen_does_not_trust_the_page_cache() {
    let disk = SimVfs::new(3);
    let mut db = open(&disk, no_checkpoints()).unwrap();
    let d = Descriptor {
        dim: 1,
        metric: Metric::L2,
    };
    db.create_collection("c", d).unwrap();
    db.upsert("c", 1, &[1.0], Value::Null).unwrap();
    disk.schedule_fault(FaultKind::SyncEio, disk.counters().ops + 1);
    let err = db.upsert("c", 2, &[2.0], Value::Null).unwrap_err();
    assert!(
        matches!(err, Error::Io(VfsError::Io { op: "sync", .. })),
        "{err}"
    );
    let err = db.upsert("c", 3, &[3.0], Value::Null).unwrap_err();
    assert!(matches!(err, Error::Poisoned { .. }), "{err}");
    assert!(err.to_string().contains("until reopened"), "{err}");
    assert!(matches!(db.checkpoint(), Err(Error::Poisoned { .. })));
    assert!(matches!(db.restore(vec![]), Err(Error::Poisoned { .. })));
    // Reads still work and show only acknowledged data.
    assert!(db.get("c", 1).unwrap().is_some());
    assert!(db.get("c", 2).unwrap().is_none());
    drop(db);

    // Reopen *without* a crash: the failed record is still visible in the page cache, but not
    // on disk. Acknowledged writes made after this reopen must survive a later power failure.
    let mut db = open(&disk, no_checkpoints()).unwrap();
    for id in 10..20 {
        db.upsert("c", id, &[id as f32], Value::Null).unwrap();
    }
    drop(db);
    disk.crash();
    let db = open(&disk, no_checkpoints()).unwrap();
    for id in (10..20).chain([1]) {
        assert!(
            db.get("c", id).unwrap().is_some(),
            "acknowledged id {id} lost"
        );
    }
}

#[test]
fn every_fault_inside_a_checkpoint_surfaces_and_loses_nothing() {
    let (base, model) = populated(5, no_checkpoints());
    // Count the operations one checkpoint takes.
    let probe = base.fork();
    let mut db = open(&probe, no_checkpoints()).unwrap();
    let before = probe.counters().ops;
    db.checkpoint().unwrap();
    let span = probe.counters().ops - before;
    assert!(span >= 5, "{span}");
    let mut failures = 0;
    for offset in 1..=span {
        for kind in [FaultKind::WriteEio, FaultKind::SyncEio, FaultKind::NoSpace] {
            let disk = base.fork();
            let mut db = open(&disk, no_checkpoints()).unwrap();
            disk.schedule_fault(kind, disk.counters().ops + offset);
            if let Err(e) = db.checkpoint() {
                failures += 1;
                assert!(matches!(e, Error::Io(_)), "{e}");
                assert_eq!(view(&db), model);
            }
            drop(db);
            disk.clear_faults();
            disk.crash_with(true);
            let db = open(&disk, no_checkpoints()).unwrap();
            assert_eq!(view(&db), model, "{kind:?} at checkpoint op {offset}");
        }
    }
    assert!(failures >= 4, "{failures}");
}

#[test]
fn random_eio_and_enospc_surface_and_nothing_acknowledged_is_lost() {
    let rounds = 6 * common::scale() as u64;
    let mut totals = (0u64, 0u64, 0u64);
    for seed in 0..rounds {
        let disk = SimVfs::with_faults(
            seed,
            FaultConfig {
                write_eio: 0.03,
                sync_eio: 0.03,
                read_eio: 0.05,
                capacity_bytes: Some(48 * 1024),
                torn_writes: true,
                ..FaultConfig::default()
            },
        );
        let reopen = |disk: &SimVfs| loop {
            match open(disk, small_checkpoints()) {
                Ok(db) => break db,
                Err(e) => assert!(matches!(e, Error::Io(_)), "open: {e}"),
            }
        };
        let mut db = reopen(&disk);
        while db
            .create_collection(
                "c",
                Descriptor {
                    dim: 2,
                    metric: Metric::L2,
                },
            )
            .is_err()
        {
            db = reopen(&disk);
            if db.collection_names().len() == 1 {
                break;
            }
        }
        let mut acked: BTreeMap<u64, f32> = BTreeMap::new();
        let mut unknown: BTreeMap<u64, f32> = BTreeMap::new();
        for id in 0..300u64 {
            let v = id as f32 + seed as f32 / 100.0;
            match db.upsert("c", id, &[v, 0.0], json!({"id": id})) {
                Ok(()) => {
                    acked.insert(id, v);
                }
                Err(Error::Io(e)) => {
                    totals.1 += 1;
                    unknown.insert(id, v);
                    assert!(e.is_media_error(), "{e}");
                    // The engine refuses further writes until reopened.
                    let next = db.upsert("c", 10_000, &[0.0, 0.0], Value::Null);
                    assert!(matches!(next, Err(Error::Poisoned { .. })), "{next:?}");
                    totals.2 += 1;
                    if id % 3 == 0 {
                        drop(db);
                        disk.crash();
                    }
                    db = reopen(&disk);
                }
                Err(e) => panic!("unexpected {e}"),
            }
            if id % 50 == 49 {
                drop(db);
                disk.crash();
                db = reopen(&disk);
            }
        }
        drop(db);
        disk.clear_faults();
        disk.set_faults(FaultConfig::default());
        disk.crash_with(true);
        let db = open(&disk, small_checkpoints()).unwrap();
        for (id, v) in &acked {
            let r = db.get("c", *id).unwrap();
            assert_eq!(
                r.map(|r| r.vector[0]),
                Some(*v),
                "seed {seed}: acked {id} lost"
            );
        }
        for id in 0..300u64 {
            if db.get("c", id).unwrap().is_some() {
                assert!(acked.contains_key(&id) || unknown.contains_key(&id));
            }
        }
        assert!(db.get("c", 10_000).unwrap().is_none());
        totals.0 += disk.counters().faults_fired;
    }
    println!(
        "faults fired {}, failed writes {}, poison refusals {}",
        totals.0, totals.1, totals.2
    );
    assert!(totals.1 > 10 && totals.2 > 10);
}
