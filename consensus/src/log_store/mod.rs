//! openraft's `RaftLogStorage` (storage-v2): the in-memory and the durable log store.
//!
//! Both keep the log in a shared [`LogCache`] that readers see; the durable store additionally
//! writes every change through [`DurableLog`] and only then updates the cache and tells openraft
//! (the flush callback of `append` runs after `sync` returned). A durable store that failed a
//! write refuses all later ones, and openraft stops the node on the storage error.

pub mod cache;
pub mod durable;
pub mod record;

use std::fmt::Debug;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faultline_engine::vfs::Vfs;
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{AnyError, LogState, OptionalSend, RaftLogReader, StorageIOError, Vote};

pub use cache::{LogCache, LogChange, LogImage};
pub use durable::{DurableLog, RecoveryReport, recover_image};
use record::MetaRecord;

use crate::disk;
use crate::error::LogStoreError;
use crate::observe::{Observation, Reporter, entry_ref, log_ref, vote_ref};
use crate::snapshot::DurableSnapshotPoint;
use crate::type_config::{Entry, LogId, NodeId, StorageError, TypeConfig};

/// Which log store a node uses (the one name for it: plans, the world and nodes share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogStoreKind {
    /// Volatile: a restart forgets log and vote (and the node rejoins as an empty member).
    Memory,
    /// Framed, checksummed log file plus an atomically replaced vote file on the engine's `Vfs`.
    #[default]
    Durable,
}

/// A log store: the shared cache plus, when durable, its files.
#[derive(Debug)]
pub struct LogStore {
    cache: Arc<Mutex<LogCache>>,
    disk: Option<DurableLog>,
    reporter: Reporter,
    /// Purges never reach beyond the node's durable snapshot (see [`LogStore::purge`]).
    purge_cap: Option<DurableSnapshotPoint>,
}

/// How long a purge waits for the snapshot that covers it to reach the disk.
const PURGE_WAIT: Duration = Duration::from_secs(10);
/// How often it looks (simulated time under simulation).
const PURGE_POLL: Duration = Duration::from_millis(1);

/// A read handle on a [`LogStore`]'s entries, handed to openraft's replication tasks.
#[derive(Debug, Clone)]
pub struct LogReader {
    cache: Arc<Mutex<LogCache>>,
}

fn lock(cache: &Mutex<LogCache>) -> MutexGuard<'_, LogCache> {
    // The cache is updated only after the disk write succeeded, so it is consistent even if a
    // holder panicked; recover the guard rather than propagate the poison.
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

impl LogStore {
    /// A volatile store.
    pub fn memory() -> LogStore {
        LogStore {
            cache: Arc::default(),
            disk: None,
            reporter: Reporter::default(),
            purge_cap: None,
        }
    }

    /// Open (or create) a durable store in `dir` and recover its log and vote.
    pub fn open_durable(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
    ) -> Result<(LogStore, RecoveryReport), LogStoreError> {
        let (disk, cache, report) = DurableLog::open(vfs, dir)?;
        let store = LogStore {
            cache: Arc::new(Mutex::new(cache)),
            disk: Some(disk),
            reporter: Reporter::default(),
            purge_cap: None,
        };
        Ok((store, report))
    }

    /// Never purge beyond `point`, the node's durable snapshot (see [`LogStore::purge`]).
    pub fn cap_purges_at(&mut self, point: DurableSnapshotPoint) {
        self.purge_cap = Some(point);
    }

    /// Reports every later change to `reporter`, starting with what the store recovered.
    pub fn with_reporter(mut self, reporter: Reporter) -> LogStore {
        reporter.report(|| {
            let c = lock(&self.cache);
            Observation::Recovered {
                vote: c.vote().as_ref().map(vote_ref),
                committed: c.committed().as_ref().map(log_ref),
                purged: c.last_purged().as_ref().map(log_ref),
                entries: c.live_entries().map(entry_ref).collect(),
            }
        });
        self.reporter = reporter;
        self
    }

    /// A copy of the current in-memory view (for probes and tests).
    pub fn snapshot_cache(&self) -> LogCache {
        lock(&self.cache).clone()
    }

    /// A probe on a durable store's in-memory view that stays valid once openraft owns the
    /// store; `None` for the in-memory store, which promises nothing across a restart.
    pub fn probe(&self) -> Option<LogProbe> {
        self.disk.as_ref().map(|_| LogProbe {
            cache: self.cache.clone(),
        })
    }

    /// Runs `op` on the durable files, if any. Until [`LogStore::settled`] the change it makes
    /// is in flight for the probes; a failure leaves it in flight for good.
    fn on_disk<T: Default>(
        &mut self,
        change: LogChange,
        op: impl FnOnce(&mut DurableLog) -> Result<T, LogStoreError>,
    ) -> Result<T, LogStoreError> {
        let Some(disk) = &mut self.disk else {
            return Ok(T::default());
        };
        lock(&self.cache).begin_write(change);
        op(disk).inspect_err(|_| lock(&self.cache).mark_write_failed())
    }

    /// Waits for the disk to finish what `on_disk` gave it, then shows the change: `apply`
    /// updates the cache (which openraft and the probes read) and the write is no longer in
    /// flight.
    async fn settled(&self, apply: impl FnOnce(&mut LogCache)) {
        if let Some(d) = &self.disk {
            disk::settle(d.vfs()).await;
        }
        self.show(apply);
    }

    /// Shows a change the disk has finished: `apply` updates the cache and the write is no
    /// longer in flight.
    fn show(&self, apply: impl FnOnce(&mut LogCache)) {
        let mut c = lock(&self.cache);
        apply(&mut c);
        c.end_write();
    }

    fn save_meta(&mut self, meta: MetaRecord) -> Result<(), LogStoreError> {
        let vote = meta.vote;
        self.on_disk(LogChange::Vote(vote), |disk| disk.save_meta(&meta))
    }

    /// Purges up to `log_id`, in memory and durably.
    async fn purge_now(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let removed = lock(&self.cache).entries_in(..=log_id.index).len();
        let compact_due = self
            .on_disk(LogChange::Purge(log_id), |disk| disk.purge(log_id, removed))
            .map_err(write_err)?;
        self.settled(|c| c.purge(log_id)).await;
        self.reporter.report(|| Observation::Purged {
            upto: log_ref(&log_id),
        });
        if compact_due {
            let cache = self.cache.clone();
            self.on_disk(LogChange::Nothing, |disk| disk.compact(&lock(&cache)))
                .map_err(write_err)?;
            self.settled(|_| {}).await;
        }
        Ok(())
    }

    fn meta_with(&self, f: impl FnOnce(&mut MetaRecord)) -> MetaRecord {
        let c = lock(&self.cache);
        let mut meta = MetaRecord {
            vote: c.vote(),
            committed: c.committed(),
        };
        f(&mut meta);
        meta
    }
}

/// Read-only view of a durable store's in-memory log, for checkers.
#[derive(Debug, Clone)]
pub struct LogProbe {
    cache: Arc<Mutex<LogCache>>,
}

/// What a durable store holds for a probe: what it acknowledged, which a power failure must
/// not change, and the change its write in flight (or its failed write) makes, which the disk
/// may hold instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedLog {
    pub acknowledged: LogImage,
    pub in_flight: Option<LogImage>,
}

impl LogProbe {
    pub fn state(&self) -> ProbedLog {
        let c = lock(&self.cache);
        ProbedLog {
            acknowledged: c.image(),
            in_flight: c.in_flight(),
        }
    }
}

fn read_range<RB: RangeBounds<u64>>(cache: &Mutex<LogCache>, range: RB) -> Vec<Entry> {
    lock(cache).entries_in(range)
}

impl RaftLogReader<TypeConfig> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(read_range(&self.cache, range))
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(read_range(&self.cache, range))
    }
}

fn write_err(e: LogStoreError) -> StorageError {
    StorageIOError::write_logs(AnyError::new(&e)).into()
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let c = lock(&self.cache);
        Ok(LogState {
            last_purged_log_id: c.last_purged(),
            last_log_id: c.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> LogReader {
        LogReader {
            cache: self.cache.clone(),
        }
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError> {
        let meta = self.meta_with(|m| m.vote = Some(*vote));
        self.save_meta(meta)
            .map_err(|e| StorageIOError::write_vote(AnyError::new(&e)))?;
        let saved = *vote;
        self.settled(|c| c.set_vote(saved)).await;
        self.reporter.report(|| Observation::VoteSaved {
            vote: vote_ref(vote),
        });
        Ok(())
    }

    /// The vote, read at start, as granted but not committed. openraft 0.9 restores a node
    /// whose committed vote names itself as leader at once, under its old leader id; if its
    /// crash lost log entries it had appended (and possibly already sent), it then hands their
    /// log ids to new, different entries, and a follower that holds the old entry takes the
    /// new one for a match. Read as granted, the vote still binds the node (it grants nobody
    /// else that term), but leadership needs a new election, as in standard Raft.
    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError> {
        Ok(lock(&self.cache).vote().map(|v| Vote {
            committed: false,
            ..v
        }))
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let meta = self.meta_with(|m| m.committed = committed);
        self.save_meta(meta).map_err(write_err)?;
        self.settled(|c| c.set_committed(committed)).await;
        if let Some(c) = committed {
            self.reporter.report(|| Observation::CommittedSaved {
                committed: log_ref(&c),
            });
        }
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(lock(&self.cache).committed())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let appended = LogChange::Append(entries.iter().map(|e| e.log_id).collect());
        if let Err(e) = self.on_disk(appended, |disk| disk.append(&entries)) {
            callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
            return Err(write_err(e));
        }

        let last = entries.last().map(|e| e.log_id);
        if self.reporter.active() {
            let refs = entries.iter().map(entry_ref).collect();
            self.reporter
                .report(|| Observation::Appended { entries: refs });
        }
        let append = |c: &mut LogCache| {
            for e in entries {
                c.append(e);
            }
        };
        if faultline_engine::planted!(FlushBeforeSync) {
            // Planted `flush-before-sync`: the append counts as done once its sync is queued.
            self.show(append);
        } else {
            self.settled(append).await;
        }
        if let Some(last) = last {
            self.reporter.report(|| {
                let mut upto = log_ref(&last);
                // Planted `flush-reported-past-end`: one index too far.
                if faultline_engine::planted!(FlushReportedPastEnd) {
                    upto.index += 1;
                }
                Observation::Flushed { upto }
            });
        }
        // Only now, with the entries synced, may openraft count them as persisted.
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let removed = lock(&self.cache).entries_in(log_id.index..).len();
        let since = log_id.index;
        self.on_disk(LogChange::Truncate { since }, |disk| {
            disk.truncate(since, removed)
        })
        .map_err(write_err)?;
        self.settled(|c| c.truncate(since)).await;
        self.reporter.report(|| Observation::Truncated {
            since: log_id.index,
        });
        Ok(())
    }

    /// Purges up to `log_id`, but never beyond the node's durable snapshot: openraft 0.9 asks
    /// to purge the log a received snapshot covers before its state machine has installed (and
    /// stored) that snapshot. A crash in between would leave a node whose log starts after what
    /// its state machine holds: a node that cannot restart. So the purge waits (bounded) until
    /// the snapshot that covers it is on disk; the state machine installs it concurrently.
    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        if let Some(cap) = &self.purge_cap {
            let mut waited = Duration::ZERO;
            while cap.get() < Some(log_id) {
                if waited >= PURGE_WAIT {
                    return Err(StorageIOError::write_logs(AnyError::error(format!(
                        "purge up to {log_id} requested, but no snapshot covering it reached the disk within {PURGE_WAIT:?}"
                    )))
                    .into());
                }
                tokio::time::sleep(PURGE_POLL).await;
                waited += PURGE_POLL;
            }
        }
        self.purge_now(log_id).await
    }
}
