//! The fast engine: the book's mathematics, written for the machine.
//!
//! Same network, same formulas, same order of steps as the reference
//! engine; what changes is how the arithmetic is laid out:
//!
//! - **zero pixels are skipped** ([`batch`]): they add nothing to x·W1 nor to
//!   ∂L/∂W1 = xᵀ·δ, so skipping them is exact. Each image's non-zero pixels
//!   are found once per run ([`sparse`]) and reused by every batch and every
//!   evaluation;
//! - **cache-sized blocks** ([`net`]): the hidden layer is cut into blocks of
//!   16 (f32) or 8 (f64) units whose slice of W1 fits the fastest cache, and
//!   every pass walks the batch once per block;
//! - **no allocation per iteration**: the batch, the activations and the
//!   gradients live in buffers reused for the whole run;
//! - **both cores**: blocks are split between threads in the forward and
//!   backward passes, samples in evaluation; the partitions never depend on
//!   the thread count, and neither does the result;
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
pub mod sparse;

use std::sync::Arc;

use rayon::prelude::*;

use crate::data::Split;
use crate::train::GradientMethod;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::Engine;
use batch::SparseBatch;
use float::Float;
use net::{FastNet, argmax, cross_entropy, softmax};
use sparse::SparseSplit;

/// Samples per parallel task in evaluation.
const EVAL_GRAIN: usize = 100;

/// ∂L/∂W for W1, b1, W2, b2, laid out (and padded) like the network.
#[derive(Debug, Clone, Default)]
pub struct Grads<F> {
    /// ∂L/∂W1, `[block][pixel][lane]`.
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
    /// Samples.
    n: usize,
    /// a1 = x·W1 + b1, `[block][sample][lane]`.
    pub a1: Vec<F>,
    /// z1 = h(a1), `[block][sample][lane]`.
    pub z1: Vec<F>,
    /// y = softmax(z1·W2 + b2): (n, k).
    pub y: Vec<F>,
    /// −log(y_t + 1e-7) per sample: (n,).
    pub ell: Vec<F>,
}

impl<F: Float> Activations<F> {
    fn resize(&mut self, n: usize, hp: usize, k: usize) {
        self.n = n;
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

    /// z1 of sample `s`, hidden block `b` (LANES units).
    #[inline(always)]
    fn z1_block(&self, b: usize, s: usize) -> &[F] {
        &self.z1[(b * self.n + s) * F::LANES..][..F::LANES]
    }
}

/// The forward pass over a batch: hidden blocks split between threads, then
/// the output layer, softmax and loss sample by sample.
pub fn forward<F: Float>(net: &FastNet<F>, batch: &SparseBatch<F>, out: &mut Activations<F>) {
    out.resize(batch.n, net.hp, net.k);
    let chunk = batch.n * F::LANES;
    if chunk > 0 {
        out.a1
            .par_chunks_mut(chunk)
            .zip(out.z1.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(b, (a1, z1))| hidden_layer_block(net, batch, b, a1, z1));
    }
    output_layer(net, batch, out);
}

/// The forward pass over a batch on the calling thread; returns the loss.
///
/// Used inside the parallel numerical gradient, where each thread owns a
/// whole copy of the network and runs whole passes.
pub fn forward_loss_serial<F: Float>(
    net: &FastNet<F>,
    batch: &SparseBatch<F>,
    out: &mut Activations<F>,
) -> f64 {
    out.resize(batch.n, net.hp, net.k);
    let chunk = batch.n * F::LANES;
    for b in 0..net.blocks() {
        let r = b * chunk..(b + 1) * chunk;
        hidden_layer_block(net, batch, b, &mut out.a1[r.clone()], &mut out.z1[r]);
    }
    output_layer(net, batch, out);
    out.loss()
}

crate::kernel! {
    /// Hidden block `b` of every sample of the batch: a1 and z1.
    fn hidden_layer_block<F: Float>(net: &FastNet<F>, batch: &SparseBatch<F>, b: usize, a1: &mut [F], z1: &mut [F]) {
        let lanes = F::LANES;
        for s in 0..batch.n {
            let (pixels, values) = batch.row(s);
            net.hidden_block(b, pixels, values, &mut a1[s * lanes..][..lanes], &mut z1[s * lanes..][..lanes]);
        }
    }
}

crate::kernel! {
    /// y = softmax(z1·W2 + b2) and each sample's share of the loss.
    fn output_layer<F: Float>(net: &FastNet<F>, batch: &SparseBatch<F>, out: &mut Activations<F>) {
        let k = net.k;
        let mut y = std::mem::take(&mut out.y);
        for s in 0..batch.n {
            let ys = &mut y[s * k..][..k];
            net.output(|b| out.z1_block(b, s), ys);
            softmax(ys);
            out.ell[s] = cross_entropy(ys, batch.labels[s]);
        }
        out.y = y;
    }
}

/// Scratch for [`backward`].
#[derive(Debug, Clone, Default)]
pub struct BackwardScratch<F> {
    /// ∂L/∂a2 = (y − t) / N: (n, k).
    dy: Vec<F>,
    /// ∂L/∂a1, `[block][sample][lane]`.
    da1: Vec<F>,
}

/// Backpropagation through SoftmaxWithLoss, Affine2, the activation and
/// Affine1, from the activations of [`forward`].
pub fn backward<F: Float>(
    net: &FastNet<F>,
    batch: &SparseBatch<F>,
    act: &Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    backward_top(net, batch, act, &mut scratch.dy, &mut scratch.da1, grads);
    // Affine1: dW1 = xᵀ·da1, block by block in parallel, zero pixels skipped.
    let da1 = &scratch.da1[..];
    let (chunk, n) = (net.d * F::LANES, batch.n);
    grads
        .w1
        .par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(b, dw1)| weight_block(batch, &da1[b * n * F::LANES..][..n * F::LANES], dw1));
}

crate::kernel! {
    /// Everything of backprop but ∂L/∂W1: from the loss down to ∂L/∂a1 and ∂L/∂b1.
    fn backward_top<F: Float>(
        net: &FastNet<F>,
        batch: &SparseBatch<F>,
        act: &Activations<F>,
        dy: &mut Vec<F>,
        da1: &mut Vec<F>,
        grads: &mut Grads<F>,
    ) {
        let (n, h, hp, k, lanes) = (batch.n, net.h, net.hp, net.k, F::LANES);
        let batch_size = F::from_f64(n as f64);
        // Unit j of sample s in the block layout.
        let at = |s: usize, j: usize| ((j / lanes) * n + s) * lanes + j % lanes;

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
            for j in 0..h {
                let z = act.z1[at(s, j)];
                let g = &mut grads.w2[j * k..][..k];
                for c in 0..k {
                    g[c] += z * dys[c];
                }
            }
            for c in 0..k {
                grads.b2[c] += dys[c];
            }
            for j in 0..h {
                let w = &net.w2[j * k..][..k];
                let mut sum = F::ZERO;
                for c in 0..k {
                    sum += dys[c] * w[c];
                }
                da1[at(s, j)] = sum;
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
        for b in 0..hp / lanes {
            let g = &mut grads.b1[b * lanes..][..lanes];
            for s in 0..n {
                let d = &da1[(b * n + s) * lanes..][..lanes];
                for l in 0..lanes {
                    g[l] += d[l];
                }
            }
        }
    }
}

crate::kernel! {
    /// One block of ∂L/∂W1 = xᵀ·da1: each sample adds value × its da1 block
    /// to the row of each of its non-zero pixels, samples in order.
    fn weight_block<F: Float>(batch: &SparseBatch<F>, da1: &[F], dw1: &mut [F]) {
        let lanes = F::LANES;
        dw1.fill(F::ZERO);
        for s in 0..batch.n {
            let (pixels, values) = batch.row(s);
            let d = &da1[s * lanes..][..lanes];
            for (&p, &v) in pixels.iter().zip(values) {
                let row = &mut dw1[p as usize * lanes..][..lanes];
                for l in 0..lanes {
                    row[l] += v * d[l];
                }
            }
        }
    }
}

crate::kernel! {
    /// SGD: params[key] -= lr · grads[key].
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
pub fn accuracy<F: Float>(net: &FastNet<F>, split: &SparseSplit) -> f64 {
    let n = split.len();
    if n == 0 {
        return 0.0;
    }
    let correct: usize = (0..n.div_ceil(EVAL_GRAIN))
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(values, a1, z1), c| {
                count_correct(
                    net,
                    split,
                    c * EVAL_GRAIN,
                    ((c + 1) * EVAL_GRAIN).min(n),
                    values,
                    a1,
                    z1,
                )
            },
        )
        .sum();
    correct as f64 / n as f64
}

crate::kernel! {
    /// How many of the samples `first..end` the network labels correctly.
    fn count_correct<F: Float>(
        net: &FastNet<F>,
        split: &SparseSplit,
        first: usize,
        end: usize,
        values: &mut Vec<F>,
        a1: &mut Vec<F>,
        z1: &mut Vec<F>,
    ) -> usize {
        let (n, hp, k, lanes) = (end - first, net.hp, net.k, F::LANES);
        let scale: [F; 256] = std::array::from_fn(|b| F::from_pixel(b as u8));
        // The chunk's pixel values, once, in the order of its entries.
        let (entries_first, entries_end) = (split.entry(first), split.entry(end));
        values.clear();
        values.extend(split.bytes(entries_first..entries_end).iter().map(|&b| scale[b as usize]));
        a1.resize(n * hp, F::ZERO);
        z1.resize(n * hp, F::ZERO);
        for b in 0..net.blocks() {
            for s in 0..n {
                let r = split.entry(first + s) - entries_first..split.entry(first + s + 1) - entries_first;
                let pixels = split.row(first + s).0;
                let at = (b * n + s) * lanes;
                net.hidden_block(b, pixels, &values[r], &mut a1[at..][..lanes], &mut z1[at..][..lanes]);
            }
        }
        let mut a2 = [F::ZERO; 64];
        let a2 = &mut a2[..k.min(64)];
        let mut correct = 0;
        for s in 0..n {
            net.output(|b| &z1[(b * n + s) * lanes..][..lanes], a2);
            // softmax keeps the order of the scores, so the argmax of the
            // scores is the argmax of the probabilities.
            if argmax(a2) == split.label(first + s) {
                correct += 1;
            }
        }
        correct
    }
}

/// The accuracy of `net` on `split`, computed in f64 by the fast engine: the
/// answer of [`crate::train::evaluate`], sooner.
pub fn evaluate(net: &TwoLayerNet, split: &Split) -> f64 {
    if net.params.sizes().0 > sparse::MAX_PIXELS || split.pixels_per_image() != net.params.sizes().0
    {
        return crate::train::evaluate(net, split);
    }
    accuracy(&FastNet::<f64>::from_net(net), &SparseSplit::new(split))
}

/// The fast engine: a [`FastNet`] and the buffers one iteration needs.
#[derive(Debug, Clone)]
pub struct FastEngine<F> {
    net: FastNet<F>,
    batch: SparseBatch<F>,
    act: Activations<F>,
    scratch: BackwardScratch<F>,
    grads: Grads<F>,
    /// The non-zero pixels of the splits seen so far (train and test).
    splits: Vec<Arc<SparseSplit>>,
}

impl<F: Float> FastEngine<F> {
    /// An engine training a copy of `net` in precision `F`.
    pub fn new(net: &TwoLayerNet) -> Self {
        let net = FastNet::<F>::from_net(net);
        let grads = Grads::zeros_like(&net);
        FastEngine {
            net,
            batch: SparseBatch::default(),
            act: Activations::default(),
            scratch: BackwardScratch::default(),
            grads,
            splits: Vec::new(),
        }
    }

    /// The gradient of the last call to [`Engine::gradient`], in f64.
    pub fn grads_f64(&self) -> crate::params::Params {
        self.grads.to_params(&self.net)
    }

    /// The sparse form of `split`, built on first use.
    fn sparse(&mut self, split: &Split) -> Arc<SparseSplit> {
        if let Some(s) = self.splits.iter().find(|s| s.is_of(split)) {
            return Arc::clone(s);
        }
        let s = Arc::new(SparseSplit::new(split));
        self.splits.push(Arc::clone(&s));
        s
    }
}

impl<F: Float> Engine for FastEngine<F> {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        let sparse = self.sparse(split);
        self.batch.fill_from(&sparse, indices);
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
        let sparse = self.sparse(split);
        accuracy(&self.net, &sparse)
    }

    fn net(&self) -> TwoLayerNet {
        self.net.to_net()
    }
}
