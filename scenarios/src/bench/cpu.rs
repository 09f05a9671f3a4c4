//! The process's CPU time (user + system, every thread, live or exited), read from
//! `/proc/self/stat` (Linux only). Its `utime` and `stime` fields count clock ticks; the tick
//! is taken as 1/100 s, the value of `sysconf(_SC_CLK_TCK)` on every Linux platform faultline
//! runs on (asking `sysconf` would take `unsafe` code, which the workspace forbids). The
//! resolution is therefore 10 ms: enough for runs of seconds.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Clock ticks per second of `/proc/self/stat`'s times.
pub const TICKS_PER_SEC: u64 = 100;

/// CPU time this process has used so far.
pub fn process_cpu() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .context("reading /proc/self/stat (the bench measures CPU time on Linux only)")?;
    parse_stat(&stat)
}

/// `utime + stime` of one `/proc/PID/stat` line. The command name (field 2) is in parentheses
/// and may hold spaces, so fields are counted after its closing parenthesis: field 3 is the
/// first there, `utime` is field 14 and `stime` field 15.
pub fn parse_stat(stat: &str) -> Result<Duration> {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        bail!("/proc/self/stat has no command name: {stat:?}");
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64> {
        fields
            .get(n - 3)
            .with_context(|| format!("/proc/self/stat has no field {n}"))?
            .parse::<u64>()
            .with_context(|| format!("/proc/self/stat field {n} is not a number"))
    };
    let ticks = field(14)? + field(15)?;
    Ok(Duration::from_millis(ticks * 1000 / TICKS_PER_SEC))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_command_name() {
        let line = "4242 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_stat(line).unwrap(), Duration::from_millis(1750));
        assert!(parse_stat("garbage").is_err());
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        assert!(process_cpu().is_ok());
    }
}
