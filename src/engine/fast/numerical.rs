//! The numerical gradient, two ways: literally, and incrementally.
//!
//! Both compute the chapter's central difference for every parameter θ,
//!
//! ```text
//! ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h,   h = 1e-4 (gradient::H),   L = (1/N) Σₙ ℓₙ
//! ```
//!
//! [`literal`] does exactly what the book does: nudge θ, run the whole
//! forward pass of the batch, nudge the other way, run it again, restore θ;
//! 79,520 forward passes for a 784-50-10 network. It is the definition made
//! executable, and slow.
//!
//! [`incremental`] computes the same differences without recomputing what a
//! nudge cannot change:
//!
//! - nudging `W1[i, j]` changes only hidden unit j, and only for the samples
//!   whose pixel i is not zero (by h·xₙᵢ); nudging `b1[j]` changes unit j of
//!   every sample (by h); nudging `W2[j, c]` or `b2[c]` changes only output c;
//! - so L(θ ± h) − L(θ) = (1/N) Σ over the affected samples of
//!   ℓₙ(θ ± h) − ℓₙ(θ), and each ℓₙ(θ ± h) needs only the changed unit's
//!   new value carried through to the ten outputs;
//! - for W1 the change to sample n's loss depends on i only through the
//!   pixel value xₙᵢ, which takes at most 256 values: samples' pixels that
//!   share a value share the work.
//!
//! The result agrees with [`literal`] to ~1e-12 (the literal form loses more
//! to rounding: it subtracts two whole losses of ~2.3 that differ by ~1e-5).

use rayon::prelude::*;

use crate::functions::CROSS_ENTROPY_DELTA;
use crate::gradient::H;

use super::batch::Batch;
use super::forward::{Activations, forward, forward_loss_serial};
use super::functions::activate;
use super::kernels::float::Float;
use super::kernels::kernel;
use super::layout::{FastNet, Grads};

/// Parameters per parallel task in [`literal`].
const LITERAL_GRAIN: usize = 256;

/// The book's numerical gradient: for every parameter, two full forward
/// passes of the batch. Parameters are shared out between threads, each
/// with its own copy of the network.
pub(crate) fn literal<F: Float>(net: &FastNet<F>, batch: &Batch, grads: &mut Grads<F>) {
    let h = F::from_f64(H);
    let count = net.len();
    let values: Vec<(usize, F)> = (0..count.div_ceil(LITERAL_GRAIN))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut net = net.clone();
            let mut scratch = Activations::default();
            let params = chunk * LITERAL_GRAIN..((chunk + 1) * LITERAL_GRAIN).min(count);
            params
                .map(|p| {
                    let slot = net.locate(p);
                    let tmp = *net.at(slot);
                    *net.at(slot) = tmp + h;
                    let fxh1 = forward_loss_serial(&net, batch, &mut scratch);
                    *net.at(slot) = tmp - h;
                    let fxh2 = forward_loss_serial(&net, batch, &mut scratch);
                    *net.at(slot) = tmp;
                    (p, F::from_f64((fxh1 - fxh2) / (2.0 * H)))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    *grads = Grads::zeros_like(net);
    for (p, g) in values {
        *grads.at(net.locate(p)) = g;
    }
}

/// What one sample contributes to every ℓ(θ + h) − ℓ(θ − h).
#[derive(Debug, Clone, Default)]
struct SampleTerms<F> {
    /// The distinct non-zero pixel bytes of the sample, in first-seen order.
    bytes: Vec<u8>,
    /// For each pixel byte, its index in `bytes`.
    slot: Vec<u8>,
    /// W1: `[distinct byte][hidden unit j]`, hp wide.
    w1: Vec<F>,
    /// b1: (hp,).
    b1: Vec<F>,
    /// W2: (h, k).
    w2: Vec<F>,
    /// b2: (k,).
    b2: Vec<F>,
}

/// The numerical gradient by incremental central differences (see the
/// module notes): the same formula as [`literal`], a few thousand times
/// less work.
pub(crate) fn incremental<F: Float>(net: &FastNet<F>, batch: &Batch, grads: &mut Grads<F>) {
    let mut act = Activations::default();
    forward(net, batch, &mut act);
    let n = batch.n;
    let terms: Vec<SampleTerms<F>> = (0..n)
        .into_par_iter()
        .map(|s| {
            let mut t = SampleTerms::default();
            sample_terms(net, batch, &act, s, &mut t);
            t
        })
        .collect();

    // g = Σₙ (ℓₙ(θ + h) − ℓₙ(θ − h)) / (2h·N), summed in sample order.
    let scale = F::ONE / F::from_f64(2.0 * H * n as f64);
    *grads = Grads::zeros_like(net);
    for t in &terms {
        for (g, &d) in grads.b1.iter_mut().zip(&t.b1) {
            *g += d;
        }
        for (g, &d) in grads.w2.iter_mut().zip(&t.w2) {
            *g += d;
        }
        for (g, &d) in grads.b2.iter_mut().zip(&t.b2) {
            *g += d;
        }
    }
    for g in grads
        .b1
        .iter_mut()
        .chain(grads.w2.iter_mut())
        .chain(grads.b2.iter_mut())
    {
        *g *= scale;
    }
    // W1, rows (pixels) split between threads: each sample adds its term
    // for the pixel's value to the row of each of its non-zero pixels.
    let hp = net.hp;
    const ROWS: usize = 98;
    grads
        .w1
        .par_chunks_mut(ROWS * hp)
        .enumerate()
        .for_each(|(c, rows)| {
            let first = c * ROWS;
            for (s, t) in terms.iter().enumerate() {
                let x = &batch.row(s)[first..first + rows.len() / hp];
                for (p, &byte) in x.iter().enumerate() {
                    if byte == 0 {
                        continue;
                    }
                    let term = &t.w1[t.slot[byte as usize] as usize * hp..][..hp];
                    let row = &mut rows[p * hp..][..hp];
                    for l in 0..hp {
                        row[l] += term[l];
                    }
                }
            }
            for g in rows.iter_mut() {
                *g *= scale;
            }
        });
}

/// log((y⁻ + δ) / (y⁺ + δ)) = ℓ(θ + h) − ℓ(θ − h), for the probabilities
/// y⁺, y⁻ of the correct class after nudging up and down.
///
/// Written as ln(1 + r) with r = (y⁻ − y⁺)/(y⁺ + δ), which is tiny: the
/// series keeps all the digits a quotient near 1 would lose.
#[inline(always)]
fn loss_difference<F: Float>(y_plus: F, y_minus: F) -> F {
    let delta = F::from_f64(CROSS_ENTROPY_DELTA);
    let r = (y_minus - y_plus) / (y_plus + delta);
    if r.to_f64().abs() < 1e-2 {
        ln_1p_small(r)
    } else {
        (F::ONE + r).ln()
    }
}

/// ln(1 + r) for |r| < 0.01: the series to r⁷ (the next term is below
/// 1.3e-17 relative).
#[inline(always)]
fn ln_1p_small<F: Float>(r: F) -> F {
    let c = |v: f64| F::from_f64(v);
    let mut p = c(1.0 / 7.0);
    p = c(-1.0 / 6.0) + r * p;
    p = c(1.0 / 5.0) + r * p;
    p = c(-1.0 / 4.0) + r * p;
    p = c(1.0 / 3.0) + r * p;
    p = c(-1.0 / 2.0) + r * p;
    p = F::ONE + r * p;
    r * p
}

/// eˣ for |x| ≤ 0.01: the series to x⁶ (the next term is below 2e-18 relative).
#[inline(always)]
fn exp_small<F: Float>(x: F) -> F {
    let c = |v: f64| F::from_f64(v);
    let mut p = c(1.0 / 720.0);
    p = c(1.0 / 120.0) + x * p;
    p = c(1.0 / 24.0) + x * p;
    p = c(1.0 / 6.0) + x * p;
    p = c(0.5) + x * p;
    p = F::ONE + x * p;
    F::ONE + x * p
}

/// The output side of one sample at the current parameters.
struct Outputs<F> {
    /// e_c = exp(a2_c − max a2).
    e: Vec<F>,
    /// Σ_{c' ≠ c} e_c', for each c (summed directly: no cancellation).
    sum_without: Vec<F>,
    /// The correct class.
    t: usize,
}

kernel! {
/// All of one sample's differences ℓ(θ + h) − ℓ(θ − h).
fn sample_terms<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &Activations<F>,
    s: usize,
    out: &mut SampleTerms<F>,
) {
    let (h, hp, k) = (net.h, net.hp, net.k);
    let step = F::from_f64(H);
    let (a1, z1) = (|j: usize| act.a1[s * hp + j], |j: usize| act.z1[s * hp + j]);

    // Scores, and the softmax pieces every nudge starts from.
    let mut a2 = vec![F::ZERO; k];
    net.output_layer().output(&act.z1[s * hp..][..hp], &mut a2);
    let mut max = a2[0];
    for &v in &a2 {
        if v > max {
            max = v;
        }
    }
    let e: Vec<F> = a2.iter().map(|&v| (v - max).exp()).collect();
    let sum_without = (0..k)
        .map(|c| {
            e.iter()
                .enumerate()
                .filter(|&(i, _)| i != c)
                .map(|(_, &v)| v)
                .sum()
        })
        .collect();
    let o = Outputs {
        e,
        sum_without,
        t: batch.labels[s],
    };

    // b2[c] and W2[j, c]: one score moves by ±Δ.
    let one_score = |c: usize, delta: F| {
        let y = |d: F| {
            let ec = o.e[c] * d.exp();
            let num = if c == o.t { ec } else { o.e[o.t] };
            num / (o.sum_without[c] + ec)
        };
        loss_difference(y(delta), y(-delta))
    };
    out.b2 = (0..k).map(|c| one_score(c, step)).collect();
    out.w2 = (0..h * k)
        .map(|i| one_score(i % k, step * z1(i / k)))
        .collect();

    // b1[j]: unit j of this sample moves by ±h.
    let mut scratch = MoveScratch::default();
    out.b1 = vec![F::ZERO; hp];
    for j in 0..h {
        unit_moves(net, &o, j, a1(j), z1(j), &[step], &mut scratch, &mut out.b1[j..j + 1]);
    }

    // W1[i, j]: unit j moves by ±h·x_i, for each distinct non-zero x_i.
    out.slot = vec![0; 256];
    out.bytes.clear();
    let mut seen = [false; 256];
    for &byte in batch.row(s) {
        if byte != 0 && !seen[byte as usize] {
            seen[byte as usize] = true;
            out.slot[byte as usize] = out.bytes.len() as u8;
            out.bytes.push(byte);
        }
    }
    let scale = batch.scale::<F>();
    let steps: Vec<F> = out.bytes.iter().map(|&b| step * scale[b as usize]).collect();
    out.w1 = vec![F::ZERO; out.bytes.len() * hp];
    let mut d = vec![F::ZERO; steps.len()];
    for j in 0..h {
        unit_moves(net, &o, j, a1(j), z1(j), &steps, &mut scratch, &mut d);
        for (v, &dv) in d.iter().enumerate() {
            out.w1[v * hp + j] = dv;
        }
    }
}
}

/// out[v] += e · exp(dz[v]·w) for every v: separate slices (so the compiler
/// knows they don't overlap and uses vector instructions).
#[inline(always)]
fn add_scaled_exp<F: Float>(out: &mut [F], dz: &[F], e: F, w: F, small: bool) {
    let dz = &dz[..out.len()];
    if small {
        for (o, &d) in out.iter_mut().zip(dz) {
            *o += e * exp_small(d * w);
        }
    } else {
        for (o, &d) in out.iter_mut().zip(dz) {
            *o += e * (d * w).exp();
        }
    }
}

/// Buffers for [`unit_moves`], reused across calls.
#[derive(Default)]
struct MoveScratch<F> {
    dz: Vec<F>,
    moved: Vec<F>,
    num: Vec<F>,
    sum: Vec<F>,
    y: [Vec<F>; 2],
}

/// ℓ(unit j's pre-activation + Δ) − ℓ(… − Δ) for each Δ in `steps`, into `out`.
///
/// The unit's new output z' = h(a ± Δ) changes every score by
/// (z' − z)·W2[j, c], so each exp(score) is multiplied by
/// exp((z' − z)·W2[j, c]): a tiny exponent, summed as a short series.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn unit_moves<F: Float>(
    net: &FastNet<F>,
    o: &Outputs<F>,
    j: usize,
    a: F,
    z: F,
    steps: &[F],
    scratch: &mut MoveScratch<F>,
    out: &mut [F],
) {
    let k = net.k;
    let w2 = &net.w2[j * k..][..k];
    let m = steps.len();
    let w_largest = w2.iter().map(|v| v.to_f64().abs()).fold(0.0, f64::max);
    let MoveScratch {
        dz,
        moved,
        num,
        sum,
        y,
    } = scratch;
    for (side, sign) in [F::ONE, -F::ONE].into_iter().enumerate() {
        dz.clear();
        dz.extend(steps.iter().map(|&d| a + sign * d));
        moved.clear();
        moved.resize(m, F::ZERO);
        activate(net.activation, dz, moved);
        for (d, &zz) in dz.iter_mut().zip(moved.iter()) {
            *d = zz - z;
        }
        let largest = dz.iter().map(|v| v.to_f64().abs()).fold(0.0, f64::max) * w_largest;
        let small = largest <= 1e-2;
        sum.clear();
        sum.resize(m, F::ZERO);
        num.clear();
        num.resize(m, F::ZERO);
        for c in 0..k {
            let (ec, w) = (o.e[c], w2[c]);
            add_scaled_exp(sum, dz, ec, w, small);
            if c == o.t {
                add_scaled_exp(num, dz, ec, w, small);
            }
        }
        y[side].clear();
        y[side].extend(num.iter().zip(sum.iter()).map(|(&n, &s)| n / s));
    }
    for v in 0..m {
        out[v] = loss_difference(y[0][v], y[1][v]);
    }
}
