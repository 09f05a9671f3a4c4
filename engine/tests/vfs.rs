//! The disk seam's contract: `SimVfs`'s gentle power-failure semantics (the crash model the disk
//! had before the harsh one, pinned here unchanged), fault injection, counters and determinism;
//! and the same basic file contract on `StdVfs` and `SimVfs` under both crash models. The harsh
//! model's rules are tested in `harsh_crash.rs`, I/O time in `io_time.rs`.

use std::path::Path;
use std::sync::Arc;

use faultline_engine::vfs::create_dir_durable;
use faultline_engine::{CrashModel, FaultConfig, FaultKind, SimVfs, StdVfs, Vfs, VfsError};

fn p(s: &str) -> &Path {
    Path::new(s)
}

fn gentle(v: SimVfs) -> SimVfs {
    v.set_crash_model(CrashModel::Gentle);
    v
}

fn sim_with_dir(seed: u64) -> SimVfs {
    let v = gentle(SimVfs::new(seed));
    v.create_dir_all(p("/d")).unwrap();
    v
}

/// The non-crash contract every `Vfs` must meet.
fn basic_contract(v: &dyn Vfs, dir: &Path) {
    v.create_dir_all(dir).unwrap();
    let f = dir.join("f");
    let g = dir.join("g");
    assert!(!v.exists(&f).unwrap());
    assert!(matches!(v.len(&f), Err(VfsError::NotFound { .. })));
    v.create(&f).unwrap();
    assert_eq!(v.append(&f, b"hello").unwrap(), 0);
    assert_eq!(v.append(&f, b" world").unwrap(), 5);
    v.write_at(&f, 0, b"J").unwrap();
    v.write_at(&f, 13, b"!").unwrap(); // past the end: a zero-filled gap
    assert_eq!(v.len(&f).unwrap(), 14);
    assert_eq!(v.read_all(&f).unwrap(), b"Jello world\0\0!");
    let mut buf = [0u8; 4];
    assert_eq!(v.read_at(&f, 12, &mut buf).unwrap(), 2);
    assert_eq!(v.read_at(&f, 100, &mut buf).unwrap(), 0);
    v.truncate(&f, 5).unwrap();
    v.sync(&f).unwrap();
    v.sync_dir(dir).unwrap();
    v.rename(&f, &g).unwrap();
    assert!(!v.exists(&f).unwrap());
    assert_eq!(v.read_all(&g).unwrap(), b"Jello");
    v.create(&f).unwrap();
    assert_eq!(v.list(dir).unwrap(), ["f", "g"]);
    v.create(&g).unwrap(); // create truncates
    assert_eq!(v.len(&g).unwrap(), 0);
    v.remove(&g).unwrap();
    assert_eq!(v.list(dir).unwrap(), ["f"]);
    assert!(matches!(v.remove(&g), Err(VfsError::NotFound { .. })));
    assert!(v.create(&dir.join("missing/x")).is_err());
}

#[test]
fn std_and_sim_meet_the_same_basic_contract() {
    let tmp = tempfile::tempdir().unwrap();
    basic_contract(&StdVfs::new(), &tmp.path().join("d"));
    basic_contract(&SimVfs::new(1), p("/d"));
    basic_contract(&SimVfs::new(1), p("rel/d"));
    basic_contract(&gentle(SimVfs::new(1)), p("/d"));
    // Making a directory durably syncs only parents on the way, which a real disk allows.
    let std = StdVfs::new();
    let deep = tmp.path().join("x/y/z");
    create_dir_durable(&std, &deep).unwrap();
    create_dir_durable(&std, &deep).unwrap();
    assert!(std.exists(&deep).unwrap());
}

#[test]
fn the_harsh_model_is_the_default_and_the_model_is_settable() {
    let v = SimVfs::new(0);
    assert_eq!(v.crash_model(), CrashModel::Harsh);
    v.set_crash_model(CrashModel::Gentle);
    assert_eq!(v.crash_model(), CrashModel::Gentle);
    assert_eq!(v.fork().crash_model(), CrashModel::Gentle);
    assert_eq!(v.crash().model, CrashModel::Gentle);
}

#[test]
fn vfs_is_object_safe_shareable_and_clones_share_one_disk() {
    let disk = sim_with_dir(3);
    let world_copy = disk.clone();
    let node: Arc<dyn Vfs> = Arc::new(disk);
    node.create(p("/d/f")).unwrap();
    node.append(p("/d/f"), b"x").unwrap();
    assert!(world_copy.exists(p("/d/f")).unwrap());
    world_copy.crash();
    // The node's handle sees the crash: the file was never synced into its directory.
    assert!(!node.exists(p("/d/f")).unwrap());
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Arc<dyn Vfs>>();
    assert_send_sync::<SimVfs>();
}

#[test]
fn crash_drops_unsynced_data_and_undurable_entries() {
    let v = sim_with_dir(0);
    v.create(p("/d/a")).unwrap();
    v.append(p("/d/a"), b"synced").unwrap();
    v.sync(p("/d/a")).unwrap();
    v.sync_dir(p("/d")).unwrap();
    v.append(p("/d/a"), b"+lost").unwrap();
    // b: data synced, entry never synced into the directory.
    v.create(p("/d/b")).unwrap();
    v.append(p("/d/b"), b"orphan").unwrap();
    v.sync(p("/d/b")).unwrap();
    let report = v.crash_with(false);
    assert_eq!(v.read_all(p("/d/a")).unwrap(), b"synced");
    assert!(!v.exists(p("/d/b")).unwrap());
    assert_eq!(report.vanished_files, 1);
    assert!(report.dropped_pending >= 1);
    assert_eq!(v.counters().crashes, 1);
}

#[test]
fn renames_and_removes_are_durable_only_after_sync_dir() {
    let v = sim_with_dir(0);
    for name in ["/d/old", "/d/gone"] {
        v.create(p(name)).unwrap();
        v.append(p(name), name.as_bytes()).unwrap();
        v.sync(p(name)).unwrap();
    }
    v.sync_dir(p("/d")).unwrap();
    v.rename(p("/d/old"), p("/d/new")).unwrap();
    v.remove(p("/d/gone")).unwrap();
    v.crash();
    assert_eq!(v.list(p("/d")).unwrap(), ["gone", "old"]);
    v.rename(p("/d/old"), p("/d/new")).unwrap();
    v.remove(p("/d/gone")).unwrap();
    v.sync_dir(p("/d")).unwrap();
    v.crash();
    assert_eq!(v.list(p("/d")).unwrap(), ["new"]);
    assert_eq!(v.read_all(p("/d/new")).unwrap(), b"/d/old");
}

#[test]
fn torn_writes_keep_whole_aligned_sectors_of_the_last_write_only() {
    let mut saw_partial = false;
    for seed in 0..64 {
        let v = sim_with_dir(seed);
        v.create(p("/d/f")).unwrap();
        v.sync_dir(p("/d")).unwrap();
        v.append(p("/d/f"), &[1u8; 100]).unwrap();
        v.sync(p("/d/f")).unwrap();
        v.append(p("/d/f"), &[2u8; 300]).unwrap(); // dropped: not the last write
        v.write_at(p("/d/f"), 1000, &[3u8; 1100]).unwrap(); // the last write: sectors 1..=4
        let report = v.crash_with(true);
        let data = v.read_all(p("/d/f")).unwrap();
        let (_, kept, total) = report.torn.clone().unwrap();
        assert_eq!(total, 4, "1000..2100 touches sectors 1, 2, 3 and 4");
        assert_eq!(&data[..100], &[1u8; 100]);
        assert!(
            data.iter().all(|&b| b != 2),
            "earlier pending write must be gone"
        );
        // Every byte of the torn write is kept or not per 512-byte sector.
        let mut kept_sectors = 0;
        for s in 1..=4u64 {
            let lo = (s * 512).max(1000) as usize;
            let hi = ((s + 1) * 512).min(2100) as usize;
            let piece = data.get(lo..hi);
            match piece {
                Some(b) if b.iter().all(|&x| x == 3) => kept_sectors += 1,
                Some(b) => assert!(b.iter().all(|&x| x == 0), "sector {s} partially kept"),
                None => {}
            }
        }
        assert_eq!(kept_sectors, kept);
        saw_partial |= kept > 0 && kept < total;
    }
    assert!(saw_partial);
}

#[test]
fn failed_sync_drops_pending_writes_from_the_durable_image() {
    let v = sim_with_dir(0);
    v.create(p("/d/f")).unwrap();
    v.sync_dir(p("/d")).unwrap();
    v.append(p("/d/f"), b"aaaa").unwrap();
    v.schedule_fault(FaultKind::SyncEio, v.counters().ops + 1);
    assert!(matches!(v.sync(p("/d/f")), Err(VfsError::Io { .. })));
    // Still readable (page cache), and a later sync "succeeds" ...
    assert_eq!(v.read_all(p("/d/f")).unwrap(), b"aaaa");
    v.append(p("/d/f"), b"bbbb").unwrap();
    v.sync(p("/d/f")).unwrap();
    v.crash();
    // ... but the first write never reached the disk: a hole where it was.
    assert_eq!(v.read_all(p("/d/f")).unwrap(), b"\0\0\0\0bbbb");
    assert_eq!(v.counters().sync_eio, 1);
}

#[test]
fn scheduled_faults_fire_at_the_exact_operation() {
    let v = sim_with_dir(0);
    v.create(p("/d/f")).unwrap();
    let next = v.counters().ops + 1;
    v.schedule_fault(FaultKind::WriteEio, next + 1);
    v.schedule_fault(FaultKind::ReadEio, next);
    v.append(p("/d/f"), b"ok").unwrap(); // op `next`: a write, so the read fault waits
    assert!(v.append(p("/d/f"), b"no").is_err()); // op next+1
    assert_eq!(
        v.len(p("/d/f")).unwrap(),
        2,
        "a failed write writes nothing"
    );
    assert!(v.read_all(p("/d/f")).is_err());
    assert_eq!(v.read_all(p("/d/f")).unwrap(), b"ok");
    v.schedule_fault(FaultKind::NoSpace, 0);
    assert!(matches!(
        v.append(p("/d/f"), b"x"),
        Err(VfsError::NoSpace { .. })
    ));
    let c = v.counters();
    assert_eq!(
        (c.write_eio, c.read_eio, c.enospc, c.faults_fired),
        (1, 1, 1, 3)
    );
    assert!(v.scheduled_faults().is_empty());
}

#[test]
fn read_corruption_garbles_what_is_returned_not_the_disk() {
    let v = SimVfs::with_faults(
        9,
        FaultConfig {
            read_corruption: 1.0,
            ..FaultConfig::default()
        },
    );
    v.create_dir_all(p("/d")).unwrap();
    v.create(p("/d/f")).unwrap();
    v.append(p("/d/f"), &[7u8; 64]).unwrap();
    let a = v.read_all(p("/d/f")).unwrap();
    assert_eq!(a.iter().filter(|&&b| b != 7).count(), 1);
    v.clear_faults();
    assert_eq!(v.read_all(p("/d/f")).unwrap(), vec![7u8; 64]);
    assert_eq!(v.counters().read_corruptions, 1);
}

#[test]
fn capacity_limits_growth_with_enospc() {
    let v = SimVfs::with_faults(
        0,
        FaultConfig {
            capacity_bytes: Some(10),
            ..FaultConfig::default()
        },
    );
    v.create_dir_all(p("/d")).unwrap();
    v.create(p("/d/f")).unwrap();
    v.append(p("/d/f"), &[0; 8]).unwrap();
    assert!(matches!(
        v.append(p("/d/f"), &[0; 3]),
        Err(VfsError::NoSpace { .. })
    ));
    v.write_at(p("/d/f"), 0, &[1; 8]).unwrap(); // overwriting does not grow
    v.append(p("/d/f"), &[0; 2]).unwrap();
    assert_eq!(v.counters().enospc, 1);
}

#[test]
fn same_seed_same_history_and_forks_are_independent() {
    let run = |seed: u64| {
        let v = gentle(SimVfs::with_faults(
            seed,
            FaultConfig {
                write_eio: 0.2,
                sync_eio: 0.2,
                read_corruption: 0.2,
                torn_writes: true,
                ..FaultConfig::default()
            },
        ));
        v.create_dir_all(p("/d")).unwrap();
        v.create(p("/d/f")).unwrap();
        v.sync_dir(p("/d")).unwrap();
        let mut outcomes = Vec::new();
        for i in 0..200u32 {
            outcomes.push(v.append(p("/d/f"), &i.to_le_bytes().repeat(200)).is_ok());
            outcomes.push(v.sync(p("/d/f")).is_ok());
        }
        let read = v.read_all(p("/d/f")).unwrap();
        let fork = v.fork();
        v.crash();
        let after = v.read_all(p("/d/f")).unwrap();
        (outcomes, read, after, v.counters(), fork)
    };
    let (o1, r1, a1, c1, fork) = run(5);
    let (o2, r2, a2, c2, _) = run(5);
    let (o3, ..) = run(6);
    assert_eq!((&o1, &r1, &a1, c1), (&o2, &r2, &a2, c2));
    assert_ne!(o1, o3);
    assert!(c1.faults_fired > 0);
    // The fork did not see the original's crash.
    assert_eq!(fork.counters().crashes, 0);
}

#[test]
fn bad_paths_are_errors_not_panics() {
    let v = SimVfs::new(0);
    assert!(matches!(
        v.create(p("/a/../b")),
        Err(VfsError::InvalidPath { .. })
    ));
    assert!(v.create(p("/")).is_err());
    assert!(v.sync_dir(p("/nope")).is_err());
    assert!(v.list(p("/nope")).is_err());
    v.create_dir_all(p("/x")).unwrap();
    assert!(v.create(p("/x")).is_err());
    assert!(v.write_at(p("/x/f"), u64::MAX, b"a").is_err());
    v.create(p("/x/f")).unwrap();
    assert!(v.write_at(p("/x/f"), u64::MAX, b"a").is_err());
    assert!(v.create_dir_all(p("/x/f/g")).is_err());
}
