//! The regression corpus: `scenarios/regressions/<scenario>.txt`, one seed a line that once
//! failed (or is kept because it once found a bug), with a short reason:
//!
//! ```text
//! # comments and blank lines are allowed
//! 1234 # partition: acked write lost after leader change
//! ```
//!
//! This file owns the format: parsing (a malformed line is a [`CorpusError::Malformed`] naming
//! the file and line), loading every file, and appending a seed. Appends are deduplicated and
//! atomic: the new contents go to a temporary file in the same directory, which is synced and
//! renamed over the old one, so a reader never sees half a line and a crash never loses the
//! corpus.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// One corpus line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seed: u64,
    /// The text after `#`, trimmed; empty when the line has none.
    pub reason: String,
    /// 1-based line number in its file.
    pub line: usize,
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
    #[error("{path}:{line}: {why}: {text:?} (expected `<seed> # <reason>`)")]
    Malformed {
        path: PathBuf,
        line: usize,
        text: String,
        why: &'static str,
    },
    #[error("{0:?} is not a valid scenario file name (lowercase letters, digits and '-')")]
    BadScenarioName(String),
}

/// The corpus directory and its files.
#[derive(Debug, Clone)]
pub struct Corpus {
    dir: PathBuf,
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

    /// The file of one scenario.
    pub fn path(&self, scenario: &str) -> Result<PathBuf, CorpusError> {
        check_name(scenario)?;
        Ok(self.dir.join(format!("{scenario}.txt")))
    }

    /// The seeds of one scenario, in file order, without repeats; a missing file is empty.
    pub fn load(&self, scenario: &str) -> Result<Vec<Entry>, CorpusError> {
        let path = self.path(scenario)?;
        match fs::read_to_string(&path) {
            Ok(text) => parse(&path, &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(CorpusError::Io { path, source }),
        }
    }

    /// Every `<scenario>.txt` in the directory, by scenario name; a missing directory is empty.
    pub fn load_all(&self) -> Result<BTreeMap<String, Vec<Entry>>, CorpusError> {
        let io_err = |source| CorpusError::Io {
            path: self.dir.clone(),
            source,
        };
        let read = match fs::read_dir(&self.dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(io_err(e)),
        };
        let mut all = BTreeMap::new();
        for entry in read {
            let path = entry.map_err(io_err)?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            all.insert(name.to_string(), self.load(name)?);
        }
        Ok(all)
    }

    /// Appends `seed` with `reason` to the scenario's file unless the seed is already there.
    /// Returns whether it was added. The whole file is rewritten through a temporary file and
    /// a rename, so the change is all or nothing; an existing malformed file is an error and
    /// is left untouched.
    pub fn append(&self, scenario: &str, seed: u64, reason: &str) -> Result<bool, CorpusError> {
        let path = self.path(scenario)?;
        let existing = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(CorpusError::Io { path, source }),
        };
        if parse(&path, &existing)?.iter().any(|e| e.seed == seed) {
            return Ok(false);
        }
        let mut contents = existing;
        if !contents.is_empty() && !contents.ends_with('\n') {
            contents.push('\n');
        }
        contents.push_str(&format_line(seed, reason));
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CorpusError::Io { path, source }
        };
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        // The process id keeps two campaigns on one machine from sharing a temporary file.
        let tmp = self
            .dir
            .join(format!(".{scenario}.txt.{}.tmp", std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(contents.as_bytes())?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&tmp)(e));
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&path)(e));
        }
        Ok(true)
    }
}

/// The line `append` writes: the reason is flattened to one line so it cannot break the format.
pub fn format_line(seed: u64, reason: &str) -> String {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        format!("{seed}\n")
    } else {
        format!("{seed} # {reason}\n")
    }
}

/// Parses one corpus file's text; `path` only names the file in errors. Repeated seeds are
/// kept once (the first line wins).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, CorpusError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let (body, reason) = match raw.split_once('#') {
            Some((body, reason)) => (body.trim(), reason.trim()),
            None => (raw.trim(), ""),
        };
        if body.is_empty() {
            // A blank line or a whole-line comment.
            continue;
        }
        let malformed = |why| CorpusError::Malformed {
            path: path.to_path_buf(),
            line,
            text: raw.to_string(),
            why,
        };
        if body.split_whitespace().count() > 1 {
            return Err(malformed("more than one seed before the '#'"));
        }
        let seed: u64 = body
            .parse()
            .map_err(|_| malformed("the seed is not a non-negative integer"))?;
        if entries.iter().all(|e| e.seed != seed) {
            entries.push(Entry {
                seed,
                reason: reason.to_string(),
                line,
            });
        }
    }
    Ok(entries)
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

    #[test]
    fn parses_seeds_reasons_comments_and_blanks() {
        let text = "# header\n\n12 # lost write\n  7\n12 # again\n";
        let e = parse(Path::new("x.txt"), text).unwrap();
        assert_eq!(
            e,
            vec![
                Entry {
                    seed: 12,
                    reason: "lost write".into(),
                    line: 3
                },
                Entry {
                    seed: 7,
                    reason: String::new(),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (text, line) in [("1\nabc # x\n", 2), ("1 2 # two\n", 1), ("-5\n", 1)] {
            match parse(Path::new("dir/p.txt"), text) {
                Err(CorpusError::Malformed { path, line: l, .. }) => {
                    assert_eq!(path, Path::new("dir/p.txt"));
                    assert_eq!(l, line);
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn append_is_deduplicated_and_keeps_the_file_valid() {
        let dir = tempfile::tempdir().unwrap();
        let c = Corpus::new(dir.path().join("reg"));
        assert!(c.append("partition", 5, "first\nline").unwrap());
        assert!(!c.append("partition", 5, "again").unwrap());
        assert!(c.append("partition", 9, "").unwrap());
        let text = fs::read_to_string(c.path("partition").unwrap()).unwrap();
        assert_eq!(text, "5 # first line\n9\n");
        assert_eq!(c.load_all().unwrap()["partition"].len(), 2);
        assert!(matches!(
            c.append("../x", 1, ""),
            Err(CorpusError::BadScenarioName(_))
        ));
    }
}
