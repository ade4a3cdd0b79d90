//! `manabi train`: the chapter's experiment, `ch04/train_neuralnet.py`.

use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};

use manabi::engine::EngineKind;
use manabi::random::DEFAULT_SEED;
use manabi::train::{
    EpochRecord, GradientMethod, Observer, Precision, Sampling, TrainConfig, evaluate, train,
};

use super::{ActivationArg, DataArgs};

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Hidden units.
    #[arg(long, default_value_t = 50)]
    hidden: usize,
    /// Learning rate η: each update moves the weights by η × gradient.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    lr: f64,
    /// Mini-batch size: samples per iteration.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Iterations (updates) to run.
    #[arg(long, default_value_t = 10_000)]
    iters: usize,
    /// Seed of the random generator (initial weights, then batches).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Standard deviation of the initial weights.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    weight_init_std: f64,
    /// Hidden activation.
    #[arg(long, value_enum, default_value = "sigmoid")]
    activation: ActivationArg,
    /// How to compute the gradient.
    #[arg(long, value_enum, default_value = "backprop")]
    gradient: GradientArg,
    /// Floating-point precision of the arithmetic.
    #[arg(long, value_enum, default_value = "f64")]
    precision: PrecisionArg,
    /// Which implementation does the arithmetic.
    #[arg(long, value_enum, default_value = "fast")]
    engine: EngineArg,
    /// Shuffle once per epoch and walk through it, instead of drawing every batch with replacement (the book's way).
    #[arg(long)]
    shuffle: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GradientArg {
    /// Backpropagation (chapter 5).
    Backprop,
    /// Central differences, two full forward passes per parameter (chapter 4).
    Numerical,
    /// The same central differences, updated incrementally instead of recomputed.
    NumericalFast,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PrecisionArg {
    /// 64-bit floats (book parity).
    F64,
    /// 32-bit floats (faster; backprop only).
    F32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EngineArg {
    /// Hand-written kernels that skip zero pixels and use both cores.
    Fast,
    /// The book's code as written in TwoLayerNet (ndarray, f64).
    Reference,
}

/// Prints the book's per-epoch line.
struct EpochPrinter;

impl Observer for EpochPrinter {
    fn on_epoch(&mut self, r: &EpochRecord, _net: &manabi::TwoLayerNet) {
        println!(
            "epoch {:>4}  iter {:>6}  train acc, test acc | {}, {}",
            r.epoch, r.iteration, r.train_acc, r.test_acc
        );
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let config = TrainConfig {
        hidden_size: args.hidden,
        learning_rate: args.lr,
        batch_size: args.batch,
        iters: args.iters,
        weight_init_std: args.weight_init_std,
        activation: args.activation.into(),
        gradient: match args.gradient {
            GradientArg::Backprop => GradientMethod::Backprop,
            GradientArg::Numerical => GradientMethod::Numerical,
            GradientArg::NumericalFast => GradientMethod::NumericalFast,
        },
        sampling: if args.shuffle {
            Sampling::Shuffle
        } else {
            Sampling::WithReplacement
        },
        seed: args.seed,
        precision: match args.precision {
            PrecisionArg::F64 => Precision::F64,
            PrecisionArg::F32 => Precision::F32,
        },
        engine: match args.engine {
            EngineArg::Fast => EngineKind::Fast,
            EngineArg::Reference => EngineKind::Reference,
        },
    };
    config.validate()?;
    let data = args.data.load()?;
    let input = data.train.pixels_per_image();
    let params = input * config.hidden_size + config.hidden_size + config.hidden_size * 10 + 10;
    println!(
        "data: {} ({} train / {} test images, {} pixels each)",
        data.name,
        data.train.len(),
        data.test.len(),
        input
    );
    println!(
        "net: {input}-{}-10 {}, {params} parameters; {} gradient, {}, {} engine",
        config.hidden_size,
        config.activation.name(),
        config.gradient.name(),
        config.precision.name(),
        config.engine.name()
    );
    println!(
        "sgd: lr {}, batch {} ({}), {} iterations, {} per epoch, seed {}",
        config.learning_rate,
        config.batch_size,
        match config.sampling {
            Sampling::WithReplacement => "drawn with replacement",
            Sampling::Shuffle => "shuffled per epoch",
        },
        config.iters,
        config.iter_per_epoch(data.train.len()),
        config.seed
    );

    let start = Instant::now();
    let run = train(&data, &config, &mut EpochPrinter)?;
    let train_secs = start.elapsed().as_secs_f64();

    let (train_acc, test_acc) = match run.history.epochs.last() {
        Some(r) if r.iteration + 1 == run.iterations => (r.train_acc, r.test_acc),
        _ => (
            evaluate(&run.net, &data.train),
            evaluate(&run.net, &data.test),
        ),
    };
    let last_loss = run.history.loss.last().copied().unwrap_or(f64::NAN);
    println!(
        "done: {} iterations in {:.2} s; after the last one: train acc {:.4}, test acc {:.4}, batch loss {:.4}",
        run.iterations, train_secs, train_acc, test_acc, last_loss
    );
    Ok(())
}
