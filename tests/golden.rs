//! Golden values from the book and its reference code (the table in
//! docs/book-values.md, with their sources). Each test quotes the NumPy line
//! it mirrors.

use ndarray::{Array1, Array2, array};

use manabi::functions::{
    Target, cross_entropy_error, cross_entropy_error_1d, softmax, softmax_rows, sum_squared_error,
};
use manabi::gradient::{gradient_descent, numerical_diff, numerical_gradient};
use manabi::{Activation, Params, TwoLayerNet};

/// |a − b| ≤ tol·max(1, |b|).
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[track_caller]
fn assert_close(a: f64, b: f64, tol: f64) {
    assert!(close(a, b, tol), "got {a:e}, expected {b:e} (tol {tol:e})");
}

#[track_caller]
fn assert_all_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(
            close(x, y, tol),
            "element {i}: got {x:e}, expected {y:e} (tol {tol:e})\n got {a:?}\nwant {b:?}"
        );
    }
}

// def function_1(x): return 0.01*x**2 + 0.1*x
fn function_1(x: f64) -> f64 {
    0.01 * x.powi(2) + 0.1 * x
}

// def function_2(x): return x[0]**2 + x[1]**2
fn function_2(x: &Array1<f64>) -> f64 {
    x[0].powi(2) + x[1].powi(2)
}

#[test]
fn numerical_diff_of_function_1() {
    // numerical_diff(function_1, 5) -> 0.1999999999990898
    assert_close(numerical_diff(function_1, 5.0), 0.1999999999990898, 1e-12);
    // numerical_diff(function_1, 10) -> 0.2999999999986347
    assert_close(numerical_diff(function_1, 10.0), 0.2999999999986347, 1e-12);
}

#[test]
fn numerical_gradient_of_function_2() {
    // numerical_gradient(function_2, np.array([3.0, 4.0]))
    let cases = [
        ([3.0, 4.0], [6.00000000000378, 7.999999999999119]),
        ([0.0, 2.0], [0.0, 4.000000000004]),
        ([3.0, 0.0], [6.000000000012662, 0.0]),
    ];
    for (x0, want) in cases {
        let mut x = Array1::from(x0.to_vec());
        let g = numerical_gradient(function_2, &mut x);
        assert_all_close(g.as_slice().unwrap(), &want, 1e-12);
        assert_eq!(x.as_slice().unwrap(), &x0, "x must be restored exactly");
    }
}

#[test]
fn numerical_gradient_handles_any_shape() {
    // A (2, 3) matrix: f(W) = Σ W², ∇ = 2W.
    let mut w = array![[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]];
    let before = w.clone();
    let g = numerical_gradient(|w: &Array2<f64>| w.mapv(|v| v * v).sum(), &mut w);
    assert_eq!(w, before);
    for (g, w) in g.iter().zip(&before) {
        assert_close(*g, 2.0 * w, 1e-9);
    }
}

#[test]
fn gradient_descent_at_three_learning_rates() {
    let init = || array![-3.0, 4.0];
    // gradient_descent(function_2, init_x, lr=0.1, step_num=100)
    let d = gradient_descent(function_2, init(), 0.1, 100);
    assert_all_close(
        d.x.as_slice().unwrap(),
        &[-6.111107928998789e-10, 8.148143905314271e-10],
        1e-9,
    );
    assert_eq!(d.history.len(), 100);
    assert_eq!(d.history[0], init());
    // lr=10: diverges, then stalls once x + h rounds to x.
    let d = gradient_descent(function_2, init(), 10.0, 100);
    assert_all_close(
        d.x.as_slice().unwrap(),
        &[-2.5898374737328363e13, -1.2952486168965398e12],
        1e-12,
    );
    // lr=1e-10: barely moves.
    let d = gradient_descent(function_2, init(), 1e-10, 100);
    assert_all_close(
        d.x.as_slice().unwrap(),
        &[-2.999999939999995, 3.9999999199999934],
        1e-14,
    );
    // the script's lr=0.1, step_num=20: x0 · 0.8²⁰
    let d = gradient_descent(function_2, init(), 0.1, 20);
    assert_all_close(
        d.x.as_slice().unwrap(),
        &[-0.03458764513817675, 0.04611686018418694],
        1e-10,
    );
}

fn slide_y() -> Array1<f64> {
    array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
}

fn slide_y7() -> Array1<f64> {
    array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
}

fn one_hot_2() -> Array1<f64> {
    let mut t = Array1::zeros(10);
    t[2] = 1.0;
    t
}

#[test]
fn the_slides_loss_examples() {
    // sum_squared_error(np.array(y), np.array(t)) -> 0.09750000000000003 (slide: 0.0975)
    assert_close(
        sum_squared_error(&slide_y(), &one_hot_2()),
        0.09750000000000003,
        1e-14,
    );
    // cross_entropy_error(np.array(y), np.array(t)) -> 0.510825457099338 (slide: 0.51082)
    assert_close(
        cross_entropy_error_1d(&slide_y(), &one_hot_2()),
        0.510825457099338,
        1e-14,
    );
    // the same with y peaked at 7: 0.5975 / 2.302584092994546
    assert_close(sum_squared_error(&slide_y7(), &one_hot_2()), 0.5975, 1e-14);
    assert_close(
        cross_entropy_error_1d(&slide_y7(), &one_hot_2()),
        2.302584092994546,
        1e-14,
    );
}

#[test]
fn cross_entropy_of_a_batch_one_hot_or_labels() {
    let mut y = Array2::zeros((2, 10));
    y.row_mut(0).assign(&slide_y());
    y.row_mut(1).assign(&slide_y7());
    let mut t = Array2::zeros((2, 10));
    t.row_mut(0).assign(&one_hot_2());
    t.row_mut(1).assign(&one_hot_2());
    // cross_entropy_error(y, t) -> 1.406704775046942, the mean of the two rows
    assert_close(
        cross_entropy_error(&y, Target::from(&t)),
        1.406704775046942,
        1e-14,
    );
    let labels = [2usize, 2];
    assert_close(
        cross_entropy_error(&y, Target::from(&labels[..])),
        1.406704775046942,
        1e-14,
    );
}

#[test]
fn softmax_values_and_stability() {
    // softmax(np.array([0.3, 2.9, 4.0]))
    let y = softmax(&array![0.3, 2.9, 4.0]);
    assert_all_close(
        y.as_slice().unwrap(),
        &[0.01821127329554753, 0.24519181293507392, 0.7365969137693786],
        1e-14,
    );
    // softmax(np.array([1010, 1000, 990])): the naive form gives NaN
    let y = softmax(&array![1010.0, 1000.0, 990.0]);
    assert_all_close(
        y.as_slice().unwrap(),
        &[
            0.999954600070331,
            4.539786860886666e-05,
            2.061060046209062e-09,
        ],
        1e-13,
    );
    let naive = array![1010.0f64, 1000.0, 990.0].mapv(f64::exp);
    assert!(
        (naive[0] / naive.sum()).is_nan(),
        "the naive softmax should overflow"
    );
    // and row by row in a batch
    let yb = softmax_rows(&array![[1010.0, 1000.0, 990.0], [0.3, 2.9, 4.0]]);
    assert_close(yb[[1, 2]], 0.7365969137693786, 1e-14);
}

// class simpleNet: W (2, 3), predict(x) = x·W, loss = CE(softmax(x·W), t)
fn simple_net_w() -> Array2<f64> {
    array![
        [0.47355232, 0.9977393, 0.84668094],
        [0.85557411, 0.03563661, 0.69422093]
    ]
}

fn simple_net_loss(w: &Array2<f64>, x: &Array1<f64>, t: &Array1<f64>) -> f64 {
    let z = x.dot(w);
    cross_entropy_error_1d(&softmax(&z), t)
}

#[test]
fn simple_net_predict_loss_and_gradient() {
    let x = array![0.6, 0.9];
    let t = array![0.0, 0.0, 1.0];
    let mut w = simple_net_w();
    let p = x.dot(&w);
    assert_all_close(
        p.as_slice().unwrap(),
        &[1.054148091, 0.630716529, 1.132807401],
        1e-9,
    );
    assert_eq!(manabi::functions::argmax(p.view()), 2);
    assert_close(simple_net_loss(&w, &x, &t), 0.9280682857864075, 1e-14);
    // dW = numerical_gradient(lambda W: net.loss(x, t), net.W)
    let dw = numerical_gradient(|w| simple_net_loss(w, &x, &t), &mut w);
    let want = [
        0.2192475712392561,
        0.14356242984070455,
        -0.3628100010055757,
        0.3288713569016277,
        0.21534364482433954,
        -0.5442150014745017,
    ];
    assert_all_close(dw.as_slice().unwrap(), &want, 1e-9);
}

#[test]
fn simple_net_gradient_properties_for_any_weights() {
    // The notebook's random W gives rows in ratio 1.5 (= 0.9/0.6) each summing to 0.
    let x = array![0.6, 0.9];
    let t = array![0.0, 0.0, 1.0];
    let mut rng = manabi::random::Rng::new(5);
    let mut w = rng.randn(2, 3);
    let dw = numerical_gradient(|w| simple_net_loss(w, &x, &t), &mut w);
    for j in 0..3 {
        assert_close(dw[[1, j]], 1.5 * dw[[0, j]], 1e-6);
    }
    assert!(dw.row(0).sum().abs() < 1e-7 && dw.row(1).sum().abs() < 1e-7);
}

/// The book's chapter-3 weights in a 2→3→2 TwoLayerNet.
fn tiny_net(activation: Activation) -> TwoLayerNet {
    let params = Params {
        w1: array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
        b1: array![0.1, 0.2, 0.3],
        w2: array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]],
        b2: array![0.1, 0.2],
    };
    TwoLayerNet::from_params(params, activation)
}

fn tiny_batch() -> (Array2<f64>, Array2<f64>) {
    (
        array![[1.0, 0.5], [0.0, -2.0]],
        array![[0.0, 1.0], [1.0, 0.0]],
    )
}

#[test]
fn deterministic_two_layer_net_sigmoid() {
    let net = tiny_net(Activation::Sigmoid);
    let (x, t) = tiny_batch();
    assert_close(net.loss(&x, &t), 0.664672303323273, 1e-13);
    assert_eq!(net.accuracy(&x, &t), 0.5);
    let labels = ndarray::arr1(&[1usize, 0]);
    assert_eq!(net.accuracy(&x, &labels), 0.5);
    let g = net.gradient(&x, &t);
    assert_all_close(
        g.b2.as_slice().unwrap(),
        &[-0.13568099412, 0.13568099412],
        1e-9,
    );
    assert_all_close(
        g.b1.as_slice().unwrap(),
        &[0.009950504025, 0.009664958643, 0.009268416952],
        1e-9,
    );
    // The reference code's max gap is ≈5e-8 (5.14e-8 on b2, from the 1e-7 in the log).
    let n = net.numerical_gradient(&x, &t);
    for ((name, a), (_, b)) in g.slices().into_iter().zip(n.slices()) {
        let max = a
            .iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            max <= 6e-8,
            "{name}: numerical vs backprop max diff {max:e}"
        );
    }
}

#[test]
fn deterministic_two_layer_net_relu() {
    let net = tiny_net(Activation::Relu);
    let (x, t) = tiny_batch();
    // The scores before softmax (ch05's predict): [[0.6, 1.33], [0.1, 0.2]]
    let z = (x.dot(&net.params.w1) + &net.params.b1).mapv(|v: f64| v.max(0.0));
    let scores = z.dot(&net.params.w2) + &net.params.b2;
    let want = [0.6, 1.33, 0.1, 0.2];
    assert_all_close(scores.as_slice().unwrap(), &want, 1e-12);
    assert_close(net.loss(&x, &t), 0.5688637080791402, 1e-13);
    let g = net.gradient(&x, &t);
    assert_all_close(
        g.b2.as_slice().unwrap(),
        &[-0.099892230031, 0.099892230031],
        1e-9,
    );
    let n = net.numerical_gradient(&x, &t);
    for ((name, a), (_, b)) in g.slices().into_iter().zip(n.slices()) {
        let max = a
            .iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            max <= 5e-8,
            "{name}: numerical vs backprop max diff {max:e}"
        );
    }
}

#[test]
fn an_untrained_net_guesses() {
    // Initial loss ≈ ln 10 = 2.3026 and initial accuracy ≈ 0.1 on real digits.
    let data = manabi::data::Dataset::embedded();
    let indices: Vec<usize> = (0..1000).collect();
    let (x, t) = manabi::data::gather_batch(&data.train, &indices);
    let net = TwoLayerNet::new(784, 50, 10, 0.01);
    let loss = net.loss(&x, &t[..]);
    assert!((loss - 10f64.ln()).abs() < 0.02, "initial loss {loss}");
    let acc = net.accuracy(&x, &t[..]);
    assert!((0.03..0.2).contains(&acc), "initial accuracy {acc}");
}

#[test]
fn gradient_check_magnitudes_on_real_digits() {
    // ch05/gradient_check.py: x_batch = x_train[:3]; mean |backprop − numerical| per parameter.
    // Sigmoid: W1 ~1e-10, b1 ~1e-9, W2 ~1e-7 and b2 ~1e-7 from the 1e-7 inside the log.
    let data = manabi::data::Dataset::embedded();
    let (x, t) = manabi::data::gather_batch(&data.train, &[0, 1, 2]);
    let net = TwoLayerNet::new(784, 50, 10, 0.01);
    let numerical = net.numerical_gradient(&x, &t[..]);
    let backprop = net.gradient(&x, &t[..]);
    let mut means = std::collections::HashMap::new();
    for ((name, a), (_, b)) in backprop.slices().into_iter().zip(numerical.slices()) {
        let mean = a.iter().zip(b).map(|(a, b)| (a - b).abs()).sum::<f64>() / a.len() as f64;
        assert!(mean < 1e-6, "{name}: mean diff {mean:e}");
        means.insert(name, mean);
    }
    assert!(means["W1"] < 1e-8 && means["b1"] < 1e-8, "{means:?}");
    // The delta's fingerprint: b2's gap is far above rounding noise.
    assert!(means["b2"] > 1e-9, "{means:?}");
}
