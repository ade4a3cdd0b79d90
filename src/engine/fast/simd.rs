//! Run the hot loops with the widest vector instructions the processor has.
//!
//! The default x86-64 target only promises SSE2 (2 f64 or 4 f32 per
//! instruction). Most machines have AVX2 (twice as wide), many AVX-512
//! (four times). The [`kernel!`](crate::kernel) macro compiles a function
//! once per instruction set and picks one at run time. All versions add the
//! same terms in the same order (Rust never reorders a floating-point sum);
//! the AVX2 and AVX-512 versions also fuse each product into its sum (FMA),
//! so they agree with each other bit for bit, and with the SSE2 version to
//! the last bits. Set `MANABI_SIMD=baseline` or `MANABI_SIMD=avx2` to run a
//! narrower version, and `MANABI_SIMD=avx512` to keep f32's x·W1 off the
//! AMX tile unit ([`super::amx`]), which otherwise runs it where it can.

use std::sync::OnceLock;

/// The instruction sets the kernels are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// SSE2 only: what every x86-64 (and every other target) runs.
    Baseline,
    /// AVX2 + FMA: 256-bit vectors.
    Avx2,
    /// AVX-512 (F, VL, BW, DQ) and POPCNT: 512-bit vectors.
    Avx512,
}

impl Level {
    /// "baseline", "avx2" or "avx512".
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The level in use: the best this processor supports, unless the
/// environment variable `MANABI_SIMD` (`baseline`, `avx2`) asks for less.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let best = detect();
        match std::env::var("MANABI_SIMD").as_deref() {
            Ok("baseline") => Level::Baseline,
            Ok("avx2") if best != Level::Baseline => Level::Avx2,
            _ => best,
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    use std::arch::is_x86_feature_detected as has;
    if has!("avx512f")
        && has!("avx512vl")
        && has!("avx512bw")
        && has!("avx512dq")
        && has!("avx2")
        && has!("fma")
        && has!("popcnt")
    {
        Level::Avx512
    } else if has!("avx2") && has!("fma") {
        Level::Avx2
    } else {
        Level::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Baseline
}

/// Defines a function generic over [`Float`](super::float::Float) whose body
/// is compiled for each [`Level`] and dispatched at run time. Everything the
/// body calls should be `#[inline(always)]` so it is compiled along with it.
#[macro_export]
#[doc(hidden)]
macro_rules! kernel {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident <$F:ident : Float> ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        #[allow(clippy::too_many_arguments)]
        $vis fn $name<$F: Float>($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            fn body<$F: Float>($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,popcnt")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx512<$F: Float>($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2<$F: Float>($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                match $crate::engine::fast::simd::level() {
                    // SAFETY: `level()` only reports what the processor supports.
                    $crate::engine::fast::simd::Level::Avx512 => return unsafe { avx512($($arg),*) },
                    $crate::engine::fast::simd::Level::Avx2 => return unsafe { avx2($($arg),*) },
                    $crate::engine::fast::simd::Level::Baseline => {}
                }
            }
            body($($arg),*)
        }
    };
}
