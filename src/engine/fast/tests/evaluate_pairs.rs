//! Tests of evaluation with x·W1 in 16-bit integers (AVX2,
//! `kernels/x_w1_pairs.rs`, checked in `evaluate_narrow.rs`): the counts
//! are those of the exact path, in f64 and in f32.

use super::tests::{both_scores, counted, exact, f32_values, tie, trained};
use super::*;
use crate::data::{Dataset, Split};
use crate::engine::testing;
use crate::two_layer_net::TwoLayerNet;

/// The count with x·W1 in 16-bit integers (AVX2), in either precision,
/// and how many images it had to evaluate again on the exact path.
fn in_pairs<F: Float>(net: &FastNet<F>, split: &Split) -> (usize, usize) {
    let narrow = Narrow::with_pairs(net, split.pixel_values(), true).expect("bounds hold");
    assert!(narrow.pairs.is_some(), "x·W1 in integers");
    counted(&narrow, net, split)
}

/// x·W1 in 16-bit integers (AVX2): the counts of f64 and f32 networks,
/// trained and untrained, sigmoid and ReLU, on bytes and on the book's
/// float32 images, are those of the exact path, nearly every image
/// settled by the integer sums.
#[test]
fn integer_sums_count_as_each_precision_does() {
    if !testing::runs(Level::Avx2) {
        return;
    }
    let data = Dataset::embedded();
    let split = data.test.take(3000);
    let f32s = split.clone().with_pixel_values(f32_values());
    let nets = [
        (trained(&data, Activation::Sigmoid, 50), &split),
        (trained(&data, Activation::Relu, 37), &split),
        (TwoLayerNet::new(784, 50, 10, 0.01), &split),
        (trained(&data, Activation::Sigmoid, 50), &f32s),
    ];
    for (i, (net, split)) in nets.iter().enumerate() {
        let wide = FastNet::<f64>::from_net(net);
        let (correct, again) = in_pairs(&wide, split);
        assert_eq!(correct, exact(&wide, split), "net {i}, f64");
        assert!(
            again < split.len() / 20,
            "net {i}, f64: {again} evaluated again"
        );
        let single = FastNet::<f32>::from_net(net);
        let (correct, again) = in_pairs(&single, split);
        assert_eq!(correct, exact(&single, split), "net {i}, f32");
        assert!(
            again < split.len() / 20,
            "net {i}, f32: {again} evaluated again"
        );
    }
}

/// [`near_ties_are_evaluated_again`] with x·W1 in integers, for the f64
/// network and for its f32 copy: every image evaluated again, the counts
/// those of the exact path.
#[test]
fn near_ties_with_integer_sums_are_evaluated_again() {
    if !testing::runs(Level::Avx2) {
        return;
    }
    let data = Dataset::embedded();
    let net = trained(&data, Activation::Sigmoid, 50);
    let n = 40;
    let (mut wide, mut single) = ((0, 0, 0), (0, 0, 0));
    for i in 0..n {
        let (tied, one) = tie(&net, data.test.image(i), data.test.label(i), None);
        let f64_net = FastNet::<f64>::from_net(&tied);
        let (c, a) = in_pairs(&f64_net, &one);
        wide = (wide.0 + c, wide.1 + exact(&f64_net, &one), wide.2 + a);
        let f32_net = FastNet::<f32>::from_net(&tied);
        let (c, a) = in_pairs(&f32_net, &one);
        single = (single.0 + c, single.1 + exact(&f32_net, &one), single.2 + a);
    }
    assert_eq!(wide.1, n, "the label leads by 10⁻⁹ in f64");
    assert_eq!((wide.0, wide.2), (wide.1, n), "f64");
    assert_eq!((single.0, single.2), (single.1, n), "f32");
}

/// The integer sums are within E1ⱼ + σₙ·tⱼ of the f64 sums, unit by unit,
/// image by image, and their scores within (gap + σₙ·G)/2.02 of the f64
/// scores: trained networks, large and tiny weights, ReLU, the book's
/// float32 images, and columns of one large weight among tiny ones (whose
/// fixed point loses the tiny ones: there E1 alone is too small, and
/// without σₙ·G the scores' bound fails).
#[test]
fn integer_sums_and_scores_are_within_the_bounds() {
    if !testing::runs(Level::Avx2) {
        return;
    }
    let data = Dataset::embedded();
    let split = data.test.take(1000);
    let f32s = split.clone().with_pixel_values(f32_values());
    // Each column: one weight of 1 (the step is 1/16383) on a pixel near
    // the middle, lit in most digits; the others 0.49 of a step, rounded
    // to 0, each losing nearly half a step.
    let mut sparse = TwoLayerNet::new(784, 50, 10, 1.0);
    sparse.params.w1.fill(0.49 / 16383.0);
    for j in 0..50 {
        sparse.params.w1[[14 * 28 + 4 + j / 2 + 28 * (j % 2), j]] = 1.0;
    }
    let nets = [
        (sparse, &split),
        (trained(&data, Activation::Sigmoid, 50), &split),
        (trained(&data, Activation::Relu, 37), &split),
        (TwoLayerNet::new(784, 50, 10, 1.0), &split),
        (TwoLayerNet::new(784, 20, 10, 1e-30), &split),
        (trained(&data, Activation::Sigmoid, 50), &f32s),
    ];
    for (i, (net, split)) in nets.iter().enumerate() {
        let net = FastNet::<f64>::from_net(net);
        let values = split.pixel_values();
        let narrow = Narrow::with_pairs(&net, values, true).expect("bounds hold");
        let Some(pairs) = narrow.pairs.as_ref() else {
            // Steps below 2⁻¹⁰⁰ are refused: the f32 sums serve.
            assert_eq!(i, 4, "net {i}: x·W1 in integers");
            continue;
        };
        let bound = hidden_bound(&net, values).expect("bounds hold");
        let (x, t, n) = (split.images(), split.labels(), split.len());
        let mut wide = vec![0.0f64; n * net.hp];
        let s64 = scale_for::<f64>(values);
        let mut panels = Panels::default();
        hidden_sums(&net, x, t, &mut panels, &s64, amx_reads(values), &mut wide);
        let hp = narrow.net.hp;
        let (mut sums, mut sigma) = (vec![0.0f32; n * hp], Vec::new());
        let mut scratch = Default::default();
        x_w1_pairs::hidden_sums(
            &pairs.w1,
            &narrow.net.b1,
            x,
            n,
            24 * 1024,
            &mut scratch,
            &mut sums,
            &mut sigma,
        );
        for (s, (a, b)) in wide
            .chunks_exact(net.hp)
            .zip(sums.chunks_exact(hp))
            .enumerate()
        {
            for j in 0..net.h {
                let diff = (a[j] - b[j] as f64).abs();
                let e = bound.e1[j] + sigma[s] * pairs.w1.half_step[j] * 1.01;
                assert!(diff <= e, "net {i}, image {s}, unit {j}: {diff:e} > {e:e}");
            }
        }
        let k = net.k;
        let (wide_scores, scores) = both_scores(&net, &wide, &narrow.net, &sums, t);
        for (s, (a, b)) in wide_scores
            .chunks_exact(k)
            .zip(scores.chunks_exact(k))
            .enumerate()
        {
            let d = (narrow.gap + sigma[s] * pairs.per_sigma) / 2.02;
            for c in 0..k {
                let apart = (a[c] - b[c] as f64).abs();
                assert!(
                    apart <= d,
                    "net {i}, image {s}, class {c}: {apart:e} > {d:e}"
                );
            }
        }
    }
}
