//! Linearizability checking: Wing & Gong's search with Lowe's memoisation, split by key
//! (P-compositionality), over a sequential [`Model`]. The checker knows nothing about the
//! system under test; it takes a [`History`](crate::history::History) and a model, and answers
//! `ok` (with a linearization), `illegal` (with a counterexample per failing key) or `unknown`
//! (a budget ran out) — never a guess.
//!
//! Not verified: operations the model does not describe (a run's searches and creates are judged
//! by the kNN and catalog checks); real-time order finer than the history's invoke and complete
//! times; an `info` operation is assumed to take effect at any point after its invocation or
//! never, so a lost write whose client timed out is durability's to catch, not this check's.
//!
//! Files: `model` (the trait), `models/` (register, CAS register, append-KV), `partition`
//! (validation and the split by key), `search` and `memo` (the algorithm), `budget`,
//! `verdict` (result types), `render` (text output), `checker` (the entry point), `read/`
//! (history readers), `generate` (linearizable-by-construction histories for tests and
//! benchmarks).
//!
//! ```
//! use faultline_sim::check::models::Register;
//! use faultline_sim::check::{CheckOptions, Verdict, check};
//! use faultline_sim::history::{Call, History, Operation, Ret};
//!
//! let history = History::new(vec![
//!     Operation::ok(0, Call::Write { key: None, value: "1".into() }, 0, 1, Ret::Done),
//!     Operation::ok(1, Call::Read { key: None }, 2, 3, Ret::Read(Some("2".into()))),
//! ]);
//! let report = check(&Register, &history, &CheckOptions::every_partition()).unwrap();
//! assert_eq!(report.verdict, Verdict::Illegal);
//! println!("{report}");
//! ```

mod budget;
pub mod catalog;
mod checker;
pub mod convergence;
pub mod durability;
pub mod engine_durability;
pub mod generate;
pub mod knn;
pub mod liveness;
pub mod log_durability;
mod memo;
mod model;
pub mod models;
pub mod observation;
mod partition;
pub mod raft;
pub mod read;
mod render;
mod search;
mod verdict;
pub mod violation;

pub use budget::Budget;
pub use checker::{CheckOptions, Mode, PARALLEL_FROM_OPS, check};
pub use model::{Model, ModelError, NEVER, Op};
pub use partition::CheckError;
pub use render::PREFIX_TAIL;
pub use verdict::{
    Counterexample, Exhausted, OpSummary, PartitionReport, PartitionVerdict, Report, SearchStats,
    Stuck, StuckReason, Verdict,
};
