//! Readers for recorded histories, one file per format, all producing the project's key-value
//! [`History`]: `edn-kv` (Porcupine's key-value test data), `jepsen-log` (Jepsen's
//! `jepsen.util` log lines) and `json` (this project's serde format). Malformed input is a
//! [`ReadError`] naming the line and what was expected; readers never panic.

mod edn_kv;
mod jepsen_log;
mod json;

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::history::{History, HistoryError};

pub use edn_kv::read_edn_kv;
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
            | ReadError::Json { line, .. } => *line,
        }
    }
}

/// A history file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    EdnKv,
    JepsenLog,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::EdnKv, Format::JepsenLog, Format::Json];

    pub fn name(self) -> &'static str {
        match self {
            Format::EdnKv => "edn-kv",
            Format::JepsenLog => "jepsen-log",
            Format::Json => "json",
        }
    }

    /// Parses `text` in this format.
    pub fn read(self, text: &str) -> Result<History, ReadError> {
        match self {
            Format::EdnKv => read_edn_kv(text),
            Format::JepsenLog => read_jepsen_log(text),
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
#[error("unknown history format {0:?} (expected edn-kv, jepsen-log or json)")]
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
