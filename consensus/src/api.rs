//! The client API's wire types: requests, replies and the values they carry.
//!
//! JSON payloads travel as JSON text ([`JsonValue`]) because the frame encoding (postcard) is
//! not self-describing and cannot decode a `serde_json::Value` directly.

use faultline_engine::{Database, Descriptor, Filter, SearchHit, SearchParams, WalOp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::type_config::{Applied, NodeId};

/// A JSON value that crosses the wire as JSON text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonValue(pub serde_json::Value);

impl Serialize for JsonValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(JsonValue)
            .map_err(serde::de::Error::custom)
    }
}

/// One stored record as a client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: u64,
    pub vector: Vec<f32>,
    pub payload: JsonValue,
}

impl Record {
    pub(crate) fn from_engine(id: u64, r: faultline_engine::Record) -> Record {
        Record {
            id,
            vector: r.vector,
            payload: JsonValue(r.payload),
        }
    }
}

/// A mutation as a client asks for it. The leader turns it into one engine `WalOp` (resolving
/// collection names to ids and assigning ids to new collections).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WriteRequest {
    CreateCollection {
        name: String,
        descriptor: Descriptor,
    },
    DropCollection {
        name: String,
    },
    Upsert {
        collection: String,
        id: u64,
        vector: Vec<f32>,
        payload: JsonValue,
    },
    Delete {
        collection: String,
        id: u64,
    },
}

impl WriteRequest {
    /// The engine op of a write other than a create, its collection names resolved against
    /// `engine` (the leader's replica, after the caller made it current). Both systems'
    /// leaders resolve writes here; a create takes a fresh id and is resolved by its caller.
    pub(crate) fn resolve(&self, engine: &Database) -> Result<WalOp, ServerError> {
        let id_of = |name: &str| {
            engine
                .collection_id(name)
                .map_err(|e| ServerError::Rejected(e.to_string()))
        };
        Ok(match self {
            WriteRequest::CreateCollection { .. } => {
                return Err(ServerError::Rejected(
                    "a create is not resolved against the local engine".into(),
                ));
            }
            WriteRequest::DropCollection { name } => WalOp::DropCollection {
                collection_id: id_of(name)?,
            },
            WriteRequest::Upsert {
                collection,
                id,
                vector,
                payload,
            } => WalOp::Upsert {
                collection_id: id_of(collection)?,
                external_id: *id,
                vector: faultline_engine::vector_to_bytes(vector),
                payload: serde_json::to_vec(&payload.0)
                    .map_err(|e| ServerError::Rejected(e.to_string()))?,
            },
            WriteRequest::Delete { collection, id } => WalOp::Delete {
                collection_id: id_of(collection)?,
                external_id: *id,
            },
        })
    }
}

/// The answer to a successful write: where it landed in the log and what the apply observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteResponse {
    pub log_index: u64,
    pub applied: Applied,
}

/// Keep only points whose JSON payload has `field == value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterSpec {
    pub field: String,
    pub value: JsonValue,
}

/// A kNN query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub query: Vec<f32>,
    pub k: usize,
    pub filter: Option<FilterSpec>,
    pub with_payload: bool,
    pub with_vector: bool,
}

impl SearchRequest {
    pub(crate) fn to_engine(&self) -> SearchParams {
        SearchParams {
            k: self.k,
            filter: self.filter.as_ref().map(|f| Filter {
                field: f.field.clone(),
                value: f.value.0.clone(),
            }),
            with_payload: self.with_payload,
            with_vector: self.with_vector,
        }
    }
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    pub payload: Option<JsonValue>,
    pub vector: Option<Vec<f32>>,
}

impl From<SearchHit> for Hit {
    fn from(h: SearchHit) -> Hit {
        Hit {
            id: h.id,
            score: h.score,
            payload: h.payload.map(JsonValue),
            vector: h.vector,
        }
    }
}

/// A client RPC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientRequest {
    Write {
        request_id: u64,
        request: WriteRequest,
    },
    Read {
        collection: String,
        id: u64,
    },
    Search {
        collection: String,
        request: SearchRequest,
    },
    AddVoter {
        id: NodeId,
        addr: String,
    },
    RemoveVoter {
        id: NodeId,
    },
}

/// A successful client RPC's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientReply {
    Written(WriteResponse),
    Record(Option<Record>),
    Hits(Vec<Hit>),
    MembershipChanged { log_index: u64 },
}

/// A failed client RPC, as the serving node classifies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ServerError {
    /// This node is not the leader; nothing was proposed. Retry at the leader, if known.
    #[error("not the leader (leader: {leader_id:?} at {leader_addr:?})")]
    NotLeader {
        leader_id: Option<NodeId>,
        leader_addr: Option<String>,
    },
    /// Refused before proposal, or refused by the apply on every replica: no effect.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The node could not serve the call and proposed nothing (shutting down, not initialised …).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request was proposed but its outcome is unknown (the node failed while waiting).
    #[error("outcome unknown: {0}")]
    Uncertain(String),
}
