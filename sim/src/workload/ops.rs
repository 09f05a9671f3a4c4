//! The workload's requests and how they map to the history vocabulary: the one register
//! collection, keys `"<collection>/<id>"`, upserts whose payload `{"v": "<value>"}` names the
//! write, deletes, linearizable reads, searches and collection creation.

use faultline_consensus::{JsonValue, SearchRequest, WriteRequest};
use faultline_engine::{Descriptor, Metric};

use crate::history::Call;

/// The collection every register operation addresses; created before the workload starts.
pub const COLLECTION: &str = "registers";

/// Vector dimension of every collection the workload creates: a common embedding size (SIFT
/// descriptors have 128), so a WAL record spans 512-byte sectors as real ones do, and a torn
/// write can keep a record's header and lose part of its body.
pub const DIM: u32 = 128;

/// The history key of point `id` of `collection`.
pub fn key_name(collection: &str, id: u64) -> String {
    format!("{collection}/{id}")
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

/// An upsert of `value` to point `id`, and its history call. The vector is derived from the
/// key and the client's sequence number so searches have something to rank.
pub fn upsert(id: u64, value: &str, seq: u64) -> (WriteRequest, Call) {
    let mut vector = vec![id as f32, (seq % 1000) as f32];
    vector.extend((2..u64::from(DIM)).map(|i| ((id * 31 + seq * 7 + i) % 97) as f32 / 97.0));
    let req = WriteRequest::Upsert {
        collection: COLLECTION.to_string(),
        id,
        vector,
        payload: JsonValue(serde_json::json!({ "v": value })),
    };
    let call = Call::Write {
        key: Some(key_name(COLLECTION, id)),
        value: value.to_string(),
    };
    (req, call)
}

pub fn delete(id: u64) -> (WriteRequest, Call) {
    let req = WriteRequest::Delete {
        collection: COLLECTION.to_string(),
        id,
    };
    let call = Call::Delete {
        key: Some(key_name(COLLECTION, id)),
    };
    (req, call)
}

pub fn read_call(id: u64) -> Call {
    Call::Read {
        key: Some(key_name(COLLECTION, id)),
    }
}

pub fn search(id: u64) -> SearchRequest {
    SearchRequest {
        query: std::iter::once(id as f32)
            .chain(std::iter::repeat_n(0.0, DIM as usize - 1))
            .collect(),
        k: 3,
        filter: None,
        with_payload: true,
        with_vector: false,
    }
}

/// The register value a stored payload holds: its `"v"` string, or (for a payload no workload
/// write produced) the payload's JSON text, which the checkers then report as a phantom.
pub fn value_of(payload: &serde_json::Value) -> String {
    match payload.get("v").and_then(serde_json::Value::as_str) {
        Some(v) => v.to_string(),
        None => payload.to_string(),
    }
}
