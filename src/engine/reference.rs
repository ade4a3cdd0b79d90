//! The reference engine: the book's code, one call per step.
//!
//! ```text
//! 1. x_batch = x_train[batch_mask] / 255        data::gather_batch
//! 2–3. grad = network.gradient(x_batch, t_batch) TwoLayerNet::gradient (or numerical_gradient)
//! 4. W -= lr * grad[key]; loss = network.loss(x_batch, t_batch)
//!                                               Sgd::update, TwoLayerNet::loss
//! 5. network.accuracy(x_train, t_train)         engine::evaluate (f64)
//! ```

use ndarray::Array2;

use crate::data::{Split, gather_batch};
use crate::functions::Target;
use crate::optimizer::Sgd;
use crate::params::Params;
use crate::two_layer_net::TwoLayerNet;

use super::choices::GradientMethod;
use super::fast::evaluate::evaluate;
use super::fast::layout::copy_changed;
use super::steps::Engine;

/// Trains a [`TwoLayerNet`] exactly as the book's `train_neuralnet.py` does.
///
/// ```
/// use manabi::data::Dataset;
/// use manabi::engine::{Engine, GradientMethod, Reference};
/// use manabi::TwoLayerNet;
/// let data = Dataset::embedded();
/// let mut engine = Reference::new(TwoLayerNet::new(784, 50, 10, 0.01));
/// engine.load_batch(&data.train, &[0, 1, 2]);
/// engine.gradient(GradientMethod::Backprop);
/// let loss = engine.update_and_loss(0.1);
/// assert!(loss < 2.31);
/// ```
#[derive(Debug, Clone)]
pub struct Reference {
    net: TwoLayerNet,
    x_batch: Array2<f64>,
    t_batch: Vec<usize>,
    grads: Params,
}

impl Reference {
    /// An engine training `net`.
    pub fn new(net: TwoLayerNet) -> Self {
        let (i, h, o) = net.params.sizes();
        Reference {
            net,
            x_batch: Array2::zeros((0, i)),
            t_batch: Vec::new(),
            grads: Params::zeros(i, h, o),
        }
    }
}

impl Engine for Reference {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        (self.x_batch, self.t_batch) = gather_batch(split, indices);
    }

    fn gradient(&mut self, method: GradientMethod) {
        let t = Target::from(&self.t_batch[..]);
        self.grads = match method {
            GradientMethod::Backprop => self.net.gradient(&self.x_batch, t),
            // The reference has one numerical gradient: the book's.
            GradientMethod::Numerical | GradientMethod::NumericalFast => {
                self.net.numerical_gradient(&self.x_batch, t)
            }
        };
    }

    fn grads(&self) -> Params {
        self.grads.clone()
    }

    fn update_and_loss(&mut self, lr: f64) -> f64 {
        Sgd::new(lr).update(&mut self.net.params, &self.grads);
        self.loss()
    }

    fn loss(&mut self) -> f64 {
        self.net.loss(&self.x_batch, &self.t_batch[..])
    }

    fn accuracy(&mut self, split: &Split) -> f64 {
        evaluate(&self.net, split)
    }

    fn net(&self) -> TwoLayerNet {
        self.net.clone()
    }

    fn set_params_from(&mut self, values: [&[f64]; 4]) -> bool {
        let mut changed = false;
        for ((_, to), from) in self.net.params.slices_mut().into_iter().zip(values) {
            assert_eq!(to.len(), from.len(), "set_params: other sizes");
            changed |= copy_changed(to, from);
        }
        changed
    }
}
