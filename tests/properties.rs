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

/// A random small net and batch, and the largest |backprop − numerical| gap.
fn max_gradient_gap(
    activation: Activation,
    seed: u64,
    input: usize,
    hidden: usize,
    batch: usize,
) -> f64 {
    let mut rng = Rng::new(seed);
    let net = TwoLayerNet::with_rng(input, hidden, 4, 0.5, &mut rng).with_activation(activation);
    let x = rng.randn(batch, input);
    let t: Vec<usize> = rng.choice(4, batch);
    let backprop = net.gradient(&x, &t[..]);
    let numerical = net.numerical_gradient(&x, &t[..]);
    backprop
        .slices()
        .into_iter()
        .zip(numerical.slices())
        .flat_map(|((_, a), (_, b))| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn backprop_equals_numerical_sigmoid(seed in any::<u64>(), input in 1usize..8, hidden in 1usize..6, batch in 1usize..5) {
        let gap = max_gradient_gap(Activation::Sigmoid, seed, input, hidden, batch);
        // 1e-7 inside the log (which backprop leaves out) bounds the gap.
        prop_assert!(gap < 1e-6, "max gap {:e}", gap);
    }

    #[test]
    fn backprop_equals_numerical_relu(seed in any::<u64>(), input in 1usize..8, hidden in 1usize..6, batch in 1usize..5) {
        let gap = max_gradient_gap(Activation::Relu, seed, input, hidden, batch);
        // A pre-activation within h = 1e-4 of the kink at 0 makes the central
        // difference straddle it; looser, as the book's own check is.
        prop_assert!(gap < 1e-4, "max gap {:e}", gap);
    }
}
