//! xᵀ·δ: ∂L/∂W1, the backward pass's big product.
//!
//! ```text
//! ∂L/∂W1[i, j] = Σ_{s lighting i} (x[s, i] / 255) · da1[s, j]
//! x: (n, d) bytes,  da1: (n, hp)  →  ∂L/∂W1: (d, hp), computed a range of rows at a time
//! ```
//!
//! In tiles of a few pixels × a few registers of hidden units, whose sums
//! stay in registers while the samples stream past; a sample that lights
//! none of a tile's pixels is skipped (its terms are zeros). Every sum adds
//! its terms in sample order, so the tile shape never changes a result;
//! with AVX2, AVX-512 or NEON each term is fused into the sum (one
//! rounding), with SSE2 or simd128 it is multiplied, then added.

use super::float::Float;
use super::sample_lists::sample_lists_for;
#[cfg(target_arch = "x86_64")]
use super::vector::Pairs;
use super::vector::Vector;
use super::{Level, even_tiles, half_tail, with_registers};

/// Rows `first..first + rows.len() / hp` of ∂L/∂W1 = xᵀ·da1, at kernel level
/// `level`: for each pixel the sum over samples, in sample order, of its
/// value times the sample's da1. `x` holds `n` images of `d` bytes; `da1`
/// their `n` rows of `hp`, the first `h` of each the network's units (the
/// rest zero padding). A last register at half width (see `half_tail`)
/// leaves the units after it as they are: the padding of a gradient,
/// zero.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn xt_delta<F: Float>(
    level: Level,
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    h: usize,
    scale: &[F; 256],
    first: usize,
    rows: &mut [F],
) {
    assert!(
        level.supported(),
        "{level:?} kernels on a processor without them"
    );
    match level {
        // 4 pixels × 4 registers of sums on AVX-512, × 2 with AVX2 (× 3,
        // with a sample's 3 registers of da1 and the value, fills all 16
        // registers, and the compiler then kept one sum on the stack: a
        // store and a load on every sample's path; measured on a Zen 4,
        // × 2 is 8 % faster in f32, 18 % in f64); at 128 bits one pixel ×
        // up to 13 registers (all its units, or half of them), over the
        // samples that light that pixel itself (measured: 1.2–1.3× faster
        // there, and slower with AVX2). With AVX2, the book's last
        // register (2 live units) is packed into the last tile
        // (`packed_tile`) instead of taking a pass of its own.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => weight_tiles_v::<F, F::Zmm, F::Ymm, PIXELS, 4>(
            level, x, n, d, da1, h, scale, first, rows,
        ),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => weight_tiles_v::<F, F::Ymm, F::Ymm, PIXELS, 2>(
            level, x, n, d, da1, h, scale, first, rows,
        ),
        _ => weight_tiles_v::<F, F::Xmm, F::Xmm, 1, SINGLE>(
            level, x, n, d, da1, h, scale, first, rows,
        ),
    }
}

/// Registers of running sums in a one-pixel tile: 13, with a sample's
/// register of da1 and the pixel's value, fills the 16 registers of SSE2
/// (NEON has 32).
const SINGLE: usize = 13;

/// Pixels per tile of ∂L/∂W1 with AVX-512.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) const PIXELS: usize = 4;

/// ∂L/∂W1 rows with vector registers: tiles of P pixels (each group of P
/// over the samples that light one of them) × up to R registers of V, the
/// last one a register of T (half of V) where `half_tail` says so.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_tiles_v<F: Float, V: Vector<F>, T: Vector<F>, const P: usize, const R: usize>(
    level: Level,
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    h: usize,
    scale: &[F; 256],
    first: usize,
    rows: &mut [F],
) {
    let hp = da1.len() / n.max(1);
    let pixels = rows.len() / hp.max(1);
    // Checked once here so the tiles, whose loops run once per sample, read
    // without a bounds check.
    assert!(x.len() >= n * d && first + pixels <= d && da1.len() >= n * hp);
    assert!(rows.len() >= pixels * hp && hp.is_multiple_of(V::N) && n <= u32::MAX as usize);
    // For each group of PIXELS pixels, the samples that light any of them,
    // in order (a count, then the samples): the tiles then run without a
    // test whose outcome the processor could not predict. Written without a
    // branch either: every sample is written, the lit ones kept.
    let groups = pixels / P;
    let mut lists = SAMPLE_LISTS.take();
    lists.clear();
    // Room for 16 numbers written past the last list.
    lists.resize(groups * (n + 1) + 16, 0);
    sample_lists_for::<P>(level, x, n, d, first, groups, &mut lists);
    // The registers of hidden units in as few tiles of at most R as can
    // be, as even as can be (16 → 8 + 8, 7 → 4 + 3); a half register, or
    // a packed one (`packed_tile`), goes with the last tile.
    let tail = T::N * 2 == V::N && half_tail::<F, V>(hp, h);
    let packed = packs_tail::<F, V, P>(level, hp, h);
    let whole = hp / V::N - usize::from(tail) - usize::from(packed);
    // (The half register alone, when it is all there is.)
    let tiles = || even_tiles(whole, R).chain((whole == 0).then_some((0, 0)));
    let count = tiles().count();
    for (t, (first_register, r)) in tiles().enumerate() {
        let lane = first_register * V::N;
        let tail = tail && t + 1 == count;
        let mut p = 0;
        while p < pixels {
            let group = p + P <= pixels;
            let (i0, out) = (first + p, &mut rows[p * hp..]);
            macro_rules! tile {
                ($r:tt, $tail:tt) => {
                    // SAFETY: pixels i0.. (PIXELS of them, or 1) are below
                    // first + pixels ≤ d, rows p.. of `rows` hold them,
                    // units up to lane + r·V::N (and the half register,
                    // with the tail) ≤ hp (asserted above); the level is
                    // supported (asserted in `xt_delta`), so the processor
                    // has V's instructions (and T's).
                    unsafe {
                        #[cfg(target_arch = "x86_64")]
                        if packed && t + 1 == count {
                            if group {
                                let list = &lists[p / P * (n + 1)..];
                                let lit = &list[1..][..list[0] as usize];
                                packed_tile::<F, F::Ymm, $r>(
                                    x, n, d, da1, scale, i0, lane, out, lit,
                                );
                            } else {
                                // A pixel left over: its last register whole.
                                weight_tile::<F, V, V, 1, $r, false, true>(
                                    x,
                                    n,
                                    d,
                                    da1,
                                    scale,
                                    i0,
                                    lane,
                                    out,
                                    &[],
                                );
                            }
                            p += if group { P } else { 1 };
                            continue;
                        }
                        if group {
                            let list = &lists[p / P * (n + 1)..];
                            let lit = &list[1..][..list[0] as usize];
                            weight_tile::<F, V, T, P, $r, true, $tail>(
                                x, n, d, da1, scale, i0, lane, out, lit,
                            )
                        } else {
                            weight_tile::<F, V, T, 1, $r, false, $tail>(
                                x,
                                n,
                                d,
                                da1,
                                scale,
                                i0,
                                lane,
                                out,
                                &[],
                            )
                        }
                    }
                };
            }
            macro_rules! whole {
                ($r:tt) => {
                    tile!($r, false)
                };
            }
            macro_rules! halved {
                ($r:tt) => {
                    tile!($r, true)
                };
            }
            match (r, tail) {
                (0, _) => tile!(0, true),
                (_, false) => with_registers!(r, whole),
                (_, true) => with_registers!(r, halved),
            }
            p += if group { P } else { 1 };
        }
    }
    SAMPLE_LISTS.set(lists);
}

/// Whether the last register of hidden units goes packed
/// ([`packed_tile`]): with AVX2, over tiles of 4 pixels, where at most its
/// first 2 units are live (the book's 50: 6 × 8 + 2 in f32, 12 × 4 + 2
/// in f64).
#[inline(always)]
fn packs_tail<F: Float, V: Vector<F>, const P: usize>(level: Level, hp: usize, h: usize) -> bool {
    cfg!(target_arch = "x86_64")
        && level == Level::Avx2
        && P == 4
        && hp >= V::N
        && h > hp - V::N
        && h + V::N - 2 <= hp
}

/// [`weight_tile`] for 4 pixels × R registers with AVX2, and the 2 live
/// units of the register after them (units `end`, `end + 1`) of all 4
/// pixels packed: lanes 2p and 2p + 1 hold pixel p's, in one register of
/// 8 f32 or two of 4 f64.
///
/// ```text
/// pixels i0..i0 + 4:  acc[p][r] += x[s, i0 + p] · da1[s, lane + r·N ..][..N]
/// packed:             tail      += (x₀ x₀ x₁ x₁ x₂ x₂ x₃ x₃) · (δₑ δₑ₊₁ δₑ δₑ₊₁ δₑ δₑ₊₁ δₑ δₑ₊₁)
/// ```
///
/// Each lane still adds its own pixel's terms in sample order, fused, so
/// the sums are those of a whole last register; but a sample's tail costs
/// one or two multiply-adds instead of a pass of its own (4 multiply-adds
/// with 2 live lanes each, and the sample's four values and its list
/// walked again): ∂L/∂W1 of the book's 50 units 10–12 % faster in f32 on
/// a Zen 4, about 9 % in f64. The units after the 2 are left as they are:
/// a gradient's padding, zero.
///
/// # Safety
/// As [`weight_tile`] with P = 4, of which units `end`, `end + 1` must be
/// in bounds; the processor must have V's instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn packed_tile<F: Float, V: Pairs<F>, const R: usize>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    i0: usize,
    lane: usize,
    out: &mut [F],
    lit: &[u32],
) {
    // Registers of packed sums: 8 lanes (4 pixels × 2 units) in V's N.
    let packs = 8 / V::N;
    debug_assert!(packs * V::N == 8 && packs <= 2);
    let hp = da1.len() / n.max(1);
    let (xp, gp, op) = (x.as_ptr(), da1.as_ptr(), out.as_mut_ptr());
    // SAFETY: (the whole body) the caller's; each index below stays in the
    // bounds it promises.
    unsafe {
        let zero = V::splat(F::ZERO);
        let mut acc = [[zero; R]; 4];
        let end = lane + R * V::N;
        let mut tail = [zero; 2];
        for &s in lit {
            let s = s as usize;
            let bytes = *(xp.add(s * d + i0) as *const [u8; 4]);
            let mut g = [zero; R];
            for r in 0..R {
                g[r] = V::load(gp.add(s * hp + lane + r * V::N));
            }
            // The two live units' δ, in every pair of lanes.
            let gt = V::pairs(gp.add(s * hp + end));
            let mut values = [zero; 2];
            for p in 0..4 {
                let v = V::splat(scale[bytes[p] as usize]);
                for r in 0..R {
                    acc[p][r] = V::fmadd(v, g[r], acc[p][r]);
                }
                let (k, q) = (2 * p / V::N, p % (V::N / 2));
                values[k] = if q == 0 { v } else { values[k].with_pair(q, v) };
            }
            for k in 0..packs {
                tail[k] = V::fmadd(values[k], gt, tail[k]);
            }
        }
        let mut lanes = [F::ZERO; 8];
        for k in 0..packs {
            tail[k].store(lanes.as_mut_ptr().add(k * V::N));
        }
        for p in 0..4 {
            for r in 0..R {
                acc[p][r].store(op.add(p * hp + lane + r * V::N));
            }
            *op.add(p * hp + end) = lanes[2 * p];
            *op.add(p * hp + end + 1) = lanes[2 * p + 1];
        }
    }
}

thread_local! {
    /// The sample lists of `weight_tiles_v`, kept from call to call.
    static SAMPLE_LISTS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Units `lane..lane + R·V::N` of the ∂L/∂W1 rows of pixels `i0..i0 + P`:
/// P × R registers of running sums, one row of da1 loaded per sample and
/// used P times; with TAIL, also the units of one register of T after them.
/// LISTED: over the samples `lit` (those lighting one of the pixels);
/// otherwise over all n, skipping those that light none.
///
/// # Safety
/// Pixels `i0..i0 + P` of the `n` images, units up to `lane + R·V::N` (`+
/// T::N` with TAIL) of `da1`'s n rows and of `out`'s P rows must be in
/// bounds, every sample in `lit` below n (see `weight_tiles_v`), and the
/// processor must have V's instructions (and T's).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn weight_tile<
    F: Float,
    V: Vector<F>,
    T: Vector<F>,
    const P: usize,
    const R: usize,
    const LISTED: bool,
    const TAIL: bool,
>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    i0: usize,
    lane: usize,
    out: &mut [F],
    lit: &[u32],
) {
    let hp = da1.len() / n.max(1);
    let (xp, gp, op) = (x.as_ptr(), da1.as_ptr(), out.as_mut_ptr());
    // SAFETY: (the whole body) the caller's; each index below stays in the
    // bounds it promises.
    unsafe {
        let zero = V::splat(F::ZERO);
        let mut acc = [[zero; R]; P];
        let end = lane + R * V::N;
        let mut tail = [T::splat(F::ZERO); P];
        // One sample's terms (a macro, not a closure: a closure would be
        // compiled without the kernel's instructions).
        macro_rules! add_sample {
            ($s:expr, $bytes:expr) => {
                let (s, bytes): (usize, [u8; P]) = ($s, $bytes);
                let mut g = [zero; R];
                for r in 0..R {
                    g[r] = V::load(gp.add(s * hp + lane + r * V::N));
                }
                let gt = if TAIL {
                    T::load(gp.add(s * hp + end))
                } else {
                    T::splat(F::ZERO)
                };
                for p in 0..P {
                    let value = scale[bytes[p] as usize];
                    let v = V::splat(value);
                    for r in 0..R {
                        acc[p][r] = V::fmadd(v, g[r], acc[p][r]);
                    }
                    if TAIL {
                        tail[p] = T::fmadd(T::splat(value), gt, tail[p]);
                    }
                }
            };
        }
        if LISTED {
            for &s in lit {
                let s = s as usize;
                add_sample!(s, *(xp.add(s * d + i0) as *const [u8; P]));
            }
        } else {
            for s in 0..n {
                let bytes: [u8; P] = *(xp.add(s * d + i0) as *const [u8; P]);
                if bytes != [0; P] {
                    add_sample!(s, bytes);
                }
            }
        }
        for p in 0..P {
            for r in 0..R {
                acc[p][r].store(op.add(p * hp + lane + r * V::N));
            }
            if TAIL {
                tail[p].store(op.add(p * hp + end));
            }
        }
    }
}
