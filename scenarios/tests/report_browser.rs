//! The HTML report in a real browser: the report of a real failing seed (the planted
//! `ack-before-commit` bug on `partition`) and the `check --html` page of a foreign history
//! are opened in headless Chromium, and the DOM it built must hold the lanes, the fault
//! windows and the highlighted counterexample, with no JavaScript error.
//!
//! Needs a Chromium (`chromium`, `chromium-browser`, `google-chrome`, or the path in
//! `FAULTLINE_CHROMIUM`). Without one the tests pass with a note on stderr, unless
//! `FAULTLINE_REQUIRE_CHROMIUM` is set (CI sets it after installing chromium), when they fail.
//! `./scripts/test` skips them, saying so, when no browser is installed.

#![cfg(feature = "planted-bugs")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use faultline_engine::planted::Bug;
use faultline_scenarios::bugs::plan_with_bug;
use faultline_scenarios::catalog;
use faultline_sim::check::models::Register;
use faultline_sim::check::violation::Property;
use faultline_sim::check::{CheckOptions, check};
use faultline_sim::history::{Call, History, Operation, Ret};
use faultline_sim::html::{self, TimeUnit, View};
use faultline_sim::run::{run_plan, write_report};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FAULTLINE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The browser, or `None` (with a note) when the test is to be skipped.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("FAULTLINE_REQUIRE_CHROMIUM").is_none(),
            "FAULTLINE_REQUIRE_CHROMIUM is set but no chromium was found"
        );
        eprintln!(
            "{test}: SKIPPED, no chromium found (apt-get install chromium, or set FAULTLINE_CHROMIUM)"
        );
    }
    found
}

/// Runs headless Chromium on `page` with `extra` arguments; returns stdout and stderr.
fn headless(browser: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    // Output goes to files: a page's DOM is larger than a pipe holds while we wait.
    let stdout_path = profile.path().join("stdout");
    let stderr_path = profile.path().join("stderr");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("chromium starts");
    // A browser that hangs must not hang the test suite (wall-clock time: the browser is a
    // real process, outside any simulation).
    #[allow(clippy::disallowed_methods)]
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        #[allow(clippy::disallowed_methods)]
        let late = Instant::now() > deadline;
        if late {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    (read(&stdout_path), read(&stderr_path))
}

fn count(dom: &str, needle: &str) -> usize {
    dom.matches(needle).count()
}

/// What every rendered page must show: drawn, and no JavaScript error anywhere.
fn assert_rendered_cleanly(dom: &str, log: &str) {
    let body_at = dom.find("<body").expect("a body");
    let body_tag = &dom[body_at..body_at + dom[body_at..].find('>').unwrap()];
    assert!(
        body_tag.contains("data-rendered=\"ok\""),
        "the page did not finish drawing ({body_tag}): {}",
        &dom[..dom.len().min(2000)]
    );
    let errors_start = dom.find("id=\"errors\"").expect("the errors element");
    let errors = &dom[errors_start..];
    let body = &errors[errors.find('>').unwrap() + 1..errors.find("</pre>").unwrap()];
    assert!(body.trim().is_empty(), "JavaScript errors: {body}");
    for line in log.lines() {
        assert!(
            !(line.contains("CONSOLE") && (line.contains("Uncaught") || line.contains("Error"))),
            "the console reported: {line}"
        );
    }
}

#[test]
fn the_report_of_a_failing_seed_renders_in_chromium() {
    let Some(browser) = browser_or_skip("the_report_of_a_failing_seed_renders_in_chromium") else {
        return;
    };
    let scenario = catalog::find("partition").unwrap();
    let result = (1..=10)
        .map(|seed| {
            run_plan(
                &plan_with_bug(
                    scenario,
                    seed,
                    Some(Bug::AckBeforeCommit),
                    Default::default(),
                )
                .unwrap(),
            )
        })
        .find(|r| r.verdict.properties().contains(&Property::Linearizability))
        .expect("ack-before-commit fails a partition seed within 10");
    let reports = tempfile::tempdir().unwrap();
    let dir = write_report(reports.path(), &result).unwrap();
    let page = dir.join("index.html");
    let (dom, log) = headless(&browser, &page, &["--dump-dom"]);
    assert_rendered_cleanly(&dom, &log);

    let processes = result
        .history
        .iter()
        .map(|e| e.process)
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(count(&dom, "class=\"lane-client\""), processes.len());
    assert_eq!(
        count(&dom, "class=\"lane-node\""),
        result.plan.cluster.nodes
    );
    assert_eq!(count(&dom, "class=\"lane-leader\""), 1);
    assert!(
        count(&dom, "class=\"fault-window fam-partition\"") >= 1,
        "no fault window drawn"
    );
    // The first counterexample: its prefix outlined, the operations that cannot follow it red.
    let cex = result
        .verdict
        .violations
        .iter()
        .find(|v| v.property == Property::Linearizability)
        .unwrap();
    assert_eq!(count(&dom, " prefix\""), cex.prefix.len());
    let stuck = count(&dom, " stuck\"");
    assert_eq!(stuck, cex.ops.len(), "stuck operations highlighted");
    assert!(count(&dom, "class=\"prefix-order\"") <= cex.prefix.len());
    assert!(
        count(&dom, "class=\"node-span up role-leader\"") >= 1,
        "a leader span"
    );

    // A screenshot comes out too (what the README shows).
    let shot = reports.path().join("report.png");
    let (_, log) = headless(
        &browser,
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot ({e}): {log}"));
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}

#[test]
fn a_checked_foreign_history_renders_in_chromium() {
    let Some(browser) = browser_or_skip("a_checked_foreign_history_renders_in_chromium") else {
        return;
    };
    // A read sees a value after a later write replaced it: not linearizable.
    let w = |v: &str| Call::Write {
        key: None,
        value: v.into(),
    };
    let history = History::new(vec![
        Operation::ok(0, w("1"), 1, 2, Ret::Done),
        Operation::ok(1, w("2"), 3, 4, Ret::Done),
        Operation::ok(
            2,
            Call::Read { key: None },
            5,
            6,
            Ret::Read(Some("1".into())),
        ),
        Operation::info(3, w("3"), 5, None),
    ]);
    let report = check(&Register, &history, &CheckOptions::every_partition()).unwrap();
    let view = View::from_history("a foreign history", &history, TimeUnit::Line, Some(&report));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("history.html");
    std::fs::write(&page, html::render(&view)).unwrap();
    let (dom, log) = headless(&browser, &page, &["--dump-dom"]);
    assert_rendered_cleanly(&dom, &log);
    assert_eq!(count(&dom, "class=\"lane-client\""), 4);
    assert_eq!(count(&dom, "class=\"lane-node\""), 0);
    assert_eq!(count(&dom, "class=\"op ok stuck\""), 1);
    assert!(count(&dom, " prefix\"") >= 2);
    assert_eq!(
        count(&dom, "class=\"op info open"),
        1,
        "the open info write is drawn"
    );

    // The check can fire: a page whose script fails says so in its DOM.
    let broken = html::render(&view).replacen("    stick();\n", "    stikc();\n", 1);
    assert!(broken.contains("stikc"));
    let page = dir.path().join("broken.html");
    std::fs::write(&page, broken).unwrap();
    let (dom, _) = headless(&browser, &page, &["--dump-dom"]);
    let body_at = dom.find("<body").unwrap();
    assert!(
        dom[body_at..].starts_with("<body data-rendered=\"error\""),
        "{}",
        &dom[body_at..body_at + 80]
    );
    assert!(dom.contains("ReferenceError: stikc is not defined"));
}
