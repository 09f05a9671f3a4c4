//! One raft-io member: engine + durable raft-io log + `RaftNode`, driven by one task, and the
//! cheap handle ([`RioNode`]) through which the world, clients and probes reach it.
//!
//! `RioNode::start` recovers the log and the engine from the node's `Vfs` directory (the engine
//! reset to the log's snapshot, since raft-io re-applies everything after it), builds the
//! `RaftNode`, and spawns the driver (`driver.rs`) on the current runtime — under madsim on the
//! current simulated node, so a `kill` takes it down. Everything the node does happens on that
//! task, one input at a time: a tick of the simulated clock, a peer frame, a client request.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faultline_engine::Database;
use faultline_engine::vfs::{Vfs, create_dir_durable};
use raft_io::{RaftConfig, RaftLog, RaftNode, Role};
use tokio::sync::{mpsc, oneshot, watch};

use super::driver::Driver;
use super::log::{ProbedRioLog, RioLog, RioLogProbe};
use super::observe::snapshot_ref;
use super::state::{RioEngineState, RioState};
use super::transport::{Inbox, RioTransport};
use crate::api::{ClientReply, ClientRequest, ServerError};
use crate::error::NodeError;
use crate::node::{ENGINE_DIR, RAFT_DIR};
use crate::observe::{LogRef, Observation, Observer, Reporter};
use crate::type_config::NodeId;

/// raft-io's timing, in ticks of [`RioTiming::tick`] of the (simulated) clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RioTiming {
    pub tick: Duration,
    /// Randomised election timeout bounds, in ticks.
    pub election_ticks: (u32, u32),
    pub heartbeat_ticks: u32,
    /// Most entries in one AppendEntries.
    pub max_batch: usize,
    /// Applied entries beyond the last snapshot before raft-io asks for a new one (0: never).
    pub snapshot_threshold: usize,
}

impl Default for RioTiming {
    /// 10 ms ticks, a 150–300 ms election timeout and a 30 ms heartbeat (the openraft nodes'
    /// heartbeat and timeouts in the world are of the same order).
    fn default() -> Self {
        RioTiming {
            tick: Duration::from_millis(10),
            election_ticks: (15, 30),
            heartbeat_ticks: 3,
            max_batch: 64,
            snapshot_threshold: 0,
        }
    }
}

/// Everything a raft-io node needs to start.
#[derive(Debug, Clone)]
pub struct RioNodeConfig {
    pub id: NodeId,
    /// The bootstrap voters (this node included when it is one). raft-io has no separate
    /// initialisation: every node starts from this configuration until its log or snapshot
    /// says otherwise.
    pub voters: Vec<NodeId>,
    /// The node boots outside the group, to be added later. raft-io always counts a node in
    /// its own bootstrap configuration (`RaftConfig::new` adds it), so a spare would campaign
    /// for a group of its own making; raft-io's own examples build a joining node only when it
    /// is added. A joining node therefore gets no ticks (it neither times out nor campaigns)
    /// until its log or snapshot holds a configuration the group sent it — it still answers
    /// every message, so the leader can catch it up.
    pub joining: bool,
    /// Root of the node's files inside `vfs`: `engine/`, `raft/`.
    pub data_dir: PathBuf,
    pub vfs: Arc<dyn Vfs>,
    pub timing: RioTiming,
    /// Seed of raft-io's election-timeout jitter (draw it from the run's seed).
    pub seed: u64,
    /// How long a client request may wait inside the node before it is answered as
    /// uncertain (writes) or unavailable (reads).
    pub request_timeout: Duration,
    pub transport: Arc<dyn RioTransport>,
    pub observer: Option<Arc<dyn Observer>>,
}

/// What the node reports about itself, updated after every input it handles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RioStatus {
    pub leader: bool,
    pub candidate: bool,
    pub term: u64,
    pub known_leader: Option<NodeId>,
    pub commit_index: u64,
    /// raft-io's applied index (configuration entries included).
    pub last_applied: u64,
    /// The log's last index (the snapshot's when the log is empty).
    pub last_index: u64,
    /// The index the newest snapshot covers (and the log was compacted to).
    pub snapshot_index: u64,
    pub voters: Vec<NodeId>,
    pub learners: Vec<NodeId>,
    /// The configuration entry the membership comes from (`None`: bootstrap).
    pub membership_log_id: Option<LogRef>,
    /// Why the node stopped (a storage or engine failure), if it did.
    pub stopped: Option<String>,
}

/// What the driver task receives.
#[derive(Debug)]
pub(crate) enum Input {
    Frame(Vec<u8>),
    Client(
        ClientRequest,
        oneshot::Sender<Result<ClientReply, ServerError>>,
    ),
    Transfer(NodeId, oneshot::Sender<Result<(), ServerError>>),
    Snapshot(oneshot::Sender<Result<u64, ServerError>>),
    Stop,
}

/// A cheap, cloneable handle on a running raft-io node.
#[derive(Debug, Clone)]
pub struct RioNode {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    id: NodeId,
    tx: mpsc::UnboundedSender<Input>,
    state: Arc<Mutex<RioState>>,
    status: watch::Receiver<RioStatus>,
    log_probe: RioLogProbe,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RioNode {
    /// Recovers log and engine, builds raft-io over them and spawns the driver. Frames for the
    /// node go to [`RioNode::inbox`], which the caller registers with its transport.
    pub async fn start(config: RioNodeConfig) -> Result<RioNode, NodeError> {
        let RioNodeConfig {
            id,
            voters,
            joining,
            data_dir,
            vfs,
            timing,
            seed,
            request_timeout,
            transport,
            observer,
        } = config;
        let reporter = Reporter::new(observer);
        create_dir_durable(&*vfs, &data_dir).map_err(|e| NodeError::Engine(e.to_string()))?;
        let (log, handle, report) =
            RioLog::open(vfs.clone(), &data_dir.join(RAFT_DIR), reporter.clone())?;
        if report.discarded_tail_bytes > 0 {
            tracing::warn!(id, ?report, "raft-io log recovered with a torn tail cut");
        }
        let engine = Database::open(vfs.clone(), data_dir.join(ENGINE_DIR))
            .map_err(|e| NodeError::Engine(e.to_string()))?;
        let snapshot = log.snapshot();
        let state = RioState::open(engine, snapshot.as_ref())?;
        if let Some(s) = &snapshot {
            reporter.report(|| Observation::SnapshotLoaded {
                snapshot: snapshot_ref(s),
            });
        }
        // Recovery read (and may have rewritten) the disk: let it finish before anything runs.
        crate::disk::settle(&*vfs).await;

        let raft_config = RaftConfig::new(id, voters.iter().copied())
            .with_election_timeout(timing.election_ticks.0, timing.election_ticks.1)
            .with_heartbeat_interval(timing.heartbeat_ticks)
            .with_max_batch(timing.max_batch)
            .with_snapshot_threshold(timing.snapshot_threshold)
            .with_seed(seed);
        let raft = RaftNode::with_log(raft_config, log);
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(Mutex::new(state));
        // Published before the driver first runs, so nobody ever reads a made-up status.
        let (status_tx, status) = watch::channel(status_of(&raft, None));
        let log_probe = handle.probe();
        let driver = Driver::new(
            raft,
            handle,
            state.clone(),
            status_tx,
            vfs,
            transport,
            reporter,
            rx,
            timing.tick,
            request_timeout,
            joining,
        );
        tokio::spawn(driver.run());
        Ok(RioNode {
            inner: Arc::new(Inner {
                id,
                tx,
                state,
                status,
                log_probe,
            }),
        })
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    /// Where a transport delivers this node's frames.
    pub fn inbox(&self) -> Inbox {
        Inbox(self.inner.tx.clone())
    }

    /// Serves one client request (writes, reads, searches, membership changes), with the
    /// openraft node's semantics: `NotLeader` redirects, `Rejected` and `Unavailable` are
    /// definite, `Uncertain` means a proposal's fate is unknown.
    pub async fn request(&self, req: ClientRequest) -> Result<ClientReply, ServerError> {
        let is_write = matches!(
            req,
            ClientRequest::Write { .. }
                | ClientRequest::AddVoter { .. }
                | ClientRequest::RemoveVoter { .. }
        );
        let (reply, rx) = oneshot::channel();
        if self.inner.tx.send(Input::Client(req, reply)).is_err() {
            return Err(ServerError::Unavailable("node stopped".into()));
        }
        rx.await.unwrap_or_else(|_| {
            Err(if is_write {
                ServerError::Uncertain("node stopped while the request was in progress".into())
            } else {
                ServerError::Unavailable("node stopped".into())
            })
        })
    }

    /// Asks this node (the leader) to hand leadership to `target` (raft-io's
    /// `TransferLeadership`; a no-op on a follower or for a non-voter, as raft-io defines it).
    pub async fn transfer_leadership(&self, target: NodeId) -> Result<(), ServerError> {
        let (reply, rx) = oneshot::channel();
        if self.inner.tx.send(Input::Transfer(target, reply)).is_err() {
            return Err(ServerError::Unavailable("node stopped".into()));
        }
        rx.await
            .unwrap_or_else(|_| Err(ServerError::Unavailable("node stopped".into())))
    }

    /// Takes a snapshot of the applied state now and hands it to raft-io, which compacts the
    /// log up to it. Returns the index it covers.
    pub async fn trigger_snapshot(&self) -> Result<u64, ServerError> {
        let (reply, rx) = oneshot::channel();
        if self.inner.tx.send(Input::Snapshot(reply)).is_err() {
            return Err(ServerError::Unavailable("node stopped".into()));
        }
        rx.await
            .unwrap_or_else(|_| Err(ServerError::Unavailable("node stopped".into())))
    }

    /// The node's role, term, commit point and membership, as of its last input.
    pub fn status(&self) -> RioStatus {
        self.inner.status.borrow().clone()
    }

    /// A receiver that sees every status the node publishes (one per input it handled).
    pub fn status_watch(&self) -> watch::Receiver<RioStatus> {
        self.inner.status.clone()
    }

    /// Whether the node believes it leads.
    pub fn is_leader(&self) -> bool {
        self.inner.status.borrow().leader
    }

    /// Probe: the engine's full state and the last applied entry, captured atomically.
    pub fn engine_state(&self) -> RioEngineState {
        lock(&self.inner.state).engine_state()
    }

    /// Probe: what the durable log acknowledged and the stage it is writing.
    pub fn log_state(&self) -> ProbedRioLog {
        self.inner.log_probe.state()
    }

    /// Stops the driver (pending requests are answered). Idempotent.
    pub fn shutdown(&self) {
        let _ = self.inner.tx.send(Input::Stop);
    }
}

/// The status of `raft` in the node's vocabulary; `membership_log_id` names the configuration
/// entry its membership comes from.
pub(crate) fn status_of<L: RaftLog>(
    raft: &RaftNode<L>,
    membership_log_id: Option<LogRef>,
) -> RioStatus {
    RioStatus {
        leader: raft.role() == Role::Leader,
        candidate: raft.role() == Role::Candidate,
        term: raft.term(),
        known_leader: raft.leader(),
        commit_index: raft.commit_index(),
        last_applied: raft.last_applied(),
        last_index: raft.log().last_index(),
        snapshot_index: raft.log().snapshot_index(),
        voters: raft.members().to_vec(),
        learners: raft.learners().to_vec(),
        membership_log_id,
        stopped: None,
    }
}
