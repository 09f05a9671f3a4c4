//! `SeedRng`: the one source of randomness for plan generation. Every choice a scenario makes
//! (cluster size, timing, which faults, when) is drawn from it, and it is derived from the seed
//! and the scenario's name alone, so the same seed always expands into the same plan.
//!
//! It is the project's one SplitMix64 (`faultline_engine::vfs::rng`), our own code rather than a
//! crate's so that the plans a seed expands into never change with a dependency upgrade: the
//! regression corpus and the plan snapshots depend on that stream staying fixed. The draws built
//! on it (`below` by widening multiply, `range`, `unit`, …) are this file's own for the same reason.

use faultline_engine::fnv::fnv1a;
use faultline_engine::vfs::rng::SplitMix64;

/// A small, fixed, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SeedRng {
    inner: SplitMix64,
}

impl SeedRng {
    /// A generator for `seed`; `stream` separates scenarios, so `partition` and `leader-kill`
    /// with one seed do not share their draws.
    pub fn new(stream: &str, seed: u64) -> Self {
        // FNV-1a over the stream name: stable, and independent of std's hasher keys.
        let mut rng = SeedRng {
            inner: SplitMix64::new(seed ^ fnv1a(stream.as_bytes())),
        };
        // Burn a draw so seeds that differ in one bit already diverge in the first choice.
        rng.next_u64();
        rng
    }

    /// The next raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `0..n`; 0 when `n` is 0. Uses the widening multiply, whose bias (at most
    /// n / 2^64) is irrelevant for plan choices.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (swapped if given backwards).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.next_u64(),
        }
    }

    /// A float uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p.clamp(0.0, 1.0)
    }

    /// One element of a non-empty slice, uniformly; `None` for an empty one.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len() as u64) as usize;
        items.get(i)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A probability rounded to three decimals, in `lo..=hi`: plans print it, and a short
    /// number reads better in a plan than 0.2183467511.
    pub fn prob(&mut self, lo: f64, hi: f64) -> f64 {
        let x = lo + (hi - lo) * self.unit();
        (x * 1000.0).round() / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = {
            let mut r = SeedRng::new("partition", 7);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SeedRng::new("partition", 7);
            (0..8).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut other = SeedRng::new("leader-kill", 7);
        assert_ne!(a[0], other.next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SeedRng::new("t", 1);
        for _ in 0..10_000 {
            let x = r.range(3, 7);
            assert!((3..=7).contains(&x));
            assert!(r.below(5) < 5);
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.range(4, 4), 4);
        let _ = r.range(0, u64::MAX);
        assert!(r.pick::<u8>(&[]).is_none());
    }
}
