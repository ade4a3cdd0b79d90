//! manabi: how a neural network learns — chapter 4 of *Deep Learning from
//! Scratch* (ゼロから作るDeep Learning) in Rust.
//!
//! A two-layer network learns to read handwritten digits. Learning means
//! finding the weights W that make a loss L small, by repeating five steps
//! (stochastic gradient descent):
//!
//! ```text
//! 1. mini-batch  draw 100 training samples at random        random::Rng::choice, train::BatchSampler
//! 2. loss        L = cross_entropy_error(predict(x), t)      TwoLayerNet::loss
//! 3. gradient    ∂L/∂W for every parameter                   TwoLayerNet::numerical_gradient, ::gradient
//! 4. update      W ← W − η·∂L/∂W                              Sgd::update
//! 5. repeat      and once per epoch, train and test accuracy  train::Trainer, engine::evaluate
//! ```
//!
//! The book's experiment, shortened to 300 iterations:
//!
//! ```
//! use manabi::data::Dataset;
//! use manabi::train::{train, TrainConfig};
//! let data = Dataset::embedded(); // 8,004 train / 1,996 test MNIST digits
//! let config = TrainConfig { iters: 300, ..TrainConfig::default() };
//! let run = train(&data, &config, &mut ()).unwrap();
//! let last = run.history.epochs.last().unwrap();
//! assert!(last.test_acc > 0.3, "from a guess (0.1) upwards");
//! ```
//!
//! | module | the chapter's | book file |
//! | --- | --- | --- |
//! | [`functions`] | sigmoid, softmax, sum of squared errors, cross-entropy error | `common/functions.py` |
//! | [`gradient`] | numerical differentiation, the numerical gradient, gradient descent | `common/gradient.py`, `ch04/gradient_*.py` |
//! | [`layers`] | Affine, Sigmoid, ReLU, SoftmaxWithLoss: backprop, the fast gradient (chapter 5) | `common/layers.py` |
//! | [`params`] | W1, b1, W2, b2 by name | `params` dict |
//! | [`two_layer_net`] | `TwoLayerNet`: predict, loss, accuracy, both gradients | `ch04/two_layer_net.py`, `ch05/two_layer_net.py` |
//! | [`optimizer`] | SGD | `common/optimizer.py` |
//! | [`random`] | seeded `randn`, `choice`, `permutation` | `np.random` |
//! | [`train`] | the mini-batch loop ([`train::Trainer`]), epochs, history | `ch04/train_neuralnet.py` |
//! | [`engine`] | the steps an engine computes ([`engine::Engine`]): the reference engine (the code above) and the fast one; the accuracy on a split ([`engine::evaluate`]) | — |
//! | [`data`] | MNIST files, the embedded mnist-10k, `load_mnist` | `dataset/mnist.py` |
//! | [`report`] | run folders, the chapter's figures | Matplotlib |
//! | `serve` | the runs in a browser | — |
//!
//! The guided tour (`docs/tour.md`, in Japanese `docs/tour.ja.md`) follows
//! the chapter through these modules with commands to run.
#![warn(missing_docs)]
// Unsafe code only where a module allows it: the fast engine's kernels
// (src/engine/fast/kernels/) and the large-page hint (src/data/huge_pages.rs).
#![deny(unsafe_code)]
pub mod data;
pub mod engine;
pub mod functions;
pub mod gradient;
pub mod layers;
mod names;
pub mod optimizer;
pub mod params;
pub mod random;
pub mod report;
pub mod serve;
pub mod train;
pub mod two_layer_net;

pub use optimizer::Sgd;
pub use params::Params;
pub use two_layer_net::{Activation, TwoLayerNet};
