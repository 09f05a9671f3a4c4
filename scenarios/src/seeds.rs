//! `SeedRange`: which seeds a command runs, parsed from `--seeds`.
//!
//! `N` means the first N seeds, `1..=N` (seed 0 is left out so that "seed 1" is the first seed
//! everywhere, as `FAULTLINE_SEEDS` counts them); `A..B` is half-open and `A..=B` inclusive, as
//! in Rust. A malformed or empty range is a [`SeedSpecError`], never a panic.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A non-empty, contiguous range of seeds, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedRange {
    first: u64,
    last: u64,
}

/// Why a `--seeds` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SeedSpecError {
    #[error("seeds {0:?}: expected N (the first N seeds), A..B or A..=B")]
    Malformed(String),
    #[error("seeds {spec:?}: {part:?} is not a non-negative integer")]
    NotANumber { spec: String, part: String },
    #[error("seeds {0:?}: the range is empty")]
    Empty(String),
}

impl SeedRange {
    /// `first..=last`; `None` when `first > last`.
    pub fn inclusive(first: u64, last: u64) -> Option<Self> {
        (first <= last).then_some(SeedRange { first, last })
    }

    /// The first `n` seeds, `1..=n`; `None` for `n == 0`.
    pub fn first_n(n: u64) -> Option<Self> {
        Self::inclusive(1, n)
    }

    pub fn first(&self) -> u64 {
        self.first
    }

    pub fn last(&self) -> u64 {
        self.last
    }

    /// How many seeds the range holds (saturating at `u64::MAX` for the full range).
    pub fn len(&self) -> u64 {
        (self.last - self.first).saturating_add(1)
    }

    /// Always false: an empty range cannot be built.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The seeds in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + use<> {
        self.first..=self.last
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.first, self.last)
    }
}

impl FromStr for SeedRange {
    type Err = SeedSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let spec = s.trim();
        let num = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| SeedSpecError::NotANumber {
                    spec: spec.to_string(),
                    part: part.to_string(),
                })
        };
        if spec.is_empty() {
            return Err(SeedSpecError::Malformed(spec.to_string()));
        }
        let range = if let Some((a, b)) = spec.split_once("..=") {
            Self::inclusive(num(a)?, num(b)?)
        } else if let Some((a, b)) = spec.split_once("..") {
            let (a, b) = (num(a)?, num(b)?);
            b.checked_sub(1).and_then(|last| Self::inclusive(a, last))
        } else if spec.contains('.') {
            return Err(SeedSpecError::Malformed(spec.to_string()));
        } else {
            Self::first_n(num(spec)?)
        };
        range.ok_or_else(|| SeedSpecError::Empty(spec.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(s: &str) -> Vec<u64> {
        s.parse::<SeedRange>().unwrap().iter().collect()
    }

    #[test]
    fn forms() {
        assert_eq!(seeds("3"), vec![1, 2, 3]);
        assert_eq!(seeds("5..8"), vec![5, 6, 7]);
        assert_eq!(seeds("5..=8"), vec![5, 6, 7, 8]);
        assert_eq!(seeds(" 0..1 "), vec![0]);
        assert_eq!(
            "0..=18446744073709551615"
                .parse::<SeedRange>()
                .unwrap()
                .len(),
            u64::MAX
        );
    }

    #[test]
    fn errors() {
        use SeedSpecError::*;
        let err = |s: &str| s.parse::<SeedRange>().unwrap_err();
        assert!(matches!(err("0"), Empty(_)));
        assert!(matches!(err("5..5"), Empty(_)));
        assert!(matches!(err("9..3"), Empty(_)));
        assert!(matches!(err("0..0"), Empty(_)));
        assert!(matches!(err(""), Malformed(_)));
        assert!(matches!(err("1...3"), NotANumber { .. }));
        assert!(matches!(err("1.5"), Malformed(_)));
        assert!(matches!(err("-3"), NotANumber { .. }));
        assert!(matches!(err("a..b"), NotANumber { .. }));
        assert!(matches!(err("99999999999999999999"), NotANumber { .. }));
    }
}
