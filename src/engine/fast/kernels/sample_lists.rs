//! Which samples light each group of pixels: the lists xᵀ·δ walks.
//!
//! ```text
//! list(g) = [len, s₁, s₂, …]   the samples s (in order) with x[s, i] ≠ 0 for a pixel i of group g
//! x: (n, d) bytes  →  groups of P pixels from `first`, n + 1 numbers each
//! ```
//!
//! [`super::xt_delta`] adds, for each pixel, its value times each sample's
//! da1 row; a sample that lights none of a tile's pixels adds only zeros,
//! so the tiles walk these lists instead of every sample. They are made
//! without a branch whose outcome a processor could not predict: plainly a
//! byte at a time, one pixel's lists 8 × 8 at a time in 64-bit arithmetic
//! (every target), and with AVX-512 or AVX2 many groups at once.

use super::Level;
use super::lit::{LIT_AT, LIT_COUNT, lit_bits};
#[cfg(target_arch = "x86_64")]
use super::lit::{byte_bits, lit_at_avx2};
#[cfg(target_arch = "x86_64")]
use super::xt_delta::PIXELS;

/// The lists of `groups` groups of P pixels from pixel `first` of the `n`
/// images in `x` (rows of `d` bytes), into `lists` (room for groups·(n + 1)
/// + 16 numbers), made the fastest way `level` has.
#[inline(always)]
pub(super) fn sample_lists_for<const P: usize>(
    level: Level,
    x: &[u8],
    n: usize,
    d: usize,
    first: usize,
    groups: usize,
    lists: &mut [u32],
) {
    assert!(
        x.len() >= n * d && first + groups * P <= d && lists.len() >= groups * (n + 1) + 16,
        "sample lists: {groups} groups of {P} from pixel {first} of {n} images of {d}"
    );
    assert!(
        level.supported(),
        "{level:?} kernels on a processor without them"
    );
    #[cfg(target_arch = "x86_64")]
    if level == Level::Avx512 && P == PIXELS {
        // SAFETY: the level is supported (asserted above): the processor
        // has AVX-512; the pixels first..first + groups·PIXELS ≤ d of n
        // images are in x, and lists has room for groups lists of n + 1
        // and 16 more (asserted above).
        unsafe { sample_lists_avx512(x, n, d, first, groups, lists) };
    } else if level == Level::Avx2 && P == PIXELS {
        // SAFETY: as above, with AVX2 (the level is supported).
        unsafe { sample_lists_avx2(x, n, d, first, groups, lists) };
    } else if P == 1 {
        sample_lists_one(x, n, d, first, groups, lists);
    } else {
        sample_lists::<P>(x, n, d, first, groups, lists);
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = level;
        if P == 1 {
            sample_lists_one(x, n, d, first, groups, lists);
        } else {
            sample_lists::<P>(x, n, d, first, groups, lists);
        }
    }
}

/// For each of `groups` groups of P pixels from pixel `first`, the
/// samples among the `n` images of `x` that light any of them, in order: in
/// `lists`, n + 1 numbers per group, a count, then the samples.
///
/// Written without a branch (whether a sample is lit follows no pattern a
/// processor could predict): every sample is written, the lit ones kept.
#[inline(always)]
fn sample_lists<const P: usize>(
    x: &[u8],
    n: usize,
    d: usize,
    first: usize,
    groups: usize,
    lists: &mut [u32],
) {
    for (g, list) in lists.chunks_exact_mut(n + 1).take(groups).enumerate() {
        let i0 = first + g * P;
        let mut len = 0;
        for s in 0..n {
            let bytes: [u8; P] = x[s * d + i0..][..P].try_into().unwrap();
            list[1 + len] = s as u32;
            len += (bytes != [0; P]) as usize;
        }
        list[0] = len as u32;
    }
}

/// [`sample_lists`] for groups of one pixel, 8 pixels × 8 samples at a
/// time, in plain 64-bit arithmetic (every target): each sample's 8 bytes
/// tested at once into a byte of bits ([`lit_bits`]), the 8 × 8 bits
/// turned ([`transpose8`]) so that pixel j's byte holds its 8 samples' bits,
/// and each pixel's lit samples written from [`LIT_AT`] in one go. The
/// pixels past the last 8 as [`sample_lists`] does.
#[inline(always)]
fn sample_lists_one(x: &[u8], n: usize, d: usize, first: usize, pixels: usize, lists: &mut [u32]) {
    let stride = n + 1;
    // Checked once here so that the loops below read and write unchecked.
    assert!(x.len() >= n * d && first + pixels <= d && lists.len() >= pixels * stride);
    let (xp, out) = (x.as_ptr(), lists.as_mut_ptr());
    let mut p = 0;
    while p + 8 <= pixels {
        let mut lens = [0usize; 8];
        let mut s0 = 0;
        while s0 < n {
            let rows = (n - s0).min(8);
            let mut bits = 0u64;
            for k in 0..rows {
                let at = (s0 + k) * d + first + p;
                // SAFETY: bytes first + p .. + 8 ≤ d of image s0 + k < n, in
                // x (asserted above).
                let v = unsafe { xp.add(at).cast::<[u8; 8]>().read() };
                bits |= lit_bits(u64::from_le_bytes(v)) << (8 * k);
            }
            let turned = transpose8(bits);
            for (j, len) in lens.iter_mut().enumerate() {
                let m = (turned >> (8 * j)) as u8 as usize;
                // SAFETY: pixel p + j's list, n numbers after its count, in
                // `lists` (asserted above); *len ≤ s0, so the 8 slots end at
                // s0 + 8 ≤ n when rows is 8, and one slot at *len ≤ s0 + k < n
                // otherwise.
                unsafe {
                    let list = out.add((p + j) * stride + 1 + *len);
                    if rows == 8 {
                        // All 8 slots written; the length moves on by how
                        // many are lit.
                        let slots = &mut *list.cast::<[u32; 8]>();
                        for (slot, &a) in slots.iter_mut().zip(&LIT_AT[m]) {
                            *slot = (s0 + a as usize) as u32;
                        }
                        *len += LIT_COUNT[m] as usize;
                    } else {
                        // The last few samples: no room past n for 8 slots.
                        let mut lit = 0;
                        for k in 0..rows {
                            *list.add(lit) = (s0 + k) as u32;
                            lit += m >> k & 1;
                        }
                        *len += lit;
                    }
                }
            }
            s0 += 8;
        }
        for (j, &len) in lens.iter().enumerate() {
            // SAFETY: pixel p + j's count, in `lists` (asserted above).
            unsafe { *out.add((p + j) * stride) = len as u32 };
        }
        p += 8;
    }
    sample_lists::<1>(x, n, d, first + p, pixels - p, &mut lists[p * stride..]);
}

/// An 8 × 8 matrix of bits, bit c of byte r, turned: bit r of byte c.
#[inline(always)]
fn transpose8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00aa_00aa_00aa_00aa;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_cccc_0000_cccc;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_f0f0_f0f0;
    x ^ t ^ (t << 28)
}

/// [`sample_lists`] with AVX-512, 32 groups (128 pixels) at a time: a mask
/// per sample of the groups it lights (one test per 4 bytes), then, for each
/// group, 16 samples' masks tested for its bit at once and the lit samples'
/// numbers kept by `vpcompressd`.
///
/// # Safety
/// The processor must have AVX-512 F and BW; x must hold pixels
/// `first..first + groups·PIXELS` (≤ d) of n images of d, and `lists` room
/// for groups·(n + 1) + 16 numbers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sample_lists_avx512(
    x: &[u8],
    n: usize,
    d: usize,
    first: usize,
    groups: usize,
    lists: &mut [u32],
) {
    use std::arch::x86_64::*;
    const _: () = assert!(PIXELS == 4, "one 32-bit lane per group");
    let mut masks = SAMPLE_MASKS.take();
    masks.clear();
    masks.resize(n.next_multiple_of(16), 0);
    let (xp, out) = (x.as_ptr(), lists.as_mut_ptr() as *mut i32);
    // SAFETY: (the whole body) the caller's; reads stay within the pixels it
    // names (masked to whole groups), writes within lists and masks.
    unsafe {
        let step = _mm512_set1_epi32(16);
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for g0 in (0..groups).step_by(32) {
            // Bytes of whole groups in this pass, in two registers of 64.
            let bytes = (groups - g0).min(32) * PIXELS;
            let keep = |from: usize| -> u64 {
                let count = bytes.saturating_sub(from).min(64);
                if count == 64 { !0 } else { (1u64 << count) - 1 }
            };
            let (k0, k1) = (keep(0), keep(64));
            for s in 0..n {
                let p = xp.add(s * d + first + g0 * PIXELS) as *const i8;
                let lo = _mm512_maskz_loadu_epi8(k0, p);
                let hi = _mm512_maskz_loadu_epi8(k1, p.add(64));
                let m = _mm512_test_epi32_mask(lo, lo) as u32
                    | (_mm512_test_epi32_mask(hi, hi) as u32) << 16;
                masks[s] = m;
            }
            for g in g0..(g0 + 32).min(groups) {
                let bit = _mm512_set1_epi32(1 << (g - g0));
                let list = out.add(g * (n + 1));
                let mut len = 0usize;
                let mut index = iota;
                for c in (0..n).step_by(16) {
                    let m = _mm512_loadu_si512(masks.as_ptr().add(c) as *const _);
                    // Samples past n have a zero mask.
                    let lit = _mm512_test_epi32_mask(m, bit);
                    let listed = _mm512_maskz_compress_epi32(lit, index);
                    _mm512_storeu_si512(list.add(1 + len) as *mut _, listed);
                    len += lit.count_ones() as usize;
                    index = _mm512_add_epi32(index, step);
                }
                *list = len as i32;
            }
        }
    }
    SAMPLE_MASKS.set(masks);
}

/// [`sample_lists`] with AVX2, 8 groups (32 pixels) at a time: a byte per
/// sample of the groups it lights (one test per 4 bytes), then, for each
/// group, 8 samples' bytes at once: their bits for the group gathered into
/// one byte by a multiply, and the lit samples' numbers written from the
/// table of positions (`lit_at_avx2`).
///
/// # Safety
/// The processor must have AVX2; x must hold pixels
/// `first..first + groups·PIXELS` (≤ d) of n images of d, and `lists` room
/// for groups·(n + 1) + 16 numbers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sample_lists_avx2(
    x: &[u8],
    n: usize,
    d: usize,
    first: usize,
    groups: usize,
    lists: &mut [u32],
) {
    use std::arch::x86_64::*;
    const _: () = assert!(PIXELS == 4, "one 32-bit lane per group");
    let mut masks = SAMPLE_BYTES.take();
    masks.clear();
    // Samples past n light nothing: 8 bytes can always be read.
    masks.resize(n.next_multiple_of(8), 0);
    let (xp, out) = (x.as_ptr(), lists.as_mut_ptr() as *mut i32);
    // SAFETY: (the whole body) the caller's; reads stay within the pixels it
    // names (masked to whole groups), writes within lists and masks.
    unsafe {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for g0 in (0..groups).step_by(8) {
            // The lanes of whole groups in this pass; the others read as zero.
            let keep = _mm256_cmpgt_epi32(_mm256_set1_epi32((groups - g0).min(8) as i32), lanes);
            for s in 0..n {
                let p = xp.add(s * d + first + g0 * PIXELS) as *const i32;
                let dark =
                    _mm256_cmpeq_epi32(_mm256_maskload_epi32(p, keep), _mm256_setzero_si256());
                *masks.get_unchecked_mut(s) = !_mm256_movemask_ps(_mm256_castsi256_ps(dark)) as u8;
            }
            for g in g0..(g0 + 8).min(groups) {
                let list = out.add(g * (n + 1));
                let mut len = 0usize;
                for c in (0..n).step_by(8) {
                    let eight = u64::from_le_bytes(*(masks.as_ptr().add(c) as *const [u8; 8]));
                    // Bit g − g0 of each byte, sample c + k's at bit k.
                    let (listed, lit) = lit_at_avx2(byte_bits(eight >> (g - g0)) as usize, c);
                    _mm256_storeu_si256(list.add(1 + len) as *mut __m256i, listed);
                    len += lit;
                }
                *list = len as i32;
            }
        }
    }
    SAMPLE_BYTES.set(masks);
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// For each sample, the pixel groups it lights (`sample_lists_avx512`).
    static SAMPLE_MASKS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
    /// For each sample, the 8 pixel groups of a pass it lights
    /// (`sample_lists_avx2`).
    static SAMPLE_BYTES: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

#[cfg(test)]
#[path = "tests/sample_lists.rs"]
mod tests;
