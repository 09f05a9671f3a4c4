//! Crash-point enumeration for the durable raft-io log on the harsh crash model.
//!
//! A seeded workload drives the log through raft-io's own seam (`RaftLog`: batched appends, a
//! follower's truncate-then-append, hard-state saves, snapshot installs that keep or drop the
//! tail, enough dead records to rewrite the log file), one `sync()` per step, and flushes each
//! step as the node driver does. The disk records a crash image after every mutating
//! operation. Each image is crashed under several seeds — another subset of unsynced writes,
//! lengths and directory entries each time, half of them with torn sectors — and recovered
//! with the log's own recovery code. It must find the log as it was before the step in
//! flight, or after it, or (for an append) before it plus a prefix of what it appended — and
//! a snapshot that matches its base. A recovered log must then take a write that survives
//! another crash.
#![cfg(madsim)]

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::observe::Reporter;
use faultline_consensus::raft_io::log_files::LogFiles;
use faultline_consensus::raft_io::{RioLog, RioLogHandle, RioLogImage};
use faultline_engine::vfs::SplitMix64;
use faultline_engine::{CrashImages, CrashModel, CrashReport, SimVfs, Vfs};
use raft_io::{HardState, LogEntry, RaftLog, Snapshot};

const DIR: &str = "/n1/raft";
/// Harsh crash outcomes per crash point: seeds `0..SEEDS`, even seeds tearing sectors.
const SEEDS: u64 = 4;

fn entry(term: u64, index: u64) -> LogEntry {
    // Large enough that a batch spans many sectors.
    LogEntry::new(
        term,
        index,
        vec![(index % 251) as u8; 40 + (index % 7) as usize * 20],
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    madsim::runtime::Runtime::new().block_on(f)
}

fn open(vfs: Arc<dyn Vfs>) -> (RioLog, RioLogHandle) {
    let (log, handle, _) = RioLog::open(vfs, Path::new(DIR), Reporter::default()).unwrap();
    (log, handle)
}

/// Runs the workload; returns the crash images and the log after each prefix of it.
fn record(seed: u64) -> (Vec<(usize, SimVfs)>, Vec<RioLogImage>, usize) {
    let mut rng = SplitMix64::new(seed);
    let disk = SimVfs::new(seed);
    disk.set_crash_model(CrashModel::Harsh);
    let rec = Arc::new(CrashImages::new(disk));
    let (mut log, handle) = open(rec.clone());
    let mut held = vec![handle.contents().image()];
    let (mut term, mut snapshots) = (1u64, 0usize);
    let steps = 120;
    for step in 0..steps {
        rec.set_step(step);
        match rng.below(10) {
            0..=4 => {
                let next = log.last_index() + 1;
                let n = 1 + rng.below(60);
                let batch: Vec<LogEntry> = (next..next + n).map(|i| entry(term, i)).collect();
                log.append(&batch).unwrap();
            }
            5 => {
                // A follower's conflict: truncate a suffix and append the leader's entries.
                let (base, last) = (log.snapshot_index(), log.last_index());
                if last > base {
                    term += 1;
                    let from = base + 1 + rng.below(last - base);
                    log.truncate(from).unwrap();
                    let n = rng.below(30);
                    let batch: Vec<LogEntry> = (from..from + n).map(|i| entry(term, i)).collect();
                    log.append(&batch).unwrap();
                }
            }
            6 | 7 => {
                let h = log.hard_state();
                let bump = rng.below(2);
                let voted_for = Some(1 + rng.below(3));
                term = term.max(h.term + bump);
                log.set_hard_state(HardState {
                    term: h.term + bump,
                    voted_for,
                })
                .unwrap();
            }
            _ => {
                let (base, last) = (log.snapshot_index(), log.last_index());
                if last > base + 10 {
                    let index = base + 1 + rng.below(last - base - 5);
                    // Mostly a snapshot of our own log (the tail stays); sometimes a leader's
                    // whose boundary term we do not hold (the tail goes).
                    let own = rng.below(4) != 0;
                    let t = if own {
                        log.term_at(index).unwrap()
                    } else {
                        term + 1
                    };
                    let data = vec![snapshots as u8; 700 + rng.below(900) as usize];
                    log.apply_snapshot(&Snapshot::with_config(index, t, vec![1, 2, 3], data))
                        .unwrap();
                    snapshots += 1;
                }
            }
        }
        log.sync().unwrap();
        block_on(handle.flush()).unwrap();
        let image = handle.contents().image();
        assert_eq!(handle.probe().state().acknowledged, image);
        held.push(image);
    }
    assert!(snapshots > 5, "the workload should install snapshots");
    assert!(
        rec.renamed_to().iter().any(|to| to.ends_with("log")),
        "the workload should rewrite the log file"
    );
    let images = rec.take_images();
    (images, held, snapshots)
}

fn common_prefix<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Whether `got` is what a crash during the step from `before` to `after` may leave.
fn acceptable(got: &RioLogImage, before: &RioLogImage, after: &RioLogImage) -> bool {
    if got == before || got == after {
        return true;
    }
    let kept = common_prefix(&before.entries, &after.entries);
    got.vote == before.vote
        && before.vote == after.vote
        && got.purged == before.purged
        && before.purged == after.purged
        && got.entries.len() > kept
        && got.entries.len() <= after.entries.len()
        && got.entries[..] == after.entries[..got.entries.len()]
}

fn recover(disk: &SimVfs) -> Result<RioLogImage, String> {
    let (_, contents, _) =
        LogFiles::open(Arc::new(disk.clone()), Path::new(DIR)).map_err(|e| e.to_string())?;
    if contents.base_index > 0 {
        let s = contents
            .snapshot
            .as_ref()
            .ok_or("a base without its snapshot")?;
        if (s.index, s.term) != (contents.base_index, contents.base_term) {
            return Err(format!(
                "snapshot {}@{} under base {}@{}",
                s.index, s.term, contents.base_index, contents.base_term
            ));
        }
    }
    Ok(contents.image())
}

#[test]
fn every_harsh_crash_point_of_the_raft_io_log_recovers_what_it_acknowledged() {
    let (images, held, _) = record(0x2A1F);
    let (mut crashes, mut partial, mut torn) = (0u64, 0u64, 0u64);
    let mut sum = CrashReport::default();
    for (i, (step, image)) in images.iter().enumerate() {
        let (before, after) = (&held[*step], &held[*step + 1]);
        for seed in 0..SEEDS {
            let disk = image.fork_with_seed(i as u64 * 7919 + seed);
            let tear = seed.is_multiple_of(2);
            let report = disk.crash_with(tear);
            let label = format!("crash point {i} (step {step}) seed {seed}");
            let got = recover(&disk)
                .unwrap_or_else(|e| panic!("{label}: recovery failed: {e}\n{report:?}"));
            assert!(
                acceptable(&got, before, after),
                "{label}: recovered {got:?}\nbefore {before:?}\nafter {after:?}\n{report:?}"
            );
            partial += u64::from(&got != before && &got != after);
            torn += report.torn_pending;
            sum.kept_pending += report.kept_pending;
            sum.dropped_pending += report.dropped_pending;
            sum.vanished_files += report.vanished_files;
            crashes += 1;

            // Healthy afterwards: a new entry is durable across another crash.
            let (mut log, handle) = open(Arc::new(disk.clone()));
            let next = log.last_index() + 1;
            log.append(&[entry(99, next)]).unwrap();
            log.sync().unwrap();
            block_on(handle.flush()).unwrap();
            drop((log, handle));
            disk.crash_with(tear);
            let again = recover(&disk).unwrap();
            assert_eq!(
                again.entries.last().map(|l| (l.term, l.index)),
                Some((99, next)),
                "{label}: post-recovery append lost"
            );
        }
    }
    println!(
        "raft-io log crash points: {} images x {SEEDS} seeds = {crashes} crashes, all recovered; \
         unsynced changes kept {}, dropped {}, torn {torn}; {partial} recovered part of an \
         append; {} files vanished",
        images.len(),
        sum.kept_pending,
        sum.dropped_pending,
        sum.vanished_files
    );
    assert!(partial > 0 && torn > 0);
}

#[test]
fn a_reopened_log_serves_raft_io_what_it_wrote() {
    let disk = SimVfs::new(7);
    let (mut log, handle) = open(Arc::new(disk.clone()));
    log.append(&(1..=20).map(|i| entry(1, i)).collect::<Vec<_>>())
        .unwrap();
    log.set_hard_state(HardState {
        term: 3,
        voted_for: Some(2),
    })
    .unwrap();
    log.sync().unwrap();
    log.apply_snapshot(&Snapshot::with_config(
        8,
        1,
        vec![1, 2, 3],
        b"state".to_vec(),
    ))
    .unwrap();
    log.sync().unwrap();
    log.truncate(15).unwrap();
    log.append(&[entry(3, 15)]).unwrap();
    log.sync().unwrap();
    block_on(handle.flush()).unwrap();
    let want = handle.contents();
    drop((log, handle));
    disk.crash();

    let (log, handle) = open(Arc::new(disk));
    assert_eq!(handle.contents(), want);
    assert_eq!(log.snapshot_index(), 8);
    assert_eq!(log.term_at(8), Some(1));
    assert_eq!(log.entry(8), None);
    assert_eq!(log.last_index(), 15);
    assert_eq!(log.last_term(), 3);
    assert_eq!(log.hard_state().voted_for, Some(2));
    assert_eq!(log.snapshot().unwrap().data, b"state");
    assert_eq!(handle.probe().state().unsynced_flushes, 0);
}
