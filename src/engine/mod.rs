//! Engines: where the arithmetic of a training run happens.
//!
//! ```text
//! each iteration, on a batch (x, t):  W ← W − η·∂L/∂W,  L = cross_entropy_error(predict(x), t)
//! once per epoch, on a split:         accuracy = #{n : argmaxₖ yₙₖ = tₙ} / N
//! ```
//!
//! The training loop in [`crate::train`] is the same five steps whichever
//! engine runs it ([`Engine`]). Two engines implement them:
//!
//! - [`Reference`]: the book's code, literally — [`TwoLayerNet`]'s `gradient`
//!   and `numerical_gradient`, [`Sgd`](crate::Sgd), ndarray matrices in f64.
//!   The one to read.
//! - the fast engine (`src/engine/fast/`): the same mathematics written for
//!   the machine — no allocation per iteration, zero pixels skipped (they
//!   add nothing to x·W1 or to xᵀ·δ), f32 or f64, both cores. The one to
//!   run. Its files go pass by pass: the layout, the forward pass, the
//!   backward pass, the update, evaluation, the numerical gradients, the
//!   thread team, and the vector kernels under `fast/kernels/`.
//!
//! [`new`] makes the engine a run asks for; [`evaluate`] is the accuracy of
//! a network on a split, the one every report prints. Tests check that the
//! two engines agree.

mod choices;
mod fast;
mod image_source;
mod reference;
mod steps;
#[doc(hidden)]
pub mod testing;

pub use choices::{GradientMethod, Precision};
pub use fast::evaluate::evaluate;
pub use image_source::ImageSource;
pub use reference::Reference;
pub use steps::Engine;

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
    /// Both engines, the default first.
    pub const ALL: [EngineKind; 2] = [EngineKind::Fast, EngineKind::Reference];

    /// "fast" or "reference".
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Fast => "fast",
            EngineKind::Reference => "reference",
        }
    }

    /// The kernels this engine runs at `precision` on this machine: the
    /// fast engine's instruction set ("avx512", "avx2", "baseline"), or
    /// "amx" where f32's x·W1 runs on the tile unit; the reference engine's
    /// "ndarray". Results can differ in the last bits from one to another.
    pub fn kernels(self, precision: Precision) -> &'static str {
        match self {
            EngineKind::Reference => "ndarray",
            EngineKind::Fast => fast::kernels(precision),
        }
    }

    /// [`kernels`](EngineKind::kernels) as `train`'s header says it:
    /// "avx512 kernels", and at the baseline level the instructions too,
    /// "baseline kernels (SSE2)" (or NEON, simd128, plain arithmetic).
    ///
    /// ```
    /// use manabi::engine::{EngineKind, Precision};
    /// let said = EngineKind::Fast.kernels_in_words(Precision::F64);
    /// assert!(said.starts_with(EngineKind::Fast.kernels(Precision::F64)));
    /// assert!(said.contains(" kernels"));
    /// ```
    pub fn kernels_in_words(self, precision: Precision) -> String {
        let kernels = self.kernels(precision);
        if self == EngineKind::Fast && kernels == fast::kernels::Level::Baseline.name() {
            let instructions = fast::kernels::Level::Baseline.instructions();
            format!("{kernels} kernels ({instructions})")
        } else {
            format!("{kernels} kernels")
        }
    }
}

/// Its [`name`](EngineKind::name).
impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The engine of that [`name`](EngineKind::name).
///
/// ```
/// use manabi::engine::EngineKind;
/// assert_eq!("reference".parse::<EngineKind>(), Ok(EngineKind::Reference));
/// assert!("quantum".parse::<EngineKind>().is_err());
/// ```
impl std::str::FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        crate::names::parse(s, &Self::ALL, Self::name, "engine")
    }
}

/// The engine `kind` computing in `precision`, starting from `net`. The
/// reference engine computes in f64 whatever `precision` says.
///
/// ```
/// use manabi::engine::{self, EngineKind, Precision};
/// let net = manabi::TwoLayerNet::new(784, 50, 10, 0.01);
/// let engine = engine::new(EngineKind::Fast, Precision::F32, &net);
/// // f32 weights, handed back in f64: within f32's rounding of the start.
/// let back = engine.net();
/// assert!((back.params.w1[[3, 4]] - net.params.w1[[3, 4]]).abs() < 1e-9);
/// ```
pub fn new(kind: EngineKind, precision: Precision, net: &TwoLayerNet) -> Box<dyn Engine + Send> {
    match (kind, precision) {
        (EngineKind::Reference, _) => Box::new(Reference::new(net.clone())),
        (EngineKind::Fast, Precision::F64) => Box::new(fast::FastEngine::<f64>::new(net)),
        (EngineKind::Fast, Precision::F32) => Box::new(fast::FastEngine::<f32>::new(net)),
    }
}
