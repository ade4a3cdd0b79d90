//! Images matched to their 256 values: `x → k`, `k = ⌊x · scale + 0.5⌋`,
//! kept when `value(k) = x` for every value (0 ≤ k ≤ 255).
//!
//! ```text
//! x = 0.003921569 (float32 1/255), scale 255, value(k) = k / 255  →  k = 1
//! x = 0.5                                                          →  none (127.5 rounds to 128, 128/255 ≠ 0.5)
//! ```
//!
//! Every value is converted and checked, a chunk at a time without an early
//! exit, so the loop runs on vector registers. The same loop is compiled
//! twice: for any processor ([`as_bytes_scalar`]) and for AVX2, used where
//! the processor has it (checked at run time). Both give the same bytes:
//! `floor`, `max`, `min`, `==` and the conversion are exact, and nothing is
//! fused (a test compares them on every value class). From [`PARALLEL`]
//! values on, chunks of [`GRAIN`] are matched by the threads of the pool:
//! each byte depends on its own value only, so the answer is the same.
//! The book's float32 `k / 255` has a test of its own without the division
//! where the processor has AVX2 and FMA ([`k255`]), the same answer faster.

use rayon::prelude::*;

pub mod k255;
pub mod pool;

/// Values from which an array is matched by the pool's threads (a whole
/// split, such as 60,000 images: 47 million values, read from memory).
pub const PARALLEL: usize = 1 << 20;

/// Values per parallel chunk (a multiple of the 256 of [`matched`]).
const GRAIN: usize = 1 << 16;

/// Bytes for `values` when every one of them is `value(k)` for the k
/// nearest `v · scale` (0 ≤ k ≤ 255); `None` if any is not. (−0 reads as 0,
/// which changes no sum.) On AVX2 where the processor has it; a large
/// array (a whole split) in chunks on every thread of the pool, into a
/// buffer reused from an earlier call ([`pool`]).
pub fn as_bytes<T: Pixel + Sync>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy + Sync,
) -> Option<Vec<u8>> {
    bytes_by(values, |v, out| matched_here(v, scale, value, out))
}

/// [`as_bytes`] for float32 images and the book's `k / 255` (what
/// `load_mnist(normalize=True)` gives), without a division: see [`k255`].
pub fn k255_bytes(values: &[f32]) -> Option<Vec<u8>> {
    bytes_by(values, k255::matched_here)
}

/// Bytes for `values` by `one`, which writes a slice's bytes and says
/// whether every value matched: a large array in chunks on every thread of
/// the pool, into a buffer from [`pool`].
fn bytes_by<T: Sync>(
    values: &[T],
    one: impl Fn(&[T], &mut [u8]) -> bool + Sync,
) -> Option<Vec<u8>> {
    let mut bytes = pool::take(values.len());
    let ok = if values.len() < PARALLEL {
        one(values, &mut bytes)
    } else {
        values
            .par_chunks(GRAIN)
            .zip(bytes.par_chunks_mut(GRAIN))
            .all(|(v, out)| one(v, out))
    };
    if ok {
        Some(bytes)
    } else {
        pool::give(bytes);
        None
    }
}

/// [`matched`] on AVX2 where this processor has it.
fn matched_here<T: Pixel>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy,
    out: &mut [u8],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `matched_avx2` may run AVX2 instructions (its only
        // requirement), and the line above checked at run time that
        // this processor has them.
        return unsafe { matched_avx2(values, scale, value, out) };
    }
    matched(values, scale, value, out)
}

/// [`as_bytes`] compiled for any processor of the target.
#[cfg(test)]
pub fn as_bytes_scalar<T: Pixel>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy,
) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; values.len()];
    matched(values, scale, value, &mut bytes).then_some(bytes)
}

/// [`as_bytes`] compiled for AVX2: `Some(answer)` where this processor has
/// AVX2, `None` (nothing computed) where it does not.
#[cfg(all(test, target_arch = "x86_64"))]
pub fn as_bytes_avx2<T: Pixel>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy,
) -> Option<Option<Vec<u8>>> {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return None;
    }
    let mut bytes = vec![0u8; values.len()];
    // SAFETY: `matched_avx2` may run AVX2 instructions (its only
    // requirement), and the line above checked at run time that this
    // processor has them.
    let ok = unsafe { matched_avx2(values, scale, value, &mut bytes) };
    Some(ok.then_some(bytes))
}

/// [`matched`] compiled with AVX2 instructions.
///
/// # Safety
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn matched_avx2<T: Pixel>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy,
    out: &mut [u8],
) -> bool {
    matched(values, scale, value, out)
}

/// Writes each value's nearest k into `out`; whether every value is
/// `value(k)`. Inlined into its callers, so compiled for each one's
/// instruction set.
#[inline(always)]
fn matched<T: Pixel>(
    values: &[T],
    scale: T,
    value: impl Fn(T) -> T + Copy,
    out: &mut [u8],
) -> bool {
    for (chunk, outs) in values.chunks(256).zip(out.chunks_mut(256)) {
        let mut ok = true;
        for (o, &v) in outs.iter_mut().zip(chunk) {
            let (k, byte) = v.nearest(scale);
            ok &= value(k) == v;
            *o = byte;
        }
        if !ok {
            return false;
        }
    }
    true
}

/// A float type images come in.
pub trait Pixel: Copy + PartialEq {
    /// k = ⌊v · scale + 0.5⌋ limited to 0…255 (NaN to 0): the nearest
    /// whole number, as `Self` and as a byte.
    fn nearest(self, scale: Self) -> (Self, u8);
}

impl Pixel for f32 {
    #[inline(always)]
    #[allow(clippy::manual_clamp)] // clamp keeps a NaN; max turns it into 0
    fn nearest(self, scale: f32) -> (f32, u8) {
        let k = (self * scale + 0.5).floor().max(0.0).min(255.0);
        // SAFETY: `k` is a whole number in 0..=255 (max turns a NaN into 0
        // and bounds −∞, min bounds +∞), so finite and an i32.
        (k, unsafe { k.to_int_unchecked::<i32>() } as u8)
    }
}

impl Pixel for f64 {
    #[inline(always)]
    #[allow(clippy::manual_clamp)] // clamp keeps a NaN; max turns it into 0
    fn nearest(self, scale: f64) -> (f64, u8) {
        let k = (self * scale + 0.5).floor().max(0.0).min(255.0);
        // SAFETY: `k` is a whole number in 0..=255 (max turns a NaN into 0
        // and bounds −∞, min bounds +∞), so finite and an i32.
        (k, unsafe { k.to_int_unchecked::<i32>() } as u8)
    }
}

#[cfg(test)]
mod tests;
