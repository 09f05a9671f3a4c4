//! The aiming authority: triggers for aimed faults, evaluated on every node's online reports
//! as they are recorded. A fault armed here fires on the first report that opens its window —
//! a leader appending a client entry, a node truncating its log, a membership change appended,
//! a snapshot arriving — and strikes at once with what can be done without waiting (cutting
//! the node's disk power, cutting its links), then wakes the nemesis, which finishes the job
//! (the power failure itself, a snapshot and purge) at the same simulated instant.
//!
//! Reports arrive in the order things happen, so which report fires a trigger is a function of
//! the seed: an aimed fault replays exactly.

use std::sync::{Arc, Mutex};

use faultline_consensus::observe::{EntryKind, Observation};

use super::NodeId;
use crate::check::observation::RaftEvent;
use crate::history::Time;
use crate::plan::Aim;

/// The report that fired a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strike {
    pub node: NodeId,
    pub at: Time,
    /// The report, in a few words.
    pub because: String,
}

/// What to do the instant a trigger fires (it runs inside the reporting node's call, so it
/// must not wait, nor report).
pub type OnStrike = Box<dyn Fn(NodeId) + Send + Sync>;

/// An armed trigger.
pub struct Aimer {
    aim: Aim,
    on_strike: OnStrike,
    fired: Mutex<Option<Strike>>,
    notify: tokio::sync::Notify,
}

impl std::fmt::Debug for Aimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aimer")
            .field("aim", &self.aim)
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}

impl Aimer {
    pub fn new(aim: Aim, on_strike: OnStrike) -> Arc<Aimer> {
        Arc::new(Aimer {
            aim,
            on_strike,
            fired: Mutex::new(None),
            notify: tokio::sync::Notify::new(),
        })
    }

    pub fn aim(&self) -> Aim {
        self.aim
    }

    /// The strike, once the trigger fired.
    pub fn fired(&self) -> Option<Strike> {
        self.fired.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until the trigger fires (returns at once if it has).
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        if self.fired().is_some() {
            return;
        }
        notified.await;
    }

    /// Fires on `event` if it opens the aim's window (`leader`: whether the reporting node
    /// leads, by its own last vote). Returns whether it fired now.
    pub fn offer(&self, event: &RaftEvent, leader: bool) -> bool {
        {
            let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
            if fired.is_some() {
                return false;
            }
            let Some(because) = opens(self.aim, &event.event, leader) else {
                return false;
            };
            *fired = Some(Strike {
                node: event.node,
                at: event.at,
                because,
            });
        }
        (self.on_strike)(event.node);
        self.notify.notify_one();
        true
    }
}

/// Whether `event` opens the window `aim` waits for, and how to say so.
fn opens(aim: Aim, event: &Observation, leader: bool) -> Option<String> {
    match (aim, event) {
        (Aim::KillLeaderMidAppend, Observation::Appended { entries }) if leader => entries
            .iter()
            .find(|e| e.kind == EntryKind::Normal)
            .map(|e| format!("the leader appended {}", e.log_id)),
        (
            Aim::KillAfterTruncate | Aim::PartitionAfterTruncate,
            Observation::Truncated { since },
        ) => Some(format!("it truncated its log from index {since}")),
        (Aim::KillCatchingUp, Observation::Appended { entries })
            if !leader && entries.len() > 1 =>
        {
            entries
                .first()
                .map(|e| format!("it took {} entries from {}", entries.len(), e.log_id))
        }
        (
            Aim::KillCatchingUp | Aim::KillDuringInstall,
            Observation::SnapshotReceived { snapshot },
        ) => Some(format!(
            "a snapshot up to {} arrived",
            snapshot
                .last
                .map_or_else(|| "nothing".to_string(), |l| l.to_string())
        )),
        (
            Aim::PartitionDuringMembershipChange | Aim::SnapshotDuringMembershipChange,
            Observation::Appended { entries },
        ) if leader => entries.iter().find_map(|e| match &e.kind {
            EntryKind::Membership { membership } => Some(format!(
                "the leader appended membership {membership} at {}",
                e.log_id
            )),
            _ => None,
        }),
        _ => None,
    }
}
