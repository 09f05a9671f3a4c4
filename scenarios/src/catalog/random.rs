//! `random`: a seeded mix of everything — partitions, flaky and slow links, crashes, disk
//! faults, slow disks and stalled fsyncs, compaction, leadership moves, membership changes and
//! aimed faults (each waiting for the moment it names) — with windows that may overlap, so
//! faults meet in combinations no single-family scenario produces.

use faultline_sim::plan::{Aim, Fault, MAX_NODES, NodeRef, Plan};

use super::Scenario;
use super::disk_faults::{disk_fault, slow_disk_fault};
use super::leader_kill::kill_and_restart;
use super::partition::partition_fault;
use super::schedule::{Schedule, Timeline, finish};
use super::shape;
use crate::rng::SeedRng;

pub struct Random;

/// Every aim, for the mix to draw from.
const AIMS: [Aim; 7] = [
    Aim::KillLeaderMidAppend,
    Aim::KillAfterTruncate,
    Aim::PartitionAfterTruncate,
    Aim::KillCatchingUp,
    Aim::PartitionDuringMembershipChange,
    Aim::SnapshotDuringMembershipChange,
    Aim::KillDuringInstall,
];

impl Scenario for Random {
    fn name(&self) -> &'static str {
        "random"
    }

    fn describe(&self) -> &'static str {
        "a seeded mix of every fault family, windows overlapping"
    }

    fn plan(&self, seed: u64) -> Plan {
        let mut rng = SeedRng::new(self.name(), seed);
        let mut plan = shape::draw(&mut rng, self.name(), seed);
        let voters = plan.cluster.nodes;
        if voters < MAX_NODES && rng.chance(0.3) {
            // A spare node, so the mix can include a join.
            plan.cluster.nodes += 1;
        }
        if rng.chance(0.3) {
            plan.cluster.raft.snapshot_every = Some(rng.range(20, 200));
            plan.cluster.raft.keep_after_snapshot = rng.range(0, 20);
        }
        let nodes = plan.cluster.nodes as u64;
        let timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
        let span = timeline.end_ms.saturating_sub(timeline.now_ms).max(1);
        let mut schedule = Schedule::new();
        let (mut spares, mut voters_now) = (plan.cluster.nodes - voters, voters);
        // Fault density varies with the seed: from a couple of windows to a dozen.
        for _ in 0..rng.range(2, 12) {
            let at = timeline.now_ms + rng.below(span);
            let len = rng
                .range(100, 2_000)
                .min(timeline.end_ms.saturating_sub(at).max(1));
            match rng.below(10) {
                0 | 1 => {
                    let cut = partition_fault(&mut rng, voters);
                    schedule.window(at, len, cut, Fault::Heal);
                }
                2 => {
                    let start = if rng.chance(0.5) {
                        Fault::LinkLoss {
                            rate: rng.prob(0.01, 0.3),
                        }
                    } else {
                        let min_ms = rng.range(5, 100);
                        Fault::LatencySpike {
                            min_ms,
                            max_ms: min_ms + rng.range(1, 400),
                        }
                    };
                    schedule.window(at, len, start, Fault::NetCalm);
                }
                3 => {
                    let node = match rng.below(3) {
                        0 => NodeRef::Leader,
                        1 => NodeRef::Follower(rng.below(nodes) as u32),
                        _ => NodeRef::Id(rng.range(1, nodes)),
                    };
                    let (kill, restart) = kill_and_restart(node, rng.chance(0.3));
                    schedule.window(at, len, kill, restart);
                }
                4 => {
                    let node = NodeRef::Id(rng.range(1, nodes));
                    let fault = disk_fault(&mut rng);
                    schedule.window(
                        at,
                        len,
                        Fault::Disk { node, fault },
                        Fault::DiskHeal { node },
                    );
                }
                5 => {
                    let node = if rng.chance(0.5) {
                        NodeRef::Leader
                    } else {
                        NodeRef::Random
                    };
                    let fault = if rng.chance(0.5) {
                        Fault::Snapshot { node }
                    } else {
                        Fault::Purge { node }
                    };
                    schedule.at(at, fault);
                }
                6 => {
                    schedule.at(at, Fault::TransferLeader);
                }
                7 => {
                    let node = NodeRef::Id(rng.range(1, nodes));
                    let start = slow_disk_fault(&mut rng, node, len);
                    schedule.window(at, len, start, Fault::DiskHeal { node });
                }
                8 => {
                    let aim = *rng.pick(&AIMS).unwrap_or(&Aim::KillLeaderMidAppend);
                    let within = rng.range(100, 1_500);
                    schedule.aimed(at, aim, within, rng.range(100, 600));
                }
                _ => {
                    if spares > 0 {
                        spares -= 1;
                        voters_now += 1;
                        schedule.at(at, Fault::AddVoter);
                    } else if voters_now > 3 {
                        voters_now -= 1;
                        let node = NodeRef::Follower(rng.below(voters_now as u64) as u32);
                        schedule.at(at, Fault::RemoveVoter { node });
                    } else {
                        schedule.at(at, Fault::TransferLeader);
                    }
                }
            }
        }
        finish(plan, schedule)
    }
}
