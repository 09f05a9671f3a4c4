//! Raft's safety properties (Ongaro & Ousterhout 2014, Figure 3), checked on what the harness
//! sampled over a run: node metrics ([`MetricsSample`]) and committed entries
//! ([`CommittedEntry`]). One file per property, each citing the section it checks:
//!
//! - `election_safety`: at most one leader per leader identity, and no vote ever goes back (§5.2);
//! - `monotonic`: term, commit index and applied index never go back (§5.1, §5.3, Figure 2);
//! - `log_matching`: committed entries with the same index and term carry the same payload (§5.3);
//! - `state_machine_safety`: no two nodes commit different entries at one index (§5.4.3);
//! - `leader_completeness`: every leader holds the entries committed before its term (§5.4).
//!
//! Each check is a pure function of its samples and returns violations in a deterministic order.

mod election_safety;
mod leader_completeness;
mod log_matching;
mod monotonic;
mod state_machine_safety;

use serde::{Deserialize, Serialize};

pub use election_safety::{LeaderIdentity, check_election_safety};
pub use leader_completeness::check_leader_completeness;
pub use log_matching::check_log_matching;
pub use monotonic::check_monotonic;
pub use state_machine_safety::check_state_machine_safety;

use super::observation::{CommittedEntry, MetricsSample, NodeId};
use super::violation::Violation;
use crate::history::Time;

/// Everything the Raft checks look at, for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftObservations {
    pub samples: Vec<MetricsSample>,
    /// When each node restarted after a crash: samples at or after a restart belong to a new
    /// incarnation, which may start its volatile counters afresh.
    pub restarts: Vec<(NodeId, Time)>,
    /// Committed entries as nodes reported them (empty if the harness did not collect them).
    pub committed: Vec<CommittedEntry>,
    /// What the implementation under test keeps unique to one leader.
    #[serde(default)]
    pub leader_identity: LeaderIdentity,
}

/// Runs every Raft check.
pub fn check_raft(observations: &RaftObservations) -> Vec<Violation> {
    let mut violations = check_election_safety(&observations.samples, observations.leader_identity);
    violations.extend(check_monotonic(
        &observations.samples,
        &observations.restarts,
    ));
    violations.extend(check_log_matching(&observations.committed));
    violations.extend(check_state_machine_safety(&observations.committed));
    violations.extend(check_leader_completeness(
        &observations.samples,
        &observations.committed,
    ));
    violations
}

/// Indices of `items` in time order (stable: equal times keep input order).
fn by_time<T>(items: &[T], at: impl Fn(&T) -> Time) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| at(&items[i]));
    order
}
