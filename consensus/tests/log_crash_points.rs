//! Crash-point enumeration for the durable log store and the snapshot file on the harsh crash
//! model.
//!
//! A seeded workload (batched appends, truncations, purges that trigger a compaction of the log
//! file, vote saves, snapshot replacements) runs on a disk that records a crash image after
//! every mutating disk operation. Each image is crashed under several seeds — each another
//! subset of unsynced writes, lengths and directory entries a real file system may keep, half
//! of them with torn sectors — and recovered with the store's own recovery code. It must hold
//! what had been acknowledged and nothing that was never written: the vote, purge point and
//! snapshot are the old or the new one, the entries are the acknowledged ones plus, for an
//! append in flight, a prefix of it. A recovered store must then take a write that survives
//! another crash.

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::log_store::record::MetaRecord;
use faultline_consensus::log_store::{DurableLog, LogCache};
use faultline_consensus::snapshot::{SnapshotFile, StoredSnapshot};
use faultline_consensus::type_config::StoredMembership;
use faultline_consensus::{Command, LogImage, TypeConfig};
use faultline_engine::vfs::SplitMix64;
use faultline_engine::{CrashImages, CrashModel, CrashReport, SimVfs, WalOp};
use openraft::{CommittedLeaderId, EntryPayload, LogId, SnapshotMeta, Vote};

type Entry = openraft::Entry<TypeConfig>;

const LOG_DIR: &str = "/n1/raft";
const SM_DIR: &str = "/n1/sm";
/// Harsh crash outcomes per crash point: seeds `0..SEEDS`, even seeds tearing sectors.
const SEEDS: u64 = 6;

fn log_id(term: u64, index: u64) -> LogId<u64> {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

fn entry(term: u64, index: u64) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(Command {
            request_id: index,
            op: WalOp::Delete {
                collection_id: 1,
                external_id: index,
            }
            .into(),
        }),
    }
}

fn snapshot(id: u64, last: LogId<u64>) -> StoredSnapshot {
    StoredSnapshot {
        meta: SnapshotMeta {
            last_log_id: Some(last),
            last_membership: StoredMembership::default(),
            snapshot_id: format!("snap-{id}"),
        },
        // Large enough to span many sectors.
        data: vec![id as u8; 1500 + (id as usize * 97) % 1000],
    }
}

/// What the store and the snapshot file hold after a prefix of the workload.
#[derive(Clone, PartialEq)]
struct Held {
    log: LogImage,
    snapshot: Option<String>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.log.entries;
        write!(
            f,
            "vote {:?}, purged {:?}, {} entries {:?}..{:?}, snapshot {:?}",
            self.log.vote,
            self.log.last_purged.map(|p| p.index),
            e.len(),
            e.first().map(|l| l.index),
            e.last().map(|l| (l.leader_id.term, l.index)),
            self.snapshot
        )
    }
}

/// Runs the workload; returns the images and what was held after each prefix of it.
fn record(seed: u64) -> (Vec<(usize, SimVfs)>, Vec<Held>) {
    let mut rng = SplitMix64::new(seed);
    let disk = SimVfs::new(seed);
    disk.set_crash_model(CrashModel::Harsh);
    let rec = Arc::new(CrashImages::new(disk));
    let (mut log, mut cache, _) = DurableLog::open(rec.clone(), Path::new(LOG_DIR)).unwrap();
    let snaps = SnapshotFile::new(rec.clone(), Path::new(SM_DIR));
    assert!(snaps.load().unwrap().is_none());
    let mut held = vec![Held {
        log: cache.image(),
        snapshot: None,
    }];
    let (mut term, mut next, mut snap_id) = (1, 1, 0);
    let mut compactions = 0;
    for step in 0..90 {
        rec.set_step(step);
        match rng.below(10) {
            // Appends dominate, in batches that span sectors.
            0..=4 => {
                let n = 1 + rng.below(60);
                let batch: Vec<Entry> = (next..next + n).map(|i| entry(term, i)).collect();
                log.append(&batch).unwrap();
                batch.into_iter().for_each(|e| cache.append(e));
                next += n;
            }
            5 => {
                let last = cache.last_log_id().map_or(0, |l| l.index);
                let first = cache.last_purged().map_or(1, |p| p.index + 1);
                if last >= first {
                    let since = first + rng.below(last - first + 1);
                    let removed = cache.entries_in(since..).len();
                    log.truncate(since, removed).unwrap();
                    cache.truncate(since);
                    next = since;
                    term += 1;
                }
            }
            6 => {
                let live: Vec<LogId<u64>> = cache.live_entries().map(|e| e.log_id).collect();
                if live.len() > 20 {
                    let upto = live[live.len() - 1 - rng.below(10) as usize];
                    let removed = cache.entries_in(..=upto.index).len();
                    let due = log.purge(upto, removed).unwrap();
                    cache.purge(upto);
                    if due {
                        log.compact(&cache).unwrap();
                        compactions += 1;
                    }
                }
            }
            7 | 8 => {
                let vote = Vote::new(term + rng.below(3), 1 + rng.below(3));
                let committed = cache.last_log_id();
                log.save_meta(&MetaRecord {
                    vote: Some(vote),
                    committed,
                })
                .unwrap();
                cache.set_vote(vote);
            }
            _ => {
                if let Some(last) = cache.last_log_id() {
                    snap_id += 1;
                    snaps.store(&snapshot(snap_id, last)).unwrap();
                }
            }
        }
        held.push(Held {
            log: cache.image(),
            snapshot: (snap_id > 0).then(|| format!("snap-{snap_id}")),
        });
    }
    assert!(compactions > 0, "the workload should compact the log file");
    let images = rec.take_images();
    (images, held)
}

/// Whether `got` is what step `step` (in flight) may leave: the state before or after it, or
/// for an append the state before plus a prefix of the appended entries.
fn acceptable(got: &Held, before: &Held, after: &Held) -> bool {
    let one_of = |f: &dyn Fn(&Held) -> bool| f(before) || f(after);
    let entries_ok = got.log.entries == before.log.entries
        || got.log.entries == after.log.entries
        || (after.log.entries.starts_with(&before.log.entries)
            && after.log.entries.starts_with(&got.log.entries)
            && got.log.entries.starts_with(&before.log.entries));
    entries_ok
        && one_of(&|h| h.log.vote == got.log.vote)
        && one_of(&|h| h.log.last_purged == got.log.last_purged)
        && one_of(&|h| h.snapshot == got.snapshot)
}

fn recover(disk: &SimVfs) -> Result<(DurableLog, LogCache, Held), String> {
    let (log, cache, _) =
        DurableLog::open(Arc::new(disk.clone()), Path::new(LOG_DIR)).map_err(|e| e.to_string())?;
    let snaps = SnapshotFile::new(Arc::new(disk.clone()), Path::new(SM_DIR));
    let snapshot = snaps.load().map_err(|e| e.to_string())?;
    let held = Held {
        log: cache.image(),
        snapshot: snapshot.map(|s| s.meta.snapshot_id),
    };
    Ok((log, cache, held))
}

#[test]
fn every_harsh_crash_point_of_the_log_store_recovers_what_it_acknowledged() {
    let (images, held) = record(0x10C5);
    let (mut crashes, mut partial_appends, mut torn) = (0u64, 0u64, 0u64);
    let mut sum = CrashReport::default();
    for (i, (step, image)) in images.iter().enumerate() {
        let (before, after) = (&held[*step], &held[*step + 1]);
        for seed in 0..SEEDS {
            let disk = image.fork_with_seed(i as u64 * 7919 + seed);
            let tear = seed.is_multiple_of(2);
            let report = disk.crash_with(tear);
            let label = format!("crash point {i} (step {step}) seed {seed}");
            let (mut log, cache, got) = recover(&disk)
                .unwrap_or_else(|e| panic!("{label}: recovery failed: {e}\n{report:?}"));
            assert!(
                acceptable(&got, before, after),
                "{label}: recovered {got:?}\nbefore {before:?}\nafter {after:?}\n{report:?}"
            );
            partial_appends += u64::from(
                got.log.entries != before.log.entries && got.log.entries != after.log.entries,
            );
            torn += report.torn_pending;
            sum.kept_pending += report.kept_pending;
            sum.dropped_pending += report.dropped_pending;
            sum.vanished_files += report.vanished_files;
            crashes += 1;

            // Healthy afterwards: a new entry is durable across another crash.
            let next = cache.last_log_id().map_or(1, |l| l.index + 1);
            log.append(&[entry(99, next)]).unwrap();
            drop(log);
            disk.crash_with(tear);
            let (_, _, again) = recover(&disk).unwrap();
            assert_eq!(
                again.log.entries.last(),
                Some(&log_id(99, next)),
                "{label}: post-recovery append lost"
            );
        }
    }
    println!(
        "log store crash points: {} images x {SEEDS} seeds = {crashes} crashes, all recovered; \
         unsynced changes kept {}, dropped {}, torn {torn}; {partial_appends} recovered part of \
         an append; {} files vanished",
        images.len(),
        sum.kept_pending,
        sum.dropped_pending,
        sum.vanished_files
    );
    assert!(partial_appends > 0 && torn > 0 && sum.vanished_files > 0);
}
