//! Engine benchmark (`cargo bench -p faultline-engine --bench engine`): upserts per second with
//! one sync per op and with group commit, recovery time, and exact-search latency over
//! 10 000 × 128-d vectors, on `StdVfs` (a temp dir) and `SimVfs` (in memory). Prints a table.
//!
//! Sizes can be changed with `FAULTLINE_BENCH_POINTS` (default 10 000) and
//! `FAULTLINE_BENCH_SYNCED` (upserts measured with a sync each; default 1 000 on a real disk).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faultline_engine::vfs::SplitMix64;
use faultline_engine::{
    Database, Descriptor, Filter, Metric, SearchParams, SimVfs, StdVfs, Vfs, WriteBatch,
};
use serde_json::json;

const DIM: usize = 128;
const BATCH: usize = 100;
const QUERIES: usize = 300;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// Benchmarks measure wall-clock time outside any simulation, which is exactly what the
// workspace's clock lint exists to forbid in simulated code.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn vector(rng: &mut SplitMix64) -> Vec<f32> {
    (0..DIM)
        .map(|_| rng.next_f64() as f32 * 2.0 - 1.0)
        .collect()
}

struct Row {
    disk: &'static str,
    synced_per_s: f64,
    group_per_s: f64,
    recovery: Duration,
    p50: Duration,
    p99: Duration,
    p50_filtered: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn run(disk: &'static str, vfs: Arc<dyn Vfs>, dir: &Path, points: usize, synced: usize) -> Row {
    let mut rng = SplitMix64::new(1);
    let d = Descriptor {
        dim: DIM as u32,
        metric: Metric::L2,
    };

    // 1. One upsert, one fsync.
    let mut db = Database::open(vfs.clone(), dir.join("synced")).unwrap();
    db.create_collection("v", d).unwrap();
    let start = now();
    for id in 0..synced as u64 {
        db.upsert("v", id, &vector(&mut rng), json!({"tag": id % 10}))
            .unwrap();
    }
    let synced_per_s = synced as f64 / start.elapsed().as_secs_f64();
    drop(db);

    // 2. Group commit: BATCH upserts per record and sync; this also loads the search set.
    let main = dir.join("main");
    let mut db = Database::open(vfs.clone(), &main).unwrap();
    db.create_collection("v", d).unwrap();
    let start = now();
    let mut id = 0u64;
    while (id as usize) < points {
        let mut b = WriteBatch::new();
        for _ in 0..BATCH.min(points - id as usize) {
            b.upsert("v", id, &vector(&mut rng), json!({"tag": id % 10}));
            id += 1;
        }
        db.write(b).unwrap();
    }
    let group_per_s = points as f64 / start.elapsed().as_secs_f64();
    drop(db);

    // 3. Recovery: replay the whole WAL.
    let start = now();
    let db = Database::open(vfs, &main).unwrap();
    let recovery = start.elapsed();
    assert_eq!(db.len("v").unwrap(), points);

    // 4. Search latency, k = 10, unfiltered and with a payload filter (1 in 10 points match).
    let mut lat = |filter: Option<Filter>| {
        let mut times = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let q = vector(&mut rng);
            let params = SearchParams {
                k: 10,
                filter: filter.clone(),
                with_payload: true,
                with_vector: false,
            };
            let start = now();
            let hits = db.search("v", &q, &params).unwrap();
            times.push(start.elapsed());
            assert_eq!(hits.len(), 10);
        }
        times.sort();
        times
    };
    let plain = lat(None);
    let filtered = lat(Some(Filter::eq("tag", 3)));
    Row {
        disk,
        synced_per_s,
        group_per_s,
        recovery,
        p50: percentile(&plain, 0.5),
        p99: percentile(&plain, 0.99),
        p50_filtered: percentile(&filtered, 0.5),
    }
}

fn main() {
    let points = env_or("FAULTLINE_BENCH_POINTS", 10_000);
    let synced_real = env_or("FAULTLINE_BENCH_SYNCED", 1_000);
    let tmp = tempfile::tempdir().expect("temp dir");
    let real_dir: PathBuf = tmp.path().to_path_buf();
    let rows = [
        run(
            "StdVfs (temp dir)",
            Arc::new(StdVfs::new()),
            &real_dir,
            points,
            synced_real,
        ),
        run(
            "SimVfs (memory)",
            Arc::new(SimVfs::new(7)),
            Path::new("/bench"),
            points,
            points,
        ),
    ];
    println!();
    println!(
        "faultline-engine bench: {points} x {DIM}-d f32 vectors, L2, k = 10, group commit = {BATCH} upserts/sync"
    );
    println!();
    println!(
        "| disk | upserts/s (sync per op) | upserts/s (group commit) | recovery of {points} | search p50 | search p99 | filtered search p50 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.1} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
            r.disk,
            r.synced_per_s,
            r.group_per_s,
            r.recovery.as_secs_f64() * 1e3,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.p50_filtered.as_secs_f64() * 1e3,
        );
    }
}
