//! The kNN search checker: a hit with a record no write produced, a record replaced before the
//! search began, a wrong score, a filter mismatch, hits out of order and a certainly present,
//! closer record left out each fire; searches answered from the true state at an instant of
//! their interval, over generated histories of writes and deletes, are clean.

use std::collections::BTreeMap;

use faultline_sim::check::knn::{
    Collection, RecordData, SearchCall, SearchHit, SearchOp, check_searches, squared_l2,
};
use faultline_sim::check::violation::{Property, Violation};
use faultline_sim::history::{Call, History, Operation, Ret};
use proptest::prelude::*;

fn key(id: u64) -> String {
    format!("c/{id}")
}

fn value(r: &RecordData) -> String {
    format!("{}@{:?}", r.payload["v"].as_str().unwrap_or("?"), r.vector)
}

fn record(v: &str, x: f32, g: u64) -> RecordData {
    RecordData {
        vector: vec![x, 0.0],
        payload: serde_json::json!({ "v": v, "g": g }),
    }
}

fn write(process: u64, id: u64, r: &RecordData, invoke: u64, complete: u64) -> Operation {
    Operation::ok(
        process,
        Call::Write {
            key: Some(key(id)),
            value: value(r),
        },
        invoke,
        complete,
        Ret::Done,
    )
}

fn hit(id: u64, r: &RecordData, query: &[f32]) -> SearchHit {
    SearchHit {
        id,
        score: squared_l2(query, &r.vector).sqrt() as f32,
        record: r.clone(),
    }
}

fn search(invoke: u64, complete: u64, k: usize, hits: Vec<SearchHit>) -> SearchOp {
    SearchOp {
        index: 0,
        process: 9,
        call: SearchCall {
            query: vec![0.0, 0.0],
            k,
            filter: None,
        },
        invoke,
        complete: Some(complete),
        hits: Some(hits),
    }
}

fn check(history: &History, searches: &[SearchOp], written: &[&RecordData]) -> Vec<Violation> {
    let written: BTreeMap<String, RecordData> =
        written.iter().map(|r| (value(r), (*r).clone())).collect();
    check_searches(
        history,
        searches,
        &Collection {
            key_of: &key,
            value_of: &value,
            written: &written,
        },
    )
}

fn one(v: &[Violation], needle: &str) {
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].property, Property::Search);
    assert!(v[0].message.contains(needle), "{}", v[0]);
}

#[test]
fn a_record_no_write_produced_fires() {
    let a = record("a", 1.0, 0);
    let h = History::new(vec![write(1, 1, &a, 0, 10)]);
    let corrupt = record("a", 1.5, 0);
    let v = check(
        &h,
        &[search(20, 30, 1, vec![hit(1, &corrupt, &[0.0, 0.0])])],
        &[&a],
    );
    one(
        &v,
        "which no write (or a write with another vector or payload) produced",
    );
}

#[test]
fn a_record_replaced_before_the_search_began_fires() {
    let (a, b) = (record("a", 1.0, 0), record("b", 2.0, 0));
    let h = History::new(vec![write(1, 1, &a, 0, 10), write(1, 1, &b, 20, 30)]);
    let v = check(
        &h,
        &[search(40, 50, 1, vec![hit(1, &a, &[0.0, 0.0])])],
        &[&a, &b],
    );
    one(&v, "which was overwritten with");
    // Had the overwrite been concurrent with the search, the old record is possible.
    let v = check(
        &h,
        &[search(25, 50, 1, vec![hit(1, &a, &[0.0, 0.0])])],
        &[&a, &b],
    );
    assert!(v.is_empty(), "{v:#?}");
}

#[test]
fn a_wrong_score_fires() {
    let a = record("a", 1.0, 0);
    let h = History::new(vec![write(1, 1, &a, 0, 10)]);
    let mut wrong = hit(1, &a, &[0.0, 0.0]);
    wrong.score = 7.0;
    let v = check(&h, &[search(20, 30, 1, vec![wrong])], &[&a]);
    one(&v, "has score 7, but its vector is at distance 1");
}

#[test]
fn a_filter_mismatch_and_hits_out_of_order_fire() {
    let (a, b) = (record("a", 1.0, 0), record("b", 2.0, 1));
    let h = History::new(vec![write(1, 1, &a, 0, 10), write(2, 2, &b, 0, 10)]);
    let mut s = search(
        20,
        30,
        2,
        vec![hit(2, &b, &[0.0, 0.0]), hit(1, &a, &[0.0, 0.0])],
    );
    let v = check(&h, std::slice::from_ref(&s), &[&a, &b]);
    one(&v, "hits are not in order of distance, then id");
    s.call.filter = Some(("g".into(), serde_json::json!(0)));
    s.hits = Some(vec![hit(1, &a, &[0.0, 0.0]), hit(2, &b, &[0.0, 0.0])]);
    let v = check(&h, &[s], &[&a, &b]);
    one(&v, "hit c/2 does not match the filter");
}

#[test]
fn a_closer_record_present_throughout_left_out_fires() {
    let (a, b) = (record("a", 1.0, 0), record("b", 2.0, 0));
    let h = History::new(vec![write(1, 1, &a, 0, 10), write(2, 2, &b, 0, 10)]);
    let v = check(
        &h,
        &[search(20, 30, 1, vec![hit(2, &b, &[0.0, 0.0])])],
        &[&a, &b],
    );
    one(&v, "c/1 held");
    // A short result must hold every record present throughout.
    let v = check(
        &h,
        &[search(20, 30, 5, vec![hit(1, &a, &[0.0, 0.0])])],
        &[&a, &b],
    );
    one(&v, "c/2 held");
}

#[test]
fn a_record_whose_write_may_not_have_happened_yet_may_be_missing() {
    let (a, b) = (record("a", 1.0, 0), record("b", 2.0, 0));
    // The write of a completes after the search begins: its absence is possible.
    let h = History::new(vec![write(1, 1, &a, 0, 25), write(2, 2, &b, 0, 10)]);
    let v = check(
        &h,
        &[search(20, 30, 1, vec![hit(2, &b, &[0.0, 0.0])])],
        &[&a, &b],
    );
    assert!(v.is_empty(), "{v:#?}");
}

/// A generated run: sequential writes and deletes on a few keys, each given an interval around
/// its linearization point, and searches answered from the true state at their own point.
fn generated() -> impl Strategy<Value = (History, Vec<SearchOp>, Vec<RecordData>)> {
    let step = (0u8..10, 0u64..4, -5i32..5, 0u64..3, 0u64..25, 0u64..25);
    proptest::collection::vec(step, 1..60).prop_map(|steps| {
        let mut state: BTreeMap<u64, RecordData> = BTreeMap::new();
        let mut ops = Vec::new();
        let mut searches = Vec::new();
        let mut written = Vec::new();
        for (i, (kind, id, x, g, before, after)) in steps.into_iter().enumerate() {
            let at = 10 * (i as u64 + 3);
            let (invoke, complete) = (at - before, at + after);
            match kind {
                0..=5 => {
                    let r = record(&format!("w{i}"), x as f32, g);
                    ops.push(write(i as u64, id, &r, invoke, complete));
                    state.insert(id, r.clone());
                    written.push(r);
                }
                6 => {
                    ops.push(Operation::ok(
                        i as u64,
                        Call::Delete { key: Some(key(id)) },
                        invoke,
                        complete,
                        Ret::Done,
                    ));
                    state.remove(&id);
                }
                _ => {
                    let query = vec![x as f32 / 2.0, 0.0];
                    let filter = (kind == 9).then(|| ("g".to_string(), serde_json::json!(g)));
                    let k = 1 + (id as usize % 3);
                    let mut ranked: Vec<(f64, u64, &RecordData)> = state
                        .iter()
                        .filter(|(_, r)| {
                            filter
                                .as_ref()
                                .is_none_or(|(f, v)| r.payload.get(f) == Some(v))
                        })
                        .map(|(id, r)| (squared_l2(&query, &r.vector), *id, r))
                        .collect();
                    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    let hits = ranked
                        .into_iter()
                        .take(k)
                        .map(|(_, id, r)| hit(id, r, &query))
                        .collect();
                    searches.push(SearchOp {
                        index: searches.len(),
                        process: 100 + i as u64,
                        call: SearchCall { query, k, filter },
                        invoke,
                        complete: Some(complete),
                        hits: Some(hits),
                    });
                }
            }
        }
        (History::new(ops), searches, written)
    })
}

proptest! {
    #[test]
    fn searches_answered_from_a_true_state_are_clean((history, searches, written) in generated()) {
        let refs: Vec<&RecordData> = written.iter().collect();
        let v = check(&history, &searches, &refs);
        prop_assert!(v.is_empty(), "{v:#?}");
    }
}
