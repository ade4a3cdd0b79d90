//! What every engine offers through the `Engine` trait, checked on both
//! engines alike: `grads` after `gradient`, and `set_params`.

use manabi::data::Dataset;
use manabi::engine::{self, Engine, EngineKind};
use manabi::train::{GradientMethod, TrainConfig, gather_batch};
use manabi::{Params, TwoLayerNet};

fn max_diff(a: &Params, b: &Params) -> f64 {
    a.slices()
        .into_iter()
        .zip(b.slices())
        .flat_map(|((_, a), (_, b))| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
        .fold(0.0, f64::max)
}

fn net(seed: u64) -> TwoLayerNet {
    let mut rng = manabi::random::Rng::new(seed);
    TwoLayerNet::with_rng(784, 50, 10, 0.1, &mut rng)
}

fn engines(net: &TwoLayerNet) -> [(EngineKind, Box<dyn Engine + Send>); 2] {
    [EngineKind::Fast, EngineKind::Reference].map(|kind| {
        let config = TrainConfig {
            engine: kind,
            ..TrainConfig::default()
        };
        (kind, engine::new(&config, net))
    })
}

#[test]
fn grads_is_the_gradient_of_the_last_gradient_call() {
    let data = Dataset::embedded();
    let batch: Vec<usize> = (0..100).map(|i| i * 53 % 8004).collect();
    let (x, t) = gather_batch(&data.train, &batch);
    let net = net(3);
    let want = net.gradient(&x, &t[..]);
    for (kind, mut engine) in engines(&net) {
        assert_eq!(
            max_diff(&engine.grads(), &Params::zeros(784, 50, 10)),
            0.0,
            "{kind:?}: zeros before any gradient"
        );
        engine.load_batch(&data.train, &batch);
        engine.gradient(GradientMethod::Backprop);
        let diff = max_diff(&engine.grads(), &want);
        assert!(diff < 1e-14, "{kind:?}: differs by {diff:e}");
    }
}

#[test]
fn set_params_replaces_the_network_and_keeps_the_batch() {
    let data = Dataset::embedded();
    let batch: Vec<usize> = (0..30).collect();
    let (x, t) = gather_batch(&data.train, &batch);
    let (first, second) = (net(1), net(2));
    for (kind, mut engine) in engines(&first) {
        engine.load_batch(&data.train, &batch);
        engine.gradient(GradientMethod::Backprop);
        // An update asked for before set_params is dropped by it.
        engine.update(0.5);
        engine.set_params(&second.params);
        assert_eq!(engine.net().params, second.params, "{kind:?}");
        let loss = engine.loss();
        let want = second.loss(&x, &t[..]);
        assert!((loss - want).abs() < 1e-13, "{kind:?}: {loss} vs {want}");
        engine.gradient(GradientMethod::Backprop);
        let diff = max_diff(&engine.grads(), &second.gradient(&x, &t[..]));
        assert!(diff < 1e-14, "{kind:?}: gradient differs by {diff:e}");
    }
}

#[test]
#[should_panic(expected = "other sizes")]
fn set_params_refuses_other_sizes() {
    let mut engine = engine::new(&TrainConfig::default(), &net(1));
    engine.set_params(&Params::zeros(784, 20, 10));
}
