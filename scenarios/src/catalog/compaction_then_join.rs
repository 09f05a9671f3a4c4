//! `compaction-then-join`: the log is snapshotted and purged while a follower is cut off or a
//! spare node waits outside the group, so catching up must go through snapshot installation
//! (the engine's state shipped in a snapshot) rather than log replay; sometimes that node loses
//! power in the middle of the install (aimed).

use faultline_sim::plan::{Aim, Fault, MAX_NODES, NodeRef, Plan};

use super::Scenario;
use super::schedule::{Schedule, Timeline, finish};
use super::shape;
use crate::rng::SeedRng;

pub struct CompactionThenJoin;

impl Scenario for CompactionThenJoin {
    fn name(&self) -> &'static str {
        "compaction-then-join"
    }

    fn describe(&self) -> &'static str {
        "snapshots and log purges while a follower is cut off or a new node waits to join; it must catch up by snapshot"
    }

    fn plan(&self, seed: u64) -> Plan {
        let mut rng = SeedRng::new(self.name(), seed);
        let mut plan = shape::draw(&mut rng, self.name(), seed);
        // Compact often and keep little log behind a snapshot, so purged entries are gone
        // by the time the late node asks for them.
        plan.cluster.raft.snapshot_every = Some(rng.range(10, 60));
        plan.cluster.raft.keep_after_snapshot = rng.range(0, 5);
        let joiner = plan.cluster.nodes < MAX_NODES && rng.chance(0.6);
        if joiner {
            // One more node boots outside the group (of the drawn size) and joins after
            // compaction.
            plan.cluster.nodes += 1;
        }
        let mut timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
        let mut schedule = Schedule::new();
        // The lagging side: one voter cut off while the others compact. If it happens to be
        // the leader, the rest elect another and the old leader is the one left behind.
        let lagger = rng.range(1, plan.cluster.voters as u64);
        let isolate = !joiner || rng.chance(0.5);
        let Some((at, len)) = timeline.next_window(&mut rng, (200, 600), (1_500, 3_500)) else {
            return finish(plan, schedule);
        };
        if isolate {
            let others = (1..=plan.cluster.nodes as u64)
                .filter(|&n| n != lagger)
                .collect();
            let groups = vec![vec![lagger], others];
            schedule.window(at, len, Fault::Partition { groups }, Fault::Heal);
        }
        // Snapshot and purge on the leader (and sometimes a follower) inside the window.
        let compactions = rng.range(1, 3);
        for i in 0..compactions {
            // After the majority side has had time to elect (the lagger may have been the
            // leader), spread over the rest of the window.
            let settle = (2 * plan.cluster.raft.election_max_ms).min(len / 2);
            let t = at + settle + (len - settle) * (i + 1) / (compactions + 1);
            let node = if rng.chance(0.7) {
                NodeRef::Leader
            } else {
                NodeRef::Random
            };
            schedule.at(t, Fault::Snapshot { node });
            schedule.at(t + rng.range(10, 100), Fault::Purge { node });
        }
        let join_at = at + len + rng.range(0, 300);
        if joiner {
            schedule.at(join_at, Fault::AddVoter);
        }
        // Sometimes the node taking the snapshot loses power in the middle of installing it.
        if rng.chance(0.4) {
            let arm_at = if isolate { at + len } else { join_at };
            let within = rng.range(500, 2_000);
            schedule.aimed(arm_at, Aim::KillDuringInstall, within, rng.range(100, 500));
        }
        finish(plan, schedule)
    }
}
