//! `PlanError`: every way a plan can be refused — text that is not a plan, or a plan whose
//! values cannot describe a run. A hand-written or corrupted plan file is one of these, never a
//! panic.

use thiserror::Error;

/// A plan that cannot be read or run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The text is not a plan (bad JSON, a missing or unknown field, a wrong type).
    #[error("not a plan (line {line}, column {column}): {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    /// A field holds a value no run can use.
    #[error("invalid plan: {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The plan names a planted bug this build does not know.
    #[error("invalid plan: bug: unknown planted bug {name:?} (known: {known})")]
    UnknownBug { name: String, known: String },
    /// The plan names a planted bug, but this build has none.
    #[error(
        "the plan names planted bug {bug:?}, but this build has no planted bugs: \
         build with `--features planted-bugs`"
    )]
    PlantedBugsNotBuilt { bug: String },
}

impl PlanError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PlanError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<serde_json::Error> for PlanError {
    fn from(e: serde_json::Error) -> Self {
        PlanError::Parse {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}
