//! Seeded, portable randomness: `np.random.randn` and `np.random.choice`.
//!
//! Every run of manabi is reproducible: the same seed and the same build give
//! the same weights, the same mini-batches and so the same history, bit for
//! bit. The generator is Xoshiro256++ (a published algorithm whose output does
//! not change between crate releases, unlike `StdRng`), seeded through
//! SplitMix64. The two distributions the chapter needs are written out here
//! rather than borrowed, so their results are pinned too:
//!
//! | NumPy | here |
//! | --- | --- |
//! | `np.random.seed(s)` | [`Rng::new`] |
//! | `np.random.randn(a, b)` | [`Rng::randn`] (Box–Muller) |
//! | `np.random.choice(n, k)` | [`Rng::choice`] (with replacement) |
//! | `np.random.permutation(n)` | [`Rng::permutation`] (Fisher–Yates) |

use ndarray::Array2;
use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// A seeded random number generator with the few draws the chapter uses.
///
/// ```
/// let mut a = manabi::random::Rng::new(7);
/// let mut b = manabi::random::Rng::new(7);
/// assert_eq!(a.choice(60_000, 100), b.choice(60_000, 100));
/// ```
#[derive(Debug, Clone)]
pub struct Rng {
    inner: Xoshiro256PlusPlus,
    /// Box–Muller makes normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            inner: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform number u in [0, 1): the top 53 bits of a draw, scaled by
    /// 2⁻⁵³ (the book's `np.random.rand()`).
    ///
    /// ```
    /// let mut rng = manabi::random::Rng::new(1);
    /// assert!((0..1000).map(|_| rng.uniform()).all(|u| (0.0..1.0).contains(&u)));
    /// ```
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n`, without bias (Lemire's multiply-and-reject).
    ///
    /// `n` must be at least 1.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below needs n ≥ 1");
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            // Reject the few draws that would make small values more likely.
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// A standard normal number, N(0, 1), by the Box–Muller transform:
    /// z = √(−2 ln u₁) · cos(2π u₂) (and sin for the next call).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 − uniform() lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        // libm's ln, sin and cos rather than the system C library's: the same
        // bits on every platform, the browser's build included.
        let r = (-2.0 * libm::log(u1)).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare_normal = Some(r * libm::sin(theta));
        r * libm::cos(theta)
    }

    /// `np.random.randn(rows, cols)`: a matrix of N(0, 1) numbers, row by row.
    ///
    /// ```
    /// let w = manabi::random::Rng::new(0).randn(784, 50);
    /// let mean = w.mean().unwrap();
    /// assert!(mean.abs() < 0.01);
    /// ```
    pub fn randn(&mut self, rows: usize, cols: usize) -> Array2<f64> {
        Array2::from_shape_simple_fn((rows, cols), || self.standard_normal())
    }

    /// `np.random.choice(n, size)`: `size` indices drawn from `0..n` *with
    /// replacement* (the same sample may appear twice in one mini-batch).
    ///
    /// ```
    /// // A mini-batch of 100 of 8,004 training images.
    /// let batch_mask = manabi::random::Rng::new(42).choice(8004, 100);
    /// assert_eq!(batch_mask.len(), 100);
    /// assert!(batch_mask.iter().all(|&i| i < 8004));
    /// ```
    pub fn choice(&mut self, n: usize, size: usize) -> Vec<usize> {
        (0..size).map(|_| self.below(n)).collect()
    }

    /// `np.random.permutation(n)`: `0..n` in random order (Fisher–Yates).
    ///
    /// ```
    /// let mut p = manabi::random::Rng::new(3).permutation(10);
    /// p.sort();
    /// assert_eq!(p, (0..10).collect::<Vec<_>>());
    /// ```
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    #[test]
    fn normals_have_unit_variance() {
        let mut rng = Rng::new(2);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.standard_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(3).permutation(1000);
        assert_ne!(p, (0..1000).collect::<Vec<_>>());
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_stream_is_pinned() {
        // Xoshiro256++ seeded by SplitMix64 is a published algorithm; if these
        // change, every recorded run stops being reproducible.
        let mut rng = Rng::new(DEFAULT_SEED);
        let first: Vec<usize> = rng.choice(60_000, 4);
        let again: Vec<usize> = Rng::new(DEFAULT_SEED).choice(60_000, 4);
        assert_eq!(first, again);
        let mut other = Rng::new(DEFAULT_SEED + 1);
        assert_ne!(first, other.choice(60_000, 4));
    }
}
