//! Checker benchmark: the Porcupine key-value histories and generated histories of 1 000,
//! 10 000 and 100 000 operations (10 and 1 000 keys, 5 and 50 processes) for each built-in
//! model. Prints one table row per case: verdict, wall time, and memory.
//!
//! `time` is wall time (best of three, one run for 100 000 operations), `cpu` the process's CPU
//! time over the same run (all checker threads, 10 ms resolution). Memory is measured two ways: `memo peak` is the checker's own accounting of its largest
//! memo table (entries, keys and states; the table's slots counted from its capacity); `RSS
//! high-water` is the process's peak resident set (`VmHWM`) after the case — process-wide and
//! monotonic, so it only says something when it grows. A counting global allocator would be
//! more precise but needs `unsafe`, which the workspace forbids.
//!
//! Run: `cargo bench -p faultline-sim --bench checker` (release). `CHECKER_BENCH_QUICK=1` skips
//! the 100 000-operation cases.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use faultline_sim::check::generate::{GenModel, GenSpec, generate};
use faultline_sim::check::models::{AppendKv, CasRegister, Register};
use faultline_sim::check::read::read_edn_kv;
use faultline_sim::check::{CheckOptions, Model, Report, check};
use faultline_sim::history::{Call, History, Ret};

fn main() {
    let quick = std::env::var_os("CHECKER_BENCH_QUICK").is_some();
    println!(
        "| case | ops | keys | procs | mode | verdict | decided | time | cpu | memo peak | RSS high-water |"
    );
    println!("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|");
    for name in [
        "c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad",
    ] {
        let history = porcupine(name);
        for options in [
            CheckOptions::first_failure(),
            CheckOptions::every_partition(),
        ] {
            row(
                &format!("porcupine {name}"),
                "",
                &AppendKv,
                &history,
                &options,
            );
        }
    }
    let sizes: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for (model, label) in [
        (GenModel::AppendKv, "append-kv"),
        (GenModel::Register, "register"),
        (GenModel::CasRegister, "cas-register"),
    ] {
        for &ops in sizes {
            for keys in [10, 1_000] {
                for processes in [5, 50] {
                    let history = generate(&GenSpec::new(model, ops, processes, keys, 7));
                    let procs = processes.to_string();
                    let options = CheckOptions::every_partition();
                    let case = format!("generated {label}");
                    match model {
                        GenModel::AppendKv => row(&case, &procs, &AppendKv, &history, &options),
                        GenModel::Register => row(&case, &procs, &Register, &history, &options),
                        GenModel::CasRegister => {
                            row(&case, &procs, &CasRegister, &history, &options)
                        }
                    }
                }
            }
        }
    }
}

fn porcupine(name: &str) -> History {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "porcupine",
        &format!("{name}.txt"),
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    read_edn_kv(&text).unwrap_or_else(|e| panic!("parsing {name}: {e}"))
}

fn row<M: Model<Call = Call, Ret = Ret>>(
    case: &str,
    procs: &str,
    model: &M,
    history: &History,
    options: &CheckOptions,
) {
    // Best of three runs (one for the largest), so a scheduling hiccup does not show.
    let runs = if history.len() >= 100_000 { 1 } else { 3 };
    let mut best = Duration::MAX;
    let mut cpu = Duration::MAX;
    let mut report: Option<Report> = None;
    for _ in 0..runs {
        let cpu_before = cpu_time();
        // A benchmark measures real elapsed time; it never runs inside a simulation.
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let r =
            check(model, history, options).expect("generated and test histories are well-formed");
        best = best.min(start.elapsed());
        if let (Some(before), Some(after)) = (cpu_before, cpu_time()) {
            cpu = cpu.min(after.saturating_sub(before));
        }
        report = Some(r);
    }
    let report = report.expect("at least one run");
    let mode = if options.mode == faultline_sim::check::Mode::FirstFailure {
        "first-failure"
    } else {
        "every key"
    };
    let procs = if procs.is_empty() {
        history
            .ops
            .iter()
            .map(|o| o.process)
            .max()
            .map_or(0, |p| p + 1)
            .to_string()
    } else {
        procs.to_string()
    };
    println!(
        "| {case} | {} | {} | {procs} | {mode} | {} | {}/{} | {} | {} | {} | {} |",
        history.len(),
        report.partitions.len(),
        report.verdict,
        report.decided(),
        report.partitions.len(),
        fmt_time(best),
        if cpu == Duration::MAX {
            "n/a".to_string()
        } else {
            fmt_time(cpu)
        },
        fmt_bytes(report.stats().memo_bytes),
        rss_high_water().map_or("n/a".to_string(), |kb| fmt_bytes(kb * 1024)),
    );
}

fn fmt_time(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn fmt_bytes(b: u64) -> String {
    match b {
        0..1024 => format!("{b} B"),
        1024..1_048_576 => format!("{:.1} KiB", b as f64 / 1024.0),
        _ => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}

/// CPU time used by the process so far (user + system, all threads), from `/proc/self/stat`
/// (Linux only; clock-tick resolution, usually 10 ms). Printed next to wall time because the
/// benchmark machine may be shared: wall time then includes waiting for a core.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The process's peak resident set in KiB, from `/proc/self/status` (Linux only).
fn rss_high_water() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
