//! The gentle crash model reproduces the disk as it was before the harsh model and I/O time:
//! a long seeded history of every `Vfs` operation, faults, power cuts and gentle crashes is
//! written as a transcript (every result, every crash report, every file after every crash),
//! and its hash must equal the one the previous implementation produced for the same history.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use faultline_engine::vfs::SplitMix64;
use faultline_engine::{CrashModel, FaultConfig, FaultKind, SimVfs, Vfs};

/// Hash of [`transcript`] over seeds `0..SEEDS`, as produced by the implementation before the
/// harsh crash model (commit 328adf2) — the contract this file pins.
const GOLDEN: u64 = 0x3bd3_b3cb_5705_a35e;
const SEEDS: u64 = 24;

const DIRS: [&str; 3] = ["/a", "/a/b", "/c"];
const FILES: [&str; 6] = ["/a/f0", "/a/f1", "/a/b/f2", "/c/f3", "/c/f4", "/a/b/f5"];

fn gentle(seed: u64, config: FaultConfig) -> SimVfs {
    let v = SimVfs::with_faults(seed, config);
    v.set_crash_model(CrashModel::Gentle);
    v
}

fn pick<'a>(rng: &mut SplitMix64, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len() as u64) as usize]
}

fn bytes(rng: &mut SplitMix64, max: u64) -> Vec<u8> {
    let n = 1 + rng.below(max);
    let b = rng.below(250) as u8 + 1;
    (0..n).map(|i| b.wrapping_add(i as u8)).collect()
}

/// Every directory and file as the running system sees it.
fn dump(v: &SimVfs, out: &mut String) {
    for d in ["/"].into_iter().chain(DIRS) {
        let _ = writeln!(out, "  list {d}: {:?}", v.list(Path::new(d)));
    }
    for f in FILES {
        let p = Path::new(f);
        let _ = writeln!(
            out,
            "  {f}: {:?} durable {:?}",
            v.read_all(p),
            v.durable_contents(p)
        );
    }
}

fn transcript(seed: u64) -> String {
    let mut rng = SplitMix64::new(seed ^ 0x5EED);
    let v = gentle(
        seed,
        FaultConfig {
            write_eio: 0.03,
            sync_eio: 0.03,
            read_eio: 0.02,
            read_corruption: 0.02,
            capacity_bytes: Some(40_000),
            torn_writes: seed.is_multiple_of(2),
        },
    );
    let mut out = String::new();
    for d in DIRS {
        let _ = writeln!(out, "mkdir {d}: {:?}", v.create_dir_all(Path::new(d)));
    }
    for step in 0..400 {
        let f = PathBuf::from(pick(&mut rng, &FILES));
        let r = match rng.below(14) {
            0 | 1 => format!("create {f:?}: {:?}", v.create(&f)),
            2 | 3 => {
                let data = bytes(&mut rng, 1500);
                format!("append {f:?}: {:?}", v.append(&f, &data))
            }
            4 => {
                let (off, data) = (rng.below(3000), bytes(&mut rng, 1500));
                format!("write_at {f:?}: {:?}", v.write_at(&f, off, &data))
            }
            5 => format!("truncate {f:?}: {:?}", v.truncate(&f, rng.below(2500))),
            6 | 7 => format!("sync {f:?}: {:?}", v.sync(&f)),
            8 => {
                let d = pick(&mut rng, &["/", DIRS[0], DIRS[1], DIRS[2]]);
                format!("sync_dir {d}: {:?}", v.sync_dir(Path::new(d)))
            }
            9 => {
                let to = pick(&mut rng, &FILES);
                format!("rename {f:?} {to}: {:?}", v.rename(&f, Path::new(to)))
            }
            10 => format!("remove {f:?}: {:?}", v.remove(&f)),
            11 => format!("read {f:?}: {:?}", v.read_all(&f)),
            12 if rng.below(8) == 0 => {
                let at = v.counters().ops + 1 + rng.below(6);
                v.schedule_fault(FaultKind::PowerCut, at);
                format!("power cut at {at}")
            }
            _ if rng.below(4) == 0 => {
                let tear = rng.below(3) > 0;
                let r = v.crash_with(tear);
                let mut s = format!(
                    "crash tear={tear}: dropped {} vanished {} reverted {} torn {:?} pending {}\n",
                    r.dropped_pending,
                    r.vanished_files,
                    r.reverted_entries,
                    r.torn,
                    v.pending_bytes()
                );
                dump(&v, &mut s);
                s
            }
            _ => format!("exists {f:?}: {:?}", v.exists(&f)),
        };
        let _ = writeln!(out, "{step} {r}");
    }
    let c = v.counters();
    let _ = writeln!(
        out,
        "counters {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
        c.ops,
        c.reads,
        c.writes,
        c.syncs,
        c.dir_syncs,
        c.faults_fired,
        c.write_eio,
        c.sync_eio,
        c.read_eio,
        c.read_corruptions,
        c.enospc,
        c.power_cuts,
        c.crashes,
        c.torn_writes
    );
    // A fork with another seed takes another future.
    let fork = v.fork_with_seed(seed + 1);
    let r = fork.crash_with(true);
    let _ = writeln!(out, "fork crash: {:?}", r.torn);
    dump(&fork, &mut out);
    out
}

#[test]
fn the_gentle_model_replays_the_previous_disk_exactly() {
    // FNV-1a, stable across platforms and releases, unlike `DefaultHasher`.
    let mut hash = faultline_engine::fnv::Fnv1a::new();
    let mut crashes = 0;
    for seed in 0..SEEDS {
        let t = transcript(seed);
        crashes += t.matches("crash tear").count();
        hash.write(t.as_bytes());
    }
    let h = hash.finish();
    println!("gentle transcript hash {h:#018x} over {SEEDS} seeds, {crashes} crashes");
    assert!(
        crashes > 100,
        "the history should crash often, got {crashes}"
    );
    assert_eq!(
        h, GOLDEN,
        "the gentle model no longer replays the previous disk"
    );
}
