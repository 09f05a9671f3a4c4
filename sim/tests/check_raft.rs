//! The Raft invariant checks, fed with event histories: for every property, a history with one
//! planted violation makes it fire (naming the property, node and moment), and histories of a
//! small correct Raft — elections, replication with truncation of stale suffixes, commits,
//! applies, snapshots and purges, crashes and recoveries, generated with proptest — keep it
//! silent. Garbage histories never make a check panic.

#[path = "check_raft/cluster_run.rs"]
mod cluster_run;
#[path = "check_raft/commit_safety.rs"]
mod commit_safety;
#[path = "check_raft/consistency.rs"]
mod consistency;
#[path = "check_raft/election_safety.rs"]
mod election_safety;
#[path = "check_raft/generated.rs"]
mod generated;
#[path = "check_raft/leader_completeness.rs"]
mod leader_completeness;
#[path = "check_raft/log_matching.rs"]
mod log_matching;
#[path = "check_raft/membership.rs"]
mod membership;
#[path = "check_raft/monotonic.rs"]
mod monotonic;
#[path = "check_raft/state_machine_safety.rs"]
mod state_machine_safety;
