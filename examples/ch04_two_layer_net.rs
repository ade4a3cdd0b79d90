//! The book's walkthrough of `ch04/two_layer_net.py` (section 4.5.1): build
//! `TwoLayerNet(784, 100, 10)`, look at the shapes of its parameters, predict
//! a random batch, and take both gradients.
//!
//! The book takes the numerical gradient on a batch of 100; that is 2 forward
//! passes for each of the 79,510 parameters, minutes of work, so here it runs
//! on a tiny batch (`--numerical-batch N`, default 1). The shapes are the same.
//!
//! Run: `cargo run --release --example ch04_two_layer_net [-- --numerical-batch N]`

mod numpy_print;

use std::time::Instant;

use ndarray::{Array2, s};

use manabi::functions::Target;
use manabi::random::{DEFAULT_SEED, Rng};
use manabi::{Params, TwoLayerNet};
use numpy_print::{array_str, float_str, shape_str};

fn main() {
    let numerical_batch = parse_args().unwrap_or_else(|e| {
        eprintln!("ch04_two_layer_net: {e}");
        std::process::exit(2);
    });
    let mut rng = Rng::new(DEFAULT_SEED);

    // net = TwoLayerNet(input_size=784, hidden_size=100, output_size=10)
    let net = TwoLayerNet::with_rng(784, 100, 10, 0.01, &mut rng);
    println!("net = TwoLayerNet(input_size=784, hidden_size=100, output_size=10)");
    // net.params['W1'].shape → (784, 100), … b2 → (10,)
    print_shapes("net.params", &net.params);
    println!("{} parameters in all", net.params.count());

    // x = np.random.rand(100, 784)   # dummy input data (100 images)
    // y = net.predict(x)
    let x = Array2::from_shape_simple_fn((100, 784), || rng.uniform());
    let y = net.predict(&x);
    println!();
    println!("x = np.random.rand(100, 784); y = net.predict(x)");
    println!("y.shape = {}", shape_str(y.shape()));
    // Untrained, the small weights make every class about equally likely.
    println!("y[0] = {}", array_str(&y.row(0)));

    // t = np.random.rand(100, 10)    # dummy correct labels
    // The book's dummy targets are not one-hot; backprop's ∂L/∂a = y − t
    // assumes each row of t sums to 1, so random class labels stand in here.
    let labels: Vec<usize> = rng.choice(10, 100);
    let t = Target::from(&labels[..]);

    // grads = net.numerical_gradient(x, t)   (on the first rows only)
    let x_small = x.slice(s![..numerical_batch, ..]).to_owned();
    let t_small = Target::from(&labels[..numerical_batch]);
    let start = Instant::now();
    let numerical = net.numerical_gradient(&x_small, t_small);
    let numerical_time = start.elapsed();
    println!();
    println!(
        "grads = net.numerical_gradient(x[:{numerical_batch}], t[:{numerical_batch}])   \
         (a tiny batch: 2 × {} forward passes, {:.2} s)",
        net.params.count(),
        numerical_time.as_secs_f64()
    );
    print_shapes("grads", &numerical);

    // grads = net.gradient(x, t)   (backprop, chapter 5, on all 100 rows)
    let start = Instant::now();
    let backprop = net.gradient(&x, t);
    let backprop_time = start.elapsed();
    println!();
    println!(
        "grads = net.gradient(x, t)   (backprop on all 100 rows, {:.2} ms)",
        backprop_time.as_secs_f64() * 1e3
    );
    print_shapes("grads", &backprop);

    // Both methods compute the same thing: compare them on the tiny batch.
    let check = net.gradient(&x_small, t_small);
    let max_diff = numerical
        .slices()
        .iter()
        .zip(check.slices())
        .flat_map(|((_, a), (_, b))| a.iter().zip(b).map(|(a, b)| (a - b).abs()))
        .fold(0.0, f64::max);
    println!();
    println!(
        "max |numerical − backprop| on x[:{numerical_batch}] = {}",
        float_str(max_diff)
    );
}

/// `name['W1'].shape = (784, 100)` and so on, in the book's order.
fn print_shapes(name: &str, params: &Params) {
    for key in Params::NAMES {
        let shape = params.get(key).expect("a parameter name").shape().to_vec();
        println!("{name}['{key}'].shape = {}", shape_str(&shape));
    }
}

/// `--numerical-batch N` (1 to 100); 1 by default.
fn parse_args() -> Result<usize, String> {
    let mut batch = 1;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--numerical-batch" => {
                let value = args
                    .next()
                    .ok_or("--numerical-batch needs a value, such as 1")?;
                batch = match value.parse() {
                    Ok(n @ 1..=100) => n,
                    _ => {
                        return Err(format!(
                            "--numerical-batch {value}: expected a whole number from 1 to 100"
                        ));
                    }
                };
            }
            _ => return Err(format!("unknown flag {flag} (flags: --numerical-batch N)")),
        }
    }
    Ok(batch)
}
