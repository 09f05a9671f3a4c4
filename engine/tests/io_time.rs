//! Simulated I/O time on `SimVfs`: latency draws are a function of the disk's seed and never
//! shift its faults, the device serves operations first in, first out, `slow-disk` and
//! `fsync-stall` lengthen what they cover, a sync's writes are durable only once it completes,
//! and without a clock nothing of this exists.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use faultline_engine::vfs::{LatencyError, StallSpan, SyncStall, Tail};
use faultline_engine::{
    CrashModel, FaultConfig, IoLatency, SimVfs, StdVfs, Vfs, VfsCounters, VfsResult,
};

fn p(s: &str) -> &Path {
    Path::new(s)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// A clock the test moves by hand, in µs.
#[derive(Clone, Default)]
struct Manual(Arc<AtomicU64>);

impl Manual {
    fn attach(&self, disk: &SimVfs) {
        let t = self.0.clone();
        disk.set_clock(Arc::new(move || us(t.load(Ordering::SeqCst))));
    }
    fn set(&self, micros: u64) {
        self.0.store(micros, Ordering::SeqCst);
    }
}

/// Fixed costs, so expected completion times are exact.
fn fixed() -> IoLatency {
    IoLatency {
        write_us_per_4k: (10, 10),
        read_us_per_4k: (3, 3),
        fsync_us: (100, 100),
        metadata_us: (1, 1),
        ..IoLatency::zero()
    }
}

/// A disk with `/d/f` created and durable, at time 0.
fn timed_disk(seed: u64, latency: IoLatency, model: CrashModel) -> (SimVfs, Manual) {
    let disk = SimVfs::new(seed);
    disk.set_crash_model(model);
    disk.create_dir_all(p("/d")).unwrap();
    disk.sync_dir(p("/")).unwrap();
    disk.create(p("/d/f")).unwrap();
    disk.sync_dir(p("/d")).unwrap();
    let clock = Manual::default();
    clock.attach(&disk);
    disk.set_latency(Some(latency)).unwrap();
    (disk, clock)
}

/// A mixed history; returns every result and each operation's completion time.
fn history(disk: &SimVfs) -> (Vec<VfsResult<()>>, Vec<Duration>) {
    let (mut results, mut done) = (Vec::new(), Vec::new());
    for i in 0..200u32 {
        let r = match i % 5 {
            0 | 1 => disk
                .append(p("/d/f"), &i.to_le_bytes().repeat(100 + i as usize * 7))
                .map(|_| ()),
            2 => disk.sync(p("/d/f")),
            3 => disk.read_all(p("/d/f")).map(|_| ()),
            _ => disk.sync_dir(p("/d")),
        };
        results.push(r);
        done.push(disk.busy_until());
    }
    (results, done)
}

fn fault_counts(c: VfsCounters) -> [u64; 6] {
    [
        c.faults_fired,
        c.write_eio,
        c.sync_eio,
        c.read_eio,
        c.read_corruptions,
        c.enospc,
    ]
}

#[test]
fn latency_draws_are_a_function_of_the_seed() {
    let run = |seed| {
        let (disk, _) = timed_disk(seed, IoLatency::realistic(), CrashModel::Harsh);
        let (_, done) = history(&disk);
        (done, disk.counters().io_time_us)
    };
    let (a, time_a) = run(7);
    let (b, time_b) = run(7);
    let (c, _) = run(8);
    assert_eq!((&a, time_a), (&b, time_b));
    assert_ne!(a, c);
    assert!(
        a.windows(2).all(|w| w[0] <= w[1]),
        "completion times only grow"
    );
    // 80 syncs of at least 100 µs each, with a clock that never moved.
    assert!(
        a.last().unwrap() >= &Duration::from_millis(16),
        "{:?}",
        a.last()
    );
}

#[test]
fn io_time_never_changes_which_faults_fire() {
    let faults = FaultConfig {
        write_eio: 0.05,
        sync_eio: 0.05,
        read_corruption: 0.1,
        ..FaultConfig::default()
    };
    let run = |timed: bool| {
        let disk = SimVfs::with_faults(3, faults.clone());
        disk.create_dir_all(p("/d")).unwrap();
        disk.create(p("/d/f")).unwrap();
        if timed {
            Manual::default().attach(&disk);
            disk.set_latency(Some(IoLatency::realistic())).unwrap();
            disk.stall_syncs(SyncStall {
                each: Duration::from_millis(5),
                lasts: StallSpan::Syncs(10),
            })
            .unwrap();
        }
        let (results, _) = history(&disk);
        (results, fault_counts(disk.counters()))
    };
    let (untimed, timed) = (run(false), run(true));
    assert!(untimed.1[0] > 10, "faults fired: {:?}", untimed.1);
    assert_eq!(untimed.0, timed.0, "same results");
    assert_eq!(untimed.1, timed.1, "same faults");
}

#[test]
fn the_device_serves_operations_first_in_first_out() {
    let (disk, clock) = timed_disk(1, fixed(), CrashModel::Harsh);
    disk.append(p("/d/f"), &[1; 5000]).unwrap(); // two 4 KiB blocks: 20 µs
    assert_eq!(disk.busy_until(), us(20));
    disk.sync(p("/d/f")).unwrap(); // queued behind the write: 20 + 100
    assert_eq!(disk.busy_until(), us(120));
    disk.read_all(p("/d/f")).unwrap(); // len is free, the read is one 4 KiB+ read: 2 blocks
    assert_eq!(disk.busy_until(), us(126));
    assert_eq!(disk.busy_for(), us(126));
    clock.set(100);
    assert_eq!(disk.busy_for(), us(26));
    // An idle device starts the next operation at once.
    clock.set(1_000);
    assert_eq!(disk.busy_for(), Duration::ZERO);
    disk.rename(p("/d/f"), p("/d/g")).unwrap();
    assert_eq!(disk.busy_until(), us(1_001));
    // Answered from the caches: no device time.
    disk.exists(p("/d/g")).unwrap();
    disk.list(p("/d")).unwrap();
    disk.len(p("/d/g")).unwrap();
    assert_eq!(disk.busy_until(), us(1_001));
    // Through the trait object too; a real disk is never busy after a call returns.
    let as_vfs: Arc<dyn Vfs> = Arc::new(disk.clone());
    assert_eq!(as_vfs.busy_for(), us(1));
    assert_eq!(StdVfs::new().busy_for(), Duration::ZERO);
}

#[test]
fn slow_disk_multiplies_and_fsync_stall_lengthens_what_they_cover() {
    let (disk, clock) = timed_disk(1, fixed(), CrashModel::Harsh);
    disk.set_slowdown(10.0).unwrap();
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_until(), us(1_000));
    disk.set_slowdown(1.0).unwrap();
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_until(), us(1_100));

    // The next two syncs (file or directory) take at least 300 ms; other operations do not.
    disk.stall_syncs(SyncStall {
        each: Duration::from_millis(300),
        lasts: StallSpan::Syncs(2),
    })
    .unwrap();
    disk.append(p("/d/f"), b"x").unwrap();
    assert_eq!(disk.busy_until(), us(1_110));
    disk.sync(p("/d/f")).unwrap();
    disk.sync_dir(p("/d")).unwrap();
    assert_eq!(disk.busy_until(), us(601_110));
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_until(), us(601_210));
    assert_eq!(disk.counters().io_stalls, 2);

    // A window: syncs issued within 1 s of now stall, later ones do not.
    clock.set(1_000_000);
    disk.stall_syncs(SyncStall {
        each: Duration::from_millis(50),
        lasts: StallSpan::For(Duration::from_secs(1)),
    })
    .unwrap();
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_until(), us(1_050_000));
    clock.set(2_000_000);
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_until(), us(2_000_100));

    // Faults are cleared with the other faults; the latency model is a property of the disk.
    disk.set_slowdown(50.0).unwrap();
    disk.clear_faults();
    assert_eq!(disk.slowdown(), 1.0);
    assert_eq!(disk.latency(), Some(fixed()));
}

#[test]
fn random_stalls_and_fsync_tails_happen_at_their_rates() {
    let latency = IoLatency {
        fsync_tail: Tail {
            probability: 0.5,
            us: (1_000, 1_000),
        },
        stall: Tail {
            probability: 0.1,
            us: (50_000, 50_000),
        },
        ..fixed()
    };
    let (disk, _) = timed_disk(9, latency, CrashModel::Harsh);
    let mut tails = 0;
    for _ in 0..1000 {
        let before = disk.busy_until();
        disk.sync(p("/d/f")).unwrap();
        let took = (disk.busy_until() - before).as_micros();
        assert!([100, 1_100, 50_100, 51_100].contains(&took), "{took}");
        tails += u64::from(took % 50_000 == 1_100);
    }
    let stalls = disk.counters().io_stalls;
    assert!((400..600).contains(&tails), "{tails} tails");
    assert!((50..150).contains(&stalls), "{stalls} stalls");
}

#[test]
fn a_sync_makes_its_writes_durable_only_when_it_completes() {
    for model in [CrashModel::Gentle, CrashModel::Harsh] {
        let (disk, clock) = timed_disk(1, fixed(), model);
        disk.append(p("/d/f"), b"acknowledged").unwrap();
        disk.sync(p("/d/f")).unwrap(); // completes at 110 µs
        disk.append(p("/d/f"), b"+in flight").unwrap();
        disk.sync(p("/d/f")).unwrap(); // completes at 220 µs
        assert_eq!(disk.busy_until(), us(220));

        clock.set(110);
        assert_eq!(disk.durable_contents(p("/d/f")).unwrap(), b"acknowledged");
        // A crash before the second sync completes: its write is unsynced — the gentle model
        // drops it, the harsh model may keep any sound part of it.
        let mut outcomes = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let image = disk.fork_with_seed(seed);
            let report = image.crash_with(false);
            assert_eq!(report.in_flight, 1, "{model:?}");
            assert_eq!(report.at, us(110));
            // The crash emptied the queue.
            assert_eq!(image.busy_for(), Duration::ZERO);
            let got = image.read_all(p("/d/f")).unwrap();
            assert!(got.starts_with(b"acknowledged"), "{model:?}: {got:?}");
            outcomes.insert(got);
        }
        match model {
            CrashModel::Gentle => assert_eq!(outcomes.len(), 1),
            CrashModel::Harsh => assert!(outcomes.len() >= 2, "{outcomes:?}"),
        }

        // Once it has completed, every crash keeps it.
        clock.set(220);
        for seed in 0..16 {
            let image = disk.fork_with_seed(seed);
            let report = image.crash_with(true);
            assert_eq!(report.in_flight, 0);
            assert!(report.files.is_empty());
            let got = image.read_all(p("/d/f")).unwrap();
            assert_eq!(got, b"acknowledged+in flight", "{model:?}");
        }
    }
}

#[test]
fn a_directory_sync_makes_entries_durable_only_when_it_completes() {
    let (disk, clock) = timed_disk(2, fixed(), CrashModel::Harsh);
    disk.create(p("/d/new")).unwrap();
    disk.sync(p("/d/new")).unwrap();
    disk.sync_dir(p("/d")).unwrap();
    let done = disk.busy_until();
    clock.set(done.as_micros() as u64 - 1);
    assert_eq!(disk.durable_contents(p("/d/new")), None);
    let vanished = (0..64)
        .filter(|&seed| {
            let image = disk.fork_with_seed(seed);
            image.crash();
            !image.exists(p("/d/new")).unwrap()
        })
        .count();
    assert!(vanished > 0, "an entry not yet synced may vanish");
    clock.set(done.as_micros() as u64);
    assert_eq!(disk.durable_contents(p("/d/new")), Some(Vec::new()));
    for seed in 0..16 {
        let image = disk.fork_with_seed(seed);
        image.crash();
        assert!(image.exists(p("/d/new")).unwrap());
    }
}

#[test]
fn without_a_clock_no_time_passes_whatever_the_latency() {
    let disk = SimVfs::new(1);
    disk.set_latency(Some(IoLatency::realistic())).unwrap();
    disk.set_slowdown(100.0).unwrap();
    disk.stall_syncs(SyncStall {
        each: Duration::from_secs(1),
        lasts: StallSpan::Syncs(5),
    })
    .unwrap();
    disk.create_dir_all(p("/d")).unwrap();
    disk.create(p("/d/f")).unwrap();
    disk.append(p("/d/f"), b"x").unwrap();
    disk.sync(p("/d/f")).unwrap();
    assert_eq!(disk.busy_for(), Duration::ZERO);
    assert_eq!(disk.busy_until(), Duration::ZERO);
    assert_eq!(disk.counters().io_time_us, 0);
    assert_eq!(disk.pending_bytes(), 0, "the sync completed at once");
}

#[test]
fn nonsense_latency_settings_are_typed_errors_that_change_nothing() {
    let disk = SimVfs::new(1);
    disk.set_latency(Some(fixed())).unwrap();
    let bad = IoLatency {
        fsync_us: (10, 1),
        ..fixed()
    };
    assert!(matches!(
        disk.set_latency(Some(bad)),
        Err(LatencyError::InvertedRange {
            field: "fsync_us",
            lo: 10,
            hi: 1
        })
    ));
    let bad = IoLatency {
        stall: Tail {
            probability: -0.1,
            us: (1, 2),
        },
        ..fixed()
    };
    assert!(matches!(
        disk.set_latency(Some(bad)),
        Err(LatencyError::Probability { field: "stall", .. })
    ));
    assert_eq!(disk.latency(), Some(fixed()));
    for factor in [0.0, 0.5, f64::NAN, f64::INFINITY] {
        assert!(disk.set_slowdown(factor).is_err(), "{factor}");
    }
    assert_eq!(disk.slowdown(), 1.0);
    let too_long = SyncStall {
        each: Duration::from_secs(7200),
        lasts: StallSpan::Syncs(1),
    };
    assert!(matches!(
        disk.stall_syncs(too_long),
        Err(LatencyError::TooLong { .. })
    ));
    disk.set_latency(None).unwrap();
    assert_eq!(disk.latency(), None);
}
