//! Jepsen's own formats: `jepsen.util` log lines with tabs or runs of spaces between fields,
//! with or without the logger prefix, and `history.edn` (register, cas-register, independent
//! keys, one-micro-op list-append transactions). A generated `history.edn` checks to the same
//! verdict as the same history in this project's JSON form, and malformed input of every
//! format is a typed error naming the line (and, read from a file, the file), never a panic.

use faultline_sim::check::generate::{GenModel, GenSpec, generate};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::read::{
    EdnDialect, Format, HistoryFileError, ReadError, read_history_file, read_jepsen_edn,
    read_jepsen_log, read_json, write_jepsen_edn, write_jsonl,
};
use faultline_sim::check::{CheckOptions, Model, Verdict, check};
use faultline_sim::history::{Call, History, Operation, Outcome, Ret};
use proptest::prelude::*;

const TABS: &str = "INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t4
INFO  jepsen.util - 1\t:invoke\t:cas\t[4 0]
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t4
INFO  jepsen.util - 1\t:fail\t:cas\t[4 0]
INFO  jepsen.util - 2\t:ok\t:read\t4
INFO  jepsen.util - 3\t:invoke\t:cas\t[4 1]
INFO  jepsen.util - 3\t:info\t:cas\t:timed-out
";

#[test]
fn space_and_tab_separated_logs_give_the_same_history() {
    let tabs = read_jepsen_log(TABS).expect("tabs");
    let spaces = read_jepsen_log(&TABS.replace('\t', "   ")).expect("spaces");
    let mixed = read_jepsen_log(&TABS.replace('\t', " \t ")).expect("mixed");
    // Without the logger prefix (the marker-less lines that start like history lines).
    let bare: String = TABS
        .lines()
        .map(|l| l.strip_prefix("INFO  jepsen.util - ").unwrap_or(l))
        .map(|l| format!("{}\n", l.replace('\t', " ")))
        .collect();
    let bare = read_jepsen_log(&bare).expect("bare");
    assert_eq!(tabs.len(), 4, "{tabs:?}");
    assert_eq!(spaces, tabs);
    assert_eq!(mixed, tabs);
    assert_eq!(bare, tabs);
    assert_eq!(
        tabs.ops[1].call,
        Call::Cas {
            key: None,
            from: "4".into(),
            to: "0".into()
        }
    );
}

#[test]
fn log_lines_that_start_like_history_but_do_not_parse_name_their_line() {
    for (text, line) in [
        ("INFO jepsen.util - 1 :invoke :cas [4]", 1),
        ("junk\n2 :invoke :write", 2),
        ("0 :invoke :frob 1", 1),
        ("INFO  jepsen.util -   x   :invoke  :read nil", 1),
    ] {
        let err = read_jepsen_log(text).expect_err(text);
        assert_eq!(err.line(), line, "{text:?}: {err}");
    }
}

const EDN: &str = r#"{:index 0, :time 10, :type :invoke, :process 0, :f :write, :value 3}
{:index 1, :time 11, :type :invoke, :process 1, :f :read, :value nil}
{:index 2, :time 12, :type :info, :process :nemesis, :f :start, :value nil}
{:index 3, :time 20, :type :ok, :process 0, :f :write, :value 3}
{:index 4, :time 21, :type :ok, :process 1, :f :read, :value 3}
{:index 5, :time 30, :type :invoke, :process 0, :f :cas, :value [3 4]}
{:index 6, :time 31, :type :fail, :process 0, :f :cas, :value [3 4], :error :conflict}
{:index 7, :time 40, :type :invoke, :process 1, :f :write, :value ["k" 7]}
{:index 8, :time 41, :type :info, :process 1, :f :write, :value ["k" 7], :error [:timeout "x"]}
"#;

#[test]
fn history_edn_maps_registers_and_independent_keys() {
    let h = read_jepsen_edn(EDN).expect("valid");
    assert_eq!(
        h.ops,
        vec![
            Operation::ok(
                0,
                Call::Write {
                    key: None,
                    value: "3".into()
                },
                10,
                20,
                Ret::Done
            ),
            Operation::ok(
                1,
                Call::Read { key: None },
                11,
                21,
                Ret::Read(Some("3".into()))
            ),
            Operation::fail(
                0,
                Call::Cas {
                    key: None,
                    from: "3".into(),
                    to: "4".into()
                },
                30,
                31
            ),
            Operation::info(
                1,
                Call::Write {
                    key: Some("k".into()),
                    value: "7".into()
                },
                40,
                None
            ),
        ]
    );
    // The older form: every operation in one vector, and tagged records.
    let wrapped = format!(
        "[{}]",
        EDN.replace("{:index 0", "#jepsen.history.Op{:index 0")
    );
    assert_eq!(read_jepsen_edn(&wrapped).expect("wrapped"), h);
}

#[test]
fn list_append_transactions_map_onto_append_kv() {
    let text = "{:type :invoke, :process 0, :f :txn, :value [[:append 5 1]]}
{:type :ok, :process 0, :f :txn, :value [[:append 5 1]]}
{:type :invoke, :process 1, :f :txn, :value [[:r 5 nil]]}
{:type :ok, :process 1, :f :txn, :value [[:r 5 [1]]]}
{:type :invoke, :process 1, :f :txn, :value [[:append 5 2]]}
{:type :ok, :process 1, :f :txn, :value [[:append 5 2]]}
{:type :invoke, :process 0, :f :txn, :value [[:r 5 nil]]}
{:type :ok, :process 0, :f :txn, :value [[:r 5 [2 1]]]}
";
    let h = read_jepsen_edn(text).expect("valid");
    assert_eq!(
        h.ops[0].call,
        Call::Append {
            key: Some("5".into()),
            value: "1 ".into()
        }
    );
    assert_eq!(h.ops[1].outcome.ret(), Some(&Ret::Read(Some("1 ".into()))));
    // Line numbers are the times (no :time); [2 1] after appends of 1 then 2 is illegal.
    assert_eq!(h.ops[0].invoke, 1);
    let report = check(&AppendKv, &h, &CheckOptions::every_partition()).unwrap();
    assert_eq!(report.verdict, Verdict::Illegal);
}

#[test]
fn malformed_or_unsupported_edn_names_its_line() {
    let ok = "{:type :invoke, :process 0, :f :read, :value nil}\n";
    for (bad, expect_unsupported) in [
        (
            "{:type :invoke, :process 1, :f :txn, :value [[:append 1 2] [:r 1 nil]]}",
            true,
        ),
        ("{:type :invoke, :process 1, :f :add, :value 1}", true),
        (
            "{:type :invoke, :process 1, :f :txn, :value [[:frob 1 2]]}",
            true,
        ),
        ("{:type :invoke, :process 1, :f :write}", false),
        ("{:type :invoke, :process 1, :f :write, :value [1 2}", false),
        ("{:type :begin, :process 1, :f :read}", false),
        ("{:type :invoke, :f :read}", false),
        ("[:not :a :map]", false),
        ("{:type :invoke, :process 0, :f :read, :value nil}", false),
        ("{:type :ok, :process 0, :f :write, :value 1}", false),
    ] {
        let text = format!("{ok}\n{bad}\n");
        let err = read_jepsen_edn(&text).expect_err(bad);
        assert_eq!(err.line(), 3, "{bad}: {err}");
        assert_eq!(
            matches!(err, ReadError::Unsupported { .. }),
            expect_unsupported,
            "{bad}: {err}"
        );
    }
    // Times that go backwards.
    let err = read_jepsen_edn(
        "{:time 5, :type :invoke, :process 0, :f :read}\n{:time 4, :type :ok, :process 0, :f :read}",
    )
    .unwrap_err();
    assert_eq!(err.line(), 2);
    let err = read_jepsen_edn("{:type :invoke, :process 0, :f :read, :value nil}\n[").unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn a_bad_file_of_any_format_names_the_file_and_the_line() {
    let dir = tempdir();
    let cases = [
        (
            Format::JepsenLog,
            "INFO jepsen.util - 0 :invoke :read nil\nINFO jepsen.util - 0 :frob :read nil\n",
        ),
        (
            Format::JepsenEdn,
            "{:type :invoke, :process 0, :f :read}\n{:type :ok, :process 0, :f :read, :value [1}\n",
        ),
        (
            Format::EdnKv,
            "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process 0}\n",
        ),
        (Format::Json, "[]\n"),
    ];
    for (format, text) in cases {
        let path = dir.join(format!("bad.{}", format.name()));
        std::fs::write(&path, text).unwrap();
        match read_history_file(&path, format) {
            Err(e @ HistoryFileError::Format { .. }) => {
                assert_eq!(e.line(), Some(2), "{format}: {e}");
                let msg = e.to_string();
                assert!(msg.contains("bad.") && msg.contains("line 2"), "{msg}");
            }
            Ok(h) if format == Format::Json => assert!(h.is_empty()),
            other => panic!("{format}: {other:?}"),
        }
    }
    let missing = read_history_file(&dir.join("nope"), Format::Json).unwrap_err();
    assert!(matches!(missing, HistoryFileError::Io { .. }));
    assert!(missing.to_string().contains("nope"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "faultline-jepsen-formats-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- round trips ----

/// A tiny SplitMix64 for the test's own generators.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// A linearizable-by-construction register or list-append history: operations take effect
/// one after another at increasing points, each inside its own interval; a process's next
/// operation starts after its last ended.
fn sequential(list_append: bool, ops: usize, keys: u64, seed: u64) -> History {
    let mut rng = Rng(seed);
    let mut state: Vec<Vec<u64>> = vec![Vec::new(); keys as usize];
    let mut free: Vec<u64> = vec![0; 4];
    let mut out = Vec::new();
    for n in 0..ops as u64 {
        let point = 10 * (n + 1);
        let invoke = point - rng.below(8);
        let complete = point + 1 + rng.below(8);
        // The first process free by `invoke`, or a fresh one.
        let process = match free.iter().position(|&f| f < invoke) {
            Some(p) => p,
            None => {
                free.push(0);
                free.len() - 1
            }
        };
        free[process] = complete;
        let k = rng.below(keys) as usize;
        let key = Some(format!("k{k}"));
        let op = if rng.below(2) == 0 {
            let v = &state[k];
            let ret = if v.is_empty() {
                None
            } else if list_append {
                Some(v.iter().map(|e| format!("{e} ")).collect())
            } else {
                Some(format!("v{}", v[v.len() - 1]))
            };
            Operation::ok(
                process as u64,
                Call::Read { key },
                invoke,
                complete,
                Ret::Read(ret),
            )
        } else if list_append {
            state[k].push(n);
            Operation::ok(
                process as u64,
                Call::Append {
                    key,
                    value: format!("{n} "),
                },
                invoke,
                complete,
                Ret::Done,
            )
        } else {
            state[k].push(n);
            Operation::ok(
                process as u64,
                Call::Write {
                    key,
                    value: format!("v{n}"),
                },
                invoke,
                complete,
                Ret::Done,
            )
        };
        out.push(op);
    }
    History::new(out)
}

/// The history with one read's result replaced by a value no write produced.
fn corrupted(mut h: History, pick: u64) -> History {
    let reads: Vec<usize> = h
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.outcome.ret(), Some(Ret::Read(_))))
        .map(|(i, _)| i)
        .collect();
    if let Some(&i) = reads.get(pick as usize % reads.len().max(1))
        && let Outcome::Ok { ret, .. } = &mut h.ops[i].outcome
    {
        *ret = Ret::Read(Some("424242 ".into()));
    }
    h
}

fn verdict<M: Model<Call = Call, Ret = Ret>>(model: &M, h: &History) -> Verdict {
    check(model, h, &CheckOptions::every_partition())
        .expect("checkable")
        .verdict
}

/// The verdicts of `h` through the JSON form and through the history.edn form.
fn both_forms<M: Model<Call = Call, Ret = Ret>>(
    model: &M,
    h: &History,
    dialect: EdnDialect,
) -> (Verdict, Verdict) {
    let json = read_json(&write_jsonl(h)).expect("json reads back");
    let edn_text = write_jepsen_edn(h, dialect).expect("writable");
    let edn = read_jepsen_edn(&edn_text).expect("history.edn reads back");
    assert_eq!(edn.len(), h.len());
    (verdict(model, &json), verdict(model, &edn))
}

#[test]
fn a_generated_history_edn_checks_like_its_json_form() {
    for seed in 0..20 {
        for corrupt in [false, true] {
            let h = sequential(false, 60, 3, seed);
            let h = if corrupt { corrupted(h, seed) } else { h };
            let (json, edn) = both_forms(&Register, &h, EdnDialect::Register);
            assert_eq!(json, edn, "register seed {seed} corrupt {corrupt}");
            assert_eq!(
                json,
                if corrupt {
                    Verdict::Illegal
                } else {
                    Verdict::Ok
                }
            );

            let h = sequential(true, 60, 3, seed);
            let h = if corrupt { corrupted(h, seed) } else { h };
            let (json, edn) = both_forms(&AppendKv, &h, EdnDialect::ListAppend);
            assert_eq!(json, edn, "list-append seed {seed} corrupt {corrupt}");
            assert_eq!(
                json,
                if corrupt {
                    Verdict::Illegal
                } else {
                    Verdict::Ok
                }
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The library's own cas-register histories (fail and info outcomes, cas that did not
    /// apply, processes that crash and come back as new ones) keep their verdict too.
    #[test]
    fn cas_register_histories_round_trip_through_history_edn(seed in any::<u64>(), corrupt in any::<bool>()) {
        let mut spec = GenSpec::new(GenModel::CasRegister, 80, 4, 2, seed);
        spec.fail_percent = 5;
        spec.info_percent = 5;
        let h = generate(&spec);
        let h = if corrupt { corrupted(h, seed) } else { h };
        let (json, edn) = both_forms(&CasRegister, &h, EdnDialect::Register);
        prop_assert_eq!(json, edn);
        if corrupt {
            prop_assert_eq!(json, Verdict::Illegal);
        }
    }
}

#[test]
fn what_jepsen_cannot_say_is_refused_by_the_writer() {
    let h = History::new(vec![Operation::ok(
        0,
        Call::Delete { key: None },
        1,
        2,
        Ret::Done,
    )]);
    assert!(write_jepsen_edn(&h, EdnDialect::Register).is_err());
    let append = History::new(vec![Operation::ok(
        0,
        Call::Append {
            key: Some("a".into()),
            value: "1 ".into(),
        },
        1,
        2,
        Ret::Done,
    )]);
    assert!(write_jepsen_edn(&append, EdnDialect::Register).is_err());
    assert!(write_jepsen_edn(&append, EdnDialect::ListAppend).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the bytes, the Jepsen readers answer with a history or a typed error naming a
    /// line of the input, never a panic.
    #[test]
    fn any_input_is_a_history_or_an_error_naming_a_line(
        text in "[{}\\[\\]():#_;\"\\\\a-z0-9 ,.\\n\\t-]{0,200}",
        cut in 0usize..400,
        noise in "[{}\\[\\]:\" 0-9a-z]{0,6}",
    ) {
        let lines = text.lines().count().max(1);
        for result in [read_jepsen_edn(&text), read_jepsen_log(&text)] {
            if let Err(e) = result {
                prop_assert!(e.line() >= 1 && e.line() <= lines + 1, "{e}");
            }
        }
        // A valid history cut short or with noise spliced in.
        let mut edn = EDN.to_string();
        let at = (cut % edn.len()).min(edn.len());
        let at = (0..=at).rev().find(|&i| edn.is_char_boundary(i)).unwrap_or(0);
        edn.insert_str(at, &noise);
        if let Err(e) = read_jepsen_edn(&edn) {
            prop_assert!(e.line() >= 1 && e.line() <= edn.lines().count() + 1, "{e}");
        }
        if let Err(e) = read_jepsen_edn(&EDN[..at]) {
            prop_assert!(e.line() >= 1, "{e}");
        }
    }
}
