//! Delta debugging (Zeller and Hildebrandt's ddmin) over a set of parts, returning a
//! 1-minimal subset that still fails: removing any single part of it makes the failure go.
//!
//! The test is asked about a whole round of candidate subsets at once (first the chunks, then
//! their complements) and answers with the first that fails, so the oracle can run a round in
//! parallel and still follow the sequential algorithm's path. The empty set is tried first: a
//! failure that needs none of the parts costs one run.

use super::oracle::Stop;

/// The candidate subsets of one round, as sorted part indices.
pub(crate) type Round = [Vec<usize>];

/// Reduces parts `0..n` with `first_failing`, which returns the index of the first candidate
/// subset that fails (or `None`). Returns the subset kept and, if the budget stopped it, why.
pub(crate) fn ddmin(
    n: usize,
    mut first_failing: impl FnMut(&Round) -> Result<Option<usize>, Stop>,
) -> (Vec<usize>, Option<Stop>) {
    let mut current: Vec<usize> = (0..n).collect();
    if n == 0 {
        return (current, None);
    }
    match first_failing(&[Vec::new()]) {
        Ok(Some(_)) => return (Vec::new(), None),
        Ok(None) => {}
        Err(stop) => return (current, Some(stop)),
    }
    let mut granularity = 2;
    while current.len() >= 2 {
        let chunks = split(&current, granularity);
        let mut candidates: Vec<Vec<usize>> = chunks.clone();
        // With two chunks each complement is the other chunk, already a candidate.
        let complements = if chunks.len() > 2 {
            chunks
                .iter()
                .map(|c| current.iter().copied().filter(|i| !c.contains(i)).collect())
                .collect()
        } else {
            Vec::new()
        };
        candidates.extend(complements.iter().cloned());
        match first_failing(&candidates) {
            Err(stop) => return (current, Some(stop)),
            Ok(Some(i)) if i < chunks.len() => {
                current = chunks[i].clone();
                granularity = 2;
            }
            Ok(Some(i)) => {
                current = complements[i - chunks.len()].clone();
                granularity = (granularity - 1).max(2);
            }
            Ok(None) => {
                if granularity >= current.len() {
                    break;
                }
                granularity = (granularity * 2).min(current.len());
            }
        }
    }
    (current, None)
}

/// `items` cut into `k` contiguous chunks of near-equal size (none empty).
fn split(items: &[usize], k: usize) -> Vec<Vec<usize>> {
    let k = k.clamp(1, items.len().max(1));
    let mut out = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let len = (items.len() - start) / (k - i);
        out.push(items[start..start + len].to_vec());
        start += len;
    }
    out.retain(|c| !c.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// A test that fails when the subset holds every part of `needed`.
    fn oracle(
        needed: &BTreeSet<usize>,
        runs: &mut u64,
    ) -> impl FnMut(&Round) -> Result<Option<usize>, Stop> {
        move |round: &Round| {
            for (i, c) in round.iter().enumerate() {
                *runs += 1;
                if needed.iter().all(|n| c.contains(n)) {
                    return Ok(Some(i));
                }
            }
            Ok(None)
        }
    }

    #[test]
    fn split_covers_everything_in_order() {
        assert_eq!(split(&[1, 2, 3, 4, 5], 2), vec![vec![1, 2], vec![3, 4, 5]]);
        assert_eq!(split(&[1, 2, 3], 5), vec![vec![1], vec![2], vec![3]]);
    }

    #[test]
    fn a_failure_that_needs_nothing_costs_one_test() {
        let mut runs = 0;
        let (kept, stop) = ddmin(20, oracle(&BTreeSet::new(), &mut runs));
        assert_eq!((kept, stop, runs), (vec![], None, 1));
    }

    proptest! {
        #[test]
        fn ddmin_finds_exactly_the_parts_a_conjunctive_failure_needs(
            n in 1usize..40,
            picks in proptest::collection::btree_set(0usize..40, 0..4),
        ) {
            let needed: BTreeSet<usize> = picks.into_iter().filter(|p| *p < n).collect();
            let mut runs = 0;
            let (kept, stop) = ddmin(n, oracle(&needed, &mut runs));
            prop_assert_eq!(stop, None);
            prop_assert_eq!(kept.into_iter().collect::<BTreeSet<_>>(), needed);
        }

        #[test]
        fn the_result_is_one_minimal_for_any_monotone_failure(
            n in 1usize..30,
            groups in proptest::collection::vec(proptest::collection::btree_set(0usize..30, 1..3), 1..4),
        ) {
            // Fails when the subset holds all of at least one group.
            let groups: Vec<BTreeSet<usize>> = groups
                .into_iter()
                .map(|g| g.into_iter().filter(|p| *p < n).collect::<BTreeSet<_>>())
                .filter(|g| !g.is_empty())
                .collect();
            prop_assume!(!groups.is_empty());
            let fails = |s: &[usize]| groups.iter().any(|g| g.iter().all(|p| s.contains(p)));
            let (kept, _) = ddmin(n, |round: &Round| {
                Ok(round.iter().position(|c| fails(c)))
            });
            prop_assert!(fails(&kept));
            for i in 0..kept.len() {
                let mut less = kept.clone();
                less.remove(i);
                prop_assert!(!fails(&less), "{:?} minus {} still fails", kept, kept[i]);
            }
        }
    }

    #[test]
    fn the_budget_stops_it_with_what_it_has() {
        let mut calls = 0;
        let (kept, stop) = ddmin(8, |_round: &Round| {
            calls += 1;
            if calls > 2 { Err(Stop::Runs) } else { Ok(None) }
        });
        assert_eq!(stop, Some(Stop::Runs));
        assert_eq!(kept.len(), 8);
    }
}
