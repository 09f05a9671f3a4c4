//! `disk-faults`: a node's simulated disk misbehaves for a while — EIO on write, sync or
//! read, silently corrupted reads, a full disk, a disk ten to a hundred times slower, fsyncs
//! that stall for tens or hundreds of milliseconds — sometimes followed by a crash and restart
//! while the fault is still set, so recovery reads a faulty disk too. A faulty node may stop
//! serving; it must never make the cluster lose or invent data.

use faultline_sim::plan::{DiskFault, DiskFaultKind, Fault, NodeRef, Plan};

use super::Scenario;
use super::leader_kill::kill_and_restart;
use super::schedule::{Windows, windowed_plan};
use crate::rng::SeedRng;

pub struct DiskFaults;

impl Scenario for DiskFaults {
    fn name(&self) -> &'static str {
        "disk-faults"
    }

    fn describe(&self) -> &'static str {
        "EIO on write/sync/read, read corruption, a full disk, a slow disk or stalled fsyncs on one node at a time, sometimes across a crash"
    }

    fn plan(&self, seed: u64) -> Plan {
        let windows = Windows {
            count: (1, 3),
            gap: (100, 600),
            len: (300, 2_000),
        };
        windowed_plan(
            self.name(),
            seed,
            windows,
            |rng, plan, schedule, at, len| {
                // A fixed id, so the heal reaches the node the fault was set on.
                let node = NodeRef::Id(rng.range(1, plan.cluster.nodes as u64));
                let start = if rng.chance(0.35) {
                    slow_disk_fault(rng, node, len)
                } else {
                    Fault::Disk {
                        node,
                        fault: disk_fault(rng),
                    }
                };
                schedule.window(at, len, start, Fault::DiskHeal { node });
                if rng.chance(0.25) {
                    let (kill, restart) = kill_and_restart(node, rng.chance(0.3));
                    let down = rng.range(len / 4, len / 2);
                    schedule.window(at + len / 4, down, kill, restart);
                }
            },
        )
    }
}

/// A slow disk (10–100x) or an fsync stall (every sync 20–300 ms) on `node` for a window of
/// `len_ms`; shared with `random`.
pub fn slow_disk_fault(rng: &mut SeedRng, node: NodeRef, len_ms: u64) -> Fault {
    if rng.chance(0.5) {
        Fault::SlowDisk {
            node,
            factor: rng.range(10, 100) as f64,
        }
    } else {
        Fault::FsyncStall {
            node,
            each_ms: rng.range(20, 300),
            for_ms: len_ms,
        }
    }
}

/// One disk fault of any kind with a seeded probability; shared with `random`.
pub fn disk_fault(rng: &mut SeedRng) -> DiskFault {
    let kind = match rng.below(5) {
        0 => DiskFaultKind::EioWrite,
        1 => DiskFaultKind::EioSync,
        2 => DiskFaultKind::EioRead,
        3 => DiskFaultKind::ReadCorruption,
        _ => DiskFaultKind::Enospc,
    };
    let probability = match kind {
        // A full disk stays full; the probability is not used.
        DiskFaultKind::Enospc => 1.0,
        _ => rng.prob(0.01, 0.3),
    };
    DiskFault { kind, probability }
}
