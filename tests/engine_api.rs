//! What every engine offers through the `Engine` trait, checked on both
//! engines alike: `grads` after `gradient` (and `grads_into`), `set_params`
//! and `set_params_from`, `accuracy_of` on images made chunk by chunk.

use manabi::data::{Dataset, gather_batch};
use manabi::engine::{self, Engine, EngineKind, GradientMethod, ImageSource, Precision};
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
    EngineKind::ALL.map(|kind| (kind, engine::new(kind, Precision::F64, net)))
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
        // An update made before set_params is overwritten by it.
        engine.update_and_loss(0.5);
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
fn set_params_from_says_whether_anything_changed_and_grads_into_fills_arrays() {
    fn slices(v: &[Vec<f64>; 4]) -> [&[f64]; 4] {
        v.each_ref().map(|v| &v[..])
    }
    let data = Dataset::embedded();
    let batch: Vec<usize> = (0..30).collect();
    let (x, t) = gather_batch(&data.train, &batch);
    let first = net(1);
    let values = |p: &Params| p.slices().map(|(_, v)| v.to_vec());
    for (kind, mut engine) in engines(&first) {
        engine.load_batch(&data.train, &batch);
        let same = values(&first.params);
        assert!(
            !engine.set_params_from(slices(&same)),
            "{kind:?}: unchanged"
        );
        // One number of each array, in turn, and only that one.
        let mut moved = first.params.clone();
        for (name, at) in [("W1", 784 * 50 - 1), ("b1", 0), ("W2", 17), ("b2", 9)] {
            let (_, v) = moved
                .slices_mut()
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap();
            v[at] -= 0.25;
            let now = values(&moved);
            assert!(
                engine.set_params_from(slices(&now)),
                "{kind:?}: {name}[{at}]"
            );
            assert!(
                !engine.set_params_from(slices(&now)),
                "{kind:?}: {name} again"
            );
            assert_eq!(engine.net().params, moved, "{kind:?}: {name}");
        }
        let loss = engine.loss();
        let want = TwoLayerNet::from_params(moved.clone(), first.activation);
        let want_loss = want.loss(&x, &t[..]);
        assert!(
            (loss - want_loss).abs() < 1e-13,
            "{kind:?}: {loss} vs {want_loss}"
        );
        engine.gradient(GradientMethod::Backprop);
        let diff = max_diff(&engine.grads(), &want.gradient(&x, &t[..]));
        assert!(diff < 1e-14, "{kind:?}: gradient differs by {diff:e}");
        // Written into arrays of the caller's: the same numbers.
        let mut arrays = values(&Params::zeros(784, 50, 10));
        engine.grads_into(arrays.each_mut().map(|v| &mut v[..]));
        assert_eq!(arrays, values(&engine.grads()), "{kind:?}: grads_into");
    }
}

#[test]
#[should_panic(expected = "other sizes")]
fn set_params_refuses_other_sizes() {
    let mut engine = engine::new(EngineKind::Fast, Precision::F64, &net(1));
    engine.set_params(&Params::zeros(784, 20, 10));
}

/// NumPy's float32 `k / 255`, the book's `normalize=True` pixels, as f64.
fn f32_values() -> [f64; 256] {
    std::array::from_fn(|k| (k as f32 / 255.0) as f64)
}

#[test]
fn both_engines_read_pixels_as_the_splits_values() {
    let data = Dataset::embedded();
    let split = data.train.take(300);
    let batch: Vec<usize> = (0..100).map(|i| i * 7 % 300).collect();
    let net = net(5);
    for (what, values, tol) in [
        ("f32 k/255", f32_values(), 1e-14),
        ("k", std::array::from_fn(|k| k as f64), 1e-12),
    ] {
        let split = split.clone().with_pixel_values(values);
        let (x, t) = gather_batch(&split, &batch);
        // The matrix holds the values, not k/255.
        let (row, _) = gather_batch(&split, &[0]);
        for (v, &p) in row.iter().zip(split.image(0)) {
            assert_eq!(v.to_bits(), values[usize::from(p)].to_bits());
        }
        let want_loss = net.loss(&x, &t[..]);
        let want_grads = net.gradient(&x, &t[..]);
        for (kind, mut engine) in engines(&net) {
            engine.load_batch(&split, &batch);
            let loss = engine.loss();
            assert!(
                (loss - want_loss).abs() < tol,
                "{what} {kind:?}: {loss} vs {want_loss}"
            );
            engine.gradient(GradientMethod::Backprop);
            let diff = max_diff(&engine.grads(), &want_grads);
            assert!(diff < tol, "{what} {kind:?}: gradient differs by {diff:e}");
            let acc = engine.accuracy(&split);
            let want = engine::evaluate(&net, &split);
            assert_eq!(acc, want, "{what} {kind:?}");
        }
        // f32 reads the values too (so not through AMX's k/255).
        let mut engine = engine::new(EngineKind::Fast, Precision::F32, &net);
        engine.load_batch(&split, &batch);
        let loss = engine.loss();
        assert!(
            (loss - want_loss).abs() < 1e-4 * want_loss.abs().max(1.0),
            "{what} f32: {loss} vs {want_loss}"
        );
    }
}

#[test]
fn the_fast_numerical_gradient_reads_the_splits_values() {
    let data = Dataset::embedded();
    let split = data.train.take(20).with_pixel_values(f32_values());
    let batch: Vec<usize> = (0..20).collect();
    let mut rng = manabi::random::Rng::new(9);
    let net = TwoLayerNet::with_rng(784, 3, 10, 0.1, &mut rng);
    let (x, t) = gather_batch(&split, &batch);
    let want = net.numerical_gradient(&x, &t[..]);
    let mut engine = engine::new(EngineKind::Fast, Precision::F64, &net);
    engine.load_batch(&split, &batch);
    engine.gradient(GradientMethod::NumericalFast);
    let diff = max_diff(&engine.grads(), &want);
    assert!(diff < 1e-9, "differs by {diff:e}");
}

#[test]
#[should_panic(expected = "byte 0 must stand for 0")]
fn pixel_values_keep_zero_for_zero() {
    let split = manabi::data::Split::new(vec![0, 1], vec![3], 1, 2).unwrap();
    let _ = split.with_pixel_values([1.0; 256]);
}

/// `accuracy_of` on `split`'s images, made by copying them: the accuracy,
/// and how many times each image was made.
fn accuracy_made(
    engine: &mut dyn Engine,
    split: &manabi::data::Split,
    values: &[f64; 256],
    fail_at: Option<usize>,
) -> (Option<f64>, Vec<usize>) {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let (x, d) = (split.images(), split.pixels_per_image());
    let made: Vec<AtomicUsize> = (0..split.len()).map(|_| AtomicUsize::new(0)).collect();
    let make = |first: usize, out: &mut [u8]| {
        let images = first..first + out.len() / d;
        if fail_at.is_some_and(|i| images.contains(&i)) {
            return false;
        }
        for i in images {
            made[i].fetch_add(1, Relaxed);
        }
        out.copy_from_slice(&x[first * d..][..out.len()]);
        true
    };
    let source = ImageSource::new(d, split.labels(), values, &make);
    let accuracy = engine.accuracy_of(&source);
    (accuracy, made.iter().map(|m| m.load(Relaxed)).collect())
}

#[test]
fn accuracy_of_made_images_is_the_splits_and_one_image_not_made_ends_it() {
    let data = Dataset::embedded();
    let net = net(11);
    for values in [std::array::from_fn(|k| k as f64 / 255.0), f32_values()] {
        // Chunks of several sizes: the whole split, fewer images than a
        // chunk, none.
        for split in [data.train.clone(), data.test.take(77), data.test.take(0)] {
            let split = split.with_pixel_values(values);
            let mut all: Vec<(String, Box<dyn Engine + Send>)> = engines(&net)
                .into_iter()
                .map(|(kind, e)| (format!("{kind:?} f64"), e))
                .collect();
            all.push((
                "Fast f32".into(),
                engine::new(EngineKind::Fast, Precision::F32, &net),
            ));
            for (what, mut engine) in all {
                let want = engine.accuracy(&split);
                let (got, made) = accuracy_made(&mut *engine, &split, &values, None);
                assert_eq!(got, Some(want), "{what}, {} images", split.len());
                assert!(made.iter().all(|&m| m == 1), "{what}: each image made once");
                if split.len() > 1 {
                    let at = Some(split.len() * 2 / 3);
                    let (got, _) = accuracy_made(&mut *engine, &split, &values, at);
                    assert_eq!(got, None, "{what}: an image not made");
                    // And the engine counts as before afterwards.
                    assert_eq!(engine.accuracy(&split), want, "{what} afterwards");
                }
            }
        }
    }
    // With more threads than the two of a team, the pool's threads count.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    pool.install(|| {
        let mut engine = engine::new(EngineKind::Fast, Precision::F64, &net);
        let split = data.train.clone();
        let values = std::array::from_fn(|k| k as f64 / 255.0);
        let want = engine.accuracy(&split);
        let (got, made) = accuracy_made(&mut *engine, &split, &values, None);
        assert_eq!(got, Some(want));
        assert!(made.iter().all(|&m| m == 1));
        let (got, _) = accuracy_made(&mut *engine, &split, &values, Some(4000));
        assert_eq!(got, None);
    });
}
