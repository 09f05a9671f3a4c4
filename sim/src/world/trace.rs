//! The seed's trace: everything observable that happened in one run — fault events, node
//! lifecycle, leader/term changes as each node saw them, client calls and their outcomes — each
//! stamped with simulated time. Its `trace_hash` is the determinism fingerprint of a seed.
//!
//! The hash is FNV-1a (64 bit) over a canonical serialisation: one JSON line per entry, written
//! from types that hold no maps, so field order and content are fixed by the code alone.
//! std's `DefaultHasher` is never used: its keys are random per process.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::NodeId;
use crate::history::nanos;

/// What a client call ended with, as text, in the history's vocabulary (its `Outcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum CallOutcome {
    /// Definitely happened; the text is what the system answered.
    Ok(String),
    /// Definitely did not happen.
    Fail(String),
    /// May or may not have happened (timeout, connection lost after sending).
    Info(String),
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Event {
    Booted {
        nodes: usize,
        voters: usize,
    },
    NodeStarted {
        node: NodeId,
        incarnation: u32,
    },
    NodeStartFailed {
        node: NodeId,
        reason: String,
    },
    /// Power failure: unsynced disk writes dropped (`lost_writes` of them, `torn` if the last
    /// one was kept in part), every task of the node gone.
    Killed {
        node: NodeId,
        lost_writes: u64,
        torn: bool,
    },
    Restarted {
        node: NodeId,
    },
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    Isolate {
        node: NodeId,
    },
    Heal,
    Clog {
        from: String,
        to: String,
    },
    Unclog {
        from: String,
        to: String,
    },
    LinkFlaky {
        from: String,
        to: String,
        clogged_per_mille: u32,
    },
    NetBase {
        latency_us: (u64, u64),
        loss_per_million: u64,
    },
    /// A node's own view changed: its term, its idea of the leader, or its role.
    Raft {
        node: NodeId,
        term: u64,
        leader: Option<NodeId>,
        role: String,
    },
    Invoke {
        client: u32,
        call: u64,
        op: String,
    },
    Complete {
        client: u32,
        call: u64,
        outcome: CallOutcome,
    },
    Admin {
        node: NodeId,
        action: String,
        result: String,
    },
    Note(String),
}

/// An event and the simulated time it happened at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Entry {
    /// Simulated nanoseconds since the runtime started.
    pub at_ns: u64,
    pub event: Event,
}

/// The 64-bit fingerprint of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TraceHash(pub u64);

impl fmt::Display for TraceHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

pub use faultline_engine::fnv::Fnv1a;

/// The trace of one run. Cheap to clone: clones share one log (the world, its node init tasks
/// and its clients all append to it; madsim runs them on one thread, so the lock never waits).
#[derive(Debug, Clone, Default)]
pub struct Trace {
    entries: Arc<Mutex<Vec<Entry>>>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        // A panic while holding the lock is already a finding; keep the entries readable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `event` stamped with the current simulated time (zero outside a simulation).
    pub fn record(&self, event: Event) {
        let at = madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed())
            .unwrap_or(Duration::ZERO);
        let at_ns = nanos(at);
        self.lock().push(Entry { at_ns, event });
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// A copy of every entry so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().clone()
    }

    /// The canonical serialisation: one JSON object per line.
    pub fn lines(&self) -> Vec<String> {
        self.lock().iter().map(canonical_line).collect()
    }

    /// The fingerprint of everything recorded so far.
    pub fn hash(&self) -> TraceHash {
        hash_entries(&self.lock())
    }
}

fn canonical_line(entry: &Entry) -> String {
    // Serialising a map-free type to JSON cannot fail; a failure would be a bug in `Event`.
    serde_json::to_string(entry).unwrap_or_else(|e| format!("{{\"unserialisable\":\"{e}\"}}"))
}

/// The fingerprint of a sequence of entries.
pub fn hash_entries(entries: &[Entry]) -> TraceHash {
    let mut h = Fnv1a::default();
    for e in entries {
        h.write(canonical_line(e).as_bytes());
        h.write(b"\n");
    }
    TraceHash(h.finish())
}

/// Where two traces first differ: the index and both lines (`None` past an end), or `None` when
/// they are identical. For reporting a determinism failure.
pub fn first_difference(
    a: &[Entry],
    b: &[Entry],
) -> Option<(usize, Option<String>, Option<String>)> {
    let n = a.len().max(b.len());
    (0..n).find_map(|i| {
        let la = a.get(i).map(canonical_line);
        let lb = b.get(i).map(canonical_line);
        (la != lb).then_some((i, la, lb))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a = Trace::new();
        a.record(Event::Heal);
        a.record(Event::Killed {
            node: 2,
            lost_writes: 0,
            torn: false,
        });
        let b = Trace::new();
        b.record(Event::Heal);
        b.record(Event::Killed {
            node: 2,
            lost_writes: 0,
            torn: false,
        });
        assert_eq!(a.hash(), b.hash());
        assert_eq!(first_difference(&a.entries(), &b.entries()), None);
        b.record(Event::Note("x".into()));
        assert_ne!(a.hash(), b.hash());
        let (i, la, lb) = first_difference(&a.entries(), &b.entries()).unwrap();
        assert_eq!((i, la), (2, None));
        assert!(lb.unwrap().contains("\"x\""));
    }
}
