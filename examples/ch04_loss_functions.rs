//! Section 4.2 of the book: the two loss functions on the chapter's worked
//! example, and why a network learns from its loss rather than from its
//! accuracy.
//!
//! The book has no script for this section; its code is typed into the
//! interpreter (`mean_squared_error(np.array(y), np.array(t))` …). This runs
//! the same lines with manabi's functions, prints a table of both losses
//! and the accuracy as the probability of the correct class grows, and with
//! `--out DIR` draws −log y, the curve of the book's figure 4-3, into
//! `DIR/cross_entropy.png` (and `.svg`).
//!
//! Run: `cargo run --release --example ch04_loss_functions [-- --out DIR]`

mod figure;
mod numpy_print;

use ndarray::{Array1, Array2, array, stack};

use manabi::functions::{
    Target, argmax, cross_entropy_error, cross_entropy_error_1d, sum_squared_error,
};
use manabi::gradient::numerical_diff;
use manabi::report::plot_tangent;
use numpy_print::{array_str, float_str};

fn main() {
    let out = figure::out_flag_only().unwrap_or_else(|e| {
        eprintln!("ch04_loss_functions: {e}");
        std::process::exit(2);
    });

    // t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]   # the correct answer is "2"
    let t = array![0., 0., 1., 0., 0., 0., 0., 0., 0., 0.];
    println!(
        "t = {}   the correct answer is \"2\" (one-hot)",
        array_str(&t)
    );

    // y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]   # "2" is most likely
    // y = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]   # "7" is most likely
    let right = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
    let wrong = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
    for y in [&right, &wrong] {
        let k = argmax(y.view());
        let verdict = if k == 2 { "right" } else { "wrong" };
        println!();
        println!(
            "y = {}   the network says \"{k}\" ({}): {verdict}",
            array_str(y),
            y[k]
        );
        // E = ½ Σₖ (yₖ − tₖ)²: every class counts.
        println!(
            "sum_squared_error(y, t)   = {}",
            float_str(sum_squared_error(y, &t))
        );
        // E = −Σₖ tₖ log yₖ: only the correct class counts, −log 0.6 or −log 0.1.
        println!(
            "cross_entropy_error(y, t) = {}",
            float_str(cross_entropy_error_1d(y, &t))
        );
    }

    // A mini-batch: E = −(1/N) Σₙ Σₖ tₙₖ log yₙₖ, the mean over its N samples.
    let batch: Array2<f64> = stack![ndarray::Axis(0), right, wrong];
    let labels = [2usize, 2];
    let e = cross_entropy_error(&batch, Target::from(&labels[..]));
    println!();
    println!(
        "both rows as a mini-batch (N = 2): cross_entropy_error = {}   the mean of the two",
        float_str(e)
    );

    // Why the loss, not the accuracy (section 4.2.5): the probability p of
    // "2" grows and the rest sits on "7". The accuracy only jumps, where p
    // passes 0.5; its slope is 0 everywhere else, so it cannot say which way
    // to move. Both losses fall smoothly and their slope says how fast.
    println!();
    println!("why learn from the loss: the network gives \"2\" probability p and \"7\" the rest");
    println!(
        "{:>5}  {:>8}  {:>9}  {:>6}  {:>6}  {:>7}",
        "p", "accuracy", "d acc/dp", "SSE", "CE", "dCE/dp"
    );
    let y_of = |p: f64| {
        let mut y = Array1::zeros(10);
        y[2] = p;
        y[7] = 1.0 - p;
        y
    };
    let accuracy = |p: f64| {
        if argmax(y_of(p).view()) == 2 {
            1.0
        } else {
            0.0
        }
    };
    let ce = |p: f64| cross_entropy_error_1d(&y_of(p), &t);
    for i in 0..10 {
        let p = 0.05 + 0.1 * f64::from(i);
        println!(
            "{p:>5.2}  {:>8}  {:>9}  {:>6.4}  {:>6.4}  {:>7.3}",
            accuracy(p),
            numerical_diff(accuracy, p),
            sum_squared_error(&y_of(p), &t),
            ce(p),
            numerical_diff(ce, p)
        );
    }

    // Figure 4-3 draws y = log x; the loss is its negative, −log x, where x
    // is the probability of the correct class. The tangent at 0.6 is the
    // slope that learning follows.
    if let Some(dir) = out {
        let curve: Vec<(f64, f64)> = (1..=100)
            .map(|i| 0.01 * f64::from(i))
            .map(|x| (x, -x.ln()))
            .collect();
        let slope = numerical_diff(|x| -x.ln(), 0.6);
        let tangent: Vec<(f64, f64)> = (30..=100)
            .map(|i| 0.01 * f64::from(i))
            .map(|x| (x, -(0.6f64).ln() + slope * (x - 0.6)))
            .collect();
        let title = "−log x: the cross-entropy when the correct class gets probability x";
        println!();
        figure::draw("ch04_loss_functions", &dir, "cross_entropy", |stem| {
            plot_tangent(stem, &curve, &tangent, (0.6, -(0.6f64).ln()), title)
        });
    }
}
