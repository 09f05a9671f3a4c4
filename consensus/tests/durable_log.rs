//! The durable log store's promise on a crashing simulated disk: what it acknowledged survives a
//! power failure (log, vote, truncation, purge), a torn or corrupt tail is cut on recovery, and
//! after a failed sync it refuses to go on.

use std::path::Path;
use std::sync::Arc;

use faultline_consensus::log_store::DurableLog;
use faultline_consensus::log_store::record::MetaRecord;
use faultline_consensus::{Command, LogStore, TypeConfig};
use faultline_engine::{FaultKind, SimVfs, Vfs, WalOp};
use openraft::{CommittedLeaderId, EntryPayload, LogId, Vote};

type Entry = openraft::Entry<TypeConfig>;

const DIR: &str = "/n1/raft";

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

fn open(vfs: &Arc<SimVfs>) -> (DurableLog, faultline_consensus::log_store::LogCache, u64) {
    let (log, cache, report) = DurableLog::open(vfs.clone(), Path::new(DIR)).expect("recovers");
    (log, cache, report.discarded_tail_bytes)
}

fn indexes(cache: &faultline_consensus::log_store::LogCache) -> Vec<(u64, u64)> {
    cache
        .live_entries()
        .map(|e| (e.log_id.leader_id.term, e.log_id.index))
        .collect()
}

#[test]
fn appended_entries_survive_a_crash() {
    let vfs = Arc::new(SimVfs::new(1));
    let (mut log, _, _) = open(&vfs);
    let entries: Vec<Entry> = (1..=10).map(|i| entry(1, i)).collect();
    log.append(&entries[..5]).unwrap();
    log.append(&entries[5..]).unwrap();
    drop(log);
    vfs.crash();
    let (_, cache, cut) = open(&vfs);
    assert_eq!(cut, 0);
    assert_eq!(
        indexes(&cache),
        (1..=10).map(|i| (1, i)).collect::<Vec<_>>()
    );
}

#[test]
fn vote_and_committed_survive_a_crash_and_the_latest_wins() {
    let vfs = Arc::new(SimVfs::new(2));
    let (mut log, _, _) = open(&vfs);
    log.append(&[entry(1, 1), entry(1, 2)]).unwrap();
    for term in 1..=3 {
        log.save_meta(&MetaRecord {
            vote: Some(Vote::new(term, 2)),
            committed: Some(log_id(1, 1)),
        })
        .unwrap();
    }
    drop(log);
    vfs.crash();
    let (_, cache, _) = open(&vfs);
    assert_eq!(cache.vote(), Some(Vote::new(3, 2)));
    assert_eq!(cache.committed(), Some(log_id(1, 1)));
}

#[test]
fn truncation_survives_a_crash_and_replacement_entries_win() {
    let vfs = Arc::new(SimVfs::new(3));
    let (mut log, _, _) = open(&vfs);
    log.append(&(1..=6).map(|i| entry(1, i)).collect::<Vec<_>>())
        .unwrap();
    log.truncate(4, 3).unwrap();
    drop(log);
    vfs.crash();
    let (mut log, cache, _) = open(&vfs);
    assert_eq!(indexes(&cache), vec![(1, 1), (1, 2), (1, 3)]);

    // A new leader's entries replace the truncated suffix, and that survives too.
    log.append(&[entry(2, 4), entry(2, 5)]).unwrap();
    drop(log);
    vfs.crash();
    let (_, cache, _) = open(&vfs);
    assert_eq!(
        indexes(&cache),
        vec![(1, 1), (1, 2), (1, 3), (2, 4), (2, 5)]
    );
}

#[test]
fn purge_survives_a_crash_and_compaction_keeps_the_live_log() {
    let vfs = Arc::new(SimVfs::new(4));
    let (mut log, _, _) = open(&vfs);
    // Enough entries that purging most of them triggers a rewrite of the file.
    let n = 3000;
    log.append(&(1..=n).map(|i| entry(1, i)).collect::<Vec<_>>())
        .unwrap();
    drop(log);
    let (mut log, mut cache, _) = open(&vfs);
    let before = vfs.len(&Path::new(DIR).join("log")).unwrap();
    let upto = log_id(1, n - 10);
    let removed = cache.entries_in(..=upto.index).len();
    let due = log.purge(upto, removed).unwrap();
    cache.purge(upto);
    assert!(due, "compaction is due after purging {removed} entries");
    log.compact(&cache).unwrap();
    let after = vfs.len(&Path::new(DIR).join("log")).unwrap();
    assert!(
        after < before / 10,
        "log file shrank from {before} to {after}"
    );
    drop(log);
    vfs.crash();
    let (_, cache, _) = open(&vfs);
    assert_eq!(cache.last_purged(), Some(upto));
    assert_eq!(
        indexes(&cache),
        ((n - 9)..=n).map(|i| (1, i)).collect::<Vec<_>>()
    );
}

/// A read that garbles one byte is not a torn tail: recovery must not cut acknowledged entries
/// because one read of them came back wrong. Every read of recovery is garbled in turn.
#[test]
fn a_garbled_read_during_recovery_loses_no_acknowledged_entry() {
    let vfs = Arc::new(SimVfs::new(9));
    let (mut log, _, _) = open(&vfs);
    let entries: Vec<Entry> = (1..=40).map(|i| entry(1, i)).collect();
    log.append(&entries[..20]).unwrap();
    log.append(&entries[20..]).unwrap();
    log.save_meta(&MetaRecord {
        vote: Some(Vote::new(1, 1)),
        committed: Some(log_id(1, 40)),
    })
    .unwrap();
    drop(log);
    vfs.crash();
    let base = vfs.counters().ops;
    let mut garbled_log_reads = 0;
    for at in base + 1..base + 40 {
        let disk = Arc::new(vfs.fork());
        disk.schedule_fault(FaultKind::ReadCorruption, at);
        match DurableLog::open(disk.clone(), Path::new(DIR)) {
            Ok((_, cache, report)) => {
                assert_eq!(
                    indexes(&cache),
                    (1..=40).map(|i| (1, i)).collect::<Vec<_>>(),
                    "garbled read at op {at}"
                );
                assert_eq!(report.discarded_tail_bytes, 0, "garbled read at op {at}");
                if disk.counters().read_corruptions > 0 {
                    garbled_log_reads += 1;
                }
            }
            // A garbled vote file is refused (see `a_damaged_vote_file_refuses_to_start`).
            Err(e) => assert!(e.to_string().contains("vote"), "op {at}: {e}"),
        }
    }
    assert!(
        garbled_log_reads > 0,
        "no run garbled a read of the log file"
    );
}

#[test]
fn a_corrupt_tail_is_cut_and_the_prefix_kept() {
    let vfs = Arc::new(SimVfs::new(5));
    let (mut log, _, _) = open(&vfs);
    log.append(&(1..=3).map(|i| entry(1, i)).collect::<Vec<_>>())
        .unwrap();
    drop(log);
    // Garbage after the last record, as a torn write or bit rot would leave it.
    let path = Path::new(DIR).join("log");
    vfs.append(&path, &[0x55; 37]).unwrap();
    vfs.sync(&path).unwrap();
    let (_, cache, cut) = open(&vfs);
    assert_eq!(cut, 37);
    assert_eq!(indexes(&cache), vec![(1, 1), (1, 2), (1, 3)]);
    // The cut itself was made durable: the next recovery finds a clean file.
    vfs.crash();
    let (_, _, cut) = open(&vfs);
    assert_eq!(cut, 0);
}

#[test]
fn a_torn_append_loses_only_the_unacknowledged_entries() {
    let vfs = Arc::new(SimVfs::new(6));
    let (mut log, _, _) = open(&vfs);
    log.append(&(1..=3).map(|i| entry(1, i)).collect::<Vec<_>>())
        .unwrap();
    // The next append's sync fails: not acknowledged, and the store refuses to continue.
    vfs.schedule_fault(FaultKind::SyncEio, vfs.counters().ops + 1);
    let big: Vec<Entry> = (4..=200).map(|i| entry(1, i)).collect();
    assert!(log.append(&big).is_err());
    assert!(
        log.append(&[entry(1, 4)]).is_err(),
        "refuses after a failed sync"
    );
    drop(log);
    // Every crash outcome the disk may choose keeps the acknowledged entries.
    for seed in 0..16 {
        let disk = Arc::new(vfs.fork_with_seed(seed));
        disk.crash_with(true);
        let (_, cache, _) = open(&disk);
        let got = indexes(&cache);
        assert!(
            got.len() >= 3,
            "seed {seed}: acknowledged entries survive: {got:?}"
        );
        assert_eq!(&got[..3], &[(1, 1), (1, 2), (1, 3)], "seed {seed}");
    }
}

#[test]
fn a_damaged_vote_file_refuses_to_start() {
    let vfs = Arc::new(SimVfs::new(7));
    let (mut log, _, _) = open(&vfs);
    log.save_meta(&MetaRecord {
        vote: Some(Vote::new(5, 1)),
        committed: None,
    })
    .unwrap();
    drop(log);
    vfs.rot_byte(&Path::new(DIR).join("vote"), 10, 0x01)
        .unwrap();
    assert!(DurableLog::open(vfs.clone(), Path::new(DIR)).is_err());
}

#[test]
fn the_log_store_recovers_through_its_public_constructor() {
    let vfs = Arc::new(SimVfs::new(8));
    let (mut log, _, _) = open(&vfs);
    log.append(&[entry(1, 1), entry(1, 2)]).unwrap();
    drop(log);
    vfs.crash();
    let (store, report) = LogStore::open_durable(vfs.clone(), Path::new(DIR)).unwrap();
    assert_eq!(report.records, 2);
    assert_eq!(store.snapshot_cache().last_log_id(), Some(log_id(1, 2)));
}
