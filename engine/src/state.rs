//! The engine's in-memory state and the only code that changes it.
//!
//! Every mutation, whether local, replicated, replayed from the WAL or restored from a
//! snapshot, goes through two steps: [`Schema::prepare`] validates a [`WalOp`] and turns it into
//! a [`Prepared`] op (parsed vector and payload) without touching state; [`State::apply`] then
//! applies a prepared op and cannot fail. That split is what lets a batch be validated as a
//! whole, written to the WAL, synced, and only then applied — all or nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::collection::{Collection, Point, validate_descriptor, validate_name, validate_vector};
use crate::error::{Error, Result};
use crate::op::{Descriptor, WalOp, vector_from_bytes, vector_to_bytes};

/// Input limits applied by [`Schema::prepare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub max_payload_bytes: usize,
    pub max_dim: u32,
}

impl Limits {
    /// Limits for replaying durable ops: whatever was accepted once is accepted again, even
    /// if the database is reopened with tighter options.
    pub fn replay() -> Self {
        Self {
            max_payload_bytes: usize::MAX,
            max_dim: u32::MAX,
        }
    }
}

/// A validated op, ready to apply.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    Create {
        id: u64,
        name: String,
        descriptor: Descriptor,
    },
    Drop {
        id: u64,
    },
    Upsert {
        collection: u64,
        id: u64,
        point: Point,
    },
    Delete {
        collection: u64,
        id: u64,
    },
}

/// Collection names, ids and shapes: all that validating an op needs. Cloned per batch and
/// updated as the batch's own creates and drops are prepared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    by_name: BTreeMap<String, u64>,
    by_id: BTreeMap<u64, (String, Descriptor)>,
}

impl Schema {
    /// Validates `op` against this schema (and updates the schema if `op` creates or drops).
    /// On error the schema is unchanged.
    pub fn prepare(&mut self, op: &WalOp, limits: Limits) -> Result<Prepared> {
        match op {
            WalOp::CreateCollection {
                collection_id,
                name,
                descriptor,
            } => {
                validate_name(name)?;
                validate_descriptor(descriptor, limits.max_dim)?;
                if self.by_name.contains_key(name) {
                    return Err(Error::DuplicateCollection { name: name.clone() });
                }
                if self.by_id.contains_key(collection_id) {
                    return Err(Error::DuplicateCollectionId { id: *collection_id });
                }
                self.by_name.insert(name.clone(), *collection_id);
                self.by_id
                    .insert(*collection_id, (name.clone(), *descriptor));
                Ok(Prepared::Create {
                    id: *collection_id,
                    name: name.clone(),
                    descriptor: *descriptor,
                })
            }
            WalOp::DropCollection { collection_id } => {
                let (name, _) = self
                    .by_id
                    .remove(collection_id)
                    .ok_or(Error::UnknownCollectionId { id: *collection_id })?;
                self.by_name.remove(&name);
                Ok(Prepared::Drop { id: *collection_id })
            }
            _ => prepare_record_op(op, limits, |id| self.descriptor(id)),
        }
    }

    fn descriptor(&self, id: u64) -> Result<Descriptor> {
        self.by_id
            .get(&id)
            .map(|(_, d)| *d)
            .ok_or(Error::UnknownCollectionId { id })
    }
}

/// Validates an upsert or a delete against the collection shapes `descriptor` knows. Such an
/// op never changes the schema, so a batch of them needs no copy of it. A create or a drop is
/// validated against `descriptor` alone: their callers take them to `Schema::prepare`, which
/// also checks names and updates the schema.
fn prepare_record_op(
    op: &WalOp,
    limits: Limits,
    descriptor: impl Fn(u64) -> Result<Descriptor>,
) -> Result<Prepared> {
    match op {
        WalOp::Upsert {
            collection_id,
            external_id,
            vector,
            payload,
        } => {
            let dim = descriptor(*collection_id)?.dim;
            let v = vector_from_bytes(vector)?;
            validate_vector(dim, &v)?;
            let payload = parse_payload(payload, limits.max_payload_bytes)?;
            Ok(Prepared::Upsert {
                collection: *collection_id,
                id: *external_id,
                point: Point::new(v, payload),
            })
        }
        WalOp::Delete {
            collection_id,
            external_id,
        } => {
            descriptor(*collection_id)?;
            Ok(Prepared::Delete {
                collection: *collection_id,
                id: *external_id,
            })
        }
        WalOp::CreateCollection { .. } | WalOp::DropCollection { .. } => Err(Error::Decode {
            what: "record op",
            reason: "a schema change is not a record op".into(),
        }),
    }
}

/// Parses a payload, enforcing the size limit on its encoded form.
pub(crate) fn parse_payload(bytes: &[u8], max: usize) -> Result<Value> {
    if bytes.len() > max {
        return Err(Error::PayloadTooLarge {
            size: bytes.len(),
            max,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| Error::InvalidPayload {
        reason: e.to_string(),
    })
}

/// Every collection, by id, plus the name index.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct State {
    collections: BTreeMap<u64, Collection>,
    by_name: BTreeMap<String, u64>,
}

impl State {
    /// Rebuilds a state from ops (a snapshot or checkpoint), validating each in order.
    pub fn from_ops(ops: &[WalOp], limits: Limits) -> Result<State> {
        let mut state = State::default();
        state.prepare_and_apply(ops, limits)?;
        Ok(state)
    }

    /// Validates the whole list, then applies it; on error nothing is applied.
    pub fn prepare_and_apply(&mut self, ops: &[WalOp], limits: Limits) -> Result<()> {
        let prepared = self.prepare_all(ops, limits)?;
        prepared.into_iter().for_each(|p| self.apply(p));
        Ok(())
    }

    pub fn schema(&self) -> Schema {
        let mut s = Schema::default();
        for c in self.collections.values() {
            s.by_name.insert(c.name.clone(), c.id);
            s.by_id.insert(c.id, (c.name.clone(), c.descriptor));
        }
        s
    }

    /// Validates `ops` as one sequence (later ops see earlier creates and drops).
    pub fn prepare_all(&self, ops: &[WalOp], limits: Limits) -> Result<Vec<Prepared>> {
        let changes_schema = |op: &WalOp| {
            matches!(
                op,
                WalOp::CreateCollection { .. } | WalOp::DropCollection { .. }
            )
        };
        if !ops.iter().any(changes_schema) {
            let descriptor = |id| {
                self.collections
                    .get(&id)
                    .map(|c| c.descriptor)
                    .ok_or(Error::UnknownCollectionId { id })
            };
            return ops
                .iter()
                .map(|op| prepare_record_op(op, limits, descriptor))
                .collect();
        }
        let mut schema = self.schema();
        ops.iter().map(|op| schema.prepare(op, limits)).collect()
    }

    pub fn apply(&mut self, p: Prepared) {
        match p {
            Prepared::Create {
                id,
                name,
                descriptor,
            } => {
                self.by_name.insert(name.clone(), id);
                self.collections
                    .insert(id, Collection::new(id, name, descriptor));
            }
            Prepared::Drop { id } => {
                if let Some(c) = self.collections.remove(&id) {
                    self.by_name.remove(&c.name);
                }
            }
            Prepared::Upsert {
                collection,
                id,
                point,
            } => {
                if let Some(c) = self.collections.get_mut(&collection) {
                    c.points.insert(id, point);
                }
            }
            Prepared::Delete { collection, id } => {
                if let Some(c) = self.collections.get_mut(&collection) {
                    c.points.remove(&id);
                }
            }
        }
    }

    pub fn collection(&self, name: &str) -> Result<&Collection> {
        self.by_name
            .get(name)
            .and_then(|id| self.collections.get(id))
            .ok_or_else(|| Error::UnknownCollection {
                name: name.to_owned(),
            })
    }

    /// The collection replicated under `id`, if it exists.
    pub fn collection_by_id(&self, id: u64) -> Option<&Collection> {
        self.collections.get(&id)
    }

    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    /// The id a locally created collection gets: one past the largest in use.
    pub fn next_collection_id(&self) -> u64 {
        self.collections.keys().next_back().map_or(1, |id| id + 1)
    }

    /// Ops that rebuild this exact state on an empty engine: collections by id, each followed by
    /// its points by id. Deterministic, so equal states give equal snapshots.
    pub fn snapshot_ops(&self) -> Vec<WalOp> {
        let mut ops = Vec::new();
        for c in self.collections.values() {
            ops.push(WalOp::CreateCollection {
                collection_id: c.id,
                name: c.name.clone(),
                descriptor: c.descriptor,
            });
            for (&id, p) in &c.points {
                ops.push(WalOp::Upsert {
                    collection_id: c.id,
                    external_id: id,
                    vector: vector_to_bytes(&p.vector),
                    payload: serde_json::to_vec(&p.payload)
                        .expect("a serde_json::Value always serialises"),
                });
            }
        }
        ops
    }
}
