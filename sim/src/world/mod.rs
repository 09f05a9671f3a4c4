//! The simulated world: a cluster of real faultline nodes inside one seeded madsim runtime.
//!
//! `World` is the API scenarios and tests drive: boot (`new`, `add_node`), faults (`kill`,
//! `restart`, `partition`, `isolate`, `heal`, `clog`, `set_flaky`, `set_net_base`, and each
//! node's `disk` for disk faults), admin (`trigger_snapshot`, `purge_log`, `transfer_leader`,
//! `add_voter`, `remove_voter`), clients (`client`), and read-only probes (`raft_status`,
//! `engine_state`, `leader`, waits). Everything it does is recorded in its `trace`.
//!
//! The nodes run the system the config names (`WorldConfig::system`: openraft or raft-io),
//! all through one seam (`program`, `faultline_consensus::SystemNode`); the world reads every
//! node's Raft as a `NodeStatus`, whichever it is. Where the two systems' admin operations
//! differ, the world maps them here, once: a snapshot is openraft's trigger or raft-io's
//! `Event::Snapshot`; a purge is openraft's log purge, and for raft-io the snapshot itself
//! (raft-io compacts exactly as it snapshots); a leadership change is openraft's `elect` on the
//! follower, raft-io's `TransferLeadership` on the leader.
//!
//! A seed, start to finish (doctests build without `--cfg madsim`, hence `ignore`):
//!
//! ```ignore
//! let config = WorldConfig::with_nodes(3);
//! let spec = RunSpec::from(&config);
//! let hash = run_seed(seed, &spec, move || async move {
//!     let world = World::new(seed, config).await.expect("boots");
//!     let client = world.client().expect("a client");
//!     // ... writes, faults, probes ...
//!     world.trace_hash()
//! })?; // a panic anywhere in the run is `Err(Finding)`
//! ```
//!
//! One file per simulator authority: `config` (the world's shape), `node_slot` (each node's
//! lifecycle and disk), `program` (what a node runs), `network` (links), `client` (clients on
//! their own simulated machines), `trace` (what happened, and its hash), `runner` (one seed on
//! a fresh thread). Every random choice comes from madsim's seeded RNG.

pub mod aim;
pub mod client;
pub mod config;
pub mod error;
pub mod network;
pub mod node_slot;
pub mod observer;
pub mod panic_site;
pub mod power_probe;
pub mod program;
pub mod runner;
pub mod summary;
pub mod trace;
mod watch;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faultline_consensus::observe::LogRef;
use faultline_consensus::{EngineProbe, Node, NodeRole, NodeStatus, System, SystemNode};
use faultline_engine::vfs::SimVfs;
use madsim::rand::Rng;

pub use crate::plan::{MAX_NODES, RaftTiming};
pub use client::WorldClient;
pub use config::{NetBase, RAFT_IO_TICK, WorldConfig};
pub use error::WorldError;
pub use faultline_consensus::LogStoreKind;
pub use network::{Host, Network};
pub use node_slot::Status;
pub use observer::ObservationLog;
pub use runner::{Finding, RunSpec, run_seed, run_seeds, seeds_from_env};
pub use trace::{CallOutcome, Event, Trace, TraceHash};

use node_slot::{NodeSlot, server_addr};
use power_probe::PowerFailureProbe;
use program::ConsensusProgram;

/// A server's id: the openraft node id.
pub type NodeId = u64;

/// The openraft metrics of one node (worlds of openraft nodes only; see [`World::raft_status`]).
pub type Metrics = openraft::RaftMetrics<NodeId, openraft::BasicNode>;

/// The client number the world's own admin client uses (membership changes).
const ADMIN_CLIENT: u32 = 200;

/// How often waits poll the nodes' metrics, in simulated time.
const POLL: Duration = Duration::from_millis(10);

/// A seeded cluster of consensus nodes inside the current madsim runtime (see `runner`).
pub struct World {
    seed: u64,
    config: WorldConfig,
    raft: openraft::Config,
    trace: Trace,
    observations: ObservationLog,
    network: Network,
    slots: Mutex<BTreeMap<NodeId, Arc<NodeSlot<SystemNode>>>>,
    next_client: AtomicU32,
    admin: WorldClient,
    power_failures: Mutex<Vec<PowerFailureProbe>>,
}

impl World {
    /// Boots `config.nodes` nodes, each on its own fresh `SimVfs`, initialises the group of the
    /// first `config.voters` and waits until it has a leader. Must run inside the madsim runtime
    /// built from `seed` (`runner::run_seed` does that).
    pub async fn new(seed: u64, config: WorldConfig) -> Result<World, WorldError> {
        config.validate()?;
        let handle = madsim::runtime::Handle::try_current().map_err(|_| WorldError::NoRuntime)?;
        if handle.seed() != seed {
            return Err(WorldError::SeedMismatch {
                given: seed,
                runtime: handle.seed(),
            });
        }
        let raft = config.raft.to_openraft()?;
        let trace = Trace::new();
        let network = Network::new(trace.clone());
        trace.record(Event::Booted {
            nodes: config.nodes,
            voters: config.voters,
        });
        if !config.system.is_default() {
            // Only a non-default system is named, so openraft traces stay as they were.
            trace.record(Event::Note(format!("system: {}", config.system)));
        }
        let members: BTreeMap<NodeId, SocketAddr> = (1..=config.voters as NodeId)
            .map(|id| (id, server_addr(id)))
            .collect();
        let admin = WorldClient::new(
            ADMIN_CLIENT,
            members.clone(),
            config.client_timeout,
            trace.clone(),
        );
        network.register(Host::Client(ADMIN_CLIENT), admin.sim_id());
        let world = World {
            seed,
            raft,
            trace,
            observations: ObservationLog::new(),
            network,
            slots: Mutex::default(),
            next_client: AtomicU32::new(1),
            admin,
            power_failures: Mutex::default(),
            config,
        };
        world
            .network
            .set_base(world.config.net.latency.clone(), world.config.net.loss)?;
        for _ in 0..world.config.nodes {
            world.add_node().await?;
        }
        let first = world.slot(1)?;
        let node = first.handle()?;
        let init = members.clone();
        let joined = first.spawn(async move { node.initialize(init).await })?;
        match joined.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(WorldError::Node {
                    node: 1,
                    reason: format!("initialize: {e}"),
                });
            }
            Err(e) => {
                return Err(WorldError::Node {
                    node: 1,
                    reason: format!("initialize task lost: {e}"),
                });
            }
        }
        world.wait_for_leader(world.config.boot_timeout).await?;
        Ok(world)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// The trace so far (a shared handle: it keeps growing).
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Every node's online reports (shared handle: it keeps growing).
    pub fn observations(&self) -> &ObservationLog {
        &self.observations
    }

    pub fn trace_hash(&self) -> TraceHash {
        self.trace.hash()
    }

    /// The network authority (for faults the shortcuts below do not cover).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Simulated time since the runtime started.
    pub fn now(&self) -> Duration {
        madsim::time::TimeHandle::current().elapsed()
    }

    /// Sleeps in simulated time.
    pub async fn sleep(&self, d: Duration) {
        madsim::time::sleep(d).await;
    }

    /// Records a note in the trace (scenario steps, so a trace reads like the plan).
    pub fn note(&self, text: impl Into<String>) {
        self.trace.record(Event::Note(text.into()));
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, BTreeMap<NodeId, Arc<NodeSlot<SystemNode>>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(&self, node: NodeId) -> Result<Arc<NodeSlot<SystemNode>>, WorldError> {
        self.lock_slots()
            .get(&node)
            .cloned()
            .ok_or(WorldError::UnknownNode(node))
    }

    /// Every node the world has booted, in id order.
    pub fn nodes(&self) -> Vec<NodeId> {
        self.lock_slots().keys().copied().collect()
    }

    /// The nodes that are up.
    pub fn live_nodes(&self) -> Vec<NodeId> {
        self.lock_slots()
            .iter()
            .filter(|(_, s)| s.status() == Status::Up)
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn status(&self, node: NodeId) -> Result<Status, WorldError> {
        Ok(self.slot(node)?.status())
    }

    /// Why the node's latest incarnation failed to start, if it did.
    pub fn start_failure(&self, node: NodeId) -> Result<Option<String>, WorldError> {
        Ok(self.slot(node)?.failure())
    }

    /// The node's disk, shared with the node: faults configured on it fire inside the node.
    pub fn disk(&self, node: NodeId) -> Result<SimVfs, WorldError> {
        Ok(self.slot(node)?.disk().clone())
    }

    /// The Raft the world's nodes run.
    pub fn system(&self) -> System {
        self.config.system
    }

    /// The live node's handle, of whichever system (for calls the world does not wrap).
    pub fn system_node(&self, node: NodeId) -> Result<SystemNode, WorldError> {
        self.slot(node)?.handle()
    }

    /// The live openraft node's handle (for calls the world does not wrap); an error in a
    /// world of another system.
    pub fn node(&self, node: NodeId) -> Result<Node, WorldError> {
        self.system_node(node)?
            .openraft()
            .cloned()
            .ok_or(WorldError::NotOpenraft(self.config.system))
    }

    /// Boots a new, empty node (next free id) that is not a member of the group; see
    /// `add_voter`. Returns its id once it listens.
    pub async fn add_node(&self) -> Result<NodeId, WorldError> {
        let id = self.lock_slots().keys().last().map_or(1, |last| last + 1);
        if id > 250 {
            return Err(WorldError::Config("a world holds at most 250 nodes".into()));
        }
        let disk_seed = madsim::rand::thread_rng().r#gen::<u64>();
        let program = ConsensusProgram {
            id,
            system: self.config.system,
            seed: self.seed,
            voters: self.config.voters,
            log_store: self.config.log_store,
            raft: self.raft.clone(),
            raft_io: self.config.raft.to_raft_io(),
            rpc_timeout: self.config.rpc_timeout,
            client_timeout: self.config.client_timeout,
            trace: self.trace.clone(),
            observations: self.observations.clone(),
        };
        let disk = node_disk(disk_seed, &self.config)?;
        let slot = Arc::new(NodeSlot::boot(id, disk, program, self.trace.clone()));
        self.network.register(Host::Node(id), slot.sim_id());
        self.lock_slots().insert(id, slot.clone());
        slot.wait_started(self.config.boot_timeout).await?;
        Ok(id)
    }

    // ---- faults ----------------------------------------------------------------------------

    /// Power failure of `node`: its disk drops unsynced writes, every task of it dies. If it
    /// was running, the power probe records what its engine and its durable log store had
    /// acknowledged (and the engine's write in flight, if one failed) and what their recoveries
    /// make of the crashed disk (see `power_probe`).
    pub fn kill(&self, node: NodeId) -> Result<(), WorldError> {
        let slot = self.slot(node)?;
        let acknowledged = slot
            .handle()
            .ok()
            .map(|n| (n.engine_state(), n.log_state()));
        slot.kill()?;
        if !self.config.power_probes {
            return Ok(());
        }
        if let Some((acknowledged, log)) = acknowledged {
            let system = self.config.system;
            let failure = PowerFailureProbe {
                node,
                at: self.now(),
                acknowledged,
                recovered: power_probe::recover_engine(slot.disk()),
                log: log.map(|image| (image, power_probe::recover_log(system, slot.disk()))),
            };
            self.power_failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(failure);
        }
        Ok(())
    }

    /// Every power probe taken so far, in the order the power failures happened.
    pub fn power_failure_probes(&self) -> Vec<PowerFailureProbe> {
        self.power_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Starts a killed node again on its surviving disk; waits until it listens.
    pub async fn restart(&self, node: NodeId) -> Result<(), WorldError> {
        let slot = self.slot(node)?;
        slot.restart(self.config.boot_timeout).await.map(|_| ())
    }

    /// See `Network::partition`.
    pub fn partition(&self, groups: &[Vec<NodeId>]) -> Result<(), WorldError> {
        self.network.partition(groups)
    }

    /// See `Network::isolate`.
    pub fn isolate(&self, node: NodeId) -> Result<(), WorldError> {
        self.network.isolate(node)
    }

    /// Restores every link and stops every flaky link.
    pub fn heal(&self) {
        self.network.heal()
    }

    /// Cuts the one-way link `from → to`.
    pub fn clog(&self, from: Host, to: Host) -> Result<(), WorldError> {
        self.network.clog(from, to)
    }

    pub fn unclog(&self, from: Host, to: Host) -> Result<(), WorldError> {
        self.network.unclog(from, to)
    }

    /// See `Network::set_flaky`.
    pub fn set_flaky(
        &self,
        from: Host,
        to: Host,
        p: f64,
        period: Duration,
    ) -> Result<(), WorldError> {
        self.network.set_flaky(from, to, p, period)
    }

    /// Every link's base latency range and loss probability.
    pub fn set_net_base(&self, base: &NetBase) -> Result<(), WorldError> {
        self.network.set_base(base.latency.clone(), base.loss)
    }

    // ---- admin -------------------------------------------------------------------------------

    async fn on_node<T, F, Fut>(&self, node: NodeId, what: &str, f: F) -> Result<T, WorldError>
    where
        T: Send + 'static,
        F: FnOnce(SystemNode) -> Fut,
        Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
    {
        let slot = self.slot(node)?;
        let handle = slot.handle()?;
        let result = match slot.spawn(f(handle))?.await {
            Ok(r) => r,
            Err(_) => Err("the node died during the call".to_string()),
        };
        self.trace.record(Event::Admin {
            node,
            action: what.to_string(),
            result: match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => e.clone(),
            },
        });
        result.map_err(|reason| WorldError::Node { node, reason })
    }

    /// Powers off every machine (servers and clients) and lets madsim drop their tasks. Called
    /// once a run is over: madsim frees a task only when it is polled after its node is killed,
    /// and a task parked on a channel its own future owns would otherwise outlive the runtime
    /// (a few MB per seed, which a campaign of thousands of seeds cannot afford).
    pub async fn power_off_everything(&self) {
        let handle = madsim::runtime::Handle::current();
        for machine in self.network.machines() {
            handle.kill(machine);
        }
        madsim::time::sleep(Duration::from_millis(1)).await;
    }

    /// Builds a snapshot on `node` and waits until it covers everything the node had applied
    /// when asked. Returns the snapshot's last log index. (raft-io: the snapshot also compacts
    /// the log up to it.)
    pub async fn trigger_snapshot(&self, node: NodeId) -> Result<u64, WorldError> {
        if self.config.system == System::RaftIo {
            return self
                .on_node(node, "trigger_snapshot", |n| async move {
                    let Some(server) = n.raft_io() else {
                        return Err("not a raft-io node".to_string());
                    };
                    server
                        .node()
                        .trigger_snapshot()
                        .await
                        .map_err(|e| e.to_string())
                })
                .await;
        }
        let status = self.raft_status(node)?;
        let applied = status.last_applied.unwrap_or(0);
        // Wait for the build this trigger starts, not an older snapshot that happens to cover
        // `applied`: a purge made while that build is still running races openraft 0.9's
        // policy purge when the build completes (docs/findings/openraft-purge-upto-goes-back.md).
        let before = status.snapshot.unwrap_or(0);
        // openraft's trigger returns at once; the world then polls metrics. `Node::trigger_snapshot`
        // waits through openraft's `Wait`, whose unbiased `select!` draws from tokio's
        // thread-local RNG (seeded from a process-wide counter), which made a seed's second run
        // in one process differ from its first.
        self.on_node(node, "trigger_snapshot", |n| async move {
            let Some(n) = n.openraft() else {
                return Err("not an openraft node".to_string());
            };
            n.raft()
                .trigger()
                .snapshot()
                .await
                .map_err(|e| e.to_string())
        })
        .await?;
        self.wait_until(node, "a snapshot", self.config.boot_timeout, |m| {
            m.snapshot.filter(|i| *i >= applied && *i > before)
        })
        .await
    }

    /// Purges `node`'s log up to and including `upto` and waits until the purge is done.
    /// raft-io has no purge of its own: its log is compacted exactly up to each snapshot, so
    /// a purge is a snapshot that covers `upto` (one is built if the newest does not).
    pub async fn purge_log(&self, node: NodeId, upto: u64) -> Result<u64, WorldError> {
        if self.config.system == System::RaftIo {
            let covered = self.raft_status(node)?.purged.unwrap_or(0);
            let purged = if covered >= upto {
                covered
            } else {
                self.trigger_snapshot(node).await?
            };
            self.trace.record(Event::Admin {
                node,
                action: format!("purge_log {upto}"),
                result: format!("raft-io compacted its log to its snapshot at {purged}"),
            });
            if purged < upto {
                return Err(WorldError::Node {
                    node,
                    reason: format!("its snapshot covers {purged}, not {upto}"),
                });
            }
            return Ok(purged);
        }
        self.on_node(node, &format!("purge_log {upto}"), move |n| async move {
            let Some(n) = n.openraft() else {
                return Err("not an openraft node".to_string());
            };
            n.purge_log(upto).await.map_err(|e| e.to_string())
        })
        .await?;
        self.wait_until(node, "the purge", self.config.boot_timeout, |m| {
            m.purged.filter(|i| *i >= upto)
        })
        .await
    }

    /// Moves leadership from `leader` towards `to`. openraft 0.9 has no transfer API: `to`
    /// starts an election at once (`trigger().elect()`) and wins if its log is up to date.
    /// raft-io's leader is asked to `TransferLeadership` to `to` (it catches `to` up, then
    /// tells it to campaign). Returns what was done.
    pub async fn transfer_leader(&self, leader: NodeId, to: NodeId) -> Result<String, WorldError> {
        match self.system_node(to)? {
            SystemNode::Openraft(node) => {
                node.raft()
                    .trigger()
                    .elect()
                    .await
                    .map_err(|e| WorldError::Node {
                        node: to,
                        reason: e.to_string(),
                    })?;
                Ok(format!("node {to} campaigns against leader {leader}"))
            }
            SystemNode::RaftIo(_) => {
                let Some(server) = self.system_node(leader)?.raft_io().cloned() else {
                    return Err(WorldError::NodeDown(leader));
                };
                server
                    .node()
                    .transfer_leadership(to)
                    .await
                    .map_err(|e| WorldError::Node {
                        node: leader,
                        reason: e.to_string(),
                    })?;
                Ok(format!("leader {leader} transfers leadership to node {to}"))
            }
        }
    }

    /// Adds a booted node to the group (learner, catch up, promote) through the leader.
    pub async fn add_voter(&self, node: NodeId) -> Result<(), WorldError> {
        self.slot(node)?;
        self.admin
            .add_voter(node, server_addr(node))
            .await
            .map_err(|e| WorldError::Node {
                node,
                reason: format!("add_voter: {e:?}"),
            })
    }

    /// Removes a voter from the group through the leader.
    pub async fn remove_voter(&self, node: NodeId) -> Result<(), WorldError> {
        self.slot(node)?;
        self.admin
            .remove_voter(node)
            .await
            .map_err(|e| WorldError::Node {
                node,
                reason: format!("remove_voter: {e:?}"),
            })
    }

    /// A new client on its own machine, knowing every node booted so far.
    pub fn client(&self) -> Result<WorldClient, WorldError> {
        let id = self.next_client.fetch_add(1, Ordering::Relaxed);
        if id >= ADMIN_CLIENT {
            // Client ips are 10.0.1.<id>; the admin client owns the last one we hand out.
            return Err(WorldError::Config(format!(
                "a world holds at most {} clients",
                ADMIN_CLIENT - 1
            )));
        }
        let members = self
            .nodes()
            .into_iter()
            .map(|n| (n, server_addr(n)))
            .collect();
        let c = WorldClient::new(id, members, self.config.client_timeout, self.trace.clone());
        self.network.register(Host::Client(id), c.sim_id());
        Ok(c)
    }

    // ---- probes ------------------------------------------------------------------------------

    /// `node`'s current openraft metrics; an error in a world of another system (read
    /// [`World::raft_status`], which every system has).
    pub fn metrics(&self, node: NodeId) -> Result<Metrics, WorldError> {
        Ok(self.node(node)?.metrics())
    }

    /// `node`'s Raft as it stands, whichever system it runs.
    pub fn raft_status(&self, node: NodeId) -> Result<NodeStatus, WorldError> {
        Ok(self.slot(node)?.handle()?.status())
    }

    /// `node`'s engine state and last applied index.
    pub fn engine_state(&self, node: NodeId) -> Result<EngineProbe, WorldError> {
        Ok(self.slot(node)?.handle()?.engine_state())
    }

    /// The voters of the newest membership any live node knows, in id order.
    pub fn voters(&self) -> Vec<NodeId> {
        newest_voters(&self.live_status())
    }

    /// The live voter that considers itself leader in the highest term, if no live voter knows
    /// of a higher term (voters as [`World::voters`] names them).
    pub fn leader(&self) -> Option<NodeId> {
        let status = self.live_status();
        // Only voters count: a node removed from the group whose removal it never learned keeps
        // campaigning with ever higher terms, and the group (whose members reject it) rightly
        // carries on without it.
        let voters = newest_voters(&status);
        leader_of(&status, &voters).or_else(|| {
            // The newest membership any node holds may be a deposed leader's uncommitted
            // configuration entry, which names other voters than the group acts on. openraft's
            // new leader truncates it at once (its blank entry); raft-io's appends nothing when
            // its own log is committed, so the stale entry stays until the next write. Then the
            // leader is the one that leads its own membership unchallenged.
            status
                .iter()
                .filter(|(n, m)| m.role == NodeRole::Leader && m.leader == Some(*n))
                .filter(|(n, m)| m.voters().contains(n))
                .max_by_key(|(_, m)| m.term)
                .and_then(|(_, m)| leader_of(&status, &m.voters()))
        })
    }

    /// The Raft status of every live node, in id order.
    fn live_status(&self) -> Vec<(NodeId, NodeStatus)> {
        self.live_nodes()
            .into_iter()
            .filter_map(|n| self.raft_status(n).ok().map(|m| (n, m)))
            .collect()
    }

    /// Waits until `leader()` answers.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Result<NodeId, WorldError> {
        let deadline = self.now() + timeout;
        loop {
            if let Some(l) = self.leader() {
                return Ok(l);
            }
            if self.now() >= deadline {
                return Err(WorldError::Timeout {
                    what: "a leader".into(),
                    millis: timeout.as_millis() as u64,
                });
            }
            madsim::time::sleep(POLL).await;
        }
    }

    /// Waits until `probe` of `node`'s Raft status answers `Some`.
    pub async fn wait_until<T>(
        &self,
        node: NodeId,
        what: &str,
        timeout: Duration,
        probe: impl Fn(&NodeStatus) -> Option<T>,
    ) -> Result<T, WorldError> {
        let deadline = self.now() + timeout;
        loop {
            if let Some(v) = self.raft_status(node).ok().as_ref().and_then(&probe) {
                return Ok(v);
            }
            if self.now() >= deadline {
                return Err(WorldError::Timeout {
                    what: format!("{what} on node {node}"),
                    millis: timeout.as_millis() as u64,
                });
            }
            madsim::time::sleep(POLL).await;
        }
    }

    /// Waits until every node of `nodes` has applied at least `index`.
    pub async fn wait_applied(
        &self,
        nodes: &[NodeId],
        index: u64,
        timeout: Duration,
    ) -> Result<(), WorldError> {
        let deadline = self.now() + timeout;
        for n in nodes {
            let left = deadline.saturating_sub(self.now());
            self.wait_until(*n, &format!("applied index {index}"), left, |m| {
                m.last_applied.filter(|l| *l >= index).map(|_| ())
            })
            .await?;
        }
        Ok(())
    }
}

/// The live member of `voters` that considers itself leader in the highest term, if no live
/// member knows of a higher term.
fn leader_of(status: &[(NodeId, NodeStatus)], voters: &[NodeId]) -> Option<NodeId> {
    let members: Vec<&(NodeId, NodeStatus)> =
        status.iter().filter(|(n, _)| voters.contains(n)).collect();
    let top = members.iter().map(|(_, m)| m.term).max()?;
    members
        .iter()
        .find(|(n, m)| m.term == top && m.role == NodeRole::Leader && m.leader == Some(*n))
        .map(|(n, _)| *n)
}

/// The voters of the newest membership among `status` (the first node's, on a tie), in id
/// order. Membership log ids compare in openraft's order of log ids (leader, then index),
/// which for raft-io (leader named by its term) is term, then index.
fn newest_voters(status: &[(NodeId, NodeStatus)]) -> Vec<NodeId> {
    let mut best: Option<(Option<LogRef>, &NodeStatus)> = None;
    for (_, m) in status {
        let log_id = m.membership_log_id;
        if best.as_ref().is_none_or(|(b, _)| log_id > *b) {
            best = Some((log_id, m));
        }
    }
    best.map(|(_, m)| m.voters()).unwrap_or_default()
}

/// A node's simulated disk as `config` sets it up: its crash model, and its latency on the
/// simulated clock (a node waits for it: `consensus::disk`).
pub fn node_disk(seed: u64, config: &WorldConfig) -> Result<SimVfs, WorldError> {
    let disk = SimVfs::new(seed);
    disk.set_crash_model(config.crash_model);
    disk.set_clock(Arc::new(|| {
        madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }));
    disk.set_latency(config.disk_latency.clone())
        .map_err(|e| WorldError::Config(format!("disk latency: {e}")))?;
    Ok(disk)
}
