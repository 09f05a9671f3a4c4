//! Plans the run tests share.

use faultline_sim::plan::{Fault, NodeRef, Plan, ScheduledFault};

/// A partition (the leader isolated, then a majority/minority split), healed, then a torn
/// power failure of a random node and its restart — all during a 3.5 s workload. Each fault
/// lasts ~0.8 s: openraft 0.9 followers wait out the leader's lease plus an election timeout
/// (~0.5 s here) before campaigning, so shorter faults never change the leader.
pub fn partition_kill(seed: u64) -> Plan {
    let mut plan = Plan::new("partition-kill", seed);
    plan.workload.duration_ms = 3500;
    let at = |at_ms, fault| ScheduledFault { at_ms, fault };
    plan.faults = vec![
        at(200, Fault::IsolateLeader),
        at(1000, Fault::Heal),
        at(1100, Fault::MajorityMinority),
        at(1900, Fault::Heal),
        at(
            2000,
            Fault::Kill {
                node: NodeRef::Random,
                torn: true,
            },
        ),
        at(
            2800,
            Fault::Restart {
                node: NodeRef::Random,
            },
        ),
    ];
    plan
}
