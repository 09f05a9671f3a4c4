//! `membership-churn`: voters are added and removed while clients run — spare nodes join,
//! followers (and sometimes the leader) leave, leadership moves, and now and then the leader
//! crashes in the middle of a change. Most runs compact their logs, so snapshots cover
//! membership changes, and purge them; some changes are met by aimed faults: the leader cut
//! off, or made to snapshot and purge, the moment it appends the change. The group never
//! shrinks below three voters.

use faultline_sim::plan::{Aim, Fault, MAX_NODES, NodeRef, Plan};

use super::Scenario;
use super::leader_kill::kill_and_restart;
use super::schedule::{Schedule, Timeline, finish};
use super::shape;
use crate::rng::SeedRng;

pub struct MembershipChurn;

/// Removals stop at this many voters, so the group keeps a fault-tolerant majority.
const MIN_VOTERS: usize = 3;

impl Scenario for MembershipChurn {
    fn name(&self) -> &'static str {
        "membership-churn"
    }

    fn describe(&self) -> &'static str {
        "voters added and removed under load, with leadership moves and an occasional leader crash mid-change"
    }

    fn plan(&self, seed: u64) -> Plan {
        let mut rng = SeedRng::new(self.name(), seed);
        let mut plan = shape::draw(&mut rng, self.name(), seed);
        // The drawn size is the initial group; one or two spares boot beside it.
        let voters = plan.cluster.nodes;
        let spares = (rng.range(1, 2) as usize).min(MAX_NODES - voters);
        plan.cluster.voters = voters;
        plan.cluster.nodes = voters + spares;
        if rng.chance(0.7) {
            plan.cluster.raft.snapshot_every = Some(rng.range(20, 100));
            plan.cluster.raft.keep_after_snapshot = rng.range(0, 10);
        }
        let mut timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
        let mut schedule = Schedule::new();
        let (mut voters_now, mut spares_left) = (voters, spares);
        let mut crashed = false;
        for _ in 0..rng.range(2, 6) {
            let Some((at, len)) = timeline.next_window(&mut rng, (100, 600), (100, 800)) else {
                break;
            };
            let can_add = spares_left > 0;
            let can_remove = voters_now > MIN_VOTERS;
            let change = match rng.below(4) {
                0 | 1 if can_add => {
                    spares_left -= 1;
                    voters_now += 1;
                    Fault::AddVoter
                }
                0..=2 if can_remove => {
                    let node = if rng.chance(0.2) {
                        NodeRef::Leader
                    } else {
                        NodeRef::Follower(rng.below(voters_now as u64) as u32)
                    };
                    voters_now -= 1;
                    Fault::RemoveVoter { node }
                }
                _ => Fault::TransferLeader,
            };
            // Armed before the change it waits for (same instant, added first).
            if change != Fault::TransferLeader && rng.chance(0.4) {
                let aim = if rng.chance(0.5) {
                    Aim::PartitionDuringMembershipChange
                } else {
                    Aim::SnapshotDuringMembershipChange
                };
                let within = rng.range(100, 500);
                schedule.aimed(at, aim, within, rng.range(100, 500));
            }
            schedule.at(at, change);
            if rng.chance(0.3) {
                schedule.at(
                    at + rng.below(len),
                    Fault::Purge {
                        node: NodeRef::Leader,
                    },
                );
            }
            // A leader crash right after a change, while it may still be committing the
            // joint configuration.
            if !crashed && rng.chance(0.25) {
                crashed = true;
                let (kill, restart) = kill_and_restart(NodeRef::Leader, false);
                schedule.window(at + rng.range(20, 300), len, kill, restart);
            }
        }
        finish(plan, schedule)
    }
}
