//! `faultline merge FILE…`: combines the `--json` summaries of a campaign's shards (of `run`,
//! `fuzz` or `bugs`) into the table, findings and exit code one unsharded campaign would have
//! given. Every shard `0/N … N-1/N` must be there exactly once unless `--partial`. `--markdown`
//! prints the findings as a Markdown report (for a CI job summary); `--json FILE` writes the
//! merged summary.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use faultline_scenarios::summary::{Summary, render_bugs};

use super::Exit;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' summary files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Merge even when some shards are missing (the result says which).
    #[arg(long)]
    partial: bool,
    /// Print a Markdown report instead of the plain table.
    #[arg(long)]
    markdown: bool,
    /// Also write the merged summary as JSON to FILE (`-`: stdout).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

pub fn run(args: &MergeArgs) -> Result<Exit> {
    let parts = args
        .files
        .iter()
        .map(|f| Summary::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = Summary::merge(&parts, args.partial)?;
    let text = if args.markdown {
        markdown(&merged)
    } else {
        format!(
            "{} shards merged ({}){}\n{}",
            parts.len(),
            merged.shard,
            merged
                .seed_base
                .map_or_else(String::new, |b| format!(", seed base {b}")),
            merged.render()
        )
    };
    super::run::emit(&merged, &text, args.json.as_deref())?;
    Ok(Exit::from(merged.status))
}

/// The merged summary as Markdown: status, the table in a code block, the findings as a table.
fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## faultline {:?} campaign: {}\n",
        s.kind,
        s.status.name()
    );
    let _ = writeln!(out, "Shards: {}", s.shard);
    if let Some(base) = s.seed_base {
        let _ = writeln!(out, "Seed base: {base}");
    }
    if s.interrupted {
        let _ = writeln!(
            out,
            "\n**Interrupted**: some shards covered only part of their seeds."
        );
    }
    if !s.scenarios.is_empty() {
        let _ = writeln!(
            out,
            "\n```\n{}```",
            faultline_scenarios::stats::render_table(&s.scenarios)
        );
    }
    if !s.bugs.is_empty() {
        let _ = writeln!(out, "\n```\n{}```", render_bugs(&s.bugs));
    }
    if s.findings.is_empty() {
        let _ = writeln!(out, "\nNo findings.");
    } else {
        let _ = writeln!(
            out,
            "\n| status | scenario | seed | reason | repro | corpus |\n|---|---|---:|---|---|---|"
        );
        for f in &s.findings {
            let corpus = match (&f.corpus, f.confirmed) {
                (Some(c), _) => c.clone(),
                (None, Some(false)) => "not confirmed".to_string(),
                (None, _) => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | `{}` | {} |",
                f.status.name(),
                f.scenario,
                f.seed,
                f.reason.replace('|', "\\|"),
                f.repro,
                corpus
            );
        }
    }
    out
}
