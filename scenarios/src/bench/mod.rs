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
//! Both references run as many clients as the campaign's seeds have on average, writing as many
//! values per seed as the campaign acknowledges on average, through one leader isolation. For
//! each side the bench reports seeds per second, simulated seconds per wall second,
//! acknowledged operations and process CPU time per acknowledged operation ([`cpu`]), and the
//! ratios of the CPU costs: campaign/bare (the figure tracked), campaign/system (what the
//! harness adds, with the campaign's reads, searches and faults the references do not have) and
//! system/bare (what the system under test costs beyond openraft).
//!
//! Wall and CPU time are measured around each side, outside any simulation.

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

impl Side {
    fn new(
        name: &str,
        seeds: u64,
        not_passed: u64,
        ops_ok: u64,
        sim: Duration,
        m: Measured,
    ) -> Side {
        let (wall, cpu) = (m.wall.as_secs_f64(), m.cpu.as_secs_f64());
        Side {
            name: name.to_string(),
            seeds,
            not_passed,
            ops_ok,
            wall_secs: wall,
            sim_secs: sim.as_secs_f64(),
            cpu_secs: cpu,
            seeds_per_sec: per(seeds as f64, wall),
            sim_secs_per_wall_sec: per(sim.as_secs_f64(), wall),
            cpu_us_per_op: per(cpu * 1e6, ops_ok as f64),
        }
    }
}

/// The three sides and how they compare.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Seeds per scenario of the campaign.
    pub seeds_per_scenario: u64,
    /// Writes per seed of both references (the campaign's acknowledged ops per seed).
    pub writes_per_seed: u64,
    /// Concurrent clients of both references (the campaign's mean per seed).
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
            "campaign: {} seeds per scenario; system and bare: {} writes per seed by {} clients, one leader isolation",
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

/// The three sides: the campaign with `seeds_per_scenario` seeds of every scenario under
/// `config` (one job), then the system reference with one seed per campaign seed (under that
/// seed's cluster settings), then the bare reference with as many seeds. `progress` hears each
/// phase.
pub fn run(
    seeds_per_scenario: u64,
    config: &RunnerConfig,
    progress: &dyn Fn(&str),
) -> Result<Report> {
    let scenarios = catalog::select("all")?;
    let seeds: Vec<u64> = (1..=seeds_per_scenario).collect();
    progress(&format!(
        "campaign: {} scenarios x {seeds_per_scenario} seeds",
        scenarios.len()
    ));
    let (results, m) = measure(|| {
        scenarios
            .iter()
            .flat_map(|s| run_batch(*s, &seeds, config, &|_| {}))
            .collect::<Vec<_>>()
    })?;
    let ops_ok: u64 = results
        .iter()
        .filter_map(|r| r.verdict.as_ref())
        .map(|v| v.stats.ops_ok)
        .sum();
    let sim = results.iter().map(|r| r.sim).sum();
    let not_passed = results.iter().filter(|r| !r.passed()).count() as u64;
    let n = results.len() as u64;
    let campaign = Side::new("campaign", n, not_passed, ops_ok, sim, m);

    let writes = ((ops_ok + n / 2) / n.max(1)).max(1);
    // The campaign's plans, once: their client counts (drawn per seed; both references use
    // the mean) and their cluster settings (the system reference's, seed for seed).
    let plans: Vec<Plan> = scenarios
        .iter()
        .flat_map(|s| seeds.iter().map(|&seed| s.plan(seed)))
        .collect();
    let client_total: u64 = plans.iter().map(|p| u64::from(p.workload.clients)).sum();
    let clients = ((client_total + n / 2) / n.max(1)).max(1);
    progress(&format!(
        "system: {n} seeds x {writes} writes by {clients} clients"
    ));
    let (runs, m) = measure(|| {
        plans
            .iter()
            .map(world_config)
            .zip(1..)
            .map(|(cell, seed)| {
                run_seed(seed, &RunSpec::from(&cell), move || async move {
                    let outcome = system::run(&cell, writes, clients).await;
                    (outcome.acked, madsim::time::TimeHandle::current().elapsed())
                })
            })
            .collect::<Vec<_>>()
    })?;
    let system = reference_side("system", &runs, m);

    progress(&format!(
        "bare: {n} seeds x {writes} writes by {clients} clients"
    ));
    let bare_seeds: Vec<u64> = (1..=n).collect();
    let spec = RunSpec::from(&WorldConfig::default());
    let (runs, m) = measure(|| {
        bare_seeds
            .iter()
            .map(|&seed| {
                run_seed(seed, &spec, move || async move {
                    let outcome = bare::cluster::run(writes, clients).await;
                    (outcome.acked, madsim::time::TimeHandle::current().elapsed())
                })
            })
            .collect::<Vec<_>>()
    })?;
    let bare = reference_side("bare", &runs, m);
    Ok(Report {
        seeds_per_scenario,
        writes_per_seed: writes,
        clients,
        cpu_ratio: per(campaign.cpu_us_per_op, bare.cpu_us_per_op),
        harness_ratio: per(campaign.cpu_us_per_op, system.cpu_us_per_op),
        system_ratio: per(system.cpu_us_per_op, bare.cpu_us_per_op),
        campaign,
        system,
        bare,
    })
}

/// A reference side from its seeds' (acknowledged writes, simulated time); a seed that did not
/// run to its end counts as not passed.
fn reference_side<E>(name: &str, runs: &[Result<(u64, Duration), E>], m: Measured) -> Side {
    let done: Vec<(u64, Duration)> = runs
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    Side::new(
        name,
        runs.len() as u64,
        (runs.len() - done.len()) as u64,
        done.iter().map(|(ops, _)| ops).sum(),
        done.iter().map(|(_, sim)| *sim).sum(),
        m,
    )
}
