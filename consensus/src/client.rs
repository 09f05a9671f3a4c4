//! The cluster client: talks to nodes over TCP, follows leader redirects, bounds every call.
//!
//! Each call has one deadline (the client's timeout). Within it the client tries the known
//! leader, follows `NotLeader` redirects and moves on from nodes it cannot reach. The error it
//! returns says whether the call surely had no effect ([`ClientError::Definite`]: no request
//! reached a node that might have proposed it; [`ClientError::Rejected`]: the cluster refused
//! it) or may have
//! ([`ClientError::Indeterminate`]). A mutation is never re-sent after an attempt whose outcome
//! is unknown, so one call applies at most once.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::api::{
    ClientReply, ClientRequest, Hit, Record, SearchRequest, ServerError, WriteRequest,
    WriteResponse,
};
use crate::error::ClientError;
use crate::network::client_conn::Connection;
use crate::network::message::{Request, Response};
use crate::runtime;
use crate::type_config::NodeId;

/// A client of the cluster.
#[derive(Debug)]
pub struct Client {
    members: BTreeMap<NodeId, SocketAddr>,
    conns: BTreeMap<SocketAddr, Connection>,
    leader: Option<SocketAddr>,
    /// Position in `members` for the next blind attempt when no leader is known.
    cursor: usize,
    timeout: Duration,
    client_id: u64,
    next_seq: u64,
}

/// Whether retrying a call after an unknown outcome could apply it twice.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    Idempotent,
    AtMostOnce,
}

impl Client {
    pub fn new(members: BTreeMap<NodeId, SocketAddr>, timeout: Duration) -> Client {
        Client::with_id(members, timeout, 0)
    }

    /// A client whose request ids are `client_id << 32 | seq`, so ids from different clients
    /// never collide in the log.
    pub fn with_id(
        members: BTreeMap<NodeId, SocketAddr>,
        timeout: Duration,
        client_id: u64,
    ) -> Client {
        Client {
            members,
            conns: BTreeMap::new(),
            leader: None,
            cursor: 0,
            timeout,
            client_id,
            next_seq: 0,
        }
    }

    /// The node the client currently believes leads.
    pub fn leader_hint(&self) -> Option<SocketAddr> {
        self.leader
    }

    pub async fn write(&mut self, req: WriteRequest) -> Result<WriteResponse, ClientError> {
        self.next_seq += 1;
        let request_id = (self.client_id << 32) | (self.next_seq & 0xffff_ffff);
        let req = ClientRequest::Write {
            request_id,
            request: req,
        };
        match self.call(req, Retry::AtMostOnce).await? {
            ClientReply::Written(w) => Ok(w),
            other => Err(unexpected(&other)),
        }
    }

    /// Linearizable read (ReadIndex on the leader).
    pub async fn read(&mut self, collection: &str, id: u64) -> Result<Option<Record>, ClientError> {
        let req = ClientRequest::Read {
            collection: collection.to_string(),
            id,
        };
        match self.call(req, Retry::Idempotent).await? {
            ClientReply::Record(r) => Ok(r),
            other => Err(unexpected(&other)),
        }
    }

    /// Linearizable kNN search.
    pub async fn search(
        &mut self,
        collection: &str,
        params: SearchRequest,
    ) -> Result<Vec<Hit>, ClientError> {
        let req = ClientRequest::Search {
            collection: collection.to_string(),
            request: params,
        };
        match self.call(req, Retry::Idempotent).await? {
            ClientReply::Hits(h) => Ok(h),
            other => Err(unexpected(&other)),
        }
    }

    /// Add a voter: learner first, wait for it to catch up, then promote.
    pub async fn add_voter(&mut self, id: NodeId, addr: SocketAddr) -> Result<(), ClientError> {
        let req = ClientRequest::AddVoter {
            id,
            addr: addr.to_string(),
        };
        self.members.insert(id, addr);
        self.call(req, Retry::AtMostOnce).await.map(|_| ())
    }

    pub async fn remove_voter(&mut self, id: NodeId) -> Result<(), ClientError> {
        self.call(ClientRequest::RemoveVoter { id }, Retry::AtMostOnce)
            .await
            .map(|_| ())
    }

    /// The next node to try when no leader is known: members in id order, round robin.
    fn next_blind_target(&mut self) -> Option<SocketAddr> {
        let n = self.members.len();
        if n == 0 {
            return None;
        }
        let addr = self.members.values().nth(self.cursor % n).copied();
        self.cursor = (self.cursor + 1) % n;
        addr
    }

    async fn call(&mut self, req: ClientRequest, retry: Retry) -> Result<ClientReply, ClientError> {
        let deadline = runtime::now() + self.timeout;
        let pause = (self.timeout / 20).clamp(Duration::from_millis(5), Duration::from_millis(100));
        let request = Request::Client(req);
        // Whether some attempt may have reached a node able to act on it.
        let mut maybe_sent = false;
        let mut last = String::from("no member to contact");
        loop {
            let remaining = deadline.saturating_duration_since(runtime::now());
            if remaining.is_zero() {
                let msg = format!("gave up after {:?}: {last}", self.timeout);
                return Err(if maybe_sent {
                    ClientError::Indeterminate(msg)
                } else {
                    ClientError::Definite(msg)
                });
            }
            let Some(target) = self.leader.or_else(|| self.next_blind_target()) else {
                return Err(ClientError::Definite(last));
            };
            let conn = self
                .conns
                .entry(target)
                .or_insert_with(|| Connection::new(target));
            let mut backoff = false;
            match conn.call::<_, Response>(&request, remaining).await {
                Ok(Response::Client(Ok(reply))) => {
                    self.leader = Some(target);
                    return Ok(reply);
                }
                Ok(Response::Client(Err(e))) => {
                    last = format!("{target}: {e}");
                    match e {
                        ServerError::NotLeader { leader_addr, .. } => {
                            let hint = leader_addr.and_then(|a| a.parse().ok());
                            // A node naming itself while refusing is mid-transition: wait.
                            backoff = hint.is_none() || hint == Some(target);
                            self.leader = hint.filter(|&h| h != target);
                        }
                        ServerError::Rejected(m) => return Err(ClientError::Rejected(m)),
                        ServerError::Unavailable(_) => {
                            self.leader = None;
                            backoff = true;
                        }
                        ServerError::Uncertain(m) => {
                            if retry == Retry::AtMostOnce {
                                return Err(ClientError::Indeterminate(m));
                            }
                            maybe_sent = true;
                            self.leader = None;
                            backoff = true;
                        }
                    }
                }
                Ok(_) => {
                    last = format!("{target}: reply of the wrong kind");
                    if retry == Retry::AtMostOnce {
                        return Err(ClientError::Indeterminate(last));
                    }
                    self.leader = None;
                }
                Err(e) if e.is_not_sent() => {
                    last = e.to_string();
                    self.leader = None;
                    backoff = true;
                }
                Err(e) => {
                    last = e.to_string();
                    if retry == Retry::AtMostOnce {
                        return Err(ClientError::Indeterminate(last));
                    }
                    maybe_sent = true;
                    self.leader = None;
                }
            }
            if backoff {
                let remaining = deadline.saturating_duration_since(runtime::now());
                tokio::time::sleep(pause.min(remaining)).await;
            }
        }
    }
}

fn unexpected(reply: &ClientReply) -> ClientError {
    ClientError::Indeterminate(format!("unexpected reply {reply:?}"))
}
