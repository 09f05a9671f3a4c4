//! `SimVfs`: an in-memory disk with power-failure semantics and seeded fault injection.
//!
//! It owns the simulated disk of one node: per file a *durable* image plus the *pending* writes
//! made since the last `sync`, and per directory a *durable* and a *live* set of entries.
//! `crash()` is a power failure: pending writes are dropped (the last one optionally torn at
//! 512-byte sectors) and every directory reverts to its durable entries, so files never synced
//! into their directory vanish and unsynced renames/removes are undone.
//!
//! `SimVfs` is plain Rust with no simulator dependency and is deterministic: every random
//! choice comes from its own seeded [`SplitMix64`], all maps are `BTreeMap`s, and it reads no
//! clock. Clones share one disk (the world keeps a clone to `crash()` the node's disk);
//! [`SimVfs::fork`] makes an independent copy.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::faults::{CrashReport, FaultConfig, FaultKind, FaultPlan, OpClass, VfsCounters};
use super::rng::SplitMix64;
use super::sim_disk::{Dir, Disk, Inode, Pending, write_into};
use super::sim_path::{invalid, normalise, not_found, split};
use super::{Vfs, VfsError, VfsResult};

/// A simulated disk. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct SimVfs {
    disk: Arc<Mutex<Disk>>,
}

impl SimVfs {
    /// An empty disk (only the roots `/` and `.` exist) whose randomness comes from `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_faults(seed, FaultConfig::default())
    }

    /// An empty disk with probabilistic faults configured from the start.
    pub fn with_faults(seed: u64, config: FaultConfig) -> Self {
        let mut dirs = BTreeMap::new();
        dirs.insert(PathBuf::from("/"), Dir::default());
        dirs.insert(PathBuf::new(), Dir::default());
        let disk = Disk {
            rng: SplitMix64::new(seed),
            faults: FaultPlan::new(config),
            counters: VfsCounters::default(),
            dirs,
            inodes: BTreeMap::new(),
            next_inode: 1,
            write_seq: 0,
            power_cut: false,
        };
        Self {
            disk: Arc::new(Mutex::new(disk)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        // A panicking test thread must not turn every later disk access into a second panic.
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An independent deep copy of this disk (contents, pending writes, faults, RNG state,
    /// counters). Used to take a crash image at an exact point without disturbing the original.
    pub fn fork(&self) -> SimVfs {
        let copy = self.lock().clone();
        SimVfs {
            disk: Arc::new(Mutex::new(copy)),
        }
    }

    /// Like [`SimVfs::fork`], but the copy's random stream restarts from `seed`, so forks of
    /// one disk can take different futures (e.g. different torn-write outcomes).
    pub fn fork_with_seed(&self, seed: u64) -> SimVfs {
        let copy = self.fork();
        copy.lock().rng = SplitMix64::new(seed);
        copy
    }

    /// Replaces the probabilistic fault configuration (scheduled faults are kept).
    pub fn set_faults(&self, config: FaultConfig) {
        self.lock().faults.config = config;
    }

    /// The current probabilistic fault configuration.
    pub fn faults(&self) -> FaultConfig {
        self.lock().faults.config.clone()
    }

    /// Schedules one `kind` fault on the first operation of its class whose operation number
    /// (1-based, as counted in [`VfsCounters::ops`]) is `>= at_op`. To fail "the next sync",
    /// use `at_op = counters().ops + 1`.
    pub fn schedule_fault(&self, kind: FaultKind, at_op: u64) {
        self.lock().faults.schedule(kind, at_op, None);
    }

    /// [`SimVfs::schedule_fault`] for operations on paths under `prefix` only (e.g. one
    /// store's directory), so a test can choose whose write a fault hits.
    pub fn schedule_fault_under(&self, kind: FaultKind, at_op: u64, prefix: &Path) {
        self.lock()
            .faults
            .schedule(kind, at_op, Some(prefix.to_path_buf()));
    }

    /// Scheduled faults that have not fired yet, as `(at_op, kind)`.
    pub fn scheduled_faults(&self) -> Vec<(u64, FaultKind)> {
        self.lock().faults.scheduled()
    }

    /// Disables every probabilistic and scheduled fault (keeps `torn_writes` for crashes).
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Operation and fault counters so far.
    pub fn counters(&self) -> VfsCounters {
        self.lock().counters
    }

    /// Power failure, tearing the last pending write iff `FaultConfig::torn_writes` is set.
    pub fn crash(&self) -> CrashReport {
        let torn = self.lock().faults.config.torn_writes;
        self.crash_with(torn)
    }

    /// Power failure. Every pending write and truncate is dropped; if `tear_last_write`, the most
    /// recent pending write (over all files) is instead kept partially: each 512-byte sector it
    /// touches survives with probability 1/2 (seeded). Every directory reverts to its durable
    /// entries; files that are then unreachable vanish.
    pub fn crash_with(&self, tear_last_write: bool) -> CrashReport {
        self.lock().crash(tear_last_write)
    }

    /// Flips bits of one byte in a file's durable *and* live image (persistent bit rot, unlike
    /// [`FaultKind::ReadCorruption`], which only garbles what one read returns). Not counted as
    /// an operation. `mask` must be non-zero to change anything.
    pub fn rot_byte(&self, path: &Path, offset: u64, mask: u8) -> VfsResult<()> {
        let mut disk = self.lock();
        let ino = disk.lookup(path)?;
        let inode = disk
            .inodes
            .get_mut(&ino)
            .expect("entry points at a live inode");
        let off = usize::try_from(offset).unwrap_or(usize::MAX);
        for image in [&mut inode.durable, &mut inode.live] {
            if let Some(b) = image.get_mut(off) {
                *b ^= mask;
            }
        }
        Ok(())
    }

    /// The durable contents of a file as a crash right now would leave them (ignoring tearing),
    /// or `None` if the file would not survive. For tests and reports; not an operation.
    pub fn durable_contents(&self, path: &Path) -> Option<Vec<u8>> {
        let disk = self.lock();
        let (dir, name) = split(path).ok()?;
        let ino = *disk.dirs.get(&dir)?.durable.get(&name)?;
        Some(disk.inodes.get(&ino)?.durable.clone())
    }

    /// Total bytes of pending (unsynced) writes over all files. For tests and reports.
    pub fn pending_bytes(&self) -> u64 {
        let disk = self.lock();
        disk.inodes
            .values()
            .flat_map(|i| i.pending.iter())
            .map(|p| match p {
                Pending::Write { data, .. } => data.len() as u64,
                Pending::SetLen(_) => 0,
            })
            .sum()
    }
}

impl fmt::Debug for SimVfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let disk = self.lock();
        f.debug_struct("SimVfs")
            .field("files", &disk.inodes.len())
            .field("counters", &disk.counters)
            .field("faults", &disk.faults.config)
            .finish()
    }
}

impl Vfs for SimVfs {
    fn create_dir_all(&self, dir: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("create_dir_all", dir)?;
        let norm = normalise(dir)?;
        let mut cur = PathBuf::new();
        for c in norm.components() {
            cur.push(c);
            if !disk.dirs.contains_key(&cur) {
                if let Some((parent, name)) = split(&cur).ok()
                    && disk
                        .dirs
                        .get(&parent)
                        .is_some_and(|d| d.live.contains_key(&name))
                {
                    return Err(VfsError::AlreadyExists { path: cur });
                }
                disk.dirs.insert(cur.clone(), Dir::default());
            }
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("create", path)?;
        disk.counters.writes += 1;
        let (dir, name) = split(path)?;
        if disk.dirs.contains_key(&normalise(path)?) {
            return Err(invalid(path, "is a directory"));
        }
        if !disk.dirs.contains_key(&dir) {
            return Err(not_found(path));
        }
        disk.check_write("create", path, 0)?;
        let existing = disk.dirs[&dir].live.get(&name).copied();
        match existing {
            Some(ino) => {
                let inode = disk
                    .inodes
                    .get_mut(&ino)
                    .expect("entry points at a live inode");
                inode.live.clear();
                inode.pending.push(Pending::SetLen(0));
            }
            None => {
                let ino = disk.next_inode;
                disk.next_inode += 1;
                disk.inodes.insert(ino, Inode::default());
                disk.dirs
                    .get_mut(&dir)
                    .expect("checked above")
                    .live
                    .insert(name, ino);
            }
        }
        Ok(())
    }

    fn exists(&self, path: &Path) -> VfsResult<bool> {
        let mut disk = self.lock();
        disk.count("exists", path)?;
        let norm = normalise(path)?;
        Ok(disk.dirs.contains_key(&norm) || disk.lookup(path).is_ok())
    }

    fn len(&self, path: &Path) -> VfsResult<u64> {
        let mut disk = self.lock();
        disk.count("len", path)?;
        let ino = disk.lookup(path)?;
        Ok(disk.inodes[&ino].live.len() as u64)
    }

    fn read_at(&self, path: &Path, offset: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let mut guard = self.lock();
        let disk = &mut *guard;
        let op_no = disk.count("read_at", path)?;
        disk.counters.reads += 1;
        let ino = disk.lookup(path)?;
        let fault = disk.fault(OpClass::Read, op_no, path);
        if fault == Some(FaultKind::ReadEio) {
            return Err(VfsError::Io {
                op: "read_at",
                path: path.to_path_buf(),
                detail: "injected read error".into(),
            });
        }
        let data = &disk.inodes[&ino].live;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        if fault == Some(FaultKind::ReadCorruption) && n > 0 {
            let at = disk.rng.below(n as u64) as usize;
            let mask = 1 + disk.rng.below(255) as u8;
            buf[at] ^= mask;
        }
        Ok(n)
    }

    fn write_at(&self, path: &Path, offset: u64, data: &[u8]) -> VfsResult<()> {
        self.lock()
            .write("write_at", path, Some(offset), data)
            .map(|_| ())
    }

    fn append(&self, path: &Path, data: &[u8]) -> VfsResult<u64> {
        self.lock().write("append", path, None, data)
    }

    fn truncate(&self, path: &Path, len: u64) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("truncate", path)?;
        disk.counters.writes += 1;
        let ino = disk.lookup(path)?;
        let new_len = usize::try_from(len).map_err(|_| invalid(path, "length too large"))?;
        let cur = disk.inodes[&ino].live.len() as u64;
        disk.check_write("truncate", path, len.saturating_sub(cur))?;
        let inode = disk
            .inodes
            .get_mut(&ino)
            .expect("entry points at a live inode");
        inode.live.resize(new_len, 0);
        inode.pending.push(Pending::SetLen(len));
        Ok(())
    }

    fn sync(&self, path: &Path) -> VfsResult<()> {
        let mut guard = self.lock();
        let disk = &mut *guard;
        let op_no = disk.count("sync", path)?;
        disk.counters.syncs += 1;
        let ino = disk.lookup(path)?;
        let fault = disk.fault(OpClass::Sync, op_no, path);
        if fault == Some(FaultKind::PowerCut) {
            return Err(disk.cut_power("sync", path));
        }
        let inode = disk
            .inodes
            .get_mut(&ino)
            .expect("entry points at a live inode");
        let pending = std::mem::take(&mut inode.pending);
        if fault.is_some() {
            // Linux marks the failed pages clean: they are readable until a crash, then gone,
            // and a later successful fsync will not bring them back.
            return Err(VfsError::Io {
                op: "sync",
                path: path.to_path_buf(),
                detail: "injected fsync error; unsynced writes were dropped".into(),
            });
        }
        for p in pending {
            match p {
                Pending::Write { offset, data, .. } => {
                    write_into(&mut inode.durable, offset, &data)
                }
                Pending::SetLen(len) => inode.durable.resize(len as usize, 0),
            }
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> VfsResult<()> {
        let mut guard = self.lock();
        let disk = &mut *guard;
        let op_no = disk.count("sync_dir", dir)?;
        disk.counters.dir_syncs += 1;
        let norm = normalise(dir)?;
        if !disk.dirs.contains_key(&norm) {
            return Err(not_found(dir));
        }
        let fault = disk.fault(OpClass::Sync, op_no, dir);
        if fault == Some(FaultKind::PowerCut) {
            return Err(disk.cut_power("sync_dir", dir));
        }
        if fault.is_some() {
            return Err(VfsError::Io {
                op: "sync_dir",
                path: dir.to_path_buf(),
                detail: "injected directory fsync error".into(),
            });
        }
        let d = disk.dirs.get_mut(&norm).expect("checked above");
        d.durable = d.live.clone();
        disk.collect_garbage();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("rename", from)?;
        let ino = disk.lookup(from)?;
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        if disk.dirs.contains_key(&normalise(to)?) {
            return Err(invalid(to, "is a directory"));
        }
        if !disk.dirs.contains_key(&to_dir) {
            return Err(not_found(to));
        }
        disk.dirs
            .get_mut(&from_dir)
            .expect("looked up")
            .live
            .remove(&from_name);
        disk.dirs
            .get_mut(&to_dir)
            .expect("checked above")
            .live
            .insert(to_name, ino);
        disk.collect_garbage();
        Ok(())
    }

    fn remove(&self, path: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("remove", path)?;
        disk.lookup(path)?;
        let (dir, name) = split(path)?;
        disk.dirs
            .get_mut(&dir)
            .expect("looked up")
            .live
            .remove(&name);
        disk.collect_garbage();
        Ok(())
    }

    fn list(&self, dir: &Path) -> VfsResult<Vec<String>> {
        let mut disk = self.lock();
        disk.count("list", dir)?;
        let norm = normalise(dir)?;
        let d = disk.dirs.get(&norm).ok_or_else(|| not_found(dir))?;
        let mut names: BTreeSet<String> = d.live.keys().cloned().collect();
        for sub in disk.dirs.keys() {
            if sub.parent() == Some(norm.as_path())
                && let Some(n) = sub.file_name().and_then(|n| n.to_str())
            {
                names.insert(n.to_owned());
            }
        }
        Ok(names.into_iter().collect())
    }
}
