//! Log durability: a recovered Raft log that lost an acknowledged entry, brought back entries
//! the store had removed, rolled the vote back or failed outright is reported for that node and
//! power failure; an exact recovery is not, and neither is one a failed write in flight may
//! have left (all of it, or for an append a prefix of its entries), but a recovery beyond that
//! is.

use faultline_sim::check::log_durability::check_log_durability;
use faultline_sim::check::observation::{LogRecovery, LogRef, LogShape, VoteRef};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::support::only;

fn vote(term: u64) -> Option<VoteRef> {
    Some(VoteRef {
        term,
        node: Some(1),
        committed: true,
    })
}

/// Entry `index` written by the leader of `term` (node 1).
fn id(index: u64, term: u64) -> LogRef {
    LogRef {
        term,
        leader: 1,
        index,
    }
}

fn log(term: u64, entries: &[(u64, u64)]) -> LogShape {
    LogShape {
        vote: vote(term),
        purged: None,
        entries: entries.iter().map(|&(i, t)| id(i, t)).collect(),
    }
}

fn power_failure(acknowledged: LogShape, recovered: Result<LogShape, &str>) -> LogRecovery {
    LogRecovery {
        node: 2,
        at: 900,
        acknowledged,
        in_flight: None,
        recovered: recovered.map_err(str::to_string),
    }
}

#[test]
fn entries_a_truncation_removed_coming_back_are_reported() {
    // The store truncated 2..=4 (term 1) and appended 2 (term 3); recovery kept 3 and 4.
    let acknowledged = log(3, &[(1, 1), (2, 3)]);
    let recovered = log(3, &[(1, 1), (2, 3), (3, 1), (4, 1)]);
    let v = check_log_durability(&[power_failure(acknowledged, Ok(recovered))]);
    let v = only(&v, Property::LogDurability);
    assert_eq!(v.nodes, [2]);
    assert_eq!(v.at, Some(900));
    assert!(
        v.message.contains(
            "2 entries recovered that the store had removed or never acknowledged: T1-N1.3, T1-N1.4"
        ),
        "{v}"
    );
}

#[test]
fn an_entry_of_another_leader_at_an_acknowledged_index_is_reported() {
    // Same index and term, another leader node: a different entry (openraft 0.9's leader id).
    let acknowledged = log(3, &[(1, 1), (2, 3)]);
    let mut recovered = acknowledged.clone();
    recovered.entries[1].leader = 2;
    let v = check_log_durability(&[power_failure(acknowledged, Ok(recovered))]);
    let v = only(&v, Property::LogDurability);
    assert!(
        v.message.contains("acknowledged entries lost: T3-N1.2"),
        "{v}"
    );
}

#[test]
fn a_lost_entry_and_a_rolled_back_vote_are_reported() {
    let acknowledged = log(5, &[(1, 1), (2, 5)]);
    let recovered = log(4, &[(1, 1)]);
    let v = check_log_durability(&[power_failure(acknowledged, Ok(recovered))]);
    let v = only(&v, Property::LogDurability);
    assert!(
        v.message
            .contains("vote T5-N1 (committed) acknowledged, T4-N1 (committed) recovered"),
        "{v}"
    );
    assert!(
        v.message.contains("1 acknowledged entries lost: T5-N1.2"),
        "{v}"
    );
}

#[test]
fn a_failed_recovery_is_reported() {
    let v = check_log_durability(&[power_failure(log(1, &[]), Err("log is corrupt"))]);
    assert!(
        only(&v, Property::LogDurability)
            .message
            .contains("could not recover: log is corrupt")
    );
}

#[test]
fn a_failed_append_in_flight_may_leave_a_prefix_of_its_entries() {
    let acknowledged = log(2, &[(1, 1)]);
    let in_flight = log(2, &[(1, 1), (2, 2), (3, 2)]);
    for kept in [&[(1, 1)][..], &[(1, 1), (2, 2)], &[(1, 1), (2, 2), (3, 2)]] {
        let r = LogRecovery {
            in_flight: Some(in_flight.clone()),
            ..power_failure(acknowledged.clone(), Ok(log(2, kept)))
        };
        assert!(check_log_durability(&[r]).is_empty(), "{kept:?}");
    }
    // Not a prefix of the append: entry 3 without entry 2.
    let r = LogRecovery {
        in_flight: Some(in_flight.clone()),
        ..power_failure(acknowledged.clone(), Ok(log(2, &[(1, 1), (3, 2)])))
    };
    let v = check_log_durability(&[r]);
    assert!(
        only(&v, Property::LogDurability)
            .message
            .contains("nor is it what the failed write in flight would have left"),
        "{v:?}"
    );
    // Losing an acknowledged entry is never excused by a write in flight.
    let r = LogRecovery {
        in_flight: Some(in_flight),
        ..power_failure(acknowledged, Ok(log(2, &[])))
    };
    only(&check_log_durability(&[r]), Property::LogDurability);
}

#[test]
fn a_failed_vote_write_in_flight_is_all_or_nothing() {
    let acknowledged = log(2, &[(1, 1)]);
    let in_flight = log(3, &[(1, 1)]);
    for recovered in [acknowledged.clone(), in_flight.clone()] {
        let r = LogRecovery {
            in_flight: Some(in_flight.clone()),
            ..power_failure(acknowledged.clone(), Ok(recovered))
        };
        assert!(check_log_durability(&[r]).is_empty());
    }
    let r = LogRecovery {
        in_flight: Some(in_flight),
        ..power_failure(acknowledged, Ok(log(1, &[(1, 1)])))
    };
    only(&check_log_durability(&[r]), Property::LogDurability);
}

proptest! {
    /// A recovery equal to what was acknowledged is clean, whatever the log.
    #[test]
    fn an_exact_recovery_is_clean(term in 0u64..9, purged in proptest::option::of(0u64..5), n in 0u64..20) {
        let entries: Vec<LogRef> = (0..n).map(|i| id(purged.unwrap_or(0) + 1 + i, term)).collect();
        let shape = LogShape { vote: vote(term), purged: purged.map(|p| id(p, term)), entries };
        prop_assert!(check_log_durability(&[power_failure(shape.clone(), Ok(shape))]).is_empty());
    }

    /// Any prefix of a failed append in flight is a clean recovery.
    #[test]
    fn any_prefix_of_an_append_in_flight_is_clean(base in 0u64..10, added in 1u64..10, kept in 0u64..10) {
        let kept = kept.min(added);
        let acked: Vec<(u64, u64)> = (1..=base).map(|i| (i, 1)).collect();
        let all: Vec<(u64, u64)> = (1..=base + added).map(|i| (i, 1)).collect();
        let r = LogRecovery {
            in_flight: Some(log(1, &all)),
            ..power_failure(log(1, &acked), Ok(log(1, &all[..(base + kept) as usize])))
        };
        prop_assert!(check_log_durability(&[r]).is_empty());
    }
}
