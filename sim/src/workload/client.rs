//! One workload client: a loop on its own simulated machine that picks operations from the
//! plan's mix with the seeded RNG, issues them through the network (the consensus client
//! follows "not the leader" redirects and bounds each call by the client timeout), records
//! each register operation in the history, and thinks between operations.
//!
//! Outcomes map to the history as the consensus client reports them: `Definite` → `fail`,
//! `Indeterminate` (a timeout, a connection lost after sending) → `info`, never `fail`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use faultline_consensus::ClientError;
use madsim::rand::Rng;

use super::WorkloadStats;
use super::ops::{self, COLLECTION};
use super::recorder::{EventKind, Recorder};
use crate::check::catalog::RefusedCreate;
use crate::check::knn::{RecordData, SearchHit};
use crate::history::{Call, ProcessId, Ret, nanos};
use crate::plan::WorkloadPlan;
use crate::world::{World, WorldClient};

/// What a client does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    Upsert,
    Delete,
    Read,
    Search,
    Create,
}

fn pick(plan: &WorkloadPlan) -> Pick {
    let m = &plan.mix;
    let mut roll = madsim::rand::thread_rng().gen_range(0..plan.mix.total());
    for (weight, p) in [
        (m.upsert, Pick::Upsert),
        (m.delete, Pick::Delete),
        (m.read, Pick::Read),
        (m.search, Pick::Search),
    ] {
        let w = u64::from(weight);
        if roll < w {
            return p;
        }
        roll -= w;
    }
    Pick::Create
}

/// What a failed call amounts to in the history (`ClientError::is_definite` decides).
fn failure(e: ClientError) -> EventKind {
    let error = e.reason().to_string();
    if e.is_definite() {
        EventKind::Fail { error }
    } else {
        EventKind::Info { error }
    }
}

/// Issues one register write (upsert or delete, writing `record`) and records it; returns its
/// operation index.
pub(crate) async fn write(
    client: &WorldClient,
    recorder: &Recorder,
    process: ProcessId,
    req: faultline_consensus::WriteRequest,
    call: Call,
    record: Option<RecordData>,
) -> usize {
    let op = recorder.invoke(process, call, record);
    let kind = match client.write(req).await {
        Ok(_) => EventKind::Ok { ret: Ret::Done },
        Err(e) => failure(e),
    };
    recorder.complete(op, process, kind);
    op
}

/// Issues one linearizable read of point `id` and records it; returns its operation index.
pub(crate) async fn read(
    client: &WorldClient,
    recorder: &Recorder,
    process: ProcessId,
    id: u64,
) -> usize {
    let op = recorder.invoke(process, ops::read_call(id), None);
    let kind = match client.read(COLLECTION, id).await {
        Ok(record) => EventKind::Ok {
            ret: Ret::Read(record.map(|r| {
                ops::record_value(&RecordData {
                    vector: r.vector,
                    payload: r.payload.0,
                })
            })),
        },
        Err(e) => failure(e),
    };
    recorder.complete(op, process, kind);
    op
}

fn search_hit(h: faultline_consensus::Hit) -> SearchHit {
    SearchHit {
        id: h.id,
        score: h.score,
        record: RecordData {
            vector: h.vector.unwrap_or_default(),
            payload: h.payload.map_or(serde_json::Value::Null, |p| p.0),
        },
    }
}

/// The cold keys client `process` writes (every `clients`-th, starting at its own), each at a
/// seeded moment between `now` and `end`: as `(due, id)`, latest first.
fn cold_writes(
    plan: &WorkloadPlan,
    process: ProcessId,
    now: Duration,
    end: Duration,
) -> Vec<(Duration, u64)> {
    let span = end.saturating_sub(now).as_millis().max(1) as u64;
    let mine = (plan.keys..plan.keys + plan.cold_keys)
        .filter(|id| (id - plan.keys) % u64::from(plan.clients) + 1 == process);
    let mut due: Vec<(Duration, u64)> = mine
        .map(|id| {
            let at = madsim::rand::thread_rng().gen_range(0..span);
            (now + Duration::from_millis(at), id)
        })
        .collect();
    due.sort_by(|a, b| b.cmp(a));
    due
}

/// Runs client `process` until `end` (simulated time since the runtime started).
pub(crate) async fn run(
    world: Rc<World>,
    client: WorldClient,
    process: ProcessId,
    plan: WorkloadPlan,
    end: Duration,
    recorder: Recorder,
    stats: Rc<RefCell<WorkloadStats>>,
) {
    let mut seq: u64 = 0;
    let mut cold = cold_writes(&plan, process, world.now(), end);
    while world.now() < end {
        seq += 1;
        if cold.last().is_some_and(|(due, _)| *due <= world.now()) {
            let Some((_, id)) = cold.pop() else { break };
            let value = format!("c{process}-{seq}");
            let (req, call, record) = ops::upsert(id, &value, seq);
            write(&client, &recorder, process, req, call, Some(record)).await;
            continue;
        }
        let id = madsim::rand::thread_rng().gen_range(0..plan.keys);
        match pick(&plan) {
            Pick::Upsert => {
                // Unique per run: the client's process and its own sequence number.
                let value = format!("c{process}-{seq}");
                let (req, call, record) = ops::upsert(id, &value, seq);
                write(&client, &recorder, process, req, call, Some(record)).await;
            }
            Pick::Delete => {
                let (req, call) = ops::delete(id);
                write(&client, &recorder, process, req, call, None).await;
            }
            Pick::Read => {
                read(&client, &recorder, process, id).await;
            }
            Pick::Search => {
                let (req, call) = ops::search(id, seq);
                let op = recorder.invoke_search(process, call);
                let r = client.search(COLLECTION, req).await;
                stats.borrow_mut().searches.count(&r);
                let kind = match r {
                    Ok(hits) => EventKind::Hits {
                        hits: hits.into_iter().map(search_hit).collect(),
                    },
                    Err(e) => EventKind::SearchFailed {
                        error: e.to_string(),
                    },
                };
                recorder.complete(op, process, kind);
            }
            Pick::Create => {
                // Unique per run, so the cluster has no reason to refuse it.
                let name = format!("extra-c{process}-{seq}");
                let r = client.write(ops::create(&name)).await;
                let mut stats = stats.borrow_mut();
                stats.creates.count(&r);
                if let Err(ClientError::Rejected(reason)) = r {
                    stats.refused_creates.push(RefusedCreate {
                        process,
                        name,
                        reason,
                        at: nanos(world.now()),
                    });
                }
            }
        }
        let think = madsim::rand::thread_rng().gen_range(plan.think_min_ms..=plan.think_max_ms);
        world.sleep(Duration::from_millis(think)).await;
    }
}
