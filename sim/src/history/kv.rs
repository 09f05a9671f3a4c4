//! The project's key-value call and result vocabulary, shared by the register, CAS-register and
//! append-KV models and by every history reader.
//!
//! `key: None` is a single-object history (a Jepsen register log has no keys).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a client asked for: a function and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case")]
pub enum Call {
    /// Read the value (a register read, or an append-KV `get`).
    Read {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// Set the value (a register write, or an append-KV `put`).
    Write {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        value: String,
    },
    /// Remove the value: later reads see none.
    Delete {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// Compare-and-set: if the value is `from`, set it to `to`.
    Cas {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        from: String,
        to: String,
    },
    /// Append `value` to the string held (append-KV).
    Append {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        value: String,
    },
}

impl Call {
    /// The key the call addresses (`None` for a single-object history).
    pub fn key(&self) -> Option<&str> {
        match self {
            Call::Read { key }
            | Call::Write { key, .. }
            | Call::Delete { key }
            | Call::Cas { key, .. }
            | Call::Append { key, .. } => key.as_deref(),
        }
    }

    /// The function's name, as the readers and the CLI spell it.
    pub fn function(&self) -> &'static str {
        match self {
            Call::Read { .. } => "read",
            Call::Write { .. } => "write",
            Call::Delete { .. } => "delete",
            Call::Cas { .. } => "cas",
            Call::Append { .. } => "append",
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match self.key() {
            Some(k) => format!("[{k:?}]"),
            None => String::new(),
        };
        match self {
            Call::Read { .. } => write!(f, "read{key}"),
            Call::Write { value, .. } => write!(f, "write{key} {value:?}"),
            Call::Delete { .. } => write!(f, "delete{key}"),
            Call::Cas { from, to, .. } => write!(f, "cas{key} {from:?}->{to:?}"),
            Call::Append { value, .. } => write!(f, "append{key} {value:?}"),
        }
    }
}

/// What an `ok` call returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ret {
    /// A write, delete or append acknowledged.
    Done,
    /// A read's value (`None`: the key held nothing).
    Read(Option<String>),
    /// Whether a compare-and-set applied (`false`: the value differed from `from`).
    Cas(bool),
}

impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ret::Done => write!(f, "done"),
            Ret::Read(Some(v)) => write!(f, "{v:?}"),
            Ret::Read(None) => write!(f, "none"),
            Ret::Cas(applied) => write!(f, "{}", if *applied { "applied" } else { "differed" }),
        }
    }
}
