//! The simulated disk's time authority: an injected clock and a FIFO device.
//!
//! `SimVfs` reads no clock of its own. The world injects one ([`Clock`]: madsim's simulated
//! time); without it no time passes and every operation completes in the instant it is issued,
//! exactly as before I/O time existed. With a clock, the device serves one operation at a time
//! in issue order: an operation issued at `now` starts at `max(now, busy_until)`, takes the
//! time the latency model draws (zero without a model), and moves `busy_until` to its end.
//! A `sync` completes, and its writes become durable, at that end.
//!
//! The draws come from the disk's *latency* stream, derived from its seed and separate from
//! the fault and crash streams: turning I/O time on or off never changes which faults fire.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::latency::{IoKind, IoLatency, StallSpan, SyncStall};
use super::rng::SplitMix64;

/// A source of the current (simulated) time, as time since an arbitrary fixed origin. It must
/// never go backwards.
pub type Clock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// Salt of the latency stream (see [`SplitMix64::derived`]).
const LATENCY_SALT: u64 = 0x1A7E_5C70_0000_0001;

/// When one submitted operation finishes and what it cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Timed {
    /// When the device starts it (the issue time, or later behind what is queued).
    pub start: Duration,
    /// Completion time on the disk's clock (the issue time when no time passes).
    pub done: Duration,
    /// Device time the operation took, in µs.
    pub us: u64,
    /// Whether a random stall or a sync stall lengthened it.
    pub stalled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ActiveStall {
    each: Duration,
    remaining: Option<u64>,
    until: Option<Duration>,
}

#[derive(Clone)]
pub(super) struct Device {
    clock: Option<Clock>,
    pub(super) latency: Option<IoLatency>,
    rng: SplitMix64,
    busy_until: Duration,
    pub(super) slowdown: f64,
    stall: Option<ActiveStall>,
}

impl Device {
    pub fn new(seed: u64) -> Device {
        Device {
            clock: None,
            latency: None,
            rng: SplitMix64::derived(seed, LATENCY_SALT),
            busy_until: Duration::ZERO,
            slowdown: 1.0,
            stall: None,
        }
    }

    /// Restarts the latency stream (for a fork that takes its own future).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = SplitMix64::derived(seed, LATENCY_SALT);
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = Some(clock);
    }

    /// The disk's current time; `ZERO` without a clock.
    pub fn now(&self) -> Duration {
        self.clock.as_ref().map_or(Duration::ZERO, |c| c())
    }

    /// When every operation issued so far will have completed.
    pub fn busy_until(&self) -> Duration {
        self.busy_until
    }

    /// How long from now until every operation issued so far has completed.
    pub fn busy_for(&self) -> Duration {
        self.busy_until.saturating_sub(self.now())
    }

    /// Installs a (validated) sync stall, starting now.
    pub fn stall_syncs(&mut self, stall: SyncStall) {
        let (remaining, until) = match stall.lasts {
            StallSpan::Syncs(0) => {
                self.stall = None;
                return;
            }
            StallSpan::Syncs(n) => (Some(n), None),
            StallSpan::For(d) => (None, Some(self.now() + d)),
        };
        self.stall = Some(ActiveStall {
            each: stall.each,
            remaining,
            until,
        });
    }

    pub fn clear_stall(&mut self) {
        self.stall = None;
    }

    /// Queues one operation, issued at `now` (the [`Device::now`] of the call that issues it),
    /// behind everything issued before it.
    pub fn submit(&mut self, kind: IoKind, now: Duration) -> Timed {
        if self.clock.is_none() {
            return Timed {
                start: Duration::ZERO,
                done: Duration::ZERO,
                us: 0,
                stalled: false,
            };
        }
        let (mut us, mut stalled) = match &self.latency {
            Some(l) => l.draw(kind, self.slowdown, &mut self.rng),
            None => (0, false),
        };
        if kind == IoKind::Sync
            && let Some(s) = self.stall.as_mut()
        {
            if s.until.is_some_and(|u| now >= u) {
                self.stall = None;
            } else {
                let each = u64::try_from(s.each.as_micros()).unwrap_or(u64::MAX);
                if each > us {
                    us = each;
                    stalled = true;
                }
                if let Some(n) = s.remaining.as_mut() {
                    *n -= 1;
                    if *n == 0 {
                        self.stall = None;
                    }
                }
            }
        }
        let start = now.max(self.busy_until);
        self.busy_until = start.saturating_add(Duration::from_micros(us));
        Timed {
            start,
            done: self.busy_until,
            us,
            stalled,
        }
    }

    /// A power failure at `now`: whatever was queued is gone, the device is idle.
    pub fn reset(&mut self, now: Duration) {
        self.busy_until = self.busy_until.min(now);
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("clock", &self.clock.is_some())
            .field("latency", &self.latency)
            .field("busy_until", &self.busy_until)
            .field("slowdown", &self.slowdown)
            .field("stall", &self.stall)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn manual() -> (Arc<AtomicU64>, Clock) {
        let t = Arc::new(AtomicU64::new(0));
        let c = t.clone();
        (
            t,
            Arc::new(move || Duration::from_micros(c.load(Ordering::SeqCst))),
        )
    }

    #[test]
    fn without_a_clock_nothing_is_drawn_and_no_time_passes() {
        let mut d = Device::new(1);
        d.latency = Some(IoLatency::realistic());
        let before = d.rng.clone();
        for _ in 0..10 {
            assert_eq!(d.submit(IoKind::Sync, d.now()).done, Duration::ZERO);
        }
        assert_eq!(d.rng, before);
        assert_eq!(d.busy_for(), Duration::ZERO);
    }

    #[test]
    fn operations_queue_in_issue_order() {
        let (t, clock) = manual();
        let mut d = Device::new(1);
        d.set_clock(clock);
        d.latency = Some(IoLatency {
            fsync_us: (100, 100),
            metadata_us: (10, 10),
            ..IoLatency::zero()
        });
        assert_eq!(
            d.submit(IoKind::Sync, d.now()).done,
            Duration::from_micros(100)
        );
        assert_eq!(
            d.submit(IoKind::Metadata, d.now()).done,
            Duration::from_micros(110)
        );
        t.store(50, Ordering::SeqCst);
        assert_eq!(d.busy_for(), Duration::from_micros(60));
        // Idle device: starts at now.
        t.store(500, Ordering::SeqCst);
        assert_eq!(
            d.submit(IoKind::Metadata, d.now()).done,
            Duration::from_micros(510)
        );
        d.reset(Duration::from_micros(505));
        assert_eq!(d.busy_until(), Duration::from_micros(505));
    }

    #[test]
    fn a_sync_stall_covers_a_count_or_a_window() {
        let (t, clock) = manual();
        let mut d = Device::new(1);
        d.set_clock(clock);
        d.stall_syncs(SyncStall {
            each: Duration::from_millis(1),
            lasts: StallSpan::Syncs(2),
        });
        assert_eq!(
            d.submit(IoKind::Metadata, d.now()).us,
            0,
            "only syncs stall"
        );
        assert!(d.submit(IoKind::Sync, d.now()).stalled);
        assert!(d.submit(IoKind::Sync, d.now()).stalled);
        assert!(!d.submit(IoKind::Sync, d.now()).stalled);
        t.store(10_000, Ordering::SeqCst);
        d.stall_syncs(SyncStall {
            each: Duration::from_millis(1),
            lasts: StallSpan::For(Duration::from_millis(5)),
        });
        assert_eq!(d.submit(IoKind::Sync, d.now()).us, 1000);
        t.store(14_999, Ordering::SeqCst);
        assert_eq!(d.submit(IoKind::Sync, d.now()).us, 1000);
        t.store(15_000, Ordering::SeqCst);
        assert_eq!(d.submit(IoKind::Sync, d.now()).us, 0);
    }
}
