//! x·W1 in f32 on the AMX tile unit: exact integer sums.
//!
//! ```text
//! a1[n, j] = fl32(fl32(fl64(S[n, j] · c_j)) + b1[j]),   c_j = fl64(s_j / 255),
//! S[n, j] = Σ_p x[n, p] · q[p, j],   q[p, j] = round(W1[p, j] / s_j),
//! x: (n, d) bytes,  W1: (d, hp) f32  →  a1: (n, hp) f32
//! ```
//!
//! where x[n, p] is the pixel byte (0–255) and s_j = 2^(e_j − 23) is
//! column j's step: W1's column j in 24-bit fixed point, with 2^e_j the
//! smallest power of two above its largest |weight| (e_j at least −100). The
//! sum S is exact (an integer: no rounding, in any order; images of at most
//! [`MAX_D`] pixels) and meets one product in f64 before the rounding to
//! f32, to which b1 is added — against f32's own x·W1, whose 784 terms each round, the loss is the
//! step: weights in the top binade of a column keep 23 bits of their 24,
//! smaller ones less (an error of at most s_j / 2 each).
//!
//! Processors with AMX (Intel Xeon since Sapphire Rapids) multiply tiles of
//! bytes: one `tdpbuud` adds a 16 × 64 by 64 × 16 product of bytes into 16 ×
//! 16 running sums of 32 bits, 16 384 multiply-adds in one instruction.
//! The three bytes of q are three planes of W1 — low, middle and high, the
//! high one stored plus 128 so that all three are unsigned — so S = 2¹⁶·(S₂
//! − 128·Σx) + 2⁸·S₁ + S₀, each plane's sum a tile product. It is dense
//! (zero pixels are multiplied too), and still about twice as fast as the
//! sparse f32 tiles of [`super::x_w1`] on Fashion-MNIST.
//!
//! Used for f32 when the processor has AMX and Linux grants it (see
//! [`available`]); `MANABI_SIMD=avx512` (or any narrower level) turns it
//! off. The result differs from the FMA kernels' in the last bits, as
//! theirs differs from SSE2's: each run's report names the kernels.
//!
//! | file | holds |
//! | --- | --- |
//! | [`planes`] | W1 as the three byte planes of 24-bit fixed point ([`W1Planes`]) |
//! | [`tiles`] | whether the tile unit is there ([`available`]), the tile products and the f32 sums made from them ([`x_w1`]) |

mod planes;
mod tiles;

pub use planes::{Cache, MAX_D, W1Planes};
pub use tiles::available;
pub(crate) use tiles::{Scratch, x_w1};

#[cfg(test)]
mod tests;
