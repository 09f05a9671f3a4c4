//! `faultline check` on many files: one line per file (verdict, operations, time), unreadable
//! files reported with their file and line while the others are still checked (exit 2 at the
//! end), `--json` as one machine-readable summary, Jepsen's formats, and `--html` pages.

use std::path::Path;
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_faultline");

const GOOD_LOG: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t4
INFO  jepsen.util - 0\t:ok\t:write\t4
INFO  jepsen.util - 1\t:invoke\t:cas\t[4 0]
INFO  jepsen.util - 1\t:ok\t:cas\t[4 0]
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 2\t:ok\t:read\t0
";

/// Reads 4 after the cas to 0 completed: not linearizable.
const ILLEGAL_EDN: &str = "{:index 0, :time 1000, :type :invoke, :process 0, :f :write, :value 4}
{:index 1, :time 2000, :type :ok, :process 0, :f :write, :value 4}
{:index 2, :time 3000, :type :invoke, :process 1, :f :cas, :value [4 0]}
{:index 3, :time 4000, :type :ok, :process 1, :f :cas, :value [4 0]}
{:index 4, :time 5000, :type :invoke, :process 2, :f :read, :value nil}
{:index 5, :time 6000, :type :ok, :process 2, :f :read, :value 4}
";

fn faultline(args: &[&str], files: &[&Path]) -> Output {
    Command::new(EXE).args(args).args(files).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_file_gets_its_line_and_unreadable_ones_do_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.log");
    let spaces = dir.path().join("spaces.log");
    let bad = dir.path().join("bad.log");
    let missing = dir.path().join("missing.log");
    std::fs::write(&good, GOOD_LOG).unwrap();
    std::fs::write(&spaces, GOOD_LOG.replace('\t', "  ")).unwrap();
    std::fs::write(
        &bad,
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:frob\t1\n",
    )
    .unwrap();
    let files = [&bad, &good, &missing, &spaces].map(|p| p.as_path());
    let args = ["check", "--model", "cas-register", "--format", "jepsen-log"];
    let out = faultline(&args, &files);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines[0].contains("bad.log") && lines[0].contains("line 2"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("good.log: ok in") && lines[1].contains("(3 ops"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("missing.log") && lines[2].contains("cannot read"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("spaces.log: ok in"), "{}", lines[3]);
    assert_eq!(
        lines[4],
        "4 files: 2 ok, 0 illegal, 0 unknown, 2 unreadable, 0 unchecked"
    );
    assert!(text(&out.stderr).contains("2 of 4 file(s) could not be read or checked"));
    assert!(!text(&out.stderr).contains("panicked"));

    let json = faultline(&[&args[..], &["--json"]].concat(), &files);
    assert_eq!(json.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON document");
    let statuses: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unreadable", "ok", "unreadable", "ok"]);
    assert_eq!(v["files"][0]["line"], 2);
    assert_eq!(v["files"][1]["ops"], 3);
    assert!(v["files"][1]["millis"].as_f64().is_some());
    assert_eq!(v["totals"]["unreadable"], 2);
}

#[test]
fn history_edn_is_checked_and_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let edn = dir.path().join("history.edn");
    std::fs::write(&edn, ILLEGAL_EDN).unwrap();
    let page = dir.path().join("out.html");
    let out = faultline(
        &[
            "check",
            "--model",
            "cas-register",
            "--format",
            "jepsen-edn",
            "--details",
            "--html",
            page.to_str().unwrap(),
        ],
        &[&edn],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .contains("history.edn: illegal in"),
        "{stdout}"
    );
    assert!(
        stdout.contains("could not be placed next"),
        "--details shows the counterexample"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"faultline-data\""));
    assert!(
        html.contains("\"unit\":\"ms\""),
        ":time clocks are ns, drawn as ms"
    );
    assert!(html.contains("\"prefix\":["));

    // Several files with --html: a directory of pages, one per file.
    let again = dir.path().join("again.edn");
    std::fs::write(
        &again,
        ILLEGAL_EDN.replace(":value 4}\n{:index 2", ":value 0}\n{:index 2"),
    )
    .unwrap();
    let pages = dir.path().join("pages");
    let out = faultline(
        &[
            "check",
            "--model",
            "cas-register",
            "--format",
            "jepsen-edn",
            "--html",
            pages.to_str().unwrap(),
        ],
        &[&edn, &again],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(pages.join("history.edn.html").is_file());
    assert!(pages.join("again.edn.html").is_file());
}

#[test]
fn an_unsupported_operation_names_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let edn = dir.path().join("txn.edn");
    std::fs::write(
        &edn,
        "{:type :invoke, :process 0, :f :txn, :value [[:append 1 1]]}\n\
         {:type :invoke, :process 1, :f :txn, :value [[:append 1 2] [:r 1 nil]]}\n",
    )
    .unwrap();
    let out = faultline(
        &["check", "--model", "append-kv", "--format", "jepsen-edn"],
        &[&edn],
    );
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("txn.edn") && stdout.contains("line 2") && stdout.contains("2 micro-ops"),
        "{stdout}"
    );
}
