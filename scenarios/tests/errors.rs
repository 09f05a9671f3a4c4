//! Bad input is a typed error, never a panic: unknown scenario names, malformed seed ranges,
//! shard specs, durations and sizes, and malformed regression corpus entries (naming the file).

use faultline_scenarios::catalog::{self, UnknownScenario};
use faultline_scenarios::duration::{DurationError, parse_duration};
use faultline_scenarios::regressions::{Corpus, CorpusError, read_plan};
use faultline_scenarios::runner::plan_of;
use faultline_scenarios::seeds::{SeedRange, SeedSpecError};
use faultline_scenarios::shard::{Shard, ShardError};
use proptest::prelude::*;

#[test]
fn unknown_scenario_lists_the_valid_names() {
    let Err(e) = catalog::find("partitoin") else {
        panic!("found a scenario that does not exist");
    };
    assert_eq!(
        e,
        UnknownScenario {
            name: "partitoin".into(),
            valid: catalog::names()
        }
    );
    let msg = e.to_string();
    for name in catalog::names() {
        assert!(msg.contains(name), "{msg}");
    }
    assert!(catalog::select("").is_err());
    assert_eq!(
        catalog::select("all").unwrap().len(),
        catalog::catalog().len()
    );
    assert_eq!(catalog::select("random").unwrap()[0].name(), "random");
}

#[test]
fn bad_seed_ranges() {
    type Expect = fn(&SeedSpecError) -> bool;
    let cases: [(&str, Expect); 6] = [
        ("0", |e| matches!(e, SeedSpecError::Empty(_))),
        ("10..10", |e| matches!(e, SeedSpecError::Empty(_))),
        ("10..=9", |e| matches!(e, SeedSpecError::Empty(_))),
        ("ten", |e| matches!(e, SeedSpecError::NotANumber { .. })),
        ("1..x", |e| matches!(e, SeedSpecError::NotANumber { .. })),
        ("", |e| matches!(e, SeedSpecError::Malformed(_))),
    ];
    for (spec, expected) in cases {
        let e = spec.parse::<SeedRange>().unwrap_err();
        assert!(expected(&e), "{spec:?}: {e:?}");
    }
}

#[test]
fn bad_shards_and_durations() {
    assert!(matches!(
        "3/3".parse::<Shard>(),
        Err(ShardError::IndexOutOfRange {
            index: 3,
            count: 3,
            ..
        })
    ));
    assert!(matches!(
        "1/0".parse::<Shard>(),
        Err(ShardError::NoShards(_))
    ));
    assert!(matches!(
        "1-3".parse::<Shard>(),
        Err(ShardError::Malformed(_))
    ));
    assert!(matches!(
        parse_duration("1 hour"),
        Err(DurationError::UnknownUnit { .. })
    ));
    assert!(matches!(parse_duration("0m"), Err(DurationError::Zero(_))));
}

#[test]
fn malformed_corpus_entries_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Corpus::new(dir.path());
    let scenario_dir = dir.path().join("partition");
    std::fs::create_dir_all(&scenario_dir).unwrap();
    let bad = scenario_dir.join("12.json");
    std::fs::write(&bad, "{\"scenario\": \"partition\", \"seed\": 12}").unwrap();
    match corpus.load_all() {
        Err(CorpusError::Malformed { path, .. }) => assert_eq!(path, bad),
        other => panic!("{other:?}"),
    }
    // An entry whose plan is another seed's is inconsistent, not silently replayed.
    let plan = plan_of(catalog::find("partition").unwrap(), 3).unwrap();
    let entry = serde_json::json!({
        "scenario": "partition", "seed": 12, "generator": 1, "reason": "", "plan": plan,
    });
    std::fs::write(&bad, entry.to_string()).unwrap();
    assert!(matches!(
        corpus.load_all(),
        Err(CorpusError::Inconsistent { .. })
    ));
    // A leftover seed list is refused with a pointer to the new format.
    std::fs::remove_file(&bad).unwrap();
    std::fs::write(dir.path().join("random.txt"), "5\n").unwrap();
    assert!(matches!(corpus.load_all(), Err(CorpusError::Legacy(_))));
}

#[test]
fn bad_sizes_are_typed_errors() {
    use faultline_scenarios::memory::{SizeError, parse_size};
    assert!(matches!(
        parse_size("4 GB please"),
        Err(SizeError::UnknownUnit { .. })
    ));
    assert!(matches!(parse_size(""), Err(SizeError::Malformed(_))));
}

proptest! {
    /// Any text is either a plan, a corpus entry or a typed error; never a panic.
    #[test]
    fn plan_reader_never_panics(text in "[0-9a-z{}\\[\\]\":, ]{0,80}") {
        let _ = read_plan(&text);
    }

    #[test]
    fn seed_parser_never_panics(text in "[0-9.=a -]{0,24}") {
        if let Ok(r) = text.parse::<SeedRange>() {
            prop_assert!(r.first() <= r.last());
        }
    }

    #[test]
    fn recorded_plans_read_back(seeds in proptest::collection::vec(0u64..50, 1..6), reason in "[ -~]{0,30}") {
        let dir = tempfile::tempdir().unwrap();
        let corpus = Corpus::new(dir.path());
        let scenario = catalog::find("random").unwrap();
        for s in &seeds {
            corpus.record(&plan_of(scenario, *s).unwrap(), &reason).unwrap();
        }
        let mut unique = seeds.clone();
        unique.sort_unstable();
        unique.dedup();
        let got: Vec<u64> = corpus.load("random").unwrap().iter().map(|(_, e)| e.seed).collect();
        prop_assert_eq!(got, unique);
    }
}
