//! Limits on a check: model steps, memo-table memory and wall time, and the shared stop
//! signal. Running out of any of them makes a partition `unknown` — never a guess.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::verdict::Exhausted;

/// Limits per check. Steps and memory are per partition (a partition frees its memo table when
/// it finishes); time is for the whole check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_steps: Option<u64>,
    pub max_memo_bytes: Option<usize>,
    pub max_time: Option<Duration>,
}

impl Default for Budget {
    /// No step or time limit; 1 GiB of memo table per partition, so a pathological history
    /// ends `unknown` instead of exhausting the machine.
    fn default() -> Self {
        Budget {
            max_steps: None,
            max_memo_bytes: Some(1 << 30),
            max_time: None,
        }
    }
}

impl Budget {
    pub fn unlimited() -> Self {
        Budget {
            max_steps: None,
            max_memo_bytes: None,
            max_time: None,
        }
    }

    pub fn with_steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }

    pub fn with_memo_bytes(mut self, bytes: usize) -> Self {
        self.max_memo_bytes = Some(bytes);
        self
    }

    pub fn with_time(mut self, time: Duration) -> Self {
        self.max_time = Some(time);
        self
    }
}

/// The budget in force during one check, shared by the partitions' searches.
#[derive(Debug)]
pub(crate) struct Limits {
    pub budget: Budget,
    deadline: Option<Instant>,
    /// Set when first-failure mode has its answer: other searches stop as skipped.
    pub stop: AtomicBool,
}

/// Why a search must stop now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    Exhausted(Exhausted),
    Stopped,
}

impl Limits {
    pub fn start(budget: Budget) -> Self {
        // The checker runs on recorded histories after a simulation ends (or from the CLI),
        // never inside one, so the real clock is the right one for a wall-time budget.
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        Limits {
            budget,
            deadline: budget.max_time.map(|t| now + t),
            stop: AtomicBool::new(false),
        }
    }

    /// The cheap checks, for every step.
    pub fn check_step(&self, steps: u64, memo_bytes: usize) -> Result<(), Halt> {
        if let Some(limit) = self.budget.max_steps
            && steps > limit
        {
            return Err(Halt::Exhausted(Exhausted::Steps { limit }));
        }
        if let Some(limit) = self.budget.max_memo_bytes
            && memo_bytes > limit
        {
            return Err(Halt::Exhausted(Exhausted::Memory { limit_bytes: limit }));
        }
        Ok(())
    }

    /// The costlier checks (clock, stop flag), every few thousand steps.
    pub fn check_clock(&self) -> Result<(), Halt> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Halt::Stopped);
        }
        if let Some(deadline) = self.deadline {
            // Outside any simulation: see `start`.
            #[allow(clippy::disallowed_methods)]
            let now = Instant::now();
            if now >= deadline {
                let limit_ms = self.budget.max_time.map_or(0, |t| t.as_millis() as u64);
                return Err(Halt::Exhausted(Exhausted::Time { limit_ms }));
            }
        }
        Ok(())
    }
}
