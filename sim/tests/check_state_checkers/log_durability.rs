//! Log durability: a recovered Raft log that lost an acknowledged entry, brought back entries
//! the store had removed, rolled the vote back or failed outright is reported for that node and
//! power failure; an exact recovery is not.

use faultline_sim::check::log_durability::check_log_durability;
use faultline_sim::check::observation::{LogRecovery, LogShape, SampledVote};
use faultline_sim::check::violation::Property;
use proptest::prelude::*;

use super::support::only;

fn vote(term: u64) -> Option<SampledVote> {
    Some(SampledVote {
        term,
        node: Some(1),
        committed: true,
    })
}

fn log(term: u64, entries: &[(u64, u64)]) -> LogShape {
    LogShape {
        vote: vote(term),
        purged: None,
        entries: entries.to_vec(),
    }
}

fn power_failure(acknowledged: LogShape, recovered: Result<LogShape, &str>) -> LogRecovery {
    LogRecovery {
        node: 2,
        at: 900,
        acknowledged,
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
            "2 entries recovered that the store had removed or never acknowledged: 3 (term 1), 4 (term 1)"
        ),
        "{v}"
    );
}

#[test]
fn a_lost_entry_and_a_rolled_back_vote_are_reported() {
    let acknowledged = log(5, &[(1, 1), (2, 5)]);
    let recovered = log(4, &[(1, 1)]);
    let v = check_log_durability(&[power_failure(acknowledged, Ok(recovered))]);
    let v = only(&v, Property::LogDurability);
    assert!(v.message.contains("vote acknowledged"), "{v}");
    assert!(
        v.message
            .contains("1 acknowledged entries lost: 2 (term 5)"),
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

proptest! {
    /// A recovery equal to what was acknowledged is clean, whatever the log.
    #[test]
    fn an_exact_recovery_is_clean(term in 0u64..9, purged in proptest::option::of(0u64..5), n in 0u64..20) {
        let entries: Vec<(u64, u64)> = (0..n).map(|i| (purged.unwrap_or(0) + 1 + i, term)).collect();
        let shape = LogShape { vote: vote(term), purged, entries };
        prop_assert!(check_log_durability(&[power_failure(shape.clone(), Ok(shape))]).is_empty());
    }
}
