//! Acceptance 1: random operation sequences, interleaved with close/reopen, agree with the
//! `BTreeMap` model — every `get` and `search` answer, and the whole state after each reopen —
//! on `StdVfs` (a temp dir on the real file system) and on `SimVfs` (where a reopen is also a
//! power failure: everything acknowledged was synced, so nothing may be missing).
//!
//! Cases: 32 per disk by default, times `FAULTLINE_ENGINE_CASES`.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{Model, Step, apply_engine, assert_reads_match, view};
use faultline_engine::{Database, Filter, Metric, Options, SearchParams, SimVfs, StdVfs, Vfs};
use proptest::prelude::*;

const NAMES: [&str; 3] = ["a", "b", "c"];
const IDS: u64 = 12;

/// A step as generated, before it is shaped to the collection's current dimension.
#[derive(Debug, Clone)]
enum Gen {
    Create(usize, u32, usize),
    Drop(usize),
    /// collection, id, components, wrong dimension?, payload salt
    Upsert(usize, u64, [i8; 5], bool, u64),
    Delete(usize, u64),
    Batch(Vec<(usize, u64, Option<[i8; 5]>)>),
    Search(usize, [i8; 5], usize, Option<u64>, bool, bool),
    Get(usize, u64),
    Reopen,
    Checkpoint,
}

fn comps() -> impl Strategy<Value = [i8; 5]> {
    prop::array::uniform5(-2i8..3)
}

fn any_step() -> impl Strategy<Value = Gen> {
    let c = 0..NAMES.len();
    prop_oneof![
        2 => (c.clone(), 1u32..5, 0..3usize).prop_map(|(n, d, m)| Gen::Create(n, d, m)),
        1 => c.clone().prop_map(Gen::Drop),
        8 => (c.clone(), 0..IDS, comps(), prop::bool::weighted(0.1), 0..4u64)
            .prop_map(|(n, id, v, bad, s)| Gen::Upsert(n, id, v, bad, s)),
        2 => (c.clone(), 0..IDS).prop_map(|(n, id)| Gen::Delete(n, id)),
        1 => prop::collection::vec((c.clone(), 0..IDS, prop::option::weighted(0.75, comps())), 1..5)
            .prop_map(Gen::Batch),
        4 => (c.clone(), comps(), 0..6usize, prop::option::of(0..3u64), any::<bool>(), any::<bool>())
            .prop_map(|(n, q, k, f, p, v)| Gen::Search(n, q, k, f, p, v)),
        2 => (c.clone(), 0..IDS).prop_map(|(n, id)| Gen::Get(n, id)),
        1 => Just(Gen::Reopen),
        1 => Just(Gen::Checkpoint),
    ]
}

fn shaped(model: &Model, coll: &str, v: &[i8; 5], wrong: bool) -> Vec<f32> {
    let dim = model.colls.get(coll).map_or(3, |c| c.desc.dim as usize);
    let n = if wrong { dim + 1 } else { dim };
    v.iter().take(n).map(|&x| f32::from(x)).collect()
}

fn to_step(g: &Gen, model: &Model) -> Option<Step> {
    Some(match g {
        Gen::Create(n, dim, m) => Step::Create {
            name: NAMES[*n].into(),
            dim: *dim,
            metric: [Metric::L2, Metric::Cosine, Metric::Dot][*m],
        },
        Gen::Drop(n) => Step::Drop {
            name: NAMES[*n].into(),
        },
        Gen::Upsert(n, id, v, bad, salt) => Step::Upsert {
            coll: NAMES[*n].into(),
            id: *id,
            vector: shaped(model, NAMES[*n], v, *bad),
            payload: common::payload_for(*id, *salt),
        },
        Gen::Delete(n, id) => Step::Delete {
            coll: NAMES[*n].into(),
            id: *id,
        },
        Gen::Batch(items) => Step::Batch(
            items
                .iter()
                .map(|(n, id, v)| {
                    let v = v.as_ref().map(|v| shaped(model, NAMES[*n], v, false));
                    (NAMES[*n].to_string(), *id, v)
                })
                .collect(),
        ),
        Gen::Checkpoint => Step::Checkpoint,
        Gen::Search(..) | Gen::Get(..) | Gen::Reopen => return None,
    })
}

fn options() -> Options {
    Options {
        checkpoint_wal_bytes: 2048,
        ..Options::default()
    }
}

/// Runs one generated sequence. `crash` is called before every reopen.
fn run(vfs: Arc<dyn Vfs>, dir: &Path, crash: &dyn Fn(), gens: &[Gen]) {
    let open = || Database::open_with(vfs.clone(), dir, options()).expect("open");
    let mut db = open();
    let mut model = Model::default();
    for (i, g) in gens.iter().enumerate() {
        if let Some(step) = to_step(g, &model) {
            let want = model.apply(&step);
            let got = apply_engine(&mut db, &step);
            assert_eq!(got.is_ok(), want, "#{i} {step:?} -> {got:?}");
            continue;
        }
        match g {
            Gen::Search(n, q, k, f, with_payload, with_vector) => {
                let name = NAMES[*n];
                let q = shaped(&model, name, q, false);
                let filter = f.map(|t| Filter::eq("tag", format!("t{t}")));
                let params = SearchParams {
                    k: *k,
                    filter: filter.clone(),
                    with_payload: *with_payload,
                    with_vector: *with_vector,
                };
                let got = db.search(name, &q, &params);
                match model.search(name, &q, *k, filter.as_ref()) {
                    None => assert!(got.is_err(), "#{i} search should fail: {got:?}"),
                    Some(want) => {
                        let hits = got.expect("search");
                        let ids: Vec<(u64, f32)> = hits.iter().map(|h| (h.id, h.score)).collect();
                        assert_eq!(ids, want, "#{i} search {name} {q:?} k={k}");
                        for h in &hits {
                            let (v, p) = &model.colls[name].points[&h.id];
                            assert_eq!(h.payload.as_ref(), with_payload.then_some(p));
                            assert_eq!(h.vector.as_ref(), with_vector.then_some(v));
                        }
                    }
                }
            }
            Gen::Get(n, id) => {
                let name = NAMES[*n];
                match model.colls.get(name) {
                    None => assert!(db.get(name, *id).is_err()),
                    Some(c) => assert_eq!(
                        db.get(name, *id)
                            .unwrap()
                            .map(|r| (r.vector, r.payload))
                            .as_ref(),
                        c.points.get(id)
                    ),
                }
            }
            Gen::Reopen => {
                drop(db);
                crash();
                db = open();
                assert_eq!(view(&db), model, "#{i} state after reopen");
            }
            _ => unreachable!(),
        }
    }
    assert_reads_match(&db, &model, IDS);
    drop(db);
    crash();
    let db = open();
    assert_eq!(view(&db), model, "final state after reopen");
    assert_reads_match(&db, &model, IDS);
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 32 * common::scale() as u32,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn model_agrees_on_sim_vfs_with_crashes(gens in prop::collection::vec(any_step(), 1..80), seed in any::<u64>(), torn in any::<bool>()) {
        let disk = SimVfs::new(seed);
        let crasher = disk.clone();
        run(Arc::new(disk), Path::new("/db"), &move || { crasher.crash_with(torn); }, &gens);
    }

    #[test]
    fn model_agrees_on_std_vfs(gens in prop::collection::vec(any_step(), 1..60)) {
        let tmp = tempfile::tempdir().unwrap();
        run(Arc::new(StdVfs::new()), &tmp.path().join("db"), &|| {}, &gens);
    }
}
