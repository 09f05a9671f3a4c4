//! The disk seam: the `Vfs` trait every byte of engine (and log-store) I/O goes through.
//!
//! # Path-based, not handle-based
//!
//! Every operation names its file by path; there are no open-file handles. Why:
//!
//! - A crash (`SimVfs::crash`) cannot leave stale handles behind in a node that is restarted
//!   with power-failure semantics: there is nothing to invalidate.
//! - The trait stays trivially object-safe (`Arc<dyn Vfs>`), and a node and the simulated world
//!   can share one disk without sharing handle lifetimes.
//! - Fault schedules and traces can name the file every operation touched.
//!
//! "Opening" a file is therefore just using its path: [`Vfs::create`] makes (or empties) a file,
//! [`Vfs::exists`] asks whether one is there, every other call works on an existing file.
//! `StdVfs` caches real file descriptors internally so a path-based call costs no `open(2)`.
//!
//! # Durability contract (what callers may rely on, and what `SimVfs` enforces)
//!
//! - Data written by [`Vfs::write_at`] / [`Vfs::append`] / [`Vfs::truncate`] is durable only after
//!   [`Vfs::sync`] on that file returned `Ok`. A crash before that may drop it, or (torn write)
//!   keep only some 512-byte sectors of the last write.
//! - A file's *directory entry* — its creation by [`Vfs::create`], a [`Vfs::rename`], a
//!   [`Vfs::remove`] — is durable only after [`Vfs::sync_dir`] on its parent directory returned
//!   `Ok`. A file created and synced but never `sync_dir`-ed vanishes on a crash.
//! - So is a directory made by [`Vfs::create_dir_all`]: until its parent is synced, a power
//!   failure may take it with everything in it, however well its files were synced.
//!   [`create_dir_durable`] makes a directory and syncs what it needs to. (`StdVfs`'s
//!   `create_dir_all` happens to sync the new chain, and `SimVfs` so far keeps directories from
//!   the moment they are made; callers must not rely on either.)
//! - After a failed `sync` nothing is promised about the data written before it, even if a later
//!   `sync` succeeds (the Linux fsync-error behaviour). Callers must treat it as data loss.

mod faults;
mod rng;
mod sim_disk;
mod sim_path;
mod sim_vfs;
mod std_vfs;

use std::fmt;
use std::path::{Path, PathBuf};

pub use faults::{CrashReport, FaultConfig, FaultKind, VfsCounters};
pub use rng::SplitMix64;
pub use sim_disk::SECTOR;
pub use sim_vfs::SimVfs;
pub use std_vfs::StdVfs;

/// Result of a [`Vfs`] operation.
pub type VfsResult<T> = Result<T, VfsError>;

/// What went wrong in a [`Vfs`] operation. `Clone` + `Eq` so tests and reports can keep and
/// compare errors; real `std::io::Error`s are flattened into their kind and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VfsError {
    /// The file or directory does not exist.
    #[error("not found: {}", path.display())]
    NotFound { path: PathBuf },
    /// The target already exists (e.g. a directory where a file was expected).
    #[error("already exists: {}", path.display())]
    AlreadyExists { path: PathBuf },
    /// An I/O error (EIO), real or injected. After one on `sync`, data may have been lost.
    #[error("I/O error (EIO) during {op} on {}: {detail}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        detail: String,
    },
    /// The disk is full (ENOSPC); nothing was written.
    #[error("no space left on device (ENOSPC) during {op} on {}", path.display())]
    NoSpace { op: &'static str, path: PathBuf },
    /// The path is not usable (empty, `..`, no file name, a directory where a file is needed …).
    #[error("invalid path {}: {reason}", path.display())]
    InvalidPath { path: PathBuf, reason: String },
}

impl VfsError {
    /// True for errors that mean "the medium failed" (EIO, ENOSPC) rather than a caller mistake.
    pub fn is_media_error(&self) -> bool {
        matches!(self, VfsError::Io { .. } | VfsError::NoSpace { .. })
    }
}

/// A file system, real or simulated. Shared as `Arc<dyn Vfs>`; every method takes `&self`, so
/// implementations synchronise internally.
///
/// All paths are used as given (no implicit root): callers join their own directory.
pub trait Vfs: Send + Sync + fmt::Debug + 'static {
    /// Creates `dir` and any missing parents. Each new directory is durable only after
    /// `sync_dir` of its parent (see the module doc and [`create_dir_durable`]).
    fn create_dir_all(&self, dir: &Path) -> VfsResult<()>;

    /// Creates an empty file at `path`, or truncates an existing one to length 0 (like
    /// `File::create`). The new directory entry is durable only after `sync_dir(parent)`.
    fn create(&self, path: &Path) -> VfsResult<()>;

    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> VfsResult<bool>;

    /// Current length of the file in bytes (including writes not yet synced).
    fn len(&self, path: &Path) -> VfsResult<u64>;

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (short only at end
    /// of file, 0 at or past it).
    fn read_at(&self, path: &Path, offset: u64, buf: &mut [u8]) -> VfsResult<usize>;

    /// Writes all of `data` at `offset`, extending the file (with zeros for any gap) if needed.
    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> VfsResult<()>;

    /// Writes all of `data` at the end of the file; returns the offset it was written at.
    fn append(&self, path: &Path, data: &[u8]) -> VfsResult<u64>;

    /// Sets the file's length to `len` (shrinking, or extending with zeros).
    fn truncate(&self, path: &Path, len: u64) -> VfsResult<()>;

    /// Makes the file's data (all writes and truncates so far) durable.
    fn sync(&self, path: &Path) -> VfsResult<()>;

    /// Makes the directory's entries (creates, renames, removes and subdirectories made in it
    /// so far) durable.
    fn sync_dir(&self, dir: &Path) -> VfsResult<()>;

    /// Atomically renames a file, replacing any file at `to`. Durable after `sync_dir` of both
    /// parents.
    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()>;

    /// Removes a file. Durable after `sync_dir(parent)`.
    fn remove(&self, path: &Path) -> VfsResult<()>;

    /// Names (not paths) of the entries in `dir`, files and directories, sorted bytewise.
    fn list(&self, dir: &Path) -> VfsResult<Vec<String>>;

    /// Reads the whole file. Provided in terms of `len` and `read_at`.
    fn read_all(&self, path: &Path) -> VfsResult<Vec<u8>> {
        let len = self.len(path)?;
        let len = usize::try_from(len).map_err(|_| VfsError::Io {
            op: "read_all",
            path: path.to_path_buf(),
            detail: format!("file of {len} bytes does not fit in memory"),
        })?;
        let mut buf = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            let n = self.read_at(path, filled as u64, &mut buf[filled..])?;
            if n == 0 {
                // The file shrank under us; return what is there.
                buf.truncate(filled);
                break;
            }
            filled += n;
        }
        Ok(buf)
    }
}

/// Creates `dir` (and any missing parents) so that it survives a power failure: after
/// `create_dir_all`, syncs the parent of every directory this call made, and always `dir`'s own
/// parent (it may have been made, unsynced, by someone else). Ancestors that already existed
/// above that are left alone (they are not ours to sync, and may not even be readable).
pub fn create_dir_durable(vfs: &dyn Vfs, dir: &Path) -> VfsResult<()> {
    let mut made = Vec::new();
    for a in dir.ancestors() {
        if a.as_os_str().is_empty() || vfs.exists(a)? {
            break;
        }
        made.push(a);
    }
    vfs.create_dir_all(dir)?;
    let mut parents: Vec<PathBuf> = made
        .into_iter()
        .chain([dir])
        .filter_map(Path::parent)
        .map(|p| match p.as_os_str().is_empty() {
            true => PathBuf::from("."),
            false => p.to_path_buf(),
        })
        .collect();
    parents.sort();
    parents.dedup();
    // Deepest first: a directory's entries before its own entry in its parent.
    for p in parents.iter().rev() {
        vfs.sync_dir(p)?;
    }
    Ok(())
}
