//! The number type of the fast engine: f32 or f64, with an `exp` that vectorises.
//!
//! e^x = 2^k · e^r,   k = round(x / ln 2),   |r| ≤ ln 2 / 2
//!
//! The standard library's `exp` is a function call per number, which keeps
//! the compiler from turning a loop of sigmoids into SIMD instructions. This
//! one is branch-free arithmetic: e^x = 2^k · e^r with k = round(x / ln 2)
//! and |r| ≤ ln 2 / 2, e^r from its Taylor polynomial (degree 13 in f64,
//! 7 in f32, below half an ulp of truncation error), and 2^k built directly
//! in the exponent bits. It is accurate to a couple of ulps and, being plain
//! arithmetic, gives the same bits on every machine.

use std::fmt::Debug;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// f32 or f64.
pub trait Float:
    Copy
    + Send
    + Sync
    + Debug
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// "f32" or "f64".
    const NAME: &'static str;
    /// ln(1 / smallest normal number), negated: below this a, σ(a) =
    /// 1 / (1 + e⁻ᵃ) is subnormal (or zero), and the fast engine's `activate`
    /// gives 0 there instead.
    const SIGMOID_CUT: Self;
    /// From an f64 (rounded for f32).
    fn from_f64(v: f64) -> Self;
    /// To an f64 (exact).
    fn to_f64(self) -> f64;
    /// A pixel byte scaled to [0, 1]: `p / 255`, computed in this type as
    /// the book's `x.astype(dtype) / 255.0` does.
    fn from_pixel(p: u8) -> Self;
    /// e^x, vectorisable; NaN stays NaN.
    fn exp(self) -> Self;
    /// ln x (the standard library's).
    fn ln(self) -> Self;
    /// self · a + b in one rounding: what each fused term of the AVX2 and
    /// AVX-512 kernels computes (their tests compare against it).
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// `v` as f32 numbers when this type is f32 (the AMX kernel's x·W1
    /// runs in f32 only), else `None`.
    fn as_f32(v: &[Self]) -> Option<&[f32]>;
    /// [`Float::as_f32`], to write.
    fn as_f32_mut(v: &mut [Self]) -> Option<&mut [f32]>;
    /// A 128-bit register of this type (SSE2, NEON, simd128 or plain).
    type Xmm: super::vector::Vector<Self>;
    /// An AVX-512 register of this type.
    #[cfg(target_arch = "x86_64")]
    type Zmm: super::vector::Vector<Self>;
    /// An AVX2 register of this type.
    #[cfg(target_arch = "x86_64")]
    type Ymm: super::vector::Pairs<Self>;
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAME: &'static str = "f64";
    const SIGMOID_CUT: Self = -708.396_418_532_264_1;
    type Xmm = super::vector128::Xmm64;
    #[cfg(target_arch = "x86_64")]
    type Zmm = super::vector::Zmm64;
    #[cfg(target_arch = "x86_64")]
    type Ymm = super::vector::Ymm64;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }

    #[inline(always)]
    fn from_pixel(p: u8) -> Self {
        p as f64 / 255.0
    }

    #[inline(always)]
    fn exp(self) -> Self {
        exp_f64(self)
    }

    #[inline(always)]
    fn ln(self) -> Self {
        // The same bits on every platform (the system's log may differ from
        // WebAssembly's in the last one): the losses a run records match.
        libm::log(self)
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }

    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }

    fn as_f32_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NAME: &'static str = "f32";
    const SIGMOID_CUT: Self = -87.336_54;
    type Xmm = super::vector128::Xmm32;
    #[cfg(target_arch = "x86_64")]
    type Zmm = super::vector::Zmm32;
    #[cfg(target_arch = "x86_64")]
    type Ymm = super::vector::Ymm32;

    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }

    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }

    #[inline(always)]
    fn from_pixel(p: u8) -> Self {
        p as f32 / 255.0
    }

    #[inline(always)]
    fn exp(self) -> Self {
        exp_f32(self)
    }

    #[inline(always)]
    fn ln(self) -> Self {
        libm::logf(self)
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }

    fn as_f32(v: &[Self]) -> Option<&[f32]> {
        Some(v)
    }

    fn as_f32_mut(v: &mut [Self]) -> Option<&mut [f32]> {
        Some(v)
    }
}

/// e^x in f64. Inputs are clamped to [−708, 709] (beyond them e^x is
/// subnormal or infinite; callers only need "tiny" and "huge" there).
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Adding 1.5·2⁵² rounds to an integer and leaves it in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // Written as selects, not min/max, so a NaN falls through both.
    let x = if x > 709.0 { 709.0 } else { x };
    let x = if x < -708.0 { -708.0 } else { x };
    let t = x * LOG2E + SHIFT;
    let k = t - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series of e^r to r¹³/13!, by Horner's rule.
    let mut p = 1.0 / 6_227_020_800.0;
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k: k + 1023 in the exponent field.
    let k_bits = t.to_bits().wrapping_sub(SHIFT.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    p * scale
}

/// e^x in f32, inputs clamped to [−87, 88].
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const SHIFT: f32 = 12_582_912.0; // 1.5·2²³
    let x = if x > 88.0 { 88.0 } else { x };
    let x = if x < -87.0 { -87.0 } else { x };
    let t = x * LOG2E + SHIFT;
    let k = t - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    let k_bits = t.to_bits().wrapping_sub(SHIFT.to_bits());
    let scale = f32::from_bits(k_bits.wrapping_add(127) << 23);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps_f64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_f64_is_within_a_few_ulps() {
        let mut worst = 0;
        let mut x = -700.0;
        while x < 700.0 {
            worst = worst.max(ulps_f64(exp_f64(x), x.exp()));
            x += 0.0137;
        }
        for x in [-1e-10, 0.0, 1e-10, 0.5, -0.5, 1.0, std::f64::consts::LN_10] {
            worst = worst.max(ulps_f64(exp_f64(x), x.exp()));
        }
        assert!(worst <= 3, "worst error {worst} ulps");
    }

    #[test]
    fn exp_f32_is_within_a_few_ulps() {
        let mut worst = 0;
        let mut x = -87.0f32;
        while x < 88.0 {
            let d = (exp_f32(x).to_bits() as i64 - x.exp().to_bits() as i64).unsigned_abs();
            worst = worst.max(d);
            x += 0.00731;
        }
        assert!(worst <= 3, "worst error {worst} ulps");
    }

    #[test]
    fn exp_keeps_nan_and_saturates() {
        assert!(exp_f64(f64::NAN).is_nan());
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f64(1e6).is_finite() && exp_f64(1e6) > 1e307);
        assert!(exp_f64(-1e6) >= 0.0 && exp_f64(-1e6) < 1e-300);
        assert!(exp_f64(f64::INFINITY) > 1e307);
    }
}
