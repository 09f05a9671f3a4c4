//! The checker's entry point: partition the history, search each partition (in parallel when
//! there are cores), and assemble the [`Report`].

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::budget::{Budget, Halt, Limits};
use super::model::{Model, NEVER, Op};
use super::partition::{CheckError, Part, partition};
use super::search::{Found, search};
use super::verdict::{
    Counterexample, OpSummary, PartitionReport, PartitionVerdict, Report, SearchStats, Stuck,
    Verdict,
};
use crate::history::History;

/// Histories with fewer operations than this are checked on the calling thread unless
/// [`CheckOptions::threads`] says otherwise.
pub const PARALLEL_FROM_OPS: usize = 1_000;

/// Whether to stop at the first illegal partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Stop as soon as one partition is illegal; the others are reported `skipped` (or with
    /// whatever they finished).
    #[default]
    FirstFailure,
    /// Decide every partition and report each.
    EveryPartition,
}

/// How to check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    pub mode: Mode,
    pub budget: Budget,
    /// Worker threads; `None` uses the machine's available parallelism (one thread for
    /// histories under [`PARALLEL_FROM_OPS`] operations).
    pub threads: Option<usize>,
}

impl CheckOptions {
    pub fn every_partition() -> Self {
        CheckOptions {
            mode: Mode::EveryPartition,
            ..Self::default()
        }
    }

    pub fn first_failure() -> Self {
        CheckOptions {
            mode: Mode::FirstFailure,
            ..Self::default()
        }
    }

    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }
}

/// Checks `history` against `model`.
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Call, M::Ret>,
    options: &CheckOptions,
) -> Result<Report, CheckError> {
    let parts = partition(model, history)?;
    let limits = Limits::start(options.budget);
    // Biggest first, so the longest search starts early and the others fill in around it.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(parts[i].ops.len()));
    let total: usize = parts.iter().map(|p| p.ops.len()).sum();
    let threads = match options.threads {
        Some(threads) => threads,
        // For small histories, starting threads usually costs more than it saves.
        None if total < PARALLEL_FROM_OPS => 1,
        None => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
    }
    .clamp(1, parts.len().max(1));
    let results: Mutex<Vec<Option<PartitionReport>>> = Mutex::new(vec![None; parts.len()]);
    let next = AtomicUsize::new(0);
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let report = check_part(model, &parts[i], &limits, options.mode);
            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
        }
    };
    if threads == 1 {
        work();
    } else {
        // The checker runs on recorded histories outside any simulation, so real OS threads
        // are fine here (scoped: they end before `check` returns).
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let partitions: Vec<PartitionReport> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every partition was checked"))
        .collect();
    let verdict = if partitions
        .iter()
        .any(|p| matches!(p.verdict, PartitionVerdict::Illegal { .. }))
    {
        Verdict::Illegal
    } else if partitions
        .iter()
        .all(|p| matches!(p.verdict, PartitionVerdict::Ok { .. }))
    {
        Verdict::Ok
    } else {
        Verdict::Unknown
    };
    Ok(Report {
        model: model.name().to_string(),
        verdict,
        partitions,
    })
}

fn check_part<M: Model>(
    model: &M,
    part: &Part<'_, M>,
    limits: &Limits,
    mode: Mode,
) -> PartitionReport {
    let key = model.describe_key(&part.key);
    let ops = &part.ops;
    if limits.stop.load(Ordering::Relaxed) {
        return PartitionReport {
            key,
            ops: ops.len(),
            verdict: PartitionVerdict::Skipped,
            stats: SearchStats::default(),
        };
    }
    let (found, stats) = search(model, ops, limits);
    let verdict = match found {
        Found::Linearizable(path) => PartitionVerdict::Ok {
            linearization: model
                .linearization(ops, &path)
                .into_iter()
                .map(|i| ops[i].index)
                .collect(),
        },
        Found::Illegal(deepest) => {
            if mode == Mode::FirstFailure {
                limits.stop.store(true, Ordering::Relaxed);
            }
            let prefix = model
                .linearization(ops, &deepest.path)
                .into_iter()
                .map(|i| summary(&ops[i]))
                .collect();
            let stuck = deepest
                .stuck
                .into_iter()
                .map(|(i, reason)| Stuck {
                    op: summary(&ops[i]),
                    reason,
                })
                .collect();
            PartitionVerdict::Illegal {
                counterexample: Counterexample {
                    key: key.clone(),
                    prefix,
                    state: model.describe_state(ops, &deepest.state),
                    stuck,
                },
            }
        }
        Found::Halted(Halt::Exhausted(exhausted)) => PartitionVerdict::Unknown { exhausted },
        Found::Halted(Halt::Stopped) => PartitionVerdict::Skipped,
    };
    PartitionReport {
        key,
        ops: ops.len(),
        verdict,
        stats,
    }
}

fn summary<C: std::fmt::Display, R: std::fmt::Display>(op: &Op<'_, C, R>) -> OpSummary {
    OpSummary {
        index: op.index,
        process: op.process,
        invoke: op.invoke,
        complete: (op.complete != NEVER).then_some(op.complete),
        call: op.call.to_string(),
        ret: op.ret.map(ToString::to_string),
    }
}
