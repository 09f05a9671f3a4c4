//! The seed watchdog end to end (a `harness-plants` build): a seed that hangs (a task that
//! keeps re-waking itself), whose checker panics, whose process aborts (`--isolate`), that eats
//! memory, or that blocks its thread in synchronous code, each becomes a finding with its repro
//! line, and the campaign finishes with its summary and a non-zero exit. Also: the repro line
//! reproduces the finding, and shards of a run merge into the unsharded run.

#![cfg(feature = "harness-plants")]

use std::path::Path;
use std::process::Command;

use faultline_scenarios::summary::Summary;
use faultline_sim::run::Status;

const EXE: &str = env!("CARGO_BIN_EXE_faultline");

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn faultline(args: &[&str]) -> Outcome {
    let o = Command::new(EXE)
        .args(args)
        .output()
        .expect("faultline runs");
    Outcome {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `faultline run --scenario partition` over `seeds` with `extra` flags and a JSON summary.
fn campaign(seeds: &str, extra: &[&str]) -> (Outcome, Summary) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let mut args = vec![
        "run",
        "--scenario",
        "partition",
        "--seeds",
        seeds,
        "--json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = faultline(&args);
    let summary = Summary::read(&json)
        .unwrap_or_else(|e| panic!("{e}\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr));
    (out, summary)
}

/// The campaign finished: exit 1, the table, one finding of `property` for seed `seed` with
/// its repro line, and every other seed passed.
fn assert_one_finding(out: &Outcome, summary: &Summary, seed: u64, plant: &str, property: &str) {
    let context = format!(
        "stdout:\n{}\nstderr tail:\n{}",
        out.stdout,
        tail(&out.stderr)
    );
    assert_eq!(out.code, Some(1), "{context}");
    assert!(out.stdout.contains("sim-s/wall-s"), "{context}");
    assert_eq!(summary.status, Status::Fail);
    let row = &summary.scenarios[0];
    assert_eq!((row.fail, row.pass + row.fail), (1, row.seeds), "{context}");
    let [f] = summary.findings.as_slice() else {
        panic!("expected one finding: {:?}\n{context}", summary.findings);
    };
    assert_eq!(f.seed, seed);
    assert_eq!(f.properties, vec![property.to_string()], "{context}");
    let repro = format!("faultline repro --scenario partition --seed {seed} --plant {plant}");
    assert_eq!(f.repro, repro);
    assert!(
        out.stdout
            .contains(&format!("fail     {repro}  # {property}")),
        "{context}"
    );
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(2000)..]
}

#[test]
fn a_planted_hang_is_a_hang_finding_and_the_campaign_finishes() {
    let (out, summary) = campaign(
        "2",
        // Generous for the healthy seed: the test binaries run side by side on few cores.
        &["--jobs", "2", "--plant", "hang@2", "--seed-timeout", "20s"],
    );
    assert_one_finding(&out, &summary, 2, "hang", "hang");
    assert!(summary.findings[0].reason.contains("wall-clock limit"));
    // Stopped through the simulation, not abandoned.
    assert_eq!(summary.abandoned, 0);
}

#[test]
fn a_planted_checker_panic_is_a_harness_panic_finding() {
    let (out, summary) = campaign("2", &["--jobs", "2", "--plant", "checker-panic@1"]);
    assert_one_finding(&out, &summary, 1, "checker-panic", "harness-panic");
    assert!(summary.findings[0].reason.contains("a checker panicked"));
}

#[test]
fn a_planted_abort_is_an_abort_finding_with_isolate() {
    let (out, summary) = campaign("2", &["--jobs", "2", "--isolate", "--plant", "abort@2"]);
    assert_one_finding(&out, &summary, 2, "abort", "abort");
    assert!(
        summary.findings[0].reason.contains("signal"),
        "{:?}",
        summary.findings
    );
}

#[test]
fn a_planted_memory_hog_is_an_oom_finding_in_process_and_isolated() {
    let (out, summary) = campaign(
        "1..=2",
        &[
            "--jobs",
            "1",
            "--plant",
            "oom@1",
            "--memory-limit",
            "256MiB",
        ],
    );
    assert_one_finding(&out, &summary, 1, "oom", "oom");
    let (out, summary) = campaign(
        "1..=2",
        &[
            "--jobs",
            "1",
            "--isolate",
            "--plant",
            "oom@1",
            "--memory-limit",
            "256MiB",
        ],
    );
    assert_one_finding(&out, &summary, 1, "oom", "oom");
    assert!(
        summary.findings[0].reason.contains("killed"),
        "{:?}",
        summary.findings
    );
}

#[test]
fn a_seed_stuck_outside_any_await_is_abandoned_and_the_campaign_goes_on() {
    let (out, summary) = campaign(
        "2",
        &[
            "--jobs",
            "1",
            "--plant",
            "stuck@1",
            "--seed-timeout",
            "20s",
            "--stop-grace",
            "1s",
        ],
    );
    assert_one_finding(&out, &summary, 1, "stuck", "hang");
    assert_eq!(summary.abandoned, 1);
    assert!(summary.findings[0].reason.contains("abandoned"));
    assert!(out.stdout.contains("were abandoned"), "{}", out.stdout);
}

#[test]
fn the_repro_line_of_a_hang_reproduces_it_under_the_watchdog() {
    let reports = tempfile::tempdir().unwrap();
    let out = faultline(&[
        "repro",
        "--scenario",
        "partition",
        "--seed",
        "2",
        "--plant",
        "hang",
        "--seed-timeout",
        "3s",
        "--reports",
        reports.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, tail(&out.stderr));
    assert!(
        out.stdout.contains("violation hang: wall-clock limit"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("faultline repro --scenario partition --seed 2 --plant hang"),
        "{}",
        out.stdout
    );
}

/// The union of the shards is the unsharded run: the same counts, simulated time and findings.
#[test]
fn shards_of_a_run_merge_into_the_unsharded_run() {
    let plants = ["--plant", "checker-panic@2", "--jobs", "2"];
    let (_, whole) = campaign("4", &plants);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for shard in ["0/3", "1/3", "2/3"] {
        let (_, part) = campaign("4", &[&plants[..], &["--shard", shard]].concat());
        let file = dir.path().join(format!("{}.json", shard.replace('/', "-")));
        part.write(&file).unwrap();
        files.push(file);
    }
    let args: Vec<&str> = std::iter::once("merge")
        .chain(files.iter().map(|f| f.to_str().unwrap()))
        .chain(["--json", "-"])
        .collect();
    let out = faultline(&args);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let merged: Summary = serde_json::from_str(&out.stdout).unwrap();
    let counts = |s: &Summary| {
        s.scenarios
            .iter()
            .map(|r| {
                (
                    r.scenario.clone(),
                    r.seeds,
                    r.pass,
                    r.fail,
                    r.unknown,
                    r.vacuous,
                    r.sim,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&merged), counts(&whole));
    assert_eq!(merged.findings, whole.findings);
    assert_eq!(merged.status, whole.status);
    assert_eq!(merged.shard, "0/3,1/3,2/3");
    // A missing shard is an error unless --partial.
    let out = faultline(&["merge", files[0].to_str().unwrap()]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("shards missing: 1/3, 2/3"),
        "{}",
        out.stderr
    );
    assert!(Path::new(&files[1]).exists());
}

/// A fuzz campaign stopped by SIGTERM finishes the seeds in flight, records every confirmed
/// failure in the corpus as valid entries, and still writes its summary.
#[cfg(unix)]
#[test]
fn fuzz_stopped_by_sigterm_keeps_every_finding_and_writes_its_summary() {
    use faultline_scenarios::regressions::Corpus;

    let dir = tempfile::tempdir().unwrap();
    let (corpus, json) = (dir.path().join("corpus"), dir.path().join("summary.json"));
    let child = Command::new(EXE)
        .args([
            "fuzz",
            "--duration",
            "5m",
            "--seed-base",
            "100",
            "--jobs",
            "1",
            "--scenario",
            "partition",
            "--plant",
            "checker-panic",
            "--corpus",
            corpus.to_str().unwrap(),
            "--reports",
            dir.path().join("reports").to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(8));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("seed base 100"), "{stdout}");
    let summary = Summary::read(&json).unwrap();
    assert!(summary.interrupted);
    assert!(!summary.findings.is_empty(), "{stdout}");
    let entries = Corpus::new(&corpus).load_all().unwrap();
    for f in &summary.findings {
        assert_eq!(f.confirmed, Some(true), "{f:?}");
        let recorded = f.corpus.as_deref().expect("recorded");
        assert!(
            entries
                .iter()
                .any(|(p, e)| p == Path::new(recorded) && e.seed == f.seed),
            "{recorded} is not a valid entry"
        );
    }
    assert_eq!(entries.len(), summary.findings.len());
}
