//! Acceptance 2: exhaustive crash-point enumeration on `SimVfs`.
//!
//! A seeded workload of >= 200 accepted mutations runs against a disk that records a crash image
//! after *every* mutating disk operation (create, write, append, truncate, sync, sync_dir,
//! rename, remove, mkdir) — every write/sync boundary, none sampled. Each image is then crashed,
//! reopened, and must equal the model after some prefix of the workload that contains every step
//! whose call had returned `Ok` when the image was taken. The recovered database must also
//! accept a new write that survives a further crash.
//!
//! Under the harsh crash model (the default) every crash point is crashed under several seeds,
//! half of them tearing sectors: each seed is another subset of the unsynced writes, lengths and
//! directory entries that a real file system may keep. The gentle model (the last write torn,
//! everything else unsynced lost) is kept as a comparison run.

mod common;

use std::sync::Arc;

use common::{Model, apply_engine, view, workload};
use faultline_engine::{CrashImages, CrashModel, CrashReport, Database, Options, SimVfs};

const DIR: &str = "/db";

fn options() -> Options {
    Options {
        // Small, so the workload crosses several automatic checkpoints.
        checkpoint_wal_bytes: 3 * 1024,
        ..Options::default()
    }
}

/// Runs the workload, returning the recorded images and the model after each prefix.
fn record(seed: u64, mutations: usize, model: CrashModel) -> (Vec<(usize, SimVfs)>, Vec<Model>) {
    let steps = workload(seed, mutations);
    let disk = SimVfs::new(seed);
    disk.set_crash_model(model);
    let rec = Arc::new(CrashImages::new(disk));
    let mut db = Database::open_with(rec.clone(), DIR, options()).unwrap();
    let mut models = vec![Model::default()];
    let mut model = Model::default();
    for (i, step) in steps.iter().enumerate() {
        rec.set_step(i);
        let want = model.apply(step);
        let got = apply_engine(&mut db, step);
        assert_eq!(got.is_ok(), want, "step {i} {step:?}: {got:?}");
        models.push(model.clone());
    }
    assert_eq!(view(&db), model);
    let checkpoints = db.generation();
    assert!(
        checkpoints >= 4,
        "workload should cross checkpoints, got {checkpoints}"
    );
    let images = rec.take_images();
    (images, models)
}

/// Crashes one image, reopens, checks the prefix property and that a new write survives.
/// Returns the crash's report and whether the step in flight survived.
fn check_image(
    disk: &SimVfs,
    torn: bool,
    step: usize,
    models: &[Model],
    label: &str,
) -> (CrashReport, bool) {
    let report = disk.crash_with(torn);
    let mut db = Database::open_with(Arc::new(disk.clone()), DIR, options())
        .unwrap_or_else(|e| panic!("{label}: reopen failed: {e}\n{report:?}"));
    let got = view(&db);
    // Steps < `step` had returned Ok; step `step` was in flight.
    let in_flight = got != models[step] && models.get(step + 1) == Some(&got);
    assert!(
        got == models[step] || in_flight,
        "{label}: recovered state is neither the model after {step} nor after {} steps\n\
         got {got:?}\nwant {:?}\n{report:?}",
        step + 1,
        models[step]
    );
    // The recovered database is healthy: a new write is durable across another crash.
    let name = got.colls.keys().next().cloned();
    if let Some(name) = name {
        let dim = got.colls[&name].desc.dim as usize;
        db.upsert(&name, 999, &vec![0.5; dim], serde_json::Value::Null)
            .unwrap();
        drop(db);
        disk.crash_with(torn);
        let db = Database::open_with(Arc::new(disk.clone()), DIR, options()).unwrap();
        assert!(
            db.get(&name, 999).unwrap().is_some(),
            "{label}: post-recovery write lost"
        );
    }
    (report, in_flight)
}

#[test]
fn every_gentle_crash_point_recovers_to_an_acknowledged_prefix() {
    let mutations = 200 * common::scale();
    let (images, models) = record(0xC0FFEE, mutations, CrashModel::Gentle);
    let tears = 3u64;
    let mut torn_kept = 0;
    for (i, (step, image)) in images.iter().enumerate() {
        check_image(&image.fork(), false, *step, &models, &format!("clean {i}"));
        for t in 0..tears {
            let disk = image.fork_with_seed(i as u64 * 31 + t);
            let before = disk.counters().torn_writes;
            check_image(&disk, true, *step, &models, &format!("torn {i}/{t}"));
            torn_kept += disk.counters().torn_writes - before;
        }
    }
    println!(
        "gentle crash points: {} images x (1 clean + {tears} torn) = {} crashes ({torn_kept} \
         tears kept a partial write) over {} steps",
        images.len(),
        images.len() as u64 * (1 + tears),
        models.len() - 1
    );
    assert!(images.len() > 2 * mutations);
    assert!(
        torn_kept > 100,
        "torn writes should actually keep partial data"
    );
}

/// Harsh crash outcomes per crash point: seeds `0..HARSH_SEEDS`, even seeds tearing sectors.
const HARSH_SEEDS: u64 = 8;

#[test]
fn every_harsh_crash_point_recovers_to_an_acknowledged_prefix() {
    let mutations = 200 * common::scale();
    let (images, models) = record(0xBADC0DE, mutations, CrashModel::Harsh);
    let mut sum = CrashReport::default();
    let (mut in_flight, mut with_pending, mut dir_changes) = (0u64, 0u64, 0u64);
    for (i, (step, image)) in images.iter().enumerate() {
        for seed in 0..HARSH_SEEDS {
            let disk = image.fork_with_seed(i as u64 * 1009 + seed);
            let label = format!("harsh crash point {i} seed {seed}");
            let (r, survived) = check_image(&disk, seed.is_multiple_of(2), *step, &models, &label);
            in_flight += u64::from(survived);
            with_pending += u64::from(!r.files.is_empty());
            dir_changes += u64::from(r.reverted_entries + r.vanished_dirs > 0);
            sum.kept_pending += r.kept_pending;
            sum.dropped_pending += r.dropped_pending;
            sum.torn_pending += r.torn_pending;
            sum.vanished_files += r.vanished_files;
        }
    }
    let crashes = images.len() as u64 * HARSH_SEEDS;
    println!(
        "harsh crash points: {} images x {HARSH_SEEDS} seeds = {crashes} crashes, all recovered, \
         over {} steps; {with_pending} crashes had unsynced writes (kept {}, dropped {}, torn \
         {}), {dir_changes} undid directory entries, {} files vanished, {in_flight} kept the \
         step in flight",
        images.len(),
        models.len() - 1,
        sum.kept_pending,
        sum.dropped_pending,
        sum.torn_pending,
        sum.vanished_files
    );
    assert!(images.len() > 2 * mutations);
    // The model did more than drop everything: each kind of outcome happened. (Few WAL records
    // span two sectors, so few writes can tear.)
    for (what, n) in [
        ("kept writes", sum.kept_pending),
        ("dropped writes", sum.dropped_pending),
        ("torn writes", sum.torn_pending),
        ("undone directory entries", dir_changes),
        ("steps in flight kept", in_flight),
    ] {
        assert!(n > 20, "only {n} crashes with {what}");
    }
}
