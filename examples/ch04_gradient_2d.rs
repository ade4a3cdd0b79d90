//! The book's `ch04/gradient_2d.py`: the gradient of f(x₀, x₁) = x₀² + x₁²,
//! at three points and over a whole grid.
//!
//! The script draws the grid's negative gradients as arrows (`plt.quiver`,
//! the book's figure 4-9); this prints them as a map of arrow characters, and
//! with `--out DIR` draws the figure into `DIR/gradient_2d.png` (and `.svg`).
//!
//! Run: `cargo run --release --example ch04_gradient_2d [-- --out DIR]`

mod figure;
mod numpy_print;

use ndarray::{Array1, Array2, array};

use manabi::gradient::numerical_gradient;
use manabi::report::plot_gradient_field;
use numpy_print::array_str;

// def function_2(x): return np.sum(x**2)
// Summing over every element also covers the book's batched case, where x
// holds many points: see the grid below.
fn function_2<D: ndarray::Dimension>(x: &ndarray::Array<f64, D>) -> f64 {
    x.mapv(|v| v * v).sum()
}

fn main() {
    let out = figure::out_flag_only().unwrap_or_else(|e| {
        eprintln!("ch04_gradient_2d: {e}");
        std::process::exit(2);
    });

    // numerical_gradient(function_2, np.array([3.0, 4.0])) → [6. 8.]
    // and at (0, 2) → [0. 4.], at (3, 0) → [6. 0.]. Exact: (2x₀, 2x₁).
    for point in [array![3.0, 4.0], array![0.0, 2.0], array![3.0, 0.0]] {
        let mut x: Array1<f64> = point.clone();
        let grad = numerical_gradient(function_2, &mut x);
        println!(
            "numerical_gradient(function_2, {}) = {}   raw {grad}",
            array_str(&point),
            array_str(&grad)
        );
    }

    // x0 = np.arange(-2, 2.5, 0.25); x1 = np.arange(-2, 2.5, 0.25)
    // X, Y = np.meshgrid(x0, x1)
    // grad = numerical_gradient(function_2, np.array([X, Y]))
    let ticks: Vec<f64> = (0..18).map(|i| -2.0 + 0.25 * f64::from(i)).collect();
    let n = ticks.len();
    // Row 0 holds every point's x₀, row 1 its x₁ (as np.array([X, Y]) does).
    let mut xy = Array2::from_shape_fn((2, n * n), |(row, k)| {
        let (i, j) = (k / n, k % n); // i picks x₁ (the row of the grid), j picks x₀
        if row == 0 { ticks[j] } else { ticks[i] }
    });
    // f sums x² over all 324 points; each element appears in one term only,
    // so ∂f/∂xy[r, k] is that point's own partial derivative: one call
    // differentiates the whole field.
    let grad = numerical_gradient(function_2, &mut xy);

    // plt.quiver(X, Y, -grad[0], -grad[1]): arrows point downhill, −∇f.
    println!();
    println!("−∇f on the grid x₀, x₁ = -2, -1.75, …, 2.25 (x₁ grows upwards):");
    for i in (0..n).rev() {
        let line: String = (0..n)
            .map(|j| arrow(-grad[[0, i * n + j]], -grad[[1, i * n + j]]))
            .flat_map(|c| [c, ' '])
            .collect();
        println!("  {x1:>5}  {}", line.trim_end(), x1 = ticks[i]);
    }
    // Arrows cannot show length: |∇f| = 2·|x| grows with the distance from (0, 0).
    let (mut shortest, mut longest) = ((f64::INFINITY, 0), (0.0, 0));
    for (k, g) in grad.columns().into_iter().enumerate() {
        let length = g[0].hypot(g[1]);
        if length < shortest.0 {
            shortest = (length, k);
        }
        if length > longest.0 {
            longest = (length, k);
        }
    }
    let at = |k: usize| format!("({}, {})", xy[[0, k]], xy[[1, k]]);
    println!(
        "every arrow points towards the minimum; |∇f| runs from {:.3} at {} (·) to {:.3} at {}",
        shortest.0,
        at(shortest.1),
        longest.0,
        at(longest.1)
    );

    // plt.quiver(X, Y, -grad[0], -grad[1]); plt.show()
    if let Some(dir) = out {
        let arrows: Vec<(f64, f64, f64, f64)> = (0..n * n)
            .map(|k| (xy[[0, k]], xy[[1, k]], -grad[[0, k]], -grad[[1, k]]))
            .collect();
        println!();
        figure::draw("ch04_gradient_2d", &dir, "gradient_2d", |stem| {
            plot_gradient_field(stem, &arrows, "−∇f(x0, x1) for f = x0² + x1²")
        });
    }
}

/// The arrow among ←↙↓↘→↗↑↖ closest to the direction (dx, dy); · for ~0.
fn arrow(dx: f64, dy: f64) -> char {
    if dx.hypot(dy) < 1e-6 {
        return '·';
    }
    const ARROWS: [char; 8] = ['→', '↗', '↑', '↖', '←', '↙', '↓', '↘'];
    let octant = (dy.atan2(dx) / std::f64::consts::FRAC_PI_4).round() as i32;
    ARROWS[octant.rem_euclid(8) as usize]
}
