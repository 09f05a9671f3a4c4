//! Comparing two runs of one plan: the same seed must give the same trace hash, in this
//! process and in a fresh one. A mismatch is a bug in its own right, reported with both
//! traces' first differing line so the source of nondeterminism can be found.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where the second run of a comparison happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayKind {
    /// A second run in this process (on its own fresh thread, like the first).
    InProcess,
    /// A run in a freshly spawned `faultline` process.
    FreshProcess,
}

impl fmt::Display for ReplayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplayKind::InProcess => "in-process replay",
            ReplayKind::FreshProcess => "fresh-process replay",
        })
    }
}

/// Two runs of one plan that did not produce the same trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub replay: ReplayKind,
    pub first_hash: String,
    pub second_hash: String,
    /// 1-based number of the first line that differs.
    pub line: usize,
    /// That line in each trace; `None` where a trace had already ended.
    pub first_line: Option<String>,
    pub second_line: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "<end of trace>".into());
        write!(
            f,
            "{}: trace hash {} != {}; first difference at line {}:\n  first:  {}\n  second: {}",
            self.replay,
            self.first_hash,
            self.second_hash,
            self.line,
            show(&self.first_line),
            show(&self.second_line),
        )
    }
}

/// Compares two runs by hash; on a mismatch, finds the first trace line that differs. Equal
/// hashes are trusted (the hash covers the whole trace).
pub fn compare(
    replay: ReplayKind,
    (first_hash, first): (&str, &[String]),
    (second_hash, second): (&str, &[String]),
) -> Option<Mismatch> {
    if first_hash == second_hash {
        return None;
    }
    let len = first.len().max(second.len());
    // Identical traces with different hashes would mean the hash covers more than the trace;
    // then the difference is reported past the last line.
    let i = (0..len)
        .find(|&i| first.get(i) != second.get(i))
        .unwrap_or(len);
    Some(Mismatch {
        replay,
        first_hash: first_hash.to_string(),
        second_hash: second_hash.to_string(),
        line: i + 1,
        first_line: first.get(i).cloned(),
        second_line: second.get(i).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn equal_hashes_match() {
        let t = lines(&["a", "b"]);
        assert_eq!(compare(ReplayKind::InProcess, ("h", &t), ("h", &t)), None);
    }

    #[test]
    fn first_difference_is_reported() {
        let a = lines(&["a", "b", "c"]);
        let b = lines(&["a", "x", "c"]);
        let m = compare(ReplayKind::FreshProcess, ("1", &a), ("2", &b)).unwrap();
        assert_eq!(m.line, 2);
        assert_eq!(m.first_line.as_deref(), Some("b"));
        assert_eq!(m.second_line.as_deref(), Some("x"));
        let short = lines(&["a"]);
        let m = compare(ReplayKind::InProcess, ("1", &a), ("2", &short)).unwrap();
        assert!(m.to_string().contains("<end of trace>"));
        assert_eq!((m.line, m.second_line), (2, None));
    }
}
