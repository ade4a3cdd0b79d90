//! The fast engine: the book's mathematics, written for the machine.
//!
//! Same network, same formulas, same order of steps as the reference
//! engine; what changes is how the arithmetic is laid out. The files go
//! pass by pass, as the book's layers pair forward with backward:
//!
//! | file | computes | shapes |
//! | --- | --- | --- |
//! | [`layout`] | the network and its gradient as flat arrays | W1: (d, hp), W2: (hp, k) |
//! | [`batch`] | the mini-batch: the images' bytes, gathered by two threads | x: (n, d) bytes |
//! | [`forward`] | y = softmax(h(x·W1 + b1)·W2 + b2), L = −Σ log(y_t + δ) / n | (n, hp), (n, k) |
//! | [`functions`] | h(a), softmax(a), −log(y_t + δ), a row at a time | (n, hp), (n, k) |
//! | [`backward`] | ∂L/∂W2 = z1ᵀ·dy, ∂L/∂W1 = xᵀ·da1, and the biases | the parameters' |
//! | [`update`] | W ← W − η·∂L/∂W | the parameters' |
//! | [`evaluate`](mod@evaluate) | #{n : argmax a2ₙ = tₙ} / N on a whole split | — |
//! | [`evaluate_narrow`] | the same count in f64, x·W1 summed in f32 where that cannot change an answer | (n, hp) |
//! | [`numerical`] | (L(θ + h) − L(θ − h)) / 2h for every θ | the parameters' |
//! | [`team`] | two threads, each half of a batch on one | — |
//! | [`kernels`] | the vector products x·W1, xᵀ·δ, z1·W2, in 128-bit registers, AVX2, AVX-512 or AMX | — |
//!
//! What is done for speed:
//!
//! - **tiled products that skip zero pixels** ([`kernels`]): x·W1 and xᵀ·δ
//!   keep their running sums in vector registers, and a pixel that is zero
//!   in every image of a tile is skipped — exact, it would only add zeros;
//!   for x·W1 the lit pixels are listed first, in blocks whose rows of W1
//!   fit the L1 cache;
//! - **bytes, not floats** ([`layout`]): images stay one byte per pixel and
//!   are scaled through a table as they are read, so a batch fits the cache;
//! - **no allocation per iteration**: the batch, the activations and the
//!   gradients live in buffers reused for the whole run;
//! - **both cores** ([`team`]): an iteration's copy of the batch, forward
//!   passes and ∂L/∂W1 are each cut in two halves, the second run by a
//!   helper thread that waits spinning between them; each thread keeps its
//!   own copy of the network and updates it whole, so W1 does not travel
//!   between the cores ([`FastEngine`]); evaluation splits its images
//!   between the threads. The halves never depend on the thread count, and
//!   neither does the result;
//! - **f32 or f64**, with an `exp` the compiler can vectorise; an f64
//!   evaluation makes its x·W1 in f32 and checks, image by image, that
//!   this cannot change the answer ([`evaluate_narrow`]);
//! - **AVX2 / AVX-512** when the processor has them, chosen at run time,
//!   and **AMX** for f32's x·W1 where the processor has it; elsewhere the
//!   target's **128-bit** registers (SSE2, NEON, simd128);
//! - **no subnormal numbers** from the sigmoid: it gives 0 where σ(a)
//!   would be one, so a saturated network trains as fast as any.

// Kernels index several same-length arrays with one loop counter: the form
// the compiler turns into vector instructions most reliably.
#![allow(clippy::needless_range_loop)]

pub(crate) mod backward;
pub(crate) mod batch;
pub(crate) mod evaluate;
pub(crate) mod evaluate_narrow;
pub(crate) mod forward;
pub(crate) mod functions;
pub(crate) mod kernels;
pub(crate) mod layout;
pub(crate) mod numerical;
pub(crate) mod team;
pub(crate) mod update;

use crate::data::Split;
use crate::params::Params;
use crate::two_layer_net::TwoLayerNet;

use super::choices::{GradientMethod, Precision};
use super::image_source::ImageSource;
use super::steps::Engine;
use backward::{BackwardScratch, backprop};
use batch::Batch;
use evaluate::{EvalScratch, accuracy_in, accuracy_of};
use forward::{Activations, Own, forward_halves};
use kernels::amx;
use kernels::float::Float;
use layout::{FastNet, Grads};

/// The kernels the fast engine runs at `precision` on this machine: "amx"
/// where f32's x·W1 runs on the tile unit, else the instruction set.
pub(crate) fn kernels(precision: Precision) -> &'static str {
    if precision == Precision::F32 && amx::available() {
        "amx"
    } else {
        kernels::level().name()
    }
}

/// The fast engine: a [`FastNet`] and the buffers one iteration needs.
///
/// The network is held twice, the same numbers in both: `net`, which the
/// calling thread reads and updates, and `mirror`, the helper thread's
/// (see `team.rs`). Each forward pass reads all of W1, and the update writes
/// all of it: with one copy, the half of W1 updated on one core was pulled
/// over by the other for the next pass, a cache miss at a time, every
/// iteration. With two, each thread updates its own copy in full — the same
/// operations on the same gradient, so the copies stay equal bit for bit —
/// and the only numbers that cross are the gradient's, read in order.
///
/// Step 4 ([`Engine::update_and_loss`]) is one pass: each thread moves its
/// copy of the network, then reads it for the loss, in one hand-over
/// instead of two.
#[derive(Debug, Clone)]
pub struct FastEngine<F> {
    net: FastNet<F>,
    mirror: FastNet<F>,
    batch: Batch,
    act: Activations<F>,
    scratch: BackwardScratch<F>,
    grads: Grads<F>,
    eval: [EvalScratch<F>; 2],
    /// Whether `act` lists the lit pixels of `batch` (a forward pass ran
    /// since the batch was loaded).
    listed: bool,
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
        }
    }

    /// Whether the helper thread's copy of the network equals the network,
    /// number for number (it always should).
    pub fn mirror_agrees(&self) -> bool {
        self.mirror == self.net
    }

    /// The loss pass over the batch through each thread's copy of the
    /// network, `nets` (read, or moved first); the batch's lit pixels are
    /// listed unless a pass listed them already.
    fn loss_pass(
        nets: [Own<'_, F>; 2],
        batch: &Batch,
        act: &mut Activations<F>,
        listed: &mut bool,
    ) -> f64 {
        forward_halves(nets, batch, act, !*listed);
        *listed = true;
        act.loss()
    }
}

impl<F: Float> Engine for FastEngine<F> {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        self.batch.fill_from(split, indices);
        self.listed = false;
    }

    fn gradient(&mut self, method: GradientMethod) {
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

    fn grads(&self) -> Params {
        self.grads.to_params(&self.net)
    }

    fn grads_into(&self, into: [&mut [f64]; 4]) {
        self.grads.write_into(&self.net, into);
    }

    fn update_and_loss(&mut self, lr: f64) -> f64 {
        // Each thread moves its own copy, whole, then reads it: see
        // [`FastEngine`].
        let nets = [
            Own::Update(&mut self.net, &self.grads, lr),
            Own::Update(&mut self.mirror, &self.grads, lr),
        ];
        Self::loss_pass(nets, &self.batch, &mut self.act, &mut self.listed)
    }

    fn loss(&mut self) -> f64 {
        let nets = [Own::Read(&self.net), Own::Read(&self.mirror)];
        Self::loss_pass(nets, &self.batch, &mut self.act, &mut self.listed)
    }

    fn accuracy(&mut self, split: &Split) -> f64 {
        accuracy_in(&self.net, split, &mut self.eval)
    }

    fn accuracy_of(&mut self, source: &ImageSource<'_>) -> Option<f64> {
        accuracy_of(&self.net, source, &mut self.eval)
    }

    fn net(&self) -> TwoLayerNet {
        self.net.to_net()
    }

    fn set_params_from(&mut self, values: [&[f64]; 4]) -> bool {
        // Compared with this thread's copy; when anything changed, that is
        // copied into the mirror, handed to the helper (and run here if
        // it has not begun by the time the caller is free: see
        // `team::join`), so both stay equal. Measured in the book's loop
        // from Python, against two other ways: copying `values` on the
        // helper too left the caller's arrays in the other core's cache,
        // and NumPy's next in-place update of them took ~100 µs longer;
        // waiting for the helper to begin the copy made `loss` ~12 µs
        // slower. The batch's lit pixels stay listed.
        let (net, mirror) = (&mut self.net, &mut self.mirror);
        if !net.set_params_from(values) {
            return false;
        }
        team::join(|| {}, || mirror.copy_params_of(net));
        true
    }
}
