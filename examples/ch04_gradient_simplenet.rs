//! The book's `ch04/gradient_simplenet.py`: the gradient of a loss with
//! respect to a weight matrix, for the smallest possible network.
//!
//! simpleNet has one weight matrix W: (2, 3) and no activation: two inputs,
//! three class scores, softmax, cross-entropy. By default W holds the values
//! the book prints (so the numbers below are the book's); `--random` draws
//! W from N(0, 1) as the script's `np.random.randn(2, 3)` does.
//!
//! Run: `cargo run --release --example ch04_gradient_simplenet [-- --random [--seed N]]`

mod numpy_print;

use ndarray::{Array1, Array2, array};

use manabi::functions::{argmax, cross_entropy_error_1d, softmax};
use manabi::gradient::numerical_gradient;
use manabi::random::{DEFAULT_SEED, Rng};
use numpy_print::{array_str, float_str};

// class simpleNet:
//     def predict(self, x): return np.dot(x, self.W)
//     def loss(self, x, t): return cross_entropy_error(softmax(self.predict(x)), t)
// W is an argument rather than a field: `numerical_gradient` nudges W in
// place, and the loss must see each nudge (the book's `lambda w:
// net.loss(x, t)` reads the nudged `net.W` through the object).
fn predict(w: &Array2<f64>, x: &Array1<f64>) -> Array1<f64> {
    x.dot(w)
}

fn loss(w: &Array2<f64>, x: &Array1<f64>, t: &Array1<f64>) -> f64 {
    cross_entropy_error_1d(&softmax(&predict(w, x)), t)
}

fn main() {
    let seed = parse_args().unwrap_or_else(|e| {
        eprintln!("ch04_gradient_simplenet: {e}");
        std::process::exit(2);
    });

    // net = simpleNet()  →  W = np.random.randn(2, 3), or the book's printed W.
    let mut w = match seed {
        None => array![
            [0.47355232, 0.9977393, 0.84668094],
            [0.85557411, 0.03563661, 0.69422093]
        ],
        Some(seed) => Rng::new(seed).randn(2, 3),
    };
    match seed {
        None => println!("W (the book's values):"),
        Some(seed) => println!("W (np.random.randn(2, 3), seed {seed}):"),
    }
    println!("{}", array_str(&w));

    // x = np.array([0.6, 0.9]); t = np.array([0, 0, 1])
    let x = array![0.6, 0.9];
    let t = array![0.0, 0.0, 1.0];

    // p = net.predict(x) → [1.05414809 0.63071653 1.1328074 ]; np.argmax(p) → 2
    let p = predict(&w, &x);
    println!("p = net.predict(x) = {}", array_str(&p));
    println!("np.argmax(p) = {}", argmax(p.view()));
    // net.loss(x, t) → 0.9280682857864075
    println!("net.loss(x, t) = {}", float_str(loss(&w, &x, &t)));

    // f = lambda w: net.loss(x, t); dW = numerical_gradient(f, net.W)
    let dw = numerical_gradient(|w| loss(w, &x, &t), &mut w);
    println!("dW =\n{}", array_str(&dw));

    // Why dW looks like this: ∂L/∂Wᵢₖ = xᵢ·(yₖ − tₖ), so row 2 is row 1
    // times x₁/x₀ = 1.5, each row sums to 0 (Σₖ yₖ = Σₖ tₖ = 1), and only
    // the correct class (k = 2) has a negative entry: raising its weights
    // lowers the loss.
    let ratio = &dw.row(1) / &dw.row(0);
    println!(
        "row 2 / row 1 = {} (x₁/x₀ = 1.5); row sums = {} (0 up to rounding)",
        array_str(&ratio),
        array_str(&dw.sum_axis(ndarray::Axis(1)))
    );
}

/// `--random` (with an optional `--seed N`): `Some(seed)`; nothing: `None`.
fn parse_args() -> Result<Option<u64>, String> {
    let (mut random, mut seed) = (false, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--random" => random = true,
            "--seed" => {
                let value = args.next().ok_or("--seed needs a value, such as 42")?;
                let parsed = value
                    .parse()
                    .map_err(|_| format!("--seed {value}: expected a whole number, such as 42"))?;
                seed = Some(parsed);
            }
            _ => return Err(format!("unknown flag {flag} (flags: --random, --seed N)")),
        }
    }
    match (random, seed) {
        (false, Some(_)) => Err("--seed only applies with --random".to_string()),
        (false, None) => Ok(None),
        (true, seed) => Ok(Some(seed.unwrap_or(DEFAULT_SEED))),
    }
}
