//! The files of the durable raft-io log on the engine's `Vfs`, and their recovery.
//!
//! Files in the log's directory, every record framed and checksummed with the crate's one
//! record framing (`log_store::record`):
//! - `log`: append-only [`LogRecord`]s — entries, truncations, and rebase points (the snapshot
//!   base moved). An entry at index `i` implies that everything from `i` on was replaced, so a
//!   truncation directly followed by an append at its index needs no record of its own. Each
//!   group of records is appended and synced as one write. When dead records dominate, the file
//!   is rewritten (temp file, sync, rename, sync dir) to the base and the live entries.
//! - `hard`: one [`WireHardState`] (term and vote), replaced atomically: `hard.tmp`, sync,
//!   rename, sync dir.
//! - `snapshot`: one [`WireSnapshot`] (index, term, configuration and the application's data),
//!   replaced atomically the same way, and always durable before the log records a rebase to
//!   it.
//!
//! Recovery replays the log file's longest valid prefix (re-reading it while its scan stops
//! short, so one garbled read never cuts durable entries) and then the snapshot file's base
//! with raft-io's own rule (a matching tail stays, any other goes), so a crash between the
//! snapshot replacement and its rebase record recovers what the rebase would have made. A
//! rebase beyond the stored snapshot, a gap in the entries or a damaged hard-state or snapshot
//! file is an error, never a silently shorter log. After any failed write the files refuse
//! all later ones: a failed `sync` may have dropped earlier data, so only a restart (which
//! re-reads the disk) may continue.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use faultline_engine::vfs::{Vfs, create_dir_durable};
use raft_io::{HardState, LogEntry, Snapshot};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::codec::{WireEntry, WireHardState, WireSnapshot};
use super::contents::Contents;
use crate::error::LogStoreError;
use crate::log_store::record::{Scan, encode_into, scan};

const LOG_FILE: &str = "log";
const LOG_TMP: &str = "log.tmp";
const HARD_FILE: &str = "hard";
const HARD_TMP: &str = "hard.tmp";
const SNAPSHOT_FILE: &str = "snapshot";
const SNAPSHOT_TMP: &str = "snapshot.tmp";

/// Rewrite the log file once it holds this many dead records and more dead than live ones.
pub const COMPACT_MIN_DEAD: usize = 1024;

/// How many times recovery reads the log file while its scan stops before the file's end.
const RECOVERY_READS: usize = 4;

/// One record of the log file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum LogRecord {
    Entry(WireEntry),
    /// Entries with index `>= from` are removed.
    Truncate {
        from: u64,
    },
    /// The snapshot base moved to `(index, term)` (the snapshot file already holds it).
    Rebase {
        index: u64,
        term: u64,
    },
}

/// What recovery found, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Valid records replayed from the log file.
    pub records: usize,
    /// Bytes cut from the end of the log file (torn or corrupt tail).
    pub discarded_tail_bytes: u64,
}

/// The durable files of one raft-io log.
#[derive(Debug)]
pub struct LogFiles {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    /// Records in the log file that back no live entry.
    dead_records: usize,
    /// Set after a failed write or sync; every later write is refused with this reason.
    failed: Option<String>,
}

impl LogFiles {
    /// Opens (or creates) the log in `dir` and recovers its contents.
    pub fn open(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
    ) -> Result<(LogFiles, Contents, RecoveryReport), LogStoreError> {
        create_dir_durable(&*vfs, dir)?;
        for tmp in [LOG_TMP, HARD_TMP, SNAPSHOT_TMP] {
            let path = dir.join(tmp);
            if vfs.exists(&path)? {
                vfs.remove(&path)?;
                vfs.sync_dir(dir)?;
            }
        }
        let mut contents = Contents::default();
        let mut report = RecoveryReport::default();

        let hard_path = dir.join(HARD_FILE);
        if vfs.exists(&hard_path)? {
            let h: WireHardState = read_single(&*vfs, &hard_path)?;
            contents.hard = HardState::from(h);
        }

        let log_path = dir.join(LOG_FILE);
        let mut dead_records = 0;
        if vfs.exists(&log_path)? {
            let (len, scanned) = read_longest_valid_prefix(&*vfs, &log_path)?;
            report.records = scanned.records.len();
            for (_, record) in scanned.records {
                replay(&mut contents, record, &log_path)?;
            }
            dead_records = report.records.saturating_sub(contents.entries.len());
            if scanned.tail_discarded {
                report.discarded_tail_bytes = len - scanned.valid_len;
                vfs.truncate(&log_path, scanned.valid_len)?;
                vfs.sync(&log_path)?;
            }
        } else {
            vfs.create(&log_path)?;
            vfs.sync(&log_path)?;
            vfs.sync_dir(dir)?;
        }

        let snap_path = dir.join(SNAPSHOT_FILE);
        let snapshot: Option<Snapshot> = if vfs.exists(&snap_path)? {
            let s: WireSnapshot = read_single(&*vfs, &snap_path)?;
            Some(s.into())
        } else {
            None
        };
        match &snapshot {
            Some(s) if s.index >= contents.base_index => {
                if contents.apply_snapshot(s).is_some() {
                    // The crash came between the snapshot and its rebase record: write the
                    // record now, or entries appended after this recovery would replay before
                    // the rebase next time and be cleared by it.
                    let mut buf = Vec::new();
                    encode_into(
                        &LogRecord::Rebase {
                            index: s.index,
                            term: s.term,
                        },
                        &mut buf,
                    )?;
                    vfs.append(&log_path, &buf)?;
                    vfs.sync(&log_path)?;
                    dead_records += 1;
                }
                contents.snapshot = Some(s.clone());
            }
            _ if contents.base_index == 0 => {}
            _ => {
                return Err(LogStoreError::Corrupt {
                    file: log_path,
                    detail: format!(
                        "rebased to index {} but the stored snapshot reaches {:?}",
                        contents.base_index,
                        snapshot.as_ref().map(|s| s.index)
                    ),
                });
            }
        }

        let files = LogFiles {
            vfs,
            dir: dir.to_path_buf(),
            dead_records,
            failed: None,
        };
        Ok((files, contents, report))
    }

    /// The file system the log writes to.
    pub fn vfs(&self) -> &Arc<dyn Vfs> {
        &self.vfs
    }

    /// Why writes are refused, if they are.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Appends `records` to the log file and syncs it (one write, one sync).
    pub fn append_records(
        &mut self,
        records: &[LogRecord],
        dead: usize,
    ) -> Result<(), LogStoreError> {
        if records.is_empty() {
            return Ok(());
        }
        self.check_usable()?;
        let mut buf = Vec::new();
        for r in records {
            encode_into(r, &mut buf)?;
        }
        let path = self.dir.join(LOG_FILE);
        let res = self
            .vfs
            .append(&path, &buf)
            .and_then(|_| self.vfs.sync(&path))
            .map_err(LogStoreError::from);
        self.poison_on_err(res)?;
        self.dead_records += dead;
        Ok(())
    }

    /// Atomically and durably replaces the hard state.
    pub fn save_hard(&mut self, hard: HardState) -> Result<(), LogStoreError> {
        self.replace(HARD_TMP, HARD_FILE, &WireHardState::from(hard))
    }

    /// Atomically and durably replaces the stored snapshot.
    pub fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), LogStoreError> {
        self.replace(SNAPSHOT_TMP, SNAPSHOT_FILE, &WireSnapshot::from(snapshot))
    }

    /// Whether the log file is due for [`Self::compact`].
    pub fn compaction_due(&self, live: usize) -> bool {
        self.dead_records >= COMPACT_MIN_DEAD && self.dead_records > live
    }

    /// Rewrites the log file to hold only the base and the live entries of `contents`.
    pub fn compact(&mut self, contents: &Contents) -> Result<(), LogStoreError> {
        self.check_usable()?;
        let mut buf = Vec::new();
        if contents.base_index > 0 {
            encode_into(
                &LogRecord::Rebase {
                    index: contents.base_index,
                    term: contents.base_term,
                },
                &mut buf,
            )?;
        }
        for e in &contents.entries {
            encode_into(&LogRecord::Entry(WireEntry::from(e)), &mut buf)?;
        }
        let res = self.replace_bytes(LOG_TMP, LOG_FILE, &buf);
        self.poison_on_err(res)?;
        self.dead_records = usize::from(contents.base_index > 0);
        Ok(())
    }

    fn replace<T: Serialize>(
        &mut self,
        tmp: &str,
        dest: &str,
        value: &T,
    ) -> Result<(), LogStoreError> {
        self.check_usable()?;
        let mut buf = Vec::new();
        encode_into(value, &mut buf)?;
        let res = self.replace_bytes(tmp, dest, &buf);
        self.poison_on_err(res)
    }

    fn replace_bytes(&self, tmp: &str, dest: &str, data: &[u8]) -> Result<(), LogStoreError> {
        let tmp = self.dir.join(tmp);
        self.vfs.create(&tmp)?;
        self.vfs.append(&tmp, data)?;
        self.vfs.sync(&tmp)?;
        self.vfs.rename(&tmp, &self.dir.join(dest))?;
        self.vfs.sync_dir(&self.dir)?;
        Ok(())
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

/// Applies one replayed record to the recovering contents.
fn replay(contents: &mut Contents, record: LogRecord, path: &Path) -> Result<(), LogStoreError> {
    let corrupt = |detail: String| LogStoreError::Corrupt {
        file: path.to_path_buf(),
        detail,
    };
    match record {
        LogRecord::Entry(e) => {
            if e.index <= contents.base_index {
                return Ok(());
            }
            if e.index <= contents.last_index() {
                contents
                    .truncate(e.index)
                    .map_err(|err| corrupt(err.to_string()))?;
            }
            contents
                .append(&[LogEntry::from(e)])
                .map_err(|err| corrupt(err.to_string()))?;
        }
        LogRecord::Truncate { from } => {
            if from > contents.base_index {
                contents
                    .truncate(from)
                    .map_err(|err| corrupt(err.to_string()))?;
            }
        }
        LogRecord::Rebase { index, term } => {
            contents.rebase(index, term);
        }
    }
    Ok(())
}

/// Reads a file that is only ever replaced whole: exactly one valid record, or it is damaged
/// (starting without it — a forgotten vote, a lost snapshot — would be unsafe, so refuse).
fn read_single<T: DeserializeOwned>(vfs: &dyn Vfs, path: &Path) -> Result<T, LogStoreError> {
    let bytes = vfs.read_all(path)?;
    let s = scan::<T>(&bytes);
    let valid = s.records.len();
    match (s.records.into_iter().next(), valid, s.tail_discarded) {
        (Some((_, v)), 1, false) => Ok(v),
        _ => Err(LogStoreError::Corrupt {
            file: path.to_path_buf(),
            detail: format!(
                "{valid} valid records, {} bytes unreadable",
                bytes.len() as u64 - s.valid_len
            ),
        }),
    }
}

/// Reads and scans the log file; while the scan stops short of the end, reads it again and
/// keeps the read with the longest valid prefix. Returns the file's length and the best scan.
fn read_longest_valid_prefix(
    vfs: &dyn Vfs,
    path: &Path,
) -> Result<(u64, Scan<LogRecord>), LogStoreError> {
    let bytes = vfs.read_all(path)?;
    let mut len = bytes.len() as u64;
    let mut best = scan::<LogRecord>(&bytes);
    for _ in 1..RECOVERY_READS {
        if !best.tail_discarded {
            break;
        }
        let bytes = vfs.read_all(path)?;
        let again = scan::<LogRecord>(&bytes);
        if again.valid_len > best.valid_len {
            len = bytes.len() as u64;
            best = again;
        }
    }
    Ok((len, best))
}
