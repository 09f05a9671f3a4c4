//! Acceptance 4: decoder robustness. At least 100 000 random and mutated WAL segments and
//! checkpoint files (times `FAULTLINE_ENGINE_CASES`) are fed to recovery (`Database::open` on a
//! fresh `SimVfs`) and to the decoders directly. Nothing may panic; recovery either fails with
//! a typed error or yields exactly the state of a valid prefix of the original records.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Model, Step, apply_engine, view, workload};
use faultline_engine::checkpoint::{self, checkpoint_name};
use faultline_engine::vfs::SplitMix64;
use faultline_engine::wal::reader::scan;
use faultline_engine::wal::segment_name;
use faultline_engine::{Database, Error, Options, SimVfs, Vfs, WalOp};

const DIR: &str = "/db";

fn options() -> Options {
    Options {
        checkpoint_wal_bytes: u64::MAX,
        ..Options::default()
    }
}

fn wal_path(g: u64) -> PathBuf {
    Path::new(DIR).join(segment_name(g))
}

fn ckpt_path(g: u64) -> PathBuf {
    Path::new(DIR).join(checkpoint_name(g))
}

/// A disk holding exactly `files`.
fn disk_with(files: &[(PathBuf, &[u8])]) -> SimVfs {
    let disk = SimVfs::new(0);
    disk.create_dir_all(Path::new(DIR)).unwrap();
    for (path, bytes) in files {
        disk.create(path).unwrap();
        disk.write_at(path, 0, bytes).unwrap();
    }
    disk
}

/// Damages `base` in one of several ways (or replaces it with noise).
fn mutate(rng: &mut SplitMix64, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    let pos = |rng: &mut SplitMix64, len: usize| rng.below(len as u64 + 1) as usize;
    let noise = |rng: &mut SplitMix64, n: usize| -> Vec<u8> {
        (0..n).map(|_| rng.next_u64() as u8).collect()
    };
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        match rng.below(9) {
            0 => {
                let n = rng.below(600) as usize;
                b = noise(rng, n);
            }
            1 => {
                let at = pos(rng, b.len());
                b.truncate(at);
            }
            2 => {
                for _ in 0..1 + rng.below(4) {
                    if !b.is_empty() {
                        let at = rng.below(b.len() as u64) as usize;
                        b[at] ^= 1 << rng.below(8);
                    }
                }
            }
            3 => {
                let at = pos(rng, b.len());
                let n = (rng.below(64) as usize).min(b.len() - at);
                let fill = if rng.chance(0.5) {
                    vec![0; n]
                } else {
                    noise(rng, n)
                };
                b[at..at + n].copy_from_slice(&fill);
            }
            4 => {
                let at = pos(rng, b.len());
                let n = 1 + rng.below(32) as usize;
                let ins = noise(rng, n);
                b.splice(at..at, ins);
            }
            5 => {
                let at = pos(rng, b.len());
                let n = (rng.below(64) as usize).min(b.len() - at);
                b.drain(at..at + n);
            }
            6 => {
                // Duplicate a range (a replayed or misdirected write).
                let at = pos(rng, b.len());
                let n = (rng.below(200) as usize).min(b.len() - at);
                let copy = b[at..at + n].to_vec();
                let to = pos(rng, b.len());
                b.splice(to..to, copy);
            }
            7 => {
                // Length fields of absurd sizes at a random spot.
                let at = pos(rng, b.len().saturating_sub(4));
                let v = [u32::MAX, 0, 1, 64 << 20, (64 << 20) + 1][rng.below(5) as usize];
                if b.len() >= at + 4 {
                    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            _ => {
                // Sector-sized zeroing, like a torn write's lost sector.
                let sector = rng.below(b.len() as u64 / 512 + 1) as usize * 512;
                let end = (sector + 512).min(b.len());
                if sector < end {
                    b[sector..end].fill(0);
                }
            }
        }
    }
    b
}

/// Feeds bytes to every decoder directly; they may fail but must not panic.
fn decoders_survive(bytes: &[u8]) {
    let _ = scan(bytes, 1);
    let _ = checkpoint::decode(bytes, 2);
    let _ = WalOp::decode(bytes);
    let _ = faultline_engine::op::decode_ops(bytes);
}

#[test]
fn recovery_survives_100k_random_and_mutated_files() {
    // The original: a WAL segment from a real workload, and the states after each record.
    let src = SimVfs::new(42);
    let mut db = Database::open_with(Arc::new(src.clone()), DIR, options()).unwrap();
    let mut model = Model::default();
    for step in workload(42, 25)
        .into_iter()
        .filter(|s| *s != Step::Checkpoint)
    {
        let want = model.apply(&step);
        assert_eq!(apply_engine(&mut db, &step).is_ok(), want);
    }
    drop(db);
    let wal = src.durable_contents(&wal_path(1)).unwrap();
    let batches = scan(&wal, 1).unwrap().batches;
    assert!(batches.len() >= 25);
    let mut prefix_views = Vec::new();
    let mut cut = 0usize;
    for j in 0..=batches.len() {
        let disk = disk_with(&[(wal_path(1), &wal[..cut])]);
        let db = Database::open_with(Arc::new(disk), DIR, options()).unwrap();
        assert_eq!(db.recovery_report().batches_replayed, j as u64);
        prefix_views.push(view(&db));
        if j < batches.len() {
            cut += faultline_engine::wal::record::decode_frame(&wal[cut..], 1, j as u64)
                .unwrap()
                .1;
        }
    }
    assert_eq!(prefix_views.last(), Some(&model));
    // A checkpoint of the final state (generation 2) with an empty WAL after it.
    let ckpt = checkpoint::encode(2, &faultline_engine_snapshot(&wal));

    let cases = 100_000 * common::scale();
    let mut rng = SplitMix64::new(7);
    let (mut ok, mut failed) = (0u64, 0u64);
    for case in 0..cases {
        let kind = case % 10;
        let outcome = if kind < 6 {
            // A damaged WAL segment alone.
            let bytes = mutate(&mut rng, &wal);
            decoders_survive(&bytes);
            let disk = disk_with(&[(wal_path(1), &bytes)]);
            Database::open_with(Arc::new(disk), DIR, options()).map(|db| {
                let j = db.recovery_report().batches_replayed as usize;
                assert_eq!(
                    view(&db),
                    prefix_views[j],
                    "case {case}: not a valid prefix"
                );
            })
        } else {
            // A damaged checkpoint (its older WAL gone), possibly with a damaged WAL after it.
            let bytes = mutate(&mut rng, &ckpt);
            decoders_survive(&bytes);
            let tail = if kind == 9 {
                mutate(&mut rng, &wal)
            } else {
                Vec::new()
            };
            let disk = disk_with(&[(ckpt_path(2), &bytes), (wal_path(2), &tail)]);
            Database::open_with(Arc::new(disk), DIR, options()).map(|db| {
                // The checkpoint verified, so it is the original; the tail holds records of
                // another generation, none of which may be replayed here.
                assert_eq!(db.recovery_report().batches_replayed, 0, "case {case}");
                assert_eq!(view(&db), model, "case {case}");
            })
        };
        match outcome {
            Ok(()) => ok += 1,
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        Error::Corrupt { .. }
                            | Error::Decode { .. }
                            | Error::UnsupportedVersion { .. }
                    ),
                    "case {case}: unexpected error kind {e:?}"
                );
                failed += 1;
            }
        }
    }
    println!(
        "decoder robustness: {cases} files fed to recovery: {ok} recovered a valid prefix, {failed} typed errors"
    );
    assert_eq!(ok + failed, cases as u64);
    assert!(ok > 1000 && failed > 1000, "{ok} {failed}");
}

/// The final state's snapshot, rebuilt from the WAL by replaying it on a scratch disk.
fn faultline_engine_snapshot(wal: &[u8]) -> Vec<WalOp> {
    let disk = disk_with(&[(wal_path(1), wal)]);
    Database::open_with(Arc::new(disk), DIR, options())
        .unwrap()
        .replication_snapshot()
}
