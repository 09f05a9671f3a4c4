//! Reader and writer for Jepsen's `history.edn`: one map per operation (modern Jepsen writes
//! one per line; older versions wrap them all in one vector, which reads the same), e.g.
//!
//! ```text
//! {:index 0, :time 1033, :type :invoke, :process 0, :f :write, :value 3}
//! {:index 1, :time 2210, :type :ok, :process 0, :f :write, :value 3}
//! {:index 2, :time 2304, :type :invoke, :process 1, :f :txn, :value [[:append 5 1]]}
//! ```
//!
//! What maps onto this project's models:
//!
//! - register and CAS register (`:read`, `:write v`, `:cas [from to]`), single-register or,
//!   as `jepsen.independent` writes them, keyed by a `[key value]` tuple (`:write [k v]`,
//!   `:cas [k [from to]]`, a read's `[k v]`);
//! - list-append and rw-register transactions of one micro-op, `:f :txn :value [[:append k e]]`
//!   or `[[:r k [e1 e2 …]]]` (`[:w k v]` for a write): an append of element `e` is an append-kv
//!   append of `"e "`, and a read of the list `[e1 e2]` a read of `"e1 e2 "`, so the append-kv
//!   model decides list-append histories exactly. A transaction of several micro-ops does not
//!   split by key and is refused, naming its line, as is any other `:f`.
//!
//! `:type` is `:invoke`, `:ok`, `:fail` (no effect; a failed read constrains nothing, like an
//! `:info` one) or `:info` (unknown: open to the end of the history). The nemesis's operations
//! (`:process :nemesis`) are skipped. Times are the operations' `:time` (ns) when the first
//! operation has one, else line numbers; they must not go backwards.

use std::collections::BTreeMap;

use thiserror::Error;

use super::edn::{Edn, Reader};
use super::{Clock, ReadError};
use crate::history::{Call, History, HistoryBuilder, Outcome, ProcessId, Ret, Time};

/// Parses a Jepsen `history.edn`.
pub fn read_jepsen_edn(text: &str) -> Result<History, ReadError> {
    read_timed(text).map(|(h, _)| h)
}

/// Parses a Jepsen `history.edn`, saying whether its times are `:time` clocks or line numbers.
pub(crate) fn read_timed(text: &str) -> Result<(History, Clock), ReadError> {
    let mut reader = Reader::new(text);
    let mut builder: HistoryBuilder = HistoryBuilder::new();
    let mut state = State::default();
    // Older Jepsen: one vector of every operation.
    let wrapped = reader.eat('[')?;
    loop {
        if wrapped && reader.eat(']')? {
            if !reader.at_end()? {
                return Err(ReadError::syntax(
                    reader.line(),
                    "nothing after the history's closing `]`",
                    "more",
                ));
            }
            break;
        }
        if reader.at_end()? {
            if wrapped {
                return Err(ReadError::syntax(
                    reader.line(),
                    "`]` closing the history",
                    "end of input",
                ));
            }
            break;
        }
        let (op, line) = reader.next_value()?;
        state.op(&mut builder, &op, line)?;
    }
    let clock = if state.clocked == Some(true) {
        Clock::Nanos
    } else {
        Clock::Lines
    };
    Ok((builder.finish(), clock))
}

#[derive(Default)]
struct State {
    /// Whether times come from `:time` (decided by the first operation).
    clocked: Option<bool>,
    last_time: Time,
    /// Per process, the `:f` of its open operation.
    open_f: BTreeMap<ProcessId, String>,
}

fn keyword<'a>(
    op: &'a Edn,
    field: &str,
    line: usize,
    expected: &str,
) -> Result<&'a str, ReadError> {
    match op.get(field) {
        Some(Edn::Keyword(k)) => Ok(k),
        other => Err(ReadError::syntax(line, expected, found(other))),
    }
}

fn found(v: Option<&Edn>) -> String {
    v.map_or_else(|| "nothing (field missing)".to_string(), Edn::describe)
}

/// A scalar as this project's string value; `None` for `nil`.
fn scalar(v: &Edn, line: usize, what: &str) -> Result<Option<String>, ReadError> {
    Ok(Some(match v {
        Edn::Nil => return Ok(None),
        Edn::Number(n) => n.clone(),
        Edn::Str(s) => s.clone(),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Symbol(s) => s.clone(),
        Edn::Bool(b) => b.to_string(),
        Edn::Char(c) => c.to_string(),
        other => {
            return Err(ReadError::syntax(
                line,
                format!("{what} (a number, string or keyword)"),
                other.describe(),
            ));
        }
    }))
}

fn required(v: &Edn, line: usize, what: &str) -> Result<String, ReadError> {
    scalar(v, line, what)?.ok_or_else(|| ReadError::syntax(line, what.to_string(), "nil"))
}

/// A list-append list as the append-kv string: every element followed by a space.
fn list(v: &Edn, line: usize) -> Result<Option<String>, ReadError> {
    match v {
        Edn::Nil => Ok(None),
        Edn::Vector(items) | Edn::List(items) => {
            if items.is_empty() {
                return Ok(None);
            }
            let mut s = String::new();
            for e in items {
                s.push_str(&required(e, line, "a list element")?);
                s.push(' ');
            }
            Ok(Some(s))
        }
        other => scalar(other, line, "a read's value"),
    }
}

/// `[k v]` of `jepsen.independent`, or `None` when `v` is not such a tuple.
fn tuple(v: &Edn) -> Option<(&Edn, &Edn)> {
    match v.items() {
        Some([k, v]) if !matches!(k, Edn::Vector(_) | Edn::List(_) | Edn::Map(_)) => Some((k, v)),
        _ => None,
    }
}

/// What an operation asks and, for an `ok`, what it got.
struct Parsed {
    call: Call,
    ret: Ret,
}

fn unsupported(line: usize, what: impl Into<String>) -> ReadError {
    ReadError::Unsupported {
        line,
        what: what.into(),
    }
}

/// Parses `:f` and `:value` into a call (and the result an `ok` carries).
fn parse_call(f: &str, value: &Edn, line: usize) -> Result<Parsed, ReadError> {
    match f {
        "read" => {
            let (key, v) = match tuple(value) {
                Some((k, v)) => (Some(required(k, line, "a key")?), v),
                None => (None, value),
            };
            Ok(Parsed {
                call: Call::Read { key },
                ret: Ret::Read(scalar(v, line, "a read's value")?),
            })
        }
        "write" => {
            let (key, v) = match tuple(value) {
                Some((k, v)) => (Some(required(k, line, "a key")?), v),
                None => (None, value),
            };
            Ok(Parsed {
                call: Call::Write {
                    key,
                    value: required(v, line, "a :write value")?,
                },
                ret: Ret::Done,
            })
        }
        "cas" => {
            let pair = |v: &Edn| -> Result<(String, String), ReadError> {
                match v.items() {
                    Some([a, b]) => Ok((
                        required(a, line, "a cas `from`")?,
                        required(b, line, "a cas `to`")?,
                    )),
                    _ => Err(ReadError::syntax(line, ":cas [from to]", v.describe())),
                }
            };
            // `[k [from to]]` (independent) or `[from to]`.
            let (key, (from, to)) = match value.items() {
                Some([k, inner @ (Edn::Vector(_) | Edn::List(_))]) => {
                    (Some(required(k, line, "a key")?), pair(inner)?)
                }
                _ => (None, pair(value)?),
            };
            Ok(Parsed {
                call: Call::Cas { key, from, to },
                ret: Ret::Cas(true),
            })
        }
        "txn" => {
            let Some(mops) = value.items() else {
                return Err(ReadError::syntax(
                    line,
                    ":txn [[:append k e]] or [[:r k list]]",
                    value.describe(),
                ));
            };
            let [mop] = mops else {
                return Err(unsupported(
                    line,
                    format!(
                        "a :txn of {} micro-ops (only single-micro-op transactions map onto a \
                         per-key model)",
                        mops.len()
                    ),
                ));
            };
            let Some([Edn::Keyword(kind), k, v]) = mop.items() else {
                return Err(ReadError::syntax(
                    line,
                    "a micro-op [:append k e], [:r k v] or [:w k v]",
                    mop.describe(),
                ));
            };
            let key = Some(required(k, line, "a key")?);
            match kind.as_str() {
                "append" => Ok(Parsed {
                    call: Call::Append {
                        key,
                        value: format!("{} ", required(v, line, "an appended element")?),
                    },
                    ret: Ret::Done,
                }),
                "r" => Ok(Parsed {
                    call: Call::Read { key },
                    ret: Ret::Read(list(v, line)?),
                }),
                "w" => Ok(Parsed {
                    call: Call::Write {
                        key,
                        value: required(v, line, "a written value")?,
                    },
                    ret: Ret::Done,
                }),
                other => Err(unsupported(line, format!("unsupported micro-op :{other}"))),
            }
        }
        other => Err(unsupported(
            line,
            format!(
                "unsupported :f :{other} (expected :read, :write, :cas or a one-micro-op :txn)"
            ),
        )),
    }
}

impl State {
    fn time(&mut self, op: &Edn, line: usize) -> Result<Time, ReadError> {
        let clock = op.get("time");
        let clocked = *self.clocked.get_or_insert(clock.is_some());
        let t = if clocked {
            match clock {
                Some(Edn::Number(n)) => n.parse::<Time>().map_err(|_| {
                    ReadError::syntax(line, ":time <non-negative integer ns>", n.clone())
                })?,
                other => {
                    return Err(ReadError::syntax(
                        line,
                        ":time <ns> (the first operation has one)",
                        found(other),
                    ));
                }
            }
        } else {
            line as Time
        };
        if t < self.last_time {
            return Err(ReadError::syntax(
                line,
                format!(
                    ":time at or after the previous operation's ({})",
                    self.last_time
                ),
                t.to_string(),
            ));
        }
        self.last_time = t;
        Ok(t)
    }

    fn op(&mut self, b: &mut HistoryBuilder, op: &Edn, line: usize) -> Result<(), ReadError> {
        if !matches!(op, Edn::Map(_)) {
            return Err(ReadError::syntax(
                line,
                "an operation map {:type …, :f …, :process …}",
                op.describe(),
            ));
        }
        let process = match op.get("process") {
            Some(Edn::Keyword(_)) => return Ok(()), // :nemesis
            Some(Edn::Number(n)) => n.parse::<ProcessId>().map_err(|_| {
                ReadError::syntax(line, ":process <non-negative integer>", n.clone())
            })?,
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":process <integer> or :nemesis",
                    found(other),
                ));
            }
        };
        let kind = keyword(op, "type", line, ":type :invoke|:ok|:fail|:info")?;
        let f = keyword(op, "f", line, ":f :read|:write|:cas|:txn")?;
        let value = op.get("value").unwrap_or(&Edn::Nil);
        let time = self.time(op, line)?;
        let result = match kind {
            "invoke" => {
                let parsed = parse_call(f, value, line)?;
                self.open_f.insert(process, f.to_string());
                b.invoke(process, parsed.call, time)
            }
            "ok" | "fail" | "info" => {
                if let Some(open) = self.open_f.get(&process)
                    && open != f
                {
                    return Err(ReadError::syntax(
                        line,
                        format!("a completion of the open :{open}"),
                        format!(":{f}"),
                    ));
                }
                self.open_f.remove(&process);
                match kind {
                    "ok" => {
                        let parsed = parse_call(f, value, line)?;
                        // A completion may carry what the invoke left open (a read's key).
                        if let Some(open) = b.open_call(process)
                            && open.function() == parsed.call.function()
                            && open.key() != parsed.call.key()
                            && open.key().is_none()
                        {
                            b.set_open_call(process, parsed.call.clone());
                        }
                        b.ok(process, time, parsed.ret)
                    }
                    // A failed read has an unknown result: it constrains nothing.
                    "fail" if f == "read" => b.info(process, time),
                    "fail" => b.fail(process, time),
                    _ => b.abandon(process, time),
                }
            }
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":type :invoke|:ok|:fail|:info",
                    format!(":{other}"),
                ));
            }
        };
        result.map_err(|error| ReadError::History { line, error })?;
        Ok(())
    }
}

/// How [`write_jepsen_edn`] spells key-value calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdnDialect {
    /// `:read`, `:write`, `:cas` (keyed calls as `jepsen.independent` tuples).
    Register,
    /// One-micro-op `:txn`s: appends of list elements and reads of lists.
    ListAppend,
}

/// A history operation Jepsen's vocabulary has no word for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("operation {index}: {call} has no jepsen-edn form in the {dialect:?} dialect")]
pub struct Unwritable {
    pub index: usize,
    pub call: String,
    pub dialect: EdnDialect,
}

/// An EDN scalar for a history string: an integer when it is one, else a string.
fn edn_scalar(s: &str) -> String {
    match s.parse::<i64>() {
        Ok(n) if n.to_string() == s => s.to_string(),
        _ => format!("{s:?}"),
    }
}

fn keyed(key: Option<&str>, v: String) -> String {
    match key {
        Some(k) => format!("[{} {v}]", edn_scalar(k)),
        None => v,
    }
}

/// Writes `history` as a `history.edn` [`read_jepsen_edn`] reads back to the same verdict:
/// one invoke line per operation and one completion line (none for an `info` that never
/// completed), in time order. A cas that did not apply is written as `:fail`, as Jepsen logs
/// it; a delete has no Jepsen form (an error, as is a call the dialect cannot say).
pub fn write_jepsen_edn(history: &History, dialect: EdnDialect) -> Result<String, Unwritable> {
    // (time, order at that time, op index, line body): completions before invokes, except an
    // operation's own completion at its invoke's time.
    let mut events: Vec<(Time, u8, usize, String)> = Vec::new();
    for (index, op) in history.ops.iter().enumerate() {
        let bad = || Unwritable {
            index,
            call: op.call.to_string(),
            dialect,
        };
        let key = op.call.key();
        let (f, invoke_value) = match (dialect, &op.call) {
            (EdnDialect::Register, Call::Read { .. }) => ("read", keyed(key, "nil".into())),
            (EdnDialect::Register, Call::Write { value, .. }) => {
                ("write", keyed(key, edn_scalar(value)))
            }
            (EdnDialect::Register, Call::Cas { from, to, .. }) => (
                "cas",
                keyed(key, format!("[{} {}]", edn_scalar(from), edn_scalar(to))),
            ),
            (EdnDialect::ListAppend, Call::Append { value, .. }) => (
                "txn",
                format!(
                    "[[:append {} {}]]",
                    edn_scalar(key.ok_or_else(bad)?),
                    edn_scalar(value.trim_end())
                ),
            ),
            (EdnDialect::ListAppend, Call::Read { .. }) => (
                "txn",
                format!("[[:r {} nil]]", edn_scalar(key.ok_or_else(bad)?)),
            ),
            _ => return Err(bad()),
        };
        let line = |kind: &str, value: &str| {
            format!(
                ":type :{kind}, :process {}, :f :{f}, :value {value}",
                op.process
            )
        };
        events.push((op.invoke, 1, index, line("invoke", &invoke_value)));
        let order = |complete: Time| if complete == op.invoke { 2 } else { 0 };
        match &op.outcome {
            Outcome::Ok { complete, ret } => {
                let (kind, value) = match (ret, &op.call) {
                    (Ret::Cas(false), _) => ("fail", invoke_value.clone()),
                    (Ret::Read(v), Call::Read { .. }) => {
                        let v = match (dialect, v) {
                            (_, None) => "nil".to_string(),
                            (EdnDialect::Register, Some(v)) => edn_scalar(v),
                            (EdnDialect::ListAppend, Some(v)) => {
                                let items: Vec<String> =
                                    v.split_whitespace().map(edn_scalar).collect();
                                format!("[{}]", items.join(" "))
                            }
                        };
                        match dialect {
                            EdnDialect::Register => ("ok", keyed(key, v)),
                            EdnDialect::ListAppend => (
                                "ok",
                                format!("[[:r {} {v}]]", edn_scalar(key.unwrap_or_default())),
                            ),
                        }
                    }
                    _ => ("ok", invoke_value.clone()),
                };
                events.push((*complete, order(*complete), index, line(kind, &value)));
            }
            Outcome::Fail { complete } => {
                events.push((
                    *complete,
                    order(*complete),
                    index,
                    line("fail", &invoke_value),
                ));
            }
            Outcome::Info {
                complete: Some(complete),
            } => events.push((
                *complete,
                order(*complete),
                index,
                line("info", &invoke_value),
            )),
            Outcome::Info { complete: None } => {}
        }
    }
    events.sort_by_key(|(t, kind, i, _)| (*t, *kind, *i));
    let mut out = String::new();
    for (n, (time, _, _, body)) in events.iter().enumerate() {
        out.push_str(&format!("{{:index {n}, :time {time}, {body}}}\n"));
    }
    Ok(out)
}
