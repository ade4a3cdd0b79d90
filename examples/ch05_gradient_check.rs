//! The book's `ch05/gradient_check.py`: check backpropagation against the
//! numerical gradient on the first 3 training images.
//!
//! Both compute ∂L/∂W for every parameter; the numerical one straight from
//! the definition of a derivative (slow, obviously right), backprop by the
//! chain rule (fast, easy to get wrong). If the mean |difference| is tiny
//! for every parameter, backprop is right.
//!
//! Chapter 5's network has a ReLU hidden layer; `--sigmoid` checks chapter
//! 4's instead.
//!
//! Run: `cargo run --release --example ch05_gradient_check [-- --sigmoid] [--seed N]`

mod numpy_print;

use std::time::Instant;

use manabi::data::Dataset;
use manabi::data::gather_batch;
use manabi::random::{DEFAULT_SEED, Rng};
use manabi::{Activation, Params, TwoLayerNet};
use numpy_print::float_str;

fn main() {
    let (activation, seed) = parse_args().unwrap_or_else(|e| {
        eprintln!("ch05_gradient_check: {e}");
        std::process::exit(2);
    });

    // (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
    // x_batch = x_train[:3]; t_batch = t_train[:3]
    let data = Dataset::embedded();
    let (x_batch, t_batch) = gather_batch(&data.train, &[0, 1, 2]);

    // network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    let network =
        TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(seed)).with_activation(activation);
    println!(
        "TwoLayerNet(784, 50, 10), {} hidden layer, seed {seed}; x_batch = the first 3 images of {}",
        activation.name(),
        data.name
    );

    // grad_numerical = network.numerical_gradient(x_batch, t_batch)
    let start = Instant::now();
    let grad_numerical = network.numerical_gradient(&x_batch, &t_batch[..]);
    let numerical_time = start.elapsed().as_secs_f64();

    // grad_backprop = network.gradient(x_batch, t_batch)
    let start = Instant::now();
    let grad_backprop = network.gradient(&x_batch, &t_batch[..]);
    let backprop_time = start.elapsed().as_secs_f64();

    // for key in grad_numerical.keys():
    //     diff = np.average(np.abs(grad_backprop[key] - grad_numerical[key]))
    //     print(key + ":" + str(diff))
    for (key, diff) in mean_abs_diff(&grad_backprop, &grad_numerical) {
        println!("{key}:{}", float_str(diff));
    }

    println!();
    println!(
        "numerical_gradient: {numerical_time:.3} s ({} parameters × 2 forward passes)",
        network.params.count()
    );
    println!(
        "gradient (backprop): {:.3} ms, {:.0}× faster",
        backprop_time * 1e3,
        numerical_time / backprop_time
    );
    // Why the differences are not 0: the loss takes log(y + 1e-7) and backprop
    // differentiates log(y), a ~1e-7 gap that shows on W2 and b2. With ReLU,
    // a hidden pre-activation within h = 1e-4 of 0 makes the central
    // difference straddle the kink, which can push W1 and b1 towards 1e-5.
    println!("expected: W2/b2 ~1e-7 or less (backprop leaves out the 1e-7 inside the log);");
    println!("          W1/b1 below 1e-4 with ReLU (its kink), 1e-9 or less with sigmoid");
}

/// Mean |a − b| for each parameter, by name in the book's order.
fn mean_abs_diff(a: &Params, b: &Params) -> Vec<(&'static str, f64)> {
    a.slices()
        .into_iter()
        .zip(b.slices())
        .map(|((key, a), (_, b))| {
            let total: f64 = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum();
            (key, total / a.len() as f64)
        })
        .collect()
}

/// `--sigmoid` and `--seed N`; chapter 5's ReLU net and the default seed otherwise.
fn parse_args() -> Result<(Activation, u64), String> {
    let (mut activation, mut seed) = (Activation::Relu, DEFAULT_SEED);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--sigmoid" => activation = Activation::Sigmoid,
            "--seed" => {
                let value = args.next().ok_or("--seed needs a value, such as 42")?;
                seed = value
                    .parse()
                    .map_err(|_| format!("--seed {value}: expected a whole number, such as 42"))?;
            }
            _ => return Err(format!("unknown flag {flag} (flags: --sigmoid, --seed N)")),
        }
    }
    Ok((activation, seed))
}
