//! World acceptance, snapshots: build / read-back / install round-trip (item 3), transfer to a
//! fresh voter (4), snapshot + purge on the leader then a new voter joins (8). Each over
//! `FAULTLINE_SEEDS` seeds (default 20), each seed run twice.
#![cfg(madsim)]

mod common;

use common::{harness, scenarios};

/// Item 3.
#[test]
fn world_snapshot_roundtrip() {
    harness::check("snapshot_roundtrip", scenarios::snapshot_roundtrip);
}

/// Item 4.
#[test]
fn world_snapshot_to_fresh_voter() {
    harness::check(
        "snapshot_to_fresh_voter",
        scenarios::snapshot_to_fresh_voter,
    );
}

/// Item 8.
#[test]
fn world_snapshot_purge_join() {
    harness::check("snapshot_purge_join", scenarios::snapshot_purge_join);
}
