//! The book's float32 images, `k / 255`, matched to their bytes without a
//! division, with AVX2 and FMA: for each value v, k is the whole number
//! nearest 255·v, and v is kept when it is the float32 nearest k/255,
//! tested as
//!
//! ```text
//! |255·v − k| ≤ 127.5 · ulp(v)    and    0 ≤ v ≤ 1
//! r = 255·v − k is exact (one fused multiply-add);
//! ulp(v) = 2^(e−23) for v in [2^e, 2^(e+1)): v's exponent bits as a float
//! times 2⁻²³, exact too (0 for zero and subnormals).
//! ```
//!
//! which is `fl32(k / 255) == v`, the test [`super::as_bytes`] makes with a
//! division (the answer for processors without AVX2 and FMA), for every
//! float32:
//!
//! - if v = fl32(k/255), v is within half a gap of k/255, and the gap around
//!   v is at most ulp(v): |v − k/255| ≤ ulp(v)/2, times 255 gives the test;
//! - conversely, |v − k/255| ≤ ulp(v)/2 with 0 ≤ v ≤ 1 puts k/255 within
//!   half a gap of v, strictly (k/255 is never a float32 nor halfway between two,
//!   unless k is 0 or 255, where r = 0), so fl32(k/255) = v — also at a
//!   power of two, where the gap below is half the gap above: k/255 cannot
//!   lie there (255·2^e is no whole number for e < 0);
//! - r is a whole multiple of ulp(v), so "≤ 127.5 ulps" is "≤ 127 ulps" and
//!   no rounding of r moves it across; NaN fails every comparison, ±∞ and
//!   negative numbers fail 0 ≤ v ≤ 1 (the division's rule takes k = 0
//!   for them), and −0 passes as 0 (k = 0, r = −0), as with the division;
//! - k: 255·v rounded to the nearest whole number, ties to even (the
//!   division's rule rounds ties up): a value that passes is within 2⁻¹⁶
//!   of k/255 · 255, never at a tie, so both roundings give its k, and a
//!   value that fails is no fl32(j/255) for any j, whatever k it meets.
//!
//! A test compares it with the division on values around every k/255,
//! every power of two, the odd classes and random bits.

/// Writes each value's k into `out`; whether every value is fl32(k/255).
/// With AVX-512 where the processor has it, else AVX2 and FMA (checked at
/// run time), else the division's test.
pub fn matched_here(values: &[f32], out: &mut [u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        // SAFETY: `matched_avx512` may run AVX-512F and BW instructions
        // (its only requirement), and the line above checked at run time
        // that this processor has them.
        return unsafe { matched_avx512(values, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: `matched_fma` may run AVX2 and FMA instructions (its
        // only requirement), and the line above checked at run time that
        // this processor has them.
        return unsafe { matched_fma(values, out) };
    }
    super::matched(values, 255.0, |k| k / 255.0, out)
}

/// 127.5 · 2⁻²³: half a gap, in units of v's power of two.
const HALF_GAP: f32 = 127.5 / 8_388_608.0;

/// Values per check of the answer so far (an array that does not match
/// is given up at the first block with a value that does not).
const BLOCK: usize = 256;

/// [`matched_here`] with AVX2 and FMA: 32 values a step, in four
/// registers, their k packed to 32 bytes; the tail by the division.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn matched_fma(values: &[f32], out: &mut [u8]) -> bool {
    use std::arch::x86_64::*;
    let n = values.len().min(out.len());
    let whole = n - n % 32;
    let scale = _mm256_set1_ps(255.0);
    let (zero, one) = (_mm256_setzero_ps(), _mm256_set1_ps(1.0));
    let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let exponent = _mm256_castsi256_ps(_mm256_set1_epi32(0x7f80_0000));
    let half_gap = _mm256_set1_ps(HALF_GAP);
    // packs work within each 128-bit half: this puts the bytes in order.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let (vp, op) = (values.as_ptr(), out.as_mut_ptr());
    let mut at = 0;
    while at < whole {
        let end = (at + BLOCK).min(whole);
        let mut good = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
        while at < end {
            let mut ks = [_mm256_setzero_si256(); 4];
            for (q, k) in ks.iter_mut().enumerate() {
                // SAFETY: at + 32 ≤ whole ≤ values.len().
                let v = unsafe { _mm256_loadu_ps(vp.add(at + 8 * q)) };
                // Ties to even: the default rounding, which Rust assumes.
                *k = _mm256_cvtps_epi32(_mm256_mul_ps(v, scale));
                let r = _mm256_fmsub_ps(v, scale, _mm256_cvtepi32_ps(*k));
                let limit = _mm256_mul_ps(_mm256_and_ps(v, exponent), half_gap);
                let near = _mm256_cmp_ps::<_CMP_LE_OQ>(_mm256_and_ps(r, abs), limit);
                let within = _mm256_and_ps(
                    _mm256_cmp_ps::<_CMP_GE_OQ>(v, zero),
                    _mm256_cmp_ps::<_CMP_LE_OQ>(v, one),
                );
                good = _mm256_and_ps(good, _mm256_and_ps(near, within));
            }
            // Saturating packs: a kept value's k is 0…255 already.
            let words = [
                _mm256_packs_epi32(ks[0], ks[1]),
                _mm256_packs_epi32(ks[2], ks[3]),
            ];
            let bytes = _mm256_packus_epi16(words[0], words[1]);
            let bytes = _mm256_permutevar8x32_epi32(bytes, order);
            // SAFETY: at + 32 ≤ whole ≤ out.len().
            unsafe { _mm256_storeu_si256(op.add(at).cast(), bytes) };
            at += 32;
        }
        if _mm256_movemask_ps(good) != 0xff {
            return false;
        }
    }
    super::matched(&values[whole..n], 255.0, |k| k / 255.0, &mut out[whole..n])
}

/// [`matched_here`] with AVX-512 (F and BW): the same test as
/// [`matched_fma`], 16 values to a register, the comparisons into a mask;
/// the range 0 ≤ v ≤ 1 read from k instead, as one unsigned comparison
/// k ≤ 255: NaN, ±∞ and values out of i32's range convert to 0x8000_0000,
/// negative values from −1/510 down to a negative k, and a value in
/// (−1/510, 1/510) with k = 0 passes the nearness test only if it is ±0
/// (255·|v| is far more than 127.5 ulps of v), one in (1, 256/255) with k =
/// 255 never (255·(v − 1) ≥ 255 ulps). Four registers' k are packed to 64
/// bytes at a time (two packs of words, one of bytes, one permute); the
/// rest 16 at a time, each k narrowed on its own, and the tail by the
/// division.
///
/// # Safety
/// The processor must have AVX-512F and AVX-512BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn matched_avx512(values: &[f32], out: &mut [u8]) -> bool {
    use std::arch::x86_64::*;
    let n = values.len().min(out.len());
    let (whole, whole64) = (n - n % 16, n - n % 64);
    let scale = _mm512_set1_ps(255.0);
    let top = _mm512_set1_epi32(255);
    let exponent = _mm512_set1_epi32(0x7f80_0000);
    let half_gap = _mm512_set1_ps(HALF_GAP);
    // After the packs, 32-bit word 4L + i holds k_i's values 4L..4L + 3 (L
    // a 128-bit lane): this puts k_0's 16 bytes first, then k_1's, ….
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    let (vp, op) = (values.as_ptr(), out.as_mut_ptr());
    // The 16 values at `at`: their k, and `good` cleared where one is not
    // fl32(k/255).
    macro_rules! kept {
        ($at:expr, $good:ident) => {{
            // SAFETY: at + 16 ≤ whole ≤ values.len() where this is used.
            let v = unsafe { _mm512_loadu_ps(vp.add($at)) };
            // Ties to even: the default rounding, which Rust assumes.
            let k = _mm512_cvtps_epi32(_mm512_mul_ps(v, scale));
            let r = _mm512_fmsub_ps(v, scale, _mm512_cvtepi32_ps(k));
            let power = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v), exponent));
            let limit = _mm512_mul_ps(power, half_gap);
            let in_range = _mm512_cmple_epu32_mask(k, top);
            $good &= _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(in_range, _mm512_abs_ps(r), limit);
            k
        }};
    }
    let mut at = 0;
    while at < whole64 {
        let end = (at + BLOCK).min(whole64);
        let mut good: __mmask16 = 0xffff;
        while at < end {
            let ks = [
                kept!(at, good),
                kept!(at + 16, good),
                kept!(at + 32, good),
                kept!(at + 48, good),
            ];
            // Saturating packs: a kept value's k is 0…255 already.
            let words = [
                _mm512_packus_epi32(ks[0], ks[1]),
                _mm512_packus_epi32(ks[2], ks[3]),
            ];
            let bytes = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(words[0], words[1]));
            // SAFETY: at + 64 ≤ whole64 ≤ out.len().
            unsafe { _mm512_storeu_si512(op.add(at).cast(), bytes) };
            at += 64;
        }
        if good != 0xffff {
            return false;
        }
    }
    let mut good: __mmask16 = 0xffff;
    while at < whole {
        let k = kept!(at, good);
        // SAFETY: at + 16 ≤ whole ≤ out.len().
        unsafe { _mm_storeu_si128(op.add(at).cast(), _mm512_cvtusepi32_epi8(k)) };
        at += 16;
    }
    good == 0xffff && super::matched(&values[whole..n], 255.0, |k| k / 255.0, &mut out[whole..n])
}
