//! The report directory of a run: `<root>/<scenario>/<seed>/` holding `plan.json` (replayable
//! by itself), `history.jsonl` (one history event per line), `trace.log` (the world's trace,
//! one `<simulated ms> <event>` per line), `observations.jsonl` (every node's online reports of
//! its Raft state, one per line) and `verdict.json`. Files are written to a temporary
//! name and renamed, so a report is never half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::RunResult;
use crate::world::Trace;

/// The trace as `trace.log` lines: simulated ms with ns precision, then the event as JSON.
pub fn trace_lines(trace: &Trace) -> Vec<String> {
    trace
        .entries()
        .iter()
        .map(|e| {
            let event = serde_json::to_string(&e.event)
                .unwrap_or_else(|err| format!("{{\"unserialisable\":\"{err}\"}}"));
            format!(
                "{:>8}.{:06}ms {event}",
                e.at_ns / 1_000_000,
                e.at_ns % 1_000_000
            )
        })
        .collect()
}

fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn lines(items: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut out = Vec::new();
    for l in items {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Writes the report of `result` under `root`; returns its directory.
pub fn write_report(root: &Path, result: &RunResult) -> std::io::Result<PathBuf> {
    let dir = root
        .join(&result.plan.scenario)
        .join(result.plan.seed.to_string());
    std::fs::create_dir_all(&dir)?;
    write_atomically(&dir.join("plan.json"), result.plan.to_json().as_bytes())?;
    let history = result.history.iter().map(|e| {
        serde_json::to_string(e).unwrap_or_else(|err| format!("{{\"unserialisable\":\"{err}\"}}"))
    });
    write_atomically(&dir.join("history.jsonl"), &lines(history))?;
    write_atomically(&dir.join("trace.log"), &lines(result.trace.iter().cloned()))?;
    let observations = result.record.observations.iter().map(|e| {
        serde_json::to_string(e).unwrap_or_else(|err| format!("{{\"unserialisable\":\"{err}\"}}"))
    });
    write_atomically(&dir.join("observations.jsonl"), &lines(observations))?;
    let verdict = serde_json::to_vec_pretty(&result.verdict).map_err(std::io::Error::other)?;
    write_atomically(&dir.join("verdict.json"), &verdict)?;
    write_html(&dir, result)?;
    Ok(dir)
}

/// Writes the run's timeline page, `index.html`, into `dir` (every report directory has one;
/// see `crate::html`).
pub fn write_html(dir: &Path, result: &RunResult) -> std::io::Result<()> {
    let page = crate::html::render(&crate::html::from_run(result));
    write_atomically(&dir.join("index.html"), page.as_bytes())
}
