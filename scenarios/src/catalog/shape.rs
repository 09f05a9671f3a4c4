//! The shape every scenario's plan starts from: cluster size (3, 5 or 7 nodes, a third each),
//! Raft timing, network base, disk latency, workload (hot keys and a few cold ones) and
//! liveness phase, all drawn from the seed.
//!
//! Scenarios adjust a drawn plan (a membership scenario boots spare nodes, a compaction
//! scenario snapshots often) and add their fault schedule; everything else about a run's
//! shape is decided here, so all scenarios vary cluster size and timing the same way.

use faultline_sim::plan::{
    ClusterPlan, LivenessPlan, LogStoreKind, OpMix, Plan, RaftTiming, Switches, System,
    WorkloadPlan,
};

use faultline_engine::vfs::IoLatency;

use crate::rng::SeedRng;

/// Draws the parts of a plan that are not its fault schedule; scenarios adjust the result.
pub fn draw(rng: &mut SeedRng, scenario: &str, seed: u64) -> Plan {
    // A fair share of each size: bad commits need five or seven voters (a leader dying
    // before its entry reached a real majority), splits with more than two sides need them too.
    let nodes = match rng.below(3) {
        0 => 3,
        1 => 5,
        _ => 7,
    };
    let heartbeat_ms = rng.range(30, 80);
    let election_min_ms = heartbeat_ms * rng.range(3, 5);
    let election_max_ms = election_min_ms + rng.range(100, 250);
    let latency_min_ms = rng.range(1, 3);
    let latency_max_ms = latency_min_ms + rng.range(1, 8);
    let think_min_ms = rng.range(1, 20);
    let think_max_ms = think_min_ms + rng.range(5, 40);
    let duration_ms = rng.range(3_000, 8_000);
    // Disks differ from seed to seed: an fsync takes from 0.1 ms up to 1–4 ms.
    let disk_latency = IoLatency {
        fsync_us: (100, 1_000 * rng.range(1, 4)),
        ..IoLatency::realistic()
    };
    Plan {
        scenario: scenario.to_string(),
        seed,
        // The runner sets the system a campaign asks for, as it sets its switches.
        system: System::default(),
        cluster: ClusterPlan {
            nodes,
            voters: nodes,
            log_store: LogStoreKind::Durable,
            raft: RaftTiming {
                heartbeat_ms,
                election_min_ms,
                election_max_ms,
                snapshot_every: None,
                keep_after_snapshot: 1_000,
            },
            rpc_timeout_ms: rng.range(300, 800),
            client_timeout_ms: rng.range(800, 2_500),
            latency_min_ms,
            latency_max_ms,
            loss: 0.0,
            disk_latency,
        },
        workload: WorkloadPlan {
            clients: rng.range(3, 7) as u32,
            keys: rng.range(3, 8),
            cold_keys: rng.range(2, 6),
            mix: OpMix::default(),
            think_min_ms,
            think_max_ms,
            duration_ms,
        },
        faults: Vec::new(),
        liveness: LivenessPlan {
            heal_at_ms: duration_ms,
            ..LivenessPlan::default()
        },
        bug: None,
        switches: Switches::default(),
        plant: None,
    }
}
