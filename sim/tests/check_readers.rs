//! The history readers: Porcupine's EDN key-value lines, Jepsen's `jepsen.util` log lines and
//! the project's JSON format — what each produces, and that malformed input is a typed error
//! naming the line, never a panic.

use faultline_sim::check::models::CasRegister;
use faultline_sim::check::read::{
    Format, ReadError, read_edn_kv, read_jepsen_log, read_json, write_jsonl,
};
use faultline_sim::check::{CheckOptions, Verdict, check};
use faultline_sim::history::{Call, History, HistoryError, Operation, Outcome, Ret};

const EDN: &str = r#"{:process 0, :type :invoke, :f :put, :key "1", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "1", :value nil}

{:process 0, :type :ok, :f :put, :key "1", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "1", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :append, :key "2", :value "x 1 1 y"}
"#;

#[test]
fn edn_kv_pairs_invokes_with_completions_using_line_numbers_as_times() {
    let history = read_edn_kv(EDN).expect("valid");
    let key = Some("1".to_string());
    assert_eq!(
        history.ops,
        vec![
            Operation::ok(
                0,
                Call::Write {
                    key: key.clone(),
                    value: "x 0 0 y".into()
                },
                1,
                4,
                Ret::Done
            ),
            Operation::ok(
                1,
                Call::Read { key },
                2,
                5,
                Ret::Read(Some("x 0 0 y".into()))
            ),
            // Still open at the end: unknown outcome.
            Operation::info(
                1,
                Call::Append {
                    key: Some("2".into()),
                    value: "x 1 1 y".into()
                },
                6,
                None
            ),
        ]
    );
}

#[test]
fn edn_kv_errors_name_the_line() {
    let cases = [
        (
            "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process x}",
            2,
        ),
        (
            "{:process 0, :type :invoke, :f :frobnicate, :key \"1\", :value nil}",
            1,
        ),
        (
            "{:process 0, :type :invoke, :f :put, :key \"1\", :value nil}",
            1,
        ),
        (
            "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil",
            1,
        ),
        (
            "\n\n{:process 0, :type :ok, :f :get, :key \"1\", :value nil}",
            3,
        ),
        (
            "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process 0, :type :ok, :f :put, :key \"1\", :value \"a\"}",
            2,
        ),
        (
            "{:process 0, :type :invoke, :f :get, :key \"1\", :value \"unterminated}",
            1,
        ),
    ];
    for (text, line) in cases {
        let err = read_edn_kv(text).expect_err(text);
        assert_eq!(err.line(), line, "{err}");
        assert!(
            err.to_string().starts_with(&format!("line {line}: ")),
            "{err}"
        );
    }
    let err = read_edn_kv("{:process 0, :type :ok, :f :get, :key \"1\", :value nil}").unwrap_err();
    assert_eq!(
        err,
        ReadError::History {
            line: 1,
            error: HistoryError::NotOpen { process: 0, at: 1 }
        }
    );
}

const JEPSEN: &str = "INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t4
INFO  jepsen.util - 1\t:invoke\t:cas\t[4 0]
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t4
INFO  jepsen.util - 1\t:fail\t:cas\t[4 0]
INFO  jepsen.util - 2\t:fail\t:read\t:timed-out
INFO  jepsen.util - 3\t:invoke\t:cas\t[4 1]
INFO  jepsen.util - 3\t:info\t:cas\t:timed-out
INFO  jepsen.util - 4\t:invoke\t:read\tnil
INFO  jepsen.util - 4\t:ok\t:read\t1
";

#[test]
fn jepsen_log_maps_types_and_values() {
    let history = read_jepsen_log(JEPSEN).expect("valid");
    assert_eq!(
        history.ops,
        vec![
            Operation::ok(
                0,
                Call::Write {
                    key: None,
                    value: "4".into()
                },
                2,
                5,
                Ret::Done
            ),
            Operation::fail(
                1,
                Call::Cas {
                    key: None,
                    from: "4".into(),
                    to: "0".into()
                },
                3,
                6
            ),
            // A failed read has an unknown result.
            Operation::info(2, Call::Read { key: None }, 4, Some(7)),
            // `:info` leaves the cas open to the end of the history.
            Operation::info(
                3,
                Call::Cas {
                    key: None,
                    from: "4".into(),
                    to: "1".into()
                },
                8,
                None
            ),
            Operation::ok(
                4,
                Call::Read { key: None },
                10,
                11,
                Ret::Read(Some("1".into()))
            ),
        ]
    );
    // The timed-out cas may have applied after it timed out: linearizable.
    let report = check(&CasRegister, &history, &CheckOptions::default()).expect("supported");
    assert_eq!(report.verdict, Verdict::Ok, "{report}");
    // Without it, reading 1 is impossible.
    let without: History = history
        .ops
        .iter()
        .filter(|o| o.process != 3)
        .cloned()
        .collect();
    let report = check(&CasRegister, &without, &CheckOptions::default()).expect("supported");
    assert_eq!(report.verdict, Verdict::Illegal, "{report}");
}

#[test]
fn jepsen_log_errors_name_the_line() {
    let cases = [
        ("INFO  jepsen.util - x\t:invoke\t:read\tnil", 1),
        ("junk\nINFO  jepsen.util - 1\t:invoke\t:cas\t[4]", 2),
        ("INFO  jepsen.util - 1\t:invoke\t:frob\t1", 1),
        ("INFO  jepsen.util - 1\t:begin\t:read\tnil", 1),
        ("INFO  jepsen.util - 1", 1),
        ("INFO  jepsen.util - 1\t:invoke\t:write\tnil", 1),
    ];
    for (text, line) in cases {
        let err = read_jepsen_log(text).expect_err(text);
        assert_eq!(err.line(), line, "{err}");
    }
    let err = read_jepsen_log(
        "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:read\tnil",
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::History {
                line: 2,
                error: HistoryError::AlreadyOpen { .. }
            }
        ),
        "{err}"
    );
}

#[test]
fn json_lines_round_trip_and_arrays_are_accepted() {
    let history = History::new(vec![
        Operation::ok(
            0,
            Call::Write {
                key: Some("a".into()),
                value: "1".into(),
            },
            0,
            3,
            Ret::Done,
        ),
        Operation::ok(
            1,
            Call::Read {
                key: Some("a".into()),
            },
            1,
            4,
            Ret::Read(None),
        ),
        Operation::ok(
            2,
            Call::Cas {
                key: None,
                from: "1".into(),
                to: "2".into(),
            },
            2,
            5,
            Ret::Cas(false),
        ),
        Operation::fail(3, Call::Delete { key: None }, 2, 5),
        Operation::info(
            4,
            Call::Append {
                key: None,
                value: "x".into(),
            },
            6,
            None,
        ),
        Operation::info(
            5,
            Call::Write {
                key: None,
                value: "y".into(),
            },
            7,
            Some(9),
        ),
    ]);
    let text = write_jsonl(&history);
    assert_eq!(text.lines().count(), 6);
    assert_eq!(read_json(&text).expect("round trip"), history);
    let array = format!("[{}]", text.trim_end().replace('\n', ",\n"));
    assert_eq!(read_json(&array).expect("array"), history);
    assert_eq!(
        text.lines().next().unwrap_or_default(),
        r#"{"process":0,"call":{"f":"write","key":"a","value":"1"},"invoke":0,"outcome":{"type":"ok","complete":3,"ret":"done"}}"#
    );
}

#[test]
fn json_errors_name_the_line() {
    let good = r#"{"process":0,"call":{"f":"read"},"invoke":0,"outcome":{"type":"info"}}"#;
    let bad = r#"{"process":0,"call":{"f":"jump"},"invoke":0,"outcome":{"type":"info"}}"#;
    let err = read_json(&format!("{good}\n\n{bad}\n")).unwrap_err();
    assert!(matches!(err, ReadError::Json { line: 3, .. }), "{err}");
    let err = read_json(&format!("[{good},\n{{\"process\": -1}}]")).unwrap_err();
    assert_eq!(err.line(), 2);
}

#[test]
fn formats_parse_by_name() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    assert!("yaml".parse::<Format>().is_err());
    assert!(matches!(
        Format::Json.read("nope"),
        Err(ReadError::Json { line: 1, .. })
    ));
    let ok = Outcome::<Ret>::Info { complete: None };
    assert_eq!(ok.complete(), None);
}
