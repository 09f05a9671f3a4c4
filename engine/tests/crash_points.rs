//! Acceptance 2: exhaustive crash-point enumeration on `SimVfs`.
//!
//! A seeded workload of >= 200 accepted mutations runs against a disk that records a crash image
//! after *every* mutating disk operation (create, write, append, truncate, sync, sync_dir,
//! rename, remove, mkdir) — every write/sync boundary, none sampled. Each image is then crashed
//! (cleanly, and with the last write torn at 512-byte sectors under several seeds), reopened,
//! and must equal the model after some prefix of the workload that contains every step whose
//! call had returned `Ok` when the image was taken. The recovered database must also accept a
//! new write that survives a further crash.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Model, apply_engine, view, workload};
use faultline_engine::{Database, Options, SimVfs, Vfs, VfsResult};

const DIR: &str = "/db";

/// A `Vfs` that forks the disk after every mutating operation, tagged with how many workload
/// steps had completed at that moment.
#[derive(Debug)]
struct Recorder {
    inner: SimVfs,
    step: AtomicUsize,
    images: Mutex<Vec<(usize, SimVfs)>>,
}

impl Recorder {
    fn snap<T>(&self, r: VfsResult<T>) -> VfsResult<T> {
        let image = self.inner.fork();
        let step = self.step.load(Ordering::SeqCst);
        self.images.lock().unwrap().push((step, image));
        r
    }
}

impl Vfs for Recorder {
    fn create_dir_all(&self, dir: &Path) -> VfsResult<()> {
        self.snap(self.inner.create_dir_all(dir))
    }
    fn create(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.create(path))
    }
    fn exists(&self, path: &Path) -> VfsResult<bool> {
        self.inner.exists(path)
    }
    fn len(&self, path: &Path) -> VfsResult<u64> {
        self.inner.len(path)
    }
    fn read_at(&self, path: &Path, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        self.inner.read_at(path, offset, buf)
    }
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> VfsResult<()> {
        self.snap(self.inner.write_at(path, offset, data))
    }
    fn append(&self, path: &Path, data: &[u8]) -> VfsResult<u64> {
        self.snap(self.inner.append(path, data))
    }
    fn truncate(&self, path: &Path, len: u64) -> VfsResult<()> {
        self.snap(self.inner.truncate(path, len))
    }
    fn sync(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.sync(path))
    }
    fn sync_dir(&self, dir: &Path) -> VfsResult<()> {
        self.snap(self.inner.sync_dir(dir))
    }
    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()> {
        self.snap(self.inner.rename(from, to))
    }
    fn remove(&self, path: &Path) -> VfsResult<()> {
        self.snap(self.inner.remove(path))
    }
    fn list(&self, dir: &Path) -> VfsResult<Vec<String>> {
        self.inner.list(dir)
    }
}

fn options() -> Options {
    Options {
        // Small, so the workload crosses several automatic checkpoints.
        checkpoint_wal_bytes: 3 * 1024,
        ..Options::default()
    }
}

/// Runs the workload, returning the recorded images and the model after each prefix.
fn record(seed: u64, mutations: usize) -> (Vec<(usize, SimVfs)>, Vec<Model>) {
    let steps = workload(seed, mutations);
    let rec = Arc::new(Recorder {
        inner: SimVfs::new(seed),
        step: AtomicUsize::new(0),
        images: Mutex::new(Vec::new()),
    });
    let mut db = Database::open_with(rec.clone(), DIR, options()).unwrap();
    let mut models = vec![Model::default()];
    let mut model = Model::default();
    for (i, step) in steps.iter().enumerate() {
        rec.step.store(i, Ordering::SeqCst);
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
    let images = std::mem::take(&mut *rec.images.lock().unwrap());
    (images, models)
}

/// Crashes one image, reopens, checks the prefix property and that a new write survives.
fn check_image(disk: &SimVfs, torn: bool, step: usize, models: &[Model], label: &str) {
    disk.crash_with(torn);
    let mut db = Database::open_with(Arc::new(disk.clone()), DIR, options())
        .unwrap_or_else(|e| panic!("{label}: reopen failed: {e}"));
    let got = view(&db);
    // Steps < `step` had returned Ok; step `step` was in flight.
    let ok = got == models[step] || models.get(step + 1) == Some(&got);
    assert!(
        ok,
        "{label}: recovered state is neither the model after {step} nor after {} steps\n\
         got {got:?}\nwant {:?}",
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
        disk.crash_with(false);
        let db = Database::open_with(Arc::new(disk.clone()), DIR, options()).unwrap();
        assert!(
            db.get(&name, 999).unwrap().is_some(),
            "{label}: post-recovery write lost"
        );
    }
}

#[test]
fn every_crash_point_recovers_to_an_acknowledged_prefix() {
    let mutations = 200 * common::scale();
    let (images, models) = record(0xC0FFEE, mutations);
    for (i, (step, image)) in images.iter().enumerate() {
        check_image(
            &image.fork(),
            false,
            *step,
            &models,
            &format!("clean crash point {i}"),
        );
    }
    println!(
        "crash points checked (clean): {} over {} workload steps ({} accepted mutations)",
        images.len(),
        models.len() - 1,
        mutations
    );
    assert!(images.len() > 2 * mutations);
}

#[test]
fn every_crash_point_with_torn_writes_recovers_to_an_acknowledged_prefix() {
    let mutations = 200 * common::scale();
    let (images, models) = record(0xBADC0DE, mutations);
    let tears = 3u64;
    let mut torn_kept = 0;
    for (i, (step, image)) in images.iter().enumerate() {
        for t in 0..tears {
            let disk = image.fork_with_seed(i as u64 * 31 + t);
            let before = disk.counters().torn_writes;
            check_image(
                &disk,
                true,
                *step,
                &models,
                &format!("torn crash point {i}/{t}"),
            );
            torn_kept += disk.counters().torn_writes - before;
        }
    }
    println!(
        "crash points checked (torn): {} images x {tears} tear seeds = {} ({} tears kept a partial write) over {} steps",
        images.len(),
        images.len() as u64 * tears,
        torn_kept,
        models.len() - 1
    );
    assert!(
        torn_kept > 100,
        "torn writes should actually keep partial data"
    );
}
