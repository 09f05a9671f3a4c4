//! The nemesis: applies a plan's faults to the `World`, one file per fault family
//! (`partition`, `link`, `crash`, `disk`, `admin`, `aimed`). It resolves each `NodeRef` from the
//! cluster's state when the fault fires and the seeded RNG, records what it did (or why it
//! skipped) in the world's trace, and never panics on a target that makes no sense at that
//! moment (a removed node, a dead leader, no leader after waiting for one): such a fault is
//! skipped with a note.
//!
//! It also keeps what the rest of the run must know about the faults: which nodes it removed
//! from the group (never restarted), and when nodes restarted (the Raft checks reset volatile
//! counters there).

mod admin;
mod aimed;
mod crash;
mod disk;
mod link;
mod partition;
pub mod resolve;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::history::{Time, nanos};
use crate::plan::{Aim, ClusterPlan, Fault, ScheduledFault, Switches};
use crate::world::aim::Aimer;
use crate::world::{NetBase, NodeId, World};

/// Counts of what the nemesis did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NemesisCounts {
    pub applied: u64,
    pub skipped: u64,
}

#[derive(Debug, Default)]
struct State {
    removed: BTreeSet<NodeId>,
    restarts: Vec<(NodeId, Time)>,
    counts: NemesisCounts,
}

/// The fault injector of one run.
pub struct Nemesis {
    world: Rc<World>,
    /// The plan's base network behaviour, which `NetCalm` and the heal restore.
    base: NetBase,
    /// Whether aimed faults wait for their moment (else they strike bluntly at once).
    aimed: bool,
    /// Whether disks take simulated time (else slow-disk and fsync-stall have nothing to slow).
    io_time: bool,
    /// Shared with aimed faults, which run as tasks of their own.
    state: Rc<RefCell<State>>,
}

/// A fault's result: what it did, or why it was skipped.
pub(crate) type FaultResult = Result<String, String>;

/// An aimed fault, armed (or, aiming switched off, not): waits for its moment and strikes, or
/// strikes bluntly at once.
async fn aimed(w: &World, aim: Aim, armed: Option<Arc<Aimer>>, within_ms: u64) -> FaultResult {
    match armed {
        Some(aimer) => aimed::strike(w, aimer, Duration::from_millis(within_ms)).await,
        None => aimed::blunt(w, aim).await,
    }
}

/// Counts `result` and records it in the world's trace.
fn record(w: &World, state: &RefCell<State>, fault: &Fault, result: &FaultResult) {
    let mut state = state.borrow_mut();
    match result {
        Ok(what) => {
            state.counts.applied += 1;
            w.note(format!("nemesis {}: {what}", fault.name()));
        }
        Err(why) => {
            state.counts.skipped += 1;
            w.note(format!("nemesis {} skipped: {why}", fault.name()));
        }
    }
}

/// The network base a cluster plan describes.
pub fn net_base(cluster: &ClusterPlan) -> NetBase {
    NetBase {
        latency: Duration::from_millis(cluster.latency_min_ms)
            ..Duration::from_millis(cluster.latency_max_ms),
        loss: cluster.loss,
    }
}

impl Nemesis {
    pub fn new(world: Rc<World>, cluster: &ClusterPlan, switches: Switches) -> Self {
        Nemesis {
            world,
            base: net_base(cluster),
            aimed: switches.aimed_faults,
            io_time: switches.io_time,
            state: Rc::default(),
        }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Applies `fault` now and records it in the trace. An aimed fault is applied here too,
    /// waiting for its moment; [`Nemesis::run`] gives it a task of its own instead.
    pub async fn apply(&self, fault: &Fault) -> FaultResult {
        let w = &*self.world;
        if fault.targets_leader() {
            resolve::await_leader(w).await;
        }
        let removed = self.removed();
        let result = match fault {
            Fault::Partition { groups } => partition::explicit(w, groups),
            Fault::RandomHalves => partition::random_halves(w, &removed),
            Fault::IsolateLeader => partition::isolate_leader(w),
            Fault::MajorityMinority => partition::majority_minority(w, &removed),
            Fault::Bridge => partition::bridge(w, &removed),
            Fault::OneWay { from, to } => partition::one_way(w, &removed, *from, *to),
            Fault::Heal => partition::heal(w),
            Fault::LinkLoss { rate } => link::loss(w, &self.base, *rate),
            Fault::LatencySpike { min_ms, max_ms } => {
                link::latency(w, &self.base, *min_ms, *max_ms)
            }
            Fault::NetCalm => link::calm(w, &self.base),
            Fault::Kill { node, torn } => crash::kill(w, *node, *torn).await,
            Fault::Restart { node } => match crash::restart_target(w, *node, &removed) {
                Ok(id) => self.restart(id).await,
                Err(e) => Err(e),
            },
            Fault::Disk { node, fault } => disk::inject(w, *node, *fault),
            Fault::DiskHeal { node } => disk::heal(w, *node),
            Fault::SlowDisk { .. } | Fault::FsyncStall { .. } if !self.io_time => {
                Err("disk time is switched off (--no-io-time)".into())
            }
            Fault::SlowDisk { node, factor } => disk::slow(w, *node, *factor),
            Fault::FsyncStall {
                node,
                each_ms,
                for_ms,
            } => disk::stall_syncs(w, *node, *each_ms, *for_ms),
            Fault::Aimed { aim, within_ms } => {
                let armed = self.aimed.then(|| aimed::arm(w, *aim));
                aimed(w, *aim, armed, *within_ms).await
            }
            Fault::Snapshot { node } => admin::snapshot(w, *node).await,
            Fault::Purge { node } => admin::purge(w, *node).await,
            Fault::TransferLeader => admin::transfer_leader(w).await,
            Fault::AddVoter => admin::add_voter(w, &removed).await,
            Fault::RemoveVoter { node } => match admin::remove_voter(w, *node).await {
                Ok((id, text)) => {
                    self.state.borrow_mut().removed.insert(id);
                    Ok(text)
                }
                Err(e) => Err(e),
            },
        };
        record(w, &self.state, fault, &result);
        result
    }

    /// Applies each fault at its time (simulated ms after `start`); a fault that comes due
    /// while an earlier one is still being applied runs right after it. An aimed fault runs as
    /// a task of its own (it may wait for its moment while the schedule goes on: the moment is
    /// often made by a later fault); `run` returns once every one of them is done.
    pub async fn run(&self, schedule: &[ScheduledFault], start: Duration) {
        let mut aimed_tasks = Vec::new();
        for f in schedule {
            let due = start + Duration::from_millis(f.at_ms);
            let now = self.world.now();
            if due > now {
                self.world.sleep(due - now).await;
            }
            if let Fault::Aimed { aim, within_ms } = f.fault {
                let (world, state) = (self.world.clone(), self.state.clone());
                let armed = self.aimed.then(|| aimed::arm(&world, aim));
                let fault = f.fault.clone();
                aimed_tasks.push(madsim::task::spawn_local(async move {
                    let result = aimed(&world, aim, armed, within_ms).await;
                    record(&world, &state, &fault, &result);
                }));
                continue;
            }
            // Skips are recorded in the trace and counted; the schedule goes on.
            let _ = self.apply(&f.fault).await;
        }
        for task in aimed_tasks {
            // A task ends only by recording its outcome.
            let _ = task.await;
        }
    }

    /// Restarts a down node and records when.
    pub async fn restart(&self, node: NodeId) -> FaultResult {
        let at = nanos(self.world.now());
        self.state.borrow_mut().restarts.push((node, at));
        self.world
            .restart(node)
            .await
            .map(|()| format!("node {node} restarted"))
            .map_err(|e| e.to_string())
    }

    /// Heals everything: links, the network base, every disk fault; restarts every node that is
    /// down or failed to start (except removed ones), and nodes whose Raft core stopped.
    pub async fn heal_all(&self) {
        let w = &*self.world;
        w.heal();
        if let Err(e) = w.set_net_base(&self.base) {
            w.note(format!("heal: network base not restored: {e}"));
        }
        for node in w.nodes() {
            if let Ok(disk) = w.disk(node) {
                disk::clear(&disk);
            }
        }
        let removed = self.removed();
        for node in w.nodes() {
            if removed.contains(&node) {
                continue;
            }
            if crash::needs_restart(w, node)
                && let Err(e) = crash::stop(w, node)
            {
                w.note(format!("heal: could not stop node {node}: {e}"));
            }
            if w.status(node) == Ok(crate::world::Status::Down) {
                match self.restart(node).await {
                    Ok(what) => w.note(format!("heal: {what}")),
                    Err(e) => w.note(format!("heal: node {node} did not restart: {e}")),
                }
            }
        }
    }

    /// Nodes removed from the group (powered off for good).
    pub fn removed(&self) -> BTreeSet<NodeId> {
        self.state.borrow().removed.clone()
    }

    /// When nodes restarted (simulated ns).
    pub fn restarts(&self) -> Vec<(NodeId, Time)> {
        self.state.borrow().restarts.clone()
    }

    pub fn counts(&self) -> NemesisCounts {
        self.state.borrow().counts
    }
}
