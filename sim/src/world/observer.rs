//! The observation authority: every node's online reports (`faultline_consensus::observe`)
//! collected into one log, in the order they happen, each stamped with the simulated time, the
//! node and its incarnation, and a running digest per node of every frame it wrote to the
//! network. The Raft checks replay the log; both are part of the seed's trace hash.
//!
//! A report is an append under a lock madsim never contends (one thread runs every task), so
//! the nodes pay almost nothing for being observed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faultline_consensus::observe::{Observation, Observer};
use faultline_engine::fnv::Fnv1a;
use serde::{Deserialize, Serialize};

use super::NodeId;
use super::aim::Aimer;
use crate::check::observation::RaftEvent;
use crate::history::nanos;

/// The run's observation log. Cheap to clone; clones share the log.
#[derive(Debug, Clone, Default)]
pub struct ObservationLog {
    events: Arc<Mutex<Vec<RaftEvent>>>,
    /// Armed triggers of aimed faults (`aim`), offered every report.
    aims: Arc<Mutex<Vec<Arc<Aimer>>>>,
    /// Per node: whether its last saved (or recovered) vote is a committed vote for itself.
    leads: Arc<Mutex<BTreeMap<NodeId, bool>>>,
    /// Per node: frames written to the network and a running digest of them.
    wire: Arc<Mutex<BTreeMap<NodeId, (u64, Fnv1a)>>>,
}

/// What one node wrote to the network: how many frames, and their running digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WireDigest {
    pub node: NodeId,
    pub frames: u64,
    pub digest: u64,
}

impl ObservationLog {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<RaftEvent>> {
        // A panic while holding the lock is already a finding; keep the events readable.
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The observer incarnation `incarnation` of `node` reports to.
    pub fn observer(&self, node: NodeId, incarnation: u32) -> Arc<dyn Observer> {
        Arc::new(NodeObserver {
            node,
            incarnation,
            log: self.clone(),
        })
    }

    /// Records `event` of `node`'s `incarnation` now, and offers it to every armed trigger.
    pub fn record(&self, node: NodeId, incarnation: u32, event: Observation) {
        let at = madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed())
            .unwrap_or(Duration::ZERO);
        let vote = match &event {
            Observation::VoteSaved { vote } => Some(Some(*vote)),
            Observation::Recovered { vote, .. } => Some(*vote),
            _ => None,
        };
        let event = RaftEvent {
            at: nanos(at),
            node,
            incarnation,
            event,
        };
        let leads = {
            let mut leads = self.leads.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(vote) = vote {
                let own = vote.is_some_and(|v| v.committed && v.node == Some(node));
                leads.insert(node, own);
            }
            leads.get(&node).copied().unwrap_or(false)
        };
        let aims: Vec<Arc<Aimer>> = self.aims.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for aimer in aims {
            aimer.offer(&event, leads);
        }
        self.lock().push(event);
    }

    /// Arms `aimer`: every later report is offered to it until it is disarmed.
    pub fn arm(&self, aimer: Arc<Aimer>) {
        self.aims
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(aimer);
    }

    /// Disarms `aimer`.
    pub fn disarm(&self, aimer: &Arc<Aimer>) {
        self.aims
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|a| !Arc::ptr_eq(a, aimer));
    }

    /// Folds a frame `node` wrote into its running digest.
    pub fn wire(&self, node: NodeId, frame_digest: u64) {
        let mut wire = self.wire.lock().unwrap_or_else(|e| e.into_inner());
        let (frames, digest) = wire.entry(node).or_default();
        *frames += 1;
        digest.write_u64(frame_digest);
    }

    /// Every node's network digest, in node order.
    pub fn wire_digests(&self) -> Vec<WireDigest> {
        self.wire
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(node, (frames, digest))| WireDigest {
                node: *node,
                frames: *frames,
                digest: digest.finish(),
            })
            .collect()
    }

    /// Every event so far, in the order they happened.
    pub fn events(&self) -> Vec<RaftEvent> {
        self.lock().clone()
    }

    /// Takes every event so far out of the log.
    pub fn take(&self) -> Vec<RaftEvent> {
        std::mem::take(&mut *self.lock())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// One incarnation of one node, reporting into the run's log.
#[derive(Debug)]
struct NodeObserver {
    node: NodeId,
    incarnation: u32,
    log: ObservationLog,
}

impl Observer for NodeObserver {
    fn observe(&self, event: Observation) {
        self.log.record(self.node, self.incarnation, event);
    }

    fn wire(&self, frame_digest: u64) {
        self.log.wire(self.node, frame_digest);
    }
}
