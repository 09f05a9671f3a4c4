//! The state behind a `SimVfs`: files as durable image + pending writes, directories as
//! durable + live entries, and what a power failure does to them.
//!
//! `sim_vfs.rs` owns the public API and the `Vfs` operations; this file owns the data model and
//! the crash semantics, so the rules "what survives a crash" live in one place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::faults::{CrashReport, FaultKind, FaultPlan, OpClass, VfsCounters};
use super::rng::SplitMix64;
use super::sim_path::{invalid, not_found, split};
use super::{VfsError, VfsResult};

/// Torn writes keep or lose whole sectors of this size, aligned to absolute file offsets.
pub const SECTOR: u64 = 512;

#[derive(Debug, Clone)]
pub(super) struct Disk {
    pub(super) rng: SplitMix64,
    pub(super) faults: FaultPlan,
    pub(super) counters: VfsCounters,
    /// Every directory that exists, by normalised path. Directories are durable on creation.
    pub(super) dirs: BTreeMap<PathBuf, Dir>,
    pub(super) inodes: BTreeMap<u64, Inode>,
    pub(super) next_inode: u64,
    /// Orders pending writes across files, so a crash knows which write was the last.
    pub(super) write_seq: u64,
    /// A [`FaultKind::PowerCut`] fired: the machine is going down, so every operation fails
    /// and nothing more reaches the disk until the crash that follows.
    pub(super) power_cut: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Dir {
    /// Entries as the running system sees them.
    pub(super) live: BTreeMap<String, u64>,
    /// Entries as they would be found after a crash (as of the last `sync_dir`).
    pub(super) durable: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Inode {
    pub(super) durable: Vec<u8>,
    pub(super) live: Vec<u8>,
    /// Changes since the last successful `sync`, oldest first; replayed onto `durable` by it.
    pub(super) pending: Vec<Pending>,
}

#[derive(Debug, Clone)]
pub(super) enum Pending {
    Write {
        seq: u64,
        offset: u64,
        data: Vec<u8>,
    },
    SetLen(u64),
}

impl Disk {
    /// Counts an operation and returns its 1-based number; fails it if the power was cut.
    pub(super) fn count(&mut self, op: &'static str, path: &Path) -> VfsResult<u64> {
        self.counters.ops += 1;
        if self.power_cut {
            return Err(VfsError::Io {
                op,
                path: path.to_path_buf(),
                detail: "the power was cut".into(),
            });
        }
        Ok(self.counters.ops)
    }

    /// The power fails in the middle of a sync: the writes it was making durable stay pending
    /// (the crash that follows may tear the last of them) and the disk takes nothing more.
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

    pub(super) fn lookup(&self, path: &Path) -> VfsResult<u64> {
        let (dir, name) = split(path)?;
        self.dirs
            .get(&dir)
            .and_then(|d| d.live.get(&name))
            .copied()
            .ok_or_else(|| not_found(path))
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
        self.write_seq += 1;
        let seq = self.write_seq;
        let inode = self
            .inodes
            .get_mut(&ino)
            .expect("entry points at a live inode");
        write_into(&mut inode.live, offset, data);
        inode.pending.push(Pending::Write {
            seq,
            offset,
            data: data.to_vec(),
        });
        Ok(offset)
    }

    /// Drops inodes no directory (live or durable) refers to; returns how many.
    pub(super) fn collect_garbage(&mut self) -> u64 {
        let referenced: BTreeSet<u64> = self
            .dirs
            .values()
            .flat_map(|d| d.live.values().chain(d.durable.values()))
            .copied()
            .collect();
        let before = self.inodes.len();
        self.inodes.retain(|ino, _| referenced.contains(ino));
        (before - self.inodes.len()) as u64
    }

    /// Power failure; see [`SimVfs::crash_with`](super::SimVfs::crash_with).
    pub(super) fn crash(&mut self, tear_last_write: bool) -> CrashReport {
        let disk = self;
        let mut report = CrashReport::default();
        disk.counters.crashes += 1;
        // The cut belongs to this power cycle: the machine comes back with power.
        disk.power_cut = false;
        disk.faults.unschedule(FaultKind::PowerCut);

        let last = disk
            .inodes
            .iter()
            .flat_map(|(&ino, inode)| {
                inode.pending.iter().filter_map(move |p| match p {
                    Pending::Write { seq, offset, data } => Some((*seq, ino, *offset, data)),
                    Pending::SetLen(_) => None,
                })
            })
            .max_by_key(|&(seq, ..)| seq)
            .map(|(_, ino, offset, data)| (ino, offset, data.clone()));

        for inode in disk.inodes.values_mut() {
            report.dropped_pending += inode.pending.len() as u64;
            inode.pending.clear();
        }
        if let (true, Some((ino, offset, data))) = (tear_last_write, last) {
            let (kept, total) = tear_into(&mut disk.rng, &mut disk.inodes, ino, offset, &data);
            if kept > 0 {
                disk.counters.torn_writes += 1;
            }
            let name = disk
                .dirs
                .iter()
                .flat_map(|(d, dir)| dir.durable.iter().map(move |(n, &i)| (d, n, i)))
                .find(|&(_, _, i)| i == ino)
                .map(|(d, n, _)| d.join(n).display().to_string())
                .unwrap_or_default();
            report.torn = Some((name, kept, total));
        }
        for inode in disk.inodes.values_mut() {
            inode.live = inode.durable.clone();
        }
        for dir in disk.dirs.values_mut() {
            let changed = dir
                .live
                .iter()
                .filter(|&(n, i)| dir.durable.get(n) != Some(i))
                .count()
                + dir
                    .durable
                    .keys()
                    .filter(|n| !dir.live.contains_key(*n))
                    .count();
            report.reverted_entries += changed as u64;
            dir.live = dir.durable.clone();
        }
        report.vanished_files = disk.collect_garbage();
        report
    }
}

/// Applies a random subset of the sectors of one write to an inode's durable image.
/// Returns `(sectors kept, sectors touched)`.
fn tear_into(
    rng: &mut SplitMix64,
    inodes: &mut BTreeMap<u64, Inode>,
    ino: u64,
    offset: u64,
    data: &[u8],
) -> (u64, u64) {
    let Some(inode) = inodes.get_mut(&ino) else {
        return (0, 0);
    };
    let end = offset + data.len() as u64;
    let (mut start, mut kept, mut total) = (offset, 0, 0);
    while start < end {
        let next = ((start / SECTOR) + 1) * SECTOR;
        let stop = next.min(end);
        total += 1;
        if rng.chance(0.5) {
            kept += 1;
            let src = &data[(start - offset) as usize..(stop - offset) as usize];
            write_into(&mut inode.durable, start, src);
        }
        start = stop;
    }
    // The file's new length made it to disk with the first surviving sector (metadata
    // before data, as on common filesystems): sectors that did not make it read as zeros.
    if kept > 0 && (inode.durable.len() as u64) < end {
        inode.durable.resize(end as usize, 0);
    }
    (kept, total)
}

pub(super) fn write_into(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let off = offset as usize;
    let end = off + data.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[off..end].copy_from_slice(data);
}
