//! The book's `ch04/gradient_1d.py`: the numerical derivative of
//! y = 0.01x² + 0.1x, and its tangent line at x = 5.
//!
//! The script draws the curve and the tangent (the book's figure 4-7); this
//! prints the tangent's equation and a few points of both as a table, and
//! with `--out DIR` draws the figure into `DIR/gradient_1d.png` (and `.svg`).
//!
//! Run: `cargo run --release --example ch04_gradient_1d [-- --out DIR]`

mod figure;
mod numpy_print;

use manabi::gradient::numerical_diff;
use manabi::report::plot_tangent;
use numpy_print::float_str;

// def function_1(x): return 0.01*x**2 + 0.1*x
fn function_1(x: f64) -> f64 {
    0.01 * x.powi(2) + 0.1 * x
}

// def tangent_line(f, x):
//     d = numerical_diff(f, x); print(d)
//     y = f(x) - d*x
//     return lambda t: d*t + y
/// The line through (x, f(x)) with slope f'(x): t ↦ d·t + (f(x) − d·x).
fn tangent_line(f: impl Fn(f64) -> f64, x: f64) -> (f64, f64) {
    let d = numerical_diff(&f, x);
    (d, f(x) - d * x)
}

fn main() {
    let out = figure::out_flag_only().unwrap_or_else(|e| {
        eprintln!("ch04_gradient_1d: {e}");
        std::process::exit(2);
    });

    // numerical_diff(function_1, 5) → 0.1999999999990898, (10) → 0.2999999999986347.
    // The exact derivative is 0.02x + 0.1: 0.2 and 0.3. The central
    // difference of a quadratic has no truncation error at all, so the
    // ~1e-12 gap is rounding in f(x ± h), amplified by dividing by 2h.
    for x in [5.0, 10.0] {
        let d = numerical_diff(function_1, x);
        let exact = 0.02 * x + 0.1;
        println!(
            "numerical_diff(function_1, {x}) = {}   (exact {exact:.1}, error {:.1e})",
            float_str(d),
            d - exact
        );
    }

    // tf = tangent_line(function_1, 5): the script prints the slope d.
    let (slope, intercept) = tangent_line(function_1, 5.0);
    println!();
    println!(
        "tangent_line(function_1, 5): slope d = {}",
        float_str(slope)
    );
    println!("  intercept f(5) − d·5 = {}", float_str(intercept));

    // x = np.arange(0.0, 20.0, 0.1); plt.plot(x, y); plt.plot(x, y2)
    // The tangent touches the curve at x = 5 and lies below it elsewhere
    // (the curve is convex): the gap is 0.01·(x − 5)².
    println!();
    println!(
        "{:>6}  {:>9}  {:>10}  {:>8}",
        "x", "f(x)", "tangent(x)", "gap"
    );
    for i in 0..=8 {
        let x = 2.5 * f64::from(i);
        let (y, y2) = (function_1(x), slope * x + intercept);
        println!("{x:>6.1}  {y:>9.4}  {y2:>10.4}  {:>8.4}", y - y2);
    }

    // plt.plot(x, y); plt.plot(x, y2); plt.show()
    if let Some(dir) = out {
        let xs: Vec<f64> = (0..200).map(|i| 0.1 * f64::from(i)).collect();
        let curve: Vec<(f64, f64)> = xs.iter().map(|&x| (x, function_1(x))).collect();
        let tangent: Vec<(f64, f64)> = xs.iter().map(|&x| (x, slope * x + intercept)).collect();
        let title = "f(x) = 0.01x² + 0.1x and its tangent at x = 5 (slope 0.2)";
        println!();
        figure::draw("ch04_gradient_1d", &dir, "gradient_1d", |stem| {
            plot_tangent(stem, &curve, &tangent, (5.0, function_1(5.0)), title)
        });
    }
}
