//! The fast engine: the book's mathematics, written for the machine.
//!
//! Same network, same formulas, same order of steps as the reference
//! engine; what changes is how the arithmetic is laid out:
//!
//! - **tiled products that skip zero pixels** ([`net`]): x·W1 and xᵀ·δ keep
//!   their running sums in vector registers ([`vector`]), and a pixel that
//!   is zero in every image of a tile is skipped — exact, it would only add
//!   zeros; for x·W1 the lit pixels are listed first, in blocks whose rows
//!   of W1 fit the L1 cache ([`panel`]);
//! - **bytes, not floats** ([`batch`]): images stay one byte per pixel and
//!   are scaled through a table as they are read, so a batch fits the cache;
//! - **no allocation per iteration**: the batch, the activations and the
//!   gradients live in buffers reused for the whole run;
//! - **both cores**: an iteration's copy of the batch, forward passes and
//!   ∂L/∂W1 are each cut in two halves, the second run by a helper thread
//!   that waits spinning between them ([`team`]); each thread keeps its own
//!   copy of the network and updates it whole, so W1 does not travel
//!   between the cores ([`FastEngine`]); evaluation splits its images
//!   between the threads of the pool. The halves never depend on the
//!   thread count, and neither does the result;
//! - **f32 or f64** ([`float`]), with an `exp` the compiler can vectorise;
//! - **AVX2 / AVX-512** when the processor has them, chosen at run time
//!   ([`simd`]);
//! - **AMX** for f32's x·W1 where the processor has it ([`amx`]): pixel
//!   bytes times W1 in 24-bit fixed point, summed exactly in integers by
//!   the tile unit, 16 images × 16 units × 64 pixels per instruction.
//!
//! The numerical gradients live in [`numerical`].

// Kernels index several same-length arrays with one loop counter: the form
// the compiler turns into vector instructions most reliably.
#![allow(clippy::needless_range_loop)]

pub mod amx;
pub mod batch;
pub mod float;
pub mod net;
pub mod numerical;
pub mod panel;
pub mod simd;
pub mod team;
pub mod vector;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use rayon::prelude::*;

use crate::data::Split;
use crate::train::GradientMethod;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::Engine;
use batch::{Batch, scale_for};
use float::Float;
use net::{FastNet, activate, correct_rows, cross_entropy, softmax_rows, weight_gradient};
use panel::Panels;

/// Samples per parallel task in evaluation (whole groups of [`panel::GROUP`]).
const EVAL_GRAIN: usize = 20 * panel::GROUP;

/// ∂L/∂W for W1, b1, W2, b2, laid out (and padded) like the network.
#[derive(Debug, Clone, Default)]
pub struct Grads<F> {
    /// ∂L/∂W1: (d, hp).
    pub w1: Vec<F>,
    /// ∂L/∂b1: (hp,).
    pub b1: Vec<F>,
    /// ∂L/∂W2: (hp, k).
    pub w2: Vec<F>,
    /// ∂L/∂b2: (k,).
    pub b2: Vec<F>,
}

impl<F: Float> Grads<F> {
    /// Zeros shaped like `net`.
    pub fn zeros_like(net: &FastNet<F>) -> Self {
        Grads {
            w1: vec![F::ZERO; net.w1.len()],
            b1: vec![F::ZERO; net.b1.len()],
            w2: vec![F::ZERO; net.w2.len()],
            b2: vec![F::ZERO; net.b2.len()],
        }
    }

    /// The gradient at `slot`.
    pub fn at(&mut self, slot: net::Slot) -> &mut F {
        match slot {
            net::Slot::W1(i) => &mut self.w1[i],
            net::Slot::B1(i) => &mut self.b1[i],
            net::Slot::W2(i) => &mut self.w2[i],
            net::Slot::B2(i) => &mut self.b2[i],
        }
    }

    /// As the book's f64 parameters (padding dropped).
    pub fn to_params(&self, net: &FastNet<F>) -> crate::params::Params {
        net::params_of(net, &self.w1, &self.b1, &self.w2, &self.b2)
    }
}

/// What the forward pass leaves for the backward pass, for a whole batch.
#[derive(Debug, Clone, Default)]
pub struct Activations<F> {
    /// a1 = x·W1 + b1: (n, hp).
    pub a1: Vec<F>,
    /// z1 = h(a1): (n, hp).
    pub z1: Vec<F>,
    /// y = softmax(z1·W2 + b2): (n, k).
    pub y: Vec<F>,
    /// −log(y_t + 1e-7) per sample: (n,).
    pub ell: Vec<F>,
    /// The lit pixels of each parallel task's images.
    panels: Vec<Panels>,
}

impl<F: Float> Activations<F> {
    fn resize(&mut self, n: usize, hp: usize, k: usize) {
        self.a1.resize(n * hp, F::ZERO);
        self.z1.resize(n * hp, F::ZERO);
        self.y.resize(n * k, F::ZERO);
        self.ell.resize(n, F::ZERO);
        self.panels.resize_with(2, Panels::default);
    }

    /// L = −Σ log(y_t + 1e-7) / N, summed in sample order.
    pub fn loss(&self) -> f64 {
        let n = self.ell.len();
        let sum: F = self.ell.iter().copied().sum();
        (sum / F::from_f64(n as f64)).to_f64()
    }
}

/// The forward pass over a batch, its samples in two halves, one per thread
/// (a half is whole groups of [`panel::GROUP`]: 50 + 50 for a batch of 100).
pub fn forward<F: Float>(net: &FastNet<F>, batch: &Batch, out: &mut Activations<F>) {
    forward_top([Own::Read(net), Own::Read(net)], batch, out, true, None);
}

/// [`forward`] again over the same batch, with other weights: the lit
/// pixels listed by the last forward pass into `out` are still the batch's,
/// so they are not listed again. `batch` must be the batch of that pass.
pub fn forward_again<F: Float>(net: &FastNet<F>, batch: &Batch, out: &mut Activations<F>) {
    forward_top([Own::Read(net), Own::Read(net)], batch, out, false, None);
}

/// A thread's copy of the network for a forward pass: read as it is, or
/// first moved by a pending SGD step (`p -= lr · g`, see [`sgd_all`]).
enum Own<'a, F> {
    Read(&'a FastNet<F>),
    Update(&'a mut FastNet<F>, &'a Grads<F>, f64),
}

impl<'a, F: Float> Own<'a, F> {
    /// The network, as it is now.
    fn net(&self) -> &FastNet<F> {
        match self {
            Own::Read(net) => net,
            Own::Update(net, ..) => net,
        }
    }

    /// The network to read, after its update if one is pending.
    fn ready(self) -> &'a FastNet<F> {
        match self {
            Own::Read(net) => net,
            Own::Update(net, grads, lr) => {
                sgd_all(net, grads, lr);
                net
            }
        }
    }
}

/// Each sample's own part of backprop, done in the forward pass's halves
/// right after it: W2ᵀ, and the rows of dy and da1 to fill.
struct Top<'a, F> {
    w2t: &'a [F],
    dy: &'a mut [F],
    da1: &'a mut [F],
}

/// The forward pass in two halves, and, with `top`, each half's samples'
/// dy and da1 on the same thread once its forward pass is done.
fn forward_top<F: Float>(
    nets: [Own<'_, F>; 2],
    batch: &Batch,
    out: &mut Activations<F>,
    list: bool,
    top: Option<Top<'_, F>>,
) {
    let [net, net_b] = nets;
    let (n, d, hp, k) = (batch.n, batch.d, net.net().hp, net.net().k);
    out.resize(n, hp, k);
    let m = half(n);
    let Activations {
        a1,
        z1,
        y,
        ell,
        panels,
    } = out;
    let (a1, a1_b) = a1.split_at_mut(m * hp);
    let (z1, z1_b) = z1.split_at_mut(m * hp);
    let (y, y_b) = y.split_at_mut(m * k);
    let (ell, ell_b) = ell.split_at_mut(m);
    let (panels, panels_b) = panels.split_at_mut(1);
    let (x, x_b) = batch.pixels[..n * d].split_at(m * d);
    let (t, t_b) = batch.labels[..n].split_at(m);
    let (top, top_b) = match top {
        Some(Top { w2t, dy, da1 }) => {
            let (dy, dy_b) = dy.split_at_mut(m * k);
            let (da1, da1_b) = da1.split_at_mut(m * hp);
            (
                Some(Top { w2t, dy, da1 }),
                Some(Top {
                    w2t,
                    dy: dy_b,
                    da1: da1_b,
                }),
            )
        }
        None => (None, None),
    };
    team::join(
        || {
            let net = net.ready();
            let values = batch.values.as_ref();
            forward_samples(net, x, t, values, list, &mut panels[0], a1, z1, y, ell);
            if let Some(top) = top {
                sample_gradients(net, n, t, y, a1, z1, top.w2t, top.dy, top.da1);
            }
        },
        || {
            let net_b = net_b.ready();
            forward_samples(
                net_b,
                x_b,
                t_b,
                batch.values.as_ref(),
                list,
                &mut panels_b[0],
                a1_b,
                z1_b,
                y_b,
                ell_b,
            );
            if let Some(top) = top_b {
                sample_gradients(net_b, n, t_b, y_b, a1_b, z1_b, top.w2t, top.dy, top.da1);
            }
        },
    );
}

/// Where a batch of `n` is cut in two: whole groups of [`panel::GROUP`]
/// (50 + 50 for a batch of 100).
fn half(n: usize) -> usize {
    (n / 2).next_multiple_of(panel::GROUP).min(n)
}

/// The forward pass over a batch on the calling thread; returns the loss.
///
/// Used inside the parallel numerical gradient, where each thread owns a
/// whole copy of the network and runs whole passes.
pub fn forward_loss_serial<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    out: &mut Activations<F>,
) -> f64 {
    out.resize(batch.n, net.hp, net.k);
    let Activations {
        a1,
        z1,
        y,
        ell,
        panels,
    } = out;
    forward_samples(
        net,
        &batch.pixels,
        &batch.labels,
        batch.values.as_ref(),
        true,
        &mut panels[0],
        a1,
        z1,
        y,
        ell,
    );
    out.loss()
}

crate::kernel! {
    /// Images `x` (with their `labels`) through the network: a1, z1, y and
    /// each one's share of the loss, one per element of `ell`. Their lit
    /// pixels are listed in `panels` first, unless `list` is false: then
    /// `panels` already lists these images. A pixel byte stands for
    /// `values[byte]`, k/255 without them (x·W1 runs on AMX only then).
    fn forward_samples<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[usize],
        values: Option<&[f64; 256]>,
        list: bool,
        panels: &mut Panels,
        a1: &mut [F],
        z1: &mut [F],
        y: &mut [F],
        ell: &mut [F],
    ) {
        let (n, hp, k) = (ell.len(), net.hp, net.k);
        let scale = scale_for::<F>(values);
        let amx = values.is_none();
        if let Some(planes) = net.amx_planes().filter(|_| amx) {
            net.hidden_pre_amx(planes, x, n, &mut panels.amx, a1);
        } else if list {
            list_and_sum(net, x, &labels[..n], panels, &scale, amx, a1);
        } else {
            assert!(panels.n() == n && panels.d() == net.d, "forward_again: another batch");
            net.hidden_pre(x, panels, &scale, a1);
        }
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        net.output_rows(z1, n, y);
        softmax_rows(y, n, k);
        for s in 0..n {
            ell[s] = cross_entropy(&y[s * k..][..k], labels[s]);
        }
    }
}

crate::kernel! {
    /// a1 = x·W1 + b1 for the images `x`, one per label in `labels`,
    /// listing their lit pixels in `panels` first (in groups of images of
    /// one class, where they can be).
    pub fn hidden_layer<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[usize],
        panels: &mut Panels,
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        list_and_sum(net, x, labels, panels, scale, true, a1);
    }
}

/// [`hidden_layer`]'s work, inlined into the kernel that calls it: the lit
/// pixels of the images `x` (one per label) listed in `panels`, then
/// a1 = x·W1 + b1 (on AMX if `amx` allows and the network runs there: the
/// pixels are then k/255, whatever `scale` says).
#[inline(always)]
fn list_and_sum<F: Float, L: Copy + Into<usize>>(
    net: &FastNet<F>,
    x: &[u8],
    labels: &[L],
    panels: &mut Panels,
    scale: &[F; 256],
    amx: bool,
    a1: &mut [F],
) {
    if let Some(planes) = net.amx_planes().filter(|_| amx) {
        return net.hidden_pre_amx(planes, x, labels.len(), &mut panels.amx, a1);
    }
    let block = Panels::block_for(net.hp, std::mem::size_of::<F>());
    panels.build(x, labels, labels.len(), net.d, block);
    net.hidden_pre(x, panels, scale, a1);
}

/// Scratch for [`backward`].
#[derive(Debug, Clone, Default)]
pub struct BackwardScratch<F> {
    /// ∂L/∂a2 = (y − t) / N: (n, k).
    dy: Vec<F>,
    /// ∂L/∂a1: (n, hp).
    da1: Vec<F>,
    /// W2ᵀ: (k, hp).
    w2t: Vec<F>,
    /// ∂L/∂W2 transposed, (k, hp), summed here in vectors of hidden units.
    dw2t: Vec<F>,
}

/// Backpropagation through SoftmaxWithLoss, Affine2, the activation and
/// Affine1, from the activations of [`forward`].
pub fn backward<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let (n, hp, k) = (batch.n, net.hp, net.k);
    scratch.prepare(net, n);
    let BackwardScratch { dy, da1, w2t, .. } = scratch;
    // Each sample's dy and da1 are its own: in the forward pass's halves.
    let m = half(n);
    let (y, y_b) = act.y[..n * k].split_at(m * k);
    let (a1, a1_b) = act.a1[..n * hp].split_at(m * hp);
    let (z1, z1_b) = act.z1[..n * hp].split_at(m * hp);
    let (t, t_b) = batch.labels[..n].split_at(m);
    let (dy, dy_b) = dy.split_at_mut(m * k);
    let (da1, da1_b) = da1.split_at_mut(m * hp);
    team::join(
        || sample_gradients(net, n, t, y, a1, z1, w2t, dy, da1),
        || sample_gradients(net, n, t_b, y_b, a1_b, z1_b, w2t, dy_b, da1_b),
    );
    weight_gradients(net, batch, act, scratch, grads);
}

/// [`forward`] then [`backward`], with each sample's part of backprop done
/// in the forward pass's halves, on the thread that has just computed the
/// sample: one hand-over between the threads fewer.
pub fn forward_backward<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &mut Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    backprop([net, net], batch, act, scratch, grads);
}

/// [`forward_backward`] with each half of the batch read through its own
/// thread's copy of the network (the same numbers: see [`FastEngine`]).
fn backprop<F: Float>(
    nets: [&FastNet<F>; 2],
    batch: &Batch,
    act: &mut Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let [net, net_b] = nets;
    scratch.prepare(net, batch.n);
    let BackwardScratch { dy, da1, w2t, .. } = scratch;
    let top = Top { w2t, dy, da1 };
    forward_top(
        [Own::Read(net), Own::Read(net_b)],
        batch,
        act,
        true,
        Some(top),
    );
    weight_gradients(net, batch, act, scratch, grads);
}

impl<F: Float> BackwardScratch<F> {
    /// W2ᵀ (padding units zero: their da1 stays zero), and dy and da1 sized
    /// for `n` samples.
    fn prepare(&mut self, net: &FastNet<F>, n: usize) {
        let (hp, k) = (net.hp, net.k);
        self.w2t.clear();
        self.w2t.resize(k * hp, F::ZERO);
        for j in 0..net.h {
            for c in 0..k {
                self.w2t[c * hp + j] = net.w2[j * k + c];
            }
        }
        self.dy.resize(n * k, F::ZERO);
        self.da1.resize(n * hp, F::ZERO);
    }
}

/// The sums over samples, from dy and da1: Affine2's ∂L/∂W2 and ∂L/∂b2,
/// Affine1's ∂L/∂b1 and ∂L/∂W1 = xᵀ·da1. ∂L/∂W1's rows (pixels) go in
/// about quarters, the first and third to one thread with ∂L/∂W2 and
/// ∂L/∂b2, the second and fourth to the other with ∂L/∂b1 (the top and
/// bottom of an image are darker than its middle).
fn weight_gradients<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let BackwardScratch { dy, da1, dw2t, .. } = scratch;
    let Grads { w1, b1, w2, b2 } = grads;
    let (n, hp, quarter) = (batch.n, net.hp, net.d / 4);
    // The first thread's quarters are 4 % shorter: it also sums ∂L/∂W2.
    let e = quarter / 25;
    let (dy, da1) = (&dy[..n * net.k], &da1[..n * hp]);
    let (rows_ab, rows_cd) = w1.split_at_mut(2 * quarter * hp);
    let (rows_a, rows_b) = rows_ab.split_at_mut((quarter - e) * hp);
    let (rows_c, rows_d) = rows_cd.split_at_mut((quarter - e) * hp);
    team::join(
        || {
            weight_rows(batch, da1, 0, rows_a);
            weight_rows(batch, da1, 2 * quarter, rows_c);
            weight2_gradient(net, n, act, dy, dw2t, w2, b2);
        },
        || {
            weight_rows(batch, da1, quarter - e, rows_b);
            weight_rows(batch, da1, 3 * quarter - e, rows_d);
            bias1_gradient(da1, b1);
        },
    );
}

/// dz1 = dy·W2ᵀ for the rows of `dy` (k wide) into the rows of `dz1` (hp
/// wide), inlined into the kernel that calls it: W units of a row at a
/// time, their sums kept in registers while the classes go by in order
/// (0 + dy₀·w₀ + dy₁·w₁ + …, as one unit at a time would add them).
#[inline(always)]
fn hidden_gradient<F: Float, const W: usize>(
    dy: &[F],
    w2t: &[F],
    k: usize,
    hp: usize,
    dz1: &mut [F],
) {
    assert!(hp.is_multiple_of(W) && w2t.len() >= k * hp);
    if k == 0 {
        // No classes, nothing flows back.
        dz1.fill(F::ZERO);
        return;
    }
    for (dys, dz1) in dy.chunks_exact(k).zip(dz1.chunks_exact_mut(hp)) {
        for (j0, out) in dz1.chunks_exact_mut(W).enumerate() {
            let mut acc = [F::ZERO; W];
            for c in 0..k {
                let w: &[F; W] = w2t[c * hp + j0 * W..][..W].try_into().unwrap();
                for l in 0..W {
                    acc[l] += dys[c] * w[l];
                }
            }
            out.copy_from_slice(&acc);
        }
    }
}

crate::kernel! {
    /// Affine1's bias: db1 = Σₙ da1, in sample order.
    fn bias1_gradient<F: Float>(da1: &[F], b1: &mut [F]) {
        b1.fill(F::ZERO);
        for row in da1.chunks_exact(b1.len()) {
            for (g, &d) in b1.iter_mut().zip(row) {
                *g += d;
            }
        }
    }
}

crate::kernel! {
    /// Rows `first..` of ∂L/∂W1 = xᵀ·da1.
    fn weight_rows<F: Float>(batch: &Batch, da1: &[F], first: usize, rows: &mut [F]) {
        let scale = batch.scale::<F>();
        weight_gradient(&batch.pixels, batch.n, batch.d, da1, &scale, first, rows);
    }
}

crate::kernel! {
    /// Affine2: dW2 = z1ᵀ·dy and db2 = Σₙ dy, each summed in sample order.
    /// dW2 is summed transposed, a vector of hidden units per class, then
    /// put in W2's layout (the padding rows keep a zero gradient).
    fn weight2_gradient<F: Float>(
        net: &FastNet<F>,
        n: usize,
        act: &Activations<F>,
        dy: &[F],
        dw2t: &mut Vec<F>,
        w2: &mut [F],
        b2: &mut [F],
    ) {
        let (h, hp, k) = (net.h, net.hp, net.k);
        dw2t.clear();
        dw2t.resize(k * hp, F::ZERO);
        b2.fill(F::ZERO);
        for s in 0..n {
            let (dys, z1s) = (&dy[s * k..][..k], &act.z1[s * hp..][..hp]);
            for c in 0..k {
                let g = &mut dw2t[c * hp..][..hp];
                for j in 0..hp {
                    g[j] += z1s[j] * dys[c];
                }
                b2[c] += dys[c];
            }
        }
        w2.fill(F::ZERO);
        for j in 0..h {
            for c in 0..k {
                w2[j * k + c] = dw2t[c * hp + j];
            }
        }
    }
}

crate::kernel! {
    /// Each sample's own part of backprop, for the samples whose `labels`,
    /// y (rows of k), a1 and z1 (rows of hp) are given, into their rows of
    /// `dy` and `da1`:
    /// SoftmaxWithLoss backward, dx = y.copy(); dx[t] -= 1; dx / batch_size;
    /// then dz1 = dy·W2ᵀ (`w2t`, a vector of hidden units per class, summed
    /// in class order) through the activation (sigmoid dx = dout·(1 − y)·y;
    /// ReLU dx = 0 where x ≤ 0).
    fn sample_gradients<F: Float>(
        net: &FastNet<F>,
        batch_size: usize,
        labels: &[usize],
        y: &[F],
        a1: &[F],
        z1: &[F],
        w2t: &[F],
        dy: &mut [F],
        da1: &mut [F],
    ) {
        let (hp, k) = (net.hp, net.k);
        let n = labels.len();
        let batch_size = F::from_f64(batch_size as f64);
        let (dy, da1) = (&mut dy[..n * k], &mut da1[..n * hp]);
        dy.copy_from_slice(&y[..n * k]);
        for (row, &t) in dy.chunks_exact_mut(k).zip(labels) {
            row[t] -= F::ONE;
            for v in row.iter_mut() {
                *v = *v / batch_size;
            }
        }
        // dz1 = dy·W2ᵀ, each unit's sum over the classes in order.
        if hp.is_multiple_of(16) {
            hidden_gradient::<F, 16>(dy, w2t, k, hp, da1);
        } else {
            hidden_gradient::<F, 8>(dy, w2t, k, hp, da1);
        }
        match net.activation {
            Activation::Sigmoid => {
                for (d, &z) in da1.iter_mut().zip(z1) {
                    *d = *d * (F::ONE - z) * z;
                }
            }
            Activation::Relu => {
                for (d, &a) in da1.iter_mut().zip(a1) {
                    if a <= F::ZERO {
                        *d = F::ZERO;
                    }
                }
            }
        }
    }
}

/// SGD on the whole of `net`, on the calling thread, parameter by parameter:
/// the same operations as [`sgd_update`].
fn sgd_all<F: Float>(net: &mut FastNet<F>, grads: &Grads<F>, lr: f64) {
    sgd_step(&mut net.w1, &grads.w1, lr);
    sgd_step(&mut net.b1, &grads.b1, lr);
    sgd_step(&mut net.w2, &grads.w2, lr);
    sgd_step(&mut net.b2, &grads.b2, lr);
    net.w1_changed();
}

/// SGD: `params[key] -= lr · grads[key]`; W1, most of the work, in two
/// halves, one per thread (each number's update is its own).
pub fn sgd_update<F: Float>(net: &mut FastNet<F>, grads: &Grads<F>, lr: f64) {
    let half = net.w1.len() / 2;
    let (w1, w1_b) = net.w1.split_at_mut(half);
    let (g1, g1_b) = grads.w1.split_at(half);
    team::join(
        || sgd_step(w1, g1, lr),
        || {
            sgd_step(w1_b, g1_b, lr);
            sgd_step(&mut net.b1, &grads.b1, lr);
            sgd_step(&mut net.w2, &grads.w2, lr);
            sgd_step(&mut net.b2, &grads.b2, lr);
        },
    );
    net.w1_changed();
}

crate::kernel! {
    /// `p -= lr · g`, element by element.
    fn sgd_step<F: Float>(p: &mut [F], g: &[F], lr: f64) {
        let lr = F::from_f64(lr);
        for (p, &g) in p.iter_mut().zip(g) {
            *p -= lr * g;
        }
    }
}

/// The buffers one thread of an evaluation reuses from chunk to chunk.
#[derive(Debug, Clone, Default)]
pub struct EvalScratch<F> {
    panels: Panels,
    a1: Vec<F>,
    z1: Vec<F>,
    a2: Vec<F>,
}

/// The fraction of `split` whose most probable class is the label.
pub fn accuracy<F: Float>(net: &FastNet<F>, split: &Split) -> f64 {
    accuracy_in(net, split, &mut Default::default())
}

/// [`accuracy`] with buffers kept from one evaluation to the next (no new
/// memory, so no page faults, at each epoch). The images go in chunks to
/// whichever of the two [`team`] threads is free (the helper is already
/// spinning during training); with more than two threads in the pool, to
/// the pool's threads.
pub fn accuracy_in<F: Float>(
    net: &FastNet<F>,
    split: &Split,
    scratch: &mut [EvalScratch<F>; 2],
) -> f64 {
    let n = split.len();
    if n == 0 {
        return 0.0;
    }
    let d = split.pixels_per_image();
    let (x, t) = (split.images(), split.labels());
    let count = |s: &mut EvalScratch<F>, x: &[u8], t: &[u8]| {
        let values = split.pixel_values();
        count_correct(
            net,
            x,
            t,
            values,
            &mut s.panels,
            &mut s.a1,
            &mut s.z1,
            &mut s.a2,
        )
    };
    let correct: usize = if rayon::current_num_threads() > 2 {
        x.par_chunks(EVAL_GRAIN * d)
            .zip(t.par_chunks(EVAL_GRAIN))
            .map_init(EvalScratch::default, |s, (x, t)| count(s, x, t))
            .sum()
    } else {
        // Chunks handed out in turn: a thread that finishes early takes
        // more. A count does not depend on who counted what. Each thread
        // claims its next chunk before counting one, and asks for that
        // chunk's images meanwhile (3 % off an evaluation: the images come
        // from memory, a chunk at a time).
        let next = AtomicUsize::new(0);
        // The images of the next chunk not yet claimed.
        let claim = || {
            let first = next.fetch_add(1, Relaxed) * EVAL_GRAIN;
            first.min(n)..(first + EVAL_GRAIN).min(n)
        };
        let work = |s: &mut EvalScratch<F>| {
            let mut correct = 0;
            let mut chunk = claim();
            while !chunk.is_empty() {
                let after = claim();
                prefetch(&x[after.start * d..after.end * d]);
                correct += count(s, &x[chunk.start * d..chunk.end * d], &t[chunk.clone()]);
                chunk = after;
            }
            correct
        };
        let [mine, helpers] = scratch;
        let (mut first, mut second) = (0, 0);
        team::join(|| first = work(mine), || second = work(helpers));
        first + second
    };
    correct as f64 / n as f64
}

/// Asks for `bytes` to be brought into the caches (the second level), a
/// line at a time, without waiting for them.
fn prefetch(bytes: &[u8]) {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: a prefetch of an address inside `bytes` reads nothing.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                line.as_ptr() as *const i8
            )
        };
    }
}

crate::kernel! {
    /// How many of the images `x` the network labels correctly.
    fn count_correct<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[u8],
        values: Option<&[f64; 256]>,
        panels: &mut Panels,
        a1: &mut Vec<F>,
        z1: &mut Vec<F>,
        a2: &mut Vec<F>,
    ) -> usize {
        let (n, hp, k) = (labels.len(), net.hp, net.k);
        let scale = scale_for::<F>(values);
        a1.resize(n * hp, F::ZERO);
        z1.resize(n * hp, F::ZERO);
        a2.resize(n * k, F::ZERO);
        list_and_sum(net, x, labels, panels, &scale, values.is_none(), a1);
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        net.output_rows(z1, n, a2);
        // softmax keeps the order of the scores, so the argmax of the
        // scores is the argmax of the probabilities.
        correct_rows(&a2[..n * k], k, labels)
    }
}

/// The accuracy of `net` on `split`, computed in f64 by the fast engine: the
/// answer of [`crate::train::evaluate`], sooner.
pub fn evaluate(net: &TwoLayerNet, split: &Split) -> f64 {
    if split.pixels_per_image() != net.params.sizes().0 {
        return crate::train::evaluate(net, split);
    }
    accuracy(&FastNet::<f64>::from_net(net), split)
}

/// The fast engine: a [`FastNet`] and the buffers one iteration needs.
///
/// The network is held twice, the same numbers in both: `net`, which the
/// calling thread reads and updates, and `mirror`, the helper thread's
/// (see [`team`]). Each forward pass reads all of W1, and the update writes
/// all of it: with one copy, the half of W1 updated on one core was pulled
/// over by the other for the next pass, a cache miss at a time, every
/// iteration. With two, each thread updates its own copy in full — the same
/// operations on the same gradient, so the copies stay equal bit for bit —
/// and the only numbers that cross are the gradient's, read in order.
///
/// [`Engine::update`] is made by the loss pass that follows it in the
/// training loop: each thread moves its copy, then reads it, in one
/// hand-over instead of two. Anything else that comes after an update
/// (a gradient, a batch, an evaluation) makes it first, and
/// [`Engine::net`] hands over the network as the update leaves it.
#[derive(Debug, Clone)]
pub struct FastEngine<F> {
    net: FastNet<F>,
    mirror: FastNet<F>,
    batch: Batch,
    act: Activations<F>,
    scratch: BackwardScratch<F>,
    grads: Grads<F>,
    eval: [EvalScratch<F>; 2],
    /// Whether `act` lists the lit pixels of `batch` (a backprop forward
    /// pass ran since the batch was loaded).
    listed: bool,
    /// The learning rate of an update asked for and not yet made: the loss
    /// pass that follows makes it, each thread on its copy just before
    /// reading it; anything else makes it first.
    pending: Option<f64>,
}

impl<F: Float> FastEngine<F> {
    /// An engine training a copy of `net` in precision `F`.
    pub fn new(net: &TwoLayerNet) -> Self {
        let net = FastNet::<F>::from_net(net);
        let grads = Grads::zeros_like(&net);
        FastEngine {
            mirror: net.clone(),
            net,
            batch: Batch::default(),
            act: Activations::default(),
            scratch: BackwardScratch::default(),
            grads,
            eval: Default::default(),
            listed: false,
            pending: None,
        }
    }

    /// The pending update, if there is one, now.
    fn settle(&mut self) {
        if let Some(lr) = self.pending.take() {
            let (net, mirror, grads) = (&mut self.net, &mut self.mirror, &self.grads);
            team::join(|| sgd_all(net, grads, lr), || sgd_all(mirror, grads, lr));
        }
    }

    /// The gradient of the last call to [`Engine::gradient`], in f64.
    pub fn grads_f64(&self) -> crate::params::Params {
        self.grads.to_params(&self.net)
    }

    /// Whether the helper thread's copy of the network equals the network,
    /// number for number (it always should).
    pub fn mirror_agrees(&self) -> bool {
        self.mirror == self.net
    }
}

impl<F: Float> Engine for FastEngine<F> {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        self.settle();
        self.batch.fill_from(split, indices);
        self.listed = false;
    }

    fn gradient(&mut self, method: GradientMethod) {
        self.settle();
        match method {
            GradientMethod::Backprop => {
                let nets = [&self.net, &self.mirror];
                backprop(
                    nets,
                    &self.batch,
                    &mut self.act,
                    &mut self.scratch,
                    &mut self.grads,
                );
                self.listed = true;
            }
            GradientMethod::Numerical => {
                numerical::literal(&self.net, &self.batch, &mut self.grads);
            }
            GradientMethod::NumericalFast => {
                numerical::incremental(&self.net, &self.batch, &mut self.grads);
            }
        }
    }

    fn update(&mut self, lr: f64) {
        // Made by whatever comes next: see `pending`.
        self.settle();
        self.pending = Some(lr);
    }

    fn loss(&mut self) -> f64 {
        let nets = match self.pending.take() {
            // Each thread moves its own copy, whole, then reads it: see
            // [`FastEngine`].
            Some(lr) => [
                Own::Update(&mut self.net, &self.grads, lr),
                Own::Update(&mut self.mirror, &self.grads, lr),
            ],
            None => [Own::Read(&self.net), Own::Read(&self.mirror)],
        };
        // The lit pixels of the batch are listed already after a gradient.
        forward_top(nets, &self.batch, &mut self.act, !self.listed, None);
        self.listed = true;
        self.act.loss()
    }

    fn accuracy(&mut self, split: &Split) -> f64 {
        self.settle();
        accuracy_in(&self.net, split, &mut self.eval)
    }

    fn net(&self) -> TwoLayerNet {
        match self.pending {
            // The update asked for, on a copy: the same operations.
            Some(lr) => {
                let mut net = self.net.clone();
                sgd_all(&mut net, &self.grads, lr);
                net.to_net()
            }
            None => self.net.to_net(),
        }
    }

    fn grads(&self) -> crate::params::Params {
        self.grads_f64()
    }

    fn set_params(&mut self, params: &crate::params::Params) {
        let n = &self.net;
        assert_eq!(params.sizes(), (n.d, n.h, n.k), "set_params: other sizes");
        self.pending = None;
        self.net.set_params(params);
        self.mirror.set_params(params);
    }
}
