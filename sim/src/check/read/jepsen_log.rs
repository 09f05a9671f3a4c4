//! Reader for Jepsen's `jepsen.util` history log lines (register and CAS-register tests),
//! shown here with the tabs between fields written as `→`:
//!
//! ```text
//! INFO  jepsen.util - 3 → :invoke → :cas → [4 0]
//! INFO  jepsen.util - 3 → :fail → :cas → [4 0]
//! INFO  jepsen.util - 2 → :ok → :read → nil
//! INFO  jepsen.util - 14 → :info → :write → :timed-out
//! ```
//!
//! Fields after `jepsen.util - ` are tab-separated: process, type, function, value. Lines
//! without `jepsen.util - ` (other loggers, worker start-up) are skipped; a line with it that
//! does not parse is an error. An event's time is its line number. Meaning:
//!
//! - `:read`: the invoke's value is ignored; an `:ok` value is what was read (`nil`: nothing).
//!   A `:fail` or `:info` read (e.g. `:timed-out`) has an unknown result and constrains nothing.
//! - `:write v`; `:cas [a b]` (set to `b` if the value is `a`).
//! - `:fail` means the operation had no effect (a cas that did not apply is logged this way),
//!   so it is dropped; `:info` leaves the operation open to the end of the history: it may
//!   take effect at any later time, or never.
//!
//! Histories have no keys (single register).

use crate::history::{Call, History, HistoryBuilder, ProcessId, Ret};

use super::ReadError;

const MARKER: &str = "jepsen.util - ";

/// Parses a Jepsen log.
pub fn read_jepsen_log(text: &str) -> Result<History, ReadError> {
    let mut builder: HistoryBuilder = HistoryBuilder::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(at) = raw.find(MARKER) else { continue };
        let fields: Vec<&str> = raw[at + MARKER.len()..]
            .trim_end()
            .split('\t')
            .map(str::trim)
            .collect();
        if fields.len() < 3 {
            return Err(ReadError::syntax(
                line,
                "<process>\\t:<type>\\t:<function>\\t<value>",
                &raw[at..],
            ));
        }
        let process: ProcessId = fields[0].parse().map_err(|_| {
            ReadError::syntax(line, "a process number after `jepsen.util - `", fields[0])
        })?;
        let value = fields.get(3).copied().unwrap_or("nil");
        let time = line as u64;
        let f = fields[2];
        let result = match fields[1] {
            ":invoke" => {
                let call = match f {
                    ":read" => Call::Read { key: None },
                    ":write" => Call::Write {
                        key: None,
                        value: scalar(line, value)?,
                    },
                    ":cas" => {
                        let (from, to) = pair(line, value)?;
                        Call::Cas {
                            key: None,
                            from,
                            to,
                        }
                    }
                    other => {
                        return Err(ReadError::syntax(
                            line,
                            "function :read, :write or :cas",
                            other,
                        ));
                    }
                };
                builder.invoke(process, call, time)
            }
            ":ok" => {
                let ret = match f {
                    ":read" if value == "nil" => Ret::Read(None),
                    ":read" => Ret::Read(Some(scalar(line, value)?)),
                    ":write" => Ret::Done,
                    ":cas" => Ret::Cas(true),
                    other => {
                        return Err(ReadError::syntax(
                            line,
                            "function :read, :write or :cas",
                            other,
                        ));
                    }
                };
                builder.ok(process, time, ret)
            }
            // A failed read has an unknown result, like an indeterminate one: it constrains
            // nothing, and `info` keeps that meaning without claiming "no effect".
            ":fail" if f == ":read" => builder.info(process, time),
            ":fail" => builder.fail(process, time),
            // Left open: its effect, if any, may come at any later time.
            ":info" => builder.abandon(process, time),
            other => {
                return Err(ReadError::syntax(
                    line,
                    "type :invoke, :ok, :fail or :info",
                    other,
                ));
            }
        };
        result.map_err(|error| ReadError::History { line, error })?;
    }
    Ok(builder.finish())
}

/// A register value: anything but `nil` or a vector.
fn scalar(line: usize, v: &str) -> Result<String, ReadError> {
    if v.is_empty() || v == "nil" || v.starts_with('[') || v.starts_with(':') {
        return Err(ReadError::syntax(line, "a value", v));
    }
    Ok(v.trim_matches('"').to_string())
}

/// A cas argument `[a b]`.
fn pair(line: usize, v: &str) -> Result<(String, String), ReadError> {
    let inner = v
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| ReadError::syntax(line, "a cas argument [from to]", v))?;
    let parts: Vec<&str> = inner.split_whitespace().collect();
    match parts.as_slice() {
        [from, to] => Ok((scalar(line, from)?, scalar(line, to)?)),
        _ => Err(ReadError::syntax(line, "a cas argument [from to]", v)),
    }
}
