//! The simulated disk's own source of randomness: a seeded SplitMix64.
//!
//! `SimVfs` must be reproducible from a seed without any simulator dependency, so it carries
//! this tiny generator instead of asking a runtime. SplitMix64 is enough: fault decisions need
//! speed and reproducibility, not cryptographic quality. The algorithm is Vigna's public-domain
//! SplitMix64 (the seeding generator of the xoshiro family).

/// A seeded 64-bit pseudo-random generator. `Clone` so a forked disk continues the same stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A stream for another authority of the same disk, independent of `new(seed)`: seeded
    /// with the first output of SplitMix64 on `seed ^ salt`. Each authority (faults, latency,
    /// crash outcomes) has its own salt, so drawing from one never shifts another.
    pub fn derived(seed: u64, salt: u64) -> Self {
        Self::new(Self::new(seed ^ salt).next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)` (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (clamped to `[0, 1]`). Draws nothing when `p <= 0`, so a
    /// disabled fault does not shift the stream of the enabled ones.
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 || p.is_nan() {
            return false;
        }
        self.next_f64() < p
    }

    /// A uniform integer in `[0, n)`; `n` must be > 0. (Modulo bias is irrelevant here.)
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.next_u64() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn floats_are_in_unit_interval_and_chance_respects_extremes() {
        let mut r = SplitMix64::new(1);
        for _ in 0..10_000 {
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
        assert!(!r.chance(0.0));
        assert!(r.chance(1.0));
    }
}
