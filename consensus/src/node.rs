//! One member of the cluster: engine + log store + Raft + RPC server, and its probes.
//!
//! `Node::start` recovers everything from the node's `Vfs` directory, builds openraft over it and
//! starts listening. All tasks it spawns run on the current runtime (under madsim: on the current
//! simulated node, so a `kill` takes them down with it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_engine::Database;
use faultline_engine::vfs::{Vfs, create_dir_durable};
use openraft::error::{InitializeError, RaftError};
use openraft::{BasicNode, LogIdOptionExt, RaftMetrics};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::NodeError;
use crate::log_store::{LogProbe, LogStore, LogStoreKind, ProbedLog};
use crate::network::raft_network::NetworkFactory;
use crate::observe::{Observer, Reporter};
use crate::server::serve;
use crate::service::Service;
use crate::snapshot::SnapshotFile;
use crate::state_machine::{EngineState, SharedState, StateMachineStore, lock_state};
use crate::type_config::{NodeId, Raft};

/// The engine's directory inside a node's data directory.
pub const ENGINE_DIR: &str = "engine";

/// The durable Raft log store's directory inside a node's data directory.
pub const RAFT_DIR: &str = "raft";

/// Everything a node needs to start.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub id: NodeId,
    /// Where the RPC server listens (port 0: any free port; see [`Node::addr`]).
    pub listen_addr: SocketAddr,
    /// Root of the node's files inside `vfs`: `engine/`, `raft/` (log + vote), `sm/` (snapshot).
    pub data_dir: PathBuf,
    pub vfs: Arc<dyn Vfs>,
    pub log_store: LogStoreKind,
    /// Timing (heartbeat, election timeouts), snapshot and purge policy.
    pub raft: openraft::Config,
    /// Bound on every Raft RPC (with openraft's own TTL) and every client RPC.
    pub rpc_timeout: Duration,
    /// Where the node reports what it does to its Raft state (`observe`); `None` in production.
    pub observer: Option<Arc<dyn Observer>>,
}

/// A cheap, cloneable handle on a running node.
#[derive(Debug, Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    id: NodeId,
    addr: SocketAddr,
    raft: Raft,
    state: SharedState,
    /// The durable log store's in-memory view (`None` with the in-memory store).
    log_probe: Option<LogProbe>,
    rpc_timeout: Duration,
    shutdown: watch::Sender<bool>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.id)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Recover engine + log store from the vfs, build Raft, spawn the RPC server. Returns once
    /// listening.
    pub async fn start(config: NodeConfig) -> Result<Node, NodeError> {
        let NodeConfig {
            id,
            listen_addr,
            data_dir,
            vfs,
            log_store,
            raft,
            rpc_timeout,
            observer,
        } = config;
        let reporter = Reporter::new(observer);
        // Durably: the engine, log and snapshot directories below are only as durable as this.
        create_dir_durable(&*vfs, &data_dir).map_err(|e| NodeError::Engine(e.to_string()))?;
        let engine = Database::open(vfs.clone(), data_dir.join(ENGINE_DIR))
            .map_err(|e| NodeError::Engine(e.to_string()))?;
        let (log, snapshot_file) = match log_store {
            LogStoreKind::Memory => (LogStore::memory(), None),
            LogStoreKind::Durable => {
                let (log, report) = LogStore::open_durable(vfs.clone(), &data_dir.join(RAFT_DIR))?;
                if report.discarded_tail_bytes > 0 {
                    tracing::warn!(id, ?report, "log store recovered with a torn tail cut");
                }
                (
                    log,
                    Some(SnapshotFile::new(vfs.clone(), &data_dir.join("sm"))),
                )
            }
        };
        let mut log = log.with_reporter(reporter.clone());
        if let Some(f) = &snapshot_file {
            log.cap_purges_at(f.durable_point());
        }
        let log_probe = log.probe();
        let sm = StateMachineStore::open(engine, snapshot_file)?.with_reporter(reporter.clone());
        let state = sm.state();
        let raft_config = Arc::new(
            raft.validate()
                .map_err(|e| NodeError::Config(e.to_string()))?,
        );

        // Recovery read (and may have rewritten) the disk: let it finish before serving.
        crate::disk::settle(&*vfs).await;

        // Listen before Raft starts, so peers never see this node electing while unreachable.
        let listener =
            TcpListener::bind(listen_addr)
                .await
                .map_err(|source| NodeError::Listen {
                    addr: listen_addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| NodeError::Listen {
            addr: listen_addr,
            source,
        })?;

        let raft = Raft::new(
            id,
            raft_config,
            NetworkFactory::new(id, rpc_timeout, reporter.clone()),
            log,
            sm,
        )
        .await
        .map_err(|e| NodeError::Raft(e.to_string()))?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let service = Arc::new(Service::new(id, raft.clone(), state.clone(), reporter));
        tokio::spawn(serve(listener, service, shutdown_rx));

        Ok(Node {
            inner: Arc::new(Inner {
                id,
                addr,
                raft,
                state,
                log_probe,
                rpc_timeout,
                shutdown,
            }),
        })
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    /// The address the RPC server actually listens on.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn raft(&self) -> &Raft {
        &self.inner.raft
    }

    pub fn metrics(&self) -> RaftMetrics<NodeId, BasicNode> {
        self.inner.raft.metrics().borrow().clone()
    }

    /// Idempotent bootstrap: if this node has the lowest id among `members` and the group is
    /// not yet initialised, initialise it with them. Every other node does nothing, so the world
    /// may call this on all members (again after restarts) without forming two groups.
    pub async fn initialize(&self, members: BTreeMap<NodeId, SocketAddr>) -> Result<(), NodeError> {
        if members.keys().next() != Some(&self.inner.id) {
            return Ok(());
        }
        let raft = &self.inner.raft;
        if raft
            .is_initialized()
            .await
            .map_err(|e| NodeError::Raft(e.to_string()))?
        {
            return Ok(());
        }
        let nodes: BTreeMap<NodeId, BasicNode> = members
            .into_iter()
            .map(|(id, a)| (id, BasicNode::new(a.to_string())))
            .collect();
        match raft.initialize(nodes).await {
            Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => Ok(()),
            Err(e) => Err(NodeError::Raft(e.to_string())),
        }
    }

    /// Read-only probe for checkers: the engine's full state and the last applied log id,
    /// captured atomically.
    pub fn engine_state(&self) -> EngineState {
        lock_state(&self.inner.state).engine_state()
    }

    /// Read-only probe for checkers: what the durable log store has acknowledged (vote, purge
    /// point, entries) and the change a failed write was making. `None` with the in-memory
    /// store.
    pub fn log_state(&self) -> Option<ProbedLog> {
        self.inner.log_probe.as_ref().map(LogProbe::state)
    }

    /// Build a snapshot now and wait (bounded) until openraft reports it.
    pub async fn trigger_snapshot(&self) -> Result<(), NodeError> {
        let raft = &self.inner.raft;
        let target = self.metrics().last_applied.index();
        raft.trigger()
            .snapshot()
            .await
            .map_err(|e| NodeError::Raft(e.to_string()))?;
        // Poll instead of `Raft::wait()`: its `select!` is unbiased, and tokio seeds that
        // tie-break from a process-wide counter, so a seed replayed in the same process could
        // take a different branch.
        let bound = (self.inner.rpc_timeout * 10).max(Duration::from_secs(5));
        let poll = Duration::from_millis(10);
        let mut waited = Duration::ZERO;
        while self.metrics().snapshot.index() < target {
            if waited >= bound {
                return Err(NodeError::Raft(format!(
                    "snapshot covering index {target:?} not built within {bound:?}"
                )));
            }
            tokio::time::sleep(poll).await;
            waited += poll;
        }
        Ok(())
    }

    /// Ask openraft to purge the log up to `upto` (it never purges past the last snapshot).
    pub async fn purge_log(&self, upto: u64) -> Result<(), NodeError> {
        self.inner
            .raft
            .trigger()
            .purge_log(upto)
            .await
            .map_err(|e| NodeError::Raft(e.to_string()))
    }

    /// Stop the RPC server and Raft. Idempotent.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        if let Err(e) = self.inner.raft.shutdown().await {
            tracing::debug!(id = self.inner.id, error = %e, "raft shutdown");
        }
    }
}
