//! The state behind a `SimVfs`: files as a durable image plus timed pending changes,
//! directories as a namespace (`sim_dir.rs`), the device that times every operation
//! (`device.rs`), and the write and sync paths that connect them.
//!
//! `sim_vfs.rs` owns the public API and the `Vfs` operations; `crash.rs` owns what a power
//! failure does to this state. A pending change carries `durable_at` once a `sync` covering it
//! was issued: the sync's completion time on the device. [`Disk::settle`] moves changes whose
//! time has come into the durable image; until then a crash treats them as unsynced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fnv::Fnv1a;

use super::crash::CrashModel;
use super::device::Device;
use super::dir_table::DirTable;
use super::faults::{FaultKind, FaultPlan, OpClass, VfsCounters};
use super::latency::IoKind;
use super::rng::SplitMix64;
use super::sim_dir::{Dir, Node};
use super::sim_path::{as_normal, invalid, normalise, not_found, split, split_normal};
use super::{VfsError, VfsResult};

/// Torn writes keep or lose whole sectors of this size, aligned to absolute file offsets.
pub const SECTOR: u64 = 512;

/// Salt of the crash-outcome stream (see [`SplitMix64::derived`]).
const CRASH_SALT: u64 = 0xC4A5_4000_0000_0002;

#[derive(Debug, Clone)]
pub(super) struct Disk {
    /// The fault stream: fault decisions, read corruption, and the gentle model's tearing.
    pub(super) rng: SplitMix64,
    /// The harsh model's crash outcomes.
    pub(super) crash_rng: SplitMix64,
    pub(super) device: Device,
    pub(super) model: CrashModel,
    pub(super) faults: FaultPlan,
    pub(super) counters: VfsCounters,
    /// A fingerprint of every operation asked of the disk, in order (kind and path), so two
    /// runs that issue different disk operations differ even where the data agrees.
    pub(super) op_digest: Fnv1a,
    /// When the device started the operation being carried out (see [`Pending::issued`]).
    pub(super) issued: Duration,
    /// The device's time when the operation being carried out was counted ([`Disk::count`]).
    /// No simulated time passes inside one call, so the operation reads the clock once.
    pub(super) op_now: Duration,
    /// Every directory that exists now, by normalised path. The roots `/` and `` (relative
    /// paths) always exist; any other directory is an entry of its parent.
    pub(super) dirs: DirTable,
    pub(super) inodes: BTreeMap<u64, Inode>,
    pub(super) next_inode: u64,
    /// Orders pending changes across files, so a crash knows which write was the last.
    pub(super) write_seq: u64,
    /// Ids tying the two halves of a rename across directories.
    pub(super) next_pair: u64,
    /// The earliest completion time of a sync whose changes are not yet durable.
    pub(super) unsettled: Option<Duration>,
    /// A [`FaultKind::PowerCut`] fired: the machine is going down, so every operation fails
    /// and nothing more reaches the disk until the crash that follows.
    pub(super) power_cut: bool,
    /// Any inode may have lost its last reference since the last [`Disk::collect_garbage`]:
    /// the durable entries were rewritten wholesale, by a durable change ([`Disk::mkdir`]
    /// under the gentle model) or a crash.
    pub(super) may_hold_garbage: bool,
    /// Inodes [`Disk::settle`] moved out of some directory's durable entries since the last
    /// collection: the only ones a settle can leave unreferenced. A live entry is always also
    /// durable or pending, so nothing else (a rename, a remove) drops a last reference.
    pub(super) displaced: Vec<u64>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Inode {
    pub(super) durable: Vec<u8>,
    pub(super) live: Vec<u8>,
    /// Changes not yet durable, oldest first; the stamped ones (`durable_at`) form a prefix.
    pub(super) pending: Vec<Pending>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) seq: u64,
    pub(super) change: Change,
    /// When the device started the operation that made it: a change the device had not started
    /// when the power failed never reached the disk.
    pub(super) issued: Duration,
    /// Completion time of the `sync` that makes this change durable, once one was issued.
    pub(super) durable_at: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Change {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

impl Inode {
    pub(super) fn push(&mut self, seq: u64, change: Change, issued: Duration) {
        self.pending.push(Pending {
            seq,
            change,
            issued,
            durable_at: None,
        });
    }

    /// Moves the changes whose sync completed by `now` into the durable image; returns the
    /// earliest stamp still waiting.
    fn settle(&mut self, now: Duration) -> Option<Duration> {
        let done = self
            .pending
            .iter()
            .take_while(|p| p.durable_at.is_some_and(|t| t <= now))
            .count();
        for p in self.pending.drain(..done) {
            match p.change {
                Change::Write { offset, data } => write_into(&mut self.durable, offset, &data),
                Change::SetLen(len) => self.durable.resize(len as usize, 0),
            }
        }
        self.pending.first().and_then(|p| p.durable_at)
    }
}

impl Disk {
    pub(super) fn new(seed: u64, faults: FaultPlan) -> Disk {
        let mut dirs = DirTable::default();
        dirs.insert(PathBuf::from("/"), Dir::default());
        dirs.insert(PathBuf::new(), Dir::default());
        Disk {
            rng: SplitMix64::new(seed),
            crash_rng: SplitMix64::derived(seed, CRASH_SALT),
            device: Device::new(seed),
            model: CrashModel::default(),
            faults,
            counters: VfsCounters::default(),
            op_digest: Fnv1a::new(),
            issued: Duration::ZERO,
            op_now: Duration::ZERO,
            dirs,
            inodes: BTreeMap::new(),
            next_inode: 1,
            write_seq: 0,
            next_pair: 1,
            unsettled: None,
            power_cut: false,
            may_hold_garbage: false,
            displaced: Vec::new(),
        }
    }

    /// Restarts every random stream (faults, crash outcomes, latency) from `seed`.
    pub(super) fn reseed(&mut self, seed: u64) {
        self.rng = SplitMix64::new(seed);
        self.crash_rng = SplitMix64::derived(seed, CRASH_SALT);
        self.device.reseed(seed);
    }

    /// Counts an operation and returns its 1-based number; fails it if the power was cut.
    /// Applies every sync that completed by now first.
    pub(super) fn count(&mut self, op: &'static str, path: &Path) -> VfsResult<u64> {
        self.op_now = self.device.now();
        self.counters.ops += 1;
        self.op_digest.write(op.as_bytes());
        self.op_digest.write(path.as_os_str().as_encoded_bytes());
        if self.power_cut {
            return Err(VfsError::Io {
                op,
                path: path.to_path_buf(),
                detail: "the power was cut".into(),
            });
        }
        self.settle_at(self.op_now);
        Ok(self.counters.ops)
    }

    /// Puts one operation on the device; returns when it completes. The changes it makes
    /// are stamped with when the device starts it (`issued`).
    pub(super) fn timed(&mut self, kind: IoKind) -> Duration {
        debug_assert_eq!(
            self.op_now,
            self.device.now(),
            "an operation is counted before it is timed, in the same call"
        );
        let t = self.device.submit(kind, self.op_now);
        self.issued = t.start;
        self.counters.io_time_us += t.us;
        self.counters.io_stalls += u64::from(t.stalled);
        t.done
    }

    /// Applies the syncs that have completed by the device's clock.
    pub(super) fn settle_due(&mut self) {
        self.settle_at(self.device.now());
    }

    /// Applies the syncs that have completed by `now` (the device's time).
    fn settle_at(&mut self, now: Duration) {
        if self.unsettled.is_some_and(|t| t <= now) {
            self.settle(now);
        }
    }

    /// Applies every sync that completed by `now`.
    pub(super) fn settle(&mut self, now: Duration) {
        let files = self.inodes.values_mut().filter_map(|i| i.settle(now));
        let displaced = &mut self.displaced;
        let dirs = self
            .dirs
            .values_mut()
            .filter_map(|d| d.settle(now, displaced));
        self.unsettled = files.chain(dirs).min();
    }

    fn note_unsettled(&mut self, at: Duration) {
        self.unsettled = Some(self.unsettled.map_or(at, |u| u.min(at)));
    }

    /// The power fails in the middle of a sync: the writes it was making durable stay pending
    /// (the crash that follows decides what of them survives) and the disk takes nothing more.
    pub(super) fn cut_power(&mut self, op: &'static str, path: &Path) -> VfsError {
        self.power_cut = true;
        VfsError::Io {
            op,
            path: path.to_path_buf(),
            detail: "the power was cut during the sync".into(),
        }
    }

    /// Decides (and records) whether this operation is faulted.
    pub(super) fn fault(&mut self, class: OpClass, op_no: u64, path: &Path) -> Option<FaultKind> {
        let kind = self.faults.decide(class, op_no, path, &mut self.rng)?;
        self.counters.record_fault(kind);
        Some(kind)
    }

    /// Whether `path` names a directory that exists.
    pub(super) fn is_dir(&self, path: &Path) -> VfsResult<bool> {
        Ok(match as_normal(path) {
            Some(p) => self.dirs.contains_key(p),
            None => self.dirs.contains_key(&normalise(path)?),
        })
    }

    /// The inode of the live file at `path`.
    pub(super) fn lookup(&self, path: &Path) -> VfsResult<u64> {
        // Nearly every operation looks its file up: a normal path is looked up as it is.
        let found = match split_normal(path) {
            Some((dir, name)) => self.dirs.get(dir).and_then(|d| d.file(name)),
            None => {
                let (dir, name) = split(path)?;
                self.dirs.get(&dir).and_then(|d| d.file(&name))
            }
        };
        found.ok_or_else(|| not_found(path))
    }

    pub(super) fn live_bytes(&self) -> u64 {
        self.inodes.values().map(|i| i.live.len() as u64).sum()
    }

    /// Fails a write-class operation that grows the disk by `growth` bytes, if it must.
    pub(super) fn check_write(
        &mut self,
        op: &'static str,
        path: &Path,
        growth: u64,
    ) -> VfsResult<()> {
        let op_no = self.counters.ops;
        match self.fault(OpClass::Write, op_no, path) {
            Some(FaultKind::NoSpace) => {
                return Err(VfsError::NoSpace {
                    op,
                    path: path.to_path_buf(),
                });
            }
            Some(_) => {
                return Err(VfsError::Io {
                    op,
                    path: path.to_path_buf(),
                    detail: "injected write error".into(),
                });
            }
            None => {}
        }
        if let Some(cap) = self.faults.config.capacity_bytes
            && growth > 0
            && self.live_bytes() + growth > cap
        {
            self.counters.record_fault(FaultKind::NoSpace);
            return Err(VfsError::NoSpace {
                op,
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }

    pub(super) fn write(
        &mut self,
        op: &'static str,
        path: &Path,
        offset: Option<u64>,
        data: &[u8],
    ) -> VfsResult<u64> {
        self.count(op, path)?;
        self.counters.writes += 1;
        self.timed(IoKind::Write(data.len() as u64));
        let ino = self.lookup(path)?;
        let cur = self.inodes[&ino].live.len() as u64;
        let offset = offset.unwrap_or(cur);
        let end = offset
            .checked_add(data.len() as u64)
            .filter(|&e| usize::try_from(e).is_ok())
            .ok_or_else(|| invalid(path, "write past the largest representable offset"))?;
        self.check_write(op, path, end.saturating_sub(cur))?;
        if data.is_empty() {
            return Ok(offset);
        }
        let seq = self.next_seq();
        let issued = self.issued;
        let inode = self.inode_mut(ino);
        write_into(&mut inode.live, offset, data);
        inode.push(
            seq,
            Change::Write {
                offset,
                data: data.to_vec(),
            },
            issued,
        );
        Ok(offset)
    }

    pub(super) fn next_seq(&mut self) -> u64 {
        self.write_seq += 1;
        self.write_seq
    }

    pub(super) fn inode_mut(&mut self, ino: u64) -> &mut Inode {
        self.inodes
            .get_mut(&ino)
            .expect("entry points at a live inode")
    }

    /// A successful `sync` of `ino` issued now and completing at `done`: every change not yet
    /// covered by a sync becomes durable at `done`.
    pub(super) fn sync_file(&mut self, ino: u64, done: Duration) {
        for p in &mut self.inode_mut(ino).pending {
            p.durable_at.get_or_insert(done);
        }
        self.note_unsettled(done);
        self.settle_at(self.op_now);
    }

    /// A failed `sync` of `ino`: Linux marks the failed pages clean, so the changes it should
    /// have made durable stay readable until a crash, then vanish, and a later successful
    /// sync will not bring them back. Changes an earlier sync already covers are unaffected.
    pub(super) fn fail_sync(&mut self, ino: u64) {
        self.inode_mut(ino)
            .pending
            .retain(|p| p.durable_at.is_some());
    }

    /// A successful `sync_dir` of `dir` completing at `done`: every entry change in it so far
    /// becomes durable then. The other half of a rename across directories goes with it (a
    /// journalling file system commits a rename as one transaction), and with that half every
    /// earlier change of its directory (metadata reaches the disk in order). The gentle model
    /// syncs each directory on its own, as the disk always did.
    pub(super) fn sync_dir(&mut self, dir: &Path, done: Duration) {
        let mut pairs = self
            .dirs
            .get_mut(dir)
            .map(|d| d.stamp_all(done))
            .unwrap_or_default();
        if self.model == CrashModel::Gentle {
            pairs.clear();
        }
        while let Some(pair) = pairs.pop() {
            for d in self.dirs.values_mut() {
                pairs.extend(d.stamp_through(pair, done));
            }
        }
        self.note_unsettled(done);
        self.settle_at(self.op_now);
    }

    /// Makes one directory `name` in `parent` (both normalised; `parent` exists). Under the
    /// gentle model the new entry is durable at once, as it was before the harsh model.
    pub(super) fn mkdir(&mut self, parent: &Path, name: String, path: PathBuf) {
        let durable = self.model == CrashModel::Gentle;
        let issued = self.issued;
        let p = self.dirs.get_mut(parent).expect("parent exists");
        let change = vec![(name, Some(Node::Dir))];
        if durable {
            p.change_durably(change);
            // A durable change replaces what the durable entries held.
            self.may_hold_garbage = true;
        } else {
            p.change(change, None, issued);
        }
        self.dirs.insert(path, Dir::default());
    }

    /// Drops inodes no directory refers to, live, durably or in a pending change; returns how
    /// many.
    pub(super) fn collect_garbage(&mut self) -> u64 {
        let candidates = std::mem::take(&mut self.displaced);
        let before = self.inodes.len();
        if std::mem::take(&mut self.may_hold_garbage) {
            let referenced = self.referenced();
            self.inodes
                .retain(|ino, _| referenced.binary_search(ino).is_ok());
        } else {
            for ino in candidates {
                if !self.dirs.values().any(|d| d.names(ino)) {
                    self.inodes.remove(&ino);
                }
            }
        }
        debug_assert!(
            self.inodes.len() == self.referenced().len(),
            "an inode lost its last reference outside a settle or a crash"
        );
        (before - self.inodes.len()) as u64
    }

    /// Every inode some directory refers to, sorted, without repeats.
    fn referenced(&self) -> Vec<u64> {
        // A disk holds a handful of files: a sorted list beats a set.
        let mut referenced: Vec<u64> = self.dirs.values().flat_map(Dir::inodes).collect();
        referenced.sort_unstable();
        referenced.dedup();
        referenced
    }
}

pub(super) fn write_into(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let off = offset as usize;
    if image.len() < off {
        image.resize(off, 0);
    }
    // Nearly every write appends: what lies past the end is copied once, not zeroed first.
    let overlap = (image.len() - off).min(data.len());
    image[off..off + overlap].copy_from_slice(&data[..overlap]);
    image.extend_from_slice(&data[overlap..]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_write_lands_as_on_a_zero_filled_image(
            image in prop::collection::vec(any::<u8>(), 0..64),
            offset in 0u64..96,
            data in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut expected = image.clone();
            let end = offset as usize + data.len();
            if expected.len() < end {
                expected.resize(end, 0);
            }
            expected[offset as usize..end].copy_from_slice(&data);
            let mut written = image;
            write_into(&mut written, offset, &data);
            prop_assert_eq!(written, expected);
        }
    }
}
