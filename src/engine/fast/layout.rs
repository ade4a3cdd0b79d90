//! The memory layout of the fast engine: the network and its gradient as
//! flat arrays (the mini-batch: [`super::batch`]).
//!
//! ```text
//! FastNet   W1: (d, hp)   b1: (hp,)   W2: (hp, k)   b2: (k,)    in F (f32 or f64), row-major
//! Grads     ∂L/∂W1, ∂L/∂b1, ∂L/∂W2, ∂L/∂b2: the same shapes
//! ```
//!
//! Same parameters and formulas as [`TwoLayerNet`], same row-major layout
//! as the book's arrays. The hidden layer is padded to `hp` units, a
//! multiple of one register of the kernel level in use (AVX-512: 16 f32 or
//! 8 f64; AVX2: 8 or 4; 128 bits: 4 or 2), so every inner loop runs whole
//! vectors; the padding units have zero weights in and out and change
//! nothing. The book's 50 units are 64 f32 with AVX-512, 56 with AVX2 and
//! 52 at 128 bits: the narrower the registers, the less padding to carry.
//! W1 and its gradient start a 64-byte cache line ([`Aligned`]), as do the
//! hidden layer's rows (a1, z1, ∂L/∂a1), so with rows a whole number of
//! registers long no register's load or store straddles two lines (measured
//! with AVX-512: 7–10 % off f64's forward and backward passes).

use crate::params::Params;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::kernels::aligned::Aligned;
use super::kernels::amx;
use super::kernels::float::Float;
use super::kernels::z1_w2::W2;
use super::kernels::{Level, kernel, level};

/// W1, b1, W2, b2 in one number type.
#[derive(Debug, Clone, PartialEq)]
pub struct FastNet<F> {
    /// Input size (784).
    pub d: usize,
    /// Hidden units (50).
    pub h: usize,
    /// Stored hidden units, h rounded up to a multiple of a 64-byte register
    /// of F (50 is stored as 64 f32 or 56 f64).
    pub hp: usize,
    /// Classes (10).
    pub k: usize,
    /// W1: (d, hp). Read it with [`Self::w1`], write it with
    /// [`Self::w1_mut`] (which keeps the AMX planes in step); the update
    /// writes it in place, then calls [`Self::w1_changed`].
    pub(super) w1: Aligned<F>,
    /// b1: (hp,).
    pub(crate) b1: Vec<F>,
    /// W2: (hp, k), row j for hidden unit j.
    pub(crate) w2: Vec<F>,
    /// b2: (k,).
    pub(crate) b2: Vec<F>,
    /// The hidden activation.
    pub(crate) activation: Activation,
    /// W1 as the byte planes of the AMX kernel, made when first needed;
    /// every method that changes W1 empties it or makes it again.
    amx: amx::Cache,
}

/// Writes `from`, rounded to F, into `to` when any of its numbers differs
/// bit for bit from what `to` holds; whether one did. Compared without an
/// early exit, so the comparison runs on vector registers.
#[inline(always)]
pub(crate) fn copy_changed<F: Float>(to: &mut [F], from: &[f64]) -> bool {
    let bits = |v: F| v.to_f64().to_bits();
    let diff = to
        .iter()
        .zip(from)
        .fold(0, |diff, (&t, &f)| diff | (bits(t) ^ bits(F::from_f64(f))));
    if diff != 0 {
        for (t, &f) in to.iter_mut().zip(from) {
            *t = F::from_f64(f);
        }
    }
    diff != 0
}

kernel! {
    /// [`FastNet::set_params_from`]'s comparison and copy, compiled with
    /// the level's instructions: the book's 313 KB of W1 are read twice
    /// each call from Python (`gradient`, then `loss` after the update).
    fn take_changed<F: Float>(net: &mut FastNet<F>, values: [&[f64]; 4]) -> bool {
        let [w1, b1, w2, b2] = values;
        let (h, hp, k) = (net.h, net.hp, net.k);
        let mut changed = false;
        for (row, from) in net
            .w1
            .chunks_exact_mut(hp.max(1))
            .zip(w1.chunks_exact(h.max(1)))
        {
            changed |= copy_changed(&mut row[..h], from);
        }
        // W2's first h rows of k are all of the book's W2, in its order.
        changed |= copy_changed(&mut net.w2[..h * k], w2);
        changed |= copy_changed(&mut net.b1[..h], b1);
        changed |= copy_changed(&mut net.b2, b2);
        changed
    }
}

kernel! {
    /// `values`, laid out (and padded) like `net`'s parameters, written
    /// into the book's row-major f64 arrays `into` (padding dropped), a row
    /// at a time, compiled with the level's instructions.
    fn values_into<F: Float>(net: &FastNet<F>, values: [&[F]; 4], into: [&mut [f64]; 4]) {
        let (d, h, hp, k) = (net.d, net.h, net.hp, net.k);
        let [w1, b1, w2, b2] = values;
        let [w1_to, b1_to, w2_to, b2_to] = into;
        assert_eq!(
            [w1_to.len(), b1_to.len(), w2_to.len(), b2_to.len()],
            [d * h, h, h * k, k],
            "the book's sizes"
        );
        for (to, row) in w1_to
            .chunks_exact_mut(h.max(1))
            .zip(w1.chunks_exact(hp.max(1)))
        {
            write_f64s(to, &row[..h]);
        }
        write_f64s(b1_to, &b1[..h]);
        write_f64s(w2_to, &w2[..h * k]);
        write_f64s(b2_to, &b2[..k]);
    }
}

/// `to` ← `from`'s numbers as f64.
#[inline(always)]
fn write_f64s<F: Float>(to: &mut [f64], from: &[F]) {
    for (t, f) in to.iter_mut().zip(from) {
        *t = f.to_f64();
    }
}

/// Where one parameter lives in a [`FastNet`] (an index into that array).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// An index into `w1`.
    W1(usize),
    /// An index into `b1`.
    B1(usize),
    /// An index into `w2`.
    W2(usize),
    /// An index into `b2`.
    B2(usize),
}

impl<F: Float> FastNet<F> {
    /// Index in `w1` of W1[pixel, unit j].
    #[inline(always)]
    pub fn w1_index(&self, pixel: usize, j: usize) -> usize {
        pixel * self.hp + j
    }

    /// The parameters of `net`, converted to `F` and padded for the kernel
    /// level in use ([`level`]).
    pub fn from_net(net: &TwoLayerNet) -> Self {
        Self::from_net_at(net, level())
    }

    /// The parameters of `net`, converted to `F` and padded for kernel level
    /// `level` (and every narrower one): hp is a multiple of one register.
    pub fn from_net_at(net: &TwoLayerNet, level: Level) -> Self {
        let (d, h, k) = net.params.sizes();
        let hp = Self::padded(h, level);
        let mut fast = FastNet {
            d,
            h,
            hp,
            k,
            w1: Aligned::zeros(d * hp),
            b1: vec![F::ZERO; hp],
            w2: vec![F::ZERO; hp * k],
            b2: vec![F::ZERO; k],
            activation: net.activation,
            amx: amx::Cache::default(),
        };
        fast.set_params(&net.params);
        fast
    }

    /// `h` hidden units rounded up to whole registers of `F` at `level`.
    fn padded(h: usize, level: Level) -> usize {
        let pad = level.register_bytes() / std::mem::size_of::<F>();
        h.div_ceil(pad) * pad
    }

    /// `net`'s parameters rounded to `F`, padded for the kernel level in
    /// use (an f64 network's f32 copy, for its evaluation's hidden sums).
    pub(crate) fn narrowed<G: Float>(net: &FastNet<G>) -> Self {
        let (d, h, k) = (net.d, net.h, net.k);
        let hp = Self::padded(h, level());
        let convert = |v: &[G]| v.iter().map(|x| F::from_f64(x.to_f64())).collect();
        let mut w1 = Aligned::zeros(d * hp);
        for (to, from) in w1
            .chunks_exact_mut(hp.max(1))
            .zip(net.w1.chunks_exact(net.hp.max(1)))
        {
            for (t, f) in to[..h].iter_mut().zip(&from[..h]) {
                *t = F::from_f64(f.to_f64());
            }
        }
        let mut w2: Vec<F> = convert(&net.w2[..h * k]);
        w2.resize(hp * k, F::ZERO);
        let mut b1: Vec<F> = convert(&net.b1[..h]);
        b1.resize(hp, F::ZERO);
        FastNet {
            d,
            h,
            hp,
            k,
            w1,
            b1,
            w2,
            b2: convert(&net.b2),
            activation: net.activation,
            amx: amx::Cache::default(),
        }
    }

    /// Overwrites the parameters with `params` (same sizes): see
    /// [`Self::set_params_from`].
    pub fn set_params(&mut self, params: &Params) {
        self.set_params_from(params.slices().map(|(_, v)| v));
    }

    /// W ← `values`: W1, b1, W2, b2 as the book's row-major arrays, of this
    /// network's sizes, rounded to F. W1's rows of h go into rows of hp,
    /// the padding left as it is. A row is written only where a number
    /// differs bit for bit, so an unchanged network is read, not written.
    /// Returns whether anything changed.
    ///
    /// # Panics
    /// When a slice's length is not its parameter's.
    pub fn set_params_from(&mut self, values: [&[f64]; 4]) -> bool {
        let [w1, b1, w2, b2] = values;
        let (d, h, k) = (self.d, self.h, self.k);
        assert_eq!(
            [w1.len(), b1.len(), w2.len(), b2.len()],
            [d * h, h, h * k, k],
            "set_params: other sizes"
        );
        let changed = take_changed(self, values);
        if changed {
            self.amx.clear();
        }
        changed
    }

    /// W ← `other`'s parameters (a network of the same sizes and padding).
    pub(super) fn copy_params_of(&mut self, other: &Self) {
        self.w1.copy_from_slice(&other.w1);
        self.b1.copy_from_slice(&other.b1);
        self.w2.copy_from_slice(&other.w2);
        self.b2.copy_from_slice(&other.b2);
        self.amx.clear();
    }

    /// Back to the book's f64 network.
    pub fn to_net(&self) -> TwoLayerNet {
        TwoLayerNet::from_params(self.to_params(), self.activation)
    }

    /// The parameters as the book's f64 arrays (padding dropped).
    pub(crate) fn to_params(&self) -> Params {
        self.params_of([&self.w1, &self.b1, &self.w2, &self.b2])
    }

    /// `[w1, b1, w2, b2]`, laid out (and padded) like this network's
    /// parameters, as the book's f64 arrays (padding dropped).
    fn params_of(&self, values: [&[F]; 4]) -> Params {
        let (d, h, k) = (self.d, self.h, self.k);
        let mut params = Params::zeros(d, h, k);
        values_into(self, values, params.slices_mut().map(|(_, v)| v));
        params
    }

    /// Number of parameters (padding not counted).
    pub(crate) fn len(&self) -> usize {
        self.d * self.h + self.h + self.h * self.k + self.k
    }

    /// Where parameter number `p` (W1, b1, W2, b2 in the book's row-major
    /// order, padding not counted) is stored.
    #[inline]
    pub(crate) fn locate(&self, p: usize) -> Slot {
        let (n1, n2, n3) = (self.d * self.h, self.h, self.h * self.k);
        if p < n1 {
            Slot::W1(self.w1_index(p / self.h, p % self.h))
        } else if p < n1 + n2 {
            Slot::B1(p - n1)
        } else if p < n1 + n2 + n3 {
            Slot::W2(p - n1 - n2)
        } else {
            Slot::B2(p - n1 - n2 - n3)
        }
    }

    /// The stored parameter at `slot`.
    #[inline]
    pub fn at(&mut self, slot: Slot) -> &mut F {
        match slot {
            Slot::W1(i) => {
                self.amx.clear();
                &mut self.w1[i]
            }
            Slot::B1(i) => &mut self.b1[i],
            Slot::W2(i) => &mut self.w2[i],
            Slot::B2(i) => &mut self.b2[i],
        }
    }

    /// W1: (d, hp), row-major.
    pub fn w1(&self) -> &[F] {
        &self.w1
    }

    /// W1, to write (its AMX planes are made again when next needed).
    pub fn w1_mut(&mut self) -> &mut [F] {
        self.amx.clear();
        &mut self.w1
    }

    /// W2 and b2 as the output layer's kernel reads them.
    pub(crate) fn output_layer(&self) -> W2<'_, F> {
        W2 {
            w: &self.w2,
            b: &self.b2,
            h: self.h,
            hp: self.hp,
            k: self.k,
        }
    }

    /// W1's planes for the AMX kernel, when x·W1 runs there: in f32, on a
    /// processor with AMX ([`amx::available`]). Made at the first call after
    /// W1 changed.
    pub fn amx_planes(&self) -> Option<&amx::W1Planes> {
        let w1 = F::as_f32(&self.w1)?;
        if !self.fits_amx() {
            return None;
        }
        Some(
            self.amx
                .get_or_make(|| amx::W1Planes::new(w1, self.d, self.h, self.hp)),
        )
    }

    /// Whether this network's x·W1 can run on AMX here (besides being f32):
    /// the processor has it, and images have 1 to [`amx::MAX_D`] pixels and
    /// the hidden layer a unit or more.
    fn fits_amx(&self) -> bool {
        (1..=amx::MAX_D).contains(&self.d) && self.h > 0 && amx::available()
    }

    /// After W1 changed in bulk (an SGD step): its AMX planes made again,
    /// in place, when x·W1 runs on AMX.
    pub(crate) fn w1_changed(&mut self) {
        let fits = self.fits_amx();
        match F::as_f32(&self.w1) {
            Some(w1) if fits => self.amx.refill(w1, self.d, self.h, self.hp),
            _ => self.amx.clear(),
        }
    }
}

/// ∂L/∂W for W1, b1, W2, b2, laid out (and padded) like the network.
#[derive(Debug, Clone, Default)]
pub struct Grads<F> {
    /// ∂L/∂W1: (d, hp).
    pub w1: Aligned<F>,
    /// ∂L/∂b1: (hp,).
    pub b1: Vec<F>,
    /// ∂L/∂W2: (hp, k).
    pub w2: Vec<F>,
    /// ∂L/∂b2: (k,).
    pub b2: Vec<F>,
}

impl<F: Float> Grads<F> {
    /// Zeros shaped like `net`.
    pub fn zeros_like(net: &FastNet<F>) -> Self {
        Grads {
            w1: Aligned::zeros(net.w1.len()),
            b1: vec![F::ZERO; net.b1.len()],
            w2: vec![F::ZERO; net.w2.len()],
            b2: vec![F::ZERO; net.b2.len()],
        }
    }

    /// The gradient at `slot`.
    pub(crate) fn at(&mut self, slot: Slot) -> &mut F {
        match slot {
            Slot::W1(i) => &mut self.w1[i],
            Slot::B1(i) => &mut self.b1[i],
            Slot::W2(i) => &mut self.w2[i],
            Slot::B2(i) => &mut self.b2[i],
        }
    }

    /// As the book's f64 parameters (padding dropped), shaped like `net`'s.
    pub fn to_params(&self, net: &FastNet<F>) -> Params {
        net.params_of([&self.w1, &self.b1, &self.w2, &self.b2])
    }

    /// [`Self::to_params`] written into `into`: W1, b1, W2, b2, row-major.
    ///
    /// # Panics
    /// When a slice of `into` is not its parameter's length.
    pub fn write_into(&self, net: &FastNet<F>, into: [&mut [f64]; 4]) {
        values_into(net, [&self.w1, &self.b1, &self.w2, &self.b2], into);
    }
}

#[cfg(test)]
#[path = "tests/layout.rs"]
mod tests;
