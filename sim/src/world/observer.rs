//! The observation authority: every node's online reports (`faultline_consensus::observe`)
//! collected into one log, in the order they happen, each stamped with the simulated time, the
//! node and its incarnation. The Raft checks replay this log; its fingerprint is part of the
//! seed's trace hash.
//!
//! A report is an append under a lock madsim never contends (one thread runs every task), so
//! the nodes pay almost nothing for being observed.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faultline_consensus::observe::{Observation, Observer};

use super::NodeId;
use crate::check::observation::RaftEvent;
use crate::history::nanos;

/// The run's observation log. Cheap to clone; clones share the log.
#[derive(Debug, Clone, Default)]
pub struct ObservationLog {
    events: Arc<Mutex<Vec<RaftEvent>>>,
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

    /// Records `event` of `node`'s `incarnation` now.
    pub fn record(&self, node: NodeId, incarnation: u32, event: Observation) {
        let at = madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed())
            .unwrap_or(Duration::ZERO);
        self.lock().push(RaftEvent {
            at: nanos(at),
            node,
            incarnation,
            event,
        });
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
}
