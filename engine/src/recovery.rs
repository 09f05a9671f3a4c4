//! Opening a database directory: newest valid checkpoint + the valid prefix of the WAL.
//!
//! 0. Make the directory, durably: a directory whose entry in its parent was never synced
//!    vanishes in a power failure with every file in it, however well they were synced.
//! 1. List the directory. Files are `ckpt-<g>.ckpt`, `ckpt-<g>.tmp` and `wal-<g>.log`.
//! 2. Load the newest checkpoint that verifies (magic, checksum, generation); none = empty
//!    state at generation 1. An unreadable (EIO) or newer-version checkpoint stops recovery:
//!    skipping it could silently lose data.
//! 3. Replay WAL segments from the checkpoint's generation up to the newest generation present.
//!    Each must exist (the newest may not, if the crash came between checkpoint and segment
//!    creation); only the newest may end in a torn/corrupt tail, which is cut off.
//! 4. Make the recovered state durable as found: the active segment's verified prefix is
//!    written again and synced (after a failed fsync the OS may show us bytes that are not on
//!    disk, and appending after them would strand every later record), leftovers of older
//!    generations are removed, and the directory is synced.
//!
//! Reads are retried: a checksum failure may be a transient read corruption, and cutting off
//! an acknowledged tail (or skipping a checkpoint) because one read was garbled would destroy
//! good data. A verdict of "damaged" needs two reads that agree; reads that keep disagreeing
//! make `open` fail with an I/O error and leave the files untouched.

use std::collections::BTreeSet;
use std::path::Path;

use crate::checkpoint::{self, checkpoint_name, is_temp_name, parse_checkpoint_name};
use crate::error::{Error, Result};
use crate::op::WalOp;
use crate::state::{Limits, State};
use crate::vfs::{Vfs, VfsError, create_dir_durable};
use crate::wal::reader::{Scan, Tail, scan};
use crate::wal::{parse_segment_name, segment_name};

/// Generation of a database that has never checkpointed.
pub const FIRST_GENERATION: u64 = 1;

/// How many times a file whose checksum fails is read again before believing it.
const READ_ATTEMPTS: usize = 3;

/// What recovery found and did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Generation of the checkpoint loaded, if any.
    pub checkpoint: Option<u64>,
    /// Newer checkpoints that did not verify, with the reason.
    pub skipped_checkpoints: Vec<(u64, String)>,
    /// WAL records (batches) replayed.
    pub batches_replayed: u64,
    /// If the active segment had a torn or corrupt tail: `(offset, bytes cut, reason)`.
    pub truncated: Option<(u64, u64, String)>,
    /// Files of older generations and temp files removed.
    pub removed: Vec<String>,
}

pub(crate) struct Recovered {
    pub state: State,
    pub generation: u64,
    pub wal_len: u64,
    /// Records in the active segment's valid prefix.
    pub wal_records: u64,
    pub report: RecoveryReport,
}

pub(crate) fn recover(vfs: &dyn Vfs, dir: &Path) -> Result<Recovered> {
    create_dir_durable(vfs, dir)?;
    let mut ckpts = BTreeSet::new();
    let mut wals = BTreeSet::new();
    let mut temps = Vec::new();
    for name in vfs.list(dir)? {
        if let Some(g) = parse_checkpoint_name(&name) {
            ckpts.insert(g);
        } else if let Some(g) = parse_segment_name(&name) {
            wals.insert(g);
        } else if is_temp_name(&name) {
            temps.push(name);
        }
    }
    let mut report = RecoveryReport::default();

    let mut base = None;
    for &g in ckpts.iter().rev() {
        let path = dir.join(checkpoint_name(g));
        match read_checkpoint(vfs, &path, g) {
            Ok(ops) => {
                let state =
                    State::from_ops(&ops, Limits::replay()).map_err(|e| Error::Corrupt {
                        path: path.clone(),
                        reason: format!("checkpoint verifies but does not apply: {e}"),
                    })?;
                base = Some((g, state));
                report.checkpoint = Some(g);
                break;
            }
            Err(e @ Error::Decode { .. }) => report.skipped_checkpoints.push((g, e.to_string())),
            Err(e) => return Err(e),
        }
    }
    let (base_gen, mut state) = base.unwrap_or((FIRST_GENERATION, State::default()));
    let newest = [ckpts.last(), wals.last()]
        .into_iter()
        .flatten()
        .copied()
        .fold(base_gen, u64::max);
    if let Some(missing) = (base_gen..newest).find(|g| !wals.contains(g)) {
        return Err(Error::Corrupt {
            path: dir.join(segment_name(missing)),
            reason: format!(
                "WAL segment {missing} is missing but needed after checkpoint generation \
                 {base_gen} (newer checkpoints: {:?})",
                report.skipped_checkpoints
            ),
        });
    }

    let mut active_prefix: Option<(Vec<u8>, u64)> = None;
    let mut wal_records = 0;
    for g in base_gen..=newest {
        if !wals.contains(&g) {
            continue;
        }
        let path = dir.join(segment_name(g));
        let (bytes, found) = read_segment(vfs, &path, g)?;
        for batch in &found.batches {
            state
                .prepare_and_apply(batch, Limits::replay())
                .map_err(|e| Error::Corrupt {
                    path: path.clone(),
                    reason: format!("a checksummed record does not apply: {e}"),
                })?;
            report.batches_replayed += 1;
        }
        if let Tail::Invalid { offset, reason } = &found.tail {
            if g != newest {
                return Err(Error::Corrupt {
                    path,
                    reason: format!(
                        "damaged at offset {offset} before the newest segment: {reason}"
                    ),
                });
            }
            report.truncated = Some((*offset, bytes.len() as u64 - offset, reason.clone()));
        }
        if g == newest {
            let valid = found.valid_len as usize;
            let file_len = bytes.len() as u64;
            let mut prefix = bytes;
            prefix.truncate(valid);
            wal_records = found.batches.len() as u64;
            active_prefix = Some((prefix, file_len));
        }
    }

    let active = dir.join(segment_name(newest));
    let wal_len = match active_prefix {
        Some((prefix, file_len)) => {
            if !prefix.is_empty() {
                vfs.write_at(&active, 0, &prefix)?;
            }
            if file_len != prefix.len() as u64 {
                vfs.truncate(&active, prefix.len() as u64)?;
            }
            vfs.sync(&active)?;
            prefix.len() as u64
        }
        None => {
            vfs.create(&active)?;
            0
        }
    };
    let stale = ckpts
        .iter()
        .filter(|&&g| g < base_gen)
        .map(|&g| checkpoint_name(g))
        .chain(
            wals.iter()
                .filter(|&&g| g < base_gen)
                .map(|&g| segment_name(g)),
        )
        .chain(temps);
    for name in stale {
        vfs.remove(&dir.join(&name))?;
        report.removed.push(name);
    }
    vfs.sync_dir(dir)?;
    Ok(Recovered {
        state,
        generation: newest,
        wal_len,
        wal_records,
        report,
    })
}

/// Reads and verifies a checkpoint, re-reading after a verification failure. A checkpoint is
/// only declared bad (and skipped) when two reads agree on the bad bytes; reads that keep
/// disagreeing are an I/O error, not a verdict.
fn read_checkpoint(vfs: &dyn Vfs, path: &Path, generation: u64) -> Result<Vec<WalOp>> {
    let mut previous: Option<Vec<u8>> = None;
    for _ in 0..READ_ATTEMPTS {
        let bytes = vfs.read_all(path)?;
        match checkpoint::decode(&bytes, generation) {
            Err(e @ Error::Decode { .. }) => {
                if previous.as_ref() == Some(&bytes) {
                    return Err(e);
                }
                previous = Some(bytes);
            }
            other => return other,
        }
    }
    Err(unstable(path))
}

/// Reads and scans a segment. A clean scan is trusted at once (garbling cannot forge a
/// checksum). An invalid tail is trusted only when two reads return identical bytes; otherwise
/// the reads are garbled and recovery must not cut the log on their word.
fn read_segment(vfs: &dyn Vfs, path: &Path, generation: u64) -> Result<(Vec<u8>, Scan)> {
    let mut previous: Option<Vec<u8>> = None;
    for _ in 0..READ_ATTEMPTS {
        let bytes = vfs.read_all(path)?;
        let found = scan(&bytes, generation)?;
        if found.tail == Tail::Clean || previous.as_ref() == Some(&bytes) {
            return Ok((bytes, found));
        }
        previous = Some(bytes);
    }
    Err(unstable(path))
}

fn unstable(path: &Path) -> Error {
    Error::Io(VfsError::Io {
        op: "read",
        path: path.to_path_buf(),
        detail: format!(
            "{READ_ATTEMPTS} reads returned different bytes; refusing to trust or repair the file"
        ),
    })
}
