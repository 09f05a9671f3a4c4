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

use faultline_engine::vfs::Vfs;
use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{AnyError, LogState, OptionalSend, RaftLogReader, StorageIOError, Vote};

pub use cache::{LogCache, LogImage};
pub use durable::{DurableLog, RecoveryReport, recover_image};
use record::MetaRecord;

use crate::error::LogStoreError;
use crate::type_config::{Entry, LogId, NodeId, StorageError, TypeConfig};

/// Which log store a node uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
}

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
        };
        Ok((store, report))
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

    /// Runs `op` on the durable files, if any; a failure is noted in the cache for probes.
    fn on_disk<T: Default>(
        &mut self,
        op: impl FnOnce(&mut DurableLog) -> Result<T, LogStoreError>,
    ) -> Result<T, LogStoreError> {
        let Some(disk) = &mut self.disk else {
            return Ok(T::default());
        };
        op(disk).inspect_err(|_| lock(&self.cache).mark_write_failed())
    }

    fn save_meta(&mut self, meta: MetaRecord) -> Result<(), LogStoreError> {
        self.on_disk(|disk| disk.save_meta(&meta))
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

impl LogProbe {
    /// What the store has acknowledged, which a power failure must not change; `None` once a
    /// write failed (the failed change may be on disk or not).
    pub fn image(&self) -> Option<LogImage> {
        let c = lock(&self.cache);
        (!c.write_failed()).then(|| c.image())
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
        lock(&self.cache).set_vote(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError> {
        Ok(lock(&self.cache).vote())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let meta = self.meta_with(|m| m.committed = committed);
        self.save_meta(meta).map_err(write_err)?;
        lock(&self.cache).set_committed(committed);
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
        if let Err(e) = self.on_disk(|disk| disk.append(&entries)) {
            callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
            return Err(write_err(e));
        }
        {
            let mut c = lock(&self.cache);
            for e in entries {
                c.append(e);
            }
        }
        // Only now, with the entries synced, may openraft count them as persisted.
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let removed = lock(&self.cache).entries_in(log_id.index..).len();
        self.on_disk(|disk| disk.truncate(log_id.index, removed))
            .map_err(write_err)?;
        lock(&self.cache).truncate(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let removed = lock(&self.cache).entries_in(..=log_id.index).len();
        let compact_due = self
            .on_disk(|disk| disk.purge(log_id, removed))
            .map_err(write_err)?;
        lock(&self.cache).purge(log_id);
        if compact_due {
            let cache = self.cache.clone();
            self.on_disk(|disk| disk.compact(&lock(&cache)))
                .map_err(write_err)?;
        }
        Ok(())
    }
}
