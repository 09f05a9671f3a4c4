//! The bare reference's transport: openraft's `RaftNetworkFactory` / `RaftNetwork` over
//! madsim's simulated network, with madsim's RPC helpers on one `Endpoint` per node. Every
//! message travels postcard-encoded in a [`Wire`] request and every answer postcard-encoded
//! back; one handler per node serves Raft's calls and the client's writes. Calls are bounded
//! by the smaller of openraft's TTL and [`RPC_TIMEOUT`]; a timeout or a transport error is a
//! network error openraft retries on its next heartbeat.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use madsim::net::Endpoint;
use openraft::error::{
    Fatal, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, ReplicationClosed,
    StreamingError, Timeout,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{BasicNode, OptionalSend, RPCTypes, Snapshot, SnapshotMeta, Vote};
use serde::{Deserialize, Serialize};

use super::types::{BareConfig, NodeId, Raft};

/// Bound on every Raft RPC (the standard campaign's world uses the same).
pub const RPC_TIMEOUT: Duration = Duration::from_millis(500);

/// The one madsim RPC a bare node serves: a postcard-encoded [`Msg`], answered with a
/// postcard-encoded [`Reply`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Wire(pub Vec<u8>);

impl madsim::net::rpc::Request for Wire {
    type Response = Vec<u8>;
    const ID: u64 = madsim::net::rpc::hash_str("faultline-bench-bare-wire");
}

/// A request to a node.
#[derive(Debug, Serialize, Deserialize)]
pub enum Msg {
    Append(AppendEntriesRequest<BareConfig>),
    Vote(VoteRequest<NodeId>),
    /// A whole (empty) snapshot in one message.
    Snapshot {
        vote: Vote<NodeId>,
        meta: SnapshotMeta<NodeId, BasicNode>,
    },
    /// A client write of one value.
    Write(u64),
}

/// The answer to a [`Msg`] of the same kind.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    Append(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    Snapshot(Result<SnapshotResponse<NodeId>, Fatal<NodeId>>),
    /// The log index the write committed at, or the error: `Some(leader)` to go to the leader,
    /// `None` when no leader is known or the write failed otherwise.
    Write(Result<u64, Option<NodeId>>),
}

/// Sends `msg` to `to` and waits at most `limit` for its answer.
/// A timeout is an error of kind `TimedOut`.
pub async fn call(ep: &Endpoint, to: SocketAddr, msg: &Msg, limit: Duration) -> io::Result<Reply> {
    let bytes = postcard::to_allocvec(msg).map_err(io::Error::other)?;
    let answer = ep.call_timeout(to, Wire(bytes), limit).await?;
    postcard::from_bytes(&answer).map_err(io::Error::other)
}

/// Serves `raft` on `ep`: Raft's calls and client writes.
pub fn serve(ep: &Endpoint, raft: Raft) {
    ep.add_rpc_handler(move |Wire(bytes): Wire| {
        let raft = raft.clone();
        async move {
            let msg: Msg = postcard::from_bytes(&bytes).expect("bare nodes only send Msg");
            let reply = answer(&raft, msg).await;
            postcard::to_allocvec(&reply).expect("every Reply encodes")
        }
    });
}

async fn answer(raft: &Raft, msg: Msg) -> Reply {
    match msg {
        Msg::Append(rpc) => Reply::Append(raft.append_entries(rpc).await),
        Msg::Vote(rpc) => Reply::Vote(raft.vote(rpc).await),
        Msg::Snapshot { vote, meta } => {
            let snapshot = Snapshot {
                meta,
                snapshot: Box::new(std::io::Cursor::new(Vec::new())),
            };
            Reply::Snapshot(raft.install_full_snapshot(vote, snapshot).await)
        }
        Msg::Write(value) => Reply::Write(match raft.client_write(value).await {
            Ok(r) => Ok(r.log_id.index),
            Err(e) => Err(e.forward_to_leader::<BasicNode>().and_then(|f| f.leader_id)),
        }),
    }
}

/// Makes a [`Peer`] for each target openraft talks to, all on this node's endpoint.
#[derive(Clone)]
pub struct Peers {
    id: NodeId,
    ep: Endpoint,
}

impl Peers {
    pub fn new(id: NodeId, ep: Endpoint) -> Self {
        Peers { id, ep }
    }
}

impl RaftNetworkFactory<BareConfig> for Peers {
    type Network = Peer;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Peer {
        Peer {
            id: self.id,
            target,
            addr: node.addr.parse().expect("bare nodes have socket addresses"),
            ep: self.ep.clone(),
        }
    }
}

/// The RPC client for one target node.
pub struct Peer {
    id: NodeId,
    target: NodeId,
    addr: SocketAddr,
    ep: Endpoint,
}

impl Peer {
    /// Calls the target; a failed or mismatched call is an `RPCError` (timeout or network).
    async fn rpc<E: std::error::Error>(
        &self,
        msg: Msg,
        action: RPCTypes,
        option: &RPCOption,
    ) -> Result<Reply, RPCError<NodeId, BasicNode, E>> {
        let limit = option.hard_ttl().min(RPC_TIMEOUT);
        call(&self.ep, self.addr, &msg, limit).await.map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut {
                RPCError::Timeout(Timeout {
                    action,
                    id: self.id,
                    target: self.target,
                    timeout: limit,
                })
            } else {
                RPCError::Network(NetworkError::new(&e))
            }
        })
    }
}

fn mismatched<E: std::error::Error>(kind: &str) -> RPCError<NodeId, BasicNode, E> {
    let e = io::Error::other(format!("a {kind} request got another kind of reply"));
    RPCError::Network(NetworkError::new(&e))
}

impl RaftNetwork<BareConfig> for Peer {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<BareConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        match self
            .rpc(Msg::Append(rpc), RPCTypes::AppendEntries, &option)
            .await?
        {
            Reply::Append(r) => r.map_err(|e| RemoteError::new(self.target, e).into()),
            _ => Err(mismatched("append")),
        }
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<BareConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>,
    > {
        // Snapshots go whole (`full_snapshot`); openraft's chunked transport is not used.
        Err(mismatched("chunked snapshot"))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        match self.rpc(Msg::Vote(rpc), RPCTypes::Vote, &option).await? {
            Reply::Vote(r) => r.map_err(|e| RemoteError::new(self.target, e).into()),
            _ => Err(mismatched("vote")),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<BareConfig>,
        _cancel: impl std::future::Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<BareConfig, Fatal<NodeId>>> {
        let msg = Msg::Snapshot {
            vote,
            meta: snapshot.meta,
        };
        let reply = self
            .rpc::<Fatal<NodeId>>(msg, RPCTypes::InstallSnapshot, &option)
            .await
            .map_err(|e| match e {
                RPCError::Timeout(t) => StreamingError::Timeout(t),
                other => StreamingError::Network(NetworkError::new(&other)),
            })?;
        match reply {
            Reply::Snapshot(r) => {
                r.map_err(|e| StreamingError::RemoteError(RemoteError::new(self.target, e)))
            }
            _ => Err(StreamingError::Network(NetworkError::new(
                &io::Error::other("a snapshot request got another kind of reply"),
            ))),
        }
    }
}
