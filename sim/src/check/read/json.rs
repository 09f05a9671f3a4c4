//! Reader and writer for this project's own history format: JSON Lines, one serde-encoded
//! [`Operation`] per line (blank lines skipped), e.g.
//!
//! ```text
//! {"process":0,"call":{"f":"write","key":"a","value":"1"},"invoke":0,"outcome":{"type":"ok","complete":3,"ret":"done"}}
//! {"process":1,"call":{"f":"read","key":"a"},"invoke":1,"outcome":{"type":"ok","complete":4,"ret":{"read":"1"}}}
//! {"process":2,"call":{"f":"cas","key":"a","from":"1","to":"2"},"invoke":2,"outcome":{"type":"info"}}
//! ```
//!
//! A file whose first non-blank character is `[` is read as one JSON array of operations
//! instead (errors then name the line serde reports).

use crate::history::{History, Operation};

use super::ReadError;

/// Parses a JSON Lines (or JSON array) history.
pub fn read_json(text: &str) -> Result<History, ReadError> {
    if text.trim_start().starts_with('[') {
        let ops: Vec<Operation> = serde_json::from_str(text).map_err(|e| ReadError::Json {
            line: e.line(),
            message: e.to_string(),
        })?;
        return Ok(History::new(ops));
    }
    let mut ops = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let op: Operation = serde_json::from_str(raw).map_err(|e| ReadError::Json {
            line: i + 1,
            message: e.to_string(),
        })?;
        ops.push(op);
    }
    Ok(History::new(ops))
}

/// Writes `history` as JSON Lines, the format [`read_json`] reads.
pub fn write_jsonl(history: &History) -> String {
    let mut out = String::new();
    for op in &history.ops {
        // Serialising these plain types cannot fail.
        out.push_str(&serde_json::to_string(op).unwrap_or_default());
        out.push('\n');
    }
    out
}
