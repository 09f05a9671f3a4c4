//! The harsh crash model's rules (see `vfs/mod.rs`) and their soundness.
//!
//! Soundness is checked against an oracle written from the documented rules, not from the
//! implementation: a recovered file must be *explained* by some metadata prefix (its length)
//! and, per 512-byte sector, some moment of that sector's history (its durable bytes plus the
//! pending changes up to then, truncates freeing what they cut). A recovered directory must hold
//! its durable entries plus a prefix of its later entry changes, and exist only if its own entry
//! survived. Then the rules one by one: atomic renames across directories, directories durable
//! only after their parent's sync, the fsync-error lesson, the report, and determinism.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use faultline_engine::vfs::create_dir_durable;
use faultline_engine::{CrashModel, FaultKind, SimVfs, Vfs};
use proptest::prelude::*;

fn p(s: &str) -> &Path {
    Path::new(s)
}

/// A harsh disk with the durable directory `/d`.
fn disk(seed: u64) -> SimVfs {
    let v = SimVfs::new(seed);
    assert_eq!(v.crash_model(), CrashModel::Harsh);
    create_dir_durable(&v, p("/d")).unwrap();
    v
}

// ---- files --------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum FileOp {
    WriteAt(u64, Vec<u8>),
    Append(Vec<u8>),
    SetLen(u64),
    Sync,
}

fn file_op() -> impl Strategy<Value = FileOp> {
    let data = (1usize..1400, any::<u8>()).prop_map(|(n, b)| {
        (0..n)
            .map(|i| b.wrapping_add(i as u8) | 1)
            .collect::<Vec<u8>>()
    });
    prop_oneof![
        3 => (0u64..3000, data.clone()).prop_map(|(o, d)| FileOp::WriteAt(o, d)),
        3 => data.prop_map(FileOp::Append),
        1 => (0u64..3000).prop_map(FileOp::SetLen),
        1 => Just(FileOp::Sync),
    ]
}

#[derive(Debug, Clone)]
enum Change {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

/// The file after each prefix of `pending` (version `k` = after the first `k` changes).
fn versions(durable: &[u8], pending: &[Change]) -> Vec<Vec<u8>> {
    let mut v = vec![durable.to_vec()];
    for c in pending {
        let mut next = v.last().unwrap().clone();
        match c {
            Change::Write(off, data) => {
                let end = *off as usize + data.len();
                if next.len() < end {
                    next.resize(end, 0);
                }
                next[*off as usize..end].copy_from_slice(data);
            }
            Change::SetLen(l) => next.resize(*l as usize, 0),
        }
        v.push(next);
    }
    v
}

/// Byte `b` when metadata kept `j` changes and its sector shows version `k` (rules 3 and 4).
fn expected(v: &[Vec<u8>], pending: &[Change], b: usize, k: usize, j: usize) -> u8 {
    let cuts = pending.iter().enumerate().filter_map(|(t, c)| match c {
        Change::SetLen(l) if *l as usize <= b => Some(t),
        _ => None,
    });
    let before = cuts.clone().filter(|&t| t < j).map(|t| t + 1).max();
    let after = cuts.filter(|&t| t >= j).min();
    if before.is_some_and(|cb| k < cb) {
        return 0;
    }
    let k = after.map_or(k, |ca| k.min(ca));
    v[k].get(b).copied().unwrap_or(0)
}

/// Whether some metadata prefix and some per-sector versions produce `got`.
fn explains(durable: &[u8], pending: &[Change], got: &[u8]) -> bool {
    let v = versions(durable, pending);
    let n = pending.len();
    (0..=n).filter(|&j| v[j].len() == got.len()).any(|j| {
        (0..got.len().div_ceil(512)).all(|s| {
            let bytes = s * 512..((s + 1) * 512).min(got.len());
            (0..=n).any(|k| {
                bytes
                    .clone()
                    .all(|b| got[b] == expected(&v, pending, b, k, j))
            })
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_recovered_file_is_its_durable_image_plus_a_sound_part_of_its_pending_changes(
        initial in proptest::collection::vec(any::<u8>(), 0..2000),
        ops in proptest::collection::vec(file_op(), 0..12),
        seed in any::<u64>(),
        tear in any::<bool>(),
    ) {
        let v = disk(seed);
        let f = p("/d/f");
        v.create(f).unwrap();
        v.append(f, &initial).unwrap();
        v.sync(f).unwrap();
        v.sync_dir(p("/d")).unwrap();
        let mut durable = initial.clone();
        let mut pending = Vec::new();
        for op in &ops {
            match op {
                FileOp::WriteAt(o, d) => {
                    v.write_at(f, *o, d).unwrap();
                    pending.push(Change::Write(*o, d.clone()));
                }
                FileOp::Append(d) => {
                    let at = v.append(f, d).unwrap();
                    pending.push(Change::Write(at, d.clone()));
                }
                FileOp::SetLen(l) => {
                    v.truncate(f, *l).unwrap();
                    pending.push(Change::SetLen(*l));
                }
                FileOp::Sync => {
                    v.sync(f).unwrap();
                    durable = versions(&durable, &pending).pop().unwrap();
                    pending.clear();
                }
            }
        }
        let live = v.read_all(f).unwrap();
        let want = versions(&durable, &pending).pop().unwrap();
        prop_assert_eq!(&live, &want);
        let report = v.crash_with(tear);
        let got = v.read_all(f).unwrap();
        prop_assert!(
            explains(&durable, &pending, &got),
            "not explained: {} bytes from durable {} + {:?}", got.len(), durable.len(), pending
        );
        if pending.is_empty() {
            prop_assert_eq!(&got, &durable);
            prop_assert!(report.files.is_empty());
        } else {
            let fc = &report.files[0];
            prop_assert_eq!(fc.path.as_str(), "/d/f");
            prop_assert_eq!(fc.writes + fc.set_lens, pending.len() as u64);
            prop_assert_eq!(fc.writes, fc.writes_kept + fc.writes_dropped + fc.writes_torn);
            prop_assert_eq!(fc.recovered_len, got.len() as u64);
            prop_assert_eq!(fc.live_len, live.len() as u64);
            if !tear {
                prop_assert_eq!(fc.writes_torn, 0, "without tearing every write is whole");
            }
        }
    }
}

#[test]
fn the_oracle_rejects_what_no_file_system_could_produce() {
    let d = vec![b'.'; 1024];
    let pending = [
        Change::Write(0, b"a".to_vec()),
        Change::Write(1, b"b".to_vec()),
    ];
    let mut ok = d.clone();
    ok[0] = b'a';
    assert!(explains(&d, &pending, &ok));
    // The later write to sector 0 without the earlier one.
    let mut bad = d.clone();
    bad[1] = b'b';
    assert!(!explains(&d, &pending, &bad));
    // Bytes nobody wrote.
    let mut bad = d.clone();
    bad[600] = b'x';
    assert!(!explains(&d, &pending, &bad));
    // A length no prefix had.
    assert!(!explains(&d, &pending, &d[..1000]));
    // Old data back behind a surviving truncate.
    let pending = [Change::SetLen(0), Change::Write(1000, b"z".to_vec())];
    let mut bad = d.clone();
    bad.push(b'z');
    assert!(!explains(&d, &pending, &bad));
    let mut ok = vec![0; 1000];
    ok.push(b'z');
    assert!(explains(&d, &pending, &ok));
}

#[test]
fn the_harsh_model_produces_every_kind_of_outcome() {
    // Two appends to different sectors and one spanning several: over seeds, each of them is
    // kept, dropped and torn, in every combination the rules allow.
    let (mut kept_second_only, mut torn, mut zero_tail, mut hidden) = (0, 0, 0, 0);
    for seed in 0..400 {
        let v = disk(seed);
        let f = p("/d/f");
        v.create(f).unwrap();
        v.append(f, &[1; 512]).unwrap();
        v.sync(f).unwrap();
        v.sync_dir(p("/d")).unwrap();
        v.append(f, &[2; 512]).unwrap();
        v.append(f, &[3; 1536]).unwrap();
        let report = v.crash_with(true);
        let got = v.read_all(f).unwrap();
        assert_eq!(&got[..512], &[1; 512]);
        let sector = |s: usize| got.get(s * 512..(s + 1) * 512).map(|x| x[0]);
        kept_second_only += u64::from(sector(1) == Some(0) && sector(2) == Some(3));
        torn += u64::from(report.torn_pending > 0);
        zero_tail += u64::from(got.len() > 512 && got[512..].iter().all(|&b| b == 0));
        hidden += u64::from(got.len() == 512);
    }
    for (what, n) in [
        ("a later write without an earlier one", kept_second_only),
        ("torn writes", torn),
        ("lengths whose data never arrived", zero_tail),
        ("data whose length was lost", hidden),
    ] {
        assert!(n > 5, "{what}: only {n} of 400");
    }
}

// ---- directories --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File(u64),
    Dir,
}

type Entries = BTreeMap<String, Kind>;

/// One directory in the model: entries as of its last sync, and the changes since.
#[derive(Debug, Clone, Default)]
struct ModelDir {
    synced: Entries,
    log: Vec<Vec<(String, Option<Kind>)>>,
}

impl ModelDir {
    fn live(&self) -> Entries {
        self.after(self.log.len())
    }
    fn after(&self, k: usize) -> Entries {
        let mut e = self.synced.clone();
        for changes in &self.log[..k] {
            for (n, kind) in changes {
                match kind {
                    Some(k) => e.insert(n.clone(), *k),
                    None => e.remove(n),
                };
            }
        }
        e
    }
}

const DIRS: [&str; 4] = ["/", "/a", "/a/b", "/c"];
const NAMES: [&str; 4] = ["f0", "f1", "f2", "f3"];

#[derive(Debug, Clone)]
enum NsOp {
    MkDir(usize),
    Create(usize, usize),
    Rename(usize, usize, usize),
    Remove(usize, usize),
    SyncDir(usize),
    Crash(bool),
}

fn ns_op() -> impl Strategy<Value = NsOp> {
    prop_oneof![
        1 => (1usize..4).prop_map(NsOp::MkDir),
        4 => (0usize..4, 0usize..4).prop_map(|(d, n)| NsOp::Create(d, n)),
        2 => (0usize..4, 0usize..4, 0usize..4).prop_map(|(d, a, b)| NsOp::Rename(d, a, b)),
        2 => (0usize..4, 0usize..4).prop_map(|(d, n)| NsOp::Remove(d, n)),
        3 => (0usize..4).prop_map(NsOp::SyncDir),
        1 => any::<bool>().prop_map(NsOp::Crash),
    ]
}

/// What the disk shows in `dir`: subdirectories, and files by the id they hold.
fn observe(v: &SimVfs, dir: &str) -> Entries {
    v.list(p(dir))
        .unwrap()
        .into_iter()
        .map(|n| {
            let path = Path::new(dir).join(&n);
            let kind = if DIRS.contains(&path.to_str().unwrap()) {
                Kind::Dir
            } else {
                let b = v.read_all(&path).unwrap();
                Kind::File(u64::from_le_bytes(b.try_into().unwrap()))
            };
            (n, kind)
        })
        .collect()
}

fn parent_and_name(dir: &str) -> (String, String) {
    let path = PathBuf::from(dir);
    let parent = path.parent().unwrap().to_str().unwrap().to_owned();
    (
        parent,
        path.file_name().unwrap().to_str().unwrap().to_owned(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn directories_keep_a_prefix_of_their_entry_changes_and_exist_only_if_their_entry_does(
        ops in proptest::collection::vec(ns_op(), 1..40),
        seed in any::<u64>(),
    ) {
        let v = SimVfs::new(seed);
        let mut model: BTreeMap<String, ModelDir> = BTreeMap::new();
        model.insert("/".into(), ModelDir::default());
        let mut next_id = 0u64;
        for op in ops {
            match op {
                NsOp::MkDir(d) => {
                    v.create_dir_all(p(DIRS[d])).unwrap();
                    // Every missing directory on the way becomes a change in its parent.
                    for dir in DIRS.iter().filter(|x| DIRS[d].starts_with(**x) && **x != "/") {
                        if !model.contains_key(*dir) {
                            let (parent, name) = parent_and_name(dir);
                            model.get_mut(&parent).unwrap().log.push(vec![(name, Some(Kind::Dir))]);
                            model.insert(dir.to_string(), ModelDir::default());
                        }
                    }
                }
                NsOp::Create(d, n) => {
                    let Some(m) = model.get_mut(DIRS[d]) else { continue };
                    if m.live().contains_key(NAMES[n]) {
                        continue;
                    }
                    let path = Path::new(DIRS[d]).join(NAMES[n]);
                    next_id += 1;
                    v.create(&path).unwrap();
                    v.append(&path, &next_id.to_le_bytes()).unwrap();
                    v.sync(&path).unwrap();
                    m.log.push(vec![(NAMES[n].into(), Some(Kind::File(next_id)))]);
                }
                NsOp::Rename(d, a, b) => {
                    let Some(m) = model.get_mut(DIRS[d]) else { continue };
                    let Some(&Kind::File(id)) = m.live().get(NAMES[a]) else { continue };
                    let dir = Path::new(DIRS[d]);
                    v.rename(&dir.join(NAMES[a]), &dir.join(NAMES[b])).unwrap();
                    m.log.push(vec![
                        (NAMES[a].into(), None),
                        (NAMES[b].into(), Some(Kind::File(id))),
                    ]);
                }
                NsOp::Remove(d, n) => {
                    let Some(m) = model.get_mut(DIRS[d]) else { continue };
                    if !matches!(m.live().get(NAMES[n]), Some(Kind::File(_))) {
                        continue;
                    }
                    v.remove(&Path::new(DIRS[d]).join(NAMES[n])).unwrap();
                    m.log.push(vec![(NAMES[n].into(), None)]);
                }
                NsOp::SyncDir(d) => {
                    let Some(m) = model.get_mut(DIRS[d]) else { continue };
                    v.sync_dir(p(DIRS[d])).unwrap();
                    m.synced = m.live();
                    m.log.clear();
                }
                NsOp::Crash(tear) => {
                    let report = v.crash_with(tear);
                    let mut survivors: BTreeMap<String, ModelDir> = BTreeMap::new();
                    // Parents sort before their children.
                    for (dir, m) in &model {
                        let reachable = dir == "/" || {
                            let (parent, name) = parent_and_name(dir);
                            survivors
                                .get(&parent)
                                .is_some_and(|s| s.synced.get(&name) == Some(&Kind::Dir))
                        };
                        prop_assert_eq!(v.exists(p(dir)).unwrap(), reachable, "{}", dir);
                        if !reachable {
                            continue;
                        }
                        let got = observe(&v, dir);
                        prop_assert!(
                            (0..=m.log.len()).any(|k| m.after(k) == got),
                            "{} holds {:?}, not a prefix of {:?} over {:?}", dir, got, m.log, m.synced
                        );
                        survivors.insert(dir.clone(), ModelDir { synced: got, log: Vec::new() });
                    }
                    prop_assert_eq!(report.vanished_dirs as usize, model.len() - survivors.len());
                    model = survivors;
                }
            }
        }
    }
}

#[test]
fn a_rename_across_directories_is_atomic_and_durable_once_either_side_is_synced() {
    let setup = |seed| {
        let v = SimVfs::new(seed);
        for d in ["/x", "/y"] {
            create_dir_durable(&v, p(d)).unwrap();
        }
        v.create(p("/x/f")).unwrap();
        v.append(p("/x/f"), b"data").unwrap();
        v.sync(p("/x/f")).unwrap();
        v.sync_dir(p("/x")).unwrap();
        v.rename(p("/x/f"), p("/y/g")).unwrap();
        v
    };
    let (mut old, mut new) = (0, 0);
    for seed in 0..200 {
        for synced in [None, Some("/x"), Some("/y")] {
            let v = setup(seed);
            if let Some(d) = synced {
                v.sync_dir(p(d)).unwrap();
            }
            v.crash_with(true);
            let at_old = v.exists(p("/x/f")).unwrap();
            let at_new = v.exists(p("/y/g")).unwrap();
            assert!(
                at_old != at_new,
                "seed {seed} {synced:?}: old {at_old} new {at_new}"
            );
            if synced.is_some() {
                assert!(
                    at_new,
                    "seed {seed}: synced {synced:?} but the rename was lost"
                );
            }
            let name = if at_new { "/y/g" } else { "/x/f" };
            assert_eq!(v.read_all(p(name)).unwrap(), b"data");
            old += u64::from(at_old);
            new += u64::from(at_new && synced.is_none());
        }
    }
    assert!(
        old > 20 && new > 20,
        "unsynced renames: {old} undone, {new} kept"
    );
}

#[test]
fn a_new_directory_needs_its_parent_synced_and_create_dir_durable_does_that() {
    let mut lost = 0;
    for seed in 0..100 {
        let v = SimVfs::new(seed);
        v.create_dir_all(p("/n1/engine")).unwrap();
        // Everything inside is carefully synced; the chain above it is not.
        v.create(p("/n1/engine/wal")).unwrap();
        v.append(p("/n1/engine/wal"), b"acknowledged").unwrap();
        v.sync(p("/n1/engine/wal")).unwrap();
        v.sync_dir(p("/n1/engine")).unwrap();
        assert_eq!(v.durable_contents(p("/n1/engine/wal")), None);
        let report = v.crash();
        lost += u64::from(!v.exists(p("/n1/engine/wal")).unwrap());
        if !v.exists(p("/n1")).unwrap() {
            assert_eq!(report.vanished_dirs, 2);
        }

        let v = SimVfs::new(seed);
        create_dir_durable(&v, p("/n1/engine")).unwrap();
        v.create(p("/n1/engine/wal")).unwrap();
        v.append(p("/n1/engine/wal"), b"acknowledged").unwrap();
        v.sync(p("/n1/engine/wal")).unwrap();
        v.sync_dir(p("/n1/engine")).unwrap();
        assert_eq!(
            v.durable_contents(p("/n1/engine/wal")).as_deref(),
            Some(&b"acknowledged"[..])
        );
        v.crash();
        assert_eq!(v.read_all(p("/n1/engine/wal")).unwrap(), b"acknowledged");
    }
    assert!(
        lost > 30,
        "only {lost} of 100 crashes lost the unsynced directory"
    );
    // Relative paths and an existing directory whose entry was never synced.
    let v = SimVfs::new(1);
    v.create_dir_all(p("rel")).unwrap();
    create_dir_durable(&v, p("rel/d")).unwrap();
    create_dir_durable(&v, p("rel")).unwrap();
    v.crash();
    assert!(v.exists(p("rel/d")).unwrap());
}

#[test]
fn a_failed_fsync_loses_its_writes_in_every_outcome() {
    for seed in 0..64 {
        let v = disk(seed);
        let f = p("/d/f");
        v.create(f).unwrap();
        v.append(f, b"durable").unwrap();
        v.sync(f).unwrap();
        v.sync_dir(p("/d")).unwrap();
        v.append(f, &[7; 3000]).unwrap();
        v.schedule_fault(FaultKind::SyncEio, v.counters().ops + 1);
        assert!(v.sync(f).is_err());
        v.append(f, b"later").unwrap();
        v.crash_with(true);
        let got = v.read_all(f).unwrap();
        assert!(got.starts_with(b"durable"));
        assert!(
            !got.contains(&7),
            "seed {seed}: a failed fsync's data came back"
        );
    }
}

#[test]
fn a_power_cut_mid_sync_leaves_its_writes_to_the_crash() {
    let mut outcomes = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let v = disk(seed);
        let f = p("/d/f");
        v.create(f).unwrap();
        v.sync_dir(p("/d")).unwrap();
        v.append(f, &[5; 1500]).unwrap();
        v.schedule_fault(FaultKind::PowerCut, v.counters().ops + 1);
        assert!(v.sync(f).is_err());
        assert!(v.append(f, b"x").is_err(), "the disk takes nothing more");
        let report = v.crash_with(true);
        assert_eq!(v.counters().power_cuts, 1);
        let (_, kept, total) = report.torn.clone().unwrap();
        assert_eq!(total, 3);
        let got = v.read_all(f).unwrap();
        assert!(got.iter().all(|&b| b == 5 || b == 0));
        outcomes.insert((got.len(), kept));
    }
    assert!(outcomes.len() > 4, "{outcomes:?}");
}

#[test]
fn crash_outcomes_are_a_function_of_the_seed() {
    let run = |seed| {
        let v = disk(seed);
        for i in 0..20u8 {
            let f = PathBuf::from(format!("/d/f{}", i % 4));
            if !v.exists(&f).unwrap() {
                v.create(&f).unwrap();
            }
            v.append(&f, &vec![i; 300 + usize::from(i) * 50]).unwrap();
            if i % 7 == 0 {
                v.sync(&f).unwrap();
                v.sync_dir(p("/d")).unwrap();
            }
        }
        let report = v.crash_with(true);
        let files: Vec<_> = v
            .list(p("/d"))
            .unwrap()
            .into_iter()
            .map(|n| v.read_all(&Path::new("/d").join(n)).unwrap())
            .collect();
        (report, files)
    };
    assert_eq!(run(5), run(5));
    let distinct: std::collections::BTreeSet<_> = (0..20).map(|s| run(s).1).collect();
    assert!(distinct.len() > 10, "{} distinct outcomes", distinct.len());
}
