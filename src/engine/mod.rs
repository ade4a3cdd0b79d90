//! Engines: where the arithmetic of a training run happens.
//!
//! The training loop in [`crate::train`] is the same five steps whichever
//! engine runs it. Two engines implement them:
//!
//! - [`Reference`]: the book's code, literally — [`TwoLayerNet`]'s `gradient`
//!   and `numerical_gradient`, [`Sgd`](crate::Sgd), ndarray matrices in f64.
//!   The one to read.
//! - `fast` ([`crate::engine::fast`]): the same mathematics written for the
//!   machine — no allocation per iteration, zero pixels skipped (they add
//!   nothing to x·W1 or to xᵀ·δ), f32 or f64, both cores. The one to run.
//!
//! Tests check that the two agree.

pub mod fast;
mod reference;

pub use reference::Reference;

use crate::data::Split;
use crate::params::Params;
use crate::train::{GradientMethod, Precision, TrainConfig};
use crate::two_layer_net::TwoLayerNet;

/// Which engine runs the arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// Hand-written kernels: fast (the default).
    #[default]
    Fast,
    /// The book's ndarray code, as written in [`TwoLayerNet`].
    Reference,
}

impl EngineKind {
    /// "fast" or "reference".
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Fast => "fast",
            EngineKind::Reference => "reference",
        }
    }

    /// The kernels this engine runs at `precision` on this machine: the
    /// fast engine's instruction set ("avx512", "avx2", "baseline"), with
    /// "amx" where f32's x·W1 runs on the tile unit ([`fast::amx`]); the
    /// reference engine's "ndarray". Results can differ in the last bits
    /// from one to another.
    pub fn kernels(self, precision: Precision) -> &'static str {
        match self {
            EngineKind::Reference => "ndarray",
            EngineKind::Fast if precision == Precision::F32 && fast::amx::available() => "amx",
            EngineKind::Fast => fast::simd::level().name(),
        }
    }
}

/// The operations the training loop needs, on a network held by the engine.
pub trait Engine {
    /// Step 1: take the samples `indices` of `split` as the current batch
    /// (pixels scaled to [0, 1]).
    fn load_batch(&mut self, split: &Split, indices: &[usize]);
    /// Steps 2–3: the gradient of the batch loss with respect to every parameter.
    fn gradient(&mut self, method: GradientMethod);
    /// Step 4: every parameter moves against its gradient, W ← W − lr·∂L/∂W.
    fn update(&mut self, lr: f64);
    /// The loss on the current batch with the current parameters.
    fn loss(&mut self) -> f64;
    /// The fraction of `split` classified correctly.
    fn accuracy(&mut self, split: &Split) -> f64;
    /// The network as it is now, in f64.
    fn net(&self) -> TwoLayerNet;
    /// The gradient of the last [`Engine::gradient`] call, in f64, shaped
    /// like the book's params (zeros before the first call).
    fn grads(&self) -> Params;
    /// Replaces the network's parameters with `params`, keeping the
    /// engine, its buffers and its batch (an update asked for and not yet
    /// made is dropped).
    ///
    /// # Panics
    /// When `params` has other sizes than the engine's network.
    fn set_params(&mut self, params: &Params);
}

/// The engine `config` asks for, starting from `net`.
pub fn new(config: &TrainConfig, net: &TwoLayerNet) -> Box<dyn Engine + Send> {
    match (config.engine, config.precision) {
        (EngineKind::Reference, _) => Box::new(Reference::new(net.clone())),
        (EngineKind::Fast, Precision::F64) => Box::new(fast::FastEngine::<f64>::new(net)),
        (EngineKind::Fast, Precision::F32) => Box::new(fast::FastEngine::<f32>::new(net)),
    }
}
