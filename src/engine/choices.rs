//! What a run chooses about its arithmetic: the precision it computes in and
//! how step 3 finds the gradient.
//!
//! ```text
//! precision   F = f64 or f32 for every number of the network, its gradient and its activations
//! gradient    backprop:       ∂L/∂W by the chain rule, layer by layer backwards
//!             numerical(-fast): ∂L/∂θ ≈ (L(θ + h) − L(θ − h)) / 2h for every θ, h = 1e-4
//! ```

use crate::names;

/// How the gradient of step 3 is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradientMethod {
    /// Backpropagation (chapter 5): one forward and one backward pass.
    #[default]
    Backprop,
    /// Central differences for every parameter (chapter 4), literally: two
    /// full forward passes per parameter. Exact to ~1e-8, and very slow.
    Numerical,
    /// The same central differences, computed incrementally: nudging one
    /// weight changes one hidden unit or one output, so only that part of the
    /// loss is recomputed. Agrees with [`GradientMethod::Numerical`] to 1e-9.
    NumericalFast,
}

impl GradientMethod {
    /// Every method, the default first.
    pub const ALL: [GradientMethod; 3] = [
        GradientMethod::Backprop,
        GradientMethod::Numerical,
        GradientMethod::NumericalFast,
    ];

    /// The name used on the command line and in run records.
    pub fn name(self) -> &'static str {
        match self {
            GradientMethod::Backprop => "backprop",
            GradientMethod::Numerical => "numerical",
            GradientMethod::NumericalFast => "numerical-fast",
        }
    }
}

/// Its [`name`](GradientMethod::name).
impl std::fmt::Display for GradientMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The method of that [`name`](GradientMethod::name).
///
/// ```
/// use manabi::engine::GradientMethod;
/// let method: GradientMethod = "numerical-fast".parse().unwrap();
/// assert_eq!(method, GradientMethod::NumericalFast);
/// assert_eq!(method.to_string(), "numerical-fast");
/// ```
impl std::str::FromStr for GradientMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        names::parse(s, &Self::ALL, Self::name, "gradient method")
    }
}

/// The floating-point type the arithmetic runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 64-bit, as the book's NumPy code effectively runs. The default.
    #[default]
    F64,
    /// 32-bit: about twice as fast; too coarse for numerical gradients
    /// (h = 1e-4 drowns in f32 rounding).
    F32,
}

impl Precision {
    /// Both precisions, the default first.
    pub const ALL: [Precision; 2] = [Precision::F64, Precision::F32];

    /// "f64" or "f32".
    pub fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

/// Its [`name`](Precision::name).
impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The precision of that [`name`](Precision::name).
///
/// ```
/// use manabi::engine::Precision;
/// assert_eq!("f32".parse::<Precision>(), Ok(Precision::F32));
/// assert!("f16".parse::<Precision>().is_err());
/// ```
impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        names::parse(s, &Self::ALL, Self::name, "precision")
    }
}
