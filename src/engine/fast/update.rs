//! The update: step 4 of SGD, on the fast engine's layout.
//!
//! ```text
//! W ← W − η·∂L/∂W   for W1 (d, hp), b1 (hp,), W2 (hp, k), b2 (k,), number by number
//! ```
//!
//! In training the update is made by the loss pass that follows it, each
//! thread on its own copy of the network ([`super::forward::Own::Update`]):
//! [`sgd_all`] is that thread's work. [`sgd_update`] does the same on one
//! network with both threads.

use super::kernels::float::Float;
use super::kernels::kernel;
use super::layout::{FastNet, Grads};
use super::team;

/// SGD on the whole of `net`, on the calling thread, parameter by parameter:
/// the same operations as [`sgd_update`].
pub(crate) fn sgd_all<F: Float>(net: &mut FastNet<F>, grads: &Grads<F>, lr: f64) {
    sgd_step(&mut net.w1, &grads.w1, lr);
    sgd_step(&mut net.b1, &grads.b1, lr);
    sgd_step(&mut net.w2, &grads.w2, lr);
    sgd_step(&mut net.b2, &grads.b2, lr);
    net.w1_changed();
}

/// SGD: `params[key] -= lr · grads[key]`; W1, most of the work, in two
/// halves, one per thread (each number's update is its own).
pub fn sgd_update<F: Float>(net: &mut FastNet<F>, grads: &Grads<F>, lr: f64) {
    let half = net.w1.len() / 2;
    let (w1, w1_b) = net.w1.split_at_mut(half);
    let (g1, g1_b) = grads.w1.split_at(half);
    team::join(
        || sgd_step(w1, g1, lr),
        || {
            sgd_step(w1_b, g1_b, lr);
            sgd_step(&mut net.b1, &grads.b1, lr);
            sgd_step(&mut net.w2, &grads.w2, lr);
            sgd_step(&mut net.b2, &grads.b2, lr);
        },
    );
    net.w1_changed();
}

kernel! {
    /// `p -= lr · g`, element by element.
    fn sgd_step<F: Float>(p: &mut [F], g: &[F], lr: f64) {
        let lr = F::from_f64(lr);
        for (p, &g) in p.iter_mut().zip(g) {
            *p -= lr * g;
        }
    }
}
