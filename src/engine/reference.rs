//! The reference engine: the book's code, one call per step.

use ndarray::Array2;

use crate::data::Split;
use crate::functions::Target;
use crate::optimizer::Sgd;
use crate::params::Params;
use crate::train::{GradientMethod, evaluate, gather_batch};
use crate::two_layer_net::TwoLayerNet;

use super::Engine;

/// Trains a [`TwoLayerNet`] exactly as the book's `train_neuralnet.py` does.
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

    fn update(&mut self, lr: f64) {
        Sgd::new(lr).update(&mut self.net.params, &self.grads);
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

    fn grads(&self) -> Params {
        self.grads.clone()
    }

    fn set_params(&mut self, params: &Params) {
        assert_eq!(
            params.sizes(),
            self.net.params.sizes(),
            "set_params: other sizes"
        );
        self.net.params.clone_from(params);
    }
}
