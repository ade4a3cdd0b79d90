//! Layers with a forward pass and its derivative side by side: backprop, the
//! fast version of the gradient that chapter 5 builds.
//!
//! Each layer remembers what its `backward` needs during `forward` (the input
//! of an affine layer, the output of a sigmoid, the mask of a ReLU, the
//! softmax of the loss). Calling the layers' `backward` in reverse order
//! multiplies the local derivatives together — the chain rule — and yields
//! the gradient of the loss with respect to every parameter in one sweep,
//! instead of two forward passes per parameter.
//!
//! | book (`common/layers.py`) | here | forward | backward |
//! | --- | --- | --- | --- |
//! | `Affine` | [`Affine`] | y = x·W + b | dx = dy·Wᵀ, dW = xᵀ·dy, db = Σₙ dy |
//! | `Sigmoid` | [`Sigmoid`] | y = σ(x) | dx = dy·(1 − y)·y |
//! | `Relu` | [`Relu`] | y = max(0, x) | dx = dy where x > 0, else 0 |
//! | `SoftmaxWithLoss` | [`SoftmaxWithLoss`] | L = CE(softmax(x), t) | dx = (y − t) / N |

use ndarray::{Array1, Array2, Axis};

use crate::functions::{Target, cross_entropy_error, sigmoid_scalar, softmax_rows};

/// y = x·W + b, for a batch.
///
/// Shapes: `x: (N, D)`, `W: (D, M)`, `b: (M,)`, `y: (N, M)`.
/// The layer borrows its weights, as the book's layer shares the arrays of
/// the network's `params`.
///
/// ```
/// use ndarray::array;
/// use manabi::layers::Affine;
/// let (w, b) = (array![[1.0, 2.0], [3.0, 4.0]], array![0.5, -0.5]);
/// let mut affine = Affine::new(&w, &b);
/// let y = affine.forward(&array![[1.0, 1.0]]);
/// assert_eq!(y, array![[4.5, 5.5]]);
/// let dx = affine.backward(&array![[1.0, 0.0]]);
/// assert_eq!(dx, array![[1.0, 3.0]]);
/// assert_eq!(affine.dw, array![[1.0, 0.0], [1.0, 0.0]]);
/// ```
#[derive(Debug)]
pub struct Affine<'a> {
    /// W: (D, M).
    pub w: &'a Array2<f64>,
    /// b: (M,).
    pub b: &'a Array1<f64>,
    /// The input of the last forward pass, x: (N, D).
    x: Array2<f64>,
    /// ∂L/∂W: (D, M), set by `backward`.
    pub dw: Array2<f64>,
    /// ∂L/∂b: (M,), set by `backward`.
    pub db: Array1<f64>,
}

impl<'a> Affine<'a> {
    /// An affine layer over the weights `w` and bias `b`.
    pub fn new(w: &'a Array2<f64>, b: &'a Array1<f64>) -> Self {
        Affine {
            w,
            b,
            x: Array2::zeros((0, 0)),
            dw: Array2::zeros(w.raw_dim()),
            db: Array1::zeros(b.raw_dim()),
        }
    }

    /// y = x·W + b. x: (N, D) → y: (N, M).
    pub fn forward(&mut self, x: &Array2<f64>) -> Array2<f64> {
        self.x = x.clone();
        x.dot(self.w) + self.b
    }

    /// dx = dy·Wᵀ: (N, D); also stores dW = xᵀ·dy: (D, M) and db = Σₙ dy: (M,).
    pub fn backward(&mut self, dout: &Array2<f64>) -> Array2<f64> {
        self.backward_params(dout);
        dout.dot(&self.w.t())
    }

    /// The parameter half of [`Affine::backward`]: dW and db without dx.
    ///
    /// The first layer of a network has nothing below it to pass dx to, so
    /// computing it (a product as large as x·W) would be wasted work.
    pub fn backward_params(&mut self, dout: &Array2<f64>) {
        self.dw = self.x.t().dot(dout);
        self.db = dout.sum_axis(Axis(0));
    }
}

/// y = σ(x) = 1 / (1 + exp(−x)), element-wise; dy/dx = (1 − y)·y.
///
/// ```
/// use ndarray::array;
/// let mut s = manabi::layers::Sigmoid::default();
/// let y = s.forward(&array![[0.0]]);
/// assert_eq!(y, array![[0.5]]);
/// assert_eq!(s.backward(&array![[1.0]]), array![[0.25]]);
/// ```
#[derive(Debug, Default)]
pub struct Sigmoid {
    /// The output of the last forward pass: (N, M).
    out: Array2<f64>,
}

impl Sigmoid {
    /// y = σ(x). x: (N, M) → y: (N, M).
    pub fn forward(&mut self, x: &Array2<f64>) -> Array2<f64> {
        self.out = x.mapv(sigmoid_scalar);
        self.out.clone()
    }

    /// dx = dy·(1 − y)·y. dy: (N, M) → dx: (N, M).
    pub fn backward(&mut self, dout: &Array2<f64>) -> Array2<f64> {
        let mut dx = dout.clone();
        dx.zip_mut_with(&self.out, |d, &y| *d *= (1.0 - y) * y);
        dx
    }
}

/// y = max(0, x), element-wise; dy/dx = 1 where x > 0, else 0.
///
/// ```
/// use ndarray::array;
/// let mut r = manabi::layers::Relu::default();
/// assert_eq!(r.forward(&array![[-1.0, 2.0]]), array![[0.0, 2.0]]);
/// assert_eq!(r.backward(&array![[5.0, 5.0]]), array![[0.0, 5.0]]);
/// ```
#[derive(Debug, Default)]
pub struct Relu {
    /// Where the input was ≤ 0 (the book's `mask`): (N, M).
    mask: Array2<bool>,
}

impl Relu {
    /// y = max(0, x). x: (N, M) → y: (N, M).
    pub fn forward(&mut self, x: &Array2<f64>) -> Array2<f64> {
        self.mask = x.mapv(|v| v <= 0.0);
        let mut out = x.clone();
        out.zip_mut_with(&self.mask, |o, &m| {
            if m {
                *o = 0.0
            }
        });
        out
    }

    /// dx = dy where the input was > 0, else 0. dy: (N, M) → dx: (N, M).
    pub fn backward(&mut self, dout: &Array2<f64>) -> Array2<f64> {
        let mut dx = dout.clone();
        dx.zip_mut_with(&self.mask, |d, &m| {
            if m {
                *d = 0.0
            }
        });
        dx
    }
}

/// L = cross_entropy_error(softmax(x), t); ∂L/∂x = (y − t) / N.
///
/// Softmax and cross-entropy are fused because their joint derivative is so
/// simple: the prediction minus the answer, averaged over the batch. (The
/// loss keeps the book's 1e-7 inside the logarithm; the derivative, as in the
/// book, is the exact one without it — the source of the ~1e-7 differences a
/// gradient check shows on W2 and b2.)
///
/// ```
/// use ndarray::array;
/// use manabi::functions::Target;
/// let mut last = manabi::layers::SoftmaxWithLoss::default();
/// let labels = [0usize];
/// let loss = last.forward(&array![[0.0, 0.0]], Target::from(&labels[..]));
/// assert!((loss - 2f64.ln()).abs() < 1e-6);
/// assert_eq!(last.backward(), array![[-0.5, 0.5]]);
/// ```
#[derive(Debug, Default)]
pub struct SoftmaxWithLoss {
    /// softmax of the last input: (N, K).
    y: Array2<f64>,
    /// The correct class of each row of the last batch.
    labels: Vec<usize>,
    /// The one-hot targets of the last batch, when given that way: (N, K).
    one_hot: Option<Array2<f64>>,
}

impl SoftmaxWithLoss {
    /// L = CE(softmax(x), t). x: (N, K) scores → a number.
    pub fn forward(&mut self, x: &Array2<f64>, t: Target) -> f64 {
        self.y = softmax_rows(x);
        self.labels = (0..t.len()).map(|n| t.label(n)).collect();
        self.one_hot = match t {
            Target::OneHot(t) => Some(t.to_owned()),
            Target::Labels(_) => None,
        };
        cross_entropy_error(&self.y, t)
    }

    /// ∂L/∂x = (y − t) / N: (N, K). The upstream derivative is 1 (L is the end).
    pub fn backward(&mut self) -> Array2<f64> {
        let batch_size = self.y.nrows() as f64;
        let mut dx = self.y.clone();
        match &self.one_hot {
            Some(t) => dx -= t,
            None => {
                for (mut row, &k) in dx.rows_mut().into_iter().zip(&self.labels) {
                    row[k] -= 1.0;
                }
            }
        }
        dx / batch_size
    }
}
