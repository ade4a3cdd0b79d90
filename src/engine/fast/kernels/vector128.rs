//! The 128-bit registers every target has: 4 f32 or 2 f64 per register,
//! the kernels' [`Level::Baseline`](super::Level::Baseline).
//!
//! ```text
//! fmadd(a, b, c) = a·b + c    NEON: one rounding;  SSE2, simd128, plain: two (multiply, then add)
//! ```
//!
//! | target | instructions | fused |
//! | --- | --- | --- |
//! | x86-64 | SSE2 (part of every x86-64) | no |
//! | aarch64 | NEON (part of every aarch64) | yes |
//! | wasm32 with `target-feature=+simd128` | WebAssembly simd128 | no |
//! | any other | plain arithmetic on 4 or 2 numbers | no |
//!
//! SSE2 and simd128 compute the same operations in the same order, so they
//! give the same bits; NEON, fused, gives those of AVX2 and AVX-512.
//! `load_first` and `store_first` go through a small array on the stack:
//! these instruction sets have no masked loads.
//!
//! ```
//! // The level the 128-bit registers serve, on every target:
//! assert_eq!(manabi::engine::testing::Level::Baseline.name(), "baseline");
//! ```

#[cfg(target_arch = "aarch64")]
use std::arch::aarch64::*;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use std::arch::wasm32::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::vector::{Vector, vector};

/// What the 128-bit registers are on this target (`train` names it).
pub const INSTRUCTIONS: &str = if cfg!(target_arch = "x86_64") {
    "SSE2"
} else if cfg!(target_arch = "aarch64") {
    "NEON"
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    "simd128"
} else {
    "plain arithmetic"
};

/// `count` numbers from `p`, zeros after them, as an array of N to load.
///
/// # Safety
/// `count` (≤ N) numbers must be readable at `p`.
#[inline(always)]
unsafe fn first<F: Copy + Default, const N: usize>(p: *const F, count: usize) -> [F; N] {
    // All N (the common case: whole registers), read as one array.
    if count >= N {
        // SAFETY: the caller's: N numbers are readable at `p`.
        return unsafe { (p as *const [F; N]).read_unaligned() };
    }
    // Number by number: a copy of `count` numbers would be a call to
    // memcpy, in a loop that runs once per hidden unit.
    let mut t = [F::default(); N];
    for (l, v) in t.iter_mut().enumerate() {
        if l < count {
            // SAFETY: the caller's; l < count numbers are readable.
            *v = unsafe { *p.add(l) };
        }
    }
    t
}

/// Writes the first `count` of the N numbers `t` to `p`.
///
/// # Safety
/// `count` (≤ N) numbers must be writable at `p`.
#[inline(always)]
unsafe fn put_first<F: Copy, const N: usize>(t: [F; N], p: *mut F, count: usize) {
    for (l, &v) in t.iter().enumerate() {
        if l < count {
            // SAFETY: the caller's; l < count numbers are writable.
            unsafe { *p.add(l) = v };
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod ops {
    use std::arch::x86_64::*;

    /// a·b, then + c: SSE2 has no fused multiply-add.
    #[inline(always)]
    pub fn madd_ps(a: __m128, b: __m128, c: __m128) -> __m128 {
        // SAFETY: SSE2 is part of every x86-64 processor.
        unsafe { _mm_add_ps(_mm_mul_ps(a, b), c) }
    }

    /// a·b, then + c.
    #[inline(always)]
    pub fn madd_pd(a: __m128d, b: __m128d, c: __m128d) -> __m128d {
        // SAFETY: SSE2 is part of every x86-64 processor.
        unsafe { _mm_add_pd(_mm_mul_pd(a, b), c) }
    }
}

#[cfg(target_arch = "x86_64")]
vector!(
    Xmm32,
    f32,
    __m128,
    4,
    "SSE2",
    false,
    _mm_loadu_ps,
    _mm_storeu_ps,
    _mm_set1_ps,
    ops::madd_ps,
    _mm_add_ps,
    _mm_mul_ps,
    |p, count| _mm_loadu_ps(first::<f32, 4>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f32; 4];
        _mm_storeu_ps(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);
#[cfg(target_arch = "x86_64")]
vector!(
    Xmm64,
    f64,
    __m128d,
    2,
    "SSE2",
    false,
    _mm_loadu_pd,
    _mm_storeu_pd,
    _mm_set1_pd,
    ops::madd_pd,
    _mm_add_pd,
    _mm_mul_pd,
    |p, count| _mm_loadu_pd(first::<f64, 2>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f64; 2];
        _mm_storeu_pd(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);

#[cfg(target_arch = "aarch64")]
mod ops {
    use std::arch::aarch64::*;

    /// a·b + c in one rounding (`fmla`).
    #[inline(always)]
    pub fn madd_f32(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // SAFETY: NEON is part of every aarch64 processor.
        unsafe { vfmaq_f32(c, a, b) }
    }

    /// a·b + c in one rounding.
    #[inline(always)]
    pub fn madd_f64(a: float64x2_t, b: float64x2_t, c: float64x2_t) -> float64x2_t {
        // SAFETY: NEON is part of every aarch64 processor.
        unsafe { vfmaq_f64(c, a, b) }
    }
}

#[cfg(target_arch = "aarch64")]
vector!(
    Xmm32,
    f32,
    float32x4_t,
    4,
    "NEON",
    true,
    vld1q_f32,
    vst1q_f32,
    vdupq_n_f32,
    ops::madd_f32,
    vaddq_f32,
    vmulq_f32,
    |p, count| vld1q_f32(first::<f32, 4>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f32; 4];
        vst1q_f32(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);
#[cfg(target_arch = "aarch64")]
vector!(
    Xmm64,
    f64,
    float64x2_t,
    2,
    "NEON",
    true,
    vld1q_f64,
    vst1q_f64,
    vdupq_n_f64,
    ops::madd_f64,
    vaddq_f64,
    vmulq_f64,
    |p, count| vld1q_f64(first::<f64, 2>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f64; 2];
        vst1q_f64(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod ops {
    use std::arch::wasm32::*;

    /// 4 f32 from `p` (unaligned).
    ///
    /// # Safety
    /// 16 bytes must be readable at `p`.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> v128 {
        // SAFETY: the caller's.
        unsafe { v128_load(p as *const v128) }
    }
    /// 2 f64 from `p`.
    ///
    /// # Safety
    /// 16 bytes must be readable at `p`.
    #[inline(always)]
    pub unsafe fn load_f64(p: *const f64) -> v128 {
        // SAFETY: the caller's.
        unsafe { v128_load(p as *const v128) }
    }
    /// 4 f32 to `p`.
    ///
    /// # Safety
    /// 16 bytes must be writable at `p`.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: v128) {
        // SAFETY: the caller's.
        unsafe { v128_store(p as *mut v128, v) }
    }
    /// 2 f64 to `p`.
    ///
    /// # Safety
    /// 16 bytes must be writable at `p`.
    #[inline(always)]
    pub unsafe fn store_f64(p: *mut f64, v: v128) {
        // SAFETY: the caller's.
        unsafe { v128_store(p as *mut v128, v) }
    }
    /// a·b, then + c (`f32x4.mul`, `f32x4.add`): no fused multiply-add.
    #[inline(always)]
    pub fn madd_f32(a: v128, b: v128, c: v128) -> v128 {
        // Safe to call: this module is built only with simd128.
        f32x4_add(f32x4_mul(a, b), c)
    }
    /// a·b, then + c.
    #[inline(always)]
    pub fn madd_f64(a: v128, b: v128, c: v128) -> v128 {
        // Safe to call: this module is built only with simd128.
        f64x2_add(f64x2_mul(a, b), c)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
vector!(
    Xmm32,
    f32,
    v128,
    4,
    "simd128",
    false,
    ops::load,
    ops::store,
    f32x4_splat,
    ops::madd_f32,
    f32x4_add,
    f32x4_mul,
    |p, count| ops::load(first::<f32, 4>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f32; 4];
        ops::store(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
vector!(
    Xmm64,
    f64,
    v128,
    2,
    "simd128",
    false,
    ops::load_f64,
    ops::store_f64,
    f64x2_splat,
    ops::madd_f64,
    f64x2_add,
    f64x2_mul,
    |p, count| ops::load_f64(first::<f64, 2>(p, count).as_ptr()),
    |p, v, count| {
        let mut t = [0.0f64; 2];
        ops::store_f64(t.as_mut_ptr(), v);
        put_first(t, p, count)
    }
);

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
mod ops {
    //! Registers as arrays: plain arithmetic, lane by lane, unfused.

    /// N numbers from `p`.
    ///
    /// # Safety
    /// N numbers must be readable at `p`.
    #[inline(always)]
    pub unsafe fn load<F: Copy, const N: usize>(p: *const F) -> [F; N] {
        // SAFETY: the caller's.
        unsafe { *(p as *const [F; N]) }
    }
    /// N numbers to `p`.
    ///
    /// # Safety
    /// N numbers must be writable at `p`.
    #[inline(always)]
    pub unsafe fn store<F: Copy, const N: usize>(p: *mut F, v: [F; N]) {
        // SAFETY: the caller's.
        unsafe { std::ptr::write_unaligned(p as *mut [F; N], v) }
    }
    /// `v` in every lane.
    #[inline(always)]
    pub fn splat<F: Copy, const N: usize>(v: F) -> [F; N] {
        [v; N]
    }
    /// a + b, lane by lane.
    #[inline(always)]
    pub fn add<F: Copy + std::ops::Add<Output = F>, const N: usize>(
        a: [F; N],
        b: [F; N],
    ) -> [F; N] {
        std::array::from_fn(|l| a[l] + b[l])
    }
    /// a · b, lane by lane.
    #[inline(always)]
    pub fn mul<F: Copy + std::ops::Mul<Output = F>, const N: usize>(
        a: [F; N],
        b: [F; N],
    ) -> [F; N] {
        std::array::from_fn(|l| a[l] * b[l])
    }
    /// a·b, then + c.
    #[inline(always)]
    pub fn madd<F: Copy + std::ops::Add<Output = F> + std::ops::Mul<Output = F>, const N: usize>(
        a: [F; N],
        b: [F; N],
        c: [F; N],
    ) -> [F; N] {
        std::array::from_fn(|l| a[l] * b[l] + c[l])
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
vector!(
    Xmm32,
    f32,
    [f32; 4],
    4,
    "plain arithmetic",
    false,
    ops::load,
    ops::store,
    ops::splat,
    ops::madd,
    ops::add,
    ops::mul,
    |p, count| first::<f32, 4>(p, count),
    |p, v, count| put_first(v, p, count)
);
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
vector!(
    Xmm64,
    f64,
    [f64; 2],
    2,
    "plain arithmetic",
    false,
    ops::load,
    ops::store,
    ops::splat,
    ops::madd,
    ops::add,
    ops::mul,
    |p, count| first::<f64, 2>(p, count),
    |p, v, count| put_first(v, p, count)
);
