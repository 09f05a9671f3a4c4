//! `minority-write`: the leader (or a minority holding it) is cut off from the majority while
//! clients keep sending it writes. Nothing the minority accepts may be acknowledged, and once
//! healed the old leader must step down and discard its uncommitted tail.

use faultline_sim::plan::{Fault, Plan};

use super::Scenario;
use super::schedule::{Schedule, Timeline, finish};
use super::shape;
use crate::rng::SeedRng;

pub struct MinorityWrite;

impl Scenario for MinorityWrite {
    fn name(&self) -> &'static str {
        "minority-write"
    }

    fn describe(&self) -> &'static str {
        "the leader is stranded in a minority while clients write to it; nothing it accepts may be acknowledged"
    }

    fn plan(&self, seed: u64) -> Plan {
        let mut rng = SeedRng::new(self.name(), seed);
        let plan = shape::draw(&mut rng, self.name(), seed);
        let mut timeline = Timeline::for_workload(&mut rng, plan.workload.duration_ms);
        let mut schedule = Schedule::new();
        for _ in 0..rng.range(1, 3) {
            // Long enough for a new leader to be elected on the majority side and for the
            // stranded one to take writes it can never commit.
            let Some((at, len)) = timeline.next_window(&mut rng, (200, 800), (800, 3_000)) else {
                break;
            };
            let cut = if rng.chance(0.6) {
                Fault::IsolateLeader
            } else {
                Fault::MajorityMinority
            };
            schedule.window(at, len, cut, Fault::Heal);
            // Sometimes the heal is followed by a leadership transfer back towards the side
            // that held stale state, to exercise its catch-up.
            if rng.chance(0.2) {
                schedule.at(at + len + rng.range(50, 300), Fault::TransferLeader);
            }
        }
        finish(plan, schedule)
    }
}
