//! `faultline report DIR…`: (re)draws `index.html` for existing report directories from
//! their `plan.json`, `verdict.json`, `history.jsonl` and `trace.log` — for reports written
//! before the page existed, or to redraw one with a newer build.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use faultline_sim::html;
use faultline_sim::plan::Plan;
use faultline_sim::run::Verdict;
use faultline_sim::workload::HistoryEvent;

use super::Exit;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report directories (`reports/<scenario>/<seed>`).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
}

pub fn run(args: &ReportArgs) -> Result<Exit> {
    for dir in &args.dirs {
        let page = redraw(dir).with_context(|| format!("report {}", dir.display()))?;
        println!("{}", page.display());
    }
    Ok(Exit::Success)
}

fn redraw(dir: &Path) -> Result<PathBuf> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("reading {}", dir.join(name).display()))
    };
    let plan = Plan::from_json(&read("plan.json")?).context("plan.json")?;
    let verdict: Verdict = serde_json::from_str(&read("verdict.json")?).context("verdict.json")?;
    let history = read("history.jsonl")?
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<HistoryEvent>(l)
                .with_context(|| format!("history.jsonl line {}", i + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    let trace: Vec<String> = read("trace.log")?.lines().map(str::to_string).collect();
    let page = dir.join("index.html");
    std::fs::write(
        &page,
        html::render(&html::from_parts(&plan, &verdict, &history, &trace)),
    )
    .with_context(|| format!("writing {}", page.display()))?;
    Ok(page)
}
