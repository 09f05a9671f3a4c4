//! Bad input is a typed error, never a panic: unknown scenario names, malformed seed ranges,
//! shard specs and durations, and malformed regression lines (naming the file and line).

use std::path::Path;

use faultline_scenarios::catalog::{self, UnknownScenario};
use faultline_scenarios::duration::{DurationError, parse_duration};
use faultline_scenarios::regressions::{Corpus, CorpusError, parse};
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
fn malformed_regression_lines_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Corpus::new(dir.path());
    std::fs::write(
        dir.path().join("partition.txt"),
        "# ok so far\n12 # fine\n\nseed 13 # not a number\n",
    )
    .unwrap();
    match corpus.load_all() {
        Err(CorpusError::Malformed { path, line, .. }) => {
            assert_eq!(path, dir.path().join("partition.txt"));
            assert_eq!(line, 4);
        }
        other => panic!("{other:?}"),
    }
    // An append to a malformed file is refused and leaves it as it was.
    let before = std::fs::read_to_string(dir.path().join("partition.txt")).unwrap();
    assert!(corpus.append("partition", 99, "x").is_err());
    let after = std::fs::read_to_string(dir.path().join("partition.txt")).unwrap();
    assert_eq!(before, after);
}

proptest! {
    /// Any text is either a corpus or a typed error; never a panic.
    #[test]
    fn corpus_parser_never_panics(text in "[0-9a-z #\\n-]{0,80}") {
        let _ = parse(Path::new("p.txt"), &text);
    }

    #[test]
    fn seed_parser_never_panics(text in "[0-9.=a -]{0,24}") {
        if let Ok(r) = text.parse::<SeedRange>() {
            prop_assert!(r.first() <= r.last());
        }
    }

    #[test]
    fn appended_seeds_read_back(seeds in proptest::collection::vec(any::<u64>(), 1..8), reason in "[ -~]{0,30}") {
        let dir = tempfile::tempdir().unwrap();
        let corpus = Corpus::new(dir.path());
        for s in &seeds {
            corpus.append("random", *s, &reason).unwrap();
        }
        let mut unique = Vec::new();
        for s in seeds {
            if !unique.contains(&s) {
                unique.push(s);
            }
        }
        let got: Vec<u64> = corpus.load("random").unwrap().iter().map(|e| e.seed).collect();
        prop_assert_eq!(got, unique);
    }
}
