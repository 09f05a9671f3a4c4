//! Client operations the world scenarios issue, and the single-node reference engine their
//! results are compared with.

use std::sync::Arc;
use std::time::Duration;

use faultline_consensus::{ClientError, EngineProbe, JsonValue, WriteRequest, WriteResponse};
use faultline_engine::vfs::SimVfs;
use faultline_engine::{Database, Descriptor, Metric, WalOp};
use faultline_sim::world::{World, WorldClient};

/// The one collection the scenarios write to.
pub const COLL: &str = "points";
const DIM: u32 = 2;

pub fn create_collection() -> WriteRequest {
    WriteRequest::CreateCollection {
        name: COLL.to_string(),
        descriptor: Descriptor {
            dim: DIM,
            metric: Metric::L2,
        },
    }
}

/// The vector that encodes `(key, value)`; values are unique per write so reads identify it.
pub fn vector(key: u64, value: u64) -> Vec<f32> {
    vec![key as f32, value as f32]
}

pub fn payload(value: u64) -> JsonValue {
    JsonValue(serde_json::json!({ "v": value }))
}

pub fn upsert(key: u64, value: u64) -> WriteRequest {
    WriteRequest::Upsert {
        collection: COLL.to_string(),
        id: key,
        vector: vector(key, value),
        payload: payload(value),
    }
}

pub fn delete(key: u64) -> WriteRequest {
    WriteRequest::Delete {
        collection: COLL.to_string(),
        id: key,
    }
}

/// Writes until the cluster acknowledges (an idempotent request may be retried after an
/// indeterminate failure: applying it twice leaves the same state). Panics after `tries`.
pub async fn write_acked(
    world: &World,
    client: &WorldClient,
    req: WriteRequest,
    tries: u32,
) -> WriteResponse {
    let mut last = None;
    for _ in 0..tries {
        match client.write(req.clone()).await {
            Ok(r) => return r,
            Err(e) => last = Some(e),
        }
        world.sleep(Duration::from_millis(200)).await;
    }
    panic!("write {req:?} never acknowledged; last error {last:?}");
}

/// Reads `key` through the cluster (linearizable), retrying transient failures.
pub async fn read_value(world: &World, client: &WorldClient, key: u64, tries: u32) -> Option<u64> {
    let mut last: Option<ClientError> = None;
    for _ in 0..tries {
        match client.read(COLL, key).await {
            Ok(r) => return r.map(|rec| value_of(&rec.payload.0)),
            Err(e) => last = Some(e),
        }
        world.sleep(Duration::from_millis(200)).await;
    }
    panic!("read of {key} never answered; last error {last:?}");
}

pub fn value_of(payload: &serde_json::Value) -> u64 {
    payload
        .get("v")
        .and_then(|v| v.as_u64())
        .unwrap_or_else(|| panic!("payload {payload} has no value"))
}

/// A single-node engine fed the same acknowledged operations, in order.
pub struct Reference {
    db: Database,
}

impl Reference {
    pub fn new() -> Self {
        let db = Database::open(Arc::new(SimVfs::new(0)), "/reference").expect("open reference");
        Reference { db }
    }

    pub fn apply(&mut self, req: &WriteRequest) {
        match req {
            WriteRequest::CreateCollection { name, descriptor } => {
                self.db
                    .create_collection(name, *descriptor)
                    .expect("create");
            }
            WriteRequest::Upsert {
                collection,
                id,
                vector,
                payload,
            } => {
                self.db
                    .upsert(collection, *id, vector, payload.0.clone())
                    .expect("upsert");
            }
            WriteRequest::Delete { collection, id } => {
                self.db.delete(collection, *id).expect("delete");
            }
            other => panic!("the reference does not model {other:?}"),
        }
    }

    pub fn value(&self, key: u64) -> Option<u64> {
        self.db
            .get(COLL, key)
            .expect("reference get")
            .map(|r| value_of(&r.payload))
    }

    /// The reference state as replication ops (for equality with a replica).
    pub fn ops(&self) -> Vec<WalOp> {
        self.db.replication_snapshot()
    }
}

/// The value of every key in `0..keys` in a replica's engine state.
pub fn values_in(state: &EngineProbe, keys: u64) -> Vec<Option<u64>> {
    let mut db = Database::open(Arc::new(SimVfs::new(0)), "/replica").expect("open replica");
    db.restore(state.ops.clone())
        .expect("restore a replica's state");
    (0..keys)
        .map(|k| match db.get(COLL, k) {
            Ok(r) => r.map(|r| value_of(&r.payload)),
            Err(_) => None,
        })
        .collect()
}

/// The reference's value of every key in `0..keys`.
pub fn reference_values(reference: &Reference, keys: u64) -> Vec<Option<u64>> {
    (0..keys).map(|k| reference.value(k)).collect()
}
