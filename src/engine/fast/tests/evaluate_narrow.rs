//! Tests of f64 evaluation with f32 hidden sums (`evaluate_narrow.rs`): the counts are the f64 ones.

use super::*;
use crate::data::{Dataset, Split};
use crate::train::{TrainConfig, Trainer};
use crate::two_layer_net::TwoLayerNet;

/// The f64 evaluation's count, every image wholly in f64.
fn in_f64(net: &FastNet<f64>, split: &Split) -> usize {
    exact(net, split)
}

/// The evaluation's count in the network's own precision, every image
/// on the exact path.
pub(super) fn exact<F: Float>(net: &FastNet<F>, split: &Split) -> usize {
    let mut s = EvalScratch::<F>::default();
    let (x, t, v) = (split.images(), split.labels(), split.pixel_values());
    count_correct(net, x, t, v, &mut s.panels, &mut s.a1, &mut s.z1, &mut s.a2)
}

/// The count with the hidden sums in f32, and how many images it had
/// to evaluate again in f64; 100 images at a time, as an evaluation.
fn narrowed(net: &FastNet<f64>, split: &Split) -> (usize, usize) {
    let narrow = Narrow::with_pairs(net, split.pixel_values(), false).expect("bounds hold");
    counted(&narrow, net, split)
}

/// `narrow`'s count of `split`, 100 images at a time, as an evaluation,
/// and how many it evaluated again.
pub(super) fn counted<F: Float>(
    narrow: &Narrow,
    net: &FastNet<F>,
    split: &Split,
) -> (usize, usize) {
    let mut s = EvalScratch::<F>::default();
    let d = split.pixels_per_image();
    let (mut correct, mut again) = (0, 0);
    for (x, t) in split
        .images()
        .chunks(100 * d)
        .zip(split.labels().chunks(100))
    {
        correct += narrow.count_correct(net, x, t, split.pixel_values(), &mut s);
        again += s.recheck.len();
    }
    (correct, again)
}

pub(super) fn trained(data: &Dataset, activation: Activation, hidden: usize) -> TwoLayerNet {
    let config = TrainConfig {
        activation,
        hidden_size: hidden,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(data, &config, None).unwrap();
    for _ in 0..300 {
        trainer.step();
    }
    trainer.net()
}

/// A trained network: the same count, nearly every image settled by
/// the f32 sums.
#[test]
fn the_count_is_the_f64_count() {
    let data = Dataset::embedded();
    let split = data.test.take(3000);
    for (activation, hidden) in [(Activation::Sigmoid, 50), (Activation::Relu, 37)] {
        let net = FastNet::<f64>::from_net(&trained(&data, activation, hidden));
        let (correct, again) = narrowed(&net, &split);
        assert_eq!(correct, in_f64(&net, &split), "{activation:?}");
        assert!(
            again < split.len() / 20,
            "{activation:?}: {again} evaluated again"
        );
    }
}

/// Each image with a network whose scores for its label and a rival
/// differ by 10⁻⁹ (its biases set so): about as often as not, the f32
/// sums put the rival first. Every such image is evaluated again in
/// f64, and the count is the f64 one.
#[test]
fn near_ties_are_evaluated_again() {
    near_ties(None);
}

/// [`near_ties_are_evaluated_again`] on the book's float32 images: each
/// value the float32 nearest k/255, which AMX reads as k/255.
#[test]
fn near_ties_of_float32_images_are_evaluated_again() {
    near_ties(Some(f32_values()));
}

/// fl32(k/255) for each byte k, widened: the book's float32 images.
pub(super) fn f32_values() -> [f64; 256] {
    std::array::from_fn(|k| f64::from(k as f32 / 255.0))
}

/// `net` with its biases set so that, on `image` (bytes standing for
/// `values`, byte / 255 without them), `label` leads its closest rival by
/// 10⁻⁹ in f64; and the image as a split of one.
pub(super) fn tie(
    net: &TwoLayerNet,
    image: &[u8],
    label: usize,
    values: Option<[f64; 256]>,
) -> (TwoLayerNet, Split) {
    let p = &net.params;
    let value = |b: u8| values.map_or(b as f64 / 255.0, |v| v[b as usize]);
    // The scores a2 = σ(x·W1 + b1)·W2 + b2, in f64.
    let x = ndarray::Array1::from_iter(image.iter().map(|&b| value(b)));
    let z = (x.dot(&p.w1) + &p.b1).mapv(|a| 1.0 / (1.0 + (-a).exp()));
    let a2 = z.dot(&p.w2) + &p.b2;
    let rival = (0..a2.len())
        .filter(|&c| c != label)
        .max_by(|&a, &b| a2[a].total_cmp(&a2[b]))
        .unwrap();
    let mut tied = net.clone();
    tied.params.b2[label] += 100.0;
    tied.params.b2[rival] += 100.0 + (a2[label] - a2[rival]) - 1e-9;
    let d = image.len();
    let mut one = Split::new(image.to_vec(), vec![label as u8], 28, d / 28).unwrap();
    if let Some(values) = values {
        one = one.with_pixel_values(values);
    }
    (tied, one)
}

/// 40 images, each with a network whose label leads a rival by 10⁻⁹ in
/// f64, the bytes standing for `values` (byte / 255 without them).
fn near_ties(values: Option<[f64; 256]>) {
    let data = Dataset::embedded();
    let net = trained(&data, Activation::Sigmoid, 50);
    let n = 40;
    let (mut correct, mut f64_correct, mut again) = (0, 0, 0);
    for i in 0..n {
        let (tied, one) = tie(&net, data.test.image(i), data.test.label(i), values);
        let tied = FastNet::<f64>::from_net(&tied);
        let (c, a) = narrowed(&tied, &one);
        (correct, again) = (correct + c, again + a);
        f64_correct += in_f64(&tied, &one);
    }
    assert_eq!(f64_correct, n, "the label leads by 10⁻⁹ in f64");
    assert_eq!(correct, f64_correct);
    assert_eq!(again, n);
}

/// The f32 sums are within E1 of the f64 ones, unit by unit, image by
/// image, and the f32 scores within D (half the gap) of the f64 scores:
/// trained networks, large and tiny weights, ReLU, a split with its own
/// pixel values, the book's float32 images.
#[test]
fn the_f32_sums_and_scores_are_within_the_bounds() {
    let data = Dataset::embedded();
    let split = data.test.take(1000);
    let mut values = [0.0; 256];
    for (b, v) in values.iter_mut().enumerate() {
        *v = (b as f64 / 255.0).sqrt() * 3.0;
    }
    let own = split.clone().with_pixel_values(values);
    let f32s = split.clone().with_pixel_values(f32_values());
    let nets = [
        (trained(&data, Activation::Sigmoid, 50), &split),
        (trained(&data, Activation::Relu, 37), &split),
        (TwoLayerNet::new(784, 50, 10, 1.0), &split),
        (TwoLayerNet::new(784, 20, 10, 1e-30), &split),
        (trained(&data, Activation::Sigmoid, 50), &own),
        (trained(&data, Activation::Sigmoid, 50), &f32s),
        (TwoLayerNet::new(784, 50, 10, 1.0), &f32s),
    ];
    for (i, (net, split)) in nets.iter().enumerate() {
        let net = FastNet::<f64>::from_net(net);
        let narrow = FastNet::<f32>::narrowed(&net);
        let values = split.pixel_values();
        let bound = hidden_bound(&net, values).expect("bounds hold");
        let (x, t, n) = (split.images(), split.labels(), split.len());
        let mut wide = vec![0.0f64; n * net.hp];
        let mut sums = vec![0.0f32; n * narrow.hp];
        let (s64, s32) = (scale_for::<f64>(values), scale_for::<f32>(values));
        let amx = amx_reads(values);
        let mut panels = Panels::default();
        hidden_sums(&net, x, t, &mut panels, &s64, amx, &mut wide);
        hidden_sums(&narrow, x, t, &mut panels, &s32, amx, &mut sums);
        for (a, b) in wide.chunks_exact(net.hp).zip(sums.chunks_exact(narrow.hp)) {
            for j in 0..net.h {
                let diff = (a[j] - b[j] as f64).abs();
                assert!(
                    diff <= bound.e1[j],
                    "net {i}, unit {j}: {diff:e} > {:e}",
                    bound.e1[j]
                );
            }
        }
        let (wide_scores, scores) = both_scores(&net, &wide, &narrow, &sums, t);
        let d = gap(&net, values, false, None).expect("bounds hold").0 / 2.02;
        let worst = wide_scores
            .iter()
            .zip(&scores)
            .map(|(&a, &b)| (a - b as f64).abs())
            .fold(0.0, f64::max);
        assert!(worst <= d, "net {i}: scores {worst:e} apart > {d:e}");
    }
}

/// The scores of `n` = `t.len()` images: the f64 evaluation's tail on its
/// own sums `wide`, and the f32 one (`narrow`) on the fast sums `sums`.
pub(super) fn both_scores(
    net: &FastNet<f64>,
    wide: &[f64],
    narrow: &FastNet<f32>,
    sums: &[f32],
    t: &[u8],
) -> (Vec<f64>, Vec<f32>) {
    let (n, k) = (t.len(), net.k);
    let mut z = Aligned::<f64>::default();
    z.resize(n * net.hp, 0.0);
    activate(net.activation, wide, &mut z);
    let mut wide_scores = vec![0.0f64; n * k];
    net.output_layer().rows(level(), &z, n, &mut wide_scores);
    let (mut z32, mut scores, mut recheck) = (Aligned::default(), Vec::new(), Vec::new());
    let no_sigma = (&[][..], 0.0);
    score_settled(
        narrow,
        sums,
        t,
        0.0,
        no_sigma,
        &mut z32,
        &mut scores,
        &mut recheck,
    );
    (wide_scores, scores)
}

/// The values AMX reads as its own (byte / 255, or within a rounding
/// of it), and not others: a value one float32 step off is refused.
#[test]
fn amx_reads_byte_over_255_and_its_float32() {
    let exact: [f64; 256] = std::array::from_fn(|k| k as f64 / 255.0);
    assert!(amx_reads(None) && amx_reads(Some(&exact)) && amx_reads(Some(&f32_values())));
    let mut off = f32_values();
    off[77] = f64::from(f32::from_bits((77.0f32 / 255.0).to_bits() + 1));
    assert!(!amx_reads(Some(&off)));
    let bytes: [f64; 256] = std::array::from_fn(|k| k as f64);
    assert!(!amx_reads(Some(&bytes)));
}

/// The book's float32 images (AMX where the processor has it): the
/// f64 count.
#[test]
fn float32_images_count_the_same() {
    let data = Dataset::embedded();
    let split = data.test.take(3000).with_pixel_values(f32_values());
    let net = FastNet::<f64>::from_net(&trained(&data, Activation::Sigmoid, 50));
    let (correct, again) = narrowed(&net, &split);
    assert_eq!(correct, in_f64(&net, &split));
    assert!(again < split.len() / 20, "{again} evaluated again");
}

/// A split with its own pixel values (not byte / 255, so not AMX).
#[test]
fn own_pixel_values_count_the_same() {
    let data = Dataset::embedded();
    let mut values = [0.0; 256];
    for (b, v) in values.iter_mut().enumerate() {
        *v = (b as f64 / 255.0).sqrt() * 3.0;
    }
    let split = data.test.take(1000).with_pixel_values(values);
    let net = FastNet::<f64>::from_net(&trained(&data, Activation::Sigmoid, 50));
    let (correct, _) = narrowed(&net, &split);
    assert_eq!(correct, in_f64(&net, &split));
}

/// Weights out of f32's reach, or not finite: no f32 sums at all.
#[test]
fn out_of_reach_weights_stay_in_f64() {
    let mut net = TwoLayerNet::new(784, 20, 10, 0.01);
    assert!(Narrow::new(&FastNet::<f64>::from_net(&net), None).is_some());
    assert!(Narrow::new(&FastNet::<f32>::from_net(&net), None).is_none());
    net.params.w1[[3, 4]] = 1e35;
    assert!(Narrow::new(&FastNet::<f64>::from_net(&net), None).is_none());
    net.params.w1[[3, 4]] = 0.0;
    net.params.w2[[5, 2]] = f64::NAN;
    assert!(Narrow::new(&FastNet::<f64>::from_net(&net), None).is_none());
}

/// Pixel values below f32's normal numbers (2⁻¹⁶⁰ a step) times a
/// weight of 2¹²⁰: in f32 the values are 0, in f64 the unit's sum
/// decides the answer. Such images stay in f64, and the count is the
/// book's.
#[test]
fn values_f32_cannot_hold_stay_in_f64() {
    let d = 784;
    let mut w1 = ndarray::Array2::<f64>::zeros((d, 1));
    w1[[0, 0]] = 2f64.powi(120);
    let params = crate::params::Params {
        w1,
        b1: ndarray::Array1::from(vec![0.0]),
        w2: ndarray::Array2::from_shape_vec((1, 2), vec![1.0, 0.0]).unwrap(),
        b2: ndarray::Array1::from(vec![0.0, 1.2e-10]),
    };
    let net = TwoLayerNet::from_params(params, Activation::Relu);
    let values: [f64; 256] = std::array::from_fn(|b| b as f64 * 2f64.powi(-160));
    let mut images = vec![0u8; 16 * d];
    for i in 0..16 {
        images[i * d] = 255;
    }
    let split = Split::new(images, vec![0; 16], 28, 28)
        .unwrap()
        .with_pixel_values(values);
    let fast = FastNet::<f64>::from_net(&net);
    assert!(Narrow::new(&fast, split.pixel_values()).is_none());
    let x = ndarray::Array2::from_shape_fn((16, d), |(i, p)| {
        values[split.images()[i * d + p] as usize]
    });
    let labels: Vec<usize> = split.labels().iter().map(|&l| l as usize).collect();
    assert_eq!(net.accuracy(&x, labels.as_slice()), 1.0);
    assert_eq!(crate::engine::evaluate(&net, &split), 1.0);
    // A weight of 2¹²⁰ with ordinary values: no f32 sums either.
    assert!(Narrow::new(&fast, None).is_none());
}
