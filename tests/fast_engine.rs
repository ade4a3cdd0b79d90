//! The fast engine computes what the book's code computes.

use manabi::data::Dataset;
use manabi::data::gather_batch;
use manabi::engine::testing::{self, FastEngine};
use manabi::engine::{Engine, EngineKind, GradientMethod, Precision};
use manabi::train::{TrainConfig, train};
use manabi::{Activation, Params, TwoLayerNet};

fn max_diff(a: &Params, b: &Params) -> (f64, &'static str) {
    a.slices()
        .into_iter()
        .zip(b.slices())
        .map(|((name, a), (_, b))| {
            (
                a.iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max),
                name,
            )
        })
        .fold((0.0, ""), |m, d| if d.0 > m.0 { d } else { m })
}

fn net(hidden: usize, activation: Activation, seed: u64) -> TwoLayerNet {
    let mut rng = manabi::random::Rng::new(seed);
    // Larger weights than the book's 0.01, so every term matters.
    TwoLayerNet::with_rng(784, hidden, 10, 0.1, &mut rng).with_activation(activation)
}

fn fast_gradient<F: manabi::engine::testing::Float>(
    net: &TwoLayerNet,
    data: &Dataset,
    batch: &[usize],
    method: GradientMethod,
) -> Params {
    let mut engine = FastEngine::<F>::new(net);
    engine.load_batch(&data.train, batch);
    engine.gradient(method);
    engine.grads()
}

#[test]
fn backprop_matches_the_reference() {
    // The engine runs the level in use, and AMX for f32's x·W1 where it can.
    testing::runs(testing::level());
    testing::runs_amx();
    let data = Dataset::embedded();
    let batch: Vec<usize> = (0..100).map(|i| i * 37 % 8004).collect();
    let (x, t) = gather_batch(&data.train, &batch);
    for activation in [Activation::Sigmoid, Activation::Relu] {
        for hidden in [50, 7, 16, 33] {
            let net = net(hidden, activation, hidden as u64);
            let want = net.gradient(&x, &t[..]);
            let got = fast_gradient::<f64>(&net, &data, &batch, GradientMethod::Backprop);
            let (diff, name) = max_diff(&got, &want);
            assert!(
                diff < 1e-14,
                "{activation:?} h={hidden}: {name} differs by {diff:e}"
            );
            let got32 = fast_gradient::<f32>(&net, &data, &batch, GradientMethod::Backprop);
            let (diff, name) = max_diff(&got32, &want);
            assert!(
                diff < 1e-5,
                "f32 {activation:?} h={hidden}: {name} differs by {diff:e}"
            );
        }
    }
}

#[test]
fn literal_numerical_matches_the_reference() {
    let data = Dataset::embedded();
    let batch = [3, 141, 592, 653, 5897];
    let (x, t) = gather_batch(&data.train, &batch);
    let net = net(6, Activation::Sigmoid, 1);
    let want = net.numerical_gradient(&x, &t[..]);
    let got = fast_gradient::<f64>(&net, &data, &batch, GradientMethod::Numerical);
    let (diff, name) = max_diff(&got, &want);
    assert!(diff < 1e-9, "{name} differs by {diff:e}");
}

#[test]
fn fast_numerical_matches_the_books_numerical_gradient() {
    // The bar: numerical-fast = book numerical to 1e-9 on every parameter.
    let batch: Vec<usize> = (0..20).map(|i| i * 401 % 8004).collect();
    fast_numerical_matches_the_literal_one(50, 7, &batch);
}

/// numerical-fast = the book's numerical gradient to 1e-9 on every
/// parameter of a net of `hidden` units (seed `seed`) on `batch`, for both
/// activations; and both are the gradient: backprop agrees to the 1e-7 of
/// the log's delta.
fn fast_numerical_matches_the_literal_one(hidden: usize, seed: u64, batch: &[usize]) {
    let data = Dataset::embedded();
    for activation in [Activation::Sigmoid, Activation::Relu] {
        let net = net(hidden, activation, seed);
        let literal = fast_gradient::<f64>(&net, &data, batch, GradientMethod::Numerical);
        let fast = fast_gradient::<f64>(&net, &data, batch, GradientMethod::NumericalFast);
        let (diff, name) = max_diff(&fast, &literal);
        assert!(diff <= 1e-9, "{activation:?}: {name} differs by {diff:e}");
        let backprop = fast_gradient::<f64>(&net, &data, batch, GradientMethod::Backprop);
        let (diff, name) = max_diff(&fast, &backprop);
        assert!(
            diff < 1e-5,
            "{activation:?}: {name} differs from backprop by {diff:e}"
        );
    }
}

/// The same bar on a small network, fast enough to run under an emulator
/// (`.ci/run` runs it for aarch64 under qemu).
#[test]
fn fast_numerical_matches_the_literal_one_on_a_small_net() {
    fast_numerical_matches_the_literal_one(6, 3, &[3, 141, 592, 653, 5897]);
}

#[test]
fn fast_and_reference_engines_train_alike() {
    let data = Dataset::embedded();
    let config = TrainConfig {
        iters: 300,
        ..TrainConfig::default()
    };
    let fast = train(&data, &config, &mut ()).unwrap();
    let reference = train(
        &data,
        &TrainConfig {
            engine: EngineKind::Reference,
            ..config.clone()
        },
        &mut (),
    )
    .unwrap();
    for (i, (a, b)) in fast
        .history
        .loss
        .iter()
        .zip(&reference.history.loss)
        .enumerate()
    {
        assert!((a - b).abs() < 1e-12, "iteration {i}: loss {a} vs {b}");
    }
    assert_eq!(fast.history.epochs.len(), reference.history.epochs.len());
    for (a, b) in fast.history.epochs.iter().zip(&reference.history.epochs) {
        assert_eq!((a.train_acc, a.test_acc), (b.train_acc, b.test_acc));
    }
    let (diff, name) = max_diff(&fast.net.params, &reference.net.params);
    assert!(diff < 1e-12, "{name} differs by {diff:e}");
}

#[test]
fn f32_trains_as_well_as_f64() {
    // Within half a percentage point of f64 on the embedded set.
    let data = Dataset::embedded();
    let config = TrainConfig {
        iters: 3000,
        ..TrainConfig::default()
    };
    let f64_run = train(&data, &config, &mut ()).unwrap();
    let f32_run = train(
        &data,
        &TrainConfig {
            precision: Precision::F32,
            ..config
        },
        &mut (),
    )
    .unwrap();
    let (a, b) = (
        f64_run.history.epochs.last().unwrap(),
        f32_run.history.epochs.last().unwrap(),
    );
    assert!(
        (a.test_acc - b.test_acc).abs() <= 0.005,
        "test acc f64 {} vs f32 {}",
        a.test_acc,
        b.test_acc
    );
    assert!(
        (a.train_acc - b.train_acc).abs() <= 0.005,
        "train acc f64 {} vs f32 {}",
        a.train_acc,
        b.train_acc
    );
}

#[test]
fn training_by_numerical_gradient_learns() {
    // A few iterations of chapter 4's own method, on a small net.
    let data = Dataset::embedded();
    let config = TrainConfig {
        hidden_size: 10,
        iters: 100,
        learning_rate: 2.0,
        gradient: GradientMethod::NumericalFast,
        ..TrainConfig::default()
    };
    let run = train(&data, &config, &mut ()).unwrap();
    let backprop = train(
        &data,
        &TrainConfig {
            gradient: GradientMethod::Backprop,
            ..config
        },
        &mut (),
    )
    .unwrap();
    for (a, b) in run.history.loss.iter().zip(&backprop.history.loss) {
        assert!(
            (a - b).abs() < 1e-5,
            "numerical-fast loss {a} vs backprop {b}"
        );
    }
    let mean = |l: &[f64]| l.iter().sum::<f64>() / l.len() as f64;
    let (first, last) = (mean(&run.history.loss[..10]), mean(&run.history.loss[90..]));
    assert!(last < first - 0.05, "loss went from {first} to {last}");
}

/// The loss after an update reuses the batch's lists of lit pixels: that
/// pass gives what a pass listing them afresh gives, number for number.
#[test]
fn a_second_pass_over_the_same_batch_agrees_with_a_fresh_one() {
    use manabi::engine::testing::{Activations, Batch, FastNet, forward, forward_again};
    let data = Dataset::embedded();
    let mut fast = FastNet::<f32>::from_net(&net(50, Activation::Sigmoid, 3));
    let mut batch = Batch::default();
    batch.fill_from(&data.train, &(200..297).collect::<Vec<_>>());
    let mut act = Activations::default();
    forward(&fast, &batch, &mut act);
    let before = act.y.clone();
    for w in fast.w1_mut().iter_mut() {
        *w *= 1.5;
    }
    forward_again(&fast, &batch, &mut act);
    let mut fresh = Activations::default();
    forward(&fast, &batch, &mut fresh);
    assert_ne!(act.y, before, "the new weights changed nothing");
    assert_eq!(act.a1, fresh.a1);
    assert_eq!(act.y, fresh.y);
    assert_eq!(act.loss(), fresh.loss());
}

/// The gradient through `forward` then `backward` is the gradient of
/// `forward_backward`, which does each sample's part inside the forward
/// pass: number for number.
#[test]
fn forward_backward_equals_forward_then_backward() {
    use manabi::engine::testing::{
        Activations, BackwardScratch, Batch, FastNet, Grads, backward, forward, forward_backward,
    };
    let data = Dataset::embedded();
    for activation in [Activation::Sigmoid, Activation::Relu] {
        let fast = FastNet::<f64>::from_net(&net(50, activation, 4));
        let mut batch = Batch::default();
        batch.fill_from(&data.train, &(500..597).collect::<Vec<_>>());
        let (mut act, mut scratch) = (Activations::default(), BackwardScratch::default());
        let mut apart = Grads::zeros_like(&fast);
        forward(&fast, &batch, &mut act);
        backward(&fast, &batch, &act, &mut scratch, &mut apart);
        let (mut act2, mut scratch2) = (Activations::default(), BackwardScratch::default());
        let mut together = Grads::zeros_like(&fast);
        forward_backward(&fast, &batch, &mut act2, &mut scratch2, &mut together);
        assert!(
            apart.w1.iter().any(|&g| g != 0.0),
            "{activation:?}: no gradient"
        );
        assert_eq!(apart.w1, together.w1, "{activation:?}");
        assert_eq!(apart.b1, together.b1, "{activation:?}");
        assert_eq!(apart.w2, together.w2, "{activation:?}");
        assert_eq!(apart.b2, together.b2, "{activation:?}");
        assert_eq!(act.y, act2.y, "{activation:?}");
    }
}

/// A training step of the engine (each thread updating its own copy of the
/// network) moves the weights exactly as `forward_backward` then
/// `sgd_update` do, whether or not the loss is asked for in between, reports
/// the same gradient, and the loss of the updated network; the two copies
/// stay equal.
#[test]
fn a_step_equals_forward_backward_then_sgd_update() {
    fn check<F: manabi::engine::testing::Float>(activation: Activation) {
        use manabi::engine::testing::{
            Activations, BackwardScratch, Batch, FastNet, Grads, forward, forward_backward,
            sgd_update,
        };
        let data = Dataset::embedded();
        let start = net(50, activation, 9);
        let indices: Vec<usize> = (100..197).collect();
        let lr = 0.5;

        let mut apart = FastNet::<F>::from_net(&start);
        let mut batch = Batch::default();
        batch.fill_from(&data.train, &indices);
        let (mut act, mut scratch) = (Activations::default(), BackwardScratch::default());
        let mut grads = Grads::zeros_like(&apart);
        forward_backward(&apart, &batch, &mut act, &mut scratch, &mut grads);
        sgd_update(&mut apart, &grads, lr);
        let want = apart.to_net().params;
        let mut act_after = Activations::default();
        forward(&apart, &batch, &mut act_after);
        assert_ne!(
            want,
            start.params,
            "{} {activation:?}: nothing moved",
            F::NAME
        );

        let mut together = FastEngine::<F>::new(&start);
        together.load_batch(&data.train, &indices);
        together.gradient(GradientMethod::Backprop);
        let after = together.update_and_loss(lr);
        assert_eq!(after, act_after.loss(), "{} {activation:?}", F::NAME);
        assert_eq!(together.net().params, want, "{} {activation:?}", F::NAME);
        assert!(together.mirror_agrees(), "{} {activation:?}", F::NAME);
        assert_eq!(
            together.grads(),
            grads.to_params(&apart),
            "{} {activation:?}",
            F::NAME
        );

        let mut loss_first = FastEngine::<F>::new(&start);
        loss_first.load_batch(&data.train, &indices);
        loss_first.gradient(GradientMethod::Backprop);
        let loss = loss_first.loss();
        let again = loss_first.update_and_loss(lr);
        assert_eq!(loss_first.net().params, want, "{} {activation:?}", F::NAME);
        assert_eq!(again, after, "{} {activation:?}", F::NAME);
        assert!(loss_first.mirror_agrees(), "{} {activation:?}", F::NAME);
        assert_eq!(loss, act.loss(), "{} {activation:?}", F::NAME);
    }
    for activation in [Activation::Sigmoid, Activation::Relu] {
        check::<f32>(activation);
        check::<f64>(activation);
    }
}

/// The helper thread's copy of the network stays equal to the network
/// through every kind of step: backprop, both numerical gradients, a loss
/// pass with and without a gradient before it, evaluation, new parameters
/// set (each copy written by its own thread).
#[test]
fn the_helpers_copy_of_the_network_stays_equal() {
    fn check<F: manabi::engine::testing::Float>() {
        let data = Dataset::embedded();
        let mut engine = FastEngine::<F>::new(&net(4, Activation::Sigmoid, 5));
        let methods = [
            GradientMethod::Backprop,
            GradientMethod::NumericalFast,
            GradientMethod::Numerical,
            GradientMethod::Backprop,
        ];
        let start = engine.net().params;
        for (i, method) in methods.into_iter().enumerate() {
            let batch: Vec<usize> = (i * 7..i * 7 + 5).collect();
            engine.load_batch(&data.train, &batch);
            if i == 3 {
                engine.loss();
            }
            engine.gradient(method);
            engine.update_and_loss(0.3);
            assert!(engine.mirror_agrees(), "{} step {i}", F::NAME);
            engine.loss();
            engine.accuracy(&data.test);
            assert!(engine.mirror_agrees(), "{} step {i}", F::NAME);
            let other = net(4, Activation::Sigmoid, 10 + i as u64).params;
            engine.set_params(&other);
            assert!(engine.mirror_agrees(), "{} step {i}: set", F::NAME);
        }
        assert_ne!(engine.net().params, start, "{}: nothing moved", F::NAME);
    }
    check::<f32>();
    check::<f64>();
}

/// The AMX planes a network reads are always those of its W1: after an SGD
/// step (made in place), a single weight changed, new parameters. Networks
/// with too many pixels for the tiles' 32-bit sums do not use them.
#[test]
fn the_amx_planes_follow_w1() {
    use manabi::engine::testing::{FastNet, Grads, MAX_D, Slot, W1Planes, sgd_update};
    let too_big = FastNet::<f32>::from_net(&TwoLayerNet::new(MAX_D + 1, 3, 2, 0.01));
    assert!(too_big.amx_planes().is_none());
    let mut fast = FastNet::<f32>::from_net(&net(50, Activation::Sigmoid, 5));
    if !testing::runs_amx() {
        // No AMX here: nothing reads planes (the f32 kernels are the FMA ones).
        assert!(fast.amx_planes().is_none());
        return;
    }
    let same = |fast: &FastNet<f32>, what: &str| {
        let (d, h, hp) = (fast.d, fast.h, fast.hp);
        let (now, fresh) = (
            fast.amx_planes().unwrap(),
            W1Planes::new(fast.w1(), d, h, hp),
        );
        for j in 0..h {
            assert_eq!(now.step(j), fresh.step(j), "{what}: step of unit {j}");
            for p in 0..d {
                assert_eq!(now.q(p, j), fresh.q(p, j), "{what}: W1[{p}, {j}]");
            }
        }
    };
    let mut grads = Grads::zeros_like(&fast);
    for (i, g) in grads.w1.iter_mut().enumerate() {
        *g = ((i % 97) as f32 - 48.0) * 0.01;
    }
    let before = fast.w1().to_vec();
    sgd_update(&mut fast, &grads, 0.1);
    assert_ne!(fast.w1(), &before[..]);
    same(&fast, "after an SGD step");
    *fast.at(Slot::W1(fast.w1_index(7, 3))) = 5.0;
    same(&fast, "after one weight");
    fast.set_params(&net(50, Activation::Sigmoid, 6).params);
    same(&fast, "after new parameters");
}

/// The one accuracy (`engine::evaluate`, the fast kernels in f64) is the
/// book's: `TwoLayerNet::accuracy` on the whole split as one matrix, for a
/// network as it starts (nearly uniform answers) and after some learning.
#[test]
fn evaluate_is_the_books_accuracy() {
    let data = Dataset::embedded();
    let all: Vec<usize> = (0..data.test.len()).collect();
    let (x, t) = gather_batch(&data.test, &all);
    let config = TrainConfig {
        iters: 400,
        ..TrainConfig::default()
    };
    let trained = train(&data, &config, &mut ()).unwrap().net;
    for net in [net(50, Activation::Sigmoid, 2), trained] {
        let book = net.accuracy(&x, &t[..]);
        assert_eq!(manabi::engine::evaluate(&net, &data.test), book);
    }
    let empty = data.test.take(0);
    assert_eq!(
        manabi::engine::evaluate(&TwoLayerNet::new(784, 5, 10, 0.01), &empty),
        0.0
    );
}
