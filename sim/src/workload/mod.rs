//! The client workload: `clients` concurrent clients, each on its own simulated machine, issue
//! upserts with unique values, deletes and linearizable reads over a small key space of one
//! pre-created collection (so operations collide), plus occasional searches and collection
//! creations, and writes each cold key once (read only after the heal, `read_cold`). Register operations and searches go into the history (`recorder`); creations are
//! counted in the run's stats, checked by the catalog checker and appear in the world's trace.
//!
//! Files: `ops` (requests and their history vocabulary), `client` (one client's loop),
//! `recorder` (history events).

mod client;
pub mod ops;
pub mod recorder;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use faultline_consensus::ClientError;
use serde::{Deserialize, Serialize};

pub use recorder::{EventKind, HistoryEvent, Recorder, history_of};

use crate::check::catalog::RefusedCreate;
use crate::history::ProcessId;
use crate::plan::WorkloadPlan;
use crate::world::{World, WorldClient, WorldError};

/// Outcomes of calls that are not register operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct CallCounts {
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
}

impl CallCounts {
    pub fn count<T>(&mut self, r: &Result<T, ClientError>) {
        match r {
            Ok(_) => self.ok += 1,
            Err(e) if e.is_definite() => self.fail += 1,
            Err(_) => self.info += 1,
        }
    }
}

/// What the workload did besides register operations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadStats {
    pub searches: CallCounts,
    pub creates: CallCounts,
    /// Creates of fresh names that the cluster refused (the catalog checker's input).
    pub refused_creates: Vec<RefusedCreate>,
}

/// How often setup retries creating the register collection.
const SETUP_TRIES: u32 = 50;

/// Creates the register collection through `client`, retrying until the cluster has it.
pub async fn setup(world: &World, client: &WorldClient) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..SETUP_TRIES {
        match client.write(ops::create(ops::COLLECTION)).await {
            Ok(_) => return Ok(()),
            // A retry after an unknown outcome finds the collection already there.
            Err(ClientError::Rejected(e)) if e.contains("already exists") => return Ok(()),
            Err(
                ClientError::Definite(e) | ClientError::Rejected(e) | ClientError::Indeterminate(e),
            ) => last = e,
        }
        world.sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "could not create collection {:?}: {last}",
        ops::COLLECTION
    ))
}

/// Runs the plan's clients until `end` (simulated time since the runtime started) and waits
/// for their last operations. Processes are numbered `1..=clients`.
pub async fn run(
    world: Rc<World>,
    plan: &WorkloadPlan,
    end: Duration,
    recorder: &Recorder,
) -> Result<WorkloadStats, WorldError> {
    let stats = Rc::new(RefCell::new(WorkloadStats::default()));
    let mut tasks = Vec::new();
    for process in 1..=ProcessId::from(plan.clients) {
        let client = world.client()?;
        tasks.push(madsim::task::spawn_local(client::run(
            world.clone(),
            client,
            process,
            plan.clone(),
            end,
            recorder.clone(),
            stats.clone(),
        )));
    }
    for t in tasks {
        // A client task only ends by finishing its loop; a lost one has nothing to report.
        let _ = t.await;
    }
    let stats = stats.borrow().clone();
    Ok(stats)
}

/// One probe write (upsert of a fresh value) through `client`, recorded; returns its index.
pub async fn probe_write(
    client: &WorldClient,
    recorder: &Recorder,
    process: ProcessId,
    id: u64,
    n: u64,
) -> usize {
    let (req, call, record) = ops::upsert(id, &format!("probe-{n}"), n);
    client::write(client, recorder, process, req, call, Some(record)).await
}

/// Reads every cold key through `client`, recorded: a write acknowledged during the faults
/// that was lost shows here, whatever happened to the hot keys since.
pub async fn read_cold(
    client: &WorldClient,
    recorder: &Recorder,
    process: ProcessId,
    plan: &WorkloadPlan,
) {
    for id in plan.keys..plan.keys + plan.cold_keys {
        client::read(client, recorder, process, id).await;
    }
}

/// One probe read through `client`, recorded; returns its index.
pub async fn probe_read(
    client: &WorldClient,
    recorder: &Recorder,
    process: ProcessId,
    id: u64,
) -> usize {
    client::read(client, recorder, process, id).await
}
