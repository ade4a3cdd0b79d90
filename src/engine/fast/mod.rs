//! The fast engine: the book's mathematics, written for the machine.
//!
//! Same network, same formulas, same order of steps as the reference
//! engine; what changes is how the arithmetic is laid out:
//!
//! - **tiled products that skip zero pixels** ([`net`]): x·W1 and xᵀ·δ keep
//!   their running sums in vector registers, and a pixel that is zero in
//!   every image of a tile is skipped — exact, it would only add zeros;
//! - **bytes, not floats** ([`batch`]): images stay one byte per pixel and
//!   are scaled through a table as they are read, so a batch fits the cache;
//! - **no allocation per iteration**: the batch, the activations and the
//!   gradients live in buffers reused for the whole run;
//! - **both cores**: samples are split between threads in the forward pass
//!   and in evaluation, pixels (rows of ∂L/∂W1) in the backward pass; the
//!   partitions never depend on the thread count, and neither does the result;
//! - **f32 or f64** ([`float`]), with an `exp` the compiler can vectorise;
//! - **AVX2 / AVX-512** when the processor has them, chosen at run time
//!   ([`simd`]).
//!
//! The numerical gradients live in [`numerical`].

// Kernels index several same-length arrays with one loop counter: the form
// the compiler turns into vector instructions most reliably.
#![allow(clippy::needless_range_loop)]

pub mod batch;
pub mod float;
pub mod net;
pub mod numerical;
pub mod simd;

use rayon::prelude::*;

use crate::data::Split;
use crate::train::GradientMethod;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::Engine;
use batch::{Batch, scale_table};
use float::Float;
use net::{FastNet, activate, argmax, cross_entropy, softmax, weight_gradient};

/// Samples per parallel task in the forward pass.
const FORWARD_GRAIN: usize = 52;
/// Pixels (rows of ∂L/∂W1) per parallel task in the backward pass.
const BACKWARD_GRAIN: usize = 196;
/// Samples per parallel task in evaluation.
const EVAL_GRAIN: usize = 500;

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
        let as_net = FastNet {
            w1: self.w1.clone(),
            b1: self.b1.clone(),
            w2: self.w2.clone(),
            b2: self.b2.clone(),
            ..net.clone()
        };
        as_net.to_params()
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
}

impl<F: Float> Activations<F> {
    fn resize(&mut self, n: usize, hp: usize, k: usize) {
        self.a1.resize(n * hp, F::ZERO);
        self.z1.resize(n * hp, F::ZERO);
        self.y.resize(n * k, F::ZERO);
        self.ell.resize(n, F::ZERO);
    }

    /// L = −Σ log(y_t + 1e-7) / N, summed in sample order.
    pub fn loss(&self) -> f64 {
        let n = self.ell.len();
        let sum: F = self.ell.iter().copied().sum();
        (sum / F::from_f64(n as f64)).to_f64()
    }
}

/// The forward pass over a batch, samples split between threads.
pub fn forward<F: Float>(net: &FastNet<F>, batch: &Batch, out: &mut Activations<F>) {
    let (n, d, hp, k) = (batch.n, batch.d, net.hp, net.k);
    out.resize(n, hp, k);
    let g = FORWARD_GRAIN;
    out.a1
        .par_chunks_mut(g * hp)
        .zip(out.z1.par_chunks_mut(g * hp))
        .zip(out.y.par_chunks_mut(g * k))
        .zip(out.ell.par_chunks_mut(g))
        .enumerate()
        .for_each(|(c, (((a1, z1), y), ell))| {
            let first = c * g;
            let x = &batch.pixels[first * d..(first + ell.len()) * d];
            forward_samples(net, x, &batch.labels[first..], a1, z1, y, ell)
        });
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
    let Activations { a1, z1, y, ell } = out;
    forward_samples(net, &batch.pixels, &batch.labels, a1, z1, y, ell);
    out.loss()
}

crate::kernel! {
    /// Images `x` (with their `labels`) through the network: a1, z1, y and
    /// each one's share of the loss, one per element of `ell`.
    fn forward_samples<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[usize],
        a1: &mut [F],
        z1: &mut [F],
        y: &mut [F],
        ell: &mut [F],
    ) {
        let (n, hp, k) = (ell.len(), net.hp, net.k);
        let scale = scale_table::<F>();
        net.hidden_pre(x, n, &scale, a1);
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        for s in 0..n {
            let ys = &mut y[s * k..][..k];
            net.output(&z1[s * hp..][..hp], ys);
            softmax(ys);
            ell[s] = cross_entropy(ys, labels[s]);
        }
    }
}

/// Scratch for [`backward`].
#[derive(Debug, Clone, Default)]
pub struct BackwardScratch<F> {
    /// ∂L/∂a2 = (y − t) / N: (n, k).
    dy: Vec<F>,
    /// ∂L/∂a1: (n, hp).
    da1: Vec<F>,
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
    backward_top(net, batch, act, &mut scratch.dy, &mut scratch.da1, grads);
    // Affine1: dW1 = xᵀ·da1, rows (pixels) split between threads.
    let (da1, hp, g) = (&scratch.da1[..], net.hp, BACKWARD_GRAIN);
    grads
        .w1
        .par_chunks_mut(g * hp)
        .enumerate()
        .for_each(|(c, rows)| weight_rows(batch, da1, c * g, rows));
}

crate::kernel! {
    /// Rows `first..` of ∂L/∂W1 = xᵀ·da1.
    fn weight_rows<F: Float>(batch: &Batch, da1: &[F], first: usize, rows: &mut [F]) {
        let scale = scale_table::<F>();
        weight_gradient(&batch.pixels, batch.n, batch.d, da1, &scale, first, rows);
    }
}

crate::kernel! {
    /// Everything of backprop but ∂L/∂W1: from the loss down to ∂L/∂a1 and ∂L/∂b1.
    fn backward_top<F: Float>(
        net: &FastNet<F>,
        batch: &Batch,
        act: &Activations<F>,
        dy: &mut Vec<F>,
        da1: &mut Vec<F>,
        grads: &mut Grads<F>,
    ) {
        let (n, h, hp, k) = (batch.n, net.h, net.hp, net.k);
        let batch_size = F::from_f64(n as f64);

        // SoftmaxWithLoss: dx = y.copy(); dx[arange(N), t] -= 1; dx / batch_size
        dy.clear();
        dy.extend_from_slice(&act.y);
        for (s, row) in dy.chunks_exact_mut(k).enumerate() {
            row[batch.labels[s]] -= F::ONE;
            for v in row.iter_mut() {
                *v = *v / batch_size;
            }
        }

        // Affine2: dW2 = z1ᵀ·dy, db2 = Σₙ dy, dz1 = dy·W2ᵀ (real hidden units
        // only: the padding rows of W2 keep a zero gradient).
        grads.w2.fill(F::ZERO);
        grads.b2.fill(F::ZERO);
        da1.clear();
        da1.resize(n * hp, F::ZERO);
        for s in 0..n {
            let dys = &dy[s * k..][..k];
            let z1s = &act.z1[s * hp..][..h];
            for (j, &z) in z1s.iter().enumerate() {
                let g = &mut grads.w2[j * k..][..k];
                for c in 0..k {
                    g[c] += z * dys[c];
                }
            }
            for c in 0..k {
                grads.b2[c] += dys[c];
            }
            let dz1 = &mut da1[s * hp..][..h];
            for (j, d) in dz1.iter_mut().enumerate() {
                let w = &net.w2[j * k..][..k];
                let mut sum = F::ZERO;
                for c in 0..k {
                    sum += dys[c] * w[c];
                }
                *d = sum;
            }
        }

        // The activation: sigmoid dx = dout·(1 − y)·y; ReLU dx = 0 where x ≤ 0.
        match net.activation {
            Activation::Sigmoid => {
                for (d, &z) in da1.iter_mut().zip(&act.z1) {
                    *d = *d * (F::ONE - z) * z;
                }
            }
            Activation::Relu => {
                for (d, &a) in da1.iter_mut().zip(&act.a1) {
                    if a <= F::ZERO {
                        *d = F::ZERO;
                    }
                }
            }
        }

        // Affine1's bias: db1 = Σₙ da1, in sample order.
        grads.b1.fill(F::ZERO);
        for row in da1.chunks_exact(hp) {
            for (g, &d) in grads.b1.iter_mut().zip(row) {
                *g += d;
            }
        }
    }
}

crate::kernel! {
    /// SGD: `params[key] -= lr · grads[key]`.
    pub fn sgd_update<F: Float>(net: &mut FastNet<F>, grads: &Grads<F>, lr: f64) {
        let lr = F::from_f64(lr);
        for (p, g) in [
            (&mut net.w1, &grads.w1),
            (&mut net.b1, &grads.b1),
            (&mut net.w2, &grads.w2),
            (&mut net.b2, &grads.b2),
        ] {
            for (p, &g) in p.iter_mut().zip(g) {
                *p -= lr * g;
            }
        }
    }
}

/// The fraction of `split` whose most probable class is the label, samples
/// split between threads.
pub fn accuracy<F: Float>(net: &FastNet<F>, split: &Split) -> f64 {
    let n = split.len();
    if n == 0 {
        return 0.0;
    }
    let d = split.pixels_per_image();
    let correct: usize = split
        .images()
        .par_chunks(EVAL_GRAIN * d)
        .zip(split.labels().par_chunks(EVAL_GRAIN))
        .map_init(
            || (Vec::new(), Vec::new()),
            |(a1, z1), (x, labels)| count_correct(net, x, labels, a1, z1),
        )
        .sum();
    correct as f64 / n as f64
}

crate::kernel! {
    /// How many of the images `x` the network labels correctly.
    fn count_correct<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[u8],
        a1: &mut Vec<F>,
        z1: &mut Vec<F>,
    ) -> usize {
        let (n, hp, k) = (labels.len(), net.hp, net.k);
        let scale = scale_table::<F>();
        a1.resize(n * hp, F::ZERO);
        z1.resize(n * hp, F::ZERO);
        net.hidden_pre(x, n, &scale, a1);
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        let mut a2 = vec![F::ZERO; k];
        let mut correct = 0;
        for (s, &label) in labels.iter().enumerate() {
            net.output(&z1[s * hp..][..hp], &mut a2);
            // softmax keeps the order of the scores, so the argmax of the
            // scores is the argmax of the probabilities.
            if argmax(&a2) == label as usize {
                correct += 1;
            }
        }
        correct
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
#[derive(Debug, Clone)]
pub struct FastEngine<F> {
    net: FastNet<F>,
    batch: Batch,
    act: Activations<F>,
    scratch: BackwardScratch<F>,
    grads: Grads<F>,
}

impl<F: Float> FastEngine<F> {
    /// An engine training a copy of `net` in precision `F`.
    pub fn new(net: &TwoLayerNet) -> Self {
        let net = FastNet::<F>::from_net(net);
        let grads = Grads::zeros_like(&net);
        FastEngine {
            net,
            batch: Batch::default(),
            act: Activations::default(),
            scratch: BackwardScratch::default(),
            grads,
        }
    }

    /// The gradient of the last call to [`Engine::gradient`], in f64.
    pub fn grads_f64(&self) -> crate::params::Params {
        self.grads.to_params(&self.net)
    }
}

impl<F: Float> Engine for FastEngine<F> {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        self.batch.fill_from(split, indices);
    }

    fn gradient(&mut self, method: GradientMethod) {
        match method {
            GradientMethod::Backprop => {
                forward(&self.net, &self.batch, &mut self.act);
                backward(
                    &self.net,
                    &self.batch,
                    &self.act,
                    &mut self.scratch,
                    &mut self.grads,
                );
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
        sgd_update(&mut self.net, &self.grads, lr);
    }

    fn loss(&mut self) -> f64 {
        forward(&self.net, &self.batch, &mut self.act);
        self.act.loss()
    }

    fn accuracy(&mut self, split: &Split) -> f64 {
        accuracy(&self.net, split)
    }

    fn net(&self) -> TwoLayerNet {
        self.net.to_net()
    }
}
