//! Activation and loss functions: the building blocks of `predict` and `loss`.
//!
//! | book (`common/functions.py`) | here |
//! | --- | --- |
//! | `sigmoid(x)` | [`sigmoid`] |
//! | `relu(x)` | [`relu`] |
//! | `softmax(x)` | [`softmax`] (one row) and [`softmax_rows`] (a batch) |
//! | `sum_squared_error(y, t)` | [`sum_squared_error`] |
//! | `cross_entropy_error(y, t)` | [`cross_entropy_error`] |
//!
//! The book decides at run time whether `t` holds one-hot rows or class
//! indices (by comparing sizes); here that choice is the [`Target`] enum, so
//! it is visible in the types.

use ndarray::{Array, Array1, Array2, ArrayView1, ArrayView2, Axis, Dimension, Zip};

/// The small constant the book adds inside the logarithm, so `log(0)` never
/// happens: `-Σ t·log(y + δ)` with `δ = 1e-7`.
pub const CROSS_ENTROPY_DELTA: f64 = 1e-7;

/// σ(x) = 1 / (1 + exp(−x)), element-wise.
///
/// ```
/// use ndarray::array;
/// let y = manabi::functions::sigmoid(&array![-1.0, 0.0, 2.0]);
/// assert!((y[1] - 0.5).abs() < 1e-15);
/// assert!((y[2] - 0.8807970779778823).abs() < 1e-12);
/// ```
pub fn sigmoid<D: Dimension>(x: &Array<f64, D>) -> Array<f64, D> {
    x.mapv(sigmoid_scalar)
}

/// σ(x) for one number; see [`sigmoid`].
#[inline]
pub fn sigmoid_scalar(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// dσ/dx = (1 − σ(x))·σ(x), element-wise (the book's `sigmoid_grad`).
///
/// ```
/// use ndarray::array;
/// let g = manabi::functions::sigmoid_grad(&array![0.0]);
/// assert!((g[0] - 0.25).abs() < 1e-15);
/// ```
pub fn sigmoid_grad<D: Dimension>(x: &Array<f64, D>) -> Array<f64, D> {
    x.mapv(|v| {
        let s = sigmoid_scalar(v);
        (1.0 - s) * s
    })
}

/// ReLU(x) = max(0, x), element-wise.
///
/// ```
/// use ndarray::array;
/// assert_eq!(manabi::functions::relu(&array![-2.0, 0.0, 3.0]), array![0.0, 0.0, 3.0]);
/// ```
pub fn relu<D: Dimension>(x: &Array<f64, D>) -> Array<f64, D> {
    x.mapv(|v| v.max(0.0))
}

/// softmax(a)ₖ = exp(aₖ − max a) / Σᵢ exp(aᵢ − max a), for one row.
///
/// Subtracting the maximum changes nothing mathematically (it cancels in the
/// ratio) but keeps `exp` from overflowing: `[1010, 1000, 990]` works.
///
/// ```
/// use ndarray::array;
/// let y = manabi::functions::softmax(&array![1010.0, 1000.0, 990.0]);
/// assert!((y[0] - 0.999954600070331).abs() < 1e-12);
/// assert!((y.sum() - 1.0).abs() < 1e-12);
/// ```
pub fn softmax(a: &Array1<f64>) -> Array1<f64> {
    let mut y = a.clone();
    softmax_in_place(y.view_mut());
    y
}

/// softmax of every row of a batch `a: (N, K)`; see [`softmax`].
///
/// ```
/// use ndarray::array;
/// let y = manabi::functions::softmax_rows(&array![[0.3, 2.9, 4.0], [0.0, 0.0, 0.0]]);
/// assert!((y[[0, 2]] - 0.7365969137693786).abs() < 1e-12);
/// assert!((y[[1, 0]] - 1.0 / 3.0).abs() < 1e-15);
/// ```
pub fn softmax_rows(a: &Array2<f64>) -> Array2<f64> {
    let mut y = a.clone();
    for row in y.rows_mut() {
        softmax_in_place(row);
    }
    y
}

fn softmax_in_place(mut row: ndarray::ArrayViewMut1<f64>) {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    row.mapv_inplace(|v| (v - max).exp());
    let sum = row.sum();
    row.mapv_inplace(|v| v / sum);
}

/// What a network should have answered: one-hot rows or class indices.
///
/// The book's `cross_entropy_error` and `accuracy` accept both and tell them
/// apart by size; here the caller says which.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// `t: (N, K)`, one row per sample with a 1 at the correct class.
    OneHot(ArrayView2<'a, f64>),
    /// `t: (N,)`, the correct class of each sample.
    Labels(ArrayView1<'a, usize>),
}

impl Target<'_> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Target::OneHot(t) => t.nrows(),
            Target::Labels(t) => t.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The correct class of sample `n` (`argmax` of a one-hot row, as the book does).
    pub fn label(&self, n: usize) -> usize {
        match self {
            Target::OneHot(t) => argmax(t.row(n)),
            Target::Labels(t) => t[n],
        }
    }
}

impl<'a> From<&'a Array2<f64>> for Target<'a> {
    fn from(t: &'a Array2<f64>) -> Self {
        Target::OneHot(t.view())
    }
}

impl<'a> From<&'a Array1<usize>> for Target<'a> {
    fn from(t: &'a Array1<usize>) -> Self {
        Target::Labels(t.view())
    }
}

impl<'a> From<&'a [usize]> for Target<'a> {
    fn from(t: &'a [usize]) -> Self {
        Target::Labels(ArrayView1::from(t))
    }
}

/// Index of the largest element (the first one on ties, like `np.argmax`).
///
/// ```
/// use ndarray::array;
/// assert_eq!(manabi::functions::argmax(array![0.1, 0.7, 0.7].view()), 1);
/// ```
pub fn argmax(row: ArrayView1<f64>) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// E = ½ Σₖ (yₖ − tₖ)², summed over every element (the book's `sum_squared_error`).
///
/// ```
/// use ndarray::array;
/// // The chapter's example: the network says "2" with probability 0.6.
/// let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
/// let y = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// let e = manabi::functions::sum_squared_error(&y, &t);
/// assert!((e - 0.0975).abs() < 1e-12);
/// ```
pub fn sum_squared_error<D: Dimension>(y: &Array<f64, D>, t: &Array<f64, D>) -> f64 {
    0.5 * Zip::from(y)
        .and(t)
        .fold(0.0, |acc, &y, &t| acc + (y - t) * (y - t))
}

/// E = −(1/N) Σₙ Σₖ tₙₖ · log(yₙₖ + δ), with δ = 1e-7 and `y: (N, K)`.
///
/// With one-hot targets only the correct class contributes, so this is
/// −(1/N) Σₙ log(yₙ,ₜₙ + δ), which is what [`Target::Labels`] computes
/// directly. For a single sample use [`cross_entropy_error_1d`].
///
/// ```
/// use ndarray::array;
/// use manabi::functions::{cross_entropy_error, Target};
/// let y = array![[0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0],
///                [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]];
/// let labels = [2usize, 2];
/// let e = cross_entropy_error(&y, Target::from(&labels[..]));
/// assert!((e - 1.406704775046942).abs() < 1e-12);
/// ```
pub fn cross_entropy_error(y: &Array2<f64>, t: Target) -> f64 {
    let n = y.nrows();
    assert_eq!(
        t.len(),
        n,
        "cross_entropy_error: y has {n} rows, t has {}",
        t.len()
    );
    let total: f64 = match t {
        Target::OneHot(t) => Zip::from(y)
            .and(t)
            .fold(0.0, |acc, &y, &t| acc + t * (y + CROSS_ENTROPY_DELTA).ln()),
        Target::Labels(t) => y
            .axis_iter(Axis(0))
            .zip(t.iter())
            .map(|(row, &k)| (row[k] + CROSS_ENTROPY_DELTA).ln())
            .sum(),
    };
    -total / n as f64
}

/// Cross-entropy of one sample, `y: (K,)`, `t: (K,)` one-hot: −Σₖ tₖ · log(yₖ + δ).
///
/// The book reshapes a 1-D `y` into one row; this is that case.
///
/// ```
/// use ndarray::array;
/// let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
/// let y = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
/// let e = manabi::functions::cross_entropy_error_1d(&y, &t);
/// assert!((e - 0.51082).abs() < 1e-5);
/// ```
pub fn cross_entropy_error_1d(y: &Array1<f64>, t: &Array1<f64>) -> f64 {
    let y2 = y.view().insert_axis(Axis(0)).to_owned();
    let t2 = t.view().insert_axis(Axis(0));
    cross_entropy_error(&y2, Target::OneHot(t2))
}
