//! `crash-restart`: nodes lose power — a follower, the leader, several nodes, or the whole
//! cluster at once — dropping every write not yet synced and sometimes tearing the last one at
//! a sector boundary; they restart from what their disk kept. Acknowledged writes must survive.
//! Some power failures are aimed: the leader goes the moment it appends a client entry.

use faultline_sim::plan::{Aim, NodeRef, Plan};

use super::Scenario;
use super::leader_kill::kill_and_restart;
use super::schedule::{Schedule, Timeline, finish};
use super::shape;
use crate::rng::SeedRng;

pub struct CrashRestart;

impl Scenario for CrashRestart {
    fn name(&self) -> &'static str {
        "crash-restart"
    }

    fn describe(&self) -> &'static str {
        "power failures (unsynced writes lost, sometimes torn) of followers, leaders or the whole cluster, then restarts"
    }

    fn plan(&self, seed: u64) -> Plan {
        let mut rng = SeedRng::new(self.name(), seed);
        let plan = shape::draw(&mut rng, self.name(), seed);
        let mut timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
        let mut schedule = Schedule::new();
        let torn_rate = rng.prob(0.0, 0.6);
        for _ in 0..rng.range(1, 4) {
            let Some((at, len)) = timeline.next_window(&mut rng, (100, 800), (100, 1_500)) else {
                break;
            };
            if rng.chance(0.25) {
                schedule.aimed(at, Aim::KillLeaderMidAppend, len, rng.range(100, 400));
                continue;
            }
            // Which nodes go down together: one, a minority, or (rarely) all of them.
            let victims: Vec<NodeRef> = match rng.below(10) {
                0..=4 => vec![crash_target(&mut rng, plan.cluster.nodes)],
                5..=8 => {
                    let mut ids: Vec<u64> = (1..=plan.cluster.nodes as u64).collect();
                    rng.shuffle(&mut ids);
                    let k = rng.range(1, (plan.cluster.nodes as u64 - 1) / 2) as usize;
                    ids[..k].iter().map(|&id| NodeRef::Id(id)).collect()
                }
                _ => (1..=plan.cluster.nodes as u64).map(NodeRef::Id).collect(),
            };
            for node in victims {
                let (kill, restart) = kill_and_restart(node, rng.chance(torn_rate));
                // Restarts are staggered a little so nodes do not come back in lockstep.
                let back = len + rng.range(0, 200);
                schedule.window(at, back, kill, restart);
            }
        }
        finish(plan, schedule)
    }
}

/// One node to crash: a fixed id, the leader, or a follower.
fn crash_target(rng: &mut SeedRng, nodes: usize) -> NodeRef {
    match rng.below(3) {
        0 => NodeRef::Id(rng.range(1, nodes as u64)),
        1 => NodeRef::Leader,
        _ => NodeRef::Follower(rng.below(nodes as u64 - 1) as u32),
    }
}
