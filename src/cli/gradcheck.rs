//! `manabi gradcheck`: is backprop right? Compare it with the numerical
//! gradient, as `ch05/gradient_check.py` does.

use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;

use manabi::data::gather_batch;
use manabi::engine::{self, Engine, EngineKind, GradientMethod, Precision};
use manabi::random::{DEFAULT_SEED, Rng};
use manabi::{Activation, Params, TwoLayerNet};

use super::args::{DataArgs, choice};

#[derive(Debug, Args)]
pub struct GradcheckArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Training samples to differentiate on (the book uses the first 3).
    #[arg(long, default_value_t = 3)]
    samples: usize,
    /// Hidden units.
    #[arg(long, default_value_t = 50)]
    hidden: usize,
    /// Hidden activation.
    #[arg(long, default_value_t = Activation::Sigmoid, value_parser = choice::<Activation>(Activation::ALL.map(Activation::name)))]
    activation: Activation,
    /// Seed for the initial weights.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

pub fn run(args: GradcheckArgs) -> Result<()> {
    if args.samples == 0 {
        bail!("--samples 0: compare on at least 1 sample, such as 3");
    }
    if args.hidden == 0 {
        bail!("--hidden 0: the hidden layer needs at least 1 unit, such as 50");
    }
    let data = args.data.load()?;
    if args.samples > data.train.len() {
        bail!(
            "--samples {}: the training set has only {} samples",
            args.samples,
            data.train.len()
        );
    }
    let indices: Vec<usize> = (0..args.samples).collect();
    let (x, t) = gather_batch(&data.train, &indices);
    let mut rng = Rng::new(args.seed);
    let net = TwoLayerNet::with_rng(
        data.train.pixels_per_image(),
        args.hidden,
        10,
        0.01,
        &mut rng,
    )
    .with_activation(args.activation);

    let start = Instant::now();
    let numerical = net.numerical_gradient(&x, &t[..]);
    let numerical_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let backprop = net.gradient(&x, &t[..]);
    let backprop_secs = start.elapsed().as_secs_f64();

    println!(
        "gradient check: {}-{}-10 {}, {} samples of {}, {} parameters",
        data.train.pixels_per_image(),
        args.hidden,
        net.activation.name(),
        args.samples,
        data.name,
        net.params.count()
    );
    println!("{:<4} {:>12} {:>12}", "", "mean |diff|", "max |diff|");
    for (name, mean, max) in differences(&numerical, &backprop) {
        println!("{name:<4} {mean:>12.3e} {max:>12.3e}");
    }
    println!(
        "numerical {:.3} s, backprop {:.6} s: backprop is {:.0}× faster",
        numerical_secs,
        backprop_secs,
        numerical_secs / backprop_secs.max(1e-9)
    );
    println!(
        "(W2 and b2 differ by ~1e-7 because the loss adds 1e-7 inside log(y + 1e-7) and backprop's y − t ignores it.)"
    );

    // The same numerical gradient computed by the fast engine: literally,
    // and incrementally (`train --gradient numerical-fast`).
    let indices: Vec<usize> = (0..args.samples).collect();
    let mut engine = engine::new(EngineKind::Fast, Precision::F64, &net);
    engine.load_batch(&data.train, &indices);
    let timed = |engine: &mut dyn Engine, method| {
        let start = Instant::now();
        engine.gradient(method);
        (engine.grads(), start.elapsed().as_secs_f64())
    };
    let (literal, literal_secs) = timed(engine.as_mut(), GradientMethod::Numerical);
    let (incremental, incremental_secs) = timed(engine.as_mut(), GradientMethod::NumericalFast);
    let largest = |a: &Params| {
        differences(a, &numerical)
            .into_iter()
            .fold(0.0f64, |m, (_, _, max)| m.max(max))
    };
    println!(
        "the same numerical gradient, fast engine: literal {:.3} s (max |diff| {:.1e}), \
         incremental {:.4} s (max |diff| {:.1e}): {:.0}× faster than the book's way",
        literal_secs,
        largest(&literal),
        incremental_secs,
        largest(&incremental),
        numerical_secs / incremental_secs.max(1e-9)
    );
    Ok(())
}

/// (name, mean |a − b|, max |a − b|) for each parameter.
fn differences(a: &Params, b: &Params) -> Vec<(&'static str, f64, f64)> {
    a.slices()
        .into_iter()
        .zip(b.slices())
        .map(|((name, a), (_, b))| {
            let diffs = a.iter().zip(b).map(|(x, y)| (x - y).abs());
            let (sum, max) = diffs.fold((0.0, 0.0f64), |(s, m), d| (s + d, m.max(d)));
            (name, sum / a.len() as f64, max)
        })
        .collect()
}
