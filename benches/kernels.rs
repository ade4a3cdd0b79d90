//! Where an iteration's time goes: each stage of the fast engine timed alone.
//!
//! `cargo bench --bench kernels [-- --dataset NAME | --data-dir DIR]`
//! (default: Fashion-MNIST, found where `manabi train --dataset
//! fashion-mnist` finds it, the seed workload's data; `--dataset mnist-10k`
//! for the embedded digits). Each stage runs many times; the median per call is
//! printed, with the batch's non-zero pixel count to read it per entry.

use std::hint::black_box;
use std::time::Instant;

use manabi::TwoLayerNet;
use manabi::data::{DataHome, Dataset, DatasetName, Resolved, resolve};
use manabi::engine::Engine;
use manabi::engine::GradientMethod;
use manabi::engine::testing::{
    Activations, Aligned, BackwardScratch, Batch, FastEngine, FastNet, Float, Grads, Panels,
    accuracy, backward, forward, forward_again, hidden_layer, scale_table, sgd_update,
};
use manabi::random::Rng;

/// Median seconds per call of `f`, over `reps` timed calls after a warm-up.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn stages<F: Float>(data: &Dataset, net: &TwoLayerNet) {
    let fast = FastNet::<F>::from_net(net);
    let mut rng = Rng::new(1);
    let batches: Vec<Vec<usize>> = (0..64).map(|_| rng.choice(data.train.len(), 100)).collect();
    let mut batch = Batch::default();
    let mut k = 0;
    let gather = time(2000, || {
        batch.fill_from(&data.train, &batches[k % 64]);
        k += 1;
    });
    batch.fill_from(&data.train, &batches[0]);
    let mut act = Activations::default();
    let mut scratch = BackwardScratch::default();
    let mut grads = Grads::zeros_like(&fast);
    let fwd = time(2000, || forward(&fast, &batch, &mut act));
    let again = time(2000, || forward_again(&fast, &batch, &mut act));
    let mut panels = Panels::default();
    // Aligned as the engine's own a1 is.
    let mut a1 = Aligned::<F>::zeros(batch.n * fast.hp);
    let scale = scale_table::<F>();
    let hidden = time(2000, || {
        hidden_layer(
            &fast,
            &batch.pixels,
            &batch.labels,
            &mut panels,
            &scale,
            &mut a1,
        )
    });
    let bwd = time(2000, || {
        backward(&fast, &batch, &act, &mut scratch, &mut grads)
    });
    let mut updated = fast.clone();
    let upd = time(2000, || sgd_update(&mut updated, &grads, 1e-9));
    let eval = time(5, || {
        black_box(accuracy(&fast, &data.train));
        black_box(accuracy(&fast, &data.test));
    });
    let nnz = batch.nnz();
    let per = |s: f64| {
        format!(
            "{:8.1} µs  ({:.2} ns per non-zero pixel)",
            s * 1e6,
            s * 1e9 / nnz as f64
        )
    };
    println!("{}: batch of 100 with {nnz} non-zero pixels", F::NAME);
    println!("  gather a batch        {}", per(gather));
    println!("  forward               {}", per(fwd));
    println!("    of which x·W1 + b1  {}", per(hidden));
    println!("  forward, lit pixels already listed {}", per(again));
    println!("  backward              {}", per(bwd));
    println!("  SGD update            {:8.1} µs", upd * 1e6);
    println!(
        "  iteration (fwd, bwd, update, loss fwd): {:.1} µs",
        (gather + 2.0 * fwd + bwd + upd) * 1e6
    );
    println!(
        "  evaluate train+test   {:8.1} ms  ({} images)",
        eval * 1e3,
        data.train.len() + data.test.len()
    );
}

/// The data set of `--data-dir DIR`, else of `--dataset NAME` (default
/// fashion-mnist), found as `manabi train` finds it.
fn data() -> Dataset {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        let i = args.iter().position(|a| a == flag)?;
        args.get(i + 1).cloned()
    };
    let fail = |e: &dyn std::fmt::Display| -> ! {
        eprintln!("kernels: {e}");
        std::process::exit(2)
    };
    let dir = match (value("--data-dir"), value("--dataset")) {
        (Some(d), _) => Some(std::path::PathBuf::from(d)),
        (None, name) => {
            let name = name.as_deref().unwrap_or("fashion-mnist");
            let name: DatasetName = name.parse().unwrap_or_else(|e| fail(&e));
            match resolve(name, &DataHome::from_env()) {
                Ok(Resolved::Embedded) => None,
                Ok(Resolved::Folder(d)) => Some(d),
                Err(e) => fail(&e),
            }
        }
    };
    match dir {
        Some(d) => Dataset::from_dir(&d).unwrap_or_else(|e| fail(&e)),
        None => Dataset::embedded(),
    }
}

fn main() {
    let data = data();
    println!(
        "{} ({} train, {} test); threads {}; {}",
        data.name,
        data.train.len(),
        data.test.len(),
        rayon::current_num_threads(),
        manabi::engine::testing::level().name()
    );
    let net = TwoLayerNet::new(data.train.pixels_per_image(), 50, 10, 0.01);
    stages::<f32>(&data, &net);
    stages::<f64>(&data, &net);

    // The numerical gradients, per iteration, f64.
    let mut engine = FastEngine::<f64>::new(&net);
    let mut rng = Rng::new(2);
    engine.load_batch(&data.train, &rng.choice(data.train.len(), 100));
    let fast = time(5, || engine.gradient(GradientMethod::NumericalFast));
    println!(
        "numerical-fast gradient, batch 100:   {:8.1} ms per iteration",
        fast * 1e3
    );
    if std::env::args().any(|a| a == "--literal") {
        let literal = time(1, || engine.gradient(GradientMethod::Numerical));
        println!(
            "numerical (literal) gradient, batch 100: {:8.2} s per iteration",
            literal
        );
    }
}
