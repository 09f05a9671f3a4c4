//! Campaign summaries: what `faultline run`, `fuzz` and `bugs` write with `--json FILE`, and
//! what `faultline merge` combines. A summary holds the per-scenario table (seeds by status),
//! every seed that did not pass with its repro line, the shard it covers, and the gate that
//! decides the exit code; merging the summaries of the shards of a campaign gives the same
//! table, findings and exit code as running the campaign in one piece (wall times add up, so
//! seeds/s is per machine).
//!
//! The exit rule lives here so that `run` and `merge` agree: only `pass` is green; a `fail`
//! always counts; `unknown` and `vacuous` count unless the gate allows them ([`Gate`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use faultline_sim::run::Status;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::catalog;
use crate::result::SeedResult;
use crate::shard::Shard;
use crate::stats::{ScenarioStats, render_table};

/// The format tag every summary carries.
pub const FORMAT: &str = "faultline-summary/1";

/// Which command wrote a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Run,
    Fuzz,
    Bugs,
}

/// Which non-passing statuses still let a campaign exit 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub allow_unknown: bool,
    pub allow_vacuous: bool,
}

impl Gate {
    /// Everything but `fail` is allowed (a fuzz campaign hunts violations).
    pub const FAILURES_ONLY: Gate = Gate {
        allow_unknown: true,
        allow_vacuous: true,
    };

    /// Whether a seed of this status keeps the campaign from exiting 0.
    pub fn counts(&self, status: Status) -> bool {
        match status {
            Status::Pass => false,
            Status::Fail => true,
            Status::Unknown => !self.allow_unknown,
            Status::Vacuous => !self.allow_vacuous,
        }
    }
}

/// A seed that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub scenario: String,
    pub seed: u64,
    pub status: Status,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
    pub repro: String,
    #[serde(default)]
    pub trace_hash: String,
    /// The failure is a determinism mismatch; the detail says where the traces part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    /// Fuzz only: replayed identically in a fresh process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<bool>,
    /// Fuzz only: the corpus file the finding was recorded in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus: Option<String>,
}

impl Finding {
    /// The finding of a seed that did not pass (`None` for one that did).
    pub fn of(r: &SeedResult) -> Option<Finding> {
        if r.passed() {
            return None;
        }
        Some(Finding {
            scenario: r.scenario.to_string(),
            seed: r.seed,
            status: r.status,
            reason: r.reason.clone().unwrap_or_default(),
            properties: r.properties(),
            repro: r.repro_line(),
            trace_hash: r
                .verdict
                .as_ref()
                .map(|v| v.trace_hash.clone())
                .unwrap_or_default(),
            mismatch: r.mismatch.as_ref().map(|m| m.to_string()),
            confirmed: None,
            corpus: None,
        })
    }
}

/// One bug × scenario cell of a `bugs` summary (the planted-bug matrix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BugCell {
    pub bug: String,
    pub scenario: String,
    pub budget: u64,
    pub seeds_run: u64,
    /// Seeds to the first detection, its seed, properties and repro line, when caught.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds_to_detection: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
    /// The violated properties the bug declares as catching it (what counted the detection).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caught_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repro: Option<String>,
    /// Seeds that failed with the bug only by properties it does not declare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undeclared: Vec<(u64, Vec<String>)>,
    /// Seeds that fail with no bug too: (seed, reason).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub healthy_failures: Vec<(u64, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed: Vec<u64>,
    /// `bugs --shrink`: the detection seed shrunk (one cell per bug, its fastest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<BugShrink>,
}

/// A caught bug's first failing seed, shrunk: before → after, and whether the shrunk plan
/// failed the same way in a fresh process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BugShrink {
    /// The property the shrunk plan must still violate.
    pub property: String,
    pub faults_before: usize,
    pub faults_after: usize,
    pub ops_before: u64,
    pub ops_after: u64,
    pub runs: u64,
    /// The shrunk plan failed with `property` in a fresh process.
    pub confirmed: bool,
    /// Why there is no shrunk plan (the shrink itself failed), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A campaign's summary (`--json FILE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub format: String,
    pub kind: Kind,
    /// `I/N`, or a comma-separated list of them for a merged summary.
    pub shard: String,
    #[serde(flatten)]
    pub gate: Gate,
    /// Per scenario, in catalog order.
    pub scenarios: Vec<ScenarioStats>,
    /// Every seed that did not pass, by scenario (catalog order) and seed.
    pub findings: Vec<Finding>,
    /// Fuzz: the seed base of the shard's seed space (reproduce with `--seed-base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_base: Option<u64>,
    /// The campaign was interrupted (SIGTERM / SIGINT) and covers only the seeds that ran.
    #[serde(default)]
    pub interrupted: bool,
    /// Seed threads the watchdog could not stop and left running (in-process mode).
    #[serde(default)]
    pub abandoned: u64,
    /// Bugs: the planted-bug matrix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<BugCell>,
    /// The exit status the summary amounts to (recomputed by `merge`).
    pub status: Status,
}

/// Why summaries could not be read or merged.
#[derive(Debug, Error)]
pub enum SummaryError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a faultline summary: {source}")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: format {found:?}, expected {FORMAT:?}")]
    Format { path: String, found: String },
    #[error("nothing to merge")]
    Empty,
    #[error("cannot merge a {0:?} summary with a {1:?} summary")]
    MixedKinds(Kind, Kind),
    #[error("the summaries disagree on --allow-unknown / --allow-vacuous")]
    MixedGates,
    #[error("shard {0:?} is not of the form I/N")]
    BadShard(String),
    #[error("the summaries are shards of different campaigns (shard counts {0} and {1})")]
    MixedShardCounts(u64, u64),
    #[error("shard {0} appears twice")]
    DuplicateShard(String),
    #[error("shards missing: {missing} (of {count}); pass --partial to merge what is there")]
    MissingShards { missing: String, count: u64 },
}

impl Summary {
    /// A summary of `kind` for `shard`, status to be filled by [`Summary::finish`].
    pub fn new(kind: Kind, shard: Shard, gate: Gate) -> Summary {
        Summary {
            format: FORMAT.to_string(),
            kind,
            shard: shard.to_string(),
            gate,
            scenarios: Vec::new(),
            findings: Vec::new(),
            seed_base: None,
            interrupted: false,
            abandoned: 0,
            bugs: Vec::new(),
            status: Status::Pass,
        }
    }

    /// Sorts rows and findings into their canonical order and computes the status.
    pub fn finish(mut self) -> Summary {
        let names = catalog::names();
        let rank = |s: &str| names.iter().position(|n| *n == s).unwrap_or(usize::MAX);
        self.scenarios.sort_by(|a, b| {
            (rank(&a.scenario), &a.scenario).cmp(&(rank(&b.scenario), &b.scenario))
        });
        self.findings.sort_by(|a, b| {
            (rank(&a.scenario), &a.scenario, a.seed).cmp(&(rank(&b.scenario), &b.scenario, b.seed))
        });
        self.bugs
            .sort_by(|a, b| (&a.bug, rank(&a.scenario)).cmp(&(&b.bug, rank(&b.scenario))));
        self.status = self.worst();
        self
    }

    /// The worst status the gate does not allow (`Pass` when there is none): fail, then
    /// unknown, then vacuous. A bugs summary fails when a seed fails with no bug.
    fn worst(&self) -> Status {
        let bugs_dirty = self.bugs.iter().any(|c| !c.healthy_failures.is_empty());
        let count = |f: fn(&ScenarioStats) -> u64| self.scenarios.iter().map(f).sum::<u64>();
        let seen = |status| match status {
            Status::Fail => count(|s| s.fail) > 0 || bugs_dirty,
            Status::Unknown => count(|s| s.unknown) > 0,
            Status::Vacuous => count(|s| s.vacuous) > 0,
            Status::Pass => false,
        };
        [Status::Fail, Status::Unknown, Status::Vacuous]
            .into_iter()
            .find(|s| seen(*s) && self.gate.counts(*s))
            .unwrap_or(Status::Pass)
    }

    /// The table, the findings (a mismatch's detail first, then one repro line per seed with
    /// its status) and, for bugs, the matrix.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.scenarios.is_empty() {
            out.push_str(&render_table(&self.scenarios));
        }
        if !self.bugs.is_empty() {
            out.push_str(&render_bugs(&self.bugs));
        }
        if !self.findings.is_empty() {
            out.push('\n');
            for f in self.findings.iter() {
                if let Some(m) = &f.mismatch {
                    let _ = writeln!(out, "{} seed {}: {m}", f.scenario, f.seed);
                }
            }
            for f in &self.findings {
                let mut notes = Vec::new();
                if f.confirmed == Some(false) {
                    notes.push("not confirmed in a fresh process".to_string());
                }
                if let Some(c) = &f.corpus {
                    notes.push(format!("corpus {c}"));
                }
                let notes = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", notes.join("; "))
                };
                let _ = writeln!(
                    out,
                    "{:<8} {}  # {}{notes}",
                    f.status.name(),
                    f.repro,
                    f.reason
                );
            }
        }
        if self.abandoned > 0 {
            let _ = writeln!(
                out,
                "\n{} seed thread(s) did not stop and were abandoned; --isolate kills such seeds",
                self.abandoned
            );
        }
        if self.interrupted {
            let _ = writeln!(
                out,
                "\ninterrupted: the summary covers only the seeds that ran"
            );
        }
        out
    }

    /// Writes the summary as pretty JSON, atomically (a temporary file renamed over `path`).
    pub fn write(&self, path: &Path) -> Result<(), SummaryError> {
        let io = |source| SummaryError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = serde_json::to_string_pretty(self).map_err(|source| SummaryError::Parse {
            path: path.display().to_string(),
            source,
        })?;
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a summary file.
    pub fn read(path: &Path) -> Result<Summary, SummaryError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SummaryError::Io {
            path: name.clone(),
            source,
        })?;
        let s: Summary = serde_json::from_str(&text).map_err(|source| SummaryError::Parse {
            path: name.clone(),
            source,
        })?;
        if s.format != FORMAT {
            return Err(SummaryError::Format {
                path: name,
                found: s.format,
            });
        }
        Ok(s)
    }

    /// Merges the summaries of the shards of one campaign. Every shard must be there once
    /// (unless `partial`), and all must be of one kind and one gate.
    pub fn merge(parts: &[Summary], partial: bool) -> Result<Summary, SummaryError> {
        let first = parts.first().ok_or(SummaryError::Empty)?;
        let mut shards: BTreeMap<u64, String> = BTreeMap::new();
        let mut count = None;
        for p in parts {
            if p.kind != first.kind {
                return Err(SummaryError::MixedKinds(first.kind, p.kind));
            }
            if p.gate != first.gate {
                return Err(SummaryError::MixedGates);
            }
            for spec in p.shard.split(',') {
                let shard: Shard = spec
                    .parse()
                    .map_err(|_| SummaryError::BadShard(spec.to_string()))?;
                match count {
                    None => count = Some(shard.count()),
                    Some(n) if n != shard.count() => {
                        return Err(SummaryError::MixedShardCounts(n, shard.count()));
                    }
                    Some(_) => {}
                }
                if shards.insert(shard.index(), spec.to_string()).is_some() {
                    return Err(SummaryError::DuplicateShard(spec.to_string()));
                }
            }
        }
        let count = count.unwrap_or(1);
        let missing: Vec<String> = (0..count)
            .filter(|i| !shards.contains_key(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        if !missing.is_empty() && !partial {
            return Err(SummaryError::MissingShards {
                missing: missing.join(", "),
                count,
            });
        }
        let mut merged = Summary {
            shard: shards.into_values().collect::<Vec<_>>().join(","),
            seed_base: first.seed_base,
            ..Summary::new(first.kind, Shard::ALL, first.gate)
        };
        let mut rows: BTreeMap<String, ScenarioStats> = BTreeMap::new();
        for p in parts {
            for row in &p.scenarios {
                rows.entry(row.scenario.clone())
                    .or_insert_with(|| ScenarioStats::new(&row.scenario))
                    .add(row);
            }
            merged.findings.extend(p.findings.iter().cloned());
            merged.bugs.extend(p.bugs.iter().cloned());
            merged.interrupted |= p.interrupted;
            merged.abandoned += p.abandoned;
            if p.seed_base != first.seed_base {
                merged.seed_base = None;
            }
        }
        merged.scenarios = rows.into_values().collect();
        Ok(merged.finish())
    }
}

/// The median of the caught cells' seeds to detection of one bug.
pub fn median_seeds_to_detection(cells: &[BugCell], bug: &str) -> Option<u64> {
    lower_median(
        cells
            .iter()
            .filter(|c| c.bug == bug)
            .filter_map(|c| c.seeds_to_detection)
            .collect(),
    )
}

/// The lower median (of an even count, the smaller middle value); `None` when empty.
fn lower_median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// The planted-bug matrix: one line per cell, then per bug the median seeds to detection and
/// the scenarios that caught it.
pub fn render_bugs(cells: &[BugCell]) -> String {
    let mut out: String = cells.iter().map(render_bug_cell).collect();
    out.push_str(&render_bug_medians(cells));
    out
}

/// One cell of the matrix (and its unconfirmed and healthy-failing seeds), one line or more.
pub fn render_bug_cell(cell: &BugCell) -> String {
    let mut out = String::new();
    let head = format!("{:<26} {:<22}", cell.bug, cell.scenario);
    match (&cell.seeds_to_detection, &cell.repro) {
        (Some(n), Some(repro)) => {
            let _ = writeln!(
                out,
                "{head} caught after {n:>4} seeds  by {}  {repro}",
                cell.caught_by.join(",")
            );
        }
        _ => {
            let _ = writeln!(out, "{head} not caught in {}", cell.budget);
        }
    }
    for (seed, properties) in &cell.undeclared {
        let _ = writeln!(
            out,
            "{:49} (seed {seed} failed only by properties the bug does not declare: {})",
            "",
            properties.join(",")
        );
    }
    if !cell.unconfirmed.is_empty() {
        let _ = writeln!(
            out,
            "{:49} (failed in-process but not the same in a fresh process: seeds {:?})",
            "", cell.unconfirmed
        );
    }
    if let Some(sh) = &cell.shrunk {
        let _ = match &sh.error {
            Some(e) => writeln!(out, "{:49} shrink failed: {e}", ""),
            None => writeln!(
                out,
                "{:49} shrunk ({}): faults {} -> {}, ops {} -> {} in {} runs; {}",
                "",
                sh.property,
                sh.faults_before,
                sh.faults_after,
                sh.ops_before,
                sh.ops_after,
                sh.runs,
                if sh.confirmed {
                    "fails the same way in a fresh process"
                } else {
                    "NOT confirmed in a fresh process"
                }
            ),
        };
    }
    // Seeds that fail without the bug are no evidence for it; they are bugs of the healthy
    // build and are shown so they get fixed.
    for (seed, reason) in &cell.healthy_failures {
        let _ = writeln!(
            out,
            "{:49} (seed {seed} fails with no bug too: {reason})",
            ""
        );
    }
    out
}

/// Per bug: the median seeds to detection and the scenarios that caught it.
pub fn render_bug_medians(cells: &[BugCell]) -> String {
    let mut out = String::new();
    let mut bugs: Vec<&str> = Vec::new();
    for c in cells {
        if !bugs.contains(&c.bug.as_str()) {
            bugs.push(&c.bug);
        }
    }
    let _ = writeln!(out, "\n{:<26} {:>8}  caught in (by)", "bug", "median");
    for bug in bugs {
        let caught: Vec<String> = cells
            .iter()
            .filter(|c| c.bug == bug && c.seeds_to_detection.is_some())
            .map(|c| format!("{} ({})", c.scenario, c.caught_by.join(",")))
            .collect();
        let median = median_seeds_to_detection(cells, bug)
            .map_or_else(|| "-".to_string(), |m| m.to_string());
        let budget = cells.iter().find(|c| c.bug == bug).map_or(0, |c| c.budget);
        let list = if caught.is_empty() {
            format!("not caught in {budget} seeds")
        } else {
            caught.join(", ")
        };
        let _ = writeln!(out, "{bug:<26} {median:>8}  {list}");
    }
    out.push_str(&render_shrink_medians(cells));
    out
}

/// With `bugs --shrink`: the median shrunk plan and how many were confirmed in a fresh process.
fn render_shrink_medians(cells: &[BugCell]) -> String {
    let shrunk: Vec<&BugShrink> = cells
        .iter()
        .filter_map(|c| c.shrunk.as_ref())
        .filter(|s| s.error.is_none())
        .collect();
    let failed = cells
        .iter()
        .filter_map(|c| c.shrunk.as_ref())
        .filter(|s| s.error.is_some())
        .count();
    if shrunk.is_empty() && failed == 0 {
        return String::new();
    }
    let median = |v: Vec<u64>| lower_median(v).unwrap_or(0);
    format!(
        "\nshrunk {} caught bugs: median faults {} -> {}, median ops {} -> {}; {} confirmed in a \
         fresh process{}\n",
        shrunk.len(),
        median(shrunk.iter().map(|s| s.faults_before as u64).collect()),
        median(shrunk.iter().map(|s| s.faults_after as u64).collect()),
        median(shrunk.iter().map(|s| s.ops_before).collect()),
        median(shrunk.iter().map(|s| s.ops_after).collect()),
        shrunk.iter().filter(|s| s.confirmed).count(),
        if failed > 0 {
            format!("; {failed} could not be shrunk")
        } else {
            String::new()
        }
    )
}
