//! The forward pass: from a batch of images to the loss.
//!
//! ```text
//! a1 = x·W1 + b1      (n, hp)    kernels: x_w1 (or amx), lit pixels listed in panels first;
//!                                x = byte / 255, or v[byte] for a split's own pixel values
//! z1 = h(a1)          (n, hp)    sigmoid or ReLU
//! a2 = z1·W2 + b2     (n, k)     kernels: z1_w2
//! y  = softmax(a2)    (n, k)
//! ℓₙ = −log(y[n, tₙ] + δ),   L = Σₙ ℓₙ / n
//! ```
//!
//! The batch goes in two halves, one per thread ([`super::team`]), each
//! whole groups of [`GROUP`](super::kernels::panel::GROUP) images (50 + 50
//! for a batch of 100). A half's thread can first move its own copy of the
//! network by an SGD step ([`Own::Update`], the fused step 4), and can go on
//! with the backward pass's per-sample part right after ([`forward_halves_then`]).

use super::batch::{Batch, scale_for};
use super::functions::{activate, cross_entropy, softmax_rows};
use super::kernels::aligned::Aligned;
use super::kernels::amx::{self, W1Planes};
use super::kernels::float::Float;
use super::kernels::panel::{GROUP, Panels};
use super::kernels::x_w1::x_w1;
use super::kernels::{kernel, level, prefetch_to_write};
use super::layout::{FastNet, Grads};
use super::team;
use super::update::sgd_all;

/// What the forward pass leaves for the backward pass, for a whole batch.
#[derive(Debug, Clone, Default)]
pub struct Activations<F> {
    /// a1 = x·W1 + b1: (n, hp).
    pub a1: Aligned<F>,
    /// z1 = h(a1): (n, hp).
    pub z1: Aligned<F>,
    /// y = softmax(z1·W2 + b2): (n, k).
    pub y: Vec<F>,
    /// −log(y_t + 1e-7) per sample: (n,).
    pub ell: Vec<F>,
    /// The lit pixels of each parallel task's images.
    panels: Vec<Panels>,
}

impl<F: Float> Activations<F> {
    fn resize(&mut self, n: usize, hp: usize, k: usize) {
        self.a1.resize(n * hp, F::ZERO);
        self.z1.resize(n * hp, F::ZERO);
        self.y.resize(n * k, F::ZERO);
        self.ell.resize(n, F::ZERO);
        self.panels.resize_with(2, Panels::default);
    }

    /// L = −Σ log(y_t + 1e-7) / N, summed in sample order.
    pub fn loss(&self) -> f64 {
        let n = self.ell.len();
        let sum: F = self.ell.iter().copied().sum();
        (sum / F::from_f64(n as f64)).to_f64()
    }
}

/// The forward pass over a batch, its samples in two halves, one per thread
/// (a half is whole groups of 5 images: 50 + 50 for a batch of 100).
pub fn forward<F: Float>(net: &FastNet<F>, batch: &Batch, out: &mut Activations<F>) {
    forward_halves([Own::Read(net), Own::Read(net)], batch, out, true);
}

/// [`forward`] again over the same batch, with other weights: the lit
/// pixels listed by the last forward pass into `out` are still the batch's,
/// so they are not listed again. `batch` must be the batch of that pass.
pub fn forward_again<F: Float>(net: &FastNet<F>, batch: &Batch, out: &mut Activations<F>) {
    forward_halves([Own::Read(net), Own::Read(net)], batch, out, false);
}

/// A thread's copy of the network for a forward pass: read as it is, or
/// first moved by an SGD step (`p -= lr · g`, see [`sgd_all`]).
pub(crate) enum Own<'a, F> {
    /// The network, as it is.
    Read(&'a FastNet<F>),
    /// The network, to be moved by `lr` times the gradient first.
    Update(&'a mut FastNet<F>, &'a Grads<F>, f64),
}

impl<'a, F: Float> Own<'a, F> {
    /// The network, as it is now.
    fn net(&self) -> &FastNet<F> {
        match self {
            Own::Read(net) => net,
            Own::Update(net, ..) => net,
        }
    }

    /// The network to read, after its update if it has one.
    fn ready(self) -> &'a FastNet<F> {
        match self {
            Own::Read(net) => net,
            Own::Update(net, grads, lr) => {
                sgd_all(net, grads, lr);
                net
            }
        }
    }
}

/// The samples of one half of a batch after their forward pass: what the
/// work that follows on the same thread reads.
pub(crate) struct Half<'a, F> {
    /// Their labels.
    pub(crate) labels: &'a [usize],
    /// y: their rows of k.
    pub(crate) y: &'a [F],
    /// a1: their rows of hp.
    pub(crate) a1: &'a [F],
    /// z1: their rows of hp.
    pub(crate) z1: &'a [F],
}

/// The forward pass in two halves, through each thread's copy of the
/// network (`nets`); the lit pixels are listed first unless `list` is false
/// (then `out` lists this batch's already).
pub(crate) fn forward_halves<F: Float>(
    nets: [Own<'_, F>; 2],
    batch: &Batch,
    out: &mut Activations<F>,
    list: bool,
) {
    forward_halves_then(nets, batch, out, list, [(), ()], |_, _, ()| {});
}

/// [`forward_halves`], each half's thread then running `then` on its
/// samples with its share of `work`.
pub(crate) fn forward_halves_then<F: Float, T: Send>(
    nets: [Own<'_, F>; 2],
    batch: &Batch,
    out: &mut Activations<F>,
    list: bool,
    work: [T; 2],
    then: impl Fn(&FastNet<F>, Half<'_, F>, T) + Sync,
) {
    let [net, net_b] = nets;
    let [work, work_b] = work;
    let (n, d, hp, k) = (batch.n, batch.d, net.net().hp, net.net().k);
    out.resize(n, hp, k);
    let m = half(n);
    let Activations {
        a1,
        z1,
        y,
        ell,
        panels,
    } = out;
    let (a1, a1_b) = a1.split_at_mut(m * hp);
    let (z1, z1_b) = z1.split_at_mut(m * hp);
    let (y, y_b) = y.split_at_mut(m * k);
    let (ell, ell_b) = ell.split_at_mut(m);
    let (panels, panels_b) = panels.split_at_mut(1);
    let (x, x_b) = batch.pixels[..n * d].split_at(m * d);
    let (t, t_b) = batch.labels[..n].split_at(m);
    let values = batch.values.as_ref();
    let then = &then;
    team::join(
        || {
            // The loss pass is the last to read the batch before the next
            // one is copied into it, each thread writing its half, which
            // the other read for ∂L/∂W1: each thread asks for its half to
            // write now, not when the copy comes (1–2 % of an iteration).
            if !list {
                prefetch_to_write(x);
            }
            let net = net.ready();
            forward_samples(net, x, t, values, list, &mut panels[0], a1, z1, y, ell);
            let (labels, y, a1, z1) = (t, &*y, &*a1, &*z1);
            then(net, Half { labels, y, a1, z1 }, work);
        },
        || {
            if !list {
                prefetch_to_write(x_b);
            }
            let net_b = net_b.ready();
            forward_samples(
                net_b,
                x_b,
                t_b,
                values,
                list,
                &mut panels_b[0],
                a1_b,
                z1_b,
                y_b,
                ell_b,
            );
            let (labels, y, a1, z1) = (t_b, &*y_b, &*a1_b, &*z1_b);
            then(net_b, Half { labels, y, a1, z1 }, work_b);
        },
    );
}

/// Where a batch of `n` is cut in two: whole groups of [`GROUP`] (50 + 50
/// for a batch of 100).
pub(crate) fn half(n: usize) -> usize {
    (n / 2).next_multiple_of(GROUP).min(n)
}

/// The forward pass over a batch on the calling thread; returns the loss.
///
/// Used inside the parallel numerical gradient, where each thread owns a
/// whole copy of the network and runs whole passes.
pub(crate) fn forward_loss_serial<F: Float>(
    net: &FastNet<F>,
    batch: &Batch,
    out: &mut Activations<F>,
) -> f64 {
    out.resize(batch.n, net.hp, net.k);
    let Activations {
        a1,
        z1,
        y,
        ell,
        panels,
    } = out;
    forward_samples(
        net,
        &batch.pixels,
        &batch.labels,
        batch.values.as_ref(),
        true,
        &mut panels[0],
        a1,
        z1,
        y,
        ell,
    );
    out.loss()
}

kernel! {
    /// Images `x` (with their `labels`) through the network: a1, z1, y and
    /// each one's share of the loss, one per element of `ell`. Their lit
    /// pixels are listed in `panels` first, unless `list` is false: then
    /// `panels` already lists these images. A byte stands for `values[byte]`,
    /// or `byte / 255` without them (x·W1 runs on AMX only then).
    fn forward_samples<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[usize],
        values: Option<&[f64; 256]>,
        list: bool,
        panels: &mut Panels,
        a1: &mut [F],
        z1: &mut [F],
        y: &mut [F],
        ell: &mut [F],
    ) {
        let (n, hp, k) = (ell.len(), net.hp, net.k);
        let scale = scale_for::<F>(values);
        if let Some(planes) = net.amx_planes().filter(|_| values.is_none()) {
            x_w1_amx(net, planes, x, n, &mut panels.amx, a1);
        } else if list {
            list_and_sum(net, x, &labels[..n], panels, &scale, values.is_none(), a1);
        } else {
            assert!(panels.n() == n && panels.d() == net.d, "forward_again: another batch");
            x_w1(level(), net.w1(), &net.b1, net.d, hp, net.h, x, panels, &scale, a1);
        }
        activate(net.activation, &a1[..n * hp], &mut z1[..n * hp]);
        net.output_layer().rows(level(), z1, n, y);
        softmax_rows(y, n, k);
        for s in 0..n {
            ell[s] = cross_entropy(&y[s * k..][..k], labels[s]);
        }
    }
}

kernel! {
    /// a1 = x·W1 + b1 for the images `x`, one per label in `labels`,
    /// listing their lit pixels in `panels` first (in groups of images of
    /// one class, where they can be).
    pub fn hidden_layer<F: Float>(
        net: &FastNet<F>,
        x: &[u8],
        labels: &[usize],
        panels: &mut Panels,
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        list_and_sum(net, x, labels, panels, scale, true, a1);
    }
}

/// [`hidden_layer`]'s work, inlined into the kernel that calls it: the lit
/// pixels of the images `x` (one per label) listed in `panels`, then
/// a1 = x·W1 + b1, each byte read as `scale[byte]` — or on AMX, where the
/// network runs there and `amx` allows it: AMX reads `byte / 255`, so
/// `amx` must be false for any other `scale` (save where a bound covers
/// the difference: [`super::evaluate_narrow::amx_reads`]).
#[inline(always)]
pub(crate) fn list_and_sum<F: Float, L: Copy + Into<usize>>(
    net: &FastNet<F>,
    x: &[u8],
    labels: &[L],
    panels: &mut Panels,
    scale: &[F; 256],
    amx: bool,
    a1: &mut [F],
) {
    if let Some(planes) = net.amx_planes().filter(|_| amx) {
        return x_w1_amx(net, planes, x, labels.len(), &mut panels.amx, a1);
    }
    let bytes = std::mem::size_of::<F>();
    let block = Panels::block_for(net.hp, bytes, Panels::block_bytes(level()));
    panels.build(level(), x, labels, labels.len(), net.d, block);
    x_w1(
        level(),
        net.w1(),
        &net.b1,
        net.d,
        net.hp,
        net.h,
        x,
        panels,
        scale,
        a1,
    );
}

/// a1 = x·W1 + b1 for the `n` images in `x` (rows of `d` bytes), on AMX
/// with `planes` (from [`FastNet::amx_planes`], made for f32 only); `a1`
/// gets `n` rows of `hp`.
fn x_w1_amx<F: Float>(
    net: &FastNet<F>,
    planes: &W1Planes,
    x: &[u8],
    n: usize,
    scratch: &mut amx::Scratch,
    a1: &mut [F],
) {
    let b1 = F::as_f32(&net.b1).expect("AMX planes are made for f32 only");
    let a1 = F::as_f32_mut(a1).expect("AMX planes are made for f32 only");
    amx::x_w1(planes, x, n, b1, a1, scratch);
}
