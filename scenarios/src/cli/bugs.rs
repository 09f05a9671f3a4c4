//! `faultline bugs`: the planted-bug matrix. For each planted bug × scenario it runs up to
//! `--seeds` seeds, stops at the first failure by one of the properties the bug declares, and
//! prints seeds to first detection, the property that caught it and the repro line; a
//! detection counts only if the same seeds pass with no bug and it replays in a fresh process
//! to the same trace hash. `--no-probes` runs everything with the power-failure probes off
//! (what the end-to-end checks catch on their own). Exits 1 if any of the seeds it ran fails
//! with no bug (the healthy build has a bug of its own). Needs a build with
//! `--features planted-bugs`; a normal build says so.

use anyhow::Result;
use clap::Args;

use super::Outcome;

#[derive(Debug, Args)]
pub struct BugsArgs {
    /// A planted bug's name, or `all`.
    #[arg(long, default_value = "all")]
    bug: String,
    /// A scenario name, or `all`.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Seeds per bug × scenario (seeds 1..=N).
    #[arg(long, default_value_t = 50)]
    seeds: u64,
    /// Seeds in flight at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Print the matrix as JSON.
    #[arg(long)]
    json: bool,
    /// Switch the engine and Raft-log power-failure probes off.
    #[arg(long)]
    no_probes: bool,
}

#[cfg(not(feature = "planted-bugs"))]
pub fn run(_args: &BugsArgs) -> Result<Outcome> {
    anyhow::bail!(
        "this build has no planted bugs: rebuild with `--features planted-bugs`, e.g. \
         `cargo run --release -p faultline-scenarios --features planted-bugs --bin faultline -- bugs`"
    )
}

#[cfg(feature = "planted-bugs")]
pub fn run(args: &BugsArgs) -> Result<Outcome> {
    use anyhow::Context;
    use faultline_engine::planted::Bug;
    use faultline_scenarios::bugs::{Cell, Hunter, median_seeds_to_detection};
    use faultline_scenarios::catalog;

    let bugs: Vec<Bug> = if args.bug == "all" {
        Bug::ALL.to_vec()
    } else {
        vec![args.bug.parse::<Bug>().context("--bug")?]
    };
    let scenarios = catalog::select(&args.scenario)?;
    anyhow::ensure!(args.seeds > 0, "--seeds must be at least 1");
    let seeds: Vec<u64> = (1..=args.seeds).collect();
    let exe = std::env::current_exe().context("locating this executable for fresh replays")?;
    let switches = faultline_sim::plan::Switches {
        power_probes: !args.no_probes,
    };
    let hunter = Hunter::new(args.jobs)
        .confirm_with(exe)
        .with_switches(switches);
    let mut cells: Vec<Cell> = Vec::new();
    for &bug in &bugs {
        for &scenario in &scenarios {
            let cell = hunter.hunt(bug, scenario, &seeds);
            if !args.json {
                print_cell(&cell);
            }
            cells.push(cell);
        }
    }
    if args.json {
        let medians: Vec<serde_json::Value> = bugs
            .iter()
            .map(|&b| {
                serde_json::json!({
                    "bug": b,
                    "median_seeds_to_detection": median_seeds_to_detection(&cells, b),
                })
            })
            .collect();
        let out = serde_json::json!({ "seeds": args.seeds, "cells": cells, "bugs": medians });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!();
        if args.no_probes {
            println!("(power-failure probes off)");
        }
        println!("{:<26} {:>8}  caught in (by)", "bug", "median");
        for &bug in &bugs {
            let caught: Vec<String> = cells
                .iter()
                .filter(|c| c.bug == bug && c.caught())
                .filter_map(|c| {
                    let d = c.detection.as_ref()?;
                    Some(format!("{} ({})", c.scenario, d.caught_by.join(",")))
                })
                .collect();
            let median = median_seeds_to_detection(&cells, bug)
                .map_or_else(|| "-".to_string(), |m| m.to_string());
            let list = if caught.is_empty() {
                format!("not caught in {} seeds", args.seeds)
            } else {
                caught.join(", ")
            };
            println!("{:<26} {:>8}  {list}", bug.name(), median);
        }
    }
    let healthy_dirty = cells.iter().any(|c| !c.healthy_failures.is_empty());
    Ok(if healthy_dirty {
        Outcome::Violation
    } else {
        Outcome::Success
    })
}

#[cfg(feature = "planted-bugs")]
fn print_cell(cell: &faultline_scenarios::bugs::Cell) {
    let head = format!("{:<26} {:<22}", cell.bug.name(), cell.scenario);
    match &cell.detection {
        None => println!("{head} not caught in {}", cell.budget),
        Some(d) => println!(
            "{head} caught after {:>4} seeds  by {}  {}",
            d.seeds_to_detection,
            d.caught_by.join(","),
            d.repro
        ),
    }
    for (seed, properties) in &cell.undeclared {
        println!(
            "{:49} (seed {seed} failed only by properties the bug does not declare: {})",
            "",
            properties.join(",")
        );
    }
    if !cell.unconfirmed.is_empty() {
        println!(
            "{:49} (failed in-process but not the same in a fresh process: seeds {:?})",
            "", cell.unconfirmed
        );
    }
    // Seeds that fail without the bug are no evidence for it; they are bugs of the healthy
    // build and are shown so they get fixed.
    for h in &cell.healthy_failures {
        println!(
            "{:49} (seed {} fails with no bug too: {})",
            "", h.seed, h.reason
        );
    }
}
