//! How long a simulated disk's operations take: the latency model (plain serde data, so a plan
//! can carry it), its validation, and the two timing faults (`slow-disk`, `fsync-stall`).
//!
//! All times are microseconds drawn uniformly from closed ranges `(lo, hi)`. What an operation
//! costs, by kind (drawn from the disk's *latency* stream, never its fault stream):
//!
//! | operation | cost |
//! |---|---|
//! | `write_at`, `append` | `write_us_per_4k` × started 4 KiB blocks |
//! | `read_at` | `read_us_per_4k` × started 4 KiB blocks |
//! | `sync`, `sync_dir` | `fsync_us`, plus `fsync_tail.us` with `fsync_tail.probability` |
//! | `create`, `truncate`, `rename`, `remove`, each directory `create_dir_all` makes | `metadata_us` |
//! | `exists`, `len`, `list` | nothing (answered from the page and dentry caches) |
//!
//! Any timed operation additionally stalls for `stall.us` with `stall.probability` (a device
//! hiccup: firmware garbage collection, a full write cache, a remapped sector). A slowdown
//! factor multiplies the drawn base cost and fsync tail but not a stall; an
//! [`SyncStall`] makes every sync it covers take at least its `each`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rng::SplitMix64;

/// The longest time any range, stall or window may name: one hour, in microseconds. Longer is
/// certainly a mistake and would only overflow sums of durations.
pub const MAX_US: u64 = 3_600_000_000;

/// A rare extra delay: with `probability` an operation takes `us` more.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tail {
    pub probability: f64,
    pub us: (u64, u64),
}

impl Tail {
    /// A tail that never happens.
    pub const NONE: Tail = Tail {
        probability: 0.0,
        us: (0, 0),
    };
}

/// How long each kind of disk operation takes (see the module doc for the table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoLatency {
    pub write_us_per_4k: (u64, u64),
    pub read_us_per_4k: (u64, u64),
    pub fsync_us: (u64, u64),
    /// Slow fsyncs: a journal commit waiting behind other work, a device cache flush.
    pub fsync_tail: Tail,
    pub metadata_us: (u64, u64),
    /// Rare stalls of any timed operation.
    pub stall: Tail,
}

impl IoLatency {
    /// A datacenter SSD under ext4: writes into the page cache 5–50 µs per 4 KiB, reads 2–20 µs
    /// per 4 KiB, fsync 0.1–2 ms with 2% taking another 2–20 ms, metadata 5–50 µs, and one
    /// operation in 5 000 stalling 50–500 ms.
    pub fn realistic() -> IoLatency {
        IoLatency {
            write_us_per_4k: (5, 50),
            read_us_per_4k: (2, 20),
            fsync_us: (100, 2_000),
            fsync_tail: Tail {
                probability: 0.02,
                us: (2_000, 20_000),
            },
            metadata_us: (5, 50),
            stall: Tail {
                probability: 0.000_2,
                us: (50_000, 500_000),
            },
        }
    }

    /// Every operation takes no time (useful as a base for tests that set one field).
    pub fn zero() -> IoLatency {
        IoLatency {
            write_us_per_4k: (0, 0),
            read_us_per_4k: (0, 0),
            fsync_us: (0, 0),
            fsync_tail: Tail::NONE,
            metadata_us: (0, 0),
            stall: Tail::NONE,
        }
    }

    /// Checks every range (`lo <= hi <= MAX_US`) and probability (in `[0, 1]`).
    pub fn validate(&self) -> Result<(), LatencyError> {
        range("write_us_per_4k", self.write_us_per_4k)?;
        range("read_us_per_4k", self.read_us_per_4k)?;
        range("fsync_us", self.fsync_us)?;
        range("metadata_us", self.metadata_us)?;
        tail("fsync_tail", self.fsync_tail)?;
        tail("stall", self.stall)
    }

    /// Draws the cost of one operation: `(time, stalled)`. The base cost and fsync tail are
    /// multiplied by `slowdown`; a stall is added as drawn. Draws nothing for a probability of 0.
    pub(super) fn draw(&self, kind: IoKind, slowdown: f64, rng: &mut SplitMix64) -> (u64, bool) {
        let base = match kind {
            IoKind::Read(bytes) => uniform(rng, self.read_us_per_4k) * blocks(bytes),
            IoKind::Write(bytes) => uniform(rng, self.write_us_per_4k) * blocks(bytes),
            IoKind::Metadata => uniform(rng, self.metadata_us),
            IoKind::Sync => {
                let mut us = uniform(rng, self.fsync_us);
                if rng.chance(self.fsync_tail.probability) {
                    us += uniform(rng, self.fsync_tail.us);
                }
                us
            }
        };
        let mut us = scale(base, slowdown);
        let stalled = rng.chance(self.stall.probability);
        if stalled {
            us = us.saturating_add(uniform(rng, self.stall.us));
        }
        (us, stalled)
    }
}

/// What a disk operation is, for its cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IoKind {
    Read(u64),
    Write(u64),
    Sync,
    Metadata,
}

/// `fsync-stall`: every `sync` and `sync_dir` it covers takes at least `each`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncStall {
    pub each: Duration,
    pub lasts: StallSpan,
}

/// Which syncs a [`SyncStall`] covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StallSpan {
    /// The next `n` syncs issued.
    Syncs(u64),
    /// Every sync issued within this long of the disk's clock when the stall is set.
    For(Duration),
}

impl SyncStall {
    pub fn validate(&self) -> Result<(), LatencyError> {
        let max = Duration::from_micros(MAX_US);
        if self.each > max {
            return Err(LatencyError::TooLong {
                field: "sync stall",
                value: self.each,
            });
        }
        match self.lasts {
            StallSpan::For(d) if d > max => Err(LatencyError::TooLong {
                field: "sync stall window",
                value: d,
            }),
            _ => Ok(()),
        }
    }
}

/// A latency model, slowdown or stall that makes no sense. Setting one is refused whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LatencyError {
    #[error("{field}: range ({lo}, {hi}) µs has lo > hi")]
    InvertedRange {
        field: &'static str,
        lo: u64,
        hi: u64,
    },
    #[error("{field}: {value:?} is longer than one hour")]
    TooLong {
        field: &'static str,
        value: Duration,
    },
    #[error("{field}: probability {value} is not in [0, 1]")]
    Probability { field: &'static str, value: f64 },
    #[error("slowdown factor {0} is not in [1, {MAX_SLOWDOWN}]")]
    Slowdown(f64),
}

/// The largest slowdown factor accepted.
pub const MAX_SLOWDOWN: f64 = 1e6;

/// Checks a slowdown factor: in `[1, MAX_SLOWDOWN]` (1 = the disk's normal speed).
pub fn validate_slowdown(factor: f64) -> Result<(), LatencyError> {
    if (1.0..=MAX_SLOWDOWN).contains(&factor) {
        Ok(())
    } else {
        Err(LatencyError::Slowdown(factor))
    }
}

fn range(field: &'static str, (lo, hi): (u64, u64)) -> Result<(), LatencyError> {
    if lo > hi {
        return Err(LatencyError::InvertedRange { field, lo, hi });
    }
    if hi > MAX_US {
        return Err(LatencyError::TooLong {
            field,
            value: Duration::from_micros(hi),
        });
    }
    Ok(())
}

fn tail(field: &'static str, t: Tail) -> Result<(), LatencyError> {
    if !(0.0..=1.0).contains(&t.probability) {
        return Err(LatencyError::Probability {
            field,
            value: t.probability,
        });
    }
    range(field, t.us)
}

/// Uniform in the closed range (validated: `lo <= hi <= MAX_US`).
fn uniform(rng: &mut SplitMix64, (lo, hi): (u64, u64)) -> u64 {
    lo + rng.below(hi - lo + 1)
}

/// Started 4 KiB blocks, at least one.
fn blocks(bytes: u64) -> u64 {
    bytes.div_ceil(4096).max(1)
}

fn scale(us: u64, factor: f64) -> u64 {
    if factor == 1.0 {
        us
    } else {
        // Bounded (us by MAX_US times a block count, factor by MAX_SLOWDOWN); saturate anyway.
        (us as f64 * factor).min(u64::MAX as f64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_and_zero_are_valid_and_nonsense_is_a_typed_error() {
        IoLatency::realistic().validate().unwrap();
        IoLatency::zero().validate().unwrap();
        let bad = |f: fn(&mut IoLatency)| {
            let mut l = IoLatency::realistic();
            f(&mut l);
            l.validate().unwrap_err()
        };
        assert!(matches!(
            bad(|l| l.fsync_us = (5, 1)),
            LatencyError::InvertedRange {
                field: "fsync_us",
                ..
            }
        ));
        assert!(matches!(
            bad(|l| l.stall.probability = 1.5),
            LatencyError::Probability { field: "stall", .. }
        ));
        assert!(matches!(
            bad(|l| l.fsync_tail.probability = f64::NAN),
            LatencyError::Probability { .. }
        ));
        assert!(matches!(
            bad(|l| l.write_us_per_4k = (0, MAX_US + 1)),
            LatencyError::TooLong { .. }
        ));
        for f in [0.5, f64::INFINITY, f64::NAN, -1.0] {
            assert!(matches!(
                validate_slowdown(f),
                Err(LatencyError::Slowdown(_))
            ));
        }
        validate_slowdown(1.0).unwrap();
        validate_slowdown(100.0).unwrap();
    }

    #[test]
    fn costs_scale_with_blocks_and_slowdown_but_not_stalls() {
        let l = IoLatency {
            write_us_per_4k: (10, 10),
            ..IoLatency::zero()
        };
        let mut rng = SplitMix64::new(1);
        assert_eq!(l.draw(IoKind::Write(1), 1.0, &mut rng), (10, false));
        assert_eq!(l.draw(IoKind::Write(8192), 1.0, &mut rng), (20, false));
        assert_eq!(l.draw(IoKind::Write(8193), 10.0, &mut rng), (300, false));
        let stalls = IoLatency {
            stall: Tail {
                probability: 1.0,
                us: (7, 7),
            },
            ..IoLatency::zero()
        };
        assert_eq!(stalls.draw(IoKind::Metadata, 50.0, &mut rng), (7, true));
    }

    #[test]
    fn serde_round_trip_and_unknown_fields_are_refused() {
        let l = IoLatency::realistic();
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<IoLatency>(&json).unwrap(), l);
        let typo = json.replace("fsync_us", "fsync_ms");
        assert!(serde_json::from_str::<IoLatency>(&typo).is_err());
        let s = SyncStall {
            each: Duration::from_millis(300),
            lasts: StallSpan::Syncs(2),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<SyncStall>(&json).unwrap(), s);
    }
}
