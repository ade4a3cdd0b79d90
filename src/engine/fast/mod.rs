//! The fast engine (being written): for now it delegates to the reference.
use std::marker::PhantomData;

use crate::data::Split;
use crate::engine::{Engine, Reference};
use crate::train::GradientMethod;
use crate::two_layer_net::TwoLayerNet;

/// Placeholder.
pub struct FastEngine<F> {
    inner: Reference,
    _f: PhantomData<F>,
}

impl<F> FastEngine<F> {
    /// Placeholder.
    pub fn new(net: &TwoLayerNet) -> Self {
        FastEngine {
            inner: Reference::new(net.clone()),
            _f: PhantomData,
        }
    }
}

impl<F> Engine for FastEngine<F> {
    fn load_batch(&mut self, split: &Split, indices: &[usize]) {
        self.inner.load_batch(split, indices)
    }
    fn gradient(&mut self, method: GradientMethod) {
        self.inner.gradient(method)
    }
    fn update(&mut self, lr: f64) {
        self.inner.update(lr)
    }
    fn loss(&mut self) -> f64 {
        self.inner.loss()
    }
    fn accuracy(&mut self, split: &Split) -> f64 {
        self.inner.accuracy(split)
    }
    fn net(&self) -> TwoLayerNet {
        self.inner.net()
    }
}
