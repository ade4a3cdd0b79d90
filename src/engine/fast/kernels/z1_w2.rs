//! z1·W2 + b2: the output layer's scores, before the softmax.
//!
//! ```text
//! a2[s, c] = Σ_{j < h} z1[s, j] · W2[j, c] + b2[c]
//! z1: (n, hp),  W2: (h, k) of the padded (hp, k),  b2: (k,)  →  a2: (n, k)
//! ```
//!
//! Each score adds its h terms in unit order, multiplied then added (no
//! fused multiply-add), at every level: the vector version only runs a few
//! samples' sums side by side.

use super::Level;
use super::float::Float;
#[cfg(target_arch = "x86_64")]
use super::vector::Vector;

/// W2 and b2 as the output layer reads them: `h` rows of `k` numbers (the
/// hidden layer padded to `hp` units in z1, whose padding has no row here).
#[derive(Clone, Copy)]
pub(crate) struct W2<'a, F> {
    /// W2: (h, k), row j for hidden unit j (at least h rows).
    pub(crate) w: &'a [F],
    /// b2: (k,).
    pub(crate) b: &'a [F],
    /// Hidden units that count (the network's h).
    pub(crate) h: usize,
    /// Numbers per row of z1.
    pub(crate) hp: usize,
    /// Classes.
    pub(crate) k: usize,
}

impl<F: Float> W2<'_, F> {
    /// a2 = z1·W2 + b2 for the `n` samples of `z1` (rows of hp), into `a2`
    /// (rows of k), at kernel level `level`: as [`Self::output`] does,
    /// number for number, with the classes in vector registers (up to 16 of
    /// them) and a few samples at a time, so their sums run side by side.
    #[inline(always)]
    pub(crate) fn rows(&self, level: Level, z1: &[F], n: usize, a2: &mut [F]) {
        let (hp, k) = (self.hp, self.k);
        assert!(z1.len() >= n * hp && a2.len() >= n * k);
        let f32 = std::mem::size_of::<F>() == 4;
        assert!(
            level.supported(),
            "{level:?} kernels on a processor without them"
        );
        // In each arm: rows in bounds (asserted), k ≤ 16 = R·V::N lanes
        // (checked), and the processor has the level's instructions
        // (asserted).
        match level {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: see above.
            Level::Avx512 if k <= 16 && f32 => unsafe {
                self.output_group::<F::Zmm, 4, 1>(z1, n, a2)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: see above.
            Level::Avx512 if k <= 16 => unsafe { self.output_group::<F::Zmm, 4, 2>(z1, n, a2) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: see above.
            Level::Avx2 if k <= 16 && f32 => unsafe {
                self.output_group::<F::Ymm, 2, 2>(z1, n, a2)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: see above.
            Level::Avx2 if k <= 16 => unsafe { self.output_group::<F::Ymm, 2, 4>(z1, n, a2) },
            _ => {
                for s in 0..n {
                    self.output(&z1[s * hp..][..hp], &mut a2[s * k..][..k]);
                }
            }
        }
    }

    /// [`Self::rows`] with registers: Q samples at a time, R
    /// registers of classes each (R·V::N ≥ k).
    ///
    /// # Safety
    /// `z1` must hold n rows of hp and `a2` n rows of k, k ≤ R·V::N, and the
    /// processor must have V's instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn output_group<V: Vector<F>, const Q: usize, const R: usize>(
        &self,
        z1: &[F],
        n: usize,
        a2: &mut [F],
    ) {
        let (h, hp, k) = (self.h, self.hp, self.k);
        let (zp, wp, bp, ap) = (
            z1.as_ptr(),
            self.w.as_ptr(),
            self.b.as_ptr(),
            a2.as_mut_ptr(),
        );
        // Lanes of register `i`: those of the k classes it holds.
        let lanes = |i: usize| k.saturating_sub(i * V::N).min(V::N);
        // SAFETY: (the whole body) the caller's; rows s < n, units j < h ≤ hp,
        // classes below k through `lanes`.
        unsafe {
            let zero = V::splat(F::ZERO);
            let mut s0 = 0;
            while s0 < n {
                let q_n = Q.min(n - s0);
                let mut acc = [[zero; R]; Q];
                for j in 0..h {
                    let mut w = [zero; R];
                    for i in 0..R {
                        // Registers past the k classes stay zero (and their
                        // addresses, which may lie past W2, are not formed).
                        if i * V::N < k {
                            w[i] = V::load_first(wp.add(j * k + i * V::N), lanes(i));
                        }
                    }
                    for q in 0..Q {
                        // Rows past n are read as row s0 (never stored).
                        let z = V::splat(*zp.add((s0 + q.min(q_n - 1)) * hp + j));
                        for i in 0..R {
                            acc[q][i] = V::add(acc[q][i], V::mul(z, w[i]));
                        }
                    }
                }
                for q in 0..q_n {
                    for i in 0..R {
                        if i * V::N < k {
                            let b = V::load_first(bp.add(i * V::N), lanes(i));
                            let out = ap.add((s0 + q) * k + i * V::N);
                            V::add(acc[q][i], b).store_first(out, lanes(i));
                        }
                    }
                }
                s0 += Q;
            }
        }
    }

    /// a2 = z1·W2 + b2 for one sample (`z1`: hp wide).
    #[inline(always)]
    pub(crate) fn output(&self, z1: &[F], a2: &mut [F]) {
        let k = self.k;
        let a2 = &mut a2[..k];
        a2.fill(F::ZERO);
        for (j, &z) in z1[..self.h].iter().enumerate() {
            let row = &self.w[j * k..][..k];
            for c in 0..k {
                a2[c] += z * row[c];
            }
        }
        for (a, &b) in a2.iter_mut().zip(&self.b[..k]) {
            *a += b;
        }
    }
}
