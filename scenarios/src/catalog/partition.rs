//! `partition`: the network splits and heals, again and again — random halves, an isolated
//! leader, a majority/minority split, a bridge (two sides that share one node) and one-way
//! links — while clients keep writing and reading through whichever side they reach.
//! Leadership sometimes moves while the network is split (a follower told to campaign), and
//! the node catching up after a heal sometimes loses power in the middle of it (aimed).

use faultline_sim::plan::{Aim, Fault, NodeRef, Plan};

use super::Scenario;
use super::schedule::{Windows, windowed_plan};
use crate::rng::SeedRng;

pub struct Partition;

impl Scenario for Partition {
    fn name(&self) -> &'static str {
        "partition"
    }

    fn describe(&self) -> &'static str {
        "network partitions of every kind (halves, isolated leader, majority/minority, bridge, one-way), each healed"
    }

    fn plan(&self, seed: u64) -> Plan {
        let windows = Windows {
            count: (1, 4),
            gap: (100, 800),
            len: (300, 2_500),
        };
        windowed_plan(
            self.name(),
            seed,
            windows,
            |rng, plan, schedule, at, len| {
                let cut = partition_fault(rng, plan.cluster.nodes);
                schedule.window(at, len, cut, Fault::Heal);
                if rng.chance(0.3) {
                    schedule.at(at + rng.below(len), Fault::TransferLeader);
                }
                if rng.chance(0.3) {
                    let within = rng.range(200, 1_000);
                    let down = rng.range(100, 600);
                    schedule.aimed(at + len, Aim::KillCatchingUp, within, down);
                }
            },
        )
    }
}

/// One partition of any kind over nodes `1..=nodes`; shared with `random`.
pub fn partition_fault(rng: &mut SeedRng, nodes: usize) -> Fault {
    match rng.below(5) {
        0 => Fault::Partition {
            groups: random_halves(rng, nodes),
        },
        1 => Fault::IsolateLeader,
        2 => Fault::MajorityMinority,
        3 => Fault::Bridge,
        _ => {
            let from = rng.range(1, nodes as u64);
            // A different node: step 1..nodes-1 around the ring of ids.
            let to = (from - 1 + rng.range(1, nodes as u64 - 1)) % nodes as u64 + 1;
            Fault::OneWay {
                from: NodeRef::Id(from),
                to: NodeRef::Id(to),
            }
        }
    }
}

/// Nodes `1..=nodes` shuffled and cut into two non-empty groups.
fn random_halves(rng: &mut SeedRng, nodes: usize) -> Vec<Vec<u64>> {
    let mut ids: Vec<u64> = (1..=nodes as u64).collect();
    rng.shuffle(&mut ids);
    let cut = rng.range(1, nodes as u64 - 1) as usize;
    let (a, b) = ids.split_at(cut);
    let mut groups = vec![a.to_vec(), b.to_vec()];
    for g in &mut groups {
        g.sort_unstable();
    }
    groups
}
