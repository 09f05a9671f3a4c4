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
//!   [`Vfs::sync`] on that file returned `Ok` *and the sync completed* (see "I/O time" below).
//!   A crash before that may lose any part of it (see the crash model).
//! - A directory *entry* — a file's creation by [`Vfs::create`], a [`Vfs::rename`], a
//!   [`Vfs::remove`], and a directory made by [`Vfs::create_dir_all`] — is durable only after
//!   [`Vfs::sync_dir`] on its parent directory returned `Ok`. A file created and synced but never
//!   `sync_dir`-ed may vanish on a crash; so may a directory, with everything in it.
//!   [`create_dir_durable`] makes a directory and syncs what it needs to.
//! - A rename is atomic: after a crash the file is found under its old name or its new one,
//!   never both or neither. A rename across directories is durable after `sync_dir` of both
//!   parents. (`SimVfs`'s harsh model makes it durable with either, as a journalling file
//!   system commits it in one transaction; callers must not rely on that.)
//! - After a failed `sync` nothing is promised about the data written before it, even if a later
//!   `sync` succeeds (the Linux fsync-error behaviour). Callers must treat it as data loss.
//!
//! `StdVfs` happens to be stronger in places (its `create_dir_all` syncs the new chain);
//! callers must not rely on that.
//!
//! # I/O time (`SimVfs` with a clock)
//!
//! The `Vfs` API is synchronous, but a real disk is not instant: fsync takes 0.1–10 ms and
//! sometimes 100 ms or more. Given a clock ([`SimVfs::set_clock`]) and a latency model
//! ([`IoLatency`]), a `SimVfs` serves operations one at a time in issue order; each takes a
//! drawn time. A `sync` returns at once, but its writes become durable only when the device
//! completes it; a crash before then treats them as unsynced. [`Vfs::busy_for`] says how long
//! until everything issued so far has completed: an async caller sleeps that long after a group
//! of syncs before it acknowledges what they made durable. Without a clock no time passes (and
//! `busy_for` is zero), exactly as a real disk would look with infinitely fast I/O.
//!
//! # Crash model (`SimVfs`, [`CrashModel`])
//!
//! A crash first makes durable every sync that completed by the crash time. What happens to
//! everything else depends on the model.
//!
//! **Gentle** (the model before this one, kept for comparison runs): every unsynced change is
//! lost, except that the last write over all files may be torn (each 512-byte sector kept with
//! probability 1/2); unsynced entry changes are all undone; directories are durable when made;
//! each directory's `sync_dir` stands alone (so a rename across directories with one side
//! synced can leave the file under both names or neither — a state the harsh model rules out).
//!
//! **Harsh** (the default): each rule below is something a real POSIX file system with ordered
//! metadata journalling does, and no rule produces a state such a file system could not. The
//! classes are those of ALICE (Pillai et al., OSDI '14) and CrashMonkey (Mohan et al., OSDI '18).
//!
//! 1. *Files are independent.* Each file resolves its unsynced changes on its own; syncing one
//!    file says nothing about another (no global write order: ext4 `data=writeback`, and
//!    `data=ordered` across files; ALICE's "across-file reordering").
//! 2. *Sectors, not writes, reach the disk, in any order.* Each 512-byte sector holds its
//!    content as of some moment: the durable image plus, in order, every unsynced change to it
//!    up to that moment. So any subset of writes to *different* sectors can survive (page
//!    writeback order is the kernel's, not the program's: ALICE's "append reordering"), a write
//!    spanning sectors can survive in part (a torn write, CrashMonkey's torn pages), but a later
//!    write to a sector never survives without an earlier one to the same sector (the page is
//!    written as the cache holds it). `crash_with(false)` keeps writes whole: each survives
//!    entirely or not at all.
//! 3. *The length is metadata, journalled in order.* The recovered length is the length after
//!    some prefix of the file's unsynced changes (set-lens and extending writes), independent
//!    of which data sectors arrived. A length that outgrew the data that arrived reads zeros
//!    there (delayed allocation; XFS and ext4 `data=writeback` zero- or garbage-filled tails —
//!    zeros here, as `data=ordered` guarantees); data whose length update was lost is invisible
//!    (ext4's zero-length files after rename-without-fsync).
//! 4. *A truncate frees blocks.* An unsynced truncate/set-len survives or not with the length
//!    (rule 3). If it survives, data cut by it cannot reappear: those bytes hold zeros or what
//!    was written after the cut. If it does not, data written after the cut into the cut range
//!    cannot show (it went to new blocks no durable metadata points at).
//! 5. *Each directory's entry changes persist in order, directories independently.* A crash
//!    keeps the durable entries (as of the last completed `sync_dir`) plus a prefix of the
//!    directory's later creates, renames, removes and mkdirs. A rename is one atomic change; the
//!    two halves of a rename across directories survive together.
//! 6. *A directory exists only if its entry does.* A directory whose entry in its parent is not
//!    durable may vanish with its whole subtree (CrashMonkey's "directory not persisted"
//!    class), however carefully its files were synced.
//! 7. *A failed fsync loses its data* (the PostgreSQL "fsyncgate" lesson): the pages it should
//!    have written are dropped from the durable path and never come back.
//!
//! Outcomes are drawn from the disk's crash stream, seeded from its seed and separate from the
//! fault and latency streams. [`CrashReport`] says what a crash did, per file.

mod crash;
mod crash_images;
mod device;
mod dir_table;
mod faults;
mod harsh_file;
mod latency;
pub mod rng;
mod sim_dir;
mod sim_disk;
mod sim_path;
mod sim_vfs;
mod std_vfs;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crash::{CrashModel, CrashReport, FileCrash};
pub use crash_images::CrashImages;
pub use device::Clock;
pub use faults::{FaultConfig, FaultKind, VfsCounters};
pub use latency::{IoLatency, LatencyError, MAX_SLOWDOWN, MAX_US, StallSpan, SyncStall, Tail};
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

    /// How long, from now, until every operation issued so far has completed (and every sync
    /// among them has made its writes durable). Zero for a disk whose calls complete before they
    /// return, which is every real one: [`StdVfs`] blocks in `fsync(2)`.
    fn busy_for(&self) -> Duration {
        Duration::ZERO
    }

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
