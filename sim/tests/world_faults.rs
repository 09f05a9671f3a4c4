//! World acceptance, faults: leader kill (item 6), minority write (7), a partitioned voter
//! rejoins (9), a crash that loses unsynced writes and a restart (10), and the network knobs
//! (lossy base, flaky links) on a real cluster. Each over `FAULTLINE_SEEDS` seeds (default 20),
//! each seed run twice.
#![cfg(madsim)]

mod common;

use common::{harness, scenarios};

/// Item 6.
#[test]
fn world_leader_kill() {
    harness::check("leader_kill", scenarios::leader_kill);
}

/// Item 7.
#[test]
fn world_minority_write() {
    harness::check("minority_write", scenarios::minority_write);
}

/// Item 9.
#[test]
fn world_partition_rejoin() {
    harness::check("partition_rejoin", scenarios::partition_rejoin);
}

/// Item 10.
#[test]
fn world_crash_restart() {
    harness::check("crash_restart", scenarios::crash_restart);
}

/// The network authority's loss/latency/flaky knobs against the real cluster.
#[test]
fn world_lossy_network() {
    harness::check("lossy_network", scenarios::lossy_network);
}
