//! `leader-kill`: the leader crashes (power failure: its unsynced writes are lost) and comes
//! back after a while, several times per run, so every run has elections under client load
//! and old leaders that rejoin behind the new one. Some kills are aimed: the leader loses
//! power the moment it appends a client entry, before a quorum can have flushed it.

use faultline_sim::plan::{Aim, Fault, NodeRef, Plan};

use super::Scenario;
use super::schedule::{Windows, windowed_plan};

pub struct LeaderKill;

impl Scenario for LeaderKill {
    fn name(&self) -> &'static str {
        "leader-kill"
    }

    fn describe(&self) -> &'static str {
        "the current leader is killed (power failure) and restarted, repeatedly"
    }

    fn plan(&self, seed: u64) -> Plan {
        let windows = Windows {
            count: (1, 3),
            gap: (200, 1_000),
            len: (200, 2_000),
        };
        windowed_plan(self.name(), seed, windows, |rng, _, schedule, at, len| {
            if rng.chance(0.4) {
                let within = (len / 2).max(50);
                schedule.aimed(
                    at,
                    Aim::KillLeaderMidAppend,
                    within,
                    len.saturating_sub(within),
                );
            } else {
                let (kill, restart) = kill_and_restart(NodeRef::Leader, rng.chance(0.3));
                schedule.window(at, len, kill, restart);
            }
        })
    }
}

/// A kill of `node` and the restart that undoes it; shared by the crash scenarios. A fixed id
/// restarts that id; a node resolved at run time (the leader, a follower) is restarted as
/// `Random`, which picks among the nodes that are down — by then `Leader` would name the new
/// leader, not the one that was killed.
pub fn kill_and_restart(node: NodeRef, torn: bool) -> (Fault, Fault) {
    let back = match node {
        NodeRef::Id(id) => NodeRef::Id(id),
        _ => NodeRef::Random,
    };
    (Fault::Kill { node, torn }, Fault::Restart { node: back })
}
