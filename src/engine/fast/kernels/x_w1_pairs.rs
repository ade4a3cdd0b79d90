//! x·W1 in 16-bit integers, two pixels a multiply: the hidden sums that
//! settle most of an evaluation's answers with AVX2.
//!
//! ```text
//! q[p, j] = round(W1[p, j] / s_j)                      (|q| < 2¹⁴, 255·Σₚ |q[p, j]| ≤ 2³⁰)
//! S[n, j] = Σₖ x[n, 2k]·q[2k, j] + x[n, 2k+1]·q[2k+1, j]   (exact, in 32 bits)
//! ã1[n, j] = fl32(fl32(S[n, j]) · c_j) + b1[j],   c_j = fl32(s_j / 255)
//! |ã1[n, j] − x[n]·W1[:, j] − b1[j]| ≤ σₙ·s_j/2 + roundings,   σₙ = Σₚ x[n, p] / 255
//! ```
//!
//! `vpmaddwd` multiplies 16 pairs of 16-bit numbers and adds each pair:
//! one instruction takes two pixels of an image (x[2k], x[2k+1]) times 8
//! hidden units' two weights, where an f32 multiply-add takes one pixel.
//! W1's rows go in pairs, each unit's two weights side by side, and each
//! image lists its pairs with a lit pixel (a Fashion-MNIST image lights
//! 390 pixels in 217 of its 392 pairs). The sum S is exact: every term and
//! partial sum is an integer below 2³¹ in magnitude. The weights lose
//! their low bits (each column in 15-bit fixed point, a step s_j of 2⁻¹⁴
//! of its largest weight), so these sums are not the f32 ones: the
//! evaluation that uses them ([`crate::engine::fast::evaluate_narrow`])
//! bounds the difference image by image and evaluates again, on the exact
//! path, every image whose answer it could change.
//!
//! Pixel pairs go in blocks whose rows of q fit the L1 cache, as x·W1's
//! pixels do ([`super::panel::Panels::block_bytes`]); every image goes
//! through a block before the next block.

use super::Level;
use super::float::Float;

/// Eight hidden units' two weights of one pixel pair: one register.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Lane([i16; 16]);

/// Eight hidden units' running sums: one register.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(32))]
struct Sums([i32; 8]);

/// The largest |q|, 14 bits and a sign: `vpmaddwd`'s two products of a
/// byte and a weight, and their sum, stay below 2²³. (An image's sum of
/// them stays inside 32 bits by the step's other bound, 255·Σₚ|q| ≤ 2³⁰.)
const MOST: f64 = 16383.0;

/// W1 in 16-bit fixed point, column by column, rows in pairs.
#[derive(Debug, Clone)]
pub(crate) struct W1Pairs {
    d: usize,
    hp: usize,
    /// Pair k, lane r (units 8r..8r + 8): `lanes[k·hp/8 + r]`, unit 8r + i's
    /// weights of pixels 2k and 2k + 1 at 2i and 2i + 1.
    lanes: Vec<Lane>,
    /// c_j = fl32(s_j / 255): a sum S times c_j is x·W1's column j (the byte
    /// k standing for k / 255).
    pub(crate) c: Vec<f32>,
    /// s_j / 2: how far one pixel of value 1 (the byte 255) can take
    /// column j's sum from the exact one (half a step of the fixed point).
    pub(crate) half_step: Vec<f64>,
}

impl W1Pairs {
    /// `w1`'s first `h` units (rows of `from_hp`) in pairs for sums `hp`
    /// wide (a multiple of 8), or `None` where a weight is not finite, a
    /// column's weights are too large or too small for the fixed point to
    /// stay within bounds, or the images are too large for the sums.
    pub(crate) fn new<F: Float>(
        w1: &[F],
        d: usize,
        from_hp: usize,
        h: usize,
        hp: usize,
    ) -> Option<Self> {
        // Room in 2³⁰ for d pixels of 255 times half a step each (below).
        let room = 2f64.powi(30) / 255.0 - d as f64;
        if d == 0 || room < 1.0 || !hp.is_multiple_of(8) || h > hp {
            return None;
        }
        let column = |j: usize| (0..d).map(move |p| w1[p * from_hp + j].to_f64());
        let mut step = vec![1.0f64; hp];
        for (j, step) in step.iter_mut().enumerate().take(h) {
            let (mut most, mut total) = (0.0f64, 0.0f64);
            for w in column(j) {
                if !w.is_finite() {
                    return None;
                }
                most = most.max(w.abs());
                total += w.abs();
            }
            if most == 0.0 {
                continue;
            }
            // The step keeps |q| ≤ MOST, and 255·Σₚ|q| ≤ 2³⁰ so that no sum
            // of bytes times q leaves 32 bits (each |q| may round up by ½,
            // d/2 in all: d taken).
            let by_sum = total / room;
            *step = (most / MOST).max(by_sum);
            if !(2f64.powi(-100)..2f64.powi(100)).contains(step) {
                return None;
            }
        }
        let pairs = d.div_ceil(2);
        let lanes_per_pair = hp / 8;
        let mut lanes = vec![Lane::default(); pairs * lanes_per_pair];
        for p in 0..d {
            let (k, odd) = (p / 2, p % 2);
            for (j, &s) in step.iter().enumerate().take(h) {
                let q = (w1[p * from_hp + j].to_f64() / s).round();
                debug_assert!(q.abs() <= MOST + 1.0);
                lanes[k * lanes_per_pair + j / 8].0[2 * (j % 8) + odd] = q as i16;
            }
        }
        let c = step.iter().map(|&s| (s / 255.0) as f32).collect();
        let half_step = step
            .iter()
            .enumerate()
            .map(|(j, &s)| if j < h { s / 2.0 } else { 0.0 })
            .collect();
        Some(W1Pairs {
            d,
            hp,
            lanes,
            c,
            half_step,
        })
    }

    /// Whether an evaluation at kernel level `level` makes its sums so:
    /// with AVX2. (At the AVX-512 level, on a Zen 4, these sums took as
    /// long as the f32 groups of five: 24.5 ms an evaluation of the 70,000
    /// Fashion-MNIST images either way.)
    pub(crate) fn runs_at(level: Level) -> bool {
        cfg!(target_arch = "x86_64") && level == Level::Avx2 && level.supported()
    }
}

/// The lists and sums one thread of an evaluation reuses.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairScratch {
    /// Lit pairs, image by image, block by block: the pair's index and its
    /// two bytes (x[2k] + 2¹⁶·x[2k + 1]).
    index: Vec<u32>,
    value: Vec<u32>,
    /// Where each (image, block)'s pairs start; one more per image.
    starts: Vec<u32>,
    sums: Vec<Sums>,
}

/// ã1 for the `n` images in `x` (rows of `pairs.d` bytes): the exact
/// integer sums S, times c, plus `b1` (`hp` of them) into `a1` (n rows of
/// hp); σₙ (the image's pixels' sum, each byte k as k / 255) into `sigma`.
/// Blocks of `block_bytes` of W1's pairs.
///
/// # Panics
/// Unless the processor has AVX2, or if the slices are shorter than that.
#[allow(clippy::too_many_arguments)]
pub(crate) fn hidden_sums(
    pairs: &W1Pairs,
    b1: &[f32],
    x: &[u8],
    n: usize,
    block_bytes: usize,
    s: &mut PairScratch,
    a1: &mut [f32],
    sigma: &mut Vec<f64>,
) {
    let (d, hp) = (pairs.d, pairs.hp);
    assert!(Level::Avx2.supported(), "x·W1 in pairs needs AVX2");
    assert!(x.len() >= n * d && a1.len() >= n * hp && b1.len() >= hp);
    let per_block = (block_bytes / (hp * 4).max(1)).max(8) / 8 * 8;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 is there (asserted); the slices hold n images and n rows
    // of hp sums (asserted).
    unsafe {
        avx2::list(pairs, x, n, per_block, s, sigma);
        avx2::sums(pairs, n, per_block, s);
        avx2::scaled(pairs, b1, n, s, a1);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::super::lit::lit_at_avx2;
    use super::super::with_registers;
    use super::{PairScratch, Sums, W1Pairs};

    /// Each image's lit pairs, block by block, 8 pairs (16 bytes) at a
    /// time; and σₙ.
    ///
    /// # Safety
    /// The processor must have AVX2 and POPCNT; `x` must hold n rows of d
    /// bytes.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn list(
        pairs: &W1Pairs,
        x: &[u8],
        n: usize,
        per_block: usize,
        s: &mut PairScratch,
        sigma: &mut Vec<f64>,
    ) {
        let d = pairs.d;
        let count = d.div_ceil(2);
        let blocks = count.div_ceil(per_block);
        // Room for every pair, and a register written past the last.
        let room = n * count + 8;
        if s.index.len() < room {
            s.index.resize(room, 0);
            s.value.resize(room, 0);
        }
        s.starts.clear();
        sigma.clear();
        let (index, value) = (s.index.as_mut_ptr(), s.value.as_mut_ptr());
        let mut len = 0usize;
        for row in x[..n * d].chunks_exact(d) {
            sigma.push(byte_sum(row) as f64 / 255.0);
            for b in 0..blocks {
                s.starts.push(len as u32);
                let (mut k, end) = (b * per_block, ((b + 1) * per_block).min(count));
                // SAFETY: bytes 2k..2k + 16 ≤ d of the row; 8 numbers from
                // len ≤ (pairs listed so far) ≤ room − 8.
                unsafe {
                    while k + 8 <= end && 2 * k + 16 <= d {
                        let v = _mm_loadu_si128(row.as_ptr().add(2 * k) as *const __m128i);
                        let zero = _mm_cmpeq_epi16(v, _mm_setzero_si128());
                        let dark = _mm_movemask_epi8(_mm_packs_epi16(zero, zero)) as usize;
                        let lit = !dark & 0xff;
                        let (at, _) = lit_at_avx2(lit, k);
                        let from = _mm256_sub_epi32(at, _mm256_set1_epi32(k as i32));
                        let two = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi16(v), from);
                        _mm256_storeu_si256(index.add(len) as *mut __m256i, at);
                        _mm256_storeu_si256(value.add(len) as *mut __m256i, two);
                        // Counted, not looked up: the next stores wait
                        // for len.
                        len += lit.count_ones() as usize;
                        k += 8;
                    }
                    for k in k..end {
                        let second = row.get(2 * k + 1).copied().unwrap_or(0);
                        let two = u32::from(row[2 * k]) | u32::from(second) << 16;
                        *index.add(len) = k as u32;
                        *value.add(len) = two;
                        len += (two != 0) as usize;
                    }
                }
            }
            s.starts.push(len as u32);
        }
    }

    /// The sum of `row`'s bytes, 32 at a time (`vpsadbw` adds 8 bytes
    /// into each of 4 numbers).
    #[target_feature(enable = "avx2")]
    fn byte_sum(row: &[u8]) -> u64 {
        let mut sums = _mm256_setzero_si256();
        let mut chunks = row.chunks_exact(32);
        for chunk in &mut chunks {
            // SAFETY: 32 bytes of `chunk`.
            let v = unsafe { _mm256_loadu_si256(chunk.as_ptr() as *const __m256i) };
            sums = _mm256_add_epi64(sums, _mm256_sad_epu8(v, _mm256_setzero_si256()));
        }
        let mut four = [0u64; 4];
        // SAFETY: 32 bytes of `four`.
        unsafe { _mm256_storeu_si256(four.as_mut_ptr() as *mut __m256i, sums) };
        four.iter().sum::<u64>()
            + chunks
                .remainder()
                .iter()
                .map(|&b| u64::from(b))
                .sum::<u64>()
    }

    /// S for every image listed: block by block, each image's sums in
    /// registers while its pairs of the block stream past.
    ///
    /// # Safety
    /// The processor must have AVX2; `s` must hold [`list`]'s lists of n
    /// images for `pairs` and `per_block`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sums(pairs: &W1Pairs, n: usize, per_block: usize, s: &mut PairScratch) {
        let regs = pairs.hp / 8;
        let blocks = pairs.d.div_ceil(2).div_ceil(per_block);
        s.sums.clear();
        s.sums.resize(n * regs, Sums::default());
        assert!(s.starts.len() == n * (blocks + 1));
        for b in 0..blocks {
            for i in 0..n {
                let at = i * (blocks + 1) + b;
                let (from, to) = (s.starts[at] as usize, s.starts[at + 1] as usize);
                let mut first = 0;
                // Tiles of at most 12 registers of sums (with the pair's
                // two bytes and a product: 14 of the 16).
                while first < regs {
                    let r = (regs - first).min(12);
                    macro_rules! tile {
                        ($r:tt) => {
                            // SAFETY: the caller's; pairs below d / 2 (the
                            // lists'), sums of image i below n.
                            unsafe { tile::<$r>(pairs, s, i, first, from, to) }
                        };
                    }
                    with_registers!(r, tile);
                    first += r;
                }
            }
        }
    }

    /// a1 = fl32(fl32(S)·c) + b1 for the n images' sums S (a multiply,
    /// then an add: two roundings, as the bound has them).
    ///
    /// # Safety
    /// The processor must have AVX2; `s` must hold [`sums`]'s n images,
    /// `b1` hp numbers and `a1` n rows of hp.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scaled(
        pairs: &W1Pairs,
        b1: &[f32],
        n: usize,
        s: &PairScratch,
        a1: &mut [f32],
    ) {
        let regs = pairs.hp / 8;
        assert!(s.sums.len() >= n * regs && a1.len() >= n * regs * 8);
        assert!(b1.len() >= regs * 8 && pairs.c.len() >= regs * 8);
        // SAFETY: (the whole body) registers below n·regs of the sums and
        // a1, below regs of b1 and c (asserted).
        unsafe {
            let sums = s.sums.as_ptr() as *const __m256i;
            for i in 0..n {
                for r in 0..regs {
                    let sum = _mm256_cvtepi32_ps(_mm256_load_si256(sums.add(i * regs + r)));
                    let c = _mm256_loadu_ps(pairs.c.as_ptr().add(8 * r));
                    let b = _mm256_loadu_ps(b1.as_ptr().add(8 * r));
                    let a = _mm256_add_ps(_mm256_mul_ps(sum, c), b);
                    _mm256_storeu_ps(a1.as_mut_ptr().add((i * regs + r) * 8), a);
                }
            }
        }
    }

    /// Registers `first..first + R` of image `i`'s sums over its listed
    /// pairs `from..to`.
    ///
    /// # Safety
    /// As [`sums`]; `first + R` ≤ hp / 8.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn tile<const R: usize>(
        pairs: &W1Pairs,
        s: &mut PairScratch,
        i: usize,
        first: usize,
        from: usize,
        to: usize,
    ) {
        let regs = pairs.hp / 8;
        debug_assert!(first + R <= regs && to <= s.index.len());
        // SAFETY: (the whole body) the caller's.
        unsafe {
            let out = s.sums.as_mut_ptr().add(i * regs + first) as *mut __m256i;
            let lanes = pairs.lanes.as_ptr().add(first) as *const __m256i;
            let mut acc = [_mm256_setzero_si256(); R];
            for r in 0..R {
                acc[r] = _mm256_load_si256(out.add(r));
            }
            let (mut k, mut v) = (s.index.as_ptr().add(from), s.value.as_ptr().add(from));
            let end = s.index.as_ptr().add(to);
            while k != end {
                let two = _mm256_set1_epi32(*v as i32);
                let row = lanes.add(*k as usize * regs);
                for r in 0..R {
                    let w = _mm256_load_si256(row.add(r));
                    acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(two, w));
                }
                (k, v) = (k.add(1), v.add(1));
            }
            for r in 0..R {
                _mm256_store_si256(out.add(r), acc[r]);
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/x_w1_pairs.rs"]
mod tests;
