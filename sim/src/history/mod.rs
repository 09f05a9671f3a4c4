//! Histories: what clients asked and what they were told.
//!
//! This module owns the recorded-history vocabulary shared by the workload recorder, the
//! history readers and the checkers:
//!
//! - [`Operation`]: one call by one process — its [`Call`] (function and arguments), invoke time,
//!   and [`Outcome`]: `ok` with a [`Ret`] result, `fail` (definitely had no effect) or `info`
//!   (unknown: it may take effect at any time after its invoke, or never).
//! - [`History`]: the operations of one run, in invoke order.
//! - [`HistoryBuilder`]: turns a stream of invoke / completion events into a history; operations
//!   still open at the end become `info`.
//!
//! Times are plain integers (simulated nanoseconds, or line numbers for histories without
//! clocks); only their order matters.

mod builder;
mod kv;
mod operation;

pub use builder::{HistoryBuilder, HistoryError};
pub use kv::{Call, Ret};
pub use operation::{History, Operation, Outcome, ProcessId, Time, nanos};
