//! Text rendering of reports and counterexamples, for the CLI and for logs.
//!
//! A counterexample shows the tail of the longest linearizable prefix (the operations just
//! before the failure are the ones that explain it), the state after it, and each operation
//! that could not be placed next with its interval.

use std::fmt;

use super::verdict::{
    Counterexample, Exhausted, OpSummary, PartitionReport, PartitionVerdict, Report, StuckReason,
    Verdict,
};

/// How many prefix operations a counterexample shows by default.
pub const PREFIX_TAIL: usize = 12;

impl fmt::Display for OpSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let complete = self.complete.map_or("…".to_string(), |c| c.to_string());
        let ret = self.ret.as_deref().unwrap_or("?");
        write!(
            f,
            "#{} p{} [{}, {}] {} -> {}",
            self.index, self.process, self.invoke, complete, self.call, ret
        )
    }
}

impl Counterexample {
    /// Renders with at most `tail` prefix operations (the last ones).
    pub fn render(&self, tail: usize) -> String {
        let mut s = String::new();
        let n = self.prefix.len();
        s.push_str(&format!(
            "key {:?}: longest linearizable prefix has {n} operations",
            self.key
        ));
        if n > tail {
            s.push_str(&format!(" (last {tail} shown)"));
        }
        s.push('\n');
        for op in &self.prefix[n.saturating_sub(tail)..] {
            s.push_str(&format!("    {op}\n"));
        }
        s.push_str(&format!("  state after it: {}\n", self.state));
        s.push_str("  could not be placed next:\n");
        for stuck in &self.stuck {
            let why = match stuck.reason {
                StuckReason::Illegal => "illegal in that state",
                StuckReason::DeadEnd => "legal, but nothing can follow",
            };
            s.push_str(&format!("    {}  ({why})\n", stuck.op));
        }
        s
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(PREFIX_TAIL))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Ok => "ok",
            Verdict::Illegal => "illegal",
            Verdict::Unknown => "unknown",
        })
    }
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exhausted::Steps { limit } => write!(f, "step budget of {limit} exhausted"),
            Exhausted::Memory { limit_bytes } => {
                write!(f, "memory budget of {limit_bytes} bytes exhausted")
            }
            Exhausted::Time { limit_ms } => write!(f, "time budget of {limit_ms} ms exhausted"),
        }
    }
}

impl fmt::Display for PartitionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.verdict {
            PartitionVerdict::Ok { .. } => "ok".to_string(),
            PartitionVerdict::Illegal { .. } => "illegal".to_string(),
            PartitionVerdict::Unknown { exhausted } => format!("unknown ({exhausted})"),
            PartitionVerdict::Skipped => "skipped".to_string(),
        };
        write!(
            f,
            "key {:?}: {what} — {} ops, {} steps, {} memo entries, ~{} KiB",
            self.key,
            self.ops,
            self.stats.steps,
            self.stats.memo_entries,
            self.stats.memo_bytes.div_ceil(1024)
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({} model, {} keys, {} decided)",
            self.verdict,
            self.model,
            self.partitions.len(),
            self.decided()
        )?;
        for p in &self.partitions {
            writeln!(f, "  {p}")?;
        }
        for c in self.counterexamples() {
            write!(f, "{c}")?;
        }
        Ok(())
    }
}
