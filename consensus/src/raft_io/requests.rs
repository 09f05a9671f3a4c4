//! Client requests a raft-io node holds while raft-io works on them, and how each one ends.
//!
//! The semantics are the openraft node's (`service.rs`), so one client and one history
//! recorder serve both systems:
//! - a write is answered when the entry it proposed at `(term, index)` is applied here; if a
//!   different entry is applied at that index (or raft-io's applied index passes it without
//!   applying it: a configuration entry took its place) it can never apply, a definite
//!   `NotLeader`; if a snapshot covers it, or it waits past the request timeout, `Uncertain`;
//! - a read (and a write that must first see the applied state: creates, and writes naming a
//!   collection this node does not know yet) waits for raft-io's `ReadReady`; raft-io drops a
//!   read silently when the leader steps down, so any change of role or term answers it
//!   `NotLeader`, and a timeout `Unavailable` (a read has no effect);
//! - a membership change is answered when its configuration entry commits (raft-io never
//!   applies configuration entries, so the commit index decides), an add as learner first and
//!   then a promotion, as the openraft node adds a learner before it makes it a voter.

use std::collections::BTreeMap;

use faultline_engine::WalOp;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::state::RioState;
use crate::api::{ClientReply, Record, SearchRequest, ServerError, WriteRequest, WriteResponse};
use crate::type_config::{Applied, ApplyResponse, NodeId};

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ServerError>>;

/// What to do once a read is linearized.
#[derive(Debug)]
pub(crate) enum AfterRead {
    Get {
        collection: String,
        id: u64,
        reply: Reply<ClientReply>,
    },
    Search {
        collection: String,
        request: SearchRequest,
        reply: Reply<ClientReply>,
    },
    /// Resolve the write against the now linearized state, then propose it.
    Write {
        request_id: u64,
        request: WriteRequest,
        reply: Reply<ClientReply>,
    },
}

impl AfterRead {
    pub fn fail(self, e: ServerError) {
        let reply = match self {
            AfterRead::Get { reply, .. }
            | AfterRead::Search { reply, .. }
            | AfterRead::Write { reply, .. } => reply,
        };
        let _ = reply.send(Err(e));
    }
}

#[derive(Debug)]
struct PendingWrite {
    term: u64,
    reply: Reply<ClientReply>,
    deadline: Instant,
}

#[derive(Debug)]
struct PendingRead {
    term: u64,
    then: AfterRead,
    deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct PendingChange {
    pub term: u64,
    /// After the learner entry commits: promote this learner.
    pub promote: Option<NodeId>,
    pub reply: Reply<ClientReply>,
    pub deadline: Instant,
}

/// A write resolved after its read, waiting to be proposed.
#[derive(Debug)]
pub(crate) struct Deferred {
    pub request_id: u64,
    pub op: WalOp,
    pub reply: Reply<ClientReply>,
}

/// Every request the node holds.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    writes: BTreeMap<u64, PendingWrite>,
    reads: BTreeMap<u64, PendingRead>,
    pub changes: BTreeMap<u64, PendingChange>,
    next_token: u64,
    /// The highest collection id this leader handed out in its current term.
    reserved_collection_id: u64,
    pub deferred: Vec<Deferred>,
    /// Learners whose addition committed, to be promoted to voters.
    pub promotions: Vec<(NodeId, Reply<ClientReply>)>,
}

impl Pending {
    /// Registers a write about to be proposed at `(term, index)`.
    pub fn add_write(
        &mut self,
        index: u64,
        term: u64,
        reply: Reply<ClientReply>,
        deadline: Instant,
    ) {
        self.writes.insert(
            index,
            PendingWrite {
                term,
                reply,
                deadline,
            },
        );
    }

    /// Takes back a write whose proposal raft-io refused.
    pub fn take_write(&mut self, index: u64) -> Option<Reply<ClientReply>> {
        self.writes.remove(&index).map(|w| w.reply)
    }

    /// Registers a read about to be handed to raft-io; returns its token.
    pub fn add_read(&mut self, term: u64, then: AfterRead, deadline: Instant) -> u64 {
        self.next_token += 1;
        let token = self.next_token;
        self.reads.insert(
            token,
            PendingRead {
                term,
                then,
                deadline,
            },
        );
        token
    }

    /// Takes back a read raft-io refused.
    pub fn take_read(&mut self, token: u64) -> Option<AfterRead> {
        self.reads.remove(&token).map(|r| r.then)
    }

    /// The entry `(term, index)` was applied with `resp`.
    pub fn applied(&mut self, index: u64, term: u64, resp: ApplyResponse, leader: Option<NodeId>) {
        let Some(w) = self.writes.remove(&index) else {
            return;
        };
        let answer = if w.term != term {
            Err(lost(index, leader))
        } else {
            match resp.applied {
                Applied::Rejected { reason } => Err(ServerError::Rejected(reason)),
                applied => Ok(ClientReply::Written(WriteResponse {
                    log_index: resp.log_index,
                    applied,
                })),
            }
        };
        let _ = w.reply.send(answer);
    }

    /// raft-io's applied index reached `applied` and a snapshot covers up to `snapshot`.
    pub fn passed(&mut self, applied: u64, snapshot: u64, leader: Option<NodeId>) {
        let done: Vec<u64> = self.writes.range(..=applied).map(|(i, _)| *i).collect();
        for index in done {
            if let Some(w) = self.writes.remove(&index) {
                let answer = if index <= snapshot {
                    ServerError::Uncertain(format!(
                        "entry {index} was covered by an installed snapshot before it applied here"
                    ))
                } else {
                    lost(index, leader)
                };
                let _ = w.reply.send(Err(answer));
            }
        }
    }

    /// A linearized read `token` may be served now.
    pub fn read_ready(&mut self, token: u64, state: &RioState) {
        let Some(r) = self.reads.remove(&token) else {
            return;
        };
        match r.then {
            AfterRead::Get {
                collection,
                id,
                reply,
            } => {
                let answer = state
                    .engine
                    .get(&collection, id)
                    .map(|r| ClientReply::Record(r.map(|r| Record::from_engine(id, r))))
                    .map_err(|e| ServerError::Rejected(e.to_string()));
                let _ = reply.send(answer);
            }
            AfterRead::Search {
                collection,
                request,
                reply,
            } => {
                let answer = state
                    .engine
                    .search(&collection, &request.query, &request.to_engine())
                    .map(|hits| ClientReply::Hits(hits.into_iter().map(Into::into).collect()))
                    .map_err(|e| ServerError::Rejected(e.to_string()));
                let _ = reply.send(answer);
            }
            AfterRead::Write {
                request_id,
                request,
                reply,
            } => match self.resolve(&request, state) {
                Ok(op) => self.deferred.push(Deferred {
                    request_id,
                    op,
                    reply,
                }),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
        }
    }

    /// The engine op a write makes against `state`; a create takes a fresh collection id.
    pub fn resolve(&mut self, req: &WriteRequest, state: &RioState) -> Result<WalOp, ServerError> {
        if let WriteRequest::CreateCollection { name, descriptor } = req {
            if state.engine.collection_id(name).is_ok() {
                return Err(ServerError::Rejected(format!(
                    "collection {name:?} already exists"
                )));
            }
            let in_use = state
                .engine
                .collection_names()
                .iter()
                .filter_map(|n| state.engine.collection_id(n).ok())
                .max()
                .unwrap_or(0);
            let id = state
                .max_collection_id
                .max(in_use)
                .max(self.reserved_collection_id)
                + 1;
            self.reserved_collection_id = id;
            return Ok(WalOp::CreateCollection {
                collection_id: id,
                name: name.clone(),
                descriptor: *descriptor,
            });
        }
        to_op(req, state)
    }

    /// This node's role or term changed: reads raft-io will never release are answered, and
    /// collection ids are reserved afresh from the replicated state.
    pub fn leadership_changed(&mut self, leader: bool, term: u64, known: Option<NodeId>) {
        let stale: Vec<u64> = self
            .reads
            .iter()
            .filter(|(_, r)| !leader || r.term != term)
            .map(|(t, _)| *t)
            .collect();
        for token in stale {
            if let Some(r) = self.reads.remove(&token) {
                r.then.fail(ServerError::NotLeader {
                    leader_id: known,
                    leader_addr: None,
                });
            }
        }
        self.reserved_collection_id = 0;
    }

    /// Answers every request whose deadline passed.
    pub fn expire(&mut self, now: Instant) {
        let late = |d: &Instant| *d <= now;
        for i in keys_where(&self.writes, |w| late(&w.deadline)) {
            if let Some(w) = self.writes.remove(&i) {
                let _ = w.reply.send(Err(ServerError::Uncertain(format!(
                    "entry {i} not applied here in time"
                ))));
            }
        }
        for t in keys_where(&self.reads, |r| late(&r.deadline)) {
            if let Some(r) = self.reads.remove(&t) {
                r.then.fail(ServerError::Unavailable(
                    "leadership not confirmed in time".into(),
                ));
            }
        }
        for i in keys_where(&self.changes, |c| late(&c.deadline)) {
            if let Some(c) = self.changes.remove(&i) {
                let _ = c.reply.send(Err(ServerError::Uncertain(format!(
                    "configuration entry {i} not committed in time"
                ))));
            }
        }
    }

    /// Answers everything: the node stops.
    pub fn fail_all(&mut self, why: &str) {
        for (_, w) in std::mem::take(&mut self.writes) {
            let _ = w.reply.send(Err(ServerError::Uncertain(why.to_string())));
        }
        for (_, c) in std::mem::take(&mut self.changes) {
            let _ = c.reply.send(Err(ServerError::Uncertain(why.to_string())));
        }
        for (_, reply) in std::mem::take(&mut self.promotions) {
            let _ = reply.send(Err(ServerError::Uncertain(why.to_string())));
        }
        for d in std::mem::take(&mut self.deferred) {
            let _ = d.reply.send(Err(ServerError::Unavailable(why.to_string())));
        }
        for (_, r) in std::mem::take(&mut self.reads) {
            r.then.fail(ServerError::Unavailable(why.to_string()));
        }
    }
}

fn keys_where<V>(m: &BTreeMap<u64, V>, f: impl Fn(&V) -> bool) -> Vec<u64> {
    m.iter().filter(|(_, v)| f(v)).map(|(k, _)| *k).collect()
}

/// A proposal another committed entry displaced: it will never apply.
fn lost(index: u64, leader: Option<NodeId>) -> ServerError {
    tracing::debug!(index, "proposal displaced by another committed entry");
    ServerError::NotLeader {
        leader_id: leader,
        leader_addr: None,
    }
}

/// Resolves a non-create write against the local engine.
pub(crate) fn to_op(req: &WriteRequest, state: &RioState) -> Result<WalOp, ServerError> {
    req.resolve(&state.engine)
}
