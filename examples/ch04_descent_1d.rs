//! Section 4.4.1 of the book in one dimension: minimise f(x) = x² by
//! following its derivative downhill.
//!
//! The slope f'(x) = 2x says which way is up; a step against it,
//! x ← x − η·f'(x), goes down. Here f' comes from `numerical_diff`, as in the
//! chapter, so nothing but the definition of a derivative is used. With
//! `--out DIR` this draws f and its tangent at the starting point into
//! `DIR/descent_1d.png` (and `.svg`).
//!
//! Run: `cargo run --release --example ch04_descent_1d [-- --lr 0.1 --steps 20 --out DIR]`

mod figure;
mod numpy_print;

use std::path::PathBuf;

use manabi::gradient::numerical_diff;
use manabi::report::plot_tangent;
use numpy_print::float_str;

/// f(x) = x², smallest at x = 0.
fn f(x: f64) -> f64 {
    x * x
}

fn main() {
    let (lr, steps, out) = parse_args().unwrap_or_else(|e| {
        eprintln!("ch04_descent_1d: {e}");
        std::process::exit(2);
    });
    let x0 = 3.0;

    // The slope at the start: positive, so downhill is to the left.
    let slope = numerical_diff(f, x0);
    println!(
        "f(x) = x², f'(x) = 2x; numerical_diff(f, {x0}) = {}   (exact {})",
        float_str(slope),
        2.0 * x0
    );

    // x ← x − lr·f'(x), `steps` times. For x², each step multiplies x by
    // (1 − 2·lr): 0.8 at lr = 0.1.
    println!();
    println!("gradient descent x ← x − lr·f'(x) from x = {x0}, lr = {lr}, {steps} steps:");
    println!(
        "{:>6}  {:>12}  {:>12}  {:>12}",
        "step", "x", "f(x)", "f'(x)"
    );
    let mut x = x0;
    for i in 0..=steps {
        let grad = numerical_diff(f, x);
        println!("{i:>6}  {x:>12.8}  {:>12.8}  {grad:>12.8}", f(x));
        if i < steps {
            x -= lr * grad;
        }
    }
    println!(
        "x = {}   (x₀·(1 − 2·lr)^{steps} = {})",
        float_str(x),
        float_str(x0 * (1.0 - 2.0 * lr).powi(steps as i32))
    );

    if let Some(dir) = out {
        let curve: Vec<(f64, f64)> = (-40..=40)
            .map(|i| 0.1 * f64::from(i))
            .map(|x| (x, f(x)))
            .collect();
        let tangent: Vec<(f64, f64)> = (15..=40)
            .map(|i| 0.1 * f64::from(i))
            .map(|x| (x, f(x0) + slope * (x - x0)))
            .collect();
        let title = "f(x) = x²: at x = 3 the slope is 6, so downhill is to the left";
        println!();
        figure::draw("ch04_descent_1d", &dir, "descent_1d", |stem| {
            plot_tangent(stem, &curve, &tangent, (x0, f(x0)), title)
        });
    }
}

/// `--lr F` (0.1), `--steps N` (20) and `--out DIR` (no figure without it).
fn parse_args() -> Result<(f64, usize, Option<PathBuf>), String> {
    let (mut lr, mut steps, mut out) = (0.1, 20, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let known = ["--lr", "--steps", "--out"];
        if !known.contains(&flag.as_str()) {
            return Err(format!(
                "unknown flag {flag} (flags: --lr F, --steps N, --out DIR)"
            ));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--lr" => match value.parse::<f64>() {
                Ok(v) if v.is_finite() => lr = v,
                _ => return Err(format!("--lr {value}: expected a number, such as 0.1")),
            },
            "--steps" => {
                steps = value
                    .parse()
                    .map_err(|_| format!("--steps {value}: expected a whole number, such as 20"))?
            }
            _ => out = Some(PathBuf::from(value)),
        }
    }
    Ok((lr, steps, out))
}
