//! The book's functions (`common/functions.py`) as the fast engine computes
//! them, a row of a batch at a time.
//!
//! ```text
//! z = h(a)                    sigmoid 1 / (1 + e⁻ᵃ), or ReLU max(0, a), element-wise
//! y = softmax(a)              exp(a − max a) / Σ exp(a − max a), per row of k
//! ℓ = −log(y_t + δ)           δ = 1e-7, one sample's share of the cross-entropy
//! ```
//!
//! Everything here is `#[inline(always)]`: compiled into the kernel that
//! calls it, with that kernel's vector instructions.

use crate::functions::CROSS_ENTROPY_DELTA;
use crate::two_layer_net::Activation;

use super::kernels::float::Float;

/// z = h(a): sigmoid or ReLU, element-wise.
#[inline(always)]
pub(crate) fn activate<F: Float>(activation: Activation, a: &[F], z: &mut [F]) {
    let z = &mut z[..a.len()];
    match activation {
        Activation::Sigmoid => {
            for (z, &a) in z.iter_mut().zip(a) {
                *z = F::ONE / (F::ONE + (-a).exp());
            }
        }
        Activation::Relu => {
            for (z, &a) in z.iter_mut().zip(a) {
                // `a <= 0` as the book's mask, so a NaN passes through.
                *z = if a <= F::ZERO { F::ZERO } else { a };
            }
        }
    }
}

/// y = softmax(a), in place: exp(a − max a) / Σ exp(a − max a).
#[inline(always)]
pub(crate) fn softmax<F: Float>(a: &mut [F]) {
    let mut max = a[0];
    for &v in a.iter() {
        if v > max {
            max = v;
        }
    }
    let mut sum = F::ZERO;
    for v in a.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in a.iter_mut() {
        *v = *v / sum;
    }
}

/// Samples side by side in [`softmax_rows`]: one AVX-512 register of f32.
pub(crate) const LANES: usize = 16;

/// Classes [`softmax_rows`] takes side by side; rows wider than this go
/// one at a time.
pub(crate) const MAX_CLASSES: usize = 16;

/// How many of `n` rows of `k` numbers go side by side, [`LANES`] at a
/// time (the rest, and rows wider than [`MAX_CLASSES`], go one by one).
#[inline(always)]
pub(crate) fn side_by_side(n: usize, k: usize) -> usize {
    if (1..=MAX_CLASSES).contains(&k) {
        n / LANES * LANES
    } else {
        0
    }
}

/// [`softmax`] of each of the `n` rows of `k` scores in `y`, in place,
/// number for number as row by row — for [`LANES`] rows at a time, each
/// row in a lane of its own: the same steps in the same order for every
/// row, so they run side by side in vector registers instead of one
/// class at a time (a row of 10 fills a register badly, and its running
/// sum chains every step to the one before).
///
#[inline(always)]
pub(crate) fn softmax_rows<F: Float>(y: &mut [F], n: usize, k: usize) {
    let y = &mut y[..n * k];
    let (block, rest) = y.split_at_mut(side_by_side(n, k) * k);
    for rows in block.chunks_exact_mut(LANES * k) {
        // Class c of row j at t[c][j].
        let mut t = [[F::ZERO; LANES]; MAX_CLASSES];
        for j in 0..LANES {
            for c in 0..k {
                t[c][j] = rows[j * k + c];
            }
        }
        let mut max = t[0];
        for c in 0..k {
            for j in 0..LANES {
                if t[c][j] > max[j] {
                    max[j] = t[c][j];
                }
            }
        }
        let mut sum = [F::ZERO; LANES];
        for c in 0..k {
            for j in 0..LANES {
                t[c][j] = (t[c][j] - max[j]).exp();
                sum[j] += t[c][j];
            }
        }
        for j in 0..LANES {
            for c in 0..k {
                rows[j * k + c] = t[c][j] / sum[j];
            }
        }
    }
    for row in rest.chunks_exact_mut(k.max(1)) {
        softmax(row);
    }
}

/// −log(y_t + δ), δ = 1e-7 (the book's): one sample's share of the
/// cross-entropy.
#[inline(always)]
pub(crate) fn cross_entropy<F: Float>(y: &[F], t: usize) -> F {
    -(y[t] + F::from_f64(CROSS_ENTROPY_DELTA)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows side by side give the bits of one row at a time: over widths
    /// up to and past the side-by-side limit, counts that leave remainders,
    /// and scores from tiny to overflowing, with ties and a NaN.
    fn softmax_rows_match<F: Float>() {
        let mut rng = crate::random::Rng::new(5);
        for &k in &[1, 2, 10, 16, 17] {
            for &n in &[0, 1, 15, 16, 17, 50] {
                let mut y: Vec<F> = (0..n * k)
                    .map(|_| {
                        let u = rng.uniform();
                        F::from_f64((u - 0.5) * [1.0, 30.0, 2000.0][(u * 3.0) as usize])
                    })
                    .collect();
                if n * k > 3 {
                    y[1] = y[0];
                    y[n * k - 2] = F::from_f64(f64::NAN);
                }
                let mut one = y.clone();
                softmax_rows(&mut y, n, k);
                for row in one.chunks_exact_mut(k) {
                    softmax(row);
                }
                let bits = |v: &[F]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&one), "{} k {k} n {n}", F::NAME);
            }
        }
    }

    #[test]
    fn softmax_rows_equal_softmax_per_row() {
        softmax_rows_match::<f32>();
        softmax_rows_match::<f64>();
    }
}
