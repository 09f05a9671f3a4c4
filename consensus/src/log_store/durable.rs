//! The durable half of the durable log store: its files on the engine's `Vfs`, and recovery.
//!
//! Files in the store's directory:
//! - `log`: append-only [`LogRecord`]s (entries, truncations, purges), each checksummed. Every
//!   change is one append followed by `sync`, so it is durable before the call returns (and so
//!   before openraft is told). Recovery replays the valid prefix and cuts a torn/corrupt tail
//!   (re-reading first, so one garbled read never cuts entries that were durable).
//!   When purged and truncated records dominate, the file is rewritten (temp file, sync, rename,
//!   sync dir) to hold only the purge point and the live entries.
//! - `vote`: one [`MetaRecord`] (vote + committed id), replaced atomically: write `vote.tmp`,
//!   sync it, rename over `vote`, sync the directory.
//!
//! After any failed write or sync the log refuses further writes: a failed `sync` may have
//! dropped earlier data (the fsync-error lesson), so the only safe continuation is a restart,
//! which re-reads what is really on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use faultline_engine::vfs::{Vfs, create_dir_durable};

use super::cache::{LogCache, LogImage};
use super::record::{LogRecord, LogRecordRef, MetaRecord, Scan, encode_into, scan};
use crate::error::LogStoreError;
use crate::type_config::{Entry, LogId};

const LOG_FILE: &str = "log";
const LOG_TMP: &str = "log.tmp";
const VOTE_FILE: &str = "vote";
const VOTE_TMP: &str = "vote.tmp";

/// Rewrite the log file once it holds this many dead records and more dead than live ones.
const COMPACT_MIN_DEAD: usize = 1024;

/// What recovery found, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Valid records replayed from the log file.
    pub records: usize,
    /// Bytes cut from the end of the log file (torn or corrupt tail).
    pub discarded_tail_bytes: u64,
    /// Whether a vote file was found.
    pub had_vote_file: bool,
}

/// The files of a durable log store.
#[derive(Debug)]
pub struct DurableLog {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    log_path: PathBuf,
    /// Records in the log file that back no live entry (purged, truncated, bookkeeping).
    dead_records: usize,
    /// Set after a failed write or sync; every later write is refused with this reason.
    failed: Option<String>,
}

impl DurableLog {
    /// Open (or create) the store in `dir` and recover its contents.
    pub fn open(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
    ) -> Result<(DurableLog, LogCache, RecoveryReport), LogStoreError> {
        // Durably: an unsynced directory entry would lose the whole store in a power failure.
        create_dir_durable(&*vfs, dir)?;
        remove_leftover(&*vfs, dir, LOG_TMP)?;
        remove_leftover(&*vfs, dir, VOTE_TMP)?;

        let mut report = RecoveryReport::default();
        let mut cache = LogCache::default();

        let vote_path = dir.join(VOTE_FILE);
        if vfs.exists(&vote_path)? {
            report.had_vote_file = true;
            let meta = read_meta(&*vfs, &vote_path)?;
            if let Some(v) = meta.vote {
                cache.set_vote(v);
            }
            cache.set_committed(meta.committed);
        }

        let log_path = dir.join(LOG_FILE);
        let mut dead_records = 0;
        if vfs.exists(&log_path)? {
            let (bytes, scanned) = read_longest_valid_prefix(&*vfs, &log_path)?;
            let Scan {
                records,
                valid_len,
                tail_discarded,
            } = scanned;
            report.records = records.len();
            for (_, record) in records {
                replay(&mut cache, record);
            }
            check_contiguous(&cache, &log_path)?;
            dead_records = report.records.saturating_sub(cache.len());
            if tail_discarded {
                report.discarded_tail_bytes = bytes.len() as u64 - valid_len;
                vfs.truncate(&log_path, valid_len)?;
                vfs.sync(&log_path)?;
            }
        } else {
            vfs.create(&log_path)?;
            vfs.sync(&log_path)?;
            vfs.sync_dir(dir)?;
        }

        // A commit point past the recovered log cannot be acted on; openraft re-learns it.
        if cache.committed().map(|c| c.index) > cache.last_log_id().map(|l| l.index) {
            cache.set_committed(None);
        }

        let log = DurableLog {
            vfs,
            dir: dir.to_path_buf(),
            log_path,
            dead_records,
            failed: None,
        };
        Ok((log, cache, report))
    }

    /// The file system the store writes to.
    pub fn vfs(&self) -> &dyn Vfs {
        &*self.vfs
    }

    /// Durably append entries (one write, one sync).
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), LogStoreError> {
        let mut buf = Vec::new();
        for e in entries {
            encode_into(&LogRecordRef::Entry(e), &mut buf)?;
        }
        // Planted: report the entries flushed once they are written, before they are durable.
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(LogAppendNotDurable) {
            return self.append_unsynced(&buf);
        }
        self.append_synced(&buf)
    }

    /// Durably remove entries with index `>= since`.
    pub fn truncate(&mut self, since: u64, removed: usize) -> Result<(), LogStoreError> {
        let mut buf = Vec::new();
        encode_into(&LogRecordRef::Truncate { since }, &mut buf)?;
        // Planted `truncate-sync-deferred`: the record waits for the next append's sync.
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(TruncateSyncDeferred) {
            self.append_unsynced(&buf)?;
            self.dead_records += removed + 1;
            return Ok(());
        }
        // Planted `truncate-not-durable`: truncate only the in-memory log, leave the file.
        if !faultline_engine::planted!(TruncateNotDurable) {
            self.append_synced(&buf)?;
        }
        self.dead_records += removed + 1;
        Ok(())
    }

    /// Durably purge entries up to `upto`. Returns whether the file is due for [`Self::compact`]
    /// (to be called with the cache after the purge).
    pub fn purge(&mut self, upto: LogId, removed: usize) -> Result<bool, LogStoreError> {
        let mut buf = Vec::new();
        encode_into(&LogRecordRef::Purge(upto), &mut buf)?;
        self.append_synced(&buf)?;
        self.dead_records += removed + 1;
        Ok(self.dead_records >= COMPACT_MIN_DEAD)
    }

    /// Atomically and durably replace the vote file.
    pub fn save_meta(&mut self, meta: &MetaRecord) -> Result<(), LogStoreError> {
        self.check_usable()?;
        let mut buf = Vec::new();
        encode_into(meta, &mut buf)?;
        let tmp = self.dir.join(VOTE_TMP);
        // Planted: replace the vote file without syncing it or the directory.
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(VoteNotDurable) {
            let res = self.replace_file_unsynced(&tmp, &self.dir.join(VOTE_FILE), &buf);
            return self.poison_on_err(res);
        }
        let res = self.replace_file(&tmp, &self.dir.join(VOTE_FILE), &buf);
        self.poison_on_err(res)
    }

    /// Rewrite the log file to hold only the purge point and the live entries, if dead records
    /// outnumber live ones.
    pub fn compact(&mut self, cache: &LogCache) -> Result<(), LogStoreError> {
        self.check_usable()?;
        if self.dead_records <= cache.len() {
            return Ok(());
        }
        let mut buf = Vec::new();
        if let Some(p) = cache.last_purged() {
            encode_into(&LogRecordRef::Purge(p), &mut buf)?;
        }
        for e in cache.live_entries() {
            encode_into(&LogRecordRef::Entry(e), &mut buf)?;
        }
        let tmp = self.dir.join(LOG_TMP);
        let res = self.replace_file(&tmp, &self.log_path, &buf);
        self.poison_on_err(res)?;
        self.dead_records = usize::from(cache.last_purged().is_some());
        Ok(())
    }

    fn replace_file(&self, tmp: &Path, dest: &Path, data: &[u8]) -> Result<(), LogStoreError> {
        self.vfs.create(tmp)?;
        self.vfs.append(tmp, data)?;
        self.vfs.sync(tmp)?;
        self.vfs.rename(tmp, dest)?;
        self.vfs.sync_dir(&self.dir)?;
        Ok(())
    }

    /// `replace_file` without its syncs (planted `vote-not-durable`).
    #[cfg(feature = "planted-bugs")]
    fn replace_file_unsynced(
        &self,
        tmp: &Path,
        dest: &Path,
        data: &[u8],
    ) -> Result<(), LogStoreError> {
        self.vfs.create(tmp)?;
        self.vfs.append(tmp, data)?;
        self.vfs.rename(tmp, dest)?;
        Ok(())
    }

    /// `append_synced` without the sync (planted `log-append-not-durable`).
    #[cfg(feature = "planted-bugs")]
    fn append_unsynced(&mut self, buf: &[u8]) -> Result<(), LogStoreError> {
        self.check_usable()?;
        let res = self
            .vfs
            .append(&self.log_path, buf)
            .map(|_| ())
            .map_err(LogStoreError::from);
        self.poison_on_err(res)
    }

    fn append_synced(&mut self, buf: &[u8]) -> Result<(), LogStoreError> {
        self.check_usable()?;
        let res = self
            .vfs
            .append(&self.log_path, buf)
            .and_then(|_| self.vfs.sync(&self.log_path))
            .map_err(LogStoreError::from);
        self.poison_on_err(res)
    }

    fn check_usable(&self) -> Result<(), LogStoreError> {
        match &self.failed {
            Some(why) => Err(LogStoreError::Failed(why.clone())),
            None => Ok(()),
        }
    }

    fn poison_on_err(&mut self, res: Result<(), LogStoreError>) -> Result<(), LogStoreError> {
        if let Err(e) = &res {
            self.failed = Some(e.to_string());
        }
        res
    }
}

/// What recovery of the store in `dir` would bring back, without changing `vfs` beyond what
/// recovery itself writes (call it on a copy of a crashed disk).
pub fn recover_image(vfs: Arc<dyn Vfs>, dir: &Path) -> Result<LogImage, LogStoreError> {
    DurableLog::open(vfs, dir).map(|(_, cache, _)| cache.image())
}

/// Apply one replayed record to the recovering cache.
fn replay(cache: &mut LogCache, record: LogRecord) {
    match record {
        LogRecord::Entry(e) => {
            if cache
                .last_purged()
                .is_some_and(|p| e.log_id.index <= p.index)
            {
                return;
            }
            // Appending index i implies everything from i on was replaced. (The planted
            // `truncate-not-durable` also drops this defence: an index-keyed store relies on
            // its truncate records alone, which is what makes losing them harmful.)
            if !faultline_engine::planted!(TruncateNotDurable) {
                cache.truncate(e.log_id.index);
            }
            cache.append(e);
        }
        LogRecord::Truncate { since } => cache.truncate(since),
        LogRecord::Purge(upto) => cache.purge(upto),
    }
}

/// The recovered entries must be consecutive and follow the purge point.
fn check_contiguous(cache: &LogCache, path: &Path) -> Result<(), LogStoreError> {
    let mut expect = cache.last_purged().map(|p| p.index + 1);
    for e in cache.live_entries() {
        if let Some(x) = expect
            && e.log_id.index != x
        {
            return Err(LogStoreError::Corrupt {
                file: path.to_path_buf(),
                detail: format!("entry {} follows a gap (expected index {x})", e.log_id),
            });
        }
        expect = Some(e.log_id.index + 1);
    }
    Ok(())
}

fn read_meta(vfs: &dyn Vfs, path: &Path) -> Result<MetaRecord, LogStoreError> {
    let bytes = vfs.read_all(path)?;
    let s = scan::<MetaRecord>(&bytes);
    // The file is only ever replaced whole, so anything but exactly one valid record is damage;
    // starting with a forgotten vote could elect two leaders in one term, so refuse instead.
    match (s.records.len(), s.tail_discarded) {
        (1, false) => Ok(s
            .records
            .into_iter()
            .next()
            .map(|(_, m)| m)
            .unwrap_or_default()),
        _ => Err(LogStoreError::Corrupt {
            file: path.to_path_buf(),
            detail: format!(
                "{} valid records, {} bytes unreadable",
                s.records.len(),
                bytes.len() as u64 - s.valid_len
            ),
        }),
    }
}

fn remove_leftover(vfs: &dyn Vfs, dir: &Path, name: &str) -> Result<(), LogStoreError> {
    let path = dir.join(name);
    if vfs.exists(&path)? {
        vfs.remove(&path)?;
        vfs.sync_dir(dir)?;
    }
    Ok(())
}

/// How many times recovery reads the log file while its scan still ends before the file does.
const RECOVERY_READS: usize = 4;

/// Reads the log file and scans it; while the scan stops short of the end, reads it again and
/// keeps the read with the longest valid prefix. A checksum failure is either a torn tail (the
/// same on every read) or a garbled read, which a second read does not repeat: cutting the log
/// at a garbled read would drop entries openraft was told are durable, possibly committed ones.
fn read_longest_valid_prefix(
    vfs: &dyn Vfs,
    path: &Path,
) -> Result<(Vec<u8>, Scan<LogRecord>), LogStoreError> {
    let bytes = vfs.read_all(path)?;
    let mut best = (scan::<LogRecord>(&bytes), bytes);
    for _ in 1..RECOVERY_READS {
        if !best.0.tail_discarded {
            break;
        }
        let bytes = vfs.read_all(path)?;
        let again = scan::<LogRecord>(&bytes);
        if again.valid_len > best.0.valid_len {
            best = (again, bytes);
        }
    }
    Ok((best.1, best.0))
}
