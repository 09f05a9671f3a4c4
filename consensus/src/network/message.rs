//! The RPC messages a node serves: Raft's (append, vote, snapshot), the client API's, and the
//! raft-io peer frames.
//!
//! Every request travels in an `Envelope` with an id, and its reply carries the same id.
//! Variants are only ever added at the end: postcard numbers them by position, so the bytes of
//! every existing message stay as they were.

use openraft::error::{Fatal, InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{BasicNode, SnapshotMeta, Vote};
use serde::{Deserialize, Serialize};

use crate::api::{ClientReply, ClientRequest, ServerError};
use crate::type_config::{NodeId, TypeConfig};

/// A request to a node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    /// One chunk of a snapshot (openraft's chunked transport).
    InstallSnapshot(InstallSnapshotRequest<TypeConfig>),
    /// A whole snapshot in one frame (what this transport sends).
    FullSnapshot {
        vote: Vote<NodeId>,
        meta: SnapshotMeta<NodeId, BasicNode>,
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    Client(ClientRequest),
    /// raft-io messages for the receiving node, each encoded by `raft_io::codec` (a sender
    /// batches what queued up while its previous batch was in flight).
    RioFrames(Vec<Vec<u8>>),
}

/// The reply to a [`Request`] of the same kind.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    AppendEntries(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    InstallSnapshot(
        Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>,
    ),
    FullSnapshot(Result<SnapshotResponse<NodeId>, Fatal<NodeId>>),
    Client(Result<ClientReply, ServerError>),
    /// raft-io frames were handed to the receiving node (raft-io messages have no replies of
    /// their own at this layer: answers travel as frames the other way).
    RioAck,
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use faultline_engine::WalOp;
    use openraft::error::{InstallSnapshotError, RaftError, SnapshotMismatch};
    use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Membership, StoredMembership};

    use super::*;
    use crate::api::{JsonValue, Record, WriteRequest};
    use crate::network::frame::{decode_body, encode_frame};
    use crate::type_config::Command;

    fn round_trip<T: Serialize + serde::de::DeserializeOwned + std::fmt::Debug>(v: &T) -> T {
        let frame = encode_frame(v).expect("encodes");
        decode_body(&frame[4..]).expect("decodes")
    }

    fn lid(term: u64, index: u64) -> LogId<NodeId> {
        LogId::new(CommittedLeaderId::new(term, 1), index)
    }

    fn membership() -> Membership<NodeId, BasicNode> {
        let nodes: BTreeMap<NodeId, BasicNode> = (1..=3)
            .map(|i| (i, BasicNode::new(format!("10.0.0.{i}:7000"))))
            .collect();
        Membership::new(vec![BTreeSet::from([1, 2, 3])], nodes)
    }

    #[test]
    fn raft_requests_round_trip_in_postcard() {
        let entries = vec![
            Entry::<TypeConfig> {
                log_id: lid(1, 1),
                payload: EntryPayload::Blank,
            },
            Entry {
                log_id: lid(1, 2),
                payload: EntryPayload::Membership(membership()),
            },
            Entry {
                log_id: lid(1, 3),
                payload: EntryPayload::Normal(Command::new(
                    9,
                    WalOp::Upsert {
                        collection_id: 1,
                        external_id: 2,
                        vector: vec![0, 0, 128, 63],
                        payload: b"{}".to_vec(),
                    },
                )),
            },
        ];
        let req = Request::AppendEntries(AppendEntriesRequest {
            vote: Vote::new_committed(1, 1),
            prev_log_id: None,
            entries: entries.clone(),
            leader_commit: Some(lid(1, 1)),
        });
        match round_trip(&req) {
            Request::AppendEntries(r) => {
                assert_eq!(r.entries, entries);
                assert_eq!(r.leader_commit, Some(lid(1, 1)));
            }
            other => panic!("wrong variant {other:?}"),
        }
        let meta = SnapshotMeta {
            last_log_id: Some(lid(2, 10)),
            last_membership: StoredMembership::new(Some(lid(1, 2)), membership()),
            snapshot_id: "2-10-1".into(),
        };
        let snap = Request::FullSnapshot {
            vote: Vote::new_committed(2, 1),
            meta: meta.clone(),
            data: vec![1, 2, 3],
        };
        match round_trip(&snap) {
            Request::FullSnapshot { meta: m, data, .. } => {
                assert_eq!(m, meta);
                assert_eq!(data, vec![1, 2, 3]);
            }
            other => panic!("wrong variant {other:?}"),
        }
        let vote = Request::Vote(VoteRequest::new(Vote::new(3, 2), Some(lid(2, 10))));
        assert!(matches!(round_trip(&vote), Request::Vote(v) if v.vote == Vote::new(3, 2)));
    }

    #[test]
    fn replies_and_errors_round_trip_in_postcard() {
        let ok: Response = Response::AppendEntries(Ok(AppendEntriesResponse::Conflict));
        assert!(matches!(
            round_trip(&ok),
            Response::AppendEntries(Ok(AppendEntriesResponse::Conflict))
        ));
        let err: Response = Response::InstallSnapshot(Err(RaftError::APIError(
            InstallSnapshotError::SnapshotMismatch(SnapshotMismatch {
                expect: Default::default(),
                got: Default::default(),
            }),
        )));
        assert!(matches!(
            round_trip(&err),
            Response::InstallSnapshot(Err(_))
        ));
        let fatal: Response = Response::FullSnapshot(Err(Fatal::Stopped));
        assert!(matches!(
            round_trip(&fatal),
            Response::FullSnapshot(Err(Fatal::Stopped))
        ));

        let client = Request::Client(ClientRequest::Write {
            request_id: 1,
            request: WriteRequest::Upsert {
                collection: "c".into(),
                id: 4,
                vector: vec![1.5, -2.0],
                payload: JsonValue(serde_json::json!({"k": [1, "x", null]})),
            },
        });
        match round_trip(&client) {
            Request::Client(c) => match &client {
                Request::Client(orig) => assert_eq!(&c, orig),
                _ => unreachable!(),
            },
            other => panic!("wrong variant {other:?}"),
        }
        let reply = Response::Client(Ok(ClientReply::Record(Some(Record {
            id: 4,
            vector: vec![1.5],
            payload: JsonValue(serde_json::json!({"nested": {"a": 1.25}})),
        }))));
        match round_trip(&reply) {
            Response::Client(Ok(ClientReply::Record(Some(r)))) => {
                assert_eq!(r.payload.0["nested"]["a"], 1.25)
            }
            other => panic!("wrong variant {other:?}"),
        }
        let redirect = Response::Client(Err(ServerError::NotLeader {
            leader_id: Some(2),
            leader_addr: Some("10.0.0.2:7000".into()),
        }));
        assert!(matches!(
            round_trip(&redirect),
            Response::Client(Err(ServerError::NotLeader {
                leader_id: Some(2),
                ..
            }))
        ));
    }
}
