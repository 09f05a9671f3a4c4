//! The fault vocabulary of a plan: `Fault` (one nemesis action, grouped by family the way
//! `nemesis/` has one file per family), `NodeRef` (which node, resolved at run time from the
//! seed) and `ScheduledFault` (a fault and when it fires).

use serde::{Deserialize, Serialize};

use super::error::PlanError;

/// A node a fault targets. Anything but `Id` is resolved when the fault fires, from the
/// cluster's state at that moment and the seeded RNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRef {
    Id(u64),
    /// The current leader. With none, the fault waits (a few election timeouts) for one, and
    /// is skipped if none comes.
    Leader,
    /// The k-th follower (live voters other than the leader, in id order), mod their count.
    Follower(u32),
    /// A node chosen by the seed among the candidates the fault can act on.
    Random,
}

/// What a disk fault does while it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiskFaultKind {
    EioWrite,
    EioSync,
    EioRead,
    ReadCorruption,
    /// The disk is full: every write that grows it fails with ENOSPC (the probability is not
    /// used: a full disk stays full until healed).
    Enospc,
}

/// A disk fault and how often it fires per operation of its class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiskFault {
    pub kind: DiskFaultKind,
    pub probability: f64,
}

/// What an aimed fault waits for and does: it strikes at the moment the cluster opens the
/// window a class of bugs needs, seen in the nodes' online reports, not at a fixed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aim {
    /// The leader loses power right as it appends a client entry, before any quorum could
    /// have flushed it.
    KillLeaderMidAppend,
    /// A node loses power right after it truncated its log (a new leader overwrote a stale
    /// suffix), before anything else reached its disk.
    KillAfterTruncate,
    /// A node is cut off right after it truncated its log.
    PartitionAfterTruncate,
    /// The node catching up after a heal (taking a batch of entries, or a snapshot) loses power
    /// in the middle of it.
    KillCatchingUp,
    /// The leader is cut off right as it appends a membership change.
    PartitionDuringMembershipChange,
    /// The leader builds a snapshot and purges its log right as it appends a membership change.
    SnapshotDuringMembershipChange,
    /// A node loses power while it installs a snapshot from the leader.
    KillDuringInstall,
}

impl Aim {
    /// The aim's kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Aim::KillLeaderMidAppend => "kill-leader-mid-append",
            Aim::KillAfterTruncate => "kill-after-truncate",
            Aim::PartitionAfterTruncate => "partition-after-truncate",
            Aim::KillCatchingUp => "kill-catching-up",
            Aim::PartitionDuringMembershipChange => "partition-during-membership-change",
            Aim::SnapshotDuringMembershipChange => "snapshot-during-membership-change",
            Aim::KillDuringInstall => "kill-during-install",
        }
    }

    /// Whether the aim's blunt counterpart acts on the leader.
    pub fn blunt_targets_leader(self) -> bool {
        matches!(
            self,
            Aim::KillLeaderMidAppend
                | Aim::PartitionDuringMembershipChange
                | Aim::SnapshotDuringMembershipChange
        )
    }

    /// Whether striking powers a node off (so the plan needs the durable log store).
    pub fn kills(self) -> bool {
        matches!(
            self,
            Aim::KillLeaderMidAppend
                | Aim::KillAfterTruncate
                | Aim::KillCatchingUp
                | Aim::KillDuringInstall
        )
    }
}

/// One nemesis action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    // ---- partition.rs ----
    /// Exactly these server groups; servers named nowhere are alone.
    Partition {
        groups: Vec<Vec<u64>>,
    },
    /// Two random non-empty groups of random sizes.
    RandomHalves,
    /// Cut the current leader off from every other server.
    IsolateLeader,
    /// A random majority and the minority.
    MajorityMinority,
    /// Two halves that only one bridge node can talk to both of.
    Bridge,
    /// Cut one direction of one server link.
    OneWay {
        from: NodeRef,
        to: NodeRef,
    },
    /// Restore every link (and stop flaky links).
    Heal,
    // ---- link.rs ----
    /// Every message is lost with this probability (madsim's TCP turns it into delay).
    LinkLoss {
        rate: f64,
    },
    /// Every message's latency is drawn from `[min_ms, max_ms)`.
    LatencySpike {
        min_ms: u64,
        max_ms: u64,
    },
    /// Back to the plan's base latency and loss.
    NetCalm,
    // ---- crash.rs ----
    /// Power failure: unsynced writes lost. If `torn`, the power fails in the middle of the
    /// node's next sync, and the write it was making durable is torn.
    Kill {
        node: NodeRef,
        torn: bool,
    },
    /// Start a killed node on its surviving disk.
    Restart {
        node: NodeRef,
    },
    // ---- disk.rs ----
    Disk {
        node: NodeRef,
        fault: DiskFault,
    },
    DiskHeal {
        node: NodeRef,
    },
    /// The node's disk becomes `factor` times slower (until its `DiskHeal`).
    SlowDisk {
        node: NodeRef,
        factor: f64,
    },
    /// Every fsync the node's disk serves for the next `for_ms` takes at least `each_ms`.
    FsyncStall {
        node: NodeRef,
        each_ms: u64,
        for_ms: u64,
    },
    // ---- aimed.rs ----
    /// Waits (up to `within_ms`) for the moment `aim` names, then strikes. If the moment does
    /// not come, strikes as its blunt counterpart then. With aimed faults switched off (`--blunt-nemesis`) it strikes at once with
    /// its blunt, time-scheduled counterpart.
    Aimed {
        aim: Aim,
        within_ms: u64,
    },
    // ---- admin.rs ----
    Snapshot {
        node: NodeRef,
    },
    /// Build a snapshot, then purge the log up to it.
    Purge {
        node: NodeRef,
    },
    /// openraft 0.9 has no leader-transfer API: a random follower starts an election at once,
    /// which is the closest real operation (it wins if its log is up to date).
    TransferLeader,
    /// Add a spare (or a freshly booted) node as a voter.
    AddVoter,
    /// Remove a voter from the group; a removed node is then powered off for good.
    RemoveVoter {
        node: NodeRef,
    },
}

impl Fault {
    /// The fault's kebab-case name, as plans and traces spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::RandomHalves => "random-halves",
            Fault::IsolateLeader => "isolate-leader",
            Fault::MajorityMinority => "majority-minority",
            Fault::Bridge => "bridge",
            Fault::OneWay { .. } => "one-way",
            Fault::Heal => "heal",
            Fault::LinkLoss { .. } => "link-loss",
            Fault::LatencySpike { .. } => "latency-spike",
            Fault::NetCalm => "net-calm",
            Fault::Kill { .. } => "kill",
            Fault::Restart { .. } => "restart",
            Fault::Disk { .. } => "disk",
            Fault::DiskHeal { .. } => "disk-heal",
            Fault::SlowDisk { .. } => "slow-disk",
            Fault::FsyncStall { .. } => "fsync-stall",
            Fault::Aimed { aim, .. } => aim.name(),
            Fault::Snapshot { .. } => "snapshot",
            Fault::Purge { .. } => "purge",
            Fault::TransferLeader => "transfer-leader",
            Fault::AddVoter => "add-voter",
            Fault::RemoveVoter { .. } => "remove-voter",
        }
    }

    /// Whether the fault acts on the leader, so needs one when it strikes. An aimed fault finds
    /// its node at its moment; its blunt counterpart waits for a leader itself
    /// ([`Aim::blunt_targets_leader`]).
    pub fn targets_leader(&self) -> bool {
        match self {
            Fault::IsolateLeader | Fault::TransferLeader => true,
            Fault::Kill { node, .. }
            | Fault::Disk { node, .. }
            | Fault::DiskHeal { node }
            | Fault::SlowDisk { node, .. }
            | Fault::FsyncStall { node, .. }
            | Fault::Snapshot { node }
            | Fault::Purge { node }
            | Fault::RemoveVoter { node } => *node == NodeRef::Leader,
            _ => false,
        }
    }

    /// Whether the fault can lose a node's unsynced state (so needs a durable log store).
    pub fn crashes(&self) -> bool {
        match self {
            Fault::Kill { .. } | Fault::RemoveVoter { .. } => true,
            Fault::Aimed { aim, .. } => aim.kills(),
            _ => false,
        }
    }

    pub(crate) fn validate(&self, field: &str) -> Result<(), PlanError> {
        let bad = |reason: String| Err(PlanError::invalid(field, reason));
        let check_ref = |r: &NodeRef| match r {
            NodeRef::Id(0) => Err(PlanError::invalid(field, "node ids start at 1")),
            _ => Ok(()),
        };
        match self {
            Fault::Partition { groups } => {
                let mut seen = std::collections::BTreeSet::new();
                for id in groups.iter().flatten() {
                    if *id == 0 {
                        return bad("node ids start at 1".into());
                    }
                    if !seen.insert(*id) {
                        return bad(format!("node {id} is in two groups"));
                    }
                }
                Ok(())
            }
            Fault::OneWay { from, to } => {
                check_ref(from)?;
                check_ref(to)?;
                if from == to && matches!(from, NodeRef::Id(_) | NodeRef::Leader) {
                    return bad("from and to name the same node".into());
                }
                Ok(())
            }
            Fault::LinkLoss { rate } => {
                if !(0.0..0.5).contains(rate) {
                    return bad(format!("rate must be in [0, 0.5), got {rate}"));
                }
                Ok(())
            }
            Fault::LatencySpike { min_ms, max_ms } => {
                if max_ms <= min_ms || *max_ms > 10_000 {
                    return bad(format!(
                        "need min_ms < max_ms <= 10000, got {min_ms}..{max_ms}"
                    ));
                }
                Ok(())
            }
            Fault::Disk { node, fault } => {
                check_ref(node)?;
                if !(0.0..=1.0).contains(&fault.probability) {
                    return bad(format!(
                        "probability must be in [0, 1], got {}",
                        fault.probability
                    ));
                }
                Ok(())
            }
            Fault::SlowDisk { node, factor } => {
                check_ref(node)?;
                if !(1.0..=1000.0).contains(factor) {
                    return bad(format!("factor must be in [1, 1000], got {factor}"));
                }
                Ok(())
            }
            Fault::FsyncStall {
                node,
                each_ms,
                for_ms,
            } => {
                check_ref(node)?;
                if *each_ms == 0 || *each_ms > 60_000 || *for_ms > 3_600_000 {
                    return bad(format!(
                        "need 0 < each_ms <= 60000 and for_ms <= one hour, got {each_ms} / {for_ms}"
                    ));
                }
                Ok(())
            }
            Fault::Aimed { within_ms, .. } => {
                if *within_ms > 3_600_000 {
                    return bad(format!("within_ms beyond one simulated hour: {within_ms}"));
                }
                Ok(())
            }
            Fault::Kill { node, .. }
            | Fault::Restart { node }
            | Fault::DiskHeal { node }
            | Fault::Snapshot { node }
            | Fault::Purge { node }
            | Fault::RemoveVoter { node } => check_ref(node),
            Fault::RandomHalves
            | Fault::IsolateLeader
            | Fault::MajorityMinority
            | Fault::Bridge
            | Fault::Heal
            | Fault::NetCalm
            | Fault::TransferLeader
            | Fault::AddVoter => Ok(()),
        }
    }
}

/// A fault and when it fires: simulated ms after the workload starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledFault {
    pub at_ms: u64,
    pub fault: Fault,
}
