//! `Params`: the weights and biases a network learns, reachable by the book's names.
//!
//! The book keeps them in a dict, `params['W1']`; here they are four fields
//! (`w1`, `b1`, `w2`, `b2`) that can also be looked up by name, and a
//! gradient is the same structure filled with ∂L/∂(each parameter).

use ndarray::{Array1, Array2, ArrayViewD};

/// W1: (input, hidden), b1: (hidden,), W2: (hidden, output), b2: (output,).
///
/// ```
/// use manabi::TwoLayerNet;
/// let net = TwoLayerNet::new(784, 50, 10, 0.01);
/// assert_eq!(net.params.get("W1").unwrap().shape(), &[784, 50]);
/// assert!(net.params.get("W3").is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// First-layer weights: (input, hidden).
    pub w1: Array2<f64>,
    /// First-layer biases: (hidden,).
    pub b1: Array1<f64>,
    /// Second-layer weights: (hidden, output).
    pub w2: Array2<f64>,
    /// Second-layer biases: (output,).
    pub b2: Array1<f64>,
}

impl Params {
    /// The book's names, in the book's order.
    pub const NAMES: [&'static str; 4] = ["W1", "b1", "W2", "b2"];

    /// Zeros shaped like a network of the given sizes.
    pub fn zeros(input: usize, hidden: usize, output: usize) -> Self {
        Params {
            w1: Array2::zeros((input, hidden)),
            b1: Array1::zeros(hidden),
            w2: Array2::zeros((hidden, output)),
            b2: Array1::zeros(output),
        }
    }

    /// The parameter called `name` ("W1", "b1", "W2" or "b2"), as the book's
    /// `params['W1']`.
    pub fn get(&self, name: &str) -> Option<ArrayViewD<'_, f64>> {
        Some(match name {
            "W1" => self.w1.view().into_dyn(),
            "b1" => self.b1.view().into_dyn(),
            "W2" => self.w2.view().into_dyn(),
            "b2" => self.b2.view().into_dyn(),
            _ => return None,
        })
    }

    /// Each parameter with its name, as a flat slice.
    pub fn slices(&self) -> [(&'static str, &[f64]); 4] {
        [
            ("W1", self.w1.as_slice().expect("standard layout")),
            ("b1", self.b1.as_slice().expect("standard layout")),
            ("W2", self.w2.as_slice().expect("standard layout")),
            ("b2", self.b2.as_slice().expect("standard layout")),
        ]
    }

    /// Each parameter with its name, as a flat mutable slice.
    pub fn slices_mut(&mut self) -> [(&'static str, &mut [f64]); 4] {
        [
            ("W1", self.w1.as_slice_mut().expect("standard layout")),
            ("b1", self.b1.as_slice_mut().expect("standard layout")),
            ("W2", self.w2.as_slice_mut().expect("standard layout")),
            ("b2", self.b2.as_slice_mut().expect("standard layout")),
        ]
    }

    /// How many numbers the network learns, D·H + H + H·K + K: 39,760 for
    /// 784-50-10.
    ///
    /// ```
    /// assert_eq!(manabi::Params::zeros(784, 50, 10).count(), 39_760);
    /// ```
    pub fn count(&self) -> usize {
        self.w1.len() + self.b1.len() + self.w2.len() + self.b2.len()
    }

    /// (input, hidden, output) sizes.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.w1.nrows(), self.w1.ncols(), self.w2.ncols())
    }

    /// True when every parameter is a finite number.
    pub fn all_finite(&self) -> bool {
        self.slices()
            .iter()
            .all(|(_, s)| s.iter().all(|v| v.is_finite()))
    }
}
