//! raft-io's `RaftLog` over our `Vfs`: the durable log a raft-io node owns, its flush, and its
//! power-failure probe.
//!
//! raft-io calls its log synchronously from inside `RaftNode::step` and treats an `Ok` from
//! `sync()` as the durability point (log.rs:27-34 of raft-io 1.0.0). Our disks take simulated
//! time (`Vfs::busy_for`), and a program that blocks in `fsync` issues nothing else until it
//! returns. So [`RioLog`] applies every change to its in-memory [`Contents`] at once (raft-io
//! reads them back within the same step) and queues the disk work as **stages**, one per
//! `sync()` call; after `step` returns and before the driver carries out a single action, it
//! calls [`RioLogHandle::flush`], which writes each stage, waits for the device, and only then
//! counts the stage as acknowledged — one stage at a time, every dependent write after the
//! wait, exactly as blocking I/O inside `sync()` would. Nothing a peer or client can see
//! happens before its stage is durable.
//!
//! Writes raft-io makes without a following `sync()` are not made durable by the flush: they
//! wait for the next `sync()`, and the flush counts them ([`ProbedRioLog::unsynced_flushes`]) —
//! a step that returns with an unsynced change breaks raft-io's "persist before you send"
//! promise, and a test can assert the count stays zero.
//!
//! The probe ([`RioLogProbe`]) shows what the log acknowledged (stages whose flush finished)
//! and the stage being written, if any: a power failure must recover the first, or the second,
//! or (for an append) the first plus a prefix of the second's entries.
//!
//! Observations: `Recovered` at open; `Appended` when raft-io appends and `Truncated` when it
//! truncates (raft-io truncates and appends the replacement in one stage: reporting the
//! truncation only once durable would show the new entries appended over the old); and when a
//! stage is durable, in its order, `VoteSaved` (hard state) and `Flushed` (up to the stage's
//! last entry). A snapshot's `Purged` (with `Truncated` for a tail it dropped) is held back
//! until the driver has reported the snapshot built or installed
//! ([`RioLogHandle::report_snapshot_changes`]): a purge is only ever of what a snapshot covers.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use faultline_engine::vfs::Vfs;
use raft_io::{Error as RioError, HardState, LogEntry, RaftLog, Snapshot};

use super::codec::WireEntry;
use super::contents::{Contents, RioLogImage};
use super::log_files::{LogFiles, LogRecord, RecoveryReport};
use super::observe::{entry_ref, log_ref, vote_ref};
use crate::disk;
use crate::error::LogStoreError;
use crate::observe::{Observation, Reporter};

/// One change raft-io made, waiting for its stage to be written.
#[derive(Debug, Clone)]
enum Change {
    Entries(Vec<LogEntry>),
    Truncate {
        from: u64,
        removed: usize,
    },
    Hard(HardState),
    Snapshot {
        snapshot: Snapshot,
        purged: usize,
        dropped: usize,
    },
}

/// The changes between two `sync()` calls, and the log they leave.
#[derive(Debug, Clone)]
struct Stage {
    changes: Vec<Change>,
    image: RioLogImage,
}

#[derive(Debug)]
struct Shared {
    contents: Contents,
    files: LogFiles,
    reporter: Reporter,
    /// Changes since the last `sync()`.
    open: Vec<Change>,
    /// Stages closed by `sync()`, not yet written.
    stages: Vec<Stage>,
    acknowledged: RioLogImage,
    /// The stage being written (or the one whose write failed, for good).
    in_flight: Option<RioLogImage>,
    unsynced_flushes: u64,
    /// A durable snapshot's purge (and dropped tail), to report once the snapshot is.
    held_back: Vec<Observation>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Every critical section leaves the state coherent before it can panic.
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The log a raft-io node owns (`RaftNode::with_log`).
#[derive(Debug)]
pub struct RioLog {
    shared: Arc<Mutex<Shared>>,
}

/// The driver's handle on the log raft-io owns: flushing and probing.
#[derive(Debug, Clone)]
pub struct RioLogHandle {
    shared: Arc<Mutex<Shared>>,
    vfs: Arc<dyn Vfs>,
}

/// A probe of a log that stays valid while raft-io owns it.
#[derive(Debug, Clone)]
pub struct RioLogProbe {
    shared: Arc<Mutex<Shared>>,
}

/// What the log holds for a power-failure probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedRioLog {
    pub acknowledged: RioLogImage,
    pub in_flight: Option<RioLogImage>,
    /// Flushes that found changes raft-io had not synced (each one a broken promise).
    pub unsynced_flushes: u64,
}

impl RioLog {
    /// Opens (or creates) the log in `dir`, recovers it, and reports what it recovered.
    pub fn open(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        reporter: Reporter,
    ) -> Result<(RioLog, RioLogHandle, RecoveryReport), LogStoreError> {
        let (files, contents, report) = LogFiles::open(vfs.clone(), dir)?;
        reporter.report(|| Observation::Recovered {
            vote: vote_ref(contents.hard),
            committed: None,
            purged: (contents.base_index > 0)
                .then(|| log_ref(contents.base_term, contents.base_index)),
            entries: contents.entries.iter().map(entry_ref).collect(),
        });
        let shared = Arc::new(Mutex::new(Shared {
            acknowledged: contents.image(),
            contents,
            files,
            reporter,
            open: Vec::new(),
            stages: Vec::new(),
            in_flight: None,
            unsynced_flushes: 0,
            held_back: Vec::new(),
        }));
        let handle = RioLogHandle {
            shared: shared.clone(),
            vfs,
        };
        Ok((RioLog { shared }, handle, report))
    }

    fn change(&self, f: impl FnOnce(&mut Shared) -> Result<(), RioError>) -> Result<(), RioError> {
        let mut s = lock(&self.shared);
        if let Some(why) = s.files.failed() {
            return Err(RioError::storage("write log", why));
        }
        f(&mut s)
    }
}

impl RaftLog for RioLog {
    fn last_index(&self) -> u64 {
        lock(&self.shared).contents.last_index()
    }

    fn last_term(&self) -> u64 {
        lock(&self.shared).contents.last_term()
    }

    fn term_at(&self, index: u64) -> Option<u64> {
        lock(&self.shared).contents.term_at(index)
    }

    fn entry(&self, index: u64) -> Option<LogEntry> {
        lock(&self.shared).contents.entry(index).cloned()
    }

    fn entries(&self, from: u64, to: u64) -> Vec<LogEntry> {
        if from == 0 || to < from {
            return Vec::new();
        }
        lock(&self.shared).contents.range(from, to)
    }

    fn append(&mut self, entries: &[LogEntry]) -> Result<(), RioError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.change(|s| {
            s.contents
                .append(entries)
                .map_err(|e| RioError::storage("append entries", e))?;
            if s.reporter.active() {
                let refs = entries.iter().map(entry_ref).collect();
                s.reporter
                    .report(|| Observation::Appended { entries: refs });
            }
            s.open.push(Change::Entries(entries.to_vec()));
            Ok(())
        })
    }

    fn truncate(&mut self, from: u64) -> Result<(), RioError> {
        self.change(|s| {
            let removed = s
                .contents
                .truncate(from)
                .map_err(|e| RioError::storage("truncate log", e))?;
            if removed > 0 {
                s.reporter.report(|| Observation::Truncated { since: from });
                s.open.push(Change::Truncate { from, removed });
            }
            Ok(())
        })
    }

    fn hard_state(&self) -> HardState {
        lock(&self.shared).contents.hard
    }

    fn set_hard_state(&mut self, state: HardState) -> Result<(), RioError> {
        self.change(|s| {
            s.contents.hard = state;
            s.open.push(Change::Hard(state));
            Ok(())
        })
    }

    fn sync(&mut self) -> Result<(), RioError> {
        self.change(|s| {
            if !s.open.is_empty() {
                let changes = std::mem::take(&mut s.open);
                let image = s.contents.image();
                s.stages.push(Stage { changes, image });
            }
            Ok(())
        })
    }

    fn snapshot_index(&self) -> u64 {
        lock(&self.shared).contents.base_index
    }

    fn snapshot(&self) -> Option<Snapshot> {
        lock(&self.shared).contents.snapshot.clone()
    }

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), RioError> {
        self.change(|s| {
            if let Some((purged, dropped)) = s.contents.apply_snapshot(snapshot) {
                s.open.push(Change::Snapshot {
                    snapshot: snapshot.clone(),
                    purged,
                    dropped,
                });
            }
            Ok(())
        })
    }
}

impl RioLogHandle {
    /// A probe on this log.
    pub fn probe(&self) -> RioLogProbe {
        RioLogProbe {
            shared: self.shared.clone(),
        }
    }

    /// Reports the purge (and dropped tail) of the snapshots made durable so far; the driver
    /// calls it right after it reported the snapshot built or installed.
    pub fn report_snapshot_changes(&self) {
        let mut s = lock(&self.shared);
        for o in std::mem::take(&mut s.held_back) {
            s.reporter.report(|| o);
        }
    }

    /// The log's contents as raft-io sees them (for tests).
    pub fn contents(&self) -> Contents {
        lock(&self.shared).contents.clone()
    }

    /// Writes every stage `sync()` closed, one at a time, waiting for the device after each
    /// dependent write; a stage counts as acknowledged (and its observations are reported)
    /// only once its writes are durable. An error leaves the failed stage in flight for good
    /// and the log refusing writes: the node must stop.
    pub async fn flush(&self) -> Result<(), LogStoreError> {
        let stages = {
            let mut s = lock(&self.shared);
            if !s.open.is_empty() {
                s.unsynced_flushes += 1;
                tracing::error!(
                    changes = s.open.len(),
                    "raft-io returned from step with log changes it never synced"
                );
            }
            std::mem::take(&mut s.stages)
        };
        for stage in stages {
            lock(&self.shared).in_flight = Some(stage.image.clone());
            let mut records = Vec::new();
            let mut dead = 0;
            for (i, change) in stage.changes.iter().enumerate() {
                match change {
                    Change::Entries(es) => {
                        records.extend(es.iter().map(|e| LogRecord::Entry(WireEntry::from(e))));
                    }
                    Change::Truncate { from, removed } => {
                        dead += removed;
                        // An entry at `from` right after it says the same.
                        let implied = matches!(stage.changes.get(i + 1),
                            Some(Change::Entries(es)) if es.first().map(|e| e.index) == Some(*from));
                        if !implied {
                            records.push(LogRecord::Truncate { from: *from });
                            dead += 1;
                        }
                    }
                    Change::Hard(h) => {
                        self.write_records(&mut records, &mut dead).await?;
                        self.write(|f| f.save_hard(*h)).await?;
                    }
                    Change::Snapshot {
                        snapshot,
                        purged,
                        dropped,
                    } => {
                        self.write_records(&mut records, &mut dead).await?;
                        // The snapshot is durable before the log moves its base to it.
                        self.write(|f| f.save_snapshot(snapshot)).await?;
                        records.push(LogRecord::Rebase {
                            index: snapshot.index,
                            term: snapshot.term,
                        });
                        dead += purged + dropped + 1;
                    }
                }
            }
            self.write_records(&mut records, &mut dead).await?;
            self.acknowledge(stage);
        }
        self.compact_if_due().await
    }

    async fn write_records(
        &self,
        records: &mut Vec<LogRecord>,
        dead: &mut usize,
    ) -> Result<(), LogStoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(records);
        let d = std::mem::take(dead);
        self.write(|f| f.append_records(&batch, d)).await
    }

    /// Runs one group of disk calls and waits for the device to finish them.
    async fn write(
        &self,
        op: impl FnOnce(&mut LogFiles) -> Result<(), LogStoreError>,
    ) -> Result<(), LogStoreError> {
        op(&mut lock(&self.shared).files)?;
        disk::settle(&*self.vfs).await;
        Ok(())
    }

    fn acknowledge(&self, stage: Stage) {
        let mut s = lock(&self.shared);
        s.acknowledged = stage.image;
        s.in_flight = None;
        for change in &stage.changes {
            match change {
                Change::Hard(h) => {
                    if let Some(vote) = vote_ref(*h) {
                        s.reporter.report(|| Observation::VoteSaved { vote });
                    }
                }
                // Reported when raft-io truncated.
                Change::Truncate { .. } => {}
                Change::Entries(es) => {
                    if let Some(last) = es.last() {
                        let upto = log_ref(last.term, last.index);
                        s.reporter.report(|| Observation::Flushed { upto });
                    }
                }
                Change::Snapshot {
                    snapshot, dropped, ..
                } => {
                    let upto = log_ref(snapshot.term, snapshot.index);
                    s.held_back.push(Observation::Purged { upto });
                    if *dropped > 0 {
                        let since = snapshot.index + 1;
                        s.held_back.push(Observation::Truncated { since });
                    }
                }
            }
        }
    }

    /// Rewrites the log file when dead records dominate. Only when every change is flushed, so
    /// the rewrite holds exactly what was acknowledged (and nothing is in flight for the probes).
    async fn compact_if_due(&self) -> Result<(), LogStoreError> {
        let due = {
            let mut s = lock(&self.shared);
            let Shared {
                contents,
                files,
                open,
                stages,
                ..
            } = &mut *s;
            if !open.is_empty()
                || !stages.is_empty()
                || !files.compaction_due(contents.entries.len())
            {
                return Ok(());
            }
            files.compact(contents)
        };
        due?;
        disk::settle(&*self.vfs).await;
        Ok(())
    }
}

impl RioLogProbe {
    pub fn state(&self) -> ProbedRioLog {
        let s = lock(&self.shared);
        ProbedRioLog {
            acknowledged: s.acknowledged.clone(),
            in_flight: s.in_flight.clone(),
            unsynced_flushes: s.unsynced_flushes,
        }
    }
}

/// What recovery of the log in `dir` would bring back (call it on a copy of a crashed disk).
pub fn recover_image(vfs: Arc<dyn Vfs>, dir: &Path) -> Result<RioLogImage, LogStoreError> {
    LogFiles::open(vfs, dir).map(|(_, contents, _)| contents.image())
}
