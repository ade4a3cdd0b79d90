//! The backward pass: from the loss back to every parameter's gradient.
//!
//! ```text
//! dy   = (y − onehot(t)) / N                          (n, k)    SoftmaxWithLoss
//! dz1  = dy·W2ᵀ                                       (n, hp)   Affine2
//! da1  = dz1 ⊙ h′(a1)                                 (n, hp)   sigmoid: (1 − z1)·z1; ReLU: a1 > 0
//! ∂L/∂W2 = z1ᵀ·dy  (hp, k),   ∂L/∂b2 = Σₙ dy  (k,)
//! ∂L/∂W1 = xᵀ·da1  (d, hp),   ∂L/∂b1 = Σₙ da1 (hp,)   kernels: xt_delta
//!          x = byte / 255, or v[byte] for a split with its own pixel values v
//! ```
//!
//! The per-sample part (dy, da1) runs in the forward pass's halves, on the
//! thread that has just computed the samples ([`forward_backward`]); the
//! sums over samples are then cut between the two threads by rows.

use crate::two_layer_net::Activation;

use super::batch::Batch;
use super::forward::{Activations, Half, Own, forward_halves_then, half};
use super::kernels::aligned::Aligned;
use super::kernels::float::Float;
use super::kernels::xt_delta::xt_delta;
use super::kernels::{kernel, level};
use super::layout::{FastNet, Grads};
use super::team;

/// Scratch for [`backward`].
#[derive(Debug, Clone, Default)]
pub struct BackwardScratch<F> {
    /// ∂L/∂a2 = (y − t) / N: (n, k).
    dy: Vec<F>,
    /// ∂L/∂a1: (n, hp).
    da1: Aligned<F>,
    /// W2ᵀ: (k, hp).
    w2t: Vec<F>,
    /// ∂L/∂W2 transposed, (k, hp), summed here in vectors of hidden units.
    dw2t: Vec<F>,
}

/// Backpropagation through SoftmaxWithLoss, Affine2, the activation and
/// Affine1, from the activations of [`forward`](super::forward::forward).
pub fn backward<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let (n, hp, k) = (batch.n, net.hp, net.k);
    scratch.prepare(net, n);
    let BackwardScratch { dy, da1, w2t, .. } = scratch;
    // Each sample's dy and da1 are its own: in the forward pass's halves.
    let m = half(n);
    let (y, y_b) = act.y[..n * k].split_at(m * k);
    let (a1, a1_b) = act.a1[..n * hp].split_at(m * hp);
    let (z1, z1_b) = act.z1[..n * hp].split_at(m * hp);
    let (t, t_b) = batch.labels[..n].split_at(m);
    let (dy, dy_b) = dy.split_at_mut(m * k);
    let (da1, da1_b) = da1.split_at_mut(m * hp);
    team::join(
        || sample_gradients(net, n, t, y, a1, z1, w2t, dy, da1),
        || sample_gradients(net, n, t_b, y_b, a1_b, z1_b, w2t, dy_b, da1_b),
    );
    weight_gradients(net, batch, act, scratch, grads);
}

/// [`forward`](super::forward::forward) then [`backward`], with each sample's part of backprop done
/// in the forward pass's halves, on the thread that has just computed the
/// sample: one hand-over between the threads fewer.
pub fn forward_backward<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &mut Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    backprop([net, net], batch, act, scratch, grads);
}

/// [`forward_backward`] with each half of the batch read through its own
/// thread's copy of the network (the same numbers: see `FastEngine`).
pub(crate) fn backprop<F: Float>(
    nets: [&FastNet<F>; 2],
    batch: &Batch,
    act: &mut Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let [net, net_b] = nets;
    let n = batch.n;
    scratch.prepare(net, n);
    let BackwardScratch { dy, da1, w2t, .. } = scratch;
    // Each half's rows of dy and da1, filled on its thread once its forward
    // pass is done.
    let m = half(n);
    let (dy, dy_b) = dy.split_at_mut(m * net.k);
    let (da1, da1_b) = da1.split_at_mut(m * net.hp);
    let w2t = &w2t[..];
    forward_halves_then(
        [Own::Read(net), Own::Read(net_b)],
        batch,
        act,
        true,
        [(dy, da1), (dy_b, da1_b)],
        |net, samples, (dy, da1)| {
            let Half { labels, y, a1, z1 } = samples;
            sample_gradients(net, n, labels, y, a1, z1, w2t, dy, da1);
        },
    );
    weight_gradients(net, batch, act, scratch, grads);
}

impl<F: Float> BackwardScratch<F> {
    /// W2ᵀ (padding units zero: their da1 stays zero), and dy and da1 sized
    /// for `n` samples.
    fn prepare(&mut self, net: &FastNet<F>, n: usize) {
        let (hp, k) = (net.hp, net.k);
        self.w2t.clear();
        self.w2t.resize(k * hp, F::ZERO);
        for j in 0..net.h {
            for c in 0..k {
                self.w2t[c * hp + j] = net.w2[j * k + c];
            }
        }
        self.dy.resize(n * k, F::ZERO);
        self.da1.resize(n * hp, F::ZERO);
    }
}

/// The sums over samples, from dy and da1: Affine2's ∂L/∂W2 and ∂L/∂b2,
/// Affine1's ∂L/∂b1 and ∂L/∂W1 = xᵀ·da1. ∂L/∂W1's rows (pixels) go in
/// about quarters, the first and third to one thread with ∂L/∂W2 and
/// ∂L/∂b2, the second and fourth to the other with ∂L/∂b1 (the top and
/// bottom of an image are darker than its middle).
fn weight_gradients<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    act: &Activations<F>,
    scratch: &mut BackwardScratch<F>,
    grads: &mut Grads<F>,
) {
    let BackwardScratch { dy, da1, dw2t, .. } = scratch;
    let Grads { w1, b1, w2, b2 } = grads;
    let (n, hp, quarter) = (batch.n, net.hp, net.d / 4);
    // The first thread's quarters are 4 % shorter: it also sums ∂L/∂W2.
    let e = quarter / 25;
    let (dy, da1) = (&dy[..n * net.k], &da1[..n * hp]);
    let (rows_ab, rows_cd) = w1.split_at_mut(2 * quarter * hp);
    let (rows_a, rows_b) = rows_ab.split_at_mut((quarter - e) * hp);
    let (rows_c, rows_d) = rows_cd.split_at_mut((quarter - e) * hp);
    team::join(
        || {
            weight_rows(batch, da1, net.h, 0, rows_a);
            weight_rows(batch, da1, net.h, 2 * quarter, rows_c);
            weight2_gradient(net, n, act, dy, dw2t, w2, b2);
        },
        || {
            weight_rows(batch, da1, net.h, quarter - e, rows_b);
            weight_rows(batch, da1, net.h, 3 * quarter - e, rows_d);
            bias1_gradient(da1, b1);
        },
    );
}

/// dz1 = dy·W2ᵀ for the rows of `dy` (k wide) into the rows of `dz1` (hp
/// wide), inlined into the kernel that calls it: W units of a row at a
/// time, their sums kept in registers while the classes go by in order
/// (0 + dy₀·w₀ + dy₁·w₁ + …, as one unit at a time would add them).
#[inline(always)]
fn hidden_gradient<F: Float, const W: usize>(
    dy: &[F],
    w2t: &[F],
    k: usize,
    hp: usize,
    dz1: &mut [F],
) {
    assert!(hp.is_multiple_of(W) && w2t.len() >= k * hp);
    if k == 0 {
        // No classes, nothing flows back.
        dz1.fill(F::ZERO);
        return;
    }
    for (dys, dz1) in dy.chunks_exact(k).zip(dz1.chunks_exact_mut(hp)) {
        for (j0, out) in dz1.chunks_exact_mut(W).enumerate() {
            let mut acc = [F::ZERO; W];
            for c in 0..k {
                let w: &[F; W] = w2t[c * hp + j0 * W..][..W].try_into().unwrap();
                for l in 0..W {
                    acc[l] += dys[c] * w[l];
                }
            }
            out.copy_from_slice(&acc);
        }
    }
}

kernel! {
    /// Affine1's bias: db1 = Σₙ da1, in sample order.
    fn bias1_gradient<F: Float>(da1: &[F], b1: &mut [F]) {
        b1.fill(F::ZERO);
        for row in da1.chunks_exact(b1.len()) {
            for (g, &d) in b1.iter_mut().zip(row) {
                *g += d;
            }
        }
    }
}

kernel! {
    /// Rows `first..` of ∂L/∂W1 = xᵀ·da1, for a network of `h` hidden
    /// units.
    fn weight_rows<F: Float>(batch: &Batch, da1: &[F], h: usize, first: usize, rows: &mut [F]) {
        let scale = batch.scale::<F>();
        xt_delta(level(), &batch.pixels, batch.n, batch.d, da1, h, &scale, first, rows);
    }
}

kernel! {
    /// Affine2: dW2 = z1ᵀ·dy and db2 = Σₙ dy, each summed in sample order.
    /// dW2 is summed transposed, a vector of hidden units per class, then
    /// put in W2's layout (the padding rows keep a zero gradient).
    fn weight2_gradient<F: Float>(
        net: &FastNet<F>,
        n: usize,
        act: &Activations<F>,
        dy: &[F],
        dw2t: &mut Vec<F>,
        w2: &mut [F],
        b2: &mut [F],
    ) {
        let (h, hp, k) = (net.h, net.hp, net.k);
        dw2t.clear();
        dw2t.resize(k * hp, F::ZERO);
        b2.fill(F::ZERO);
        for s in 0..n {
            let (dys, z1s) = (&dy[s * k..][..k], &act.z1[s * hp..][..hp]);
            for c in 0..k {
                let g = &mut dw2t[c * hp..][..hp];
                for j in 0..hp {
                    g[j] += z1s[j] * dys[c];
                }
                b2[c] += dys[c];
            }
        }
        w2.fill(F::ZERO);
        for j in 0..h {
            for c in 0..k {
                w2[j * k + c] = dw2t[c * hp + j];
            }
        }
    }
}

kernel! {
    /// Each sample's own part of backprop, for the samples whose `labels`,
    /// y (rows of k), a1 and z1 (rows of hp) are given, into their rows of
    /// `dy` and `da1`:
    /// SoftmaxWithLoss backward, dx = y.copy(); dx[t] -= 1; dx / batch_size;
    /// then dz1 = dy·W2ᵀ (`w2t`, a vector of hidden units per class, summed
    /// in class order) through the activation (sigmoid dx = dout·(1 − y)·y;
    /// ReLU dx = 0 where x ≤ 0).
    fn sample_gradients<F: Float>(
        net: &FastNet<F>,
        batch_size: usize,
        labels: &[usize],
        y: &[F],
        a1: &[F],
        z1: &[F],
        w2t: &[F],
        dy: &mut [F],
        da1: &mut [F],
    ) {
        let (hp, k) = (net.hp, net.k);
        let n = labels.len();
        let batch_size = F::from_f64(batch_size as f64);
        let (dy, da1) = (&mut dy[..n * k], &mut da1[..n * hp]);
        dy.copy_from_slice(&y[..n * k]);
        for (row, &t) in dy.chunks_exact_mut(k).zip(labels) {
            row[t] -= F::ONE;
            for v in row.iter_mut() {
                *v = *v / batch_size;
            }
        }
        // dz1 = dy·W2ᵀ, each unit's sum over the classes in order.
        // (W units at a time, as many as divide hp: the sums are the same.)
        if hp.is_multiple_of(16) {
            hidden_gradient::<F, 16>(dy, w2t, k, hp, da1);
        } else if hp.is_multiple_of(8) {
            hidden_gradient::<F, 8>(dy, w2t, k, hp, da1);
        } else if hp.is_multiple_of(4) {
            hidden_gradient::<F, 4>(dy, w2t, k, hp, da1);
        } else {
            hidden_gradient::<F, 2>(dy, w2t, k, hp, da1);
        }
        match net.activation {
            Activation::Sigmoid => {
                for (d, &z) in da1.iter_mut().zip(z1) {
                    *d = *d * (F::ONE - z) * z;
                }
            }
            Activation::Relu => {
                for (d, &a) in da1.iter_mut().zip(a1) {
                    if a <= F::ZERO {
                        *d = F::ZERO;
                    }
                }
            }
        }
    }
}
