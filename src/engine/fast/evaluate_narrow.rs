//! An evaluation with its hidden sums made faster than its own precision
//! allows: the same answers, checked image by image.
//!
//! ```text
//! ã1 = x·W1 + b1, z̃1 = h(ã1), ã2 = z̃1·W2 + b2, all by the f32 kernels (AMX, or twice the lanes of f64)
//! |ã1ⱼ − a1ⱼ| ≤ E1ⱼ = (4d + 32)·2⁻²⁴·Aⱼ + d·m·2⁻¹²⁰,   Aⱼ = |b1ⱼ| + m·Σₚ |W1ₚⱼ|,   m = maxᵥ |x|
//! |ã2ₖ − a2ₖ| ≤ Dₖ = Σⱼ |W2ⱼₖ|·(L·E1ⱼ + 2⁻¹⁶) + ((4h + 16)·2⁻²⁴ + (8h + 32)·u)·Sₖ + (h + 2)·2⁻¹²⁰·(1 + Sₖ)
//!                  Sₖ = |b2ₖ| + Σⱼ ζⱼ·|W2ⱼₖ|,   u = 2⁻⁵³ (an f64 network) or 2⁻²⁴ (f32)
//! the answer is a2's  when  max ã2 − second ã2 > 2·maxₖ Dₖ·1.01 + 2⁻⁵⁰·(|max| + |second|)
//!
//! with AVX2, ã1 from 16-bit integers (x·W1 rounded to steps s_j: kernels/x_w1_pairs.rs):
//! |ã1ⱼ − a1ⱼ| ≤ E1ⱼ + σₙ·tⱼ,   tⱼ = 1.01·s_j/2,   σₙ = Σₚ xₙₚ (image n's pixels, each byte k as k/255)
//! the answer is a2's  when  max ã2 − second ã2 > 2·maxₖ Dₖ·1.01 + σₙ·G + 2⁻⁵⁰·(…),
//!                  G = 2.02·maxₖ Σⱼ |W2ⱼₖ|·tⱼ·(L + (4h + 16)·2⁻²⁴ + (8h + 32)·u + (h + 2)·2⁻¹²⁰)
//! ```
//!
//! An f64 evaluation does its arithmetic here at twice the lanes of f64
//! (x·W1, nearly all of it, on AMX's integer tiles where there are some):
//! x·W1 + b1, the activation h (Lipschitz constant L: ¼ for sigmoid, 1 for
//! ReLU) and z1·W2 + b2, through the network rounded to f32. Where the two
//! best scores are further apart than the two paths can differ, the argmax,
//! and so the answer, is the f64 evaluation's; every other image is
//! evaluated again wholly in f64. The count is therefore
//! [`super::evaluate::accuracy`]'s in f64, number for number (tests compare
//! them, near-ties included).
//!
//! With AVX2 (and no AMX), x·W1 is made instead in 16-bit integers, two
//! pixels a multiply ([`x_w1_pairs`]), for f64 and f32 networks alike: its
//! weights are rounded to 15-bit fixed point, which moves a sum by at most
//! half a step per unit of pixel value, σₙ·s_j/2 in all, and each image's
//! gap grows by what that can do to its scores. On Fashion-MNIST during
//! training 2–6 % of the images come out too close to call and are
//! evaluated again on the exact path (f32 or f64); the count is the exact
//! path's (tests compare them, near-ties included, and check the bound
//! with columns whose rounding loses nearly half a step per pixel).
//! An evaluation of the 70,000 images with AVX2 on a Zen 4, untrained
//! network (kernel benchmark, 3 interleaved runs): f32 34–36 → 24–25 ms,
//! f64 34–36 → 22–23 ms.
//!
//! The bounds, for d pixels and h hidden units:
//! - **E1**: either path's sum of d + 1 terms, each product and sum
//!   rounded at most twice and each input rounded once, is within
//!   (2d + 8)·u·Aⱼ of the exact one (u = 2⁻²⁴ in f32, 2⁻⁵³ in f64); AMX's
//!   fixed point errs by at most its step, ≤ 2⁻²³·maxₚ |W1ₚⱼ|, a term
//!   (see [`super::kernels::amx`]), inside the same bound. Doubled, for
//!   room. The absolute part covers AMX's smallest step (2⁻¹²³) and f32's
//!   underflow. AMX reads byte k as k/255; it also sums images whose
//!   values are the float32 nearest k/255 (the book's float32 images,
//!   widened to f64: [`amx_reads`]), each within one rounding, 2⁻²⁴·x, of
//!   what AMX reads: u·Aⱼ more in all, still inside the doubled bound.
//! - **D**: the activation moves by at most L·E1ⱼ, plus each path's own
//!   error in it: ReLU none; the sigmoid 1/(1 + e⁻ᵃ), with an exp within a
//!   few ulps (tested: 3), one addition and one division, errs by well
//!   under 2⁻²⁰ in f32 (2⁻⁴⁰ in f64), and where it is cut to 0 (below
//!   2⁻¹²⁶ in f32) by less than that; 2⁻¹⁶ is taken, for room. z1·W2 + b2
//!   in f32, through W2 and b2 rounded to f32 (one rounding each, relative,
//!   or 2⁻¹⁵⁰ absolute below 2⁻¹²⁶), errs by at most (h + 3)·2⁻²⁴ of its
//!   sum of magnitudes Sₖ, ζⱼ bounding |z1ⱼ| (1 for sigmoid, Aⱼ·1.01 + E1ⱼ
//!   for ReLU), plus (h + 2)·2⁻¹⁵⁰ for terms below f32's normal numbers;
//!   doubled, for room. The f64 path's own rounding adds (8h + 32)·2⁻⁵³
//!   of Sₖ.
//!
//! A network with a weight that is not finite or not below 2¹⁰⁰, or sums
//! too large for f32 (Aⱼ or Sₖ ≥ 2¹⁰⁰), is evaluated wholly in f64; so are
//! images whose pixel values f32 cannot hold to its full 24 bits (other
//! than 0, below 2⁻¹²⁶ in magnitude, or from 2¹⁰⁰ up): rounded to f32, a
//! value of 2⁻¹⁶⁰ becomes 0 whatever weight multiplies it, an error the
//! relative bound does not see.

use super::batch::scale_for;
use super::evaluate::{EvalScratch, argmax, count_correct};
use super::forward::list_and_sum;
use super::functions::activate;
use super::kernels::aligned::Aligned;
use super::kernels::float::Float;
use super::kernels::panel::Panels;
use super::kernels::x_w1_pairs::{self, W1Pairs};
use super::kernels::{Level, kernel, level};
use super::layout::FastNet;
use crate::two_layer_net::Activation;

/// What an evaluation needs to make its hidden sums faster than its own
/// precision (an f64 one in f32, either with AVX2 in integers): the f32
/// copy of the network, and how far apart two scores must be for those
/// sums not to change which is larger.
#[derive(Debug)]
pub(crate) struct Narrow {
    net: FastNet<f32>,
    scale: [f32; 256],
    /// Whether AMX may make the sums: the byte stands for `byte / 255`,
    /// or for the float32 nearest it ([`amx_reads`]).
    amx: bool,
    /// 2·maxₖ Dₖ·1.01: the gap between the two best scores that settles
    /// an image.
    gap: f64,
    /// With AVX2, x·W1 in 16-bit integers instead of f32 (see the module's
    /// last formulas).
    pairs: Option<Pairs>,
}

/// x·W1 in 16-bit integers ([`x_w1_pairs`]), and what an image's σ adds to
/// the gap that settles it.
#[derive(Debug)]
struct Pairs {
    w1: W1Pairs,
    /// G = 2.02·maxₖ Σⱼ |W2ⱼₖ|·tⱼ·(L + u + 2⁻¹²⁰): the gap grows by σₙ·G.
    per_sigma: f64,
}

impl Narrow {
    /// The fast side of an evaluation of `net` on images whose bytes stand
    /// for `values` (`byte / 255` without them), or `None` when there is
    /// none (an f32 network without the integer sums: see [`W1Pairs::runs_at`])
    /// or its bounds do not hold (a weight not finite, sums too large for
    /// f32).
    pub(crate) fn new<F: Float>(net: &FastNet<F>, values: Option<&[f64; 256]>) -> Option<Self> {
        Self::with_pairs(net, values, W1Pairs::runs_at(level()))
    }

    /// [`Self::new`], with x·W1 in integers if `pairs` and the bytes stand
    /// for k / 255 (or its float32), whatever the level in use.
    pub(crate) fn with_pairs<F: Float>(
        net: &FastNet<F>,
        values: Option<&[f64; 256]>,
        pairs: bool,
    ) -> Option<Self> {
        // An f32 network (one `as_f32` sees through) is evaluated in f32,
        // unless its sums can be made in integers.
        let single = F::as_f32(&[]).is_some();
        let pairs = pairs && Level::Avx2.supported() && amx_reads(values);
        if single && !pairs {
            return None;
        }
        let narrowed = FastNet::<f32>::narrowed(net);
        let w1 = if pairs {
            W1Pairs::new(net.w1(), net.d, net.hp, net.h, narrowed.hp)
        } else {
            None
        };
        if single && w1.is_none() {
            return None;
        }
        let (gap, per_sigma) = gap(net, values, single, w1.as_ref().map(|w| &w.half_step[..]))?;
        Some(Narrow {
            net: narrowed,
            scale: scale_for::<f32>(values),
            amx: amx_reads(values),
            gap,
            pairs: w1.map(|w1| Pairs { w1, per_sigma }),
        })
    }

    /// How many of the images `x` the f64 network `net` (the one this was
    /// made from) labels correctly.
    pub(crate) fn count_correct<F: Float>(
        &self,
        net: &FastNet<F>,
        x: &[u8],
        labels: &[u8],
        values: Option<&[f64; 256]>,
        s: &mut EvalScratch<F>,
    ) -> usize {
        let n = labels.len();
        let hp = self.net.hp;
        s.narrow.resize(n * hp, 0.0);
        s.sigma.clear();
        match &self.pairs {
            Some(pairs) => x_w1_pairs::hidden_sums(
                &pairs.w1,
                &self.net.b1,
                x,
                n,
                Panels::block_bytes(level()),
                &mut s.pairs,
                &mut s.narrow[..n * hp],
                &mut s.sigma,
            ),
            None => hidden_sums(
                &self.net,
                x,
                labels,
                &mut s.panels,
                &self.scale,
                self.amx,
                &mut s.narrow[..n * hp],
            ),
        }
        s.recheck.clear();
        let per_sigma = self.pairs.as_ref().map_or(0.0, |p| p.per_sigma);
        let settled = score_settled(
            &self.net,
            &s.narrow[..n * hp],
            labels,
            self.gap,
            (&s.sigma, per_sigma),
            &mut s.narrow_z1,
            &mut s.narrow_a2,
            &mut s.recheck,
        );
        if s.recheck.is_empty() {
            return settled;
        }
        // The images too close to call, again, wholly in f64.
        let d = net.d;
        let EvalScratch {
            panels,
            a1,
            z1,
            a2,
            recheck,
            recheck_x: rx,
            recheck_t: rt,
            ..
        } = s;
        rx.clear();
        rt.clear();
        for &i in recheck.iter() {
            rx.extend_from_slice(&x[i as usize * d..(i as usize + 1) * d]);
            rt.push(labels[i as usize]);
        }
        let again = count_correct(net, rx, rt, values, panels, a1, z1, a2);
        settled + again
    }
}

/// Whether AMX, which reads byte k as k/255, may make the f32 sums of
/// images whose bytes stand for `values`: byte / 255 itself (`None`, or
/// each value k/255 in f64), or each value the float32 nearest k/255 (a
/// rounding of it, within the bound).
///
/// ```text
/// values[k] = k/255            →  true
/// values[k] = fl32(k/255)      →  true   (the book's float32 images)
/// values[k] = 3·√(k/255)       →  false
/// ```
pub(crate) fn amx_reads(values: Option<&[f64; 256]>) -> bool {
    values.is_none_or(|v| {
        v.iter()
            .enumerate()
            .all(|(k, &v)| v == k as f64 / 255.0 || v == f64::from(k as f32 / 255.0))
    })
}

/// How far the f32 hidden sums of `net` can be from its f64 ones, unit by
/// unit (E1ⱼ), and how large |z1ⱼ| can be (ζⱼ).
struct HiddenBound {
    e1: Vec<f64>,
    zeta: Vec<f64>,
}

/// E1ⱼ and ζⱼ (see the module's formulas) for `net` on images whose bytes
/// stand for `values`, or `None` where the bounds do not hold.
fn hidden_bound<F: Float>(net: &FastNet<F>, values: Option<&[f64; 256]>) -> Option<HiddenBound> {
    let (d, h, hp) = (net.d, net.h, net.hp);
    let large = 2f64.powi(100);
    // Values f32 holds to its full precision (24 bits), or 0: below
    // 2⁻¹²⁶ an f32 keeps fewer bits, and the bound would not see it.
    let held = |v: f64| v == 0.0 || (f64::from(f32::MIN_POSITIVE)..large).contains(&v.abs());
    let m = match values {
        Some(v) if v.iter().all(|&v| held(v)) => v.iter().fold(0.0f64, |m, v| m.max(v.abs())),
        Some(_) => return None,
        None => 1.0,
    };
    let (mut a, mut most) = (vec![0.0f64; h], 0.0f64);
    for row in net.w1().chunks_exact(hp).take(d) {
        for (a, w) in a.iter_mut().zip(row) {
            *a += w.to_f64().abs();
            most = most.max(w.to_f64().abs());
        }
    }
    // (A NaN weight makes its Aⱼ NaN, refused below.)
    if most >= large {
        return None;
    }
    let u = (4 * d + 32) as f64 * 2f64.powi(-24);
    let tiny = d as f64 * m.max(1.0) * 2f64.powi(-120);
    let relu = net.activation == Activation::Relu;
    let (mut e1, mut zeta) = (vec![0.0f64; h], vec![1.0f64; h]);
    for j in 0..h {
        let aj = net.b1[j].to_f64().abs() + m * a[j];
        if aj.is_nan() || aj >= 2f64.powi(100) {
            return None;
        }
        e1[j] = u * aj + tiny;
        if relu {
            zeta[j] = aj * 1.01 + e1[j];
        }
    }
    Some(HiddenBound { e1, zeta })
}

/// 2·maxₖ Dₖ·1.01 for `net` (see the module's formulas), evaluated in f32
/// if `single` (else f64), and, with x·W1 in integers of half-steps
/// `half_step`, the gap's growth per unit of σ (else 0); `None` where the
/// bounds do not hold.
fn gap<F: Float>(
    net: &FastNet<F>,
    values: Option<&[f64; 256]>,
    single: bool,
    half_step: Option<&[f64]>,
) -> Option<(f64, f64)> {
    let (h, k) = (net.h, net.k);
    let HiddenBound { e1, zeta } = hidden_bound(net, values)?;
    let l = match net.activation {
        Activation::Sigmoid => 0.25,
        Activation::Relu => 1.0,
    };
    let own = if single { -24 } else { -53 };
    let u = (4 * h + 16) as f64 * 2f64.powi(-24) + (8 * h + 32) as f64 * 2f64.powi(own);
    let tiny = (h + 2) as f64 * 2f64.powi(-120);
    let (mut worst, mut per_sigma) = (0.0f64, 0.0f64);
    for c in 0..k {
        let (mut moved, mut size) = (0.0, net.b2[c].to_f64().abs());
        let mut stepped = 0.0;
        for j in 0..h {
            let w = net.w2[j * k + c].to_f64().abs();
            moved += w * (l * e1[j] + 2f64.powi(-16));
            size += w * zeta[j];
            if let Some(half) = half_step {
                stepped += w * half[j] * 1.01;
            }
        }
        per_sigma = per_sigma.max(stepped * (l + u + tiny));
        // Scores f32 could not hold: wholly in f64.
        if size.is_nan() || size >= 2f64.powi(100) {
            return None;
        }
        let dc = moved + u * size + tiny * (1.0 + size);
        if dc.is_nan() || dc >= 2f64.powi(100) {
            return None;
        }
        worst = worst.max(dc);
    }
    let per_sigma = 2.0 * per_sigma * 1.01;
    (per_sigma < 2f64.powi(100)).then_some((2.0 * worst * 1.01, per_sigma))
}

kernel! {
    /// a1 = x·W1 + b1 for the images `x` with `labels` (the f32 network's,
    /// for [`Narrow`]), compiled with the level's instructions.
    fn hidden_sums<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[u8],
        panels: &mut Panels,
        scale: &[F; 256],
        amx: bool,
        a1: &mut [F],
    ) {
        list_and_sum(net, x, labels, panels, scale, amx, a1);
    }
}

kernel! {
    /// From the f32 sums `sums` (rows of hp) of the images with `labels`,
    /// through the f32 network `net`: the tail (h, then z1·W2 + b2), and
    /// how many are settled correct; the images whose two best scores are
    /// within `gap` (plus σₙ·G, with `(σ, G)` = `per_sigma`, σ empty for
    /// f32 sums) go to `recheck` instead.
    fn score_settled<F: Float>(
        net: &FastNet<F>,
        sums: &[F],
        labels: &[u8],
        gap: f64,
        per_sigma: (&[f64], f64),
        z1: &mut Aligned<F>,
        a2: &mut Vec<F>,
        recheck: &mut Vec<u32>,
    ) -> usize {
        let (n, hp, k) = (labels.len(), net.hp, net.k);
        z1.resize(n * hp, F::ZERO);
        a2.resize(n * k, F::ZERO);
        // Units past h are 0 in the sums (their weights and bias are
        // padding), and their rows of W2 are 0.
        activate(net.activation, &sums[..n * hp], &mut z1[..n * hp]);
        net.output_layer().rows(level(), z1, n, a2);
        let mut correct = 0;
        for (i, (row, &t)) in a2[..n * k].chunks_exact(k).zip(labels).enumerate() {
            let best = argmax(row);
            let top = row[best].to_f64();
            let (mut second, mut nan) = (f64::NEG_INFINITY, top.is_nan());
            for (c, v) in row.iter().enumerate() {
                let v = v.to_f64();
                nan |= v.is_nan();
                if c != best && v > second {
                    second = v;
                }
            }
            // A NaN anywhere (there is none with finite weights) is checked again.
            let gap = gap + per_sigma.0.get(i).map_or(0.0, |sigma| sigma * per_sigma.1);
            let settled = !nan
                && (k == 1 || top - second > gap + 2f64.powi(-50) * (top.abs() + second.abs()));
            if settled {
                correct += (best == t as usize) as usize;
            } else {
                recheck.push(i as u32);
            }
        }
        correct
    }
}

#[cfg(test)]
#[path = "tests/evaluate_narrow.rs"]
mod tests;

#[cfg(test)]
#[path = "tests/evaluate_pairs.rs"]
mod pairs_tests;
