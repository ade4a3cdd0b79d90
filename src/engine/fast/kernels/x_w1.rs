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
//! them), one image × all its units (52 f32 in 13 SSE2 registers), or two
//! images side by side when their units fit 7 registers (the book's 56 f32
//! with AVX2), each walking its own pixels. A pixel
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
use super::{Level, even_tiles, half_tail, with_registers};

/// a1 = x·W1 + b1 for the `n` images in `x` (rows of `d` bytes), whose
/// lit pixels `panels` lists, at kernel level `level`; W1 is `d` rows of
/// `hp` numbers, the first `h` of them the network's units (the rest zero
/// padding), and `a1` gets `n` rows of `hp`.
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
    h: usize,
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
    assert!(h <= hp, "x_w1: {h} units in rows of {hp}");
    let w = W1 { w: w1, d, hp, h };
    assert!(panels.d() == d && x.len() >= n * d && a1.len() >= n * hp && b1.len() >= hp);
    // The running sums wait in a1 between blocks: they start at zero,
    // and b1 is added once every pixel is in (the book's x·W1 + b1).
    a1[..n * hp].fill(F::ZERO);
    match level {
        // GROUP × 4 registers of sums on AVX-512 (32 registers),
        // × 2 on AVX2 and at 128 bits (16).
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => w.blocks::<F::Zmm, 4>(x, panels, scale, a1),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => w.blocks::<F::Ymm, 2>(x, panels, scale, a1),
        _ => w.blocks::<F::Xmm, 2>(x, panels, scale, a1),
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

/// Registers of running sums per image in a tile of two images: 2 × 7, with
/// the two pixels' values, fill 16 registers (each multiply-add takes its
/// row of W1 straight from memory). Groups of one image go two at a time
/// when their units fit 7 registers (the book's 50 in f32 with AVX2: 7):
/// one image's 7 sums, each waiting for its last multiply-add, would leave
/// the multiply-add units idle part of the time.
const PAIR: usize = 7;

/// W1 as the tiles read it: `d` rows of `hp` numbers, the first `h` of
/// each the network's units.
#[derive(Clone, Copy)]
struct W1<'a, F> {
    w: &'a [F],
    d: usize,
    hp: usize,
    h: usize,
}

impl<F: Float> W1<'_, F> {
    /// Every block of pixels, every group through it; groups of one image
    /// two at a time where their units fit [`PAIR`] registers.
    #[inline(always)]
    fn blocks<V: Vector<F>, const R: usize>(
        &self,
        x: &[u8],
        panels: &Panels,
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        let (n, d, hp) = (panels.n(), self.d, self.hp);
        let groups = n.div_ceil(panels.group_size());
        let regs = hp / V::N;
        let pairs = if panels.group_size() == 1 && (1..=PAIR).contains(&regs) {
            n / 2
        } else {
            0
        };
        // Checked once here so the pair tiles, whose loops run once per lit
        // pixel, read without a bounds check; every index in the lists is
        // below d (`Panels` lists only pixels of its images, and `x_w1`
        // checked that those have d pixels). Lanes come in whole registers.
        assert!(self.w.len() >= d * hp && hp.is_multiple_of(V::N));
        assert!(x.len() >= n * d && a1.len() >= n * hp);
        for b in 0..panels.blocks() {
            for pair in 0..pairs {
                let (g, h) = (2 * pair, 2 * pair + 1);
                let images = [panels.group(g)[0], panels.group(h)[0]];
                let lit = [panels.lit(g, b), panels.lit(h, b)];
                macro_rules! tile {
                    ($r:tt) => {
                        // SAFETY: rows `images` (below n) of x and of a1,
                        // units 0..regs·V::N = hp, rows of W1 below d, all
                        // inside the slices (asserted above); the level is
                        // supported (asserted in `x_w1`), so the processor
                        // has V's instructions.
                        unsafe { self.pair_tile::<V, $r>(x, images, lit, scale, a1) }
                    };
                }
                match regs {
                    7 => tile!(7),
                    6 => tile!(6),
                    5 => tile!(5),
                    4 => tile!(4),
                    3 => tile!(3),
                    2 => tile!(2),
                    _ => tile!(1),
                }
            }
            for g in 2 * pairs..groups {
                self.hidden_group::<V, R>(x, panels.group(g), panels.lit(g, b), scale, a1);
            }
        }
    }

    /// All `R·V::N` = hp units of a1's rows `images` over their own lit
    /// pixels `lit` (of one block): two images' sums at once, 2 × R
    /// registers taken from a1 and put back, the two walks in step while
    /// both have pixels left, then the longer alone. Each sum adds its own
    /// image's terms in pixel order, as a one-image tile does.
    ///
    /// hp is R·V::N, known when compiling: a row of W1 is found without a
    /// multiply by a number held in a register, which leaves the walk's
    /// pointers room in registers (with hp in one too, the compiler ran
    /// out of them and read W1's address back from the stack before each
    /// multiply-add).
    ///
    /// # Safety
    /// Rows `images` of x and of a1, units up to R·V::N = hp and the rows
    /// `lit` of W1 must be in bounds, every pixel in `lit` lit in its image,
    /// and the processor must have V's instructions.
    #[inline(always)]
    unsafe fn pair_tile<V: Vector<F>, const R: usize>(
        &self,
        x: &[u8],
        images: [u32; 2],
        lit: [&[u32]; 2],
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        let hp = R * V::N;
        debug_assert_eq!(hp, self.hp, "a pair tile spans the row");
        let (d, wp) = (self.d, self.w.as_ptr());
        let [(i0, j0), (i1, j1)] = images.map(|s| (s as usize * d, s as usize * hp));
        // SAFETY: (the whole body) the caller's; each index below stays in the
        // bounds it promises.
        unsafe {
            let (xa, xb) = (x.as_ptr().add(i0), x.as_ptr().add(i1));
            let (pa, pb) = (a1.as_mut_ptr().add(j0), a1.as_mut_ptr().add(j1));
            let mut a = [V::splat(F::ZERO); R];
            let mut b = [V::splat(F::ZERO); R];
            for r in 0..R {
                a[r] = V::load(pa.add(r * V::N));
                b[r] = V::load(pb.add(r * V::N));
            }
            let both = lit[0].len().min(lit[1].len());
            let (mut p, mut q) = (lit[0].as_ptr(), lit[1].as_ptr());
            let end = p.add(both);
            while p != end {
                let (i, j) = (*p as usize, *q as usize);
                (p, q) = (p.add(1), q.add(1));
                let u = V::splat(scale[*xa.add(i) as usize]);
                let v = V::splat(scale[*xb.add(j) as usize]);
                let (wi, wj) = (wp.add(i * hp), wp.add(j * hp));
                for r in 0..R {
                    a[r] = V::fmadd(u, V::load(wi.add(r * V::N)), a[r]);
                    b[r] = V::fmadd(v, V::load(wj.add(r * V::N)), b[r]);
                }
            }
            // The longer walk's rest (the other's is empty).
            for (rest, row, sums) in [(&lit[0][both..], xa, &mut a), (&lit[1][both..], xb, &mut b)]
            {
                for &i in rest {
                    let (wi, u) = (
                        wp.add(i as usize * hp),
                        V::splat(scale[*row.add(i as usize) as usize]),
                    );
                    for r in 0..R {
                        sums[r] = V::fmadd(u, V::load(wi.add(r * V::N)), sums[r]);
                    }
                }
            }
            for r in 0..R {
                a[r].store(pa.add(r * V::N));
                b[r].store(pb.add(r * V::N));
            }
        }
    }

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
            // Whole registers of V, R at a time while they fit, then what
            // is left (1 to R − 1); the last register at half width with
            // the last tile where only its first half is live (see
            // `half_tail`).
            let tail = half_tail::<F, V>(hp, self.h);
            let whole = hp / V::N - usize::from(tail);
            let mut lane = 0;
            // The tile with the half register T, or none, and hp known when
            // compiling where it is the book's 64.
            macro_rules! by_width {
                ($t:ty, $r:tt, $tail:tt) => {
                    if hp == 64 {
                        self.hidden_tile::<V, $t, GROUP, $r, 64, $tail>(
                            x, group, lit, scale, lane, a1,
                        )
                    } else {
                        self.hidden_tile::<V, $t, GROUP, $r, 0, $tail>(
                            x, group, lit, scale, lane, a1,
                        )
                    }
                };
            }
            loop {
                let left = whole - lane / V::N;
                let r = left.min(R);
                let last = r == left;
                macro_rules! tile {
                    ($r:tt) => {
                        // SAFETY: the tiles read the rows `images` of x,
                        // pixels below d, and units lane..lane + r·V::N
                        // (and a half register more, with the tail) ≤ hp
                        // of W1 and of a1's rows `images`, all inside the
                        // slices (asserted above); the level is supported
                        // (asserted in `x_w1`), so the processor has V's
                        // instructions (and the half register's).
                        unsafe {
                            #[cfg(target_arch = "x86_64")]
                            if last && tail {
                                by_width!(F::Ymm, $r, true);
                                break;
                            }
                            by_width!(V, $r, false)
                        }
                    };
                }
                match r {
                    _ if r == R => tile!(R),
                    3 => tile!(3),
                    2 => tile!(2),
                    1 => tile!(1),
                    _ => tile!(0),
                }
                lane += r * V::N;
                if last {
                    break;
                }
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
                        unsafe {
                            self.hidden_tile::<V, V, 1, $r, 0, false>(x, &[s], lit, scale, lane, a1)
                        }
                    };
                }
                with_registers!(r, tile);
            }
        }
    }

    /// Units `lane..lane + R·V::N` of a1 for the G `images`, over the
    /// pixels `lit` of one block: G × R registers of running sums, taken
    /// from a1 and put back, one row of W1 loaded per pixel and used G
    /// times. With `TAIL`, also the units of one register of T after them
    /// (G more sums).
    ///
    /// # Safety
    /// Rows `images` of x and of a1, units up to `lane + R·V::N` (`+ T::N`
    /// with `TAIL`) and the rows `lit` of W1 must be in bounds (see
    /// `hidden_group`), and the processor must have V's instructions (and
    /// T's). `HP`, when not 0, is hp
    /// (64: the book's 50 units in f32), known when compiling: a row of W1
    /// is then found by a shift instead of a multiply.
    #[inline(always)]
    unsafe fn hidden_tile<
        V: Vector<F>,
        T: Vector<F>,
        const G: usize,
        const R: usize,
        const HP: usize,
        const TAIL: bool,
    >(
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
            let end = lane + R * V::N;
            let mut tail = [T::splat(F::ZERO); G];
            for q in 0..G {
                rows[q] = xp.add(images[q] as usize * d);
                for r in 0..R {
                    acc[q][r] = V::load(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
                if TAIL {
                    tail[q] = T::load(ap.add(images[q] as usize * hp + end));
                }
            }
            // A group lists a pixel lit in any of its images, so an image
            // may add a zero: that changes no sum (a sum that is zero is
            // +0, and +0 plus ±0 is +0), as in the book's dense product,
            // which adds every pixel's. (Testing each pixel of one image's
            // list for a zero, as this loop did, made f64 x·W1 with AVX2
            // 13 % slower.)
            for &i in lit {
                let i = i as usize;
                let mut w = [zero; R];
                for r in 0..R {
                    w[r] = V::load(wp.add(i * hp + lane + r * V::N));
                }
                let wt = if TAIL {
                    T::load(wp.add(i * hp + end))
                } else {
                    T::splat(F::ZERO)
                };
                for q in 0..G {
                    let value = scale[*rows[q].add(i) as usize];
                    let v = V::splat(value);
                    for r in 0..R {
                        acc[q][r] = V::fmadd(v, w[r], acc[q][r]);
                    }
                    if TAIL {
                        tail[q] = T::fmadd(T::splat(value), wt, tail[q]);
                    }
                }
            }
            for q in 0..G {
                for r in 0..R {
                    acc[q][r].store(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
                if TAIL {
                    tail[q].store(ap.add(images[q] as usize * hp + end));
                }
            }
        }
    }
}
