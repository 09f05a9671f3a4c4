//! The part of a run that happens inside the simulated runtime: boot the world, create the
//! register collection, run the workload, the fault schedule and the metrics sampler
//! concurrently, then the liveness phase (heal everything, wait for one leader and convergence,
//! probe writes and reads), and take the replicas' final states.
//!
//! Time base: fault times and the heal time are simulated ms after the workload starts, which
//! is right after the world booted.

use std::cell::{Cell, RefCell};

use faultline_engine::vfs::CrashModel;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::fingerprint::DiskDigest;
use super::observe::{Samples, flatten, flatten_ops, log_shape};
use crate::check::knn::{RecordData, SearchOp};
use crate::check::observation::{
    EngineRecovery, LogRecovery, MetricsSample, NodeObservation, RaftEvent,
};
use crate::check::raft::EndState;
use crate::history::{ProcessId, Time, nanos};
use crate::nemesis::{Nemesis, NemesisCounts, resolve};
use crate::plan::Plan;
use crate::workload::{self, Recorder, WorkloadStats};
use crate::world::{NodeId, ObservationLog, Status, Trace, World, WorldConfig};

/// How often the sampler reads every node's metrics (simulated time).
pub const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// How often the liveness phase polls for convergence.
const POLL: Duration = Duration::from_millis(10);

/// Handles the run keeps outside the simulated thread, so a run that panics still reports its
/// history and trace.
#[derive(Clone, Default)]
pub struct Sink {
    pub recorder: Recorder,
    pub trace: Arc<Mutex<Option<Trace>>>,
    pub observations: Arc<Mutex<Option<ObservationLog>>>,
}

/// What the simulation hands to the checkers.
#[derive(Debug, Default)]
pub struct Simulated {
    /// The Raft the nodes ran.
    pub system: faultline_consensus::System,
    /// Why the run could not get to the checks (boot or setup failed), if it could not.
    pub aborted: Option<String>,
    pub samples: Vec<MetricsSample>,
    /// Every node's online reports, in the order they happened (filled in from the sink after
    /// the run, so a run that panics still has them).
    pub events: Vec<RaftEvent>,
    /// Every search and its hits, and every record written (from the recorder, like `events`).
    pub searches: Vec<SearchOp>,
    pub written: BTreeMap<String, RecordData>,
    /// The leader and the running voters after the liveness phase.
    pub end: Option<EndState>,
    /// Voters (not removed) that were not up and serving after the liveness phase, and why.
    pub not_serving: Vec<(NodeId, String)>,
    pub restarts: Vec<(NodeId, Time)>,
    pub healed_at: Time,
    pub deadline: Time,
    /// Voters running during the liveness phase.
    pub live: Vec<NodeId>,
    pub observations: Vec<NodeObservation>,
    pub probes: Vec<usize>,
    /// The engine probe of every power failure.
    pub engine_recoveries: Vec<EngineRecovery>,
    /// The log-store probe of every power failure of a node with a durable, healthy store.
    pub log_recoveries: Vec<LogRecovery>,
    pub workload: WorkloadStats,
    pub nemesis: NemesisCounts,
    /// Every node's disk: operations asked and their digest.
    pub disks: Vec<DiskDigest>,
    /// Simulated time at the end of the run.
    pub finished_at: Time,
}

/// The world config a plan describes. `time_limit` bounds the whole run generously: passing
/// it means the run hung, which the runner reports.
pub fn world_config(plan: &Plan) -> WorldConfig {
    let c = &plan.cluster;
    let budget_ms = plan.heal_at_ms() + plan.liveness.deadline_ms + 120_000;
    WorldConfig {
        system: plan.system,
        nodes: c.nodes,
        voters: c.voters,
        log_store: c.log_store,
        raft: c.raft.clone(),
        rpc_timeout: Duration::from_millis(c.rpc_timeout_ms),
        client_timeout: Duration::from_millis(c.client_timeout_ms),
        net: crate::nemesis::net_base(c),
        boot_timeout: Duration::from_secs(10),
        time_limit: Duration::from_millis(budget_ms),
        power_probes: plan.switches.power_probes,
        disk_latency: plan
            .switches
            .io_time
            .then(|| plan.cluster.disk_latency.clone()),
        crash_model: if plan.switches.harsh_crashes {
            CrashModel::Harsh
        } else {
            CrashModel::Gentle
        },
    }
}

/// Runs `plan` inside the current madsim runtime.
pub async fn simulate(plan: Plan, sink: Sink) -> Simulated {
    let mut out = Simulated {
        system: plan.system,
        ..Simulated::default()
    };
    let world = match World::new(plan.seed, world_config(&plan)).await {
        Ok(w) => Rc::new(w),
        Err(e) => {
            out.aborted = Some(format!("the world did not boot: {e}"));
            return out;
        }
    };
    *sink.trace.lock().unwrap_or_else(|e| e.into_inner()) = Some(world.trace().clone());
    *sink.observations.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(world.observations().clone());
    let recorder = sink.recorder;
    let samples = Rc::new(RefCell::new(Samples::default()));
    let stop = Rc::new(Cell::new(false));
    let sampler = {
        let (world, samples, stop) = (world.clone(), samples.clone(), stop.clone());
        madsim::task::spawn_local(async move {
            while !stop.get() {
                samples.borrow_mut().sample(&world, nanos(world.now()));
                world.sleep(SAMPLE_EVERY).await;
            }
        })
    };

    let setup = match world.client() {
        Ok(c) => workload::setup(&world, &c).await,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = setup {
        out.aborted = Some(format!("setup failed: {e}"));
        stop.set(true);
        let _ = sampler.await;
        return out;
    }

    let start = world.now();
    let nemesis = Nemesis::new(world.clone(), &plan.cluster, plan.switches);
    let end = start + Duration::from_millis(plan.workload.duration_ms);
    let (stats, ()) = tokio::join!(
        workload::run(world.clone(), &plan.workload, end, &recorder),
        nemesis.run(&plan.faults, start),
    );
    match stats {
        Ok(s) => out.workload = s,
        Err(e) => world.note(format!("workload could not start every client: {e}")),
    }

    // ---- liveness phase ----
    let heal_due = start + Duration::from_millis(plan.heal_at_ms());
    if heal_due > world.now() {
        world.sleep(heal_due - world.now()).await;
    }
    world.note("liveness: healing every fault");
    nemesis.heal_all().await;
    let healed_at = world.now();
    let deadline = healed_at + Duration::from_millis(plan.liveness.deadline_ms);
    wait_converged(&world, deadline).await;
    let probe_client = world.client();
    let process = ProcessId::from(plan.workload.clients) + 1;
    match probe_client {
        Ok(client) => {
            for n in 0..u64::from(plan.liveness.probe_writes) {
                let id = n % plan.workload.keys;
                // Probe values stay unique: at most 100 probes of a kind (plan validation).
                out.probes.push(
                    until_ok(&world, &recorder, deadline, |attempt| {
                        workload::probe_write(&client, &recorder, process, id, n + 100 * attempt)
                    })
                    .await,
                );
            }
            for n in 0..u64::from(plan.liveness.probe_reads) {
                let id = n % plan.workload.keys;
                out.probes.push(
                    until_ok(&world, &recorder, deadline, |_| {
                        workload::probe_read(&client, &recorder, process, id)
                    })
                    .await,
                );
            }
            workload::read_cold(&client, &recorder, process, &plan.workload).await;
        }
        Err(e) => world.note(format!("liveness: no probe client: {e}")),
    }
    // Let the probes reach every replica before taking the final states.
    wait_converged(&world, deadline.max(world.now() + Duration::from_secs(1))).await;
    stop.set(true);
    let _ = sampler.await;
    // One last sample at the instant convergence was seen: a liveness phase shorter than the
    // sampling period would otherwise leave the checker no sample after the heal.
    samples.borrow_mut().sample(&world, nanos(world.now()));

    // Every final state at one instant: no await between the reads.
    let live = resolve::live_members(&world);
    out.observations = live
        .iter()
        .filter_map(|n| world.engine_state(*n).ok().map(|s| flatten(*n, &s)))
        .collect();
    out.live = live;
    out.healed_at = nanos(healed_at);
    out.deadline = nanos(deadline);
    out.restarts = nemesis.restarts();
    out.nemesis = nemesis.counts();
    let samples = std::mem::take(&mut *samples.borrow_mut());
    out.samples = samples.samples;
    out.end = Some(EndState {
        leader: world.leader(),
        live: out.live.clone(),
    });
    out.not_serving = not_serving(&world, &plan, &nemesis.removed());
    // A last power failure of every running node, after everything else was observed: what its
    // engine and its log store acknowledged must come back from its disk even if the run never
    // crashed it (the power probes check it).
    if plan.switches.power_probes {
        for node in world.live_nodes() {
            let _ = world.kill(node);
        }
    }
    let probes = world.power_failure_probes();
    out.log_recoveries = probes
        .iter()
        .filter_map(|f| {
            let (probed, recovered) = f.log.as_ref()?;
            Some(LogRecovery {
                node: f.node,
                at: nanos(f.at),
                acknowledged: log_shape(&probed.acknowledged),
                in_flight: probed.in_flight.as_ref().map(log_shape),
                recovered: recovered.as_ref().map(log_shape).map_err(Clone::clone),
            })
        })
        .collect();
    out.engine_recoveries = probes
        .iter()
        .map(|f| EngineRecovery {
            node: f.node,
            at: nanos(f.at),
            acknowledged: flatten(f.node, &f.acknowledged),
            recovered: f
                .recovered
                .as_ref()
                .map_err(Clone::clone)
                .map(|ops| flatten_ops(f.node, ops)),
            unsettled: f
                .acknowledged
                .unsettled
                .as_ref()
                .map(|ops| flatten_ops(f.node, ops)),
        })
        .collect();
    out.disks = world
        .nodes()
        .into_iter()
        .filter_map(|node| {
            let disk = world.disk(node).ok()?;
            Some(DiskDigest {
                node,
                ops: disk.counters().ops,
                digest: disk.op_digest(),
            })
        })
        .collect();
    out.finished_at = nanos(world.now());
    world.note("run finished");
    world.power_off_everything().await;
    out
}

/// The voters (of the newest membership any live node knows, or else the plan's initial group)
/// that were not removed and are not up and serving: down, failed to start (with the error), or
/// running with a stopped Raft core.
fn not_serving(
    w: &World,
    plan: &Plan,
    removed: &std::collections::BTreeSet<NodeId>,
) -> Vec<(NodeId, String)> {
    let mut voters = resolve::members(w);
    if voters.is_empty() {
        voters = (1..=plan.cluster.voters as NodeId).collect();
    }
    voters
        .into_iter()
        .filter(|n| !removed.contains(n))
        .filter_map(|n| {
            let why = match w.status(n) {
                Ok(Status::Up) => match w.raft_status(n) {
                    Ok(m) if m.stopped.is_some() => {
                        format!("its Raft core stopped: {}", m.stopped.unwrap_or_default())
                    }
                    Ok(_) => return None,
                    Err(e) => e.to_string(),
                },
                Ok(Status::Failed) => format!(
                    "it could not restart from its own disk: {}",
                    w.start_failure(n).ok().flatten().unwrap_or_default()
                ),
                Ok(status) => format!("it is {status:?}"),
                Err(e) => e.to_string(),
            };
            Some((n, why))
        })
        .collect()
}

/// Whether there is a leader and every live voter has applied everything in its log.
fn converged(w: &World) -> bool {
    let Some(leader) = w.leader() else {
        return false;
    };
    let Some(target) = w.raft_status(leader).ok().and_then(|m| m.last_log_index) else {
        return false;
    };
    // A member still starting (recovering from a slow disk, say) is waited for too.
    let booting = resolve::members(w)
        .into_iter()
        .any(|n| w.status(n) == Ok(crate::world::Status::Booting));
    let live = resolve::live_members(w);
    !booting
        && !live.is_empty()
        && live.iter().all(|n| {
            w.raft_status(*n)
                .is_ok_and(|m| m.last_applied == Some(target))
        })
}

/// Polls until `converged` or `deadline`.
async fn wait_converged(w: &World, deadline: Duration) {
    while !converged(w) && w.now() < deadline {
        w.sleep(POLL).await;
    }
}

/// Issues a liveness probe (`issue(attempt)`, recorded, returning its operation index) until
/// one ends `ok` or the deadline is too close for another try, and returns the last attempt:
/// an election right after the heal may answer a write "maybe proposed", which is no lack of
/// progress. The checker judges the attempt returned.
async fn until_ok<F, Fut>(
    world: &World,
    recorder: &Recorder,
    deadline: Duration,
    mut issue: F,
) -> usize
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let pause = Duration::from_millis(50);
    let mut attempt = 0;
    loop {
        let op = issue(attempt).await;
        if recorder.succeeded(op) || world.now() + pause >= deadline {
            return op;
        }
        world.sleep(pause).await;
        attempt += 1;
    }
}
