//! The update step of learning: move every parameter against its gradient.
//!
//! | book (`common/optimizer.py`) | here |
//! | --- | --- |
//! | `SGD(lr).update(params, grads)` | [`Sgd::update`] |

use crate::params::Params;

/// Stochastic gradient descent: W ← W − η·∂L/∂W, for every parameter.
///
/// η (`lr`, the learning rate) sets the size of the step: too large and the
/// loss jumps about or blows up, too small and learning crawls.
///
/// ```
/// use manabi::{Params, Sgd};
/// let mut params = Params::zeros(2, 1, 1);
/// let mut grads = Params::zeros(2, 1, 1);
/// grads.w1.fill(1.0);
/// Sgd::new(0.1).update(&mut params, &grads);
/// assert_eq!(params.w1[[0, 0]], -0.1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// The learning rate η.
    pub lr: f64,
}

impl Sgd {
    /// SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Sgd { lr }
    }

    /// `params[key] -= lr * grads[key]`, for every key.
    pub fn update(&self, params: &mut Params, grads: &Params) {
        for ((_, p), (_, g)) in params.slices_mut().into_iter().zip(grads.slices()) {
            for (p, g) in p.iter_mut().zip(g) {
                *p -= self.lr * g;
            }
        }
    }
}
