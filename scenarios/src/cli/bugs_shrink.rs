//! `bugs --shrink`: for each caught bug, shrinks the first failing seed of its fastest cell to
//! a small plan that still fails with the property that caught it, and replays the shrunk plan
//! in a fresh process. The matrix then shows faults and operations before → after per bug, and
//! the median over bugs.

use std::path::Path;
use std::time::Duration;

use faultline_engine::planted::Bug;
use faultline_scenarios::bugs::plan_with_bug;
use faultline_scenarios::catalog;
use faultline_scenarios::shrink::{Budget, Shrinker, confirm_fresh};
use faultline_scenarios::summary::{BugCell, BugShrink};
use faultline_sim::plan::{Switches, System};
use faultline_sim::run::run_plan;

/// Candidate runs per shrink: enough to reach a few faults on every planted bug measured.
pub const SHRINK_RUNS: u64 = 200;

/// Shrinks one cell per caught bug (the fewest seeds to detection, the first on a tie) and
/// stores the result in that cell.
pub fn shrink_caught(
    cells: &mut [BugCell],
    switches: Switches,
    system: System,
    jobs: usize,
    exe: &Path,
) {
    let mut bugs: Vec<String> = Vec::new();
    for c in cells.iter() {
        if !bugs.contains(&c.bug) {
            bugs.push(c.bug.clone());
        }
    }
    for bug in bugs {
        let fastest = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.bug == bug)
            .filter_map(|(i, c)| c.seeds_to_detection.map(|n| (n, i)))
            .min();
        let Some((_, i)) = fastest else { continue };
        let cell = &cells[i];
        eprintln!("shrinking {} on {} …", cell.bug, cell.scenario);
        let shrunk =
            shrink_cell(cell, switches, system, jobs, exe).unwrap_or_else(|e| failed(cell, e));
        cells[i].shrunk = Some(shrunk);
    }
}

fn failed(cell: &BugCell, error: String) -> BugShrink {
    BugShrink {
        property: cell.caught_by.first().cloned().unwrap_or_default(),
        faults_before: 0,
        faults_after: 0,
        ops_before: 0,
        ops_after: 0,
        runs: 0,
        confirmed: false,
        error: Some(error),
    }
}

fn shrink_cell(
    cell: &BugCell,
    switches: Switches,
    system: System,
    jobs: usize,
    exe: &Path,
) -> Result<BugShrink, String> {
    let bug: Bug = cell.bug.parse().map_err(|e| format!("{e}"))?;
    let scenario = catalog::find(&cell.scenario).map_err(|e| e.to_string())?;
    let seed = cell
        .detection_seed
        .ok_or("the cell has no detection seed")?;
    let mut plan = plan_with_bug(scenario, seed, Some(bug), switches)?;
    plan.system = system;
    let property = cell
        .caught_by
        .first()
        .ok_or("the detection names no property")?;
    let property = super::shrink::parse_property(property)?;
    let budget = Budget {
        max_runs: SHRINK_RUNS,
        max_time: Some(Duration::from_secs(300)),
    };
    let report = Shrinker::new(budget)
        .jobs(jobs)
        .shrink(&plan, Some(property))
        .map_err(|e| e.to_string())?;
    let fresh = confirm_fresh(exe, &report, 10);
    // The plan reported is the one that failed in a fresh process; when that is not the
    // minimal one, its size comes from running it here.
    let after = match (&fresh.plan, fresh.walked_back) {
        (Some(p), back) if back > 0 => {
            let r = run_plan(p);
            (p.faults.len(), r.verdict.stats.ops)
        }
        _ => (report.after.faults, report.after.ops),
    };
    Ok(BugShrink {
        property: property.to_string(),
        faults_before: report.before.faults,
        faults_after: after.0,
        ops_before: report.before.ops,
        ops_after: after.1,
        runs: report.runs,
        confirmed: fresh.confirmed(),
        error: None,
    })
}
