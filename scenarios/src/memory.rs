//! Memory sizes and resident memory: parsing `--memory-limit` values such as `4GiB`, `512MiB`
//! or `2G` into bytes (a typed error, like `duration`), and reading a process's resident set
//! size, which the seed watchdog compares with the limit. RSS is read from
//! `/proc/<pid>/status` (Linux); elsewhere it is unknown and the memory limit is not enforced
//! (the watchdog says so once).

use std::fmt;

use thiserror::Error;

/// Why a size was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SizeError {
    #[error("size {0:?}: expected a number and a unit, e.g. 512MiB, 4GiB, 2G")]
    Malformed(String),
    #[error("size {spec:?}: unknown unit {unit:?} (use B, K, KiB, M, MiB, G, GiB, T, TiB)")]
    UnknownUnit { spec: String, unit: String },
    #[error("size {0:?}: too large")]
    Overflow(String),
    #[error("size {0:?}: must be positive")]
    Zero(String),
}

/// A number of bytes, printed in the largest binary unit that keeps it readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        let (v, unit) = if self.0 >= 1 << 30 {
            (b / f64::from(1u32 << 30), "GiB")
        } else if self.0 >= 1 << 20 {
            (b / f64::from(1u32 << 20), "MiB")
        } else if self.0 >= 1 << 10 {
            (b / 1024.0, "KiB")
        } else {
            return write!(f, "{} B", self.0);
        };
        write!(f, "{v:.1} {unit}")
    }
}

/// Parses `<integer><unit>`; units are binary (`K`/`KiB` = 1024, `M`/`MiB`, `G`/`GiB`,
/// `T`/`TiB`; `B` or no unit = bytes).
pub fn parse_size(s: &str) -> Result<Bytes, SizeError> {
    let spec = s.trim();
    let digits = spec
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(spec.len());
    if digits == 0 {
        return Err(SizeError::Malformed(spec.to_string()));
    }
    let n: u64 = spec[..digits]
        .parse()
        .map_err(|_| SizeError::Overflow(spec.to_string()))?;
    let unit = spec[digits..].trim();
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(SizeError::UnknownUnit {
                spec: spec.to_string(),
                unit: unit.to_string(),
            });
        }
    };
    let bytes = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| SizeError::Overflow(spec.to_string()))?;
    if bytes == 0 {
        return Err(SizeError::Zero(spec.to_string()));
    }
    Ok(Bytes(bytes))
}

/// The resident set size of process `pid`, or `None` where it cannot be read.
pub fn rss_of(pid: u32) -> Option<u64> {
    read_rss(&format!("/proc/{pid}/status"))
}

/// The resident set size of this process, or `None` where it cannot be read.
pub fn rss_self() -> Option<u64> {
    read_rss("/proc/self/status")
}

fn read_rss(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(Bytes(512 << 20)));
        assert_eq!(parse_size("4GiB"), Ok(Bytes(4 << 30)));
        assert_eq!(parse_size("2G"), Ok(Bytes(2 << 30)));
        assert_eq!(parse_size("100"), Ok(Bytes(100)));
        assert!(matches!(parse_size("x"), Err(SizeError::Malformed(_))));
        assert!(matches!(
            parse_size("4 parsecs"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(parse_size("0G"), Err(SizeError::Zero(_))));
        assert!(matches!(
            parse_size("99999999999T"),
            Err(SizeError::Overflow(_))
        ));
        assert_eq!(Bytes(3 << 29).to_string(), "1.5 GiB");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_resident_set() {
        assert!(rss_self().is_some_and(|b| b > 0));
        assert!(rss_of(std::process::id()).is_some());
    }
}
