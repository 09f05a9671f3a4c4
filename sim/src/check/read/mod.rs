//! Readers for recorded histories, one file per format, all producing the project's key-value
//! [`History`]: `edn-kv` (Porcupine's key-value test data), `jepsen-log` (Jepsen's
//! `jepsen.util` log lines), `jepsen-edn` (Jepsen's `history.edn`) and `json` (this project's
//! serde format). Malformed input is a [`ReadError`] naming the line and what was expected
//! ([`read_history_file`] adds the file); readers never panic. `edn` is the small EDN reader
//! `jepsen-edn` is built on.

mod edn;
mod edn_kv;
mod jepsen_edn;
mod jepsen_log;
mod json;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use thiserror::Error;

use crate::history::{History, HistoryError};

pub use edn_kv::read_edn_kv;
pub use jepsen_edn::{EdnDialect, Unwritable, read_jepsen_edn, write_jepsen_edn};
pub use jepsen_log::read_jepsen_log;
pub use json::{read_json, write_jsonl};

/// Input that is not a history in the expected format. Line numbers start at 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    #[error("line {line}: expected {expected}, found {found:?}")]
    Syntax {
        line: usize,
        expected: String,
        found: String,
    },
    /// The message includes the history error's, so it is not chained as a source too.
    #[error("line {line}: {error}")]
    History { line: usize, error: HistoryError },
    #[error("line {line}: invalid JSON history entry: {message}")]
    Json { line: usize, message: String },
    /// Well-formed, but outside what the models can check (e.g. an unsupported `:f`).
    #[error("line {line}: {what}")]
    Unsupported { line: usize, what: String },
}

impl ReadError {
    pub(crate) fn syntax(
        line: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        let mut found: String = found.into();
        if found.len() > 80 {
            let cut = (0..=80)
                .rev()
                .find(|&i| found.is_char_boundary(i))
                .unwrap_or(0);
            found.truncate(cut);
            found.push('…');
        }
        ReadError::Syntax {
            line,
            expected: expected.into(),
            found,
        }
    }

    /// The 1-based line the error is on.
    pub fn line(&self) -> usize {
        match self {
            ReadError::Syntax { line, .. }
            | ReadError::History { line, .. }
            | ReadError::Json { line, .. }
            | ReadError::Unsupported { line, .. } => *line,
        }
    }
}

/// What a history's times count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Nanoseconds (Jepsen's `:time`).
    Nanos,
    /// Line numbers of the file.
    Lines,
    /// Whatever unit the file's author used.
    Given,
}

/// A history file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    EdnKv,
    JepsenLog,
    JepsenEdn,
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::EdnKv,
        Format::JepsenLog,
        Format::JepsenEdn,
        Format::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::EdnKv => "edn-kv",
            Format::JepsenLog => "jepsen-log",
            Format::JepsenEdn => "jepsen-edn",
            Format::Json => "json",
        }
    }

    /// Parses `text` in this format, saying what its times count.
    pub fn read_timed(self, text: &str) -> Result<(History, Clock), ReadError> {
        match self {
            Format::EdnKv => Ok((read_edn_kv(text)?, Clock::Lines)),
            Format::JepsenLog => Ok((read_jepsen_log(text)?, Clock::Lines)),
            Format::JepsenEdn => jepsen_edn::read_timed(text),
            Format::Json => Ok((read_json(text)?, Clock::Given)),
        }
    }

    /// Parses `text` in this format.
    pub fn read(self, text: &str) -> Result<History, ReadError> {
        match self {
            Format::EdnKv => read_edn_kv(text),
            Format::JepsenLog => read_jepsen_log(text),
            Format::JepsenEdn => read_jepsen_edn(text),
            Format::Json => read_json(text),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown format name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown history format {0:?} (expected edn-kv, jepsen-log, jepsen-edn or json)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// A history file that could not be read: the file, and the line when the text is at fault.
#[derive(Debug, Error)]
pub enum HistoryFileError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a {format} history: {error}", path.display())]
    Format {
        path: PathBuf,
        format: Format,
        error: ReadError,
    },
}

impl HistoryFileError {
    /// The file.
    pub fn path(&self) -> &Path {
        match self {
            HistoryFileError::Io { path, .. } | HistoryFileError::Format { path, .. } => path,
        }
    }

    /// The 1-based line at fault, when the text is.
    pub fn line(&self) -> Option<usize> {
        match self {
            HistoryFileError::Io { .. } => None,
            HistoryFileError::Format { error, .. } => Some(error.line()),
        }
    }
}

/// Reads and parses the history file at `path`.
pub fn read_history_file(path: &Path, format: Format) -> Result<History, HistoryFileError> {
    read_history_file_timed(path, format).map(|(h, _)| h)
}

/// [`read_history_file`], also saying what the history's times count.
pub fn read_history_file_timed(
    path: &Path,
    format: Format,
) -> Result<(History, Clock), HistoryFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| HistoryFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    format
        .read_timed(&text)
        .map_err(|error| HistoryFileError::Format {
            path: path.to_path_buf(),
            format,
            error,
        })
}
