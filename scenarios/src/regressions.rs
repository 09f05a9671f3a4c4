//! The regression corpus: one JSON file per finding, `regressions/<scenario>/<name>.json`,
//! holding the scenario, the seed, the full plan the seed expanded into when it was found, and
//! a short reason — reviewable in a diff, and immune to later changes of a scenario's
//! generator: the stored plan is what `cargo test` replays, whatever the seed means today.
//!
//! ```json
//! {
//!   "scenario": "random",
//!   "seed": 745,
//!   "generator": 1,
//!   "reason": "panic: openraft asked the log store for an inverted range",
//!   "plan": { "scenario": "random", "seed": 745, ... }
//! }
//! ```
//!
//! `generator` is the catalog's [`GENERATOR`](crate::catalog::GENERATOR) version the plan was
//! expanded with. While it is current, the seed must still expand into the stored plan
//! ([`Entry::drift`]); a change to a generator that alters old seeds' plans must bump the
//! version, so it is a visible decision, not a silent one.
//!
//! This file owns the format: reading (a malformed entry is a [`CorpusError`] naming the file)
//! and recording. [`Corpus::record`] takes an exclusive lock on `regressions/.lock` (so two
//! shards on one machine cannot both take a name or both add one finding), skips a finding
//! whose plan is already stored, and writes the new file atomically: a temporary file in the
//! same directory, synced, then renamed into place, so a reader never sees half a file and a
//! killed campaign never leaves one.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use faultline_sim::plan::{Plan, PlanError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::catalog::{GENERATOR, Scenario};
use crate::runner::plan_of;

/// One stored finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub scenario: String,
    pub seed: u64,
    /// The catalog generator version `plan` was expanded with.
    pub generator: u32,
    /// What the seed found, in one line.
    pub reason: String,
    /// Anything else worth knowing (how it was fixed, why it is kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub plan: Plan,
}

/// Where a stored plan and its seed's plan today first differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// A JSON path such as `faults[2].at_ms`.
    pub path: String,
    pub stored: String,
    pub now: String,
}

impl Entry {
    /// The entry for a finding of `plan`'s seed, expanded by the current generator.
    pub fn new(plan: &Plan, reason: &str) -> Entry {
        Entry {
            scenario: plan.scenario.clone(),
            seed: plan.seed,
            generator: GENERATOR,
            reason: reason.split_whitespace().collect::<Vec<_>>().join(" "),
            note: String::new(),
            plan: plan.clone(),
        }
    }

    /// Whether the entry's seed now expands into a different plan, and where. `None` also when
    /// the entry was made with an older generator version (its plan is expected to differ).
    pub fn drift(&self, scenario: &dyn Scenario) -> Option<Result<Drift, String>> {
        if self.generator != GENERATOR {
            return None;
        }
        let now = match plan_of(scenario, self.seed) {
            Ok(plan) => plan,
            Err(e) => return Some(Err(e)),
        };
        let stored = serde_json::to_value(&self.plan).ok()?;
        let now = serde_json::to_value(&now).ok()?;
        first_difference("", &stored, &now).map(Ok)
    }
}

/// The first place two JSON values differ, depth first, in field order.
fn first_difference(path: &str, a: &serde_json::Value, b: &serde_json::Value) -> Option<Drift> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                first_difference(
                    &p,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) => (0..x.len().max(y.len())).find_map(|i| {
            first_difference(
                &format!("{path}[{i}]"),
                x.get(i).unwrap_or(&Value::Null),
                y.get(i).unwrap_or(&Value::Null),
            )
        }),
        _ if a == b => None,
        _ => Some(Drift {
            path: path.to_string(),
            stored: a.to_string(),
            now: b.to_string(),
        }),
    }
}

/// Why the corpus could not be read or written.
#[derive(Debug, Error)]
pub enum CorpusError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a corpus entry: {source}")]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {why}")]
    Inconsistent { path: PathBuf, why: String },
    #[error("{path}: the stored plan is invalid: {source}")]
    InvalidPlan {
        path: PathBuf,
        #[source]
        source: PlanError,
    },
    #[error("{0:?} is not a valid scenario directory name (lowercase letters, digits and '-')")]
    BadScenarioName(String),
    #[error(
        "{0}: seed lists (`<scenario>.txt`) are no longer read; the corpus stores one JSON plan per finding (see regressions/README.md)"
    )]
    Legacy(PathBuf),
}

/// Where [`Corpus::record`] put a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new file.
    Added(PathBuf),
    /// The same plan was already stored in this file.
    Already(PathBuf),
}

impl Recorded {
    pub fn path(&self) -> &Path {
        match self {
            Recorded::Added(p) | Recorded::Already(p) => p,
        }
    }
}

/// The corpus directory.
#[derive(Debug, Clone)]
pub struct Corpus {
    dir: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CorpusError + '_ {
    move |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Corpus {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Corpus { dir: dir.into() }
    }

    /// The corpus committed with this crate: `scenarios/regressions/`.
    pub fn in_repo() -> Self {
        Corpus::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of one scenario's entries.
    pub fn scenario_dir(&self, scenario: &str) -> Result<PathBuf, CorpusError> {
        check_name(scenario)?;
        Ok(self.dir.join(scenario))
    }

    /// Every entry, by scenario directory, then seed, then file name; a missing directory is
    /// an empty corpus. A leftover seed list (`*.txt`) is an error, so old entries cannot be
    /// skipped silently.
    pub fn load_all(&self) -> Result<Vec<(PathBuf, Entry)>, CorpusError> {
        let mut all = Vec::new();
        for path in list(&self.dir)? {
            if path.extension().is_some_and(|e| e == "txt") {
                return Err(CorpusError::Legacy(path));
            }
            if !path.is_dir() {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            all.extend(self.load(name)?);
        }
        Ok(all)
    }

    /// The entries of one scenario, by seed then file name; a missing directory is empty.
    pub fn load(&self, scenario: &str) -> Result<Vec<(PathBuf, Entry)>, CorpusError> {
        let dir = self.scenario_dir(scenario)?;
        let mut entries = Vec::new();
        for path in list(&dir)? {
            if path.extension().is_some_and(|e| e == "json") && !is_hidden(&path) {
                let entry = read_entry(&path)?;
                if entry.scenario != scenario {
                    return Err(CorpusError::Inconsistent {
                        path,
                        why: format!(
                            "scenario {:?} in the directory of {scenario:?}",
                            entry.scenario
                        ),
                    });
                }
                entries.push((path, entry));
            }
        }
        entries.sort_by(|a, b| (a.1.seed, &a.0).cmp(&(b.1.seed, &b.0)));
        Ok(entries)
    }

    /// Adds a finding of `plan` (see the module docs): under the corpus lock, returns the file
    /// that already holds the same plan, or writes `<seed>.json` (`<seed>-2.json`, … when that
    /// name is taken by another plan) atomically.
    pub fn record(&self, plan: &Plan, reason: &str) -> Result<Recorded, CorpusError> {
        let dir = self.scenario_dir(&plan.scenario)?;
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let lock_path = self.dir.join(".lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        lock.lock().map_err(io_err(&lock_path))?;
        // Held until `lock` is dropped at the end of this function.
        for (path, existing) in self.load(&plan.scenario)? {
            if existing.plan == *plan {
                return Ok(Recorded::Already(path));
            }
        }
        let entry = Entry::new(plan, reason);
        let mut text =
            serde_json::to_string_pretty(&entry).map_err(|source| CorpusError::Malformed {
                path: dir.clone(),
                source,
            })?;
        text.push('\n');
        let path = (1..)
            .map(|n| {
                dir.join(if n == 1 {
                    format!("{}.json", plan.seed)
                } else {
                    format!("{}-{n}.json", plan.seed)
                })
            })
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join(format!("{}.json", plan.seed)));
        let tmp = dir.join(format!(".{}.{}.tmp", plan.seed, std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // Make the rename itself durable where directories can be synced.
            if let Ok(d) = fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&path)(e));
        }
        drop(lock);
        Ok(Recorded::Added(path))
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// A directory's entries, sorted; a missing directory is empty.
fn list(dir: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut paths = Vec::new();
    for entry in read {
        paths.push(entry.map_err(io_err(dir))?.path());
    }
    paths.sort();
    Ok(paths)
}

/// Reads and checks one entry file: it parses, its seed and scenario agree with its plan's,
/// and its plan is valid.
pub fn read_entry(path: &Path) -> Result<Entry, CorpusError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let entry: Entry = serde_json::from_str(&text).map_err(|source| CorpusError::Malformed {
        path: path.to_path_buf(),
        source,
    })?;
    if entry.plan.seed != entry.seed || entry.plan.scenario != entry.scenario {
        return Err(CorpusError::Inconsistent {
            path: path.to_path_buf(),
            why: format!(
                "the entry says {} seed {} but its plan is {} seed {}",
                entry.scenario, entry.seed, entry.plan.scenario, entry.plan.seed
            ),
        });
    }
    entry
        .plan
        .validate()
        .map_err(|source| CorpusError::InvalidPlan {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(entry)
}

/// A plan from text that is either a plan (`plan.json`) or a corpus entry.
pub fn read_plan(text: &str) -> Result<Plan, PlanError> {
    if let Ok(entry) = serde_json::from_str::<Entry>(text) {
        entry.plan.validate()?;
        return Ok(entry.plan);
    }
    Plan::from_json(text)
}

fn check_name(scenario: &str) -> Result<(), CorpusError> {
    let ok = !scenario.is_empty()
        && scenario
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CorpusError::BadScenarioName(scenario.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn plan(seed: u64) -> Plan {
        plan_of(catalog::find("partition").unwrap(), seed).unwrap()
    }

    #[test]
    fn record_writes_one_file_per_finding_and_skips_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::new(dir.path().join("reg"));
        let first = c.record(&plan(5), "first\nline").unwrap();
        assert!(matches!(&first, Recorded::Added(p) if p.ends_with("partition/5.json")));
        assert_eq!(
            c.record(&plan(5), "again").unwrap(),
            Recorded::Already(first.path().to_path_buf())
        );
        // Another plan of the same seed (a hand edit, a shrink) gets its own name.
        let mut other = plan(5);
        other.workload.duration_ms += 1;
        let second = c.record(&other, "").unwrap();
        assert!(second.path().ends_with("partition/5-2.json"));
        let all = c.load_all().unwrap();
        assert_eq!(all.len(), 2);
        let (_, first_entry) = all.iter().find(|(p, _)| p == first.path()).unwrap();
        assert_eq!(first_entry.reason, "first line");
        assert_eq!(first_entry.plan, plan(5));
        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(dir.path().join("reg/partition"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
    }

    #[test]
    fn drift_names_the_first_difference() {
        let s = catalog::find("partition").unwrap();
        let mut e = Entry::new(&plan(7), "x");
        assert_eq!(e.drift(s), None);
        e.plan.workload.clients += 1;
        let d = e.drift(s).unwrap().unwrap();
        assert_eq!(d.path, "workload.clients");
        e.generator = GENERATOR.wrapping_sub(1);
        assert_eq!(
            e.drift(s),
            None,
            "an older generator's plans are expected to drift"
        );
    }

    #[test]
    fn read_plan_takes_a_plan_or_an_entry() {
        let p = plan(3);
        assert_eq!(read_plan(&p.to_json()).unwrap(), p);
        let e = serde_json::to_string(&Entry::new(&p, "r")).unwrap();
        assert_eq!(read_plan(&e).unwrap(), p);
        assert!(read_plan("{}").is_err());
    }
}
