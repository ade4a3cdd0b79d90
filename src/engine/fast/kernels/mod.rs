//! The vector kernels: the fast engine's products, each compiled for the
//! widest vector instructions the processor has, and all of its unsafe code.
//!
//! | file | computes | shapes |
//! | --- | --- | --- |
//! | [`x_w1`] | a1 = x·W1 + b1 over the lit pixels of [`panel`] | x: (n, d) bytes, W1: (d, hp) → a1: (n, hp) |
//! | [`amx`] | the same a1 in f32 on the AMX tile unit | — |
//! | [`x_w1_pairs`] | an evaluation's a1 near enough, in 16-bit integers two pixels at a time (AVX2) | x: (n, d) bytes, W1: (d, hp) → a1: (n, hp) |
//! | [`xt_delta`] | ∂L/∂W1 = xᵀ·δ, rows `first..`, over the samples [`sample_lists`] lists | x: (n, d), δ: (n, hp) → (rows, hp) |
//! | [`z1_w2`] | a2 = z1·W2 + b2 | z1: (n, hp), W2: (hp, k) → a2: (n, k) |
//! | [`float`], [`vector`], [`vector128`] | the number type (f32 or f64), one register of them | — |
//! | [`aligned`] | arrays whose first number starts a cache line (W1, a1, ∂L/∂a1, …) | — |
//! | [`cache`] | the size of the L1 data cache, which [`panel`]'s blocks fit | — |
//! | [`lit`] | which bytes of a row are lit, 8 at a time: the tables both lists are made with | — |
//! | [`handoff`] | the helper thread's hand-over (see `fast/team.rs`) | — |
//!
//! The default x86-64 target only promises SSE2 (2 f64 or 4 f32 per
//! instruction, [`vector128`]). Most machines have AVX2 (twice as wide),
//! many AVX-512 (four times). [`kernel!`] compiles a pass's function once
//! per [`Level`] and [`dispatch`] picks one at run time. Other targets run
//! their own 128-bit registers at the baseline level: NEON on aarch64,
//! simd128 on wasm32 built with it. All versions add the same terms in the
//! same order (Rust never reorders a floating-point sum); the AVX2,
//! AVX-512 and NEON versions also fuse each product into its sum (FMA), so
//! they agree with each other bit for bit, and with the SSE2 and simd128
//! versions (a multiply, then an add) to the last bits. Set
//! `MANABI_SIMD=baseline` or `MANABI_SIMD=avx2` to run a
//! narrower version, and `MANABI_SIMD=avx512` to keep f32's x·W1 off the
//! AMX tile unit ([`amx`]), which otherwise runs it where it can.
//!
//! A new level is local to this folder: a [`Level`] (its name, what it
//! needs, how to detect it), an arm in [`dispatch`], and its register types
//! and tiles in the kernels that use vectors.
#![allow(unsafe_code)]

pub(crate) mod aligned;
// AMX is x86-64's: elsewhere (the lab's wasm32) its code is never called.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code, unused_imports))]
pub(crate) mod amx;
pub(crate) mod cache;
pub(crate) mod float;
pub(crate) mod handoff;
pub(crate) mod lit;
pub(crate) mod panel;
pub(crate) mod sample_lists;
pub(crate) mod vector;
pub(crate) mod vector128;
pub(crate) mod x_w1;
// AVX2's: elsewhere its sums are never asked for.
#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(dead_code, unused_variables, clippy::ptr_arg)
)]
pub(crate) mod x_w1_pairs;
pub(crate) mod xt_delta;
pub(crate) mod z1_w2;

use std::sync::OnceLock;

use vector::Vector as _;

/// The instruction sets the kernels are compiled for, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The target's own 128-bit registers (`kernels/vector128.rs`): SSE2 on every
    /// x86-64, NEON on aarch64, simd128 on wasm32 built with it.
    Baseline,
    /// AVX2 + FMA: 256-bit vectors.
    Avx2,
    /// AVX-512 (F, VL, BW, DQ) and POPCNT: 512-bit vectors.
    Avx512,
}

impl Level {
    /// Every level, the widest first.
    pub const ALL: [Level; 3] = [Level::Avx512, Level::Avx2, Level::Baseline];

    /// "baseline", "avx2" or "avx512" (as `MANABI_SIMD` and the run
    /// records spell it).
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// What a processor needs to run this level's kernels.
    pub fn needs(self) -> &'static str {
        match self {
            Level::Baseline => "nothing beyond its architecture's baseline",
            Level::Avx2 => "AVX2, FMA and POPCNT",
            Level::Avx512 => "AVX-512 F, VL, BW, DQ and POPCNT",
        }
    }

    /// The instructions this level's kernels run: "avx512", "avx2", or at
    /// the baseline "SSE2", "NEON", "simd128" or "plain arithmetic".
    pub fn instructions(self) -> &'static str {
        match self {
            Level::Baseline => vector128::INSTRUCTIONS,
            Level::Avx2 => "AVX2",
            Level::Avx512 => "AVX-512",
        }
    }

    /// Whether this level's products fuse each multiply into its add (one
    /// rounding): AVX2, AVX-512, and NEON at the baseline.
    pub fn fused(self) -> bool {
        match self {
            Level::Baseline => <f32 as float::Float>::Xmm::FUSED,
            Level::Avx2 | Level::Avx512 => true,
        }
    }

    /// Bytes in one of this level's vector registers: 64, 32 or 16.
    pub fn register_bytes(self) -> usize {
        match self {
            Level::Baseline => 16,
            Level::Avx2 => 32,
            Level::Avx512 => 64,
        }
    }

    /// Whether this processor runs this level's kernels (whatever
    /// `MANABI_SIMD` asks for).
    pub fn supported(self) -> bool {
        self <= best()
    }
}

/// The level in use: the best this processor supports, unless the
/// environment variable `MANABI_SIMD` names a narrower one.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let asked = std::env::var("MANABI_SIMD").ok();
        Level::ALL
            .into_iter()
            .find(|l| asked.as_deref() == Some(l.name()) && l.supported())
            .unwrap_or(best())
    })
}

/// The best level this processor supports.
fn best() -> Level {
    static BEST: OnceLock<Level> = OnceLock::new();
    *BEST.get_or_init(detect)
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
    } else if has!("avx2") && has!("fma") && has!("popcnt") {
        Level::Avx2
    } else {
        Level::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Baseline
}

/// A pass's work, to be compiled once per level: [`kernel!`] writes one for
/// a function. `run` must be `#[inline(always)]`, and so must everything it
/// calls, so that it is compiled along with each level's version of
/// [`dispatch`].
pub(crate) trait Kernel {
    /// What the work returns.
    type Output;
    /// Does the work.
    fn run(self) -> Self::Output;
}

/// Runs `kernel` compiled for the level in use.
#[inline]
pub(crate) fn dispatch<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: `level()` only reports a level this processor supports,
        // and each version is compiled for exactly that level's features.
        Level::Avx512 => return unsafe { avx512(kernel) },
        // SAFETY: as above.
        Level::Avx2 => return unsafe { avx2(kernel) },
        Level::Baseline => {}
    }
    kernel.run()
}

/// `kernel` compiled with AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,popcnt")]
fn avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

/// `kernel` compiled with AVX2, FMA and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,popcnt")]
fn avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

/// Defines a function generic over [`Float`](float::Float) whose body is
/// compiled for each [`Level`] and run through [`dispatch`]. Everything the
/// body calls should be `#[inline(always)]` so it is compiled along with it.
/// The expansion holds no unsafe code.
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

            struct Args<A>(A);
            impl<$F: Float> $crate::engine::fast::kernels::Kernel for Args<($($ty,)*)> {
                type Output = $crate::engine::fast::kernels::kernel!(@output $($ret)?);
                #[inline(always)]
                fn run(self) -> Self::Output {
                    let ($($arg,)*) = self.0;
                    body::<$F>($($arg),*)
                }
            }
            $crate::engine::fast::kernels::dispatch(Args::<($($ty,)*)>(($($arg,)*)))
        }
    };
    (@output) => { () };
    (@output $ret:ty) => { $ret };
}
pub(crate) use kernel;

/// `regs` registers of hidden units in as few tiles of at most `most` as
/// can be, as even as can be (16 → 8 + 8, 7 → 4 + 3, 25 → 13 + 12): each
/// tile's first register and its width.
#[inline(always)]
pub(crate) fn even_tiles(regs: usize, most: usize) -> impl Iterator<Item = (usize, usize)> {
    let tiles = regs.div_ceil(most.max(1));
    (0..tiles).scan(0, move |first, t| {
        let (at, width) = (*first, (regs - *first).div_ceil(tiles - t));
        *first += width;
        Some((at, width))
    })
}

/// Whether the last of the registers of V holding `hp` units, of which the
/// first `h` are the network's (the rest zero padding, less than one
/// register), is taken at half its width: a 512-bit register at most half
/// of which is live. Some processors (AMD Zen 4) run a 512-bit
/// multiply-add as two 256-bit halves, so a half that holds only padding
/// costs as much as a live one; elsewhere the narrower register costs the
/// same. The live units' sums are the same either way: the same fused
/// multiply-adds in the same order.
///
/// ```text
/// f32, h = 50: hp = 64 = 4 × 16 lanes, 2 live in the last  →  3 × 16 + 8
/// f64, h = 50: hp = 56 = 7 × 8 lanes,  2 live in the last  →  6 × 8 + 4
/// ```
#[inline(always)]
pub(crate) fn half_tail<F: Copy, V: vector::Vector<F>>(hp: usize, h: usize) -> bool {
    cfg!(target_arch = "x86_64")
        && V::N * std::mem::size_of::<F>() == 64
        && hp >= V::N
        && h + V::N / 2 <= hp
}

/// `$tile!(R)` for the register count `$r`, 1 to 13, known only at run
/// time: each count is a tile compiled of its own (its sums in R
/// registers), and this picks it. `$tile` is a macro in scope where this is
/// used, taking the count as a literal.
macro_rules! with_registers {
    ($r:expr, $tile:ident) => {
        match $r {
            13 => $tile!(13),
            12 => $tile!(12),
            11 => $tile!(11),
            10 => $tile!(10),
            9 => $tile!(9),
            8 => $tile!(8),
            7 => $tile!(7),
            6 => $tile!(6),
            5 => $tile!(5),
            4 => $tile!(4),
            3 => $tile!(3),
            2 => $tile!(2),
            _ => $tile!(1),
        }
    };
}
pub(crate) use with_registers;

/// Asks for `bytes` to be brought into the caches (the second level), a
/// line at a time, without waiting for them.
pub(crate) fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    prefetch_lines::<{ std::arch::x86_64::_MM_HINT_T1 }, u8>(bytes);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Asks for `v` to be brought into this core's caches, to be written: a
/// line the other core holds is taken from it now rather than when the
/// write comes. A hint, it changes nothing else.
pub(crate) fn prefetch_to_write<T>(v: &[T]) {
    #[cfg(target_arch = "x86_64")]
    prefetch_lines::<{ std::arch::x86_64::_MM_HINT_ET0 }, T>(v);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// `_mm_prefetch` with `HINT` for each 64-byte line of `v`.
#[cfg(target_arch = "x86_64")]
fn prefetch_lines<const HINT: i32, T>(v: &[T]) {
    let (start, len) = (v.as_ptr() as *const i8, std::mem::size_of_val(v));
    for at in (0..len).step_by(64) {
        // SAFETY: `at` is inside `v`, and a prefetch reads nothing.
        unsafe { std::arch::x86_64::_mm_prefetch::<HINT>(start.add(at)) };
    }
}

#[cfg(test)]
#[path = "tests/products.rs"]
mod tests;
