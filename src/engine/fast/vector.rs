//! One vector register of numbers, for the tiles of `net`.
//!
//! The tiles keep G × R registers of running sums (24 of the 32 registers
//! AVX-512 has). Written as plain arrays of numbers, whether the compiler
//! keeps them in registers depends on its unrolling heuristics, which differ
//! between f32 and f64 and between tile shapes; written with these types it
//! always does. Each operation is one instruction: `fmadd(a, b, c)` is
//! a·b + c in one rounding, the same value `f64::mul_add` gives, so results
//! are the same bit for bit as the scalar code's.
//!
//! Only the `kernel!` versions compiled for AVX2 or AVX-512 use these, and
//! only after [`super::simd::level`] found the instructions on the processor.
#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::float::Float;

/// A register of `N` numbers of type `F`.
///
/// # Safety
/// Every method needs the instruction set the type is named after; `load`
/// and `store` need `N` numbers readable or writable at the pointer.
pub trait Vector<F: Float>: Copy {
    /// Numbers per register.
    const N: usize;
    /// N numbers from `p` (unaligned).
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn load(p: *const F) -> Self;
    /// N numbers to `p` (unaligned).
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn store(self, p: *mut F);
    /// `v` in every lane.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn splat(v: F) -> Self;
    /// a·b + c, one rounding.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self;
}

macro_rules! vector {
    ($name:ident, $f:ty, $reg:ty, $n:expr, $feature:literal,
     $load:ident, $store:ident, $splat:ident, $fmadd:ident) => {
        #[doc = concat!("`", stringify!($reg), "`: ", stringify!($n), " × ", stringify!($f), " (", $feature, ").")]
        #[derive(Clone, Copy)]
        pub struct $name($reg);

        impl Vector<$f> for $name {
            const N: usize = $n;
            #[inline(always)]
            unsafe fn load(p: *const $f) -> Self {
                // SAFETY: the caller's (see the trait).
                Self(unsafe { $load(p) })
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $f) {
                // SAFETY: the caller's (see the trait).
                unsafe { $store(p, self.0) }
            }
            #[inline(always)]
            unsafe fn splat(v: $f) -> Self {
                // SAFETY: the caller's (see the trait).
                Self(unsafe { $splat(v) })
            }
            #[inline(always)]
            unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self {
                // SAFETY: the caller's (see the trait).
                Self(unsafe { $fmadd(a.0, b.0, c.0) })
            }
        }
    };
}

vector!(
    Zmm32,
    f32,
    __m512,
    16,
    "AVX-512",
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps
);
vector!(
    Zmm64,
    f64,
    __m512d,
    8,
    "AVX-512",
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_set1_pd,
    _mm512_fmadd_pd
);
vector!(
    Ymm32,
    f32,
    __m256,
    8,
    "AVX2 + FMA",
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps
);
vector!(
    Ymm64,
    f64,
    __m256d,
    4,
    "AVX2 + FMA",
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_set1_pd,
    _mm256_fmadd_pd
);
