//! The engine's error type: every way a public call can fail, typed.
//!
//! A call that returns an error other than [`Error::Io`] / [`Error::Poisoned`] has changed
//! nothing. After `Io` on a write path the outcome of that one call is unknown (it may be
//! durable), and the engine is poisoned: it refuses writes until reopened.

use std::path::PathBuf;

use crate::vfs::VfsError;

/// Result alias for engine calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The disk failed. On a write path the engine has poisoned itself (see
    /// [`Error::Poisoned`]); on `open` nothing acknowledged was changed, and opening again may
    /// succeed.
    #[error("disk error: {0}")]
    Io(#[from] VfsError),

    /// A sync (or a write whose outcome is unknown) failed earlier, so data the engine wrote may
    /// have been dropped by the OS. Writes are refused until the database is reopened, which
    /// rebuilds state from what is actually durable.
    #[error(
        "engine refuses writes until reopened: an earlier write or sync failed and data may have been lost ({cause})"
    )]
    Poisoned { cause: String },
    /// A write was staged (`Database::stage_replicated`) and not settled: the next write would
    /// order itself before it. A caller's mistake, not bad input.
    #[error("a staged write must be settled before the next write")]
    Unsettled,

    #[error("unknown collection {name:?}")]
    UnknownCollection { name: String },
    #[error("unknown collection id {id}")]
    UnknownCollectionId { id: u64 },
    #[error("collection {name:?} already exists")]
    DuplicateCollection { name: String },
    #[error("collection id {id} already exists")]
    DuplicateCollectionId { id: u64 },
    #[error("invalid collection name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("invalid descriptor: {reason}")]
    InvalidDescriptor { reason: String },

    #[error("vector has dimension {found}, collection expects {expected}")]
    DimensionMismatch { expected: u32, found: usize },
    #[error("vector component {index} is not finite")]
    NonFiniteVector { index: usize },
    #[error("vector encoding is {len} bytes, not a whole number of little-endian f32s")]
    BadVectorEncoding { len: usize },
    #[error("payload is {size} bytes, the limit is {max}")]
    PayloadTooLarge { size: usize, max: usize },
    #[error("payload is not valid JSON: {reason}")]
    InvalidPayload { reason: String },
    #[error("invalid search: {reason}")]
    InvalidSearch { reason: String },
    #[error("batch encodes to {size} bytes, the WAL record limit is {max}")]
    BatchTooLarge { size: usize, max: usize },

    /// Bytes carry a format version this build does not understand.
    #[error("unsupported {what} version {found} (this build reads version {supported})")]
    UnsupportedVersion {
        what: &'static str,
        found: u8,
        supported: u8,
    },
    /// Bytes that passed no checksum, or that do not decode.
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    /// Durable state that recovery cannot use without risking a wrong answer.
    #[error("corrupt database at {}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
}

impl Error {
    /// True if the call failed because of its input (nothing changed, retrying is pointless).
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self,
            Error::Io(_) | Error::Poisoned { .. } | Error::Corrupt { .. } | Error::Unsettled
        )
    }
}
