//! kNN search results: each search that succeeded is judged against the states the collection
//! could have been in during its interval, as the register history of the searched keys bounds
//! them (the search itself is served linearizably, so it reads one state inside its interval):
//!
//! - every hit names a record some write produced, with that write's exact vector and payload,
//!   and that record may have been present at some instant of the interval (written before the
//!   search completed, and not certainly replaced before it began);
//! - every hit's score is the distance of its vector from the query (L2, as the engine ranks);
//! - hits come in the engine's order (distance, then id) and match the filter;
//! - no record that was certainly present for the whole interval and matches the filter is
//!   missing while a hit ranks after it (or fewer than `k` hits came back).
//!
//! "Certainly replaced before it began": an acknowledged write or delete of the key invoked
//! after the record's write completed, and completed before the search was invoked. "Certainly
//! present throughout": the record's write was acknowledged before the search was invoked, and
//! every other operation on the key that may have taken effect either completed before that
//! write was invoked or was invoked after the search completed. Both are sound: no reported hit
//! or miss is possible in any linearization, whatever the `info` operations did.
//!
//! What this does not verify: searches that failed or timed out (nothing to judge); the order
//! of records whose presence is uncertain; metrics other than L2 (the workload uses L2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::violation::{Property, Violation};
use crate::history::{Call, History, Outcome, ProcessId, Time};

/// A record as written or returned: its vector and JSON payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordData {
    pub vector: Vec<f32>,
    pub payload: serde_json::Value,
}

/// A search as the client asked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchCall {
    pub query: Vec<f32>,
    pub k: usize,
    /// Keep only records whose payload has `field == value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<(String, serde_json::Value)>,
}

/// One hit as the client received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub id: u64,
    pub score: f32,
    pub record: RecordData,
}

/// One search and what it returned (`None`: it failed or its outcome is unknown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOp {
    /// The search's own number in the run (searches are not register operations).
    pub index: usize,
    pub process: ProcessId,
    pub call: SearchCall,
    pub invoke: Time,
    pub complete: Option<Time>,
    pub hits: Option<Vec<SearchHit>>,
}

/// The keys searched: `key_of(id)` names the register key of point `id`; `value_of(record)` the
/// register value a record carries (the same value the write of that record wrote).
pub struct Collection<'a> {
    pub key_of: &'a dyn Fn(u64) -> String,
    pub value_of: &'a dyn Fn(&RecordData) -> String,
    /// Every written record, by the register value its write wrote.
    pub written: &'a BTreeMap<String, RecordData>,
}

/// The squared L2 distance exactly as the engine ranks it (f64, component order).
pub fn squared_l2(query: &[f32], v: &[f32]) -> f64 {
    query
        .iter()
        .zip(v)
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum()
}

/// How many violations one search may report.
const PER_SEARCH: usize = 3;

/// One operation on one key, as far as timing goes.
#[derive(Debug, Clone, Copy)]
struct KeyOp<'h> {
    index: usize,
    /// The written value (`None`: a delete).
    value: Option<&'h str>,
    invoke: Time,
    /// When it certainly took effect by (`None`: unknown outcome).
    complete: Option<Time>,
    acked: bool,
}

fn key_ops(history: &History) -> BTreeMap<&str, Vec<KeyOp<'_>>> {
    let mut out: BTreeMap<&str, Vec<KeyOp<'_>>> = BTreeMap::new();
    for (index, op) in history.ops.iter().enumerate() {
        let (key, value) = match &op.call {
            Call::Write { key, value } => (key, Some(value.as_str())),
            Call::Delete { key } => (key, None),
            _ => continue,
        };
        let Some(key) = key.as_deref() else { continue };
        let (complete, acked) = match op.outcome {
            Outcome::Ok { complete, .. } => (Some(complete), true),
            Outcome::Info { .. } => (None, false),
            Outcome::Fail { .. } => continue,
        };
        out.entry(key).or_default().push(KeyOp {
            index,
            value,
            invoke: op.invoke,
            complete,
            acked,
        });
    }
    out
}

fn matches(filter: &Option<(String, serde_json::Value)>, payload: &serde_json::Value) -> bool {
    filter
        .as_ref()
        .is_none_or(|(field, value)| payload.get(field) == Some(value))
}

/// Checks every search; one violation per wrong hit, ordering or miss (at most a few a search).
pub fn check_searches(
    history: &History,
    searches: &[SearchOp],
    collection: &Collection<'_>,
) -> Vec<Violation> {
    let ops = key_ops(history);
    let mut out = Vec::new();
    for s in searches {
        let (Some(hits), Some(complete)) = (&s.hits, s.complete) else {
            continue;
        };
        let mut found = Vec::new();
        judge(s, hits, complete, &ops, collection, &mut found);
        out.extend(found.into_iter().take(PER_SEARCH));
    }
    out
}

fn judge(
    s: &SearchOp,
    hits: &[SearchHit],
    complete: Time,
    ops: &BTreeMap<&str, Vec<KeyOp<'_>>>,
    c: &Collection<'_>,
    out: &mut Vec<Violation>,
) {
    let q = &s.call.query;
    let mut bad = |what: String, keys: Vec<String>, involved: Vec<usize>| {
        out.push(
            Violation::new(
                Property::Search,
                format!(
                    "search #{} (process {}, invoked at {}, completed at {complete}): {what}",
                    s.index, s.process, s.invoke
                ),
            )
            .with_keys(keys)
            .with_ops(involved)
            .at(complete),
        );
    };
    let empty = Vec::new();
    let mut ranks = Vec::new();
    for h in hits {
        let key = (c.key_of)(h.id);
        let value = (c.value_of)(&h.record);
        let key_ops = ops.get(key.as_str()).unwrap_or(&empty);
        let d = squared_l2(q, &h.record.vector);
        ranks.push((d, h.id));
        let expected = d.sqrt() as f32;
        if h.score.to_bits() != expected.to_bits() {
            bad(
                format!(
                    "hit {key} has score {}, but its vector is at distance {expected} from the query",
                    h.score
                ),
                vec![key.clone()],
                vec![],
            );
        }
        if !matches(&s.call.filter, &h.record.payload) {
            bad(
                format!("hit {key} does not match the filter {:?}", s.call.filter),
                vec![key.clone()],
                vec![],
            );
        }
        let Some(write) = key_ops.iter().find(|o| o.value == Some(value.as_str())) else {
            let why = if c.written.contains_key(&value) {
                "a write of another key"
            } else {
                "no write (or a write with another vector or payload)"
            };
            bad(
                format!("hit {key} is the record {value:?}, which {why} produced"),
                vec![key.clone()],
                vec![],
            );
            continue;
        };
        if write.invoke >= complete {
            bad(
                format!(
                    "hit {key} is {value:?}, written only after the search completed (#{})",
                    write.index
                ),
                vec![key.clone()],
                vec![write.index],
            );
            continue;
        }
        let replaced = key_ops.iter().find(|x| {
            x.index != write.index
                && x.acked
                && write.complete.is_some_and(|w| w < x.invoke)
                && x.complete.is_some_and(|xc| xc < s.invoke)
        });
        if let Some(x) = replaced {
            let what = match x.value {
                Some(v) => format!("overwritten with {v:?}"),
                None => "deleted".to_string(),
            };
            bad(
                format!(
                    "hit {key} is {value:?}, which was {what} (#{}) before the search began",
                    x.index
                ),
                vec![key.clone()],
                vec![write.index, x.index],
            );
        }
    }
    if ranks.windows(2).any(|w| w[1] < w[0]) {
        bad(
            "hits are not in order of distance, then id".to_string(),
            vec![],
            vec![],
        );
    }
    // Completeness: records certainly present throughout that rank before the last hit.
    let last = ranks
        .iter()
        .copied()
        .fold(None, |acc: Option<(f64, u64)>, r| {
            Some(acc.map_or(r, |a| if r > a { r } else { a }))
        });
    let full = hits.len() >= s.call.k;
    let returned: Vec<u64> = hits.iter().map(|h| h.id).collect();
    for (key, key_ops) in ops {
        for w in key_ops.iter().filter(|w| w.acked) {
            let (Some(value), Some(w_done)) = (w.value, w.complete) else {
                continue;
            };
            if w_done >= s.invoke {
                continue;
            }
            let undisturbed = key_ops.iter().all(|x| {
                x.index == w.index
                    || x.complete.is_some_and(|xc| xc < w.invoke)
                    || x.invoke > complete
            });
            if !undisturbed {
                continue;
            }
            let Some(record) = c.written.get(value) else {
                continue;
            };
            if !matches(&s.call.filter, &record.payload) {
                continue;
            }
            let Some(id) = id_of(key, c) else { continue };
            if returned.contains(&id) {
                continue;
            }
            let rank = (squared_l2(q, &record.vector), id);
            let should = !full || last.is_some_and(|l| rank < l);
            if should {
                bad(
                    format!(
                        "{key} held {value:?} (written by #{}) for the whole search and ranks before {}, but is missing",
                        w.index,
                        if full {
                            "the last hit"
                        } else {
                            "the end of a short result"
                        }
                    ),
                    vec![key.to_string()],
                    vec![w.index],
                );
            }
        }
    }
}

/// The point id whose key is `key`, by asking `key_of` for the ids the key could name.
fn id_of(key: &str, c: &Collection<'_>) -> Option<u64> {
    let (_, id) = key.rsplit_once('/')?;
    let id: u64 = id.parse().ok()?;
    ((c.key_of)(id) == key).then_some(id)
}
