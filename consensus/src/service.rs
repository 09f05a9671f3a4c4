//! What a node does with each request it receives: Raft RPCs go to openraft, client calls are
//! served here.
//!
//! Client writes are proposed only by the leader (a follower answers `NotLeader` with the
//! leader's id and address). Linearizable reads and searches confirm leadership with
//! `ensure_linearizable` (ReadIndex: a heartbeat round to a quorum, then waiting until the state
//! machine has applied the read index) before touching the engine. Create-collection proposals
//! are serialised on the leader and take ids above every id the replicated state has seen, so
//! two concurrent creates never claim one id, and an id is never reused after a drop.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::Duration;

use faultline_engine::WalOp;
use openraft::error::{CheckIsLeaderError, ClientWriteError, ForwardToLeader, RaftError};
use openraft::{BasicNode, ChangeMembers, RaftMetrics, ServerState, Snapshot};

use crate::api::{
    ClientReply, ClientRequest, Record, SearchRequest, ServerError, WriteRequest, WriteResponse,
};
use crate::network::message::{Request, Response};
use crate::observe::Reporter;
use crate::state_machine::{SharedState, lock_state};
use crate::type_config::{Applied, Command, NodeId, Raft};

/// The request handler shared by all of a node's connections.
pub struct Service {
    id: NodeId,
    raft: Raft,
    state: SharedState,
    /// Held from choosing a new collection id until its entry is applied.
    create_lock: tokio::sync::Mutex<()>,
    reporter: Reporter,
}

type ClientResult = Result<ClientReply, ServerError>;

fn not_leader(f: ForwardToLeader<NodeId, BasicNode>) -> ServerError {
    ServerError::NotLeader {
        leader_id: f.leader_id,
        leader_addr: f.leader_node.map(|n| n.addr),
    }
}

/// Every proposal is made after [`Service::check_leader`] found this node leading, so a refusal
/// from openraft itself may come after the entry entered the log.
fn write_error(e: RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>) -> ServerError {
    match e {
        // openraft 0.9 answers `ForwardToLeader` both before proposing (leadership lost since
        // our check) and when the entry's index is truncated from this node's log — and a
        // deposed leader that installs a snapshot truncates everything past its own commit
        // point, entries the new leader committed and put in that very snapshot included. The
        // entry may then be applied already: a retry would apply it twice.
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => ServerError::Uncertain(
            format!("{}; the entry may have been proposed", not_leader(f)),
        ),
        RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => {
            ServerError::Rejected(c.to_string())
        }
        // The node stopped while the entry may already have been in its log.
        RaftError::Fatal(f) => ServerError::Uncertain(f.to_string()),
    }
}

/// How often waits on this node's Raft metrics look again (simulated time under madsim).
const METRICS_POLL: Duration = Duration::from_millis(1);

fn read_error(e: RaftError<NodeId, CheckIsLeaderError<NodeId, BasicNode>>) -> ServerError {
    match e {
        RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)) => not_leader(f),
        RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(q)) => {
            ServerError::Unavailable(q.to_string())
        }
        RaftError::Fatal(f) => ServerError::Unavailable(f.to_string()),
    }
}

impl crate::server::Handler for Service {
    fn handle(&self, req: Request) -> impl std::future::Future<Output = Response> + Send {
        Service::handle(self, req)
    }

    fn reporter(&self) -> &Reporter {
        &self.reporter
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Service {
    pub fn new(id: NodeId, raft: Raft, state: SharedState, reporter: Reporter) -> Service {
        Service {
            id,
            raft,
            state,
            create_lock: tokio::sync::Mutex::new(()),
            reporter,
        }
    }

    /// Where this node reports (its replies' frames, among others).
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }

    /// Serve one request.
    pub async fn handle(&self, req: Request) -> Response {
        match req {
            Request::AppendEntries(r) => Response::AppendEntries(self.raft.append_entries(r).await),
            Request::Vote(r) => Response::Vote(self.raft.vote(r).await),
            Request::InstallSnapshot(r) => {
                Response::InstallSnapshot(self.raft.install_snapshot(r).await)
            }
            Request::FullSnapshot { vote, meta, data } => {
                let snapshot = Snapshot {
                    meta,
                    snapshot: Box::new(Cursor::new(data)),
                };
                Response::FullSnapshot(self.raft.install_full_snapshot(vote, snapshot).await)
            }
            Request::Client(c) => Response::Client(self.handle_client(c).await),
            // A raft-io peer's frames: this node runs openraft, so nothing can take them.
            Request::RioFrames(_) => Response::Client(Err(ServerError::Unavailable(
                "this node runs openraft, not raft-io".into(),
            ))),
        }
    }

    async fn handle_client(&self, req: ClientRequest) -> ClientResult {
        match req {
            ClientRequest::Write {
                request_id,
                request,
            } => self.write(request_id, request).await,
            ClientRequest::Read { collection, id } => self.read(&collection, id).await,
            ClientRequest::Search {
                collection,
                request,
            } => self.search(&collection, &request).await,
            ClientRequest::AddVoter { id, addr } => self.add_voter(id, addr).await,
            ClientRequest::RemoveVoter { id } => self.remove_voter(id).await,
        }
    }

    /// `NotLeader` unless this node currently believes it leads.
    fn check_leader(&self) -> Result<(), ServerError> {
        let m = self.raft.metrics().borrow().clone();
        if m.current_leader == Some(self.id) {
            return Ok(());
        }
        let leader_addr = m.current_leader.and_then(|l| {
            m.membership_config
                .membership()
                .get_node(&l)
                .map(|n| n.addr.clone())
        });
        Err(ServerError::NotLeader {
            leader_id: m.current_leader,
            leader_addr,
        })
    }

    /// ReadIndex in openraft's two steps rather than `ensure_linearizable()`: its wait for the
    /// state machine parks on the metrics `watch` channel, and tokio files each `watch` waiter
    /// under one of eight wake-up shards chosen by a per-thread RNG seeded from a process-wide
    /// counter. With several waiters, their wake-up order — and so the simulated schedule —
    /// would depend on what ran earlier in the process. Polling the metrics on the (simulated)
    /// clock is deterministic.
    async fn linearize(&self) -> Result<(), ServerError> {
        let (read_log_id, _) = self.raft.get_read_log_id().await.map_err(read_error)?;
        let target = read_log_id.map(|l| l.index);
        self.poll_metrics(|m| Ok(m.last_applied.as_ref().map(|l| l.index) >= target))
            .await
    }

    /// Waits until this leader has replicated at least `index` to `learner`: the deterministic
    /// replacement for `add_learner(.., blocking = true)` (see `linearize` for why).
    async fn wait_caught_up(&self, learner: NodeId, index: u64) -> Result<(), ServerError> {
        self.poll_metrics(|m| {
            if m.state != ServerState::Leader {
                return Err(ServerError::Unavailable(format!(
                    "lost leadership while learner {learner} was catching up"
                )));
            }
            let matched = m
                .replication
                .as_ref()
                .and_then(|r| r.get(&learner))
                .and_then(|l| l.as_ref().map(|l| l.index));
            Ok(matched >= Some(index))
        })
        .await
    }

    /// Polls this node's Raft metrics until `done` says so (or fails); gives up if Raft stopped.
    async fn poll_metrics(
        &self,
        mut done: impl FnMut(&RaftMetrics<NodeId, BasicNode>) -> Result<bool, ServerError>,
    ) -> Result<(), ServerError> {
        let metrics = self.raft.metrics();
        loop {
            {
                let m = metrics.borrow();
                if let Err(e) = &m.running_state {
                    return Err(ServerError::Unavailable(format!("raft stopped: {e}")));
                }
                if done(&m)? {
                    return Ok(());
                }
            }
            tokio::time::sleep(METRICS_POLL).await;
        }
    }

    async fn write(&self, request_id: u64, req: WriteRequest) -> ClientResult {
        self.check_leader()?;
        if let WriteRequest::CreateCollection { name, descriptor } = req {
            // Planted `create-id-race`: neither serialise creates nor catch up with the log.
            let racy = faultline_engine::planted!(CreateIdRace);
            let _serial = if racy {
                None
            } else {
                Some(self.create_lock.lock().await)
            };
            // Every entry of earlier terms is applied after this, so the id high-water mark and
            // the names below are the replicated truth, not a lagging view.
            if !racy {
                self.linearize().await?;
            }
            let op = {
                let s = lock_state(&self.state);
                if s.engine.collection_id(&name).is_ok() {
                    return Err(ServerError::Rejected(format!(
                        "collection {name:?} already exists"
                    )));
                }
                let in_use = s
                    .engine
                    .collection_names()
                    .iter()
                    .filter_map(|n| s.engine.collection_id(n).ok())
                    .max()
                    .unwrap_or(0);
                WalOp::CreateCollection {
                    collection_id: s.max_collection_id.max(in_use) + 1,
                    name,
                    descriptor,
                }
            };
            return self.propose(request_id, op).await;
        }
        let op = match self.to_op(&req) {
            Ok(op) => op,
            // The name may be committed but not yet applied here (e.g. just after an election).
            Err(_) => {
                self.linearize().await?;
                self.to_op(&req)?
            }
        };
        self.propose(request_id, op).await
    }

    /// Resolve a non-create write against the local engine.
    fn to_op(&self, req: &WriteRequest) -> Result<WalOp, ServerError> {
        req.resolve(&lock_state(&self.state).engine)
    }

    async fn propose(&self, request_id: u64, op: WalOp) -> ClientResult {
        #[cfg(feature = "planted-bugs")]
        if faultline_engine::planted!(AckBeforeCommit) {
            return crate::planted::ack_on_propose(&self.raft, &self.state, request_id, op).await;
        }
        let resp = self
            .raft
            .client_write(Command::new(request_id, op))
            .await
            .map_err(write_error)?;
        let r = resp.data;
        match r.applied {
            // Refused by the apply on every replica: definitely no effect.
            Applied::Rejected { reason } => Err(ServerError::Rejected(reason)),
            applied => Ok(ClientReply::Written(WriteResponse {
                log_index: r.log_index,
                applied,
            })),
        }
    }

    async fn read(&self, collection: &str, id: u64) -> ClientResult {
        // Planted `follower-read`: a follower serves the read from its own engine.
        if faultline_engine::planted!(FollowerRead) && self.check_leader().is_err() {
            return self.local_read(collection, id);
        }
        self.check_leader()?;
        // Planted `stale-local-read`: trust the local belief of leading.
        if !faultline_engine::planted!(StaleLocalRead) {
            self.linearize().await?;
        }
        self.local_read(collection, id)
    }

    /// The engine's answer on this node, as it stands.
    fn local_read(&self, collection: &str, id: u64) -> ClientResult {
        let s = lock_state(&self.state);
        let r = s
            .engine
            .get(collection, id)
            .map_err(|e| ServerError::Rejected(e.to_string()))?;
        Ok(ClientReply::Record(r.map(|r| Record::from_engine(id, r))))
    }

    async fn search(&self, collection: &str, req: &SearchRequest) -> ClientResult {
        // Planted `search-local-state`: any node answers from its engine as it stands.
        if !faultline_engine::planted!(SearchLocalState) {
            self.check_leader()?;
            if !faultline_engine::planted!(StaleLocalRead) {
                self.linearize().await?;
            }
        }
        let s = lock_state(&self.state);
        let hits = s
            .engine
            .search(collection, &req.query, &req.to_engine())
            .map_err(|e| ServerError::Rejected(e.to_string()))?;
        Ok(ClientReply::Hits(
            hits.into_iter().map(Into::into).collect(),
        ))
    }

    async fn add_voter(&self, id: NodeId, addr: String) -> ClientResult {
        self.check_leader()?;
        // Learner first, blocking until it has caught up, so promoting it cannot stall commits.
        let added = self
            .raft
            .add_learner(id, BasicNode { addr }, false)
            .await
            .map_err(write_error)?;
        self.wait_caught_up(id, added.log_id.index).await?;
        let resp = self
            .raft
            .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
            .await
            .map_err(write_error)?;
        Ok(ClientReply::MembershipChanged {
            log_index: resp.log_id.index,
        })
    }

    async fn remove_voter(&self, id: NodeId) -> ClientResult {
        self.check_leader()?;
        let resp = self
            .raft
            .change_membership(ChangeMembers::RemoveVoters(BTreeSet::from([id])), false)
            .await
            .map_err(write_error)?;
        Ok(ClientReply::MembershipChanged {
            log_index: resp.log_id.index,
        })
    }
}
