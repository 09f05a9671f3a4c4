//! What a power failure leaves of one file under the harsh crash model.
//!
//! Input: the file's durable image `D` and its pending changes `c_0 … c_{n-1}` (writes and
//! set-lens, oldest first). *Version* `k` of a byte is its value after `c_0 … c_{k-1}` were
//! applied to `D` (version 0 is `D`). The outcome is built from two independent choices, each
//! standing for something a real file system does:
//!
//! 1. **Metadata** (the file's length, journalled in order): a prefix `j` in `0..=n`; the
//!    recovered length is the length after `c_0 … c_{j-1}`.
//! 2. **Data** (page writeback, in any order, each sector written atomically): every 512-byte
//!    sector holds one version of itself. First each write is kept or dropped as a whole — a
//!    write is never kept over an earlier dropped write to the same sector, because a sector
//!    reaches the disk as the page cache holds it, with every earlier write in it — then, if
//!    tearing is on, some sectors re-pick any version (a torn, partly written-back write).
//!
//! Bytes within the recovered length but beyond what their version holds read as zeros (an
//! extended length whose data never arrived: delayed allocation, XFS's zero-filled tails).
//! A set-len that cut a byte separates its block's generations: when metadata includes the cut,
//! data from before it cannot show (the block was freed; the byte reads zero unless a later
//! version is chosen); when metadata does not include it, data written after it cannot show
//! (it went to a block no durable metadata points at), so the byte keeps its newest version from
//! before the cut.

use std::collections::{BTreeMap, BTreeSet};

use super::rng::SplitMix64;
use super::sim_disk::{Change, Pending, SECTOR};

/// Probability that, with tearing on, a sector touched by pending writes re-picks its version.
const TEAR: f64 = 1.0 / 3.0;

/// One file after a harsh crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileOutcome {
    pub image: Vec<u8>,
    /// Per pending write, oldest first: `(seq, sectors kept, sectors touched)`.
    pub writes: Vec<(u64, u64, u64)>,
    /// Pending set-lens, and how many of them the recovered length includes.
    pub set_lens: u64,
    pub set_lens_kept: u64,
}

pub(super) fn crash_file(
    durable: &[u8],
    pending: &[Pending],
    rng: &mut SplitMix64,
    tear: bool,
) -> FileOutcome {
    let n = pending.len();
    let mut lens = Vec::with_capacity(n + 1);
    lens.push(durable.len() as u64);
    let mut set_lens = Vec::new();
    for (i, p) in pending.iter().enumerate() {
        let cur = lens[i];
        lens.push(match &p.change {
            Change::Write { offset, data } => cur.max(offset + data.len() as u64),
            Change::SetLen(l) => {
                set_lens.push((i, *l));
                *l
            }
        });
    }

    // 1. Metadata: a prefix of the changes.
    let j = rng.below(n as u64 + 1) as usize;
    let len = lens[j] as usize;
    let floor = set_lens
        .iter()
        .filter(|&&(t, _)| t < j)
        .fold(durable.len() as u64, |m, &(_, l)| m.min(l)) as usize;
    let mut image = durable[..floor.min(len)].to_vec();
    image.resize(len, 0);

    // 2. Data: whole writes kept or dropped in sector order, then torn sectors.
    let mut touching: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut version: BTreeMap<u64, usize> = BTreeMap::new();
    let mut closed = BTreeSet::new();
    let mode = rng.below(4);
    for (i, p) in pending.iter().enumerate() {
        let Change::Write { offset, data } = &p.change else {
            continue;
        };
        let secs = sectors(*offset, data.len());
        let wanted = match mode {
            0 => false,
            1 => true,
            _ => rng.chance(0.5),
        };
        let keep = wanted && secs.clone().all(|s| !closed.contains(&s));
        for s in secs {
            touching.entry(s).or_default().push(i);
            if keep {
                version.insert(s, i + 1);
            } else {
                closed.insert(s);
            }
        }
    }
    if tear {
        for (&s, ops) in &touching {
            if rng.chance(TEAR) {
                let c = rng.below(ops.len() as u64 + 1) as usize;
                match c {
                    0 => version.remove(&s),
                    _ => version.insert(s, ops[c - 1] + 1),
                };
            }
        }
    }

    // Bytes of sectors holding a version > 0 (version 0 is the base image built above).
    for (&s, &k) in &version {
        let lo = (s * SECTOR) as usize;
        let hi = (((s + 1) * SECTOR) as usize).min(len);
        let mut at_version: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        for b in lo..hi {
            let cut_before = set_lens
                .iter()
                .filter(|&&(t, l)| t < j && l <= b as u64)
                .map(|&(t, _)| t + 1)
                .max()
                .unwrap_or(0);
            let cut_after = set_lens
                .iter()
                .filter(|&&(t, l)| t >= j && l <= b as u64)
                .map(|&(t, _)| t)
                .min()
                .unwrap_or(n);
            image[b] = if k < cut_before {
                0
            } else {
                let v = k.min(cut_after);
                let buf = at_version
                    .entry(v)
                    .or_insert_with(|| sector_at(durable, pending, &touching[&s], &set_lens, s, v));
                buf[b - lo]
            };
        }
    }

    let writes = pending
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.change {
            Change::Write { offset, data } => {
                let secs = sectors(*offset, data.len());
                let total = secs.clone().count() as u64;
                let kept = secs
                    .filter(|s| version.get(s).is_some_and(|&k| k > i))
                    .count() as u64;
                Some((p.seq, kept, total))
            }
            Change::SetLen(_) => None,
        })
        .collect();
    FileOutcome {
        image,
        writes,
        set_lens: set_lens.len() as u64,
        set_lens_kept: set_lens.iter().filter(|&&(t, _)| t < j).count() as u64,
    }
}

/// The sectors a write of `len > 0` bytes at `offset` touches.
fn sectors(offset: u64, len: usize) -> std::ops::RangeInclusive<u64> {
    offset / SECTOR..=(offset + len as u64 - 1) / SECTOR
}

/// Sector `s` at version `v`: `D`'s bytes (zeros past its end), then changes `0..v` that touch
/// it (the writes in `writes` and every set-len) in order.
fn sector_at(
    durable: &[u8],
    pending: &[Pending],
    writes: &[usize],
    set_lens: &[(usize, u64)],
    s: u64,
    v: usize,
) -> Vec<u8> {
    let lo = s * SECTOR;
    let hi = lo + SECTOR;
    let mut buf = vec![0u8; SECTOR as usize];
    if let Some(old) = durable.get(lo as usize..durable.len().min(hi as usize)) {
        buf[..old.len()].copy_from_slice(old);
    }
    let mut ops: Vec<usize> = writes
        .iter()
        .copied()
        .chain(set_lens.iter().map(|&(t, _)| t))
        .filter(|&i| i < v)
        .collect();
    ops.sort_unstable();
    for i in ops {
        match &pending[i].change {
            Change::Write { offset, data } => {
                let start = (*offset).max(lo);
                let end = (offset + data.len() as u64).min(hi);
                if start < end {
                    let src = &data[(start - offset) as usize..(end - offset) as usize];
                    buf[(start - lo) as usize..(end - lo) as usize].copy_from_slice(src);
                }
            }
            Change::SetLen(l) => {
                let from = (*l).clamp(lo, hi);
                buf[(from - lo) as usize..].fill(0);
            }
        }
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn w(seq: u64, offset: u64, data: &[u8]) -> Pending {
        Pending {
            seq,
            change: Change::Write {
                offset,
                data: data.to_vec(),
            },
            issued: Duration::ZERO,
            durable_at: None,
        }
    }

    fn set_len(seq: u64, len: u64) -> Pending {
        Pending {
            seq,
            change: Change::SetLen(len),
            issued: Duration::ZERO,
            durable_at: None,
        }
    }

    #[test]
    fn no_pending_changes_leave_the_durable_image() {
        let mut rng = SplitMix64::new(0);
        let out = crash_file(b"abc", &[], &mut rng, true);
        assert_eq!(out.image, b"abc");
        assert!(out.writes.is_empty());
    }

    #[test]
    fn a_later_write_to_a_sector_never_survives_without_an_earlier_one_there() {
        // Two writes to sector 0 at disjoint bytes: "b without a" is impossible on a real disk.
        for seed in 0..500 {
            let mut rng = SplitMix64::new(seed);
            let d = vec![b'.'; 512];
            let out = crash_file(&d, &[w(1, 0, b"a"), w(2, 1, b"b")], &mut rng, true);
            assert!(
                !(out.image[0] == b'.' && out.image[1] == b'b'),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn writes_to_different_sectors_survive_in_any_subset() {
        let mut seen = BTreeSet::new();
        for seed in 0..200 {
            let mut rng = SplitMix64::new(seed);
            let d = vec![b'.'; 1024];
            let out = crash_file(&d, &[w(1, 0, b"a"), w(2, 512, b"b")], &mut rng, false);
            seen.insert((out.image[0], out.image[512]));
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn metadata_without_data_reads_zeros_and_data_without_metadata_is_invisible() {
        let mut seen = BTreeSet::new();
        for seed in 0..200 {
            let mut rng = SplitMix64::new(seed);
            let out = crash_file(b"xy", &[w(1, 2, &[7; 600])], &mut rng, true);
            assert!(out.image.len() == 2 || out.image.len() == 602);
            assert_eq!(&out.image[..2], b"xy");
            seen.insert((
                out.image.len(),
                out.image.get(2).copied(),
                out.image.last().copied(),
            ));
        }
        for outcome in [
            (2, None, Some(b'y')),
            (602, Some(0), Some(0)),
            (602, Some(7), Some(7)),
        ] {
            assert!(
                seen.contains(&outcome),
                "{outcome:?} never happened: {seen:?}"
            );
        }
    }

    #[test]
    fn data_written_after_an_unkept_truncate_does_not_show() {
        // Truncate to 0 then rewrite: unless the truncate's metadata survives, the old block
        // (with old data) is what the file points at.
        for seed in 0..300 {
            let mut rng = SplitMix64::new(seed);
            let d = vec![b'o'; 100];
            let out = crash_file(&d, &[set_len(1, 0), w(2, 0, &[b'n'; 100])], &mut rng, true);
            if out.set_lens_kept == 0 {
                assert_eq!(out.image, d, "seed {seed}");
            } else {
                assert!(
                    out.image.iter().all(|&b| b == b'n' || b == 0),
                    "seed {seed}: {:?}",
                    out.image
                );
            }
        }
    }
}
