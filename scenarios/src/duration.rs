//! Parsing `--duration` values such as `1h`, `90s`, `1h30m` or `250ms` into a `Duration`.
//! A campaign's length is wall-clock time, so this is a CLI concern with a typed error.

use std::time::Duration;

use thiserror::Error;

/// Why a duration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("duration {0:?}: expected a number and a unit, e.g. 90s, 30m, 1h30m, 250ms")]
    Malformed(String),
    #[error("duration {spec:?}: unknown unit {unit:?} (use ms, s, m, h or d)")]
    UnknownUnit { spec: String, unit: String },
    #[error("duration {0:?}: too long")]
    Overflow(String),
    #[error("duration {0:?}: must be positive")]
    Zero(String),
}

/// Parses a sequence of `<integer><unit>` parts; units are `ms`, `s`, `m`, `h`, `d`.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let spec = s.trim();
    let malformed = || DurationError::Malformed(spec.to_string());
    if spec.is_empty() {
        return Err(malformed());
    }
    let mut total_ms: u64 = 0;
    let mut rest = spec;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(malformed());
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Overflow(spec.to_string()))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let ms_per = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(malformed()),
            other => {
                return Err(DurationError::UnknownUnit {
                    spec: spec.to_string(),
                    unit: other.to_string(),
                });
            }
        };
        total_ms = n
            .checked_mul(ms_per)
            .and_then(|ms| total_ms.checked_add(ms))
            .ok_or_else(|| DurationError::Overflow(spec.to_string()))?;
    }
    if total_ms == 0 {
        return Err(DurationError::Zero(spec.to_string()));
    }
    Ok(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
    }

    #[test]
    fn errors() {
        use DurationError::*;
        assert!(matches!(parse_duration(""), Err(Malformed(_))));
        assert!(matches!(parse_duration("10"), Err(Malformed(_))));
        assert!(matches!(parse_duration("h"), Err(Malformed(_))));
        assert!(matches!(parse_duration("-1h"), Err(Malformed(_))));
        assert!(matches!(parse_duration("3 weeks"), Err(UnknownUnit { .. })));
        assert!(matches!(parse_duration("5y"), Err(UnknownUnit { .. })));
        assert!(matches!(parse_duration("0s"), Err(Zero(_))));
        assert!(matches!(
            parse_duration("99999999999999999999d"),
            Err(Overflow(_))
        ));
    }
}
