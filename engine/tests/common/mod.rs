//! Shared test support: a `BTreeMap` reference model of the engine, the mutations both accept,
//! a seeded workload generator, and a canonical view of an engine's state to compare.
#![allow(dead_code)]

use std::collections::BTreeMap;

use faultline_engine::vfs::SplitMix64;
use faultline_engine::{
    Database, Descriptor, Error, Filter, Metric, SearchParams, WalOp, WriteBatch, vector_from_bytes,
};
use serde_json::{Value, json};

/// Test sizes scale with `FAULTLINE_ENGINE_CASES` (a multiplier, default 1).
pub fn scale() -> usize {
    std::env::var("FAULTLINE_ENGINE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(1)
}

/// One mutation, in terms both the engine and the model understand.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Create {
        name: String,
        dim: u32,
        metric: Metric,
    },
    Drop {
        name: String,
    },
    Upsert {
        coll: String,
        id: u64,
        vector: Vec<f32>,
        payload: Value,
    },
    Delete {
        coll: String,
        id: u64,
    },
    /// `Some(vector)` upserts (payload derived from the id), `None` deletes.
    Batch(Vec<(String, u64, Option<Vec<f32>>)>),
    Checkpoint,
}

pub fn payload_for(id: u64, salt: u64) -> Value {
    json!({ "tag": format!("t{}", id % 3), "id": id, "salt": salt })
}

#[derive(Debug, Clone, PartialEq)]
pub struct MColl {
    pub desc: Descriptor,
    pub points: BTreeMap<u64, (Vec<f32>, Value)>,
}

/// The reference model: what the engine's state should be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub colls: BTreeMap<String, MColl>,
}

fn valid_vector(desc: &Descriptor, v: &[f32]) -> bool {
    v.len() == desc.dim as usize && v.iter().all(|x| x.is_finite())
}

impl Model {
    /// Applies `step` if the engine should accept it; returns whether it should.
    pub fn apply(&mut self, step: &Step) -> bool {
        let mut next = self.clone();
        let ok = next.apply_in_place(step);
        if ok {
            *self = next;
        }
        ok
    }

    fn apply_in_place(&mut self, step: &Step) -> bool {
        match step {
            Step::Create { name, dim, metric } => {
                if name.is_empty() || self.colls.contains_key(name) || *dim == 0 {
                    return false;
                }
                let desc = Descriptor {
                    dim: *dim,
                    metric: *metric,
                };
                self.colls.insert(
                    name.clone(),
                    MColl {
                        desc,
                        points: BTreeMap::new(),
                    },
                );
                true
            }
            Step::Drop { name } => self.colls.remove(name).is_some(),
            Step::Upsert {
                coll,
                id,
                vector,
                payload,
            } => match self.colls.get_mut(coll) {
                Some(c) if valid_vector(&c.desc, vector) => {
                    c.points.insert(*id, (vector.clone(), payload.clone()));
                    true
                }
                _ => false,
            },
            Step::Delete { coll, id } => match self.colls.get_mut(coll) {
                Some(c) => {
                    c.points.remove(id);
                    true
                }
                None => false,
            },
            Step::Batch(items) => {
                for (coll, id, v) in items {
                    let Some(c) = self.colls.get_mut(coll) else {
                        return false;
                    };
                    match v {
                        Some(v) if valid_vector(&c.desc, v) => {
                            c.points.insert(*id, (v.clone(), payload_for(*id, 0)));
                        }
                        Some(_) => return false,
                        None => {
                            c.points.remove(id);
                        }
                    }
                }
                true
            }
            Step::Checkpoint => true,
        }
    }

    /// Expected hits `(id, score)`, or `None` if the search must fail.
    pub fn search(
        &self,
        coll: &str,
        q: &[f32],
        k: usize,
        filter: Option<&Filter>,
    ) -> Option<Vec<(u64, f32)>> {
        let c = self.colls.get(coll)?;
        if k == 0 || !valid_vector(&c.desc, q) {
            return None;
        }
        let norm = |v: &[f32]| {
            v.iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                .sqrt()
        };
        let dot = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum::<f64>()
        };
        let mut all: Vec<(f64, u64)> = c
            .points
            .iter()
            .filter(|(_, (_, p))| filter.is_none_or(|f| p.get(&f.field) == Some(&f.value)))
            .map(|(&id, (v, _))| {
                let key = match c.desc.metric {
                    Metric::L2 => q
                        .iter()
                        .zip(v)
                        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                        .sum(),
                    Metric::Dot => -dot(q, v),
                    Metric::Cosine => {
                        let d = norm(q) * norm(v);
                        if d == 0.0 { 0.0 } else { -dot(q, v) / d }
                    }
                };
                (key, id)
            })
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        Some(
            all.into_iter()
                .map(|(key, id)| {
                    let score = match c.desc.metric {
                        Metric::L2 => key.sqrt() as f32,
                        _ => (-key) as f32,
                    };
                    (id, score)
                })
                .collect(),
        )
    }
}

/// Applies `step` to the engine.
pub fn apply_engine(db: &mut Database, step: &Step) -> Result<(), Error> {
    match step {
        Step::Create { name, dim, metric } => db
            .create_collection(
                name,
                Descriptor {
                    dim: *dim,
                    metric: *metric,
                },
            )
            .map(|_| ()),
        Step::Drop { name } => db.drop_collection(name),
        Step::Upsert {
            coll,
            id,
            vector,
            payload,
        } => db.upsert(coll, *id, vector, payload.clone()),
        Step::Delete { coll, id } => db.delete(coll, *id).map(|_| ()),
        Step::Batch(items) => {
            let mut b = WriteBatch::new();
            for (coll, id, v) in items {
                match v {
                    Some(v) => b.upsert(coll, *id, v, payload_for(*id, 0)),
                    None => b.delete(coll, *id),
                };
            }
            db.write(b)
        }
        Step::Checkpoint => db.checkpoint(),
    }
}

/// The engine's state as a model, read through `replication_snapshot`.
pub fn view(db: &Database) -> Model {
    view_of_ops(&db.replication_snapshot())
}

pub fn view_of_ops(ops: &[WalOp]) -> Model {
    let mut names = BTreeMap::new();
    let mut m = Model::default();
    for op in ops {
        match op {
            WalOp::CreateCollection {
                collection_id,
                name,
                descriptor,
            } => {
                names.insert(*collection_id, name.clone());
                m.colls.insert(
                    name.clone(),
                    MColl {
                        desc: *descriptor,
                        points: BTreeMap::new(),
                    },
                );
            }
            WalOp::Upsert {
                collection_id,
                external_id,
                vector,
                payload,
            } => {
                let c = m
                    .colls
                    .get_mut(&names[collection_id])
                    .expect("snapshot order");
                c.points.insert(
                    *external_id,
                    (
                        vector_from_bytes(vector).unwrap(),
                        serde_json::from_slice(payload).unwrap(),
                    ),
                );
            }
            other => panic!("snapshot contains a non-constructive op {other:?}"),
        }
    }
    m
}

/// Checks every `get` and a few searches of `db` against `model`.
pub fn assert_reads_match(db: &Database, model: &Model, ids: u64) {
    assert_eq!(
        db.collection_names(),
        model.colls.keys().cloned().collect::<Vec<_>>()
    );
    for (name, c) in &model.colls {
        assert_eq!(db.descriptor(name).unwrap(), c.desc);
        for id in 0..ids {
            let got = db.get(name, id).unwrap().map(|r| (r.vector, r.payload));
            assert_eq!(got.as_ref(), c.points.get(&id), "get({name}, {id})");
        }
        let q: Vec<f32> = (0..c.desc.dim).map(|i| (i % 3) as f32 - 1.0).collect();
        for k in [1, 3, 50] {
            for filter in [None, Some(Filter::eq("tag", "t1"))] {
                let mut p = SearchParams::top(k);
                p.filter = filter.clone();
                let got: Vec<(u64, f32)> = db
                    .search(name, &q, &p)
                    .unwrap()
                    .into_iter()
                    .map(|h| (h.id, h.score))
                    .collect();
                let want = model.search(name, &q, k, filter.as_ref()).unwrap();
                assert_eq!(got, want, "search({name}, k={k}, filter={filter:?})");
            }
        }
    }
}

/// A seeded workload with at least `mutations` accepted mutating steps (plus some rejected
/// ones and checkpoints). Vectors have small integer components so ties are common.
pub fn workload(seed: u64, mutations: usize) -> Vec<Step> {
    let mut rng = SplitMix64::new(seed);
    let mut model = Model::default();
    let mut steps = Vec::new();
    let names = ["alpha", "beta", "gamma"];
    let metric_of = |n: &str| match n {
        "alpha" => (3, Metric::L2),
        "beta" => (4, Metric::Cosine),
        _ => (2, Metric::Dot),
    };
    let mut accepted = 0;
    let mut salt = 0;
    let vec_for = |rng: &mut SplitMix64, dim: u32| -> Vec<f32> {
        (0..dim).map(|_| rng.below(5) as f32 - 2.0).collect()
    };
    while accepted < mutations {
        let name = names[rng.below(3) as usize].to_string();
        let (dim, metric) = metric_of(&name);
        let roll = rng.below(100);
        let step = if !model.colls.contains_key(&name) && roll < 60 {
            Step::Create { name, dim, metric }
        } else if roll < 2 {
            Step::Drop { name }
        } else if roll < 60 {
            salt += 1;
            Step::Upsert {
                coll: name,
                id: rng.below(24),
                vector: vec_for(&mut rng, dim),
                payload: payload_for(rng.below(24), salt),
            }
        } else if roll < 75 {
            Step::Delete {
                coll: name,
                id: rng.below(24),
            }
        } else if roll < 87 {
            let n = 2 + rng.below(5);
            Step::Batch(
                (0..n)
                    .map(|_| {
                        let id = rng.below(24);
                        let v = (rng.below(4) != 0).then(|| vec_for(&mut rng, dim));
                        (name.clone(), id, v)
                    })
                    .collect(),
            )
        } else if roll < 90 {
            Step::Checkpoint
        } else if roll < 95 {
            // Rejected: wrong dimension.
            Step::Upsert {
                coll: name,
                id: 1,
                vector: vec_for(&mut rng, dim + 1),
                payload: Value::Null,
            }
        } else {
            // Rejected (or a duplicate create).
            Step::Create {
                name: if roll.is_multiple_of(2) {
                    String::new()
                } else {
                    name
                },
                dim,
                metric,
            }
        };
        let before = model.clone();
        if model.apply(&step) && model != before {
            accepted += 1;
        }
        steps.push(step);
    }
    steps
}
