//! `minority-write`: the leader (or a minority holding it) is cut off from the majority while
//! clients keep sending it writes. Nothing the minority accepts may be acknowledged, and once
//! healed the old leader must step down and discard its uncommitted tail — and sometimes it
//! loses power, or is cut off again, the moment it has truncated that tail (aimed).

use faultline_sim::plan::{Aim, Fault, Plan};

use super::Scenario;
use super::schedule::{Windows, windowed_plan};

pub struct MinorityWrite;

impl Scenario for MinorityWrite {
    fn name(&self) -> &'static str {
        "minority-write"
    }

    fn describe(&self) -> &'static str {
        "the leader is stranded in a minority while clients write to it; nothing it accepts may be acknowledged"
    }

    fn plan(&self, seed: u64) -> Plan {
        // Windows long enough for a new leader to be elected on the majority side and for the
        // stranded one to take writes it can never commit.
        let windows = Windows {
            count: (1, 3),
            gap: (200, 800),
            len: (800, 3_000),
        };
        windowed_plan(self.name(), seed, windows, |rng, _, schedule, at, len| {
            let cut = if rng.chance(0.6) {
                Fault::IsolateLeader
            } else {
                Fault::MajorityMinority
            };
            schedule.window(at, len, cut, Fault::Heal);
            if rng.chance(0.5) {
                let aim = if rng.chance(0.5) {
                    Aim::KillAfterTruncate
                } else {
                    Aim::PartitionAfterTruncate
                };
                let within = rng.range(300, 1_500);
                let undo = rng.range(100, 600);
                schedule.aimed(at + len, aim, within, undo);
            }
            // Sometimes the heal is followed by a leadership transfer back towards the side
            // that held stale state, to exercise its catch-up.
            if rng.chance(0.2) {
                schedule.at(at + len + rng.range(50, 300), Fault::TransferLeader);
            }
        })
    }
}
