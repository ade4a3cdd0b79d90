//! Numerical differentiation: the chapter's way to find which way is downhill.
//!
//! | book (`ch04/gradient_*.py`, `common/gradient.py`) | here |
//! | --- | --- |
//! | `numerical_diff(f, x)` | [`numerical_diff`] |
//! | `numerical_gradient(f, x)` | [`numerical_gradient`] (any shape, perturbs `x` in place) |
//! | `gradient_descent(f, init_x, lr, step_num)` | [`gradient_descent`] |
//!
//! All three use the *central* difference (f(x+h) − f(x−h)) / 2h with
//! h = 1e-4: its error shrinks like h², against h for the forward difference,
//! and h = 1e-4 is small enough to be accurate yet large enough that
//! x + h and x − h still differ in f64.

use ndarray::{Array, Array1, Dimension};

/// The step of every numerical derivative in the chapter: h = 1e-4.
pub const H: f64 = 1e-4;

/// df/dx ≈ (f(x + h) − f(x − h)) / 2h, the central difference.
///
/// ```
/// // The book's function_1: y = 0.01x² + 0.1x, whose true slope at 5 is 0.2.
/// let f = |x: f64| 0.01 * x * x + 0.1 * x;
/// let d = manabi::gradient::numerical_diff(f, 5.0);
/// assert!((d - 0.2).abs() < 1e-9);
/// ```
pub fn numerical_diff(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    (f(x + H) - f(x - H)) / (2.0 * H)
}

/// ∂f/∂xᵢ ≈ (f(…, xᵢ + h, …) − f(…, xᵢ − h, …)) / 2h for every element xᵢ.
///
/// `x` may have any shape (a vector, a weight matrix, …). Each element is
/// nudged in place, `f` is called with the whole array, and the element is
/// then restored *exactly* (the saved value is written back, not recomputed
/// as `(x + h) − h`, which would drift by rounding). Because `f` sees `x`
/// itself, the same call differentiates a loss with respect to a network's
/// weights: `f` ignores its argument and reads the weights it closes over,
/// exactly as the book's `lambda W: net.loss(x, t)` does.
///
/// ```
/// use ndarray::array;
/// // f(x₀, x₁) = x₀² + x₁², whose gradient at (3, 4) is (6, 8).
/// let mut x = array![3.0, 4.0];
/// let g = manabi::gradient::numerical_gradient(|x| x.mapv(|v| v * v).sum(), &mut x);
/// assert!((g[0] - 6.0).abs() < 1e-9 && (g[1] - 8.0).abs() < 1e-9);
/// assert_eq!(x, array![3.0, 4.0]); // restored
/// ```
pub fn numerical_gradient<D: Dimension>(
    mut f: impl FnMut(&Array<f64, D>) -> f64,
    x: &mut Array<f64, D>,
) -> Array<f64, D> {
    let mut grad = Array::zeros(x.raw_dim());
    // Walk the elements in memory order, like `np.nditer` over a C array.
    for i in 0..x.len() {
        let tmp = x.as_slice_memory_order().expect("contiguous array")[i];
        set_flat(x, i, tmp + H);
        let fxh1 = f(x);
        set_flat(x, i, tmp - H);
        let fxh2 = f(x);
        grad.as_slice_memory_order_mut().expect("contiguous array")[i] = (fxh1 - fxh2) / (2.0 * H);
        set_flat(x, i, tmp);
    }
    grad
}

fn set_flat<D: Dimension>(x: &mut Array<f64, D>, i: usize, v: f64) {
    x.as_slice_memory_order_mut().expect("contiguous array")[i] = v;
}

/// Where gradient descent ends up, and the points it passed through.
#[derive(Debug, Clone)]
pub struct Descent {
    /// The point after the last step.
    pub x: Array1<f64>,
    /// The point *before* each step (`step_num` entries), as the book's
    /// `x_history` records it.
    pub history: Vec<Array1<f64>>,
}

/// x ← x − η ∇f(x), `step_num` times, from `init_x` (η is the learning rate `lr`).
///
/// The gradient is numerical, so this is the whole of chapter 4's learning
/// rule on a function small enough to draw.
///
/// ```
/// use ndarray::array;
/// // Minimise f(x₀, x₁) = x₀² + x₁² from (−3, 4): it heads to (0, 0).
/// let f = |x: &ndarray::Array1<f64>| x.mapv(|v| v * v).sum();
/// let d = manabi::gradient::gradient_descent(f, array![-3.0, 4.0], 0.1, 100);
/// assert!(d.x[0].abs() < 1e-9 && d.x[1].abs() < 1e-9);
/// assert_eq!(d.history.len(), 100);
/// ```
pub fn gradient_descent(
    mut f: impl FnMut(&Array1<f64>) -> f64,
    init_x: Array1<f64>,
    lr: f64,
    step_num: usize,
) -> Descent {
    let mut x = init_x;
    let mut history = Vec::with_capacity(step_num);
    for _ in 0..step_num {
        history.push(x.clone());
        let grad = numerical_gradient(&mut f, &mut x);
        x.zip_mut_with(&grad, |x, g| *x -= lr * g);
    }
    Descent { x, history }
}
