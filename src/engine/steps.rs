//! The steps of SGD an engine computes, on a network it holds.
//!
//! ```text
//! 1. mini-batch   load_batch(split, indices)    x, t ← the samples `indices` of `split`, x / 255
//!                                               (or x = v[byte], v the split's pixel values)
//! 2–3. gradient   gradient(method)              ∂L/∂W at W, on (x, t); grads() reads it
//! 4. update       update_and_loss(η) → L        W ← W − η·∂L/∂W, then L(W) on (x, t)
//! 5. evaluate     accuracy(split)               #{n : argmax yₙ = tₙ} / N over `split`
//!                 accuracy_of(source)           the same, images made chunk by chunk
//!    (between)    set_params(params)            W ← params, the batch kept
//!                 set_params_from(values)       the same from row-major slices; whether W changed
//! ```
//!
//! Step 4 returns the loss because the book records the batch loss after
//! the update: an engine may compute both in one pass over the batch (the
//! fast one does), and the loop says so.

use crate::data::Split;
use crate::params::Params;
use crate::two_layer_net::TwoLayerNet;

use super::choices::GradientMethod;
use super::image_source::ImageSource;

/// The operations the training loop needs, on a network held by the engine.
///
/// ```
/// use manabi::data::Dataset;
/// use manabi::engine::{self, EngineKind, GradientMethod, Precision};
/// use manabi::TwoLayerNet;
/// let data = Dataset::embedded();
/// let net = TwoLayerNet::new(784, 50, 10, 0.01);
/// let mut engine = engine::new(EngineKind::Fast, Precision::F64, &net);
/// engine.load_batch(&data.train, &[0, 1, 2]); // 1. mini-batch
/// engine.gradient(GradientMethod::Backprop); // 2–3. gradient
/// let before = engine.loss();
/// let after = engine.update_and_loss(0.1); // 4. update, and the loss after it
/// assert!(after < before);
/// assert_eq!(engine.grads().w1.dim(), (784, 50));
/// ```
pub trait Engine {
    /// Step 1: take the samples `indices` of `split` as the current batch
    /// (pixels scaled to [0, 1], or to the split's
    /// [`pixel_values`](Split::pixel_values)).
    fn load_batch(&mut self, split: &Split, indices: &[usize]);
    /// Steps 2–3: the gradient of the batch loss with respect to every
    /// parameter, kept for step 4 (and for [`Engine::grads`]).
    fn gradient(&mut self, method: GradientMethod);
    /// The gradient the last [`Engine::gradient`] computed, in f64, shaped
    /// like the book's parameters (zeros before the first).
    fn grads(&self) -> Params;
    /// [`Engine::grads`] written into `into`: W1, b1, W2, b2 as the book's
    /// row-major arrays, of the network's sizes (for a caller with arrays
    /// of its own to fill again, such as NumPy's).
    ///
    /// # Panics
    /// When a slice's length is not its parameter's.
    fn grads_into(&self, into: [&mut [f64]; 4]) {
        let grads = self.grads();
        for ((_, from), to) in grads.slices().into_iter().zip(into) {
            to.copy_from_slice(from);
        }
    }
    /// Step 4, and the batch loss after it: every parameter moves against
    /// its gradient, W ← W − lr·∂L/∂W, then L = cross_entropy_error(predict(x), t)
    /// on the current batch with the new parameters.
    fn update_and_loss(&mut self, lr: f64) -> f64;
    /// The loss on the current batch with the current parameters (no update).
    fn loss(&mut self) -> f64;
    /// Step 5: the fraction of `split` classified correctly, computed by
    /// [`crate::engine::evaluate`]'s kernels in this engine's precision.
    fn accuracy(&mut self, split: &Split) -> f64;
    /// Step 5 on images made while they are counted ([`ImageSource`]): the
    /// accuracy [`Engine::accuracy`] gives on a split of those images, or
    /// `None` when the source could not make some image's bytes. This
    /// default makes them all first; the fast engine makes them a chunk at
    /// a time.
    fn accuracy_of(&mut self, source: &ImageSource<'_>) -> Option<f64> {
        let mut bytes = vec![0; source.len() * source.pixels_per_image()];
        if !source.make(0, &mut bytes) {
            return None;
        }
        let labels = source.labels().to_vec();
        let split = Split::new(bytes, labels, 1, source.pixels_per_image())
            .expect("an image source's labels are 0–9 and its bytes one row per label");
        Some(self.accuracy(&split.with_pixel_values(*source.pixel_values())))
    }
    /// The network as it is now, in f64.
    fn net(&self) -> TwoLayerNet;
    /// W ← `params`: the network's parameters replaced, the engine, its
    /// buffers and its batch kept — for a caller that holds the parameters
    /// itself and changes them between steps (the book's
    /// `network.params[key] -= lr * grad[key]`).
    ///
    /// ```
    /// use manabi::data::Dataset;
    /// use manabi::engine::{self, EngineKind, Precision};
    /// use manabi::{random::Rng, TwoLayerNet};
    /// let data = Dataset::embedded();
    /// let a = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(1));
    /// let b = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(2));
    /// let mut engine = engine::new(EngineKind::Fast, Precision::F64, &a);
    /// engine.load_batch(&data.train, &[0, 1, 2]);
    /// engine.set_params(&b.params); // the same batch, another network
    /// assert_eq!(engine.net().params, b.params);
    /// let (x, t) = manabi::data::gather_batch(&data.train, &[0, 1, 2]);
    /// assert!((engine.loss() - b.loss(&x, &t[..])).abs() < 1e-12);
    /// ```
    ///
    /// # Panics
    /// When `params` has other sizes than the engine's network.
    fn set_params(&mut self, params: &Params) {
        self.set_params_from(params.slices().map(|(_, v)| v));
    }
    /// W ← `values`: W1, b1, W2, b2 as the book's row-major arrays, copied
    /// in where a number differs bit for bit (an unchanged network is read,
    /// not written). Returns whether anything changed. For a caller that
    /// holds the parameters in arrays of its own, such as NumPy's, and
    /// hands them over before each step.
    ///
    /// ```
    /// use manabi::engine::{self, EngineKind, Precision};
    /// use manabi::{random::Rng, TwoLayerNet};
    /// let a = TwoLayerNet::with_rng(784, 50, 10, 0.01, &mut Rng::new(1));
    /// let mut engine = engine::new(EngineKind::Fast, Precision::F64, &a);
    /// let mut params = a.params.clone();
    /// let values = |p: &manabi::Params| p.slices().map(|(_, v)| v.to_vec());
    /// let same = values(&params);
    /// assert!(!engine.set_params_from(same.each_ref().map(|v| &v[..])));
    /// params.w1[[3, 7]] += 1e-3;
    /// let moved = values(&params);
    /// assert!(engine.set_params_from(moved.each_ref().map(|v| &v[..])));
    /// assert_eq!(engine.net().params, params);
    /// ```
    ///
    /// # Panics
    /// When a slice's length is not its parameter's in the engine's network.
    fn set_params_from(&mut self, values: [&[f64]; 4]) -> bool;
}
