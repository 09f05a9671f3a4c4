//! A small EDN reader, enough for the histories Jepsen writes: `nil`, booleans, numbers
//! (kept as their literal text), strings, characters, keywords, symbols, vectors, lists, maps,
//! sets, tagged values (`#jepsen.history.Op{…}` reads as the map it tags), `;` comments and
//! `#_` discards. Commas are whitespace. Errors name the line they are on; nothing panics.

use super::ReadError;

/// One EDN value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edn {
    Nil,
    Bool(bool),
    /// An integer or float, as written (a trailing `N` or `M` dropped).
    Number(String),
    Str(String),
    Char(char),
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    List(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
    Set(Vec<Edn>),
}

impl Edn {
    /// The value under keyword `:name`, for a map.
    pub(crate) fn get(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries.iter().find_map(|(k, v)| match k {
                Edn::Keyword(n) if n == name => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The elements of a vector or list.
    pub(crate) fn items(&self) -> Option<&[Edn]> {
        match self {
            Edn::Vector(v) | Edn::List(v) => Some(v),
            _ => None,
        }
    }

    /// How the value reads in an error message (cut short).
    pub(crate) fn describe(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        if out.len() > 100 {
            return;
        }
        match self {
            Edn::Nil => out.push_str("nil"),
            Edn::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Edn::Number(n) => out.push_str(n),
            Edn::Str(s) => out.push_str(&format!("{s:?}")),
            Edn::Char(c) => out.push_str(&format!("\\{c}")),
            Edn::Keyword(k) => {
                out.push(':');
                out.push_str(k);
            }
            Edn::Symbol(s) => out.push_str(s),
            Edn::Vector(items) | Edn::List(items) | Edn::Set(items) => {
                let (open, close) = match self {
                    Edn::Vector(_) => ("[", "]"),
                    Edn::List(_) => ("(", ")"),
                    _ => ("#{", "}"),
                };
                out.push_str(open);
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write(out);
                }
                out.push_str(close);
            }
            Edn::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write(out);
                    out.push(' ');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Reads EDN values one after another from a text, tracking lines.
pub(crate) struct Reader<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

/// Nesting deeper than this is refused (a history op is a few levels deep).
const MAX_DEPTH: usize = 64;

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | ';')
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The line the reader is on (1-based).
    pub(crate) fn line(&self) -> usize {
        self.line
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn rest(&self) -> &'a str {
        let r = &self.text[self.pos..];
        r.lines().next().unwrap_or(r)
    }

    fn error(&self, expected: &str) -> ReadError {
        let found = if self.pos >= self.text.len() {
            "end of input".to_string()
        } else {
            self.rest().to_string()
        };
        ReadError::syntax(self.line, expected, found)
    }

    /// Skips whitespace, commas, comments and `#_` discarded forms.
    pub(crate) fn skip_space(&mut self) -> Result<(), ReadError> {
        self.skip(0)
    }

    /// `skip_space` inside `depth` levels of nesting (a discarded form counts as one more).
    fn skip(&mut self, depth: usize) -> Result<(), ReadError> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() || c == ',' => {
                    self.bump();
                }
                Some(';') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                Some('#') if self.text[self.pos..].starts_with("#_") => {
                    self.bump();
                    self.bump();
                    self.value(depth + 1)?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Whether only whitespace and comments are left.
    pub(crate) fn at_end(&mut self) -> Result<bool, ReadError> {
        self.skip_space()?;
        Ok(self.pos >= self.text.len())
    }

    /// The next character, if it is `c` (consumed).
    pub(crate) fn eat(&mut self, c: char) -> Result<bool, ReadError> {
        self.skip_space()?;
        if self.peek() == Some(c) {
            self.bump();
            return Ok(true);
        }
        Ok(false)
    }

    /// The next value and the line it starts on.
    pub(crate) fn next_value(&mut self) -> Result<(Edn, usize), ReadError> {
        self.skip_space()?;
        let line = self.line;
        Ok((self.value(0)?, line))
    }

    fn value(&mut self, depth: usize) -> Result<Edn, ReadError> {
        if depth > MAX_DEPTH {
            return Err(self.error("data nested at most 64 levels deep"));
        }
        self.skip(depth)?;
        let Some(c) = self.peek() else {
            return Err(self.error("a value"));
        };
        match c {
            '[' => {
                self.bump();
                Ok(Edn::Vector(self.seq(']', depth)?))
            }
            '(' => {
                self.bump();
                Ok(Edn::List(self.seq(')', depth)?))
            }
            '{' => {
                self.bump();
                let items = self.seq('}', depth)?;
                if items.len() % 2 != 0 {
                    return Err(self.error("a map with a value for every key"));
                }
                let mut entries = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                Ok(Edn::Map(entries))
            }
            '"' => self.string(),
            '\\' => {
                self.bump();
                let word = self.token();
                let ch = match word {
                    "newline" => '\n',
                    "space" => ' ',
                    "tab" => '\t',
                    "return" => '\r',
                    w => {
                        let mut chars = w.chars();
                        match (chars.next(), chars.next()) {
                            (Some(c), None) => c,
                            _ => return Err(self.error("a character after `\\`")),
                        }
                    }
                };
                Ok(Edn::Char(ch))
            }
            ':' => {
                self.bump();
                let word = self.token();
                if word.is_empty() {
                    return Err(self.error("a keyword name after `:`"));
                }
                Ok(Edn::Keyword(word.to_string()))
            }
            '#' => {
                self.bump();
                match self.peek() {
                    Some('{') => {
                        self.bump();
                        Ok(Edn::Set(self.seq('}', depth)?))
                    }
                    Some(c) if c.is_alphabetic() => {
                        // A tagged value: the tag is dropped, the value read.
                        let _tag = self.token();
                        self.value(depth + 1)
                    }
                    _ => Err(self.error("a set `#{…}`, a tagged value or `#_`")),
                }
            }
            ')' | ']' | '}' => Err(self.error("a value")),
            _ => {
                let word = self.token();
                if word.is_empty() {
                    return Err(self.error("a value"));
                }
                Ok(atom(word))
            }
        }
    }

    /// Values up to `close` (consumed).
    fn seq(&mut self, close: char, depth: usize) -> Result<Vec<Edn>, ReadError> {
        let mut items = Vec::new();
        loop {
            self.skip(depth + 1)?;
            match self.peek() {
                None => return Err(self.error(&format!("`{close}` closing what was opened"))),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(')' | ']' | '}') => {
                    return Err(self.error(&format!("`{close}` closing what was opened")));
                }
                Some(_) => items.push(self.value(depth + 1)?),
            }
        }
    }

    /// Characters up to the next delimiter.
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.bump();
        }
        &self.text[start..self.pos]
    }

    fn string(&mut self) -> Result<Edn, ReadError> {
        let start_line = self.line;
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(ReadError::syntax(
                        start_line,
                        "a closing `\"`",
                        "end of input",
                    ));
                }
                Some('"') => return Ok(Edn::Str(s)),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some(c) => s.push(c),
                    None => {
                        return Err(ReadError::syntax(
                            start_line,
                            "a closing `\"`",
                            "end of input",
                        ));
                    }
                },
                Some(c) => s.push(c),
            }
        }
    }
}

/// A bare word: `nil`, `true`, `false`, a number, or a symbol.
fn atom(word: &str) -> Edn {
    match word {
        "nil" => Edn::Nil,
        "true" => Edn::Bool(true),
        "false" => Edn::Bool(false),
        _ => {
            let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
            if digits.starts_with(|c: char| c.is_ascii_digit()) {
                let n = word.strip_suffix(['N', 'M']).unwrap_or(word);
                Edn::Number(n.strip_prefix('+').unwrap_or(n).to_string())
            } else {
                Edn::Symbol(word.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<Vec<(Edn, usize)>, ReadError> {
        let mut r = Reader::new(text);
        let mut out = Vec::new();
        while !r.at_end()? {
            out.push(r.next_value()?);
        }
        Ok(out)
    }

    #[test]
    fn values_read_with_their_lines() {
        let v = read_all(
            "{:type :invoke, :f :txn, :value [[:append 3 1] [:r 4 nil]], :process 0}\n\
             ; a comment\n#_ {:ignored true}\n\
             #jepsen.history.Op{:index 7, :error \"a \\\"b\\\"\", :s #{1 2}, :n -3N, :x 1.5}\n",
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1, 1);
        assert_eq!(v[1].1, 4);
        assert_eq!(v[0].0.get("f"), Some(&Edn::Keyword("txn".into())));
        assert_eq!(
            v[0].0.get("value").unwrap().describe(),
            "[[:append 3 1] [:r 4 nil]]"
        );
        assert_eq!(v[1].0.get("error"), Some(&Edn::Str("a \"b\"".into())));
        assert_eq!(v[1].0.get("n"), Some(&Edn::Number("-3".into())));
        assert_eq!(v[1].0.get("x"), Some(&Edn::Number("1.5".into())));
    }

    #[test]
    fn malformed_input_names_its_line() {
        for (text, line) in [
            ("{:a 1}\n{:a [1 2}\n", 2),
            ("{:a 1}\n\n{:a \"open\n", 3),
            ("{:a}", 1),
            ("{:a 1}\n)", 2),
            ("#<Object>", 1),
        ] {
            let err = read_all(text).expect_err(text);
            assert_eq!(err.line(), line, "{text:?}: {err}");
        }
        let deep = "[".repeat(100);
        assert!(read_all(&deep).is_err());
        let discards = "#_[".repeat(100);
        assert!(read_all(&discards).is_err());
    }
}
