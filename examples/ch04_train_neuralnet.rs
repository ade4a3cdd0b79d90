//! The book's `ch04/train_neuralnet.py`: mini-batch SGD on a 784-50-10
//! network, printing train and test accuracy once per epoch — the loop
//! itself, as the book writes it, on the book's `TwoLayerNet` (the
//! reference engine's code): draw a batch, `network.gradient(x_batch,
//! t_batch)`, move every parameter, record the loss.
//!
//! It trains on the data set compiled into the crate (mnist-10k: 8,004
//! training and 1,996 test images) with the book's hyperparameters, then
//! checks the final test accuracy against `--target` and exits non-zero if
//! it falls short, so the example doubles as an acceptance test. The book's
//! run on full MNIST ends at 0.9465; on mnist-10k expect 0.94 or so.
//!
//! The same loop on the fast engine is `manabi::train::train` (or
//! `manabi::train::Trainer`, to step it yourself): the same five steps,
//! the arithmetic laid out for the machine, several times faster. `--fast`
//! runs it here; `cargo run --release -- train` runs it with a progress bar
//! and a run folder.
//!
//! Run: `cargo run --release --example ch04_train_neuralnet [-- --iters N --target F --seed N --fast]`

mod numpy_print;

use std::process::ExitCode;

use ndarray::{Array1, Array2, Axis, Ix2};

use manabi::TwoLayerNet;
use manabi::data::{Dataset, Labels, LoadOptions, load_mnist};
use manabi::random::Rng;
use manabi::train::{EpochRecord, Observer, TrainConfig, train};
use numpy_print::float_str;

struct Args {
    iters: usize,
    target: f64,
    seed: Option<u64>,
    fast: bool,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("ch04_train_neuralnet: {e}");
            return ExitCode::from(2);
        }
    };
    let data = Dataset::embedded();
    let seed = args.seed.unwrap_or(TrainConfig::default().seed);
    println!(
        "{}: {} train / {} test images; 784-50-10, lr 0.1, batch 100, {} iterations, seed {seed}, {} engine",
        data.name,
        data.train.len(),
        data.test.len(),
        args.iters,
        if args.fast { "fast" } else { "reference" }
    );
    let test_acc = if args.fast {
        fast(&data, args.iters, seed)
    } else {
        book(&data, args.iters, seed)
    };
    let Some(test_acc) = test_acc else {
        return ExitCode::FAILURE;
    };
    let verdict = if test_acc >= args.target {
        "ok"
    } else {
        "BELOW TARGET"
    };
    println!(
        "final test acc {} after {} iterations (target {}): {verdict}",
        float_str(test_acc),
        args.iters,
        args.target
    );
    if test_acc >= args.target {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The book's loop, line by line; returns the final test accuracy.
fn book(data: &Dataset, iters_num: usize, seed: u64) -> Option<f64> {
    // (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)
    let (train, test) = load_mnist(data, LoadOptions::default());
    let (x_train, t_train) = (as_matrix(train.x)?, labels(train.t)?);
    let (x_test, t_test) = (as_matrix(test.x)?, labels(test.t)?);

    // network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    let mut rng = Rng::new(seed);
    let mut network = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut rng);

    // iters_num = 10000; batch_size = 100; learning_rate = 0.1
    let train_size = x_train.nrows();
    let (batch_size, learning_rate) = (100, 0.1);
    let mut train_loss_list = Vec::with_capacity(iters_num);
    // iter_per_epoch = max(train_size / batch_size, 1): whole iterations
    // here (80), where the book's float (80.04) would evaluate only at i = 0.
    let iter_per_epoch = (train_size / batch_size).max(1);

    for i in 0..iters_num {
        // batch_mask = np.random.choice(train_size, batch_size)
        let batch_mask = rng.choice(train_size, batch_size);
        let x_batch = x_train.select(Axis(0), &batch_mask);
        let t_batch = t_train.select(Axis(0), &batch_mask);

        // grad = network.gradient(x_batch, t_batch)
        let grad = network.gradient(&x_batch, &t_batch);

        // for key in ('W1', 'b1', 'W2', 'b2'):
        //     network.params[key] -= learning_rate * grad[key]
        for ((_, param), (_, g)) in network.params.slices_mut().into_iter().zip(grad.slices()) {
            for (p, g) in param.iter_mut().zip(g) {
                *p -= learning_rate * g;
            }
        }

        // loss = network.loss(x_batch, t_batch); train_loss_list.append(loss)
        let loss = network.loss(&x_batch, &t_batch);
        train_loss_list.push(loss);

        // if i % iter_per_epoch == 0:
        if i % iter_per_epoch == 0 {
            let train_acc = network.accuracy(&x_train, &t_train);
            let test_acc = network.accuracy(&x_test, &t_test);
            print_epoch(train_acc, test_acc);
        }
    }
    Some(network.accuracy(&x_test, &t_test))
}

/// The same run on the fast engine (`train`, whose loop is
/// `Trainer::step`); returns the final test accuracy.
fn fast(data: &Dataset, iters: usize, seed: u64) -> Option<f64> {
    let config = TrainConfig {
        iters,
        seed,
        ..TrainConfig::default()
    };
    match train(data, &config, &mut PrintEpochs) {
        Ok(run) => Some(manabi::engine::evaluate(&run.net, &data.test)),
        Err(e) => {
            eprintln!("ch04_train_neuralnet: {e}");
            None
        }
    }
}

/// print("train acc, test acc | " + str(train_acc) + ", " + str(test_acc))
fn print_epoch(train_acc: f64, test_acc: f64) {
    println!(
        "train acc, test acc | {}, {}",
        float_str(train_acc),
        float_str(test_acc)
    );
}

/// Prints what the book's loop prints after each epoch's evaluation.
struct PrintEpochs;

impl Observer for PrintEpochs {
    fn on_epoch(&mut self, record: &EpochRecord, _net: &TwoLayerNet) {
        print_epoch(record.train_acc, record.test_acc);
    }
}

/// `load_mnist`'s images, flattened: one row per image.
fn as_matrix(x: ndarray::ArrayD<f64>) -> Option<Array2<f64>> {
    x.into_dimensionality::<Ix2>().ok()
}

/// `load_mnist`'s labels, as class indices.
fn labels(t: Labels) -> Option<Array1<usize>> {
    match t {
        Labels::Indices(t) => Some(t),
        Labels::OneHot(_) => None,
    }
}

/// `--iters N` (10000), `--target F` (0.93), `--seed N` (the library's
/// default), `--fast`.
fn parse_args() -> Result<Args, String> {
    let mut parsed = Args {
        iters: 10_000,
        target: 0.93,
        seed: None,
        fast: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--fast" {
            parsed.fast = true;
            continue;
        }
        let known = ["--iters", "--target", "--seed"];
        if !known.contains(&flag.as_str()) {
            return Err(format!(
                "unknown flag {flag} (flags: --iters N, --target F, --seed N, --fast)"
            ));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--iters" => match value.parse() {
                Ok(n) if n > 0 => parsed.iters = n,
                _ => {
                    return Err(format!(
                        "--iters {value}: expected a whole number ≥ 1, such as 10000"
                    ));
                }
            },
            "--target" => match value.parse::<f64>() {
                Ok(t) if (0.0..=1.0).contains(&t) => parsed.target = t,
                _ => {
                    return Err(format!(
                        "--target {value}: expected an accuracy from 0 to 1, such as 0.93"
                    ));
                }
            },
            _ => {
                let seed = value
                    .parse()
                    .map_err(|_| format!("--seed {value}: expected a whole number, such as 42"))?;
                parsed.seed = Some(seed);
            }
        }
    }
    Ok(parsed)
}
