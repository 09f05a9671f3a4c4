//! Power failure: what a crash leaves of a `SimVfs`, under the gentle or the harsh model, and
//! the report that says what happened. The rules are documented in `vfs/mod.rs` (next to the
//! durability contract); the harsh model's per-file rule lives in `harsh_file.rs`.
//!
//! Order of a crash: changes whose sync completed by the crash time become durable
//! ([`Disk::settle`]); then the files' unsynced changes are resolved per the model; then the
//! namespace (each directory's entries, then which directories are still reachable); then
//! inodes no entry names are dropped and the device's queue is emptied.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::faults::FaultKind;
use super::harsh_file::crash_file;
use super::rng::SplitMix64;
use super::sim_dir::Node;
use super::sim_disk::{Change, Disk, Inode, SECTOR, write_into};

/// What a power failure may do to unsynced state (see `vfs/mod.rs` for the rules).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CrashModel {
    /// Every unsynced change is lost, except that the last write (over all files) may be torn
    /// at sector granularity; unsynced entry changes are all undone; directories are durable
    /// when made; `sync_dir` makes only its own directory's changes durable. The behaviour
    /// before the harsh model, kept for comparison runs.
    Gentle,
    /// Each file keeps any sound subset of its unsynced changes, sector-torn, with its length
    /// journalled in order; each directory keeps an ordered prefix of its unsynced entry
    /// changes; directories are durable only after `sync_dir` of their parent.
    #[default]
    Harsh,
}

/// What a crash did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Changes the device had not even started when the power went (queued behind a slow
    /// operation): dropped before anything else is decided.
    pub unstarted: u64,
    pub model: CrashModel,
    /// The disk's clock at the crash (zero without a clock).
    pub at: Duration,
    /// Unsynced changes (writes and truncates) that left no trace. The gentle model counts every
    /// unsynced change here, the torn last write included.
    pub dropped_pending: u64,
    /// Unsynced changes that survived whole (harsh model).
    pub kept_pending: u64,
    /// Unsynced writes of which some sectors survived and some did not (harsh model).
    pub torn_pending: u64,
    /// Of the unsynced changes, those whose sync had been issued but had not completed.
    pub in_flight: u64,
    /// Files the running system saw that are gone (never made durable in a surviving entry).
    pub vanished_files: u64,
    /// Directories the running system saw that are gone.
    pub vanished_dirs: u64,
    /// Entries of surviving directories that differ from what the running system saw.
    pub reverted_entries: u64,
    /// The last write (over all files), if it was torn: `(path, sectors kept, sectors in the
    /// write)`. Set iff tearing was on and there was an unsynced write.
    pub torn: Option<(String, u64, u64)>,
    /// Every file that had unsynced changes, in creation order.
    pub files: Vec<FileCrash>,
}

/// What a crash did to one file with unsynced changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCrash {
    /// A path the running system knew the file by (empty if it had none).
    pub path: String,
    pub writes: u64,
    pub writes_kept: u64,
    pub writes_dropped: u64,
    pub writes_torn: u64,
    pub set_lens: u64,
    pub set_lens_kept: u64,
    pub live_len: u64,
    pub recovered_len: u64,
}

impl Disk {
    /// Power failure now; see [`SimVfs::crash_with`](super::SimVfs::crash_with).
    pub(super) fn crash(&mut self, tear: bool) -> CrashReport {
        let now = self.device.now();
        self.settle(now);
        self.counters.crashes += 1;
        // What the device had not started when the power went never reached the disk: the
        // operations queued behind one still running were issued by a caller that, on a real
        // machine, would still have been waiting in that earlier call (its fsync, say).
        let unstarted = self.drop_unstarted(now);
        // The cut belongs to this power cycle: the machine comes back with power.
        self.power_cut = false;
        self.faults.unschedule(FaultKind::PowerCut);

        let live_before: BTreeSet<u64> = self.live_files().into_values().collect();
        let mut report = CrashReport {
            model: self.model,
            at: now,
            in_flight: self
                .inodes
                .values()
                .flat_map(|i| &i.pending)
                .filter(|p| p.durable_at.is_some())
                .count() as u64,
            unstarted,
            ..CrashReport::default()
        };
        match self.model {
            CrashModel::Gentle => self.crash_files_gently(tear, &mut report),
            CrashModel::Harsh => self.crash_files_harshly(tear, &mut report),
        }
        self.crash_namespace(&mut report);
        let after: BTreeSet<u64> = self.live_files().into_values().collect();
        report.vanished_files = live_before.difference(&after).count() as u64;
        // The crash rewrote every directory's entries.
        self.may_hold_garbage = true;
        self.collect_garbage();
        self.unsettled = None;
        self.device.reset(now);
        report
    }

    /// Forgets every pending change whose operation the device had not started by `now`;
    /// returns how many.
    fn drop_unstarted(&mut self, now: Duration) -> u64 {
        let mut dropped = 0;
        for inode in self.inodes.values_mut() {
            let before = inode.pending.len();
            inode.pending.retain(|p| p.issued <= now);
            dropped += (before - inode.pending.len()) as u64;
        }
        for dir in self.dirs.values_mut() {
            let before = dir.pending.len();
            dir.pending.retain(|op| op.issued <= now);
            dropped += (before - dir.pending.len()) as u64;
        }
        dropped
    }

    /// Live file entries by path → inode.
    fn live_files(&self) -> BTreeMap<PathBuf, u64> {
        self.dirs
            .iter()
            .flat_map(|(d, dir)| {
                dir.live.iter().filter_map(move |(n, node)| match node {
                    Node::File(ino) => Some((d.join(n), *ino)),
                    Node::Dir => None,
                })
            })
            .collect()
    }

    /// A name for each inode: its first live path, else its first durable one.
    fn names(&self) -> BTreeMap<u64, String> {
        let mut names = BTreeMap::new();
        let durable = self.dirs.iter().flat_map(|(d, dir)| {
            dir.durable.iter().filter_map(move |(n, node)| match node {
                Node::File(ino) => Some((d.join(n), *ino)),
                Node::Dir => None,
            })
        });
        for (path, ino) in self.live_files().into_iter().chain(durable) {
            names
                .entry(ino)
                .or_insert_with(|| path.display().to_string());
        }
        names
    }

    /// Gentle: every unsynced change is dropped; if `tear`, the most recent write (over all
    /// files) is instead kept partially, each 512-byte sector it touches with probability 1/2
    /// (from the fault stream).
    fn crash_files_gently(&mut self, tear: bool, report: &mut CrashReport) {
        let names = self.names();
        // Files only a pending entry change names are unreachable to this model (it undoes
        // every such change); they take no part, as when they were dropped at once.
        let named: BTreeSet<u64> = self
            .dirs
            .values()
            .flat_map(|d| d.live.values().chain(d.durable.values()))
            .filter_map(|n| match n {
                Node::File(ino) => Some(*ino),
                Node::Dir => None,
            })
            .collect();
        let last = self
            .inodes
            .iter()
            .filter(|(ino, _)| named.contains(ino))
            .flat_map(|(&ino, inode)| {
                inode.pending.iter().filter_map(move |p| match &p.change {
                    Change::Write { offset, data } => Some((p.seq, ino, *offset, data)),
                    Change::SetLen(_) => None,
                })
            })
            .max_by_key(|&(seq, ..)| seq)
            .map(|(_, ino, offset, data)| (ino, offset, data.clone()));
        let mut files: BTreeMap<u64, FileCrash> = BTreeMap::new();
        for (ino, inode) in &mut self.inodes {
            if inode.pending.is_empty() || !named.contains(ino) {
                inode.pending.clear();
                continue;
            }
            report.dropped_pending += inode.pending.len() as u64;
            let writes = inode
                .pending
                .iter()
                .filter(|p| matches!(p.change, Change::Write { .. }))
                .count() as u64;
            let f = FileCrash {
                path: names.get(ino).cloned().unwrap_or_default(),
                writes,
                writes_dropped: writes,
                set_lens: inode.pending.len() as u64 - writes,
                live_len: inode.live.len() as u64,
                ..FileCrash::default()
            };
            files.insert(*ino, f);
            inode.pending.clear();
        }
        if let (true, Some((ino, offset, data))) = (tear, last) {
            let (kept, total) = tear_into(&mut self.rng, &mut self.inodes, ino, offset, &data);
            if kept > 0 {
                self.counters.torn_writes += 1;
            }
            // Named as the directory would be found after the crash (as the report always did).
            let name = self
                .dirs
                .iter()
                .flat_map(|(d, dir)| dir.durable.iter().map(move |(n, node)| (d, n, *node)))
                .find(|&(_, _, node)| node == Node::File(ino))
                .map(|(d, n, _)| d.join(n).display().to_string())
                .unwrap_or_default();
            report.torn = Some((name, kept, total));
            if let Some(f) = files.get_mut(&ino)
                && kept > 0
            {
                f.writes_dropped -= 1;
                if kept == total {
                    f.writes_kept += 1;
                } else {
                    f.writes_torn += 1;
                }
            }
        }
        for (ino, inode) in &mut self.inodes {
            inode.live = inode.durable.clone();
            if let Some(f) = files.get_mut(ino) {
                f.recovered_len = inode.live.len() as u64;
            }
        }
        report.files = files.into_values().collect();
    }

    /// Harsh: each file independently, per `harsh_file.rs`, from the crash stream.
    fn crash_files_harshly(&mut self, tear: bool, report: &mut CrashReport) {
        let names = self.names();
        let mut last: Option<(u64, String, u64, u64)> = None;
        let mut any_torn = false;
        for (ino, inode) in &mut self.inodes {
            if inode.pending.is_empty() {
                inode.live = inode.durable.clone();
                continue;
            }
            let out = crash_file(&inode.durable, &inode.pending, &mut self.crash_rng, tear);
            let path = names.get(ino).cloned().unwrap_or_default();
            let mut f = FileCrash {
                path: path.clone(),
                writes: out.writes.len() as u64,
                set_lens: out.set_lens,
                set_lens_kept: out.set_lens_kept,
                live_len: inode.live.len() as u64,
                recovered_len: out.image.len() as u64,
                ..FileCrash::default()
            };
            for &(seq, kept, total) in &out.writes {
                match kept {
                    0 => f.writes_dropped += 1,
                    k if k == total => f.writes_kept += 1,
                    _ => f.writes_torn += 1,
                }
                if last.as_ref().is_none_or(|l| seq > l.0) {
                    last = Some((seq, path.clone(), kept, total));
                }
            }
            any_torn |= f.writes_torn > 0;
            report.dropped_pending += f.writes_dropped + (f.set_lens - f.set_lens_kept);
            report.kept_pending += f.writes_kept + f.set_lens_kept;
            report.torn_pending += f.writes_torn;
            report.files.push(f);
            inode.durable = out.image;
            inode.live = inode.durable.clone();
            inode.pending.clear();
        }
        if any_torn {
            self.counters.torn_writes += 1;
        }
        if tear {
            report.torn = last.map(|(_, path, kept, total)| (path, kept, total));
        }
    }

    /// Each directory keeps its durable entries plus, under the harsh model, a prefix of its
    /// unsynced entry changes (the halves of a rename across directories kept together); then
    /// only directories reachable from a root through surviving entries exist.
    fn crash_namespace(&mut self, report: &mut CrashReport) {
        let mut kept: BTreeMap<PathBuf, usize> = BTreeMap::new();
        let mut halves: BTreeMap<u64, Vec<(PathBuf, usize)>> = BTreeMap::new();
        for (path, d) in self.dirs.iter() {
            let n = d.pending.len() as u64;
            let k = match self.model {
                CrashModel::Harsh if n > 0 => self.crash_rng.below(n + 1) as usize,
                _ => 0,
            };
            kept.insert(path.clone(), k);
            for (i, op) in d.pending.iter().enumerate() {
                if let Some(pair) = op.pair {
                    halves.entry(pair).or_default().push((path.clone(), i));
                }
            }
        }
        // A rename is atomic: if one half is not kept, cut the other directory's prefix
        // before its half too. Cuts only shrink, so this ends.
        let mut changed = true;
        while changed {
            changed = false;
            for hs in halves.values() {
                if hs.iter().any(|(p, i)| *i >= kept[p]) {
                    for (p, i) in hs {
                        if *i < kept[p] {
                            kept.insert(p.clone(), *i);
                            changed = true;
                        }
                    }
                }
            }
        }
        let recovered: BTreeMap<PathBuf, _> = self
            .dirs
            .iter()
            .map(|(p, d)| (p.clone(), d.after_crash(kept[p])))
            .collect();
        // Parents sort before their children, so one pass in path order decides reachability.
        let mut survivors: BTreeSet<PathBuf> = BTreeSet::new();
        for path in recovered.keys() {
            let reachable = match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
                (Some(parent), Some(name)) => {
                    survivors.contains(parent) && recovered[parent].get(name) == Some(&Node::Dir)
                }
                _ => true, // a root
            };
            if reachable {
                survivors.insert(path.clone());
            }
        }
        let mut dirs = std::mem::take(&mut self.dirs);
        for (path, entries) in recovered {
            let mut d = dirs.remove(&path).expect("recovered from dirs");
            if !survivors.contains(&path) {
                report.vanished_dirs += 1;
                continue;
            }
            report.reverted_entries += changed_entries(&d.live, &entries);
            d.live = entries.clone();
            d.durable = entries;
            d.pending.clear();
            self.dirs.insert(path, d);
        }
    }
}

fn changed_entries(before: &BTreeMap<String, Node>, after: &BTreeMap<String, Node>) -> u64 {
    let changed = before
        .iter()
        .filter(|&(n, x)| after.get(n) != Some(x))
        .count();
    let added = after.keys().filter(|n| !before.contains_key(*n)).count();
    (changed + added) as u64
}

/// Gentle tearing: applies a random subset of the sectors of one write to an inode's durable
/// image. Returns `(sectors kept, sectors touched)`.
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
