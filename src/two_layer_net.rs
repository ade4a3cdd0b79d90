//! `TwoLayerNet`: the network chapter 4 trains, with both of its gradients.
//!
//! ```text
//! x ──▶ a1 = x·W1 + b1 ──▶ z1 = σ(a1) ──▶ a2 = z1·W2 + b2 ──▶ y = softmax(a2)
//! (N,784)     (N,50)           (N,50)           (N,10)             (N,10)
//! ```
//!
//! | book (`ch04/two_layer_net.py`, `ch05/two_layer_net.py`) | here |
//! | --- | --- |
//! | `TwoLayerNet(input_size, hidden_size, output_size, weight_init_std)` | [`TwoLayerNet::new`] |
//! | `net.params['W1']` … | [`TwoLayerNet::params`] (`.w1` …, or `.get("W1")`) |
//! | `predict(x)` | [`TwoLayerNet::predict`] |
//! | `loss(x, t)` | [`TwoLayerNet::loss`] |
//! | `accuracy(x, t)` | [`TwoLayerNet::accuracy`] |
//! | `numerical_gradient(x, t)` | [`TwoLayerNet::numerical_gradient`] (chapter 4: slow, obviously right) |
//! | `gradient(x, t)` | [`TwoLayerNet::gradient`] (chapter 5: backprop, fast) |

use ndarray::{Array1, Array2};

use crate::functions::{Target, argmax, cross_entropy_error, relu, sigmoid, softmax_rows};
use crate::gradient::numerical_gradient;
use crate::layers::{Affine, Relu, Sigmoid, SoftmaxWithLoss};
use crate::params::Params;
use crate::random::{DEFAULT_SEED, Rng};

/// The hidden layer's activation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// σ(x) = 1 / (1 + e⁻ˣ), as in chapter 4.
    #[default]
    Sigmoid,
    /// max(0, x), as in chapter 5.
    Relu,
}

impl Activation {
    /// Both activations, the default first.
    pub const ALL: [Activation; 2] = [Activation::Sigmoid, Activation::Relu];

    /// The name used on the command line and in run records.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Relu => "relu",
        }
    }
}

/// Its [`name`](Activation::name).
impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The activation of that [`name`](Activation::name).
///
/// ```
/// use manabi::Activation;
/// assert_eq!("relu".parse::<Activation>(), Ok(Activation::Relu));
/// assert!("tanh".parse::<Activation>().is_err());
/// ```
impl std::str::FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        crate::names::parse(s, &Self::ALL, Self::name, "activation")
    }
}

/// A two-layer network: affine → activation → affine → softmax.
///
/// ```
/// use ndarray::Array2;
/// use manabi::TwoLayerNet;
/// let net = TwoLayerNet::new(784, 50, 10, 0.01);
/// assert_eq!(net.params.w1.dim(), (784, 50));
/// assert_eq!(net.params.count(), 784 * 50 + 50 + 50 * 10 + 10);
/// // Untrained, it guesses: every class about 1/10.
/// let y = net.predict(&Array2::from_elem((1, 784), 0.5));
/// assert!((y[[0, 3]] - 0.1).abs() < 0.01);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet {
    /// W1, b1, W2, b2: everything the network learns.
    pub params: Params,
    /// The hidden layer's activation.
    pub activation: Activation,
}

impl TwoLayerNet {
    /// The book's constructor: weights W = `weight_init_std` · N(0, 1),
    /// biases b = 0, drawn from a generator seeded with [`DEFAULT_SEED`].
    ///
    /// ```
    /// let net = manabi::TwoLayerNet::new(784, 50, 10, 0.01);
    /// assert_eq!(net.params.b1, ndarray::Array1::<f64>::zeros(50));
    /// let std = net.params.w1.std(0.0);
    /// assert!((std - 0.01).abs() < 0.001);
    /// ```
    pub fn new(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        weight_init_std: f64,
    ) -> Self {
        let mut rng = Rng::new(DEFAULT_SEED);
        Self::with_rng(
            input_size,
            hidden_size,
            output_size,
            weight_init_std,
            &mut rng,
        )
    }

    /// Like [`TwoLayerNet::new`], drawing the weights from `rng`: the same
    /// seed gives the same network.
    ///
    /// ```
    /// use manabi::{random::Rng, TwoLayerNet};
    /// let a = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(7));
    /// let b = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(7));
    /// assert_eq!(a, b);
    /// ```
    pub fn with_rng(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        weight_init_std: f64,
        rng: &mut Rng,
    ) -> Self {
        let w1 = weight_init_std * rng.randn(input_size, hidden_size);
        let w2 = weight_init_std * rng.randn(hidden_size, output_size);
        TwoLayerNet {
            params: Params {
                w1,
                b1: Array1::zeros(hidden_size),
                w2,
                b2: Array1::zeros(output_size),
            },
            activation: Activation::Sigmoid,
        }
    }

    /// The same network with another hidden activation.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// A network with the given parameters.
    pub fn from_params(params: Params, activation: Activation) -> Self {
        TwoLayerNet { params, activation }
    }

    /// y = softmax(h(x·W1 + b1)·W2 + b2): the probability of each class.
    /// x: (N, 784) → y: (N, 10).
    ///
    /// ```
    /// use ndarray::array;
    /// use manabi::{Activation, Params, TwoLayerNet};
    /// // A 2-3-2 network with the weights of the book's chapter 3.
    /// let params = Params {
    ///     w1: array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
    ///     b1: array![0.1, 0.2, 0.3],
    ///     w2: array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]],
    ///     b2: array![0.1, 0.2],
    /// };
    /// let net = TwoLayerNet::from_params(params, Activation::Sigmoid);
    /// let y = net.predict(&array![[1.0, 0.5], [0.0, -2.0]]);
    /// assert_eq!(y.dim(), (2, 2));
    /// assert!((y.row(0).sum() - 1.0).abs() < 1e-12); // probabilities
    /// ```
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let p = &self.params;
        predict_with(&p.w1, &p.b1, &p.w2, &p.b2, self.activation, x)
    }

    /// L = cross_entropy_error(predict(x), t): how wrong the network is.
    ///
    /// `t` holds one-hot rows (`&Array2<f64>`) or class labels (`&[usize]`,
    /// `&Array1<usize>`).
    ///
    /// ```
    /// use ndarray::array;
    /// use manabi::{Activation, Params, TwoLayerNet};
    /// let params = Params {
    ///     w1: array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
    ///     b1: array![0.1, 0.2, 0.3],
    ///     w2: array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]],
    ///     b2: array![0.1, 0.2],
    /// };
    /// let net = TwoLayerNet::from_params(params, Activation::Sigmoid);
    /// let x = array![[1.0, 0.5], [0.0, -2.0]];
    /// let t = array![[0.0, 1.0], [1.0, 0.0]];
    /// assert!((net.loss(&x, &t) - 0.664672303323273).abs() < 1e-12);
    /// // The same with class labels instead of one-hot rows.
    /// assert!((net.loss(&x, &[1usize, 0][..]) - 0.664672303323273).abs() < 1e-12);
    /// ```
    pub fn loss<'a>(&self, x: &Array2<f64>, t: impl Into<Target<'a>>) -> f64 {
        cross_entropy_error(&self.predict(x), t.into())
    }

    /// The fraction of samples whose most probable class is the correct one:
    /// #{n : argmaxₖ yₙₖ = tₙ} / N.
    ///
    /// ```
    /// use ndarray::array;
    /// use manabi::{Activation, Params, TwoLayerNet};
    /// let params = Params {
    ///     w1: array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
    ///     b1: array![0.1, 0.2, 0.3],
    ///     w2: array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]],
    ///     b2: array![0.1, 0.2],
    /// };
    /// let net = TwoLayerNet::from_params(params, Activation::Sigmoid);
    /// let x = array![[1.0, 0.5], [0.0, -2.0]];
    /// // It answers 1 for both samples: right for the first only.
    /// assert_eq!(net.accuracy(&x, &[1usize, 0][..]), 0.5);
    /// ```
    pub fn accuracy<'a>(&self, x: &Array2<f64>, t: impl Into<Target<'a>>) -> f64 {
        let t = t.into();
        let y = self.predict(x);
        let correct = (0..t.len())
            .filter(|&n| argmax(y.row(n)) == t.label(n))
            .count();
        correct as f64 / x.nrows() as f64
    }

    /// ∂L/∂W for every parameter by central differences: the chapter-4 way.
    ///
    /// Each of the network's parameters in turn is nudged by ±h and the whole
    /// loss recomputed, two forward passes per parameter: 79,520 forward
    /// passes for a 784-50-10 network. Slow, but it needs nothing beyond the
    /// definition of a derivative, which is why it is used to check
    /// [`TwoLayerNet::gradient`].
    ///
    /// The book writes `loss_W = lambda W: self.loss(x, t)`, a closure that
    /// reads the weights while they are being nudged; here the nudged array is
    /// handed to the closure as its argument.
    ///
    /// ```
    /// use ndarray::{array, Array2};
    /// use manabi::TwoLayerNet;
    /// let net = TwoLayerNet::new(4, 3, 2, 0.5);
    /// let x = Array2::from_shape_fn((5, 4), |(n, i)| ((n * 4 + i) % 7) as f64 / 7.0);
    /// let t = [0usize, 1, 1, 0, 1];
    /// let numerical = net.numerical_gradient(&x, &t[..]);
    /// let backprop = net.gradient(&x, &t[..]);
    /// // The two ways agree, up to the 1e-7 the loss adds inside its log.
    /// for ((name, a), (_, b)) in numerical.slices().into_iter().zip(backprop.slices()) {
    ///     let worst = a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    ///     assert!(worst < 1e-6, "{name}: {worst:e}");
    /// }
    /// ```
    pub fn numerical_gradient<'a>(&self, x: &Array2<f64>, t: impl Into<Target<'a>>) -> Params {
        let t = t.into();
        let p = &self.params;
        let act = self.activation;
        let loss = |w1: &Array2<f64>, b1: &Array1<f64>, w2: &Array2<f64>, b2: &Array1<f64>| {
            cross_entropy_error(&predict_with(w1, b1, w2, b2, act, x), t)
        };
        let (mut w1, mut b1, mut w2, mut b2) =
            (p.w1.clone(), p.b1.clone(), p.w2.clone(), p.b2.clone());
        Params {
            w1: numerical_gradient(|w1| loss(w1, &p.b1, &p.w2, &p.b2), &mut w1),
            b1: numerical_gradient(|b1| loss(&p.w1, b1, &p.w2, &p.b2), &mut b1),
            w2: numerical_gradient(|w2| loss(&p.w1, &p.b1, w2, &p.b2), &mut w2),
            b2: numerical_gradient(|b2| loss(&p.w1, &p.b1, &p.w2, b2), &mut b2),
        }
    }

    /// ∂L/∂W for every parameter by backpropagation: the chapter-5 way.
    ///
    /// One forward pass through the layers, then one backward pass in reverse
    /// order, each layer turning ∂L/∂(its output) into ∂L/∂(its input) and
    /// ∂L/∂(its parameters). The gradient has the shape of the parameters.
    ///
    /// ```
    /// use ndarray::array;
    /// use manabi::{Activation, Params, TwoLayerNet};
    /// let params = Params {
    ///     w1: array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]],
    ///     b1: array![0.1, 0.2, 0.3],
    ///     w2: array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]],
    ///     b2: array![0.1, 0.2],
    /// };
    /// let net = TwoLayerNet::from_params(params, Activation::Sigmoid);
    /// let x = array![[1.0, 0.5], [0.0, -2.0]];
    /// let grads = net.gradient(&x, &[1usize, 0][..]);
    /// assert_eq!(grads.w1.dim(), (2, 3));
    /// // ∂L/∂b2 = Σₙ (yₙ − tₙ) / N: raise the score of class 1, lower class 0.
    /// assert!((grads.b2[0] + 0.13568099412).abs() < 1e-10);
    /// assert!((grads.b2[1] - 0.13568099412).abs() < 1e-10);
    /// ```
    pub fn gradient<'a>(&self, x: &Array2<f64>, t: impl Into<Target<'a>>) -> Params {
        self.loss_and_gradient(x, t).1
    }

    /// The batch loss L and [`TwoLayerNet::gradient`] ∂L/∂W from the same
    /// forward pass.
    pub fn loss_and_gradient<'a>(
        &self,
        x: &Array2<f64>,
        t: impl Into<Target<'a>>,
    ) -> (f64, Params) {
        let p = &self.params;
        let mut affine1 = Affine::new(&p.w1, &p.b1);
        let mut hidden = HiddenLayer::new(self.activation);
        let mut affine2 = Affine::new(&p.w2, &p.b2);
        let mut last_layer = SoftmaxWithLoss::default();

        // forward
        let a1 = affine1.forward(x);
        let z1 = hidden.forward(&a1);
        let a2 = affine2.forward(&z1);
        let loss = last_layer.forward(&a2, t.into());

        // backward
        let da2 = last_layer.backward();
        let dz1 = affine2.backward(&da2);
        let da1 = hidden.backward(&dz1);
        affine1.backward_params(&da1);

        let grads = Params {
            w1: affine1.dw,
            b1: affine1.db,
            w2: affine2.dw,
            b2: affine2.db,
        };
        (loss, grads)
    }
}

/// predict with explicit parameters: softmax(h(x·W1 + b1)·W2 + b2).
fn predict_with(
    w1: &Array2<f64>,
    b1: &Array1<f64>,
    w2: &Array2<f64>,
    b2: &Array1<f64>,
    activation: Activation,
    x: &Array2<f64>,
) -> Array2<f64> {
    let a1 = x.dot(w1) + b1;
    let z1 = match activation {
        Activation::Sigmoid => sigmoid(&a1),
        Activation::Relu => relu(&a1),
    };
    let a2 = z1.dot(w2) + b2;
    softmax_rows(&a2)
}

/// The hidden activation as a layer.
enum HiddenLayer {
    Sigmoid(Sigmoid),
    Relu(Relu),
}

impl HiddenLayer {
    fn new(activation: Activation) -> Self {
        match activation {
            Activation::Sigmoid => HiddenLayer::Sigmoid(Sigmoid::default()),
            Activation::Relu => HiddenLayer::Relu(Relu::default()),
        }
    }

    fn forward(&mut self, x: &Array2<f64>) -> Array2<f64> {
        match self {
            HiddenLayer::Sigmoid(l) => l.forward(x),
            HiddenLayer::Relu(l) => l.forward(x),
        }
    }

    fn backward(&mut self, dout: &Array2<f64>) -> Array2<f64> {
        match self {
            HiddenLayer::Sigmoid(l) => l.backward(dout),
            HiddenLayer::Relu(l) => l.backward(dout),
        }
    }
}
