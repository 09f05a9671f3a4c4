//! openraft's `RaftNetworkFactory` / `RaftNetwork` over the node's TCP transport.
//!
//! One [`PeerClient`] per replication stream or vote round, each with its own lazily opened
//! [`Connection`]. Every call is bounded: append and vote by the smaller of openraft's
//! `RPCOption` hard TTL and the node's `rpc_timeout`, snapshots by openraft's snapshot TTL.
//! A failed call drops its connection; the next call reconnects. Snapshots go in one frame
//! (`FullSnapshot`) rather than openraft's chunked protocol: the receiver then installs them
//! with `Raft::install_full_snapshot` and keeps no half-received state across calls.

use std::net::SocketAddr;
use std::time::Duration;

use openraft::error::{
    Fatal, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, ReplicationClosed,
    StreamingError, Timeout,
};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::{
    BasicNode, OptionalSend, RPCTypes, RaftNetwork, RaftNetworkFactory, Snapshot, Vote,
};

use super::client_conn::{CallError, Connection};
use super::message::{Request, Response};
use crate::observe::Reporter;
use crate::type_config::{NodeId, TypeConfig};

/// Builds a [`PeerClient`] for each target openraft talks to.
#[derive(Debug, Clone)]
pub struct NetworkFactory {
    id: NodeId,
    rpc_timeout: Duration,
    reporter: Reporter,
    /// Every peer's address as openraft last named it (planted `peer-addr-mixup` misuses it).
    #[cfg_attr(not(feature = "planted-bugs"), allow(dead_code))]
    peers: std::collections::BTreeMap<NodeId, String>,
}

impl NetworkFactory {
    pub fn new(id: NodeId, rpc_timeout: Duration, reporter: Reporter) -> NetworkFactory {
        NetworkFactory {
            id,
            rpc_timeout,
            reporter,
            peers: std::collections::BTreeMap::new(),
        }
    }

    /// The address to dial for `target`: the one openraft gave, except under the planted
    /// `peer-addr-mixup`, where the highest peer gets the address of the peer below it.
    fn address(&mut self, target: NodeId, node: &BasicNode) -> String {
        self.peers.insert(target, node.addr.clone());
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(PeerAddrMixup)
            && self.peers.keys().next_back() == Some(&target)
            && let Some((_, addr)) = self
                .peers
                .range(..target)
                .rev()
                .find(|(id, _)| **id != self.id)
        {
            return addr.clone();
        }
        node.addr.clone()
    }
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerClient;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> PeerClient {
        let addr = self.address(target, node);
        PeerClient {
            id: self.id,
            target,
            addr: addr.parse().map_err(|e: std::net::AddrParseError| {
                format!("node {target} has an unusable address {addr:?}: {e}")
            }),
            conn: None,
            rpc_timeout: self.rpc_timeout,
            reporter: self.reporter.clone(),
        }
    }
}

/// The RPC client for one target node.
#[derive(Debug)]
pub struct PeerClient {
    id: NodeId,
    target: NodeId,
    addr: Result<SocketAddr, String>,
    conn: Option<Connection>,
    rpc_timeout: Duration,
    reporter: Reporter,
}

/// A transport failure, before it is shaped into the error type of the openraft call.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    BadAddress(String),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("peer answered a {0} request with a different kind of reply")]
    WrongReply(&'static str),
}

impl PeerClient {
    async fn call(&mut self, req: Request, limit: Duration) -> Result<Response, Failure> {
        let addr = self.addr.clone().map_err(Failure::BadAddress)?;
        let conn = self.conn.get_or_insert_with(|| Connection::new(addr));
        let reply = conn.call(&req, limit).await;
        self.reporter.wire(conn.last_sent());
        Ok(reply?)
    }

    fn rpc_error<E: std::error::Error>(
        &self,
        f: Failure,
        action: RPCTypes,
        limit: Duration,
    ) -> RPCError<NodeId, BasicNode, E> {
        match f {
            // Not `Unreachable`: openraft answers that with a back-off loop whose `select!` is
            // unbiased (tie-broken by a process-wide-seeded RNG), which breaks bit-for-bit
            // replay. A network error is retried on the next heartbeat instead.
            Failure::BadAddress(_) | Failure::Call(CallError::NotSent { .. }) => {
                RPCError::Network(NetworkError::new(&f))
            }
            Failure::Call(CallError::Timeout { .. }) => RPCError::Timeout(Timeout {
                action,
                id: self.id,
                target: self.target,
                timeout: limit,
            }),
            Failure::Call(CallError::Broken { .. }) | Failure::WrongReply(_) => {
                RPCError::Network(NetworkError::new(&f))
            }
        }
    }

    fn bounded(&self, option: &RPCOption) -> Duration {
        option.hard_ttl().min(self.rpc_timeout)
    }
}

impl RaftNetwork<TypeConfig> for PeerClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        let limit = self.bounded(&option);
        #[cfg(feature = "planted-bugs")]
        let rpc = if faultline_engine::planted!(WireLossyVector) {
            crate::planted::lossy_vectors(rpc)
        } else {
            rpc
        };
        match self.call(Request::AppendEntries(rpc), limit).await {
            Ok(Response::AppendEntries(r)) => {
                r.map_err(|e| RemoteError::new(self.target, e).into())
            }
            Ok(_) => Err(self.rpc_error(
                Failure::WrongReply("append"),
                RPCTypes::AppendEntries,
                limit,
            )),
            Err(f) => Err(self.rpc_error(f, RPCTypes::AppendEntries, limit)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>,
    > {
        let limit = option.hard_ttl();
        match self.call(Request::InstallSnapshot(rpc), limit).await {
            Ok(Response::InstallSnapshot(r)) => {
                r.map_err(|e| RemoteError::new(self.target, e).into())
            }
            Ok(_) => Err(self.rpc_error(
                Failure::WrongReply("snapshot"),
                RPCTypes::InstallSnapshot,
                limit,
            )),
            Err(f) => Err(self.rpc_error(f, RPCTypes::InstallSnapshot, limit)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        let limit = self.bounded(&option);
        match self.call(Request::Vote(rpc), limit).await {
            Ok(Response::Vote(r)) => r.map_err(|e| RemoteError::new(self.target, e).into()),
            Ok(_) => Err(self.rpc_error(Failure::WrongReply("vote"), RPCTypes::Vote, limit)),
            Err(f) => Err(self.rpc_error(f, RPCTypes::Vote, limit)),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote<NodeId>,
        snapshot: Snapshot<TypeConfig>,
        cancel: impl std::future::Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<NodeId>, StreamingError<TypeConfig, Fatal<NodeId>>> {
        let limit = option.hard_ttl();
        let req = Request::FullSnapshot {
            vote,
            meta: snapshot.meta,
            data: snapshot.snapshot.into_inner(),
        };
        let res = tokio::select! {
            // Cancellation first: a closed replication stream must not wait out the transfer.
            biased;
            closed = cancel => return Err(StreamingError::Closed(closed)),
            res = self.call(req, limit) => res,
        };
        let rpc_err = |s: &Self, f: Failure| -> StreamingError<TypeConfig, Fatal<NodeId>> {
            match s.rpc_error::<Fatal<NodeId>>(f, RPCTypes::InstallSnapshot, limit) {
                RPCError::Timeout(t) => StreamingError::Timeout(t),
                RPCError::Unreachable(u) => StreamingError::Unreachable(u),
                RPCError::Network(n) => StreamingError::Network(n),
                other => StreamingError::Network(NetworkError::new(&other)),
            }
        };
        match res {
            Ok(Response::FullSnapshot(r)) => {
                r.map_err(|e| StreamingError::RemoteError(RemoteError::new(self.target, e)))
            }
            Ok(_) => Err(rpc_err(self, Failure::WrongReply("full snapshot"))),
            Err(f) => Err(rpc_err(self, f)),
        }
    }
}
