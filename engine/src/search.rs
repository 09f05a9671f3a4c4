//! Exact k-nearest-neighbour search over one collection.
//!
//! Brute force over every point (optionally filtered by one payload field), scored in `f64` so
//! finite `f32` inputs can never overflow into NaN, ordered by score and then by id — a total
//! order, so equal inputs always give the same hits in the same order.

use std::cmp::Ordering;

use serde_json::Value;

use crate::collection::{Collection, validate_vector};
use crate::error::{Error, Result};
use crate::op::Metric;

/// Keep only points whose payload is a JSON object with `field` equal to `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: String,
    pub value: Value,
}

impl Filter {
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
        }
    }

    fn matches(&self, payload: &Value) -> bool {
        payload.get(&self.field) == Some(&self.value)
    }
}

/// What to search for and what to return.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// Number of hits wanted (>= 1); fewer are returned if fewer points match.
    pub k: usize,
    pub filter: Option<Filter>,
    pub with_payload: bool,
    pub with_vector: bool,
}

impl SearchParams {
    /// `k` nearest, no filter, ids and scores only.
    pub fn top(k: usize) -> Self {
        Self {
            k,
            filter: None,
            with_payload: false,
            with_vector: false,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: u64,
    /// L2: Euclidean distance (smaller is closer). Cosine: cosine similarity, Dot: dot product
    /// (larger is closer).
    pub score: f32,
    pub payload: Option<Value>,
    pub vector: Option<Vec<f32>>,
}

/// Ranks all matching points of `c` against `query`.
pub(crate) fn knn(c: &Collection, query: &[f32], params: &SearchParams) -> Result<Vec<SearchHit>> {
    validate_vector(c.descriptor.dim, query)?;
    if params.k == 0 {
        return Err(Error::InvalidSearch {
            reason: "k must be at least 1".into(),
        });
    }
    let metric = c.descriptor.metric;
    let q_norm = query
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    // Rank key: smaller is better for every metric.
    let mut ranked: Vec<(f64, u64)> = c
        .points
        .iter()
        .filter(|(_, p)| params.filter.as_ref().is_none_or(|f| f.matches(&p.payload)))
        .map(|(&id, p)| (rank_key(metric, query, q_norm, &p.vector, p.norm), id))
        .collect();
    let order =
        |a: &(f64, u64), b: &(f64, u64)| -> Ordering { a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)) };
    if ranked.len() > params.k {
        ranked.select_nth_unstable_by(params.k - 1, order);
        ranked.truncate(params.k);
    }
    ranked.sort_unstable_by(order);
    Ok(ranked
        .into_iter()
        .map(|(key, id)| {
            let p = &c.points[&id];
            SearchHit {
                id,
                score: score_from_key(metric, key),
                payload: params.with_payload.then(|| p.payload.clone()),
                vector: params.with_vector.then(|| p.vector.clone()),
            }
        })
        .collect())
}

fn rank_key(metric: Metric, q: &[f32], q_norm: f64, v: &[f32], v_norm: f64) -> f64 {
    match metric {
        Metric::L2 => q
            .iter()
            .zip(v)
            .map(|(&a, &b)| {
                let d = f64::from(a) - f64::from(b);
                d * d
            })
            .sum(),
        Metric::Dot => -dot(q, v),
        Metric::Cosine => {
            let denom = q_norm * v_norm;
            if denom == 0.0 {
                0.0
            } else {
                -dot(q, v) / denom
            }
        }
    }
}

fn dot(q: &[f32], v: &[f32]) -> f64 {
    q.iter()
        .zip(v)
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum()
}

fn score_from_key(metric: Metric, key: f64) -> f32 {
    match metric {
        Metric::L2 => key.sqrt() as f32,
        Metric::Dot | Metric::Cosine => (-key) as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::Point;
    use crate::op::Descriptor;
    use serde_json::json;

    fn coll(metric: Metric, pts: &[(u64, [f32; 2], Value)]) -> Collection {
        let mut c = Collection::new(1, "c".into(), Descriptor { dim: 2, metric });
        for (id, v, p) in pts {
            c.points.insert(*id, Point::new(v.to_vec(), p.clone()));
        }
        c
    }

    #[test]
    fn ties_break_by_id_and_filter_applies() {
        let c = coll(
            Metric::L2,
            &[
                (9, [1.0, 0.0], json!({"t": "a"})),
                (3, [0.0, 1.0], json!({"t": "b"})),
                (5, [-1.0, 0.0], json!({"t": "a"})),
                (7, [5.0, 5.0], json!({"t": "a"})),
            ],
        );
        let hits = knn(&c, &[0.0, 0.0], &SearchParams::top(3)).unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [3, 5, 9]);
        assert_eq!(hits[0].score, 1.0);
        let mut p = SearchParams::top(10);
        p.filter = Some(Filter::eq("t", "a"));
        p.with_payload = true;
        let hits = knn(&c, &[0.0, 0.0], &p).unwrap();
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [5, 9, 7]);
        assert_eq!(hits[0].payload, Some(json!({"t": "a"})));
    }

    #[test]
    fn dot_and_cosine_prefer_larger_similarity() {
        let pts = [
            (1, [1.0, 0.0], Value::Null),
            (2, [10.0, 0.0], Value::Null),
            (3, [0.0, 1.0], Value::Null),
        ];
        let dot = knn(&coll(Metric::Dot, &pts), &[1.0, 0.0], &SearchParams::top(3)).unwrap();
        assert_eq!(dot.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 1, 3]);
        let cos = knn(
            &coll(Metric::Cosine, &pts),
            &[1.0, 0.0],
            &SearchParams::top(3),
        )
        .unwrap();
        assert_eq!(cos.iter().map(|h| h.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(cos[0].score, 1.0);
    }

    #[test]
    fn bad_queries_are_typed_errors() {
        let c = coll(Metric::L2, &[]);
        assert!(matches!(
            knn(&c, &[0.0], &SearchParams::top(1)),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            knn(&c, &[0.0, f32::INFINITY], &SearchParams::top(1)),
            Err(Error::NonFiniteVector { .. })
        ));
        assert!(matches!(
            knn(&c, &[0.0, 0.0], &SearchParams::top(0)),
            Err(Error::InvalidSearch { .. })
        ));
    }
}
