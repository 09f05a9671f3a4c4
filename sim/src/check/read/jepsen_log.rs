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
//! Fields are process, type, function and value, separated by any run of whitespace (tabs or
//! spaces, as Porcupine's reader accepts); the value is the rest of the line (`[4 0]` holds a
//! space). The `INFO jepsen.util -` prefix is optional: a line with it is a history line (and
//! an error if it does not parse), and so is a line without it that starts like one
//! (`<process> :<type>`); every other line (other loggers, worker start-up) is skipped, and so
//! are the nemesis's own lines (process `:nemesis`). An event's time is its line number.
//! Meaning:
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

const MARKER: &str = "jepsen.util";

/// The history part of a log line: what follows `jepsen.util -`, or the whole line when it
/// starts like a history line (`<process> :<type>`); `None` for any other line.
fn history_part(raw: &str) -> Option<&str> {
    if let Some(at) = raw.find(MARKER) {
        let after = raw[at + MARKER.len()..].trim_start();
        if let Some(rest) = after.strip_prefix('-')
            && rest.starts_with(char::is_whitespace)
        {
            return Some(rest.trim());
        }
    }
    let line = raw.trim();
    let mut words = line.split_whitespace();
    let (first, second) = (words.next()?, words.next()?);
    let process = first == ":nemesis" || first.bytes().all(|b| b.is_ascii_digit());
    (process && second.starts_with(':')).then_some(line)
}

/// Up to three whitespace-separated fields, then the rest of the text (trimmed) if any.
fn split_fields(s: &str) -> Vec<&str> {
    let mut fields = Vec::with_capacity(4);
    let mut rest = s.trim_start();
    while fields.len() < 3 && !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        fields.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    if !rest.is_empty() {
        fields.push(rest.trim_end());
    }
    fields
}

/// Parses a Jepsen log.
pub fn read_jepsen_log(text: &str) -> Result<History, ReadError> {
    let mut builder: HistoryBuilder = HistoryBuilder::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some(part) = history_part(raw) else {
            continue;
        };
        let fields = split_fields(part);
        if fields.first() == Some(&":nemesis") {
            continue;
        }
        if fields.len() < 3 {
            return Err(ReadError::syntax(
                line,
                "<process> :<type> :<function> <value>",
                part,
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
