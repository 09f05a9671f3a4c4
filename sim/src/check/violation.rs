//! The common shape of a checker's finding, as `verdict.json` records it: which property was
//! violated, a sentence saying how, and the operations, nodes and keys involved.
//!
//! Every checker reports through [`Violation`]. The linearizability checker keeps its own
//! [`Report`]; [`Violation::from_linearizability`] wraps each of its counterexamples (rendered
//! as text) instead of duplicating that type.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::observation::NodeId;
use super::verdict::Report;
use crate::history::Time;

/// A property a run must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    Linearizability,
    /// Acknowledged or observed writes survive on every live replica.
    Durability,
    /// What a node's engine acknowledged survives a power failure of its disk.
    EngineDurability,
    /// What a node's Raft log store acknowledged (vote, purge point, entries) survives a power
    /// failure of its disk, and nothing it removed comes back.
    LogDurability,
    /// Replicas at the same applied index hold the same state.
    Convergence,
    /// A commit point is saved only for an entry a majority of every voter set durably holds.
    CommitSafety,
    /// A leader is elected only by a quorum, once per leader identity (Raft §5.2).
    ElectionSafety,
    /// Entries with the same index and term are identical (Raft §5.3).
    LogMatching,
    /// A committed entry is in the log of every later leader (Raft §5.4).
    LeaderCompleteness,
    /// No two nodes commit different entries at one index (Raft §5.4.3).
    StateMachineSafety,
    MonotonicTerm,
    MonotonicVote,
    MonotonicCommit,
    MonotonicApplied,
    /// A node's durable-up-to index never goes back except by a truncation it reported.
    MonotonicFlushed,
    /// One membership per index; nobody acts on an older one than it applied; after the
    /// liveness phase every live node acts on the leader's committed membership.
    Membership,
    /// What a node reported is possible for it (nothing flushed, committed or applied that its
    /// log does not hold, no gaps).
    Observation,
    /// After faults heal, the cluster elects a leader, converges and serves.
    Liveness,
    /// Every voter that was not removed is up and serving at the end: it could restart from its
    /// own disk.
    NodeRecovery,
    /// A create of a fresh collection name is never refused.
    Catalog,
    /// Every search hit is a record that may have been present during the search, with its
    /// exact vector, payload and distance, in order; nothing certainly present and closer is
    /// missing.
    Search,
    /// The system under test panicked.
    Panic,
    // Harness findings: the seed could not be judged because the run itself broke a limit or
    // the harness failed. They come from the seed watchdog and the runner, never from a
    // checker of the system under test.
    /// The seed passed its wall-clock or simulated-time limit (a hang, a livelock, or a task
    /// that keeps re-waking itself so simulated time never reaches its limit).
    Hang,
    /// The seed passed its memory limit.
    Oom,
    /// The harness itself panicked (a checker, or the runner around a run), not the system
    /// under test.
    HarnessPanic,
    /// The seed's process died (abort, fatal signal) while it ran in a child process
    /// (`--isolate`).
    Abort,
}

impl Property {
    /// The property's name, as reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Property::Linearizability => "linearizability",
            Property::Durability => "durability",
            Property::EngineDurability => "engine-durability",
            Property::LogDurability => "log-durability",
            Property::Convergence => "convergence",
            Property::CommitSafety => "commit-safety",
            Property::ElectionSafety => "election-safety",
            Property::LogMatching => "log-matching",
            Property::LeaderCompleteness => "leader-completeness",
            Property::StateMachineSafety => "state-machine-safety",
            Property::MonotonicTerm => "monotonic-term",
            Property::MonotonicVote => "monotonic-vote",
            Property::MonotonicCommit => "monotonic-commit",
            Property::MonotonicApplied => "monotonic-applied",
            Property::MonotonicFlushed => "monotonic-flushed",
            Property::Membership => "membership",
            Property::Observation => "observation",
            Property::Liveness => "liveness",
            Property::NodeRecovery => "node-recovery",
            Property::Catalog => "catalog",
            Property::Search => "search",
            Property::Panic => "panic",
            Property::Hang => "hang",
            Property::Oom => "oom",
            Property::HarnessPanic => "harness-panic",
            Property::Abort => "abort",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One violated property, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub struct Violation {
    pub property: Property,
    /// What went wrong, in one or a few sentences naming the evidence.
    pub message: String,
    /// Indices into the run's history of the operations involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// The simulated time the violation became visible, when it has one (state checked at the
    /// end of a run has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Time>,
    /// Longer evidence, e.g. a rendered linearizability counterexample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a linearizability counterexample: history indices of its longest linearizable
    /// prefix, in linearization order (`ops` then names the operations that cannot follow it).
    /// Reports draw the counterexample from it, as Porcupine does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix: Vec<usize>,
}

impl Violation {
    pub fn new(property: Property, message: impl Into<String>) -> Self {
        Violation {
            property,
            message: message.into(),
            ops: Vec::new(),
            nodes: Vec::new(),
            keys: Vec::new(),
            at: None,
            detail: None,
            prefix: Vec::new(),
        }
    }

    /// A finding of a power probe: what `node`'s `store` (its engine, its Raft log) recovered
    /// after the power failure at `at` differs from what it had acknowledged, as `found` says.
    pub fn after_power_failure(
        property: Property,
        node: NodeId,
        at: Time,
        store: &str,
        found: &str,
    ) -> Self {
        let message = format!("node {node}'s {store} after the power failure at {at}: {found}");
        Violation::new(property, message).with_nodes([node]).at(at)
    }

    /// Sets the operations involved (sorted, deduplicated so reports are stable).
    pub fn with_ops(mut self, ops: impl IntoIterator<Item = usize>) -> Self {
        self.ops = sorted(ops);
        self
    }

    /// Adds nodes to those involved (kept sorted, deduplicated).
    pub fn with_nodes(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Self {
        let mut all = std::mem::take(&mut self.nodes);
        all.extend(nodes);
        self.nodes = sorted(all);
        self
    }

    pub fn with_keys(mut self, keys: impl IntoIterator<Item = String>) -> Self {
        self.keys = sorted(keys);
        self
    }

    pub fn at(mut self, at: Time) -> Self {
        self.at = Some(at);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets a counterexample's linearizable prefix (kept in linearization order).
    pub fn with_prefix(mut self, prefix: impl IntoIterator<Item = usize>) -> Self {
        self.prefix = prefix.into_iter().collect();
        self
    }

    /// One violation per illegal key of a linearizability report, naming the operations that
    /// could not be placed, the longest linearizable prefix (in order) and the rendered
    /// counterexample. A report whose verdict is
    /// `ok` or `unknown` yields none (an exhausted budget is not evidence).
    pub fn from_linearizability(report: &Report) -> Vec<Violation> {
        report
            .counterexamples()
            .map(|c| {
                let message = format!(
                    "key {:?} is not linearizable ({} model): {} operation(s) cannot follow the longest linearizable prefix of {}",
                    c.key,
                    report.model,
                    c.stuck.len(),
                    c.prefix.len()
                );
                Violation::new(Property::Linearizability, message)
                    .with_ops(c.stuck.iter().map(|s| s.op.index))
                    .with_keys([c.key.clone()])
                    .with_detail(c.to_string())
                    .with_prefix(c.prefix.iter().map(|op| op.index))
            })
            .collect()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.property, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\n{detail}")?;
        }
        Ok(())
    }
}

fn sorted<T: Ord>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    v.sort();
    v.dedup();
    v
}
