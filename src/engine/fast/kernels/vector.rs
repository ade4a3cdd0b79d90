//! One vector register of numbers, for the tiles of [`super::x_w1`],
//! [`super::xt_delta`] and [`super::z1_w2`]: `fmadd(a, b, c)` = a·b + c,
//! lane by lane, N lanes (16 f32 or 8 f64 in AVX-512, half as many in AVX2,
//! a quarter in the 128-bit registers of [`super::vector128`]).
//!
//! The tiles keep G × R registers of running sums (24 of the 32 registers
//! AVX-512 has). Written as plain arrays of numbers, whether the compiler
//! keeps them in registers depends on its unrolling heuristics, which differ
//! between f32 and f64 and between tile shapes; written with these types it
//! always does. Each operation is one instruction. Where the processor has
//! a fused multiply-add (AVX2, AVX-512, NEON), `fmadd(a, b, c)` is a·b + c
//! in one rounding, the same value `f64::mul_add` gives; where it has none
//! (SSE2, WebAssembly's simd128), it is a multiply, then an add — never a
//! library call.
//!
//! The AVX2 and AVX-512 types are used only by the `kernel!` versions
//! compiled for them, after [`super::level`] found the instructions on the
//! processor; the 128-bit ones are the target's baseline.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// A register of `N` numbers of type `F`.
///
/// # Safety
/// Every method needs the instruction set the type is named after; `load`
/// and `store` need `N` numbers readable or writable at the pointer.
pub trait Vector<F: Copy>: Copy {
    /// Numbers per register.
    const N: usize;
    /// Whether [`Vector::fmadd`] rounds once (a fused multiply-add) or
    /// twice (a multiply, then an add).
    const FUSED: bool;
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
    /// a·b + c: one rounding if [`Vector::FUSED`], else two.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn fmadd(a: Self, b: Self, c: Self) -> Self;
    /// a + b, lane by lane.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn add(a: Self, b: Self) -> Self;
    /// a · b, lane by lane.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn mul(a: Self, b: Self) -> Self;
    /// The first `count` (at most N) numbers at `p`, zeros after them;
    /// nothing past them is read.
    ///
    /// # Safety
    /// See [`Vector`]; only `count` numbers need be readable.
    unsafe fn load_first(p: *const F, count: usize) -> Self;
    /// Writes the first `count` (at most N) lanes to `p`, nothing past them.
    ///
    /// # Safety
    /// See [`Vector`]; only `count` numbers need be writable.
    unsafe fn store_first(self, p: *mut F, count: usize);
}

macro_rules! vector {
    ($name:ident, $f:ty, $reg:ty, $n:expr, $feature:literal, $fused:expr,
     $load:path, $store:path, $splat:path, $fmadd:path, $add:path, $mul:path,
     |$p:ident, $count:ident| $load_first:expr, |$q:ident, $v:ident, $count2:ident| $store_first:expr) => {
        #[doc = concat!("`", stringify!($reg), "`: ", stringify!($n), " × ", stringify!($f), " (", $feature, ").")]
        #[derive(Clone, Copy)]
        pub struct $name($reg);

        // Where the target always has the instructions, some of them are
        // safe to call and their `unsafe` blocks are not needed.
        #[allow(unused_unsafe)]
        impl Vector<$f> for $name {
            const N: usize = $n;
            const FUSED: bool = $fused;
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
            #[inline(always)]
            unsafe fn add(a: Self, b: Self) -> Self {
                // SAFETY: the caller's (see the trait).
                Self(unsafe { $add(a.0, b.0) })
            }
            #[inline(always)]
            unsafe fn mul(a: Self, b: Self) -> Self {
                // SAFETY: the caller's (see the trait).
                Self(unsafe { $mul(a.0, b.0) })
            }
            #[inline(always)]
            unsafe fn load_first($p: *const $f, $count: usize) -> Self {
                debug_assert!($count <= $n);
                // SAFETY: the caller's (see the trait); masked lanes are
                // not read.
                Self(unsafe { $load_first })
            }
            #[inline(always)]
            unsafe fn store_first(self, $q: *mut $f, $count2: usize) {
                debug_assert!($count2 <= $n);
                let $v = self.0;
                // SAFETY: the caller's (see the trait); masked lanes are
                // not written.
                unsafe { $store_first }
            }
        }
    };
}

pub(crate) use vector;

/// The AVX2 mask of the first `count` of 8 lanes of 32 bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn mask32(count: usize) -> __m256i {
    _mm256_cmpgt_epi32(
        _mm256_set1_epi32(count as i32),
        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
    )
}

/// The AVX2 mask of the first `count` of 4 lanes of 64 bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn mask64(count: usize) -> __m256i {
    _mm256_cmpgt_epi64(
        _mm256_set1_epi64x(count as i64),
        _mm256_setr_epi64x(0, 1, 2, 3),
    )
}

#[cfg(target_arch = "x86_64")]
vector!(
    Zmm32,
    f32,
    __m512,
    16,
    "AVX-512",
    true,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_set1_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    _mm512_mul_ps,
    |p, count| _mm512_maskz_loadu_ps(((1u32 << count) - 1) as __mmask16, p),
    |p, v, count| _mm512_mask_storeu_ps(p, ((1u32 << count) - 1) as __mmask16, v)
);
#[cfg(target_arch = "x86_64")]
vector!(
    Zmm64,
    f64,
    __m512d,
    8,
    "AVX-512",
    true,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_set1_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    _mm512_mul_pd,
    |p, count| _mm512_maskz_loadu_pd(((1u32 << count) - 1) as __mmask8, p),
    |p, v, count| _mm512_mask_storeu_pd(p, ((1u32 << count) - 1) as __mmask8, v)
);
#[cfg(target_arch = "x86_64")]
vector!(
    Ymm32,
    f32,
    __m256,
    8,
    "AVX2 + FMA",
    true,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_set1_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    _mm256_mul_ps,
    |p, count| _mm256_maskload_ps(p, mask32(count)),
    |p, v, count| _mm256_maskstore_ps(p, mask32(count), v)
);
#[cfg(target_arch = "x86_64")]
vector!(
    Ymm64,
    f64,
    __m256d,
    4,
    "AVX2 + FMA",
    true,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_set1_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd,
    _mm256_mul_pd,
    |p, count| _mm256_maskload_pd(p, mask64(count)),
    |p, v, count| _mm256_maskstore_pd(p, mask64(count), v)
);

/// An AVX2 register of pairs: lanes 2q and 2q + 1 belong to item q (one
/// of the pixels of a tile of ∂L/∂W1), holding the 2 live units of a last
/// register of hidden units for N / 2 items at once (`xt_delta`'s
/// `packed_tile`).
#[cfg(target_arch = "x86_64")]
pub trait Pairs<F: Copy>: Vector<F> {
    /// The two numbers at `p` in every pair of lanes.
    ///
    /// # Safety
    /// See [`Vector`]; two numbers must be readable at `p`.
    unsafe fn pairs(p: *const F) -> Self;
    /// `self`, with pair `q`'s lanes (q < N / 2) taken from `v`.
    ///
    /// # Safety
    /// See [`Vector`].
    unsafe fn with_pair(self, q: usize, v: Self) -> Self;
}

#[cfg(target_arch = "x86_64")]
impl Pairs<f32> for Ymm32 {
    #[inline(always)]
    unsafe fn pairs(p: *const f32) -> Self {
        // SAFETY: the caller's (two f32, read as one unaligned f64).
        Self(unsafe { _mm256_castpd_ps(_mm256_set1_pd((p as *const f64).read_unaligned())) })
    }
    #[inline(always)]
    unsafe fn with_pair(self, q: usize, v: Self) -> Self {
        // SAFETY: the caller's (see the trait).
        Self(unsafe {
            match q {
                0 => _mm256_blend_ps::<0b0000_0011>(self.0, v.0),
                1 => _mm256_blend_ps::<0b0000_1100>(self.0, v.0),
                2 => _mm256_blend_ps::<0b0011_0000>(self.0, v.0),
                _ => _mm256_blend_ps::<0b1100_0000>(self.0, v.0),
            }
        })
    }
}

#[cfg(target_arch = "x86_64")]
impl Pairs<f64> for Ymm64 {
    #[inline(always)]
    unsafe fn pairs(p: *const f64) -> Self {
        // SAFETY: the caller's (two f64, unaligned).
        Self(unsafe {
            let two = _mm_loadu_pd(p);
            _mm256_set_m128d(two, two)
        })
    }
    #[inline(always)]
    unsafe fn with_pair(self, q: usize, v: Self) -> Self {
        // SAFETY: the caller's (see the trait).
        Self(unsafe {
            match q {
                0 => _mm256_blend_pd::<0b0011>(self.0, v.0),
                _ => _mm256_blend_pd::<0b1100>(self.0, v.0),
            }
        })
    }
}
