//! Fault injection for `SimVfs`: what can go wrong, when it fires, and the counters reports use.
//!
//! This file owns the *decision* "does this operation fail, and how"; `sim_vfs.rs` owns what a
//! fault does to the disk. Each fault fires either with a seeded probability per operation of
//! its class or at an exact operation number ([`FaultKind`] + `at_op`), so a run is reproducible
//! from the disk's seed and the sequence of operations alone.

use std::path::{Path, PathBuf};

use super::rng::SplitMix64;

/// The faults `SimVfs` can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// `write_at` / `append` / `truncate` / `create` fails with EIO and writes nothing.
    WriteEio,
    /// `sync` / `sync_dir` fails with EIO. For `sync`, the pending writes are *dropped from the
    /// durable path* (they stay readable until a crash, then vanish): Linux's fsync behaviour.
    SyncEio,
    /// `read_at` fails with EIO.
    ReadEio,
    /// `read_at` succeeds but one returned byte is silently flipped (the disk is not changed).
    ReadCorruption,
    /// A write fails with ENOSPC as if the disk were full (independent of `capacity_bytes`).
    NoSpace,
    /// The power fails during this `sync` / `sync_dir`: the call fails with EIO, the writes it
    /// was making durable stay pending, and every later operation fails until the crash that
    /// must follow ([`SimVfs::crash`](super::SimVfs::crash)), which may tear the last of them.
    /// Only ever scheduled, never drawn from a probability.
    PowerCut,
}

/// Which fault a class of operation may suffer. Internal: `sim_vfs.rs` asks per operation.
/// Namespace-only operations (rename, remove, list, exists, len) are never faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpClass {
    Write,
    Sync,
    Read,
}

impl FaultKind {
    fn applies_to(self, class: OpClass) -> bool {
        match self {
            FaultKind::WriteEio | FaultKind::NoSpace => class == OpClass::Write,
            FaultKind::SyncEio | FaultKind::PowerCut => class == OpClass::Sync,
            FaultKind::ReadEio | FaultKind::ReadCorruption => class == OpClass::Read,
        }
    }
}

/// Probabilistic faults and limits. All probabilities are per operation of the fault's class,
/// drawn from the disk's seeded RNG; `0.0` (the default) disables a fault and draws nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Probability that a write-class operation fails with EIO.
    pub write_eio: f64,
    /// Probability that a `sync` or `sync_dir` fails with EIO.
    pub sync_eio: f64,
    /// Probability that a `read_at` fails with EIO.
    pub read_eio: f64,
    /// Probability that a `read_at` returns one silently corrupted byte.
    pub read_corruption: f64,
    /// Total bytes the disk holds (sum of all files' current lengths); a write that would grow
    /// past it fails with ENOSPC. `None` = unlimited.
    pub capacity_bytes: Option<u64>,
    /// Whether [`SimVfs::crash`](super::SimVfs::crash) tears the last pending write.
    pub torn_writes: bool,
}

/// Operation and fault counters, for reports and for tests that must prove a fault fired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VfsCounters {
    /// Every `Vfs` call, including failed ones.
    pub ops: u64,
    /// `read_at` calls.
    pub reads: u64,
    /// Write-class calls: `create`, `write_at`, `append`, `truncate`.
    pub writes: u64,
    /// `sync` calls.
    pub syncs: u64,
    /// `sync_dir` calls.
    pub dir_syncs: u64,
    /// Every injected fault, of any kind.
    pub faults_fired: u64,
    pub write_eio: u64,
    pub sync_eio: u64,
    pub read_eio: u64,
    pub read_corruptions: u64,
    pub enospc: u64,
    pub power_cuts: u64,
    /// `crash()` calls.
    pub crashes: u64,
    /// Crashes that kept a torn part of a write.
    pub torn_writes: u64,
    /// Device time of every operation so far, in µs (zero without a clock).
    pub io_time_us: u64,
    /// Operations lengthened by a random stall or a sync stall.
    pub io_stalls: u64,
}

/// A one-shot fault. It fires once, on the first operation of its class whose op number
/// (1-based, `VfsCounters::ops` after counting it) is `>= at_op` and, if `under` is set, whose
/// path lies under that prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    at_op: u64,
    kind: FaultKind,
    under: Option<PathBuf>,
}

/// The fault state of one disk: configuration plus scheduled one-shot faults.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultPlan {
    pub config: FaultConfig,
    /// Kept sorted, so the earliest due fault fires first.
    scheduled: Vec<Scheduled>,
}

impl FaultPlan {
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config,
            scheduled: Vec::new(),
        }
    }

    pub fn schedule(&mut self, kind: FaultKind, at_op: u64, under: Option<PathBuf>) {
        self.scheduled.push(Scheduled { at_op, kind, under });
        self.scheduled.sort();
    }

    pub fn clear(&mut self) {
        self.config = FaultConfig {
            torn_writes: self.config.torn_writes,
            ..FaultConfig::default()
        };
        self.scheduled.clear();
    }

    /// Drops every scheduled `kind` fault that has not fired.
    pub fn unschedule(&mut self, kind: FaultKind) {
        self.scheduled.retain(|s| s.kind != kind);
    }

    /// `(at_op, kind)` of every scheduled fault that has not fired, earliest first.
    pub fn scheduled(&self) -> Vec<(u64, FaultKind)> {
        self.scheduled.iter().map(|s| (s.at_op, s.kind)).collect()
    }

    /// Decides whether operation number `op_no` of `class` fails. Scheduled faults win over
    /// probabilistic ones; among probabilistic ones the order below is fixed, so the RNG stream
    /// consumed per operation depends only on the configuration.
    pub fn decide(
        &mut self,
        class: OpClass,
        op_no: u64,
        path: &Path,
        rng: &mut SplitMix64,
    ) -> Option<FaultKind> {
        if let Some(i) = self.scheduled.iter().position(|s| {
            s.at_op <= op_no
                && s.kind.applies_to(class)
                && s.under
                    .as_ref()
                    .is_none_or(|prefix| path.starts_with(prefix))
        }) {
            return Some(self.scheduled.remove(i).kind);
        }
        let c = &self.config;
        match class {
            OpClass::Write => rng.chance(c.write_eio).then_some(FaultKind::WriteEio),
            OpClass::Sync => rng.chance(c.sync_eio).then_some(FaultKind::SyncEio),
            OpClass::Read => {
                if rng.chance(c.read_eio) {
                    Some(FaultKind::ReadEio)
                } else {
                    rng.chance(c.read_corruption)
                        .then_some(FaultKind::ReadCorruption)
                }
            }
        }
    }
}

impl VfsCounters {
    pub(crate) fn record_fault(&mut self, kind: FaultKind) {
        self.faults_fired += 1;
        match kind {
            FaultKind::WriteEio => self.write_eio += 1,
            FaultKind::SyncEio => self.sync_eio += 1,
            FaultKind::ReadEio => self.read_eio += 1,
            FaultKind::ReadCorruption => self.read_corruptions += 1,
            FaultKind::NoSpace => self.enospc += 1,
            FaultKind::PowerCut => self.power_cuts += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_fault_fires_once_on_first_matching_op_at_or_after() {
        let mut plan = FaultPlan::default();
        let mut rng = SplitMix64::new(0);
        plan.schedule(FaultKind::SyncEio, 3, None);
        assert_eq!(
            plan.decide(OpClass::Sync, 2, Path::new("/f"), &mut rng),
            None
        );
        assert_eq!(
            plan.decide(OpClass::Write, 3, Path::new("/f"), &mut rng),
            None
        );
        assert_eq!(
            plan.decide(OpClass::Sync, 4, Path::new("/f"), &mut rng),
            Some(FaultKind::SyncEio)
        );
        assert_eq!(
            plan.decide(OpClass::Sync, 5, Path::new("/f"), &mut rng),
            None
        );
    }

    #[test]
    fn probability_one_always_fires_zero_never() {
        let mut plan = FaultPlan::new(FaultConfig {
            read_corruption: 1.0,
            ..FaultConfig::default()
        });
        let mut rng = SplitMix64::new(0);
        for op in 0..100 {
            assert_eq!(
                plan.decide(OpClass::Read, op, Path::new("/f"), &mut rng),
                Some(FaultKind::ReadCorruption)
            );
            assert_eq!(
                plan.decide(OpClass::Write, op, Path::new("/f"), &mut rng),
                None
            );
        }
    }
}
