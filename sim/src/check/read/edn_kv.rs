//! Reader for Porcupine's key-value histories: one flat EDN map per line,
//!
//! ```text
//! {:process 2, :type :invoke, :f :get, :key "0", :value nil}
//! {:process 2, :type :ok, :f :get, :key "0", :value "x 2 0 y"}
//! ```
//!
//! Line order is real-time order, so an event's time is its line number. `:f` is `:get`
//! (a read; its completion carries the value read), `:put` (a write) or `:append`; `:type` is
//! `:invoke`, `:ok`, `:fail` or `:info`. Blank lines are skipped; map keys may come in any
//! order.

use crate::history::{Call, History, HistoryBuilder, Ret};

use super::ReadError;

/// One EDN scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    Int(u64),
    Keyword(String),
    Str(String),
    Nil,
}

/// Parses a Porcupine key-value history.
pub fn read_edn_kv(text: &str) -> Result<History, ReadError> {
    let mut builder: HistoryBuilder = HistoryBuilder::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let map = parse_map(line, trimmed)?;
        let field = |name: &str| map.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let process = match field("process") {
            Some(Scalar::Int(p)) => *p,
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":process <integer>",
                    describe(other),
                ));
            }
        };
        let kind = keyword(line, field("type"), ":type :invoke|:ok|:fail|:info")?;
        let f = keyword(line, field("f"), ":f :get|:put|:append")?;
        let key = match field("key") {
            Some(Scalar::Str(k)) => Some(k.clone()),
            Some(Scalar::Nil) | None => None,
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":key \"<string>\"",
                    describe(other),
                ));
            }
        };
        let value = match field("value") {
            Some(Scalar::Str(v)) => Some(v.clone()),
            Some(Scalar::Nil) | None => None,
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":value nil or \"<string>\"",
                    describe(other),
                ));
            }
        };
        let need_value = || {
            value
                .clone()
                .ok_or_else(|| ReadError::syntax(line, format!("a string :value for :{f}"), "nil"))
        };
        let time = line as u64;
        if kind != "invoke"
            && let Some(open) = builder.open_call(process)
            && Some(open.function()) != function_of(f)
        {
            return Err(ReadError::syntax(
                line,
                format!("a completion of the open :{}", edn_name(open)),
                format!(":{f}"),
            ));
        }
        let result = match kind {
            "invoke" => {
                let call = match f {
                    "get" => Call::Read { key },
                    "put" => Call::Write {
                        key,
                        value: need_value()?,
                    },
                    "append" => Call::Append {
                        key,
                        value: need_value()?,
                    },
                    other => {
                        return Err(ReadError::syntax(
                            line,
                            ":f :get|:put|:append",
                            format!(":{other}"),
                        ));
                    }
                };
                builder.invoke(process, call, time)
            }
            "ok" => {
                let ret = match f {
                    "get" => Ret::Read(value),
                    "put" | "append" => Ret::Done,
                    other => {
                        return Err(ReadError::syntax(
                            line,
                            ":f :get|:put|:append",
                            format!(":{other}"),
                        ));
                    }
                };
                builder.ok(process, time, ret)
            }
            "fail" => builder.fail(process, time),
            "info" => builder.info(process, time),
            other => {
                return Err(ReadError::syntax(
                    line,
                    ":type :invoke|:ok|:fail|:info",
                    format!(":{other}"),
                ));
            }
        };
        result.map_err(|error| ReadError::History { line, error })?;
    }
    Ok(builder.finish())
}

/// The history function an EDN `:f` names.
fn function_of(f: &str) -> Option<&'static str> {
    match f {
        "get" => Some("read"),
        "put" => Some("write"),
        "append" => Some("append"),
        _ => None,
    }
}

fn edn_name(call: &Call) -> &'static str {
    match call {
        Call::Read { .. } => "get",
        Call::Write { .. } => "put",
        Call::Append { .. } => "append",
        Call::Delete { .. } => "delete",
        Call::Cas { .. } => "cas",
    }
}

fn keyword<'a>(line: usize, v: Option<&'a Scalar>, expected: &str) -> Result<&'a str, ReadError> {
    match v {
        Some(Scalar::Keyword(k)) => Ok(k),
        other => Err(ReadError::syntax(line, expected, describe(other))),
    }
}

fn describe(v: Option<&Scalar>) -> String {
    match v {
        None => "nothing (field missing)".to_string(),
        Some(Scalar::Int(i)) => i.to_string(),
        Some(Scalar::Keyword(k)) => format!(":{k}"),
        Some(Scalar::Str(s)) => format!("{s:?}"),
        Some(Scalar::Nil) => "nil".to_string(),
    }
}

/// Parses `{:k v, :k v, …}` with scalar values.
fn parse_map(line: usize, s: &str) -> Result<Vec<(String, Scalar)>, ReadError> {
    let mut rest = s
        .strip_prefix('{')
        .ok_or_else(|| ReadError::syntax(line, "`{` starting an EDN map", s))?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if let Some(after) = rest.strip_prefix('}') {
            if !after.trim().is_empty() {
                return Err(ReadError::syntax(
                    line,
                    "end of line after `}`",
                    after.trim(),
                ));
            }
            return Ok(out);
        }
        if rest.is_empty() {
            return Err(ReadError::syntax(
                line,
                "`}` closing the map",
                "end of line",
            ));
        }
        let Some(after_colon) = rest.strip_prefix(':') else {
            return Err(ReadError::syntax(line, "a :keyword map key", rest));
        };
        let (name, after) = split_word(after_colon);
        if name.is_empty() {
            return Err(ReadError::syntax(line, "a :keyword map key", rest));
        }
        let after = after.trim_start();
        let (value, after) = parse_scalar(line, after)?;
        out.push((name.to_string(), value));
        rest = after;
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| c.is_whitespace() || c == ',' || c == '}')
        .unwrap_or(s.len());
    s.split_at(end)
}

fn parse_scalar(line: usize, s: &str) -> Result<(Scalar, &str), ReadError> {
    if let Some(body) = s.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((Scalar::Str(value), &body[i + 1..])),
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, e)) => value.push(e),
                    None => break,
                },
                c => value.push(c),
            }
        }
        return Err(ReadError::syntax(line, "a closing `\"`", s));
    }
    if let Some(k) = s.strip_prefix(':') {
        let (word, after) = split_word(k);
        if word.is_empty() {
            return Err(ReadError::syntax(line, "a keyword value", s));
        }
        return Ok((Scalar::Keyword(word.to_string()), after));
    }
    let (word, after) = split_word(s);
    if word == "nil" {
        return Ok((Scalar::Nil, after));
    }
    match word.parse::<u64>() {
        Ok(i) => Ok((Scalar::Int(i), after)),
        Err(_) => Err(ReadError::syntax(
            line,
            "a value (integer, :keyword, \"string\" or nil)",
            s,
        )),
    }
}
