//! `Schedule`: builds a scenario's fault schedule — faults at simulated times, fault windows
//! that end in their own heal — and hands it over sorted by time, as `Plan` requires.
//!
//! It also holds the timeline choices every scenario shares: when the first fault may start
//! (after the cluster has settled) and the gap between windows, all drawn from the seed.

use faultline_sim::plan::{Aim, Fault, NodeRef, Plan, ScheduledFault};

use super::shape;
use crate::rng::SeedRng;

/// Faults in the making, in insertion order until [`Schedule::finish`] sorts them.
#[derive(Debug, Default)]
pub struct Schedule {
    faults: Vec<ScheduledFault>,
}

impl Schedule {
    pub fn new() -> Self {
        Schedule::default()
    }

    /// `fault` at `at_ms` of the workload.
    pub fn at(&mut self, at_ms: u64, fault: Fault) -> &mut Self {
        self.faults.push(ScheduledFault { at_ms, fault });
        self
    }

    /// `start` at `from_ms`, `end` `len_ms` later; returns when the window ends.
    pub fn window(&mut self, from_ms: u64, len_ms: u64, start: Fault, end: Fault) -> u64 {
        let until = from_ms.saturating_add(len_ms);
        self.at(from_ms, start).at(until, end);
        until
    }

    /// Arms `aim` at `at_ms` for up to `within_ms`, and undoes its strike `after_ms` after that
    /// bound: a node it powered off restarts (`Random` picks among the nodes that are down), a
    /// node it cut off is reconnected. If the moment never came there is nothing to undo and
    /// the undo is skipped with a note.
    pub fn aimed(&mut self, at_ms: u64, aim: Aim, within_ms: u64, after_ms: u64) -> &mut Self {
        let undo_at = at_ms + within_ms + after_ms;
        self.at(at_ms, Fault::Aimed { aim, within_ms });
        match aim {
            Aim::PartitionAfterTruncate | Aim::PartitionDuringMembershipChange => {
                self.at(undo_at, Fault::Heal)
            }
            Aim::SnapshotDuringMembershipChange => self,
            _ => self.at(
                undo_at,
                Fault::Restart {
                    node: NodeRef::Random,
                },
            ),
        }
    }

    pub fn len(&self) -> usize {
        self.faults.len()
    }

    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// The faults in time order; faults at the same time keep the order they were added in
    /// (the sort is stable), so a window's start still precedes an end scheduled with it.
    pub fn finish(mut self) -> Vec<ScheduledFault> {
        self.faults.sort_by_key(|f| f.at_ms);
        self.faults
    }
}

/// Fault windows laid out one after another inside `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    /// The next free time.
    pub now_ms: u64,
    /// Nothing starts at or after this time.
    pub end_ms: u64,
}

impl Timeline {
    /// The fault part of a workload of `duration_ms`: the first fault comes after a settling
    /// period (the cluster serves before it is hurt), and the last window ends a little before
    /// the workload stops, so its heal is observed by clients too.
    pub fn for_workload(rng: &mut SeedRng, duration_ms: u64) -> Self {
        let settle = rng.range(300, 1_000).min(duration_ms / 4);
        let tail = (duration_ms / 10).max(200).min(duration_ms / 2);
        Timeline {
            now_ms: settle,
            end_ms: duration_ms.saturating_sub(tail),
        }
    }

    /// Whether another window of at least `min_len_ms` fits.
    pub fn fits(&self, min_len_ms: u64) -> bool {
        self.now_ms.saturating_add(min_len_ms) < self.end_ms
    }

    /// Reserves a window of `lo..=hi` ms (cut to what is left), preceded by a gap of
    /// `gap_lo..=gap_hi`; returns `(start, len)` or `None` when nothing fits any more.
    pub fn next_window(
        &mut self,
        rng: &mut SeedRng,
        (gap_lo, gap_hi): (u64, u64),
        (lo, hi): (u64, u64),
    ) -> Option<(u64, u64)> {
        let start = self.now_ms.saturating_add(rng.range(gap_lo, gap_hi));
        let len = rng.range(lo, hi);
        if start.saturating_add(lo) >= self.end_ms {
            return None;
        }
        let len = len.min(self.end_ms - start);
        self.now_ms = start + len;
        Some((start, len))
    }
}

/// Puts `schedule` into `plan` (in time order) and makes sure the heal comes after the last
/// fault, so every window closes before the liveness phase judges the cluster.
pub fn finish(mut plan: Plan, schedule: Schedule) -> Plan {
    plan.faults = schedule.finish();
    if let Some(last) = plan.faults.last() {
        plan.liveness.heal_at_ms = plan.liveness.heal_at_ms.max(last.at_ms);
    }
    plan
}

/// How a scenario made of fault windows spaces them: how many (drawn from `count`), the gap
/// before each and each one's length (ms ranges, as [`Timeline::next_window`] takes them).
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub count: (u64, u64),
    pub gap: (u64, u64),
    pub len: (u64, u64),
}

/// The plan of a scenario that is a run of fault windows: the seed's cluster shape, then as
/// many windows as fit, each handed to `fill(rng, plan, schedule, start_ms, len_ms)` to put
/// its faults in.
pub fn windowed_plan(
    scenario: &str,
    seed: u64,
    windows: Windows,
    mut fill: impl FnMut(&mut SeedRng, &Plan, &mut Schedule, u64, u64),
) -> Plan {
    let mut rng = SeedRng::new(scenario, seed);
    let plan = shape::draw(&mut rng, scenario, seed);
    let mut timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
    let mut schedule = Schedule::new();
    for _ in 0..rng.range(windows.count.0, windows.count.1) {
        let Some((at, len)) = timeline.next_window(&mut rng, windows.gap, windows.len) else {
            break;
        };
        fill(&mut rng, &plan, &mut schedule, at, len);
    }
    finish(plan, schedule)
}
