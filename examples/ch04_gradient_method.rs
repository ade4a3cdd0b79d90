//! The book's `ch04/gradient_method.py`: gradient descent on
//! f(x₀, x₁) = x₀² + x₁² from (−3, 4), and what the learning rate does.
//!
//! The script plots the path (the book's figure 4-10); this prints it as a
//! table, and with `--out DIR` draws it into `DIR/gradient_method.png` (and
//! `.svg`), beside the paths of a learning rate too large and one too small.
//!
//! Run: `cargo run --release --example ch04_gradient_method [-- --lr 0.1 --steps 20 --out DIR]`

mod figure;
mod numpy_print;

use std::path::PathBuf;

use ndarray::{Array1, array};

use manabi::gradient::{Descent, gradient_descent};
use manabi::report::plot_descent_paths;
use numpy_print::{array_str, float_str};

// def function_2(x): return x[0]**2 + x[1]**2
fn function_2(x: &Array1<f64>) -> f64 {
    x[0].powi(2) + x[1].powi(2)
}

fn main() {
    let (lr, step_num, out) = parse_args().unwrap_or_else(|e| {
        eprintln!("ch04_gradient_method: {e}");
        std::process::exit(2);
    });

    // init_x = np.array([-3.0, 4.0]); lr = 0.1; step_num = 20
    // x, x_history = gradient_descent(function_2, init_x, lr=lr, step_num=step_num)
    let init_x = array![-3.0, 4.0];
    let descent = gradient_descent(function_2, init_x.clone(), lr, step_num);

    // plt.plot(x_history[:,0], x_history[:,1], 'o')
    println!("gradient_descent(function_2, init_x=[-3. 4.], lr={lr}, step_num={step_num})");
    println!("{:>6}  {:>13}  {:>13}  {:>13}", "step", "x0", "x1", "f(x)");
    for (i, x) in descent.history.iter().chain([&descent.x]).enumerate() {
        println!(
            "{i:>6}  {:>13.8}  {:>13.8}  {:>13.8}",
            x[0],
            x[1],
            function_2(x)
        );
    }
    // Each step is x ← x − lr·2x = (1 − 2·lr)·x, so x = x₀·(1 − 2·lr)^steps.
    let exact = init_x.mapv(|v| v * (1.0 - 2.0 * lr).powi(step_num as i32));
    println!("x = {}", array_str(&descent.x));
    println!("    raw {}, x₀·(1 − 2·lr)^{step_num} = {exact}", descent.x);

    // The chapter's comparison, 100 steps each (gradient_descent's default):
    // lr = 10 overshoots further each step (x ← −19·x) until x is so large
    // that x ± 1e-4 rounds to x, the central difference is 0 and x stalls;
    // lr = 1e-10 barely moves.
    println!();
    println!("the learning rate, 100 steps from (-3, 4):");
    let mut runs = Vec::new();
    for (lr, note) in [
        (0.1, "about right: (0, 0), the minimum"),
        (10.0, "too large: diverges"),
        (1e-10, "too small: barely moves"),
    ] {
        let run = gradient_descent(function_2, init_x.clone(), lr, 100);
        println!(
            "  lr={:<6} x = {:<35} {note}",
            float_str(lr),
            array_str(&run.x)
        );
        runs.push(run);
    }

    // plt.plot(x_history[:,0], x_history[:,1], 'o'); plt.xlim(-3.5, 3.5);
    // plt.ylim(-4.5, 4.5); plt.show(): the first run, then the two that go wrong.
    if let Some(dir) = out {
        let first = points(&descent);
        let (large, small) = (points(&runs[1]), points(&runs[2]));
        let title = format!("lr = {}, {step_num} steps", float_str(lr));
        let panels: [(&str, &[(f64, f64)]); 3] = [
            (&title, &first),
            ("lr = 10, 100 steps: too large", &large),
            ("lr = 1e-10, 100 steps: too small", &small),
        ];
        println!();
        figure::draw("ch04_gradient_method", &dir, "gradient_method", |stem| {
            plot_descent_paths(stem, &panels, ((-3.5, 3.5), (-4.5, 4.5)))
        });
    }
}

/// The points a descent visited, start and end included, as (x0, x1).
fn points(descent: &Descent) -> Vec<(f64, f64)> {
    descent
        .history
        .iter()
        .chain([&descent.x])
        .map(|x| (x[0], x[1]))
        .collect()
}

/// `--lr F` and `--steps N` for the first run (the book's 0.1 and 20 by
/// default), and `--out DIR` for the figure.
fn parse_args() -> Result<(f64, usize, Option<PathBuf>), String> {
    let (mut lr, mut steps, mut out) = (0.1, 20, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let Some(value) = value else {
            return Err(format!(
                "{flag} needs a value (flags: --lr F, --steps N, --out DIR)"
            ));
        };
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
            "--out" => out = Some(PathBuf::from(value)),
            _ => {
                return Err(format!(
                    "unknown flag {flag} (flags: --lr F, --steps N, --out DIR)"
                ));
            }
        }
    }
    Ok((lr, steps, out))
}
