//! Catalog: a create of a collection under a fresh name succeeds or stays uncertain; the
//! cluster never refuses it.
//!
//! The workload names every extra collection after its client and sequence number, so no two
//! creates share a name and none can legitimately conflict. A refusal then means the cluster
//! tripped over its own bookkeeping, e.g. two creates given the same collection id, the
//! second refused by every replica's apply.
//!
//! Not verified: that a created collection has the dimension and metric asked for (the writes
//! and searches into it would fail, which other checks see); drops and re-creates under one name
//! (the workload never reuses a name); a create refused because the cluster had no leader is
//! `info`, not a refusal.

use serde::{Deserialize, Serialize};

use crate::check::violation::{Property, Violation};
use crate::history::{ProcessId, Time};

/// A create of a fresh name that the cluster answered with a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedCreate {
    pub process: ProcessId,
    pub name: String,
    /// The refusal, as the cluster gave it.
    pub reason: String,
    /// Simulated nanoseconds: when the refusal arrived.
    pub at: Time,
}

/// One violation per refused create.
pub fn check_catalog(refused: &[RefusedCreate]) -> Vec<Violation> {
    refused
        .iter()
        .map(|r| {
            Violation::new(
                Property::Catalog,
                format!(
                    "client {} created collection {:?}, a name nobody had used, and the \
                     cluster refused it: {}",
                    r.process, r.name, r.reason
                ),
            )
            .with_keys([r.name.clone()])
            .at(r.at)
        })
        .collect()
}
