//! `faultline bench`: what the harness costs. Measures, in one process and on one job, three
//! sides:
//! - the standard campaign: what `faultline run --scenario all --seeds N --jobs 1` runs,
//!   through the same runner;
//! - the [`system`] reference: faultline's own nodes (engine, WAL, durable log, snapshots, TCP
//!   transport) on simulated disks, under each campaign seed's cluster settings, with no
//!   harness around them;
//! - the [`bare`] reference: the real openraft on madsim with an in-memory log and a no-op
//!   state machine.
//!
//! The sides run in turns, one scenario at a time: the campaign's seeds of a scenario, then the
//! system reference's, then the bare reference's, then the next scenario. A machine whose speed
//! drifts (a shared or throttled core) so slows all three alike, where three long phases in a
//! row would each meet a different machine and the ratios would measure the drift.
//!
//! For each scenario both references run as many clients as its campaign seeds have on average,
//! writing as many values per seed as they acknowledged on average, through one leader
//! isolation. For each side the bench reports seeds per second, simulated seconds per wall
//! second, acknowledged operations and process CPU time per acknowledged operation ([`cpu`]),
//! and the ratios of the CPU costs: campaign/bare (the figure tracked), campaign/system (what
//! the harness adds, with the campaign's reads, searches and faults the references do not have)
//! and system/bare (what the system under test costs beyond openraft).
//!
//! Wall and CPU time are measured around each turn, outside any simulation.

pub mod bare;
pub mod cpu;
pub mod load;
pub mod system;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use faultline_sim::plan::Plan;
use faultline_sim::run::simulate::world_config;
use faultline_sim::world::{RunSpec, WorldConfig, run_seed};
use serde::Serialize;

use crate::catalog;
use crate::runner::{RunnerConfig, run_batch};
use crate::stats::per;

/// What one side of the bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub name: String,
    pub seeds: u64,
    /// Seeds that did not pass (campaign) or panicked (bare reference).
    pub not_passed: u64,
    pub ops_ok: u64,
    pub wall_secs: f64,
    pub sim_secs: f64,
    pub cpu_secs: f64,
    pub seeds_per_sec: f64,
    pub sim_secs_per_wall_sec: f64,
    pub cpu_us_per_op: f64,
}

/// What one side did so far, over its turns.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    seeds: u64,
    not_passed: u64,
    ops_ok: u64,
    sim: Duration,
    wall: Duration,
    cpu: Duration,
}

impl Tally {
    /// Adds one turn: `seeds` seeds of which `not_passed` did not pass, `ops_ok` acknowledged
    /// ops over `sim` simulated time, measured as `m`.
    fn add(&mut self, seeds: u64, not_passed: u64, ops_ok: u64, sim: Duration, m: Measured) {
        self.seeds += seeds;
        self.not_passed += not_passed;
        self.ops_ok += ops_ok;
        self.sim += sim;
        self.wall += m.wall;
        self.cpu += m.cpu;
    }

    /// Adds one turn of a reference from its seeds' (acknowledged writes, simulated time); a
    /// seed that did not run to its end counts as not passed.
    fn add_reference<E>(&mut self, runs: &[Result<(u64, Duration), E>], m: Measured) {
        let done: Vec<(u64, Duration)> = runs
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        self.add(
            runs.len() as u64,
            (runs.len() - done.len()) as u64,
            done.iter().map(|(ops, _)| ops).sum(),
            done.iter().map(|(_, sim)| *sim).sum(),
            m,
        );
    }

    fn side(&self, name: &str) -> Side {
        let (wall, cpu, sim) = (
            self.wall.as_secs_f64(),
            self.cpu.as_secs_f64(),
            self.sim.as_secs_f64(),
        );
        Side {
            name: name.to_string(),
            seeds: self.seeds,
            not_passed: self.not_passed,
            ops_ok: self.ops_ok,
            wall_secs: wall,
            sim_secs: sim,
            cpu_secs: cpu,
            seeds_per_sec: per(self.seeds as f64, wall),
            sim_secs_per_wall_sec: per(sim, wall),
            cpu_us_per_op: per(cpu * 1e6, self.ops_ok as f64),
        }
    }
}

/// The three sides and how they compare.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Seeds per scenario of the campaign.
    pub seeds_per_scenario: u64,
    /// Writes each reference was given in all: per scenario, as many per seed as its campaign
    /// seeds acknowledged on average.
    pub writes: u64,
    /// Writes per reference seed, on average over the scenarios.
    pub writes_per_seed: u64,
    /// Concurrent clients per reference seed, on average over the scenarios (each scenario's
    /// references run its campaign seeds' mean).
    pub clients: u64,
    pub campaign: Side,
    pub system: Side,
    pub bare: Side,
    /// Campaign CPU µs per acknowledged op over the bare reference's: the figure tracked.
    pub cpu_ratio: f64,
    /// Campaign CPU µs per acknowledged op over the system reference's: what the harness adds,
    /// with the campaign's reads, searches and faults (crashes, restarts, snapshots, membership
    /// changes) that the references, writing through one leader isolation, do not have.
    pub harness_ratio: f64,
    /// System reference CPU µs per acknowledged op over the bare reference's: what the system
    /// under test costs beyond openraft.
    pub system_ratio: f64,
}

impl Report {
    /// The table and the ratio line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<10}  {:>6}  {:>10}  {:>8}  {:>12}  {:>8}  {:>9}  {:>11}",
            "side",
            "seeds",
            "not-passed",
            "seeds/s",
            "sim-s/wall-s",
            "ops-ok",
            "cpu-s",
            "cpu-us/op"
        );
        for s in [&self.campaign, &self.system, &self.bare] {
            let _ = writeln!(
                out,
                "{:<10}  {:>6}  {:>10}  {:>8.2}  {:>12.1}  {:>8}  {:>9.2}  {:>11.1}",
                s.name,
                s.seeds,
                s.not_passed,
                s.seeds_per_sec,
                s.sim_secs_per_wall_sec,
                s.ops_ok,
                s.cpu_secs,
                s.cpu_us_per_op
            );
        }
        let _ = writeln!(
            out,
            "campaign: {} seeds per scenario; system and bare: {} writes per seed by {} clients on average, one leader isolation; the sides took turns by scenario",
            self.seeds_per_scenario, self.writes_per_seed, self.clients
        );
        let _ = writeln!(
            out,
            "ratio campaign/bare of cpu-us per acknowledged op: {:.1}",
            self.cpu_ratio
        );
        let _ = writeln!(
            out,
            "of which campaign/system (the harness, the full workload and faults): {:.1}, system/bare (the system under test): {:.1}",
            self.harness_ratio, self.system_ratio
        );
        out
    }
}

/// Wall and process CPU time of one side.
#[derive(Debug, Clone, Copy)]
struct Measured {
    wall: Duration,
    cpu: Duration,
}

/// Runs `f`, measuring its wall and process CPU time.
fn measure<T>(f: impl FnOnce() -> T) -> Result<(T, Measured)> {
    let cpu = cpu::process_cpu()?;
    // The bench measures the harness from outside the simulation: the wall clock is the
    // quantity being reported.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let out = f();
    let wall = started.elapsed();
    let cpu = cpu::process_cpu()?.saturating_sub(cpu);
    Ok((out, Measured { wall, cpu }))
}

/// The three sides, in turns by scenario: the campaign with `seeds_per_scenario` seeds of the
/// scenario under `config` (one job), then the system reference with one seed per campaign
/// seed (under that seed's cluster settings), then the bare reference with as many seeds.
/// `progress` hears each turn.
pub fn run(
    seeds_per_scenario: u64,
    config: &RunnerConfig,
    progress: &dyn Fn(&str),
) -> Result<Report> {
    let scenarios = catalog::select("all")?;
    let seeds: Vec<u64> = (1..=seeds_per_scenario).collect();
    let (mut campaign, mut system, mut bare) =
        (Tally::default(), Tally::default(), Tally::default());
    let (mut writes_total, mut clients_total) = (0, 0);
    // Reference seeds are numbered on across the turns, as one run of each would number them.
    let mut next_seed = 1;
    let bare_spec = RunSpec::from(&WorldConfig::default());
    for scenario in &scenarios {
        let (results, m) = measure(|| run_batch(*scenario, &seeds, config, &|_| {}))?;
        let n = results.len() as u64;
        let ops_ok: u64 = results
            .iter()
            .filter_map(|r| r.verdict.as_ref())
            .map(|v| v.stats.ops_ok)
            .sum();
        let not_passed = results.iter().filter(|r| !r.passed()).count() as u64;
        campaign.add(
            n,
            not_passed,
            ops_ok,
            results.iter().map(|r| r.sim).sum(),
            m,
        );

        let writes = rounded_mean(ops_ok, n).max(1);
        // The plans' client counts are drawn per seed: the references use their mean.
        let plans: Vec<Plan> = seeds.iter().map(|&seed| scenario.plan(seed)).collect();
        let client_sum: u64 = plans.iter().map(|p| u64::from(p.workload.clients)).sum();
        let clients = rounded_mean(client_sum, n).max(1);
        progress(&format!(
            "{}: campaign {n} seeds, then system and bare {n} seeds x {writes} writes by {clients} clients",
            scenario.name()
        ));
        let reference_seeds: Vec<u64> = (next_seed..next_seed + n).collect();
        next_seed += n;
        writes_total += writes * n;
        clients_total += clients * n;

        let (runs, m) = measure(|| {
            plans
                .iter()
                .map(world_config)
                .zip(&reference_seeds)
                .map(|(cell, &seed)| {
                    run_seed(seed, &RunSpec::from(&cell), move || async move {
                        let outcome = system::run(&cell, writes, clients).await;
                        (outcome.acked, madsim::time::TimeHandle::current().elapsed())
                    })
                })
                .collect::<Vec<_>>()
        })?;
        system.add_reference(&runs, m);

        let (runs, m) = measure(|| {
            reference_seeds
                .iter()
                .map(|&seed| {
                    run_seed(seed, &bare_spec, move || async move {
                        let outcome = bare::cluster::run(writes, clients).await;
                        (outcome.acked, madsim::time::TimeHandle::current().elapsed())
                    })
                })
                .collect::<Vec<_>>()
        })?;
        bare.add_reference(&runs, m);
    }
    let (campaign, system, bare) = (
        campaign.side("campaign"),
        system.side("system"),
        bare.side("bare"),
    );
    Ok(Report {
        seeds_per_scenario,
        writes: writes_total,
        writes_per_seed: rounded_mean(writes_total, bare.seeds),
        clients: rounded_mean(clients_total, bare.seeds),
        cpu_ratio: per(campaign.cpu_us_per_op, bare.cpu_us_per_op),
        harness_ratio: per(campaign.cpu_us_per_op, system.cpu_us_per_op),
        system_ratio: per(system.cpu_us_per_op, bare.cpu_us_per_op),
        campaign,
        system,
        bare,
    })
}

/// `sum / n` rounded to the nearest integer (`n = 0` divides by 1: an empty sum stays 0).
fn rounded_mean(sum: u64, n: u64) -> u64 {
    (sum + n / 2) / n.max(1)
}
