//! x·W1 + b1 over the lit pixels of each group of images: the forward
//! pass's big product.
//!
//! ```text
//! a1[s, j] = Σ_{i lit in s's group} (x[s, i] / 255) · W1[i, j] + b1[j]
//! x: (n, d) bytes,  W1: (d, hp),  b1: (hp,)  →  a1: (n, hp)
//! ```
//!
//! The sums are computed in *tiles*: a few images times a few vector
//! registers of hidden units ([`super::vector`]), whose running sums stay in
//! registers while the pixels stream past — 5 images × 64 hidden units of
//! f32 in 20 AVX-512 registers; with AVX2 or 128-bit registers (16 of
//! them), one image × all its units (52 f32 in 13 SSE2 registers). A pixel
//! that is zero in every image of a group is skipped outright — exact, since it would only add zeros — and
//! most pixels are zero (81 % of MNIST, 50 % of Fashion-MNIST): the tiles
//! walk the lists of lit pixels [`Panels`] made beforehand, block by block
//! so that W1's rows come from the L1 cache. Every sum adds its terms in
//! pixel order, as the book's product would, so neither the tile shape nor
//! the vector width ever changes a result; with AVX2, AVX-512 or NEON each
//! term is fused into the sum (one rounding), with SSE2 or simd128 it is
//! multiplied, then added.

use super::float::Float;
use super::panel::{GROUP, Panels};
use super::vector::Vector;
use super::{Level, even_tiles, with_registers};

/// a1 = x·W1 + b1 for the `n` images in `x` (rows of `d` bytes), whose
/// lit pixels `panels` lists, at kernel level `level`; W1 is `d` rows of
/// `hp` numbers, and `a1` gets `n` rows of `hp`.
///
/// Block by block, every group of images through each block of pixels
/// (see [`Panels`]); within a group, tiles of hidden units as wide as the
/// registers allow.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn x_w1<F: Float>(
    level: Level,
    w1: &[F],
    b1: &[F],
    d: usize,
    hp: usize,
    x: &[u8],
    panels: &Panels,
    scale: &[F; 256],
    a1: &mut [F],
) {
    assert!(
        level.supported(),
        "{level:?} kernels on a processor without them"
    );
    let n = panels.n();
    let w = W1 { w: w1, d, hp };
    assert!(panels.d() == d && x.len() >= n * d && a1.len() >= n * hp && b1.len() >= hp);
    // The running sums wait in a1 between blocks: they start at zero,
    // and b1 is added once every pixel is in (the book's x·W1 + b1).
    a1[..n * hp].fill(F::ZERO);
    for b in 0..panels.blocks() {
        for g in 0..n.div_ceil(panels.group_size()) {
            let (lit, images) = (panels.lit(g, b), panels.group(g));
            match level {
                // GROUP × 4 registers of sums on AVX-512 (32 registers),
                // × 2 on AVX2 and at 128 bits (16).
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => w.hidden_group::<F::Zmm, 4>(x, images, lit, scale, a1),
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => w.hidden_group::<F::Ymm, 2>(x, images, lit, scale, a1),
                _ => w.hidden_group::<F::Xmm, 2>(x, images, lit, scale, a1),
            }
        }
    }
    for row in a1[..n * hp].chunks_exact_mut(hp) {
        for (a, &b) in row.iter_mut().zip(b1) {
            *a += b;
        }
    }
}

/// Registers of running sums in a one-image tile: 13, with a row's register
/// of W1 and the pixel's value, fills the 16 registers of SSE2 and AVX2.
const SINGLE: usize = 13;

/// W1 as the tiles read it: `d` rows of `hp` numbers.
#[derive(Clone, Copy)]
struct W1<'a, F> {
    w: &'a [F],
    d: usize,
    hp: usize,
}

impl<F: Float> W1<'_, F> {
    /// Every hidden unit of the `images` (rows of x and of a1) over the
    /// pixels `lit`. A group of [`GROUP`]: tiles of R registers while they
    /// fit, then narrower. Fewer images (groups of one, or the last group):
    /// one image at a time, in tiles of up to [`SINGLE`] registers.
    #[inline(always)]
    fn hidden_group<V: Vector<F>, const R: usize>(
        &self,
        x: &[u8],
        images: &[u32],
        lit: &[u32],
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        let (d, hp) = (self.d, self.hp);
        // Checked once here so the tiles, whose loops run once per lit
        // pixel, read without a bounds check; every index in `lit` is below
        // d (`Panels` lists only pixels of its images, and `x_w1`
        // checked that those have d pixels). Lanes come in whole registers:
        // hp is a multiple of every V::N of its level.
        let rows = x.len() / d.max(1);
        assert!(images.iter().all(|&s| (s as usize) < rows) && a1.len() >= rows * hp);
        assert!(self.w.len() >= d * hp && hp.is_multiple_of(V::N) && images.len() <= GROUP);
        if let Ok(group) = <&[u32; GROUP]>::try_from(images) {
            let mut lane = 0;
            while lane < hp {
                // R registers while they fit, then what is left (1 to R − 1).
                let r = ((hp - lane) / V::N).min(R);
                macro_rules! tile {
                    ($r:tt) => {
                        // SAFETY: the tiles read the rows `images` of x,
                        // pixels below d, and units lane..lane + r·V::N ≤ hp
                        // of W1 and of a1's rows `images`, all inside the
                        // slices (asserted above); the level is supported
                        // (asserted in `x_w1`), so the processor has V's
                        // instructions.
                        unsafe {
                            if hp == 64 {
                                self.hidden_tile::<V, GROUP, $r, 64>(x, group, lit, scale, lane, a1)
                            } else {
                                self.hidden_tile::<V, GROUP, $r, 0>(x, group, lit, scale, lane, a1)
                            }
                        }
                    };
                }
                match r {
                    _ if r == R => tile!(R),
                    3 => tile!(3),
                    2 => tile!(2),
                    _ => tile!(1),
                }
                lane += r * V::N;
            }
            return;
        }
        // The registers of hidden units split into as few tiles as fit
        // SINGLE, as even as can be (16 → 8 + 8).
        for &s in images {
            for (first, r) in even_tiles(hp / V::N, SINGLE) {
                let lane = first * V::N;
                macro_rules! tile {
                    ($r:tt) => {
                        // SAFETY: as above, for the row `s` (in `images`).
                        unsafe { self.hidden_tile::<V, 1, $r, 0>(x, &[s], lit, scale, lane, a1) }
                    };
                }
                with_registers!(r, tile);
            }
        }
    }

    /// Units `lane..lane + R·V::N` of a1 for the G `images`, over the
    /// pixels `lit` of one block: G × R registers of running sums, taken
    /// from a1 and put back, one row of W1 loaded per pixel and used G times.
    ///
    /// # Safety
    /// Rows `images` of x and of a1, units up to `lane + R·V::N` and the
    /// rows `lit` of W1 must be in bounds (see `hidden_group`), and the
    /// processor must have V's instructions. `HP`, when not 0, is hp
    /// (64: the book's 50 units in f32), known when compiling: a row of W1
    /// is then found by a shift instead of a multiply.
    #[inline(always)]
    unsafe fn hidden_tile<V: Vector<F>, const G: usize, const R: usize, const HP: usize>(
        &self,
        x: &[u8],
        images: &[u32; G],
        lit: &[u32],
        scale: &[F; 256],
        lane: usize,
        a1: &mut [F],
    ) {
        let (d, hp) = (self.d, if HP != 0 { HP } else { self.hp });
        let (xp, wp, ap) = (x.as_ptr(), self.w.as_ptr(), a1.as_mut_ptr());
        // SAFETY: (the whole body) the caller's; each index below stays in the
        // bounds it promises.
        unsafe {
            // Plain loops, no closures: a closure is a function of its own,
            // compiled without the kernel's instruction set, and an
            // instruction of that set inside it would become a call.
            let mut rows = [xp; G];
            let zero = V::splat(F::ZERO);
            let mut acc = [[zero; R]; G];
            for q in 0..G {
                rows[q] = xp.add(images[q] as usize * d);
                for r in 0..R {
                    acc[q][r] = V::load(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
            }
            for &i in lit {
                let i = i as usize;
                // A group lists a pixel lit in any of its images; one image
                // alone skips its own zeros, as the plain sum does.
                if G == 1 && *rows[0].add(i) == 0 {
                    continue;
                }
                let mut w = [zero; R];
                for r in 0..R {
                    w[r] = V::load(wp.add(i * hp + lane + r * V::N));
                }
                for q in 0..G {
                    let v = V::splat(scale[*rows[q].add(i) as usize]);
                    for r in 0..R {
                        acc[q][r] = V::fmadd(v, w[r], acc[q][r]);
                    }
                }
            }
            for q in 0..G {
                for r in 0..R {
                    acc[q][r].store(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
            }
        }
    }
}
