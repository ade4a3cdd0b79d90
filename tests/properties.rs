//! Properties that must hold for any input, checked on random cases.

use ndarray::{Array1, Array2};
use proptest::prelude::*;

use manabi::functions::{softmax, softmax_rows};
use manabi::random::Rng;
use manabi::{Activation, TwoLayerNet};

fn vector(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-50.0f64..50.0, len)
}

proptest! {
    #[test]
    fn softmax_is_a_distribution(v in vector(1..20)) {
        let y = softmax(&Array1::from(v));
        prop_assert!((y.sum() - 1.0).abs() < 1e-12);
        prop_assert!(y.iter().all(|&p| (0.0..=1.0).contains(&p)));
    }

    #[test]
    fn softmax_ignores_a_constant_shift(v in vector(1..20), c in -1000.0f64..1000.0) {
        let a = Array1::from(v);
        let y1 = softmax(&a);
        let y2 = softmax(&(&a + c));
        for (p, q) in y1.iter().zip(&y2) {
            prop_assert!((p - q).abs() < 1e-9, "{} vs {}", p, q);
        }
    }

    #[test]
    fn softmax_rows_each_sum_to_one(rows in 1usize..6, v in vector(30..31)) {
        let cols = 30 / rows.max(1);
        let a = Array2::from_shape_vec((rows, cols), v[..rows * cols].to_vec()).unwrap();
        let y = softmax_rows(&a);
        for row in y.rows() {
            prop_assert!((row.sum() - 1.0).abs() < 1e-12);
        }
    }
}

/// A random small net and batch: the largest |backprop − numerical| gap, the
/// bound the 1e-7 inside the loss's log puts on it, and the smallest
/// |pre-activation| of a hidden unit (how close to ReLU's kink).
///
/// The numerical gradient differentiates −log(y + δ), backprop −log(y): they
/// differ by the factor y/(y + δ), so by about δ/y relative, largest where
/// the probability y of the correct class is smallest.
fn max_gradient_gap(
    activation: Activation,
    seed: u64,
    input: usize,
    hidden: usize,
    batch: usize,
) -> (f64, f64, f64) {
    let mut rng = Rng::new(seed);
    let net = TwoLayerNet::with_rng(input, hidden, 4, 0.3, &mut rng).with_activation(activation);
    let x = rng.randn(batch, input);
    let t: Vec<usize> = rng.choice(4, batch);
    let a1 = x.dot(&net.params.w1) + &net.params.b1;
    let nearest_kink = a1.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
    let y = net.predict(&x);
    let y_min = t
        .iter()
        .enumerate()
        .map(|(n, &k)| y[[n, k]])
        .fold(1.0, f64::min);
    let backprop = net.gradient(&x, &t[..]);
    let numerical = net.numerical_gradient(&x, &t[..]);
    let gap = backprop
        .slices()
        .into_iter()
        .zip(numerical.slices())
        .flat_map(|((_, a), (_, b))| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    let largest = backprop
        .slices()
        .iter()
        .flat_map(|(_, g)| g.iter())
        .fold(0.0f64, |m, g| m.max(g.abs()));
    let bound = 1e-9 + 2.0 * 1e-7 / y_min * largest;
    (gap, bound, nearest_kink)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        max_global_rejects: 1_000_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn backprop_equals_numerical_sigmoid(seed in any::<u64>(), input in 1usize..8, hidden in 1usize..6, batch in 1usize..5) {
        let (gap, bound, _) = max_gradient_gap(Activation::Sigmoid, seed, input, hidden, batch);
        prop_assert!(gap < bound, "max gap {:e} over the bound {:e}", gap, bound);
    }

    #[test]
    fn backprop_equals_numerical_relu(seed in any::<u64>(), input in 1usize..8, hidden in 1usize..6, batch in 1usize..5) {
        let (gap, bound, nearest_kink) = max_gradient_gap(Activation::Relu, seed, input, hidden, batch);
        // A pre-activation within a nudge (h·|x| ≲ 1e-3) of ReLU's kink at 0
        // makes the central difference straddle it, and the numerical
        // gradient is then wrong by design; such cases are left out.
        prop_assume!(nearest_kink > 1e-3);
        prop_assert!(gap < bound, "max gap {:e} over the bound {:e}", gap, bound);
    }
}
