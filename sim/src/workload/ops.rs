//! The workload's requests and how they map to the history vocabulary: the one register
//! collection, keys `"<collection>/<id>"`, upserts whose payload `{"v": "<value>", "g": <group>}`
//! names the write, deletes, linearizable reads, searches and collection creation.
//!
//! A record's register value is its payload's `"v"` string followed by a digest of the whole
//! record (vector bytes and payload): `"c3-17#9f86d081884c7d65"`. Writes write that value and
//! reads, replicas and probes report it, so every checker that compares values compares whole
//! records: a replica or a read with a corrupted vector or payload shows a value no write wrote.

use faultline_consensus::{FilterSpec, JsonValue, SearchRequest, WriteRequest};
use faultline_engine::fnv::Fnv1a;
use faultline_engine::{Descriptor, Metric, vector_to_bytes};

use crate::check::knn::{RecordData, SearchCall};
use crate::history::Call;

/// The collection every register operation addresses; created before the workload starts.
pub const COLLECTION: &str = "registers";

/// Vector dimension of every collection the workload creates: a common embedding size (SIFT
/// descriptors have 128), so a WAL record spans 512-byte sectors as real ones do, and a torn
/// write can keep a record's header and lose part of its body.
pub const DIM: u32 = 128;

/// Payload groups: searches sometimes filter on one (`"g"`).
const GROUPS: u64 = 3;

/// Hits a search asks for.
pub const SEARCH_K: usize = 3;

/// The history key of point `id` of `collection`.
pub fn key_name(collection: &str, id: u64) -> String {
    format!("{collection}/{id}")
}

/// The history key of point `id` of the register collection.
pub fn register_key(id: u64) -> String {
    key_name(COLLECTION, id)
}

pub fn create(name: &str) -> WriteRequest {
    WriteRequest::CreateCollection {
        name: name.to_string(),
        descriptor: Descriptor {
            dim: DIM,
            metric: Metric::L2,
        },
    }
}

/// The register value of a record: its `"v"` (or, for a payload no workload write produced,
/// the payload's JSON text) and the digest of its vector bytes and canonical payload.
pub fn record_value(r: &RecordData) -> String {
    let name = match r.payload.get("v").and_then(serde_json::Value::as_str) {
        Some(v) => v.to_string(),
        None => r.payload.to_string(),
    };
    let mut h = Fnv1a::new();
    h.write(&vector_to_bytes(&r.vector));
    // serde_json's maps are ordered by key, so the text is canonical.
    h.write(r.payload.to_string().as_bytes());
    format!("{name}#{:016x}", h.finish())
}

/// An upsert of `value` to point `id`, its history call and the record it writes. The vector
/// is derived from the key and the client's sequence number so searches have something to
/// rank.
pub fn upsert(id: u64, value: &str, seq: u64) -> (WriteRequest, Call, RecordData) {
    let mut vector = vec![id as f32, (seq % 1000) as f32];
    vector.extend((2..u64::from(DIM)).map(|i| ((id * 31 + seq * 7 + i) % 97) as f32 / 97.0));
    let record = RecordData {
        vector,
        payload: serde_json::json!({ "v": value, "g": seq % GROUPS }),
    };
    let req = WriteRequest::Upsert {
        collection: COLLECTION.to_string(),
        id,
        vector: record.vector.clone(),
        payload: JsonValue(record.payload.clone()),
    };
    let call = Call::Write {
        key: Some(register_key(id)),
        value: record_value(&record),
    };
    (req, call, record)
}

pub fn delete(id: u64) -> (WriteRequest, Call) {
    let req = WriteRequest::Delete {
        collection: COLLECTION.to_string(),
        id,
    };
    let call = Call::Delete {
        key: Some(register_key(id)),
    };
    (req, call)
}

pub fn read_call(id: u64) -> Call {
    Call::Read {
        key: Some(register_key(id)),
    }
}

/// A search near point `id`'s first axis; every third one keeps only payload group `seq % 3`.
pub fn search(id: u64, seq: u64) -> (SearchRequest, SearchCall) {
    let query: Vec<f32> = std::iter::once(id as f32)
        .chain(std::iter::repeat_n(0.0, DIM as usize - 1))
        .collect();
    let filter = seq
        .is_multiple_of(3)
        .then(|| ("g".to_string(), serde_json::json!(seq % GROUPS)));
    let req = SearchRequest {
        query: query.clone(),
        k: SEARCH_K,
        filter: filter.as_ref().map(|(field, value)| FilterSpec {
            field: field.clone(),
            value: JsonValue(value.clone()),
        }),
        with_payload: true,
        with_vector: true,
    };
    (
        req,
        SearchCall {
            query,
            k: SEARCH_K,
            filter,
        },
    )
}
