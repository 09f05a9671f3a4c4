//! `SimVfs`: an in-memory disk with power-failure semantics, simulated I/O time and seeded
//! fault injection.
//!
//! It owns the simulated disk of one node: per file a *durable* image plus the *pending*
//! changes made since the last completed `sync`, and per directory *durable* and *live* entries
//! plus the pending entry changes. `crash()` is a power failure, resolved by the disk's
//! [`CrashModel`]; the rules are in the module doc of `vfs` (next to the durability contract).
//! With a clock set ([`SimVfs::set_clock`]) operations take simulated time on a FIFO device and a
//! sync makes its writes durable only when it completes (see `device.rs`, `latency.rs`).
//!
//! `SimVfs` is plain Rust with no simulator dependency and is deterministic: every random
//! choice comes from one of its seeded [`SplitMix64`](super::SplitMix64) streams (faults; crash outcomes; latency),
//! all maps are `BTreeMap`s, and the only time it knows is the clock it is given. Clones share
//! one disk (the world keeps a clone to `crash()` the node's disk); [`SimVfs::fork`] makes an
//! independent copy.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::crash::{CrashModel, CrashReport};
use super::device::Clock;
use super::faults::{FaultConfig, FaultKind, FaultPlan, OpClass, VfsCounters};
use super::latency::{IoKind, IoLatency, LatencyError, SyncStall, validate_slowdown};
use super::sim_dir::Node;
use super::sim_disk::{Change, Disk, Inode};
use super::sim_path::{invalid, normalise, not_found, split};
use super::{Vfs, VfsError, VfsResult};

/// A simulated disk. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct SimVfs {
    disk: Arc<Mutex<Disk>>,
}

impl SimVfs {
    /// An empty disk (only the roots `/` and `.` exist) whose randomness comes from `seed`,
    /// with the harsh crash model, no clock and no faults.
    pub fn new(seed: u64) -> Self {
        Self::with_faults(seed, FaultConfig::default())
    }

    /// An empty disk with probabilistic faults configured from the start.
    pub fn with_faults(seed: u64, config: FaultConfig) -> Self {
        Self {
            disk: Arc::new(Mutex::new(Disk::new(seed, FaultPlan::new(config)))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        // A panicking test thread must not turn every later disk access into a second panic.
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An independent deep copy of this disk (contents, pending changes, faults, model, clock,
    /// latency settings, random streams, counters). Used to take a crash image at an exact
    /// point without disturbing the original.
    pub fn fork(&self) -> SimVfs {
        let copy = self.lock().clone();
        SimVfs {
            disk: Arc::new(Mutex::new(copy)),
        }
    }

    /// Like [`SimVfs::fork`], but the copy's random streams (faults, crash outcomes, latency)
    /// restart from `seed`, so forks of one disk can take different futures (e.g. different
    /// crash outcomes).
    pub fn fork_with_seed(&self, seed: u64) -> SimVfs {
        let copy = self.fork();
        copy.lock().reseed(seed);
        copy
    }

    // ---- faults --------------------------------------------------------------------------

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

    /// Disables every probabilistic and scheduled fault, the slowdown and any sync stall.
    /// Keeps `torn_writes` for crashes, the crash model and the latency model (properties of
    /// the disk, not faults).
    pub fn clear_faults(&self) {
        let mut disk = self.lock();
        disk.faults.clear();
        disk.device.slowdown = 1.0;
        disk.device.clear_stall();
    }

    /// Operation and fault counters so far.
    pub fn counters(&self) -> VfsCounters {
        self.lock().counters
    }

    /// The power fails now: every later operation fails (EIO) until the crash that must follow
    /// ([`SimVfs::crash`]) decides what the disk keeps. For a fault that strikes at an exact
    /// moment of the system's life rather than at an operation number.
    pub fn cut_power(&self) {
        self.lock().power_cut = true;
    }

    /// A fingerprint of every operation asked of this disk so far (kind and path, in order).
    pub fn op_digest(&self) -> u64 {
        self.lock().op_digest.finish()
    }

    // ---- crash model ---------------------------------------------------------------------

    /// Sets what a crash may do to unsynced state ([`CrashModel::Harsh`] by default). Under
    /// the gentle model directories are durable when made; a directory made while the harsh
    /// model was in force stays non-durable until `sync_dir` of its parent.
    pub fn set_crash_model(&self, model: CrashModel) {
        self.lock().model = model;
    }

    pub fn crash_model(&self) -> CrashModel {
        self.lock().model
    }

    // ---- I/O time ------------------------------------------------------------------------

    /// Gives the disk a clock (the world passes its simulated time). Without one no time
    /// passes: every operation, `sync` included, completes in the instant it is issued and
    /// nothing is drawn from the latency stream.
    pub fn set_clock(&self, clock: Clock) {
        self.lock().device.set_clock(clock);
    }

    /// Sets how long operations take (`None`: no time, the default). Refuses a model that does
    /// not validate, changing nothing. Takes effect only with a clock.
    pub fn set_latency(&self, latency: Option<IoLatency>) -> Result<(), LatencyError> {
        if let Some(l) = &latency {
            l.validate()?;
        }
        self.lock().device.latency = latency;
        Ok(())
    }

    pub fn latency(&self) -> Option<IoLatency> {
        self.lock().device.latency.clone()
    }

    /// `slow-disk`: every operation's drawn base cost and fsync tail are multiplied by `factor`
    /// (`>= 1`; 1 restores normal speed; random stalls are not scaled). Operations already
    /// queued keep their times. Needs a latency model to have an effect.
    pub fn set_slowdown(&self, factor: f64) -> Result<(), LatencyError> {
        validate_slowdown(factor)?;
        self.lock().device.slowdown = factor;
        Ok(())
    }

    pub fn slowdown(&self) -> f64 {
        self.lock().device.slowdown
    }

    /// `fsync-stall`: the syncs (`sync` and `sync_dir`) the stall covers each take at least
    /// `stall.each` — the next `n`, or all issued within a window from now. Replaces any
    /// earlier stall. Works with or without a latency model, but needs a clock.
    pub fn stall_syncs(&self, stall: SyncStall) -> Result<(), LatencyError> {
        stall.validate()?;
        self.lock().device.stall_syncs(stall);
        Ok(())
    }

    /// Ends a sync stall early.
    pub fn clear_stall(&self) {
        self.lock().device.clear_stall();
    }

    /// The disk's clock now (zero without a clock).
    pub fn now(&self) -> Duration {
        self.lock().device.now()
    }

    /// When every operation issued so far will have completed, on the disk's clock.
    pub fn busy_until(&self) -> Duration {
        self.lock().device.busy_until()
    }

    // ---- power failure -------------------------------------------------------------------

    /// Power failure now, tearing writes iff `FaultConfig::torn_writes` is set.
    pub fn crash(&self) -> CrashReport {
        let torn = self.lock().faults.config.torn_writes;
        self.crash_with(torn)
    }

    /// Power failure now. Syncs that completed by now are durable; every other change is
    /// resolved by the crash model: gentle drops it (tearing the last write at 512-byte sectors
    /// if `tear`), harsh keeps a sound random part of it (whole writes only unless `tear`). The
    /// device's queue is emptied; the latency model, slowdown and stall stay.
    pub fn crash_with(&self, tear: bool) -> CrashReport {
        self.lock().crash(tear)
    }

    /// Flips bits of one byte in a file's durable *and* live image (persistent bit rot, unlike
    /// [`FaultKind::ReadCorruption`], which only garbles what one read returns). Not counted as
    /// an operation. `mask` must be non-zero to change anything.
    pub fn rot_byte(&self, path: &Path, offset: u64, mask: u8) -> VfsResult<()> {
        let mut disk = self.lock();
        let ino = disk.lookup(path)?;
        let inode = disk.inode_mut(ino);
        let off = usize::try_from(offset).unwrap_or(usize::MAX);
        for image in [&mut inode.durable, &mut inode.live] {
            if let Some(b) = image.get_mut(off) {
                *b ^= mask;
            }
        }
        Ok(())
    }

    /// The contents every crash right now would leave, or `None` if some crash could lose the
    /// file (its entry, or a directory above it, is not durable). For tests and reports; not an
    /// operation.
    pub fn durable_contents(&self, path: &Path) -> Option<Vec<u8>> {
        let mut disk = self.lock();
        disk.settle_due();
        let (dir, name) = split(path).ok()?;
        let mut cur = dir.clone();
        while let (Some(parent), Some(n)) = (cur.parent(), cur.file_name()) {
            let n = n.to_str()?;
            if disk.dirs.get(parent)?.durable.get(n) != Some(&Node::Dir) {
                return None;
            }
            cur = parent.to_path_buf();
        }
        match disk.dirs.get(&dir)?.durable.get(&name)? {
            Node::File(ino) => Some(disk.inodes.get(ino)?.durable.clone()),
            Node::Dir => None,
        }
    }

    /// Total bytes of pending (not yet durable) writes over all files. For tests and reports.
    pub fn pending_bytes(&self) -> u64 {
        let disk = self.lock();
        disk.inodes
            .values()
            .flat_map(|i| i.pending.iter())
            .map(|p| match &p.change {
                Change::Write { data, .. } => data.len() as u64,
                Change::SetLen(_) => 0,
            })
            .sum()
    }
}

impl fmt::Debug for SimVfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let disk = self.lock();
        f.debug_struct("SimVfs")
            .field("files", &disk.inodes.len())
            .field("model", &disk.model)
            .field("device", &disk.device)
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
            if disk.dirs.contains_key(&cur) {
                continue;
            }
            let (parent, name) = split(&cur)?;
            if disk.dirs[&parent].live.contains_key(&name) {
                return Err(VfsError::AlreadyExists { path: cur });
            }
            disk.timed(IoKind::Metadata);
            disk.mkdir(&parent, name, cur.clone());
        }
        Ok(())
    }

    fn create(&self, path: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("create", path)?;
        disk.counters.writes += 1;
        disk.timed(IoKind::Metadata);
        let (dir, name) = split(path)?;
        if disk.is_dir(path)? {
            return Err(invalid(path, "is a directory"));
        }
        if !disk.dirs.contains_key(&dir) {
            return Err(not_found(path));
        }
        disk.check_write("create", path, 0)?;
        match disk.dirs[&dir].file(&name) {
            Some(ino) => {
                let seq = disk.next_seq();
                let issued = disk.issued;
                let inode = disk.inode_mut(ino);
                inode.live.clear();
                inode.push(seq, Change::SetLen(0), issued);
            }
            None => {
                let ino = disk.next_inode;
                disk.next_inode += 1;
                disk.inodes.insert(ino, Inode::default());
                let issued = disk.issued;
                let d = disk.dirs.get_mut(&dir).expect("checked above");
                d.change(vec![(name, Some(Node::File(ino)))], None, issued);
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
        disk.timed(IoKind::Read(buf.len() as u64));
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
        disk.timed(IoKind::Metadata);
        let ino = disk.lookup(path)?;
        let new_len = usize::try_from(len).map_err(|_| invalid(path, "length too large"))?;
        let cur = disk.inodes[&ino].live.len() as u64;
        disk.check_write("truncate", path, len.saturating_sub(cur))?;
        let seq = disk.next_seq();
        let issued = disk.issued;
        let inode = disk.inode_mut(ino);
        inode.live.resize(new_len, 0);
        inode.push(seq, Change::SetLen(len), issued);
        Ok(())
    }

    fn sync(&self, path: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        let op_no = disk.count("sync", path)?;
        disk.counters.syncs += 1;
        let ino = disk.lookup(path)?;
        let fault = disk.fault(OpClass::Sync, op_no, path);
        let done = disk.timed(IoKind::Sync);
        match fault {
            Some(FaultKind::PowerCut) => Err(disk.cut_power("sync", path)),
            Some(_) => {
                disk.fail_sync(ino);
                Err(VfsError::Io {
                    op: "sync",
                    path: path.to_path_buf(),
                    detail: "injected fsync error; unsynced writes were dropped".into(),
                })
            }
            None => {
                disk.sync_file(ino, done);
                Ok(())
            }
        }
    }

    fn sync_dir(&self, dir: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        let op_no = disk.count("sync_dir", dir)?;
        disk.counters.dir_syncs += 1;
        let norm = normalise(dir)?;
        if !disk.dirs.contains_key(&norm) {
            return Err(not_found(dir));
        }
        let fault = disk.fault(OpClass::Sync, op_no, dir);
        let done = disk.timed(IoKind::Sync);
        match fault {
            Some(FaultKind::PowerCut) => Err(disk.cut_power("sync_dir", dir)),
            Some(_) => Err(VfsError::Io {
                op: "sync_dir",
                path: dir.to_path_buf(),
                detail: "injected directory fsync error".into(),
            }),
            None => {
                disk.sync_dir(&norm, done);
                disk.collect_garbage();
                Ok(())
            }
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("rename", from)?;
        disk.timed(IoKind::Metadata);
        let ino = disk.lookup(from)?;
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        if disk.is_dir(to)? {
            return Err(invalid(to, "is a directory"));
        }
        if !disk.dirs.contains_key(&to_dir) {
            return Err(not_found(to));
        }
        let file = Some(Node::File(ino));
        let issued = disk.issued;
        if from_dir == to_dir {
            let d = disk.dirs.get_mut(&from_dir).expect("looked up");
            d.change(vec![(from_name, None), (to_name, file)], None, issued);
        } else {
            let pair = disk.next_pair;
            disk.next_pair += 1;
            let d = disk.dirs.get_mut(&from_dir).expect("looked up");
            d.change(vec![(from_name, None)], Some(pair), issued);
            let d = disk.dirs.get_mut(&to_dir).expect("checked above");
            d.change(vec![(to_name, file)], Some(pair), issued);
        }
        disk.collect_garbage();
        Ok(())
    }

    fn remove(&self, path: &Path) -> VfsResult<()> {
        let mut disk = self.lock();
        disk.count("remove", path)?;
        disk.timed(IoKind::Metadata);
        disk.lookup(path)?;
        let (dir, name) = split(path)?;
        let issued = disk.issued;
        let d = disk.dirs.get_mut(&dir).expect("looked up");
        d.change(vec![(name, None)], None, issued);
        disk.collect_garbage();
        Ok(())
    }

    fn list(&self, dir: &Path) -> VfsResult<Vec<String>> {
        let mut disk = self.lock();
        disk.count("list", dir)?;
        let norm = normalise(dir)?;
        let d = disk.dirs.get(&norm).ok_or_else(|| not_found(dir))?;
        // Files and subdirectories alike; a BTreeMap's keys are already sorted bytewise.
        Ok(d.live.keys().cloned().collect())
    }

    fn busy_for(&self) -> Duration {
        self.lock().device.busy_for()
    }
}
