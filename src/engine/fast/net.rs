//! The network as flat arrays laid out for the cache, and its forward pass.
//!
//! Same parameters and formulas as [`TwoLayerNet`](crate::TwoLayerNet); only
//! the order in which numbers sit in memory differs. The hidden layer is cut
//! into *blocks* of [`Float::LANES`] units (16 in f32, 8 in f64: 64 bytes,
//! one cache line, one AVX-512 register), and W1 is stored block by block:
//! `w1[block][pixel][lane]`. One block of W1 (784 × 64 bytes = 49 KiB) then
//! fits the fastest cache while a batch's pixels stream past it, where the
//! whole W1 (200–400 KiB) would not.
//!
//! The hidden layer is padded to `hp` units, a multiple of 16; the padding
//! units have zero weights in and out, so they change nothing.

use ndarray::{Array1, Array2};

use crate::params::Params;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::float::Float;

/// The hidden layer is padded to a multiple of this many units.
pub const PAD: usize = 16;

/// The 1e-7 the book adds inside the logarithm of the cross-entropy.
const DELTA: f64 = 1e-7;

/// W1, b1, W2, b2 in one number type.
#[derive(Debug, Clone, PartialEq)]
pub struct FastNet<F> {
    /// Input size (784).
    pub d: usize,
    /// Hidden units (50).
    pub h: usize,
    /// Stored hidden units, h rounded up to a multiple of [`PAD`] (64 for 50).
    pub hp: usize,
    /// Classes (10).
    pub k: usize,
    /// W1 as `[block][pixel][lane]`: hidden unit `block · LANES + lane`.
    pub w1: Vec<F>,
    /// b1: (hp,).
    pub b1: Vec<F>,
    /// W2: (hp, k), row j for hidden unit j.
    pub w2: Vec<F>,
    /// b2: (k,).
    pub b2: Vec<F>,
    /// The hidden activation.
    pub activation: Activation,
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
    /// Hidden blocks: hp / LANES.
    #[inline(always)]
    pub fn blocks(&self) -> usize {
        self.hp / F::LANES
    }

    /// Index in `w1` of W1[pixel, unit j].
    #[inline(always)]
    pub fn w1_index(&self, pixel: usize, j: usize) -> usize {
        ((j / F::LANES) * self.d + pixel) * F::LANES + j % F::LANES
    }

    /// The parameters of `net`, converted to `F` and laid out in blocks.
    pub fn from_net(net: &TwoLayerNet) -> Self {
        let (d, h, k) = net.params.sizes();
        let hp = h.div_ceil(PAD) * PAD;
        let mut fast = FastNet {
            d,
            h,
            hp,
            k,
            w1: vec![F::ZERO; d * hp],
            b1: vec![F::ZERO; hp],
            w2: vec![F::ZERO; hp * k],
            b2: vec![F::ZERO; k],
            activation: net.activation,
        };
        fast.set_params(&net.params);
        fast
    }

    /// Overwrites the parameters with `params` (same sizes).
    pub fn set_params(&mut self, params: &Params) {
        let p = params;
        for i in 0..self.d {
            for j in 0..self.h {
                let at = self.w1_index(i, j);
                self.w1[at] = F::from_f64(p.w1[[i, j]]);
            }
        }
        for j in 0..self.h {
            self.b1[j] = F::from_f64(p.b1[j]);
            for c in 0..self.k {
                self.w2[j * self.k + c] = F::from_f64(p.w2[[j, c]]);
            }
        }
        for c in 0..self.k {
            self.b2[c] = F::from_f64(p.b2[c]);
        }
    }

    /// Back to the book's f64 network.
    pub fn to_net(&self) -> TwoLayerNet {
        TwoLayerNet::from_params(self.to_params(), self.activation)
    }

    /// The parameters as the book's f64 arrays (padding dropped).
    pub fn to_params(&self) -> Params {
        let (d, h, k) = (self.d, self.h, self.k);
        Params {
            w1: Array2::from_shape_fn((d, h), |(i, j)| self.w1[self.w1_index(i, j)].to_f64()),
            b1: Array1::from_shape_fn(h, |j| self.b1[j].to_f64()),
            w2: Array2::from_shape_fn((h, k), |(j, c)| self.w2[j * k + c].to_f64()),
            b2: Array1::from_shape_fn(k, |c| self.b2[c].to_f64()),
        }
    }

    /// Number of parameters (padding not counted).
    pub fn len(&self) -> usize {
        self.d * self.h + self.h + self.h * self.k + self.k
    }

    /// Always false: a network has parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where parameter number `p` (W1, b1, W2, b2 in the book's row-major
    /// order, padding not counted) is stored.
    #[inline]
    pub fn locate(&self, p: usize) -> Slot {
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
            Slot::W1(i) => &mut self.w1[i],
            Slot::B1(i) => &mut self.b1[i],
            Slot::W2(i) => &mut self.w2[i],
            Slot::B2(i) => &mut self.b2[i],
        }
    }

    /// One block of the hidden layer for one sample: LANES units of
    /// a1 = x·W1 + b1 from the sample's non-zero pixels, and z1 = h(a1).
    ///
    /// The sum over pixels is split four ways (pixels 0, 4, 8, … in one
    /// running sum, 1, 5, 9, … in the next, …) so four additions are in
    /// flight at once instead of each waiting for the last; the four are
    /// added in a fixed order, so the result does not depend on the vector
    /// width.
    #[inline(always)]
    pub fn hidden_block(
        &self,
        block: usize,
        pixels: &[u16],
        values: &[F],
        a1: &mut [F],
        z1: &mut [F],
    ) {
        let lanes = F::LANES;
        let w1 = &self.w1[block * self.d * lanes..][..self.d * lanes];
        let acc = split_sum(pixels, values, w1);
        let b1 = &self.b1[block * lanes..][..lanes];
        let (a1, z1) = (&mut a1[..lanes], &mut z1[..lanes]);
        for l in 0..lanes {
            a1[l] = acc[l] + b1[l];
        }
        activate(self.activation, a1, z1);
    }

    /// a2 = z1·W2 + b2 for one sample, `z1` given block by block:
    /// `z1(block)` is that block's LANES units.
    #[inline(always)]
    pub fn output<'a>(&self, z1: impl Fn(usize) -> &'a [F], a2: &mut [F])
    where
        F: 'a,
    {
        let k = self.k;
        let a2 = &mut a2[..k];
        a2.fill(F::ZERO);
        for j in 0..self.h {
            let z = z1(j / F::LANES)[j % F::LANES];
            let row = &self.w2[j * k..][..k];
            for c in 0..k {
                a2[c] += z * row[c];
            }
        }
        for (a, &b) in a2.iter_mut().zip(&self.b2[..k]) {
            *a += b;
        }
    }
}

/// Σₑ values[e] · M[index[e]] over LANES lanes, M's rows LANES wide, the
/// terms dealt round-robin into four running sums added at the end.
#[inline(always)]
pub fn split_sum<F: Float>(index: &[u16], values: &[F], m: &[F]) -> [F; 16] {
    let lanes = F::LANES;
    let (mut a0, mut a1, mut a2, mut a3) =
        ([F::ZERO; 16], [F::ZERO; 16], [F::ZERO; 16], [F::ZERO; 16]);
    let row = |i: u16| &m[i as usize * lanes..][..lanes];
    let mut i4 = index.chunks_exact(4);
    let mut v4 = values.chunks_exact(4);
    for (i, v) in (&mut i4).zip(&mut v4) {
        let (r0, r1, r2, r3) = (row(i[0]), row(i[1]), row(i[2]), row(i[3]));
        for l in 0..lanes {
            a0[l] += v[0] * r0[l];
            a1[l] += v[1] * r1[l];
            a2[l] += v[2] * r2[l];
            a3[l] += v[3] * r3[l];
        }
    }
    for ((&i, &v), acc) in i4
        .remainder()
        .iter()
        .zip(v4.remainder())
        .zip([&mut a0, &mut a1, &mut a2])
    {
        let r = row(i);
        for l in 0..lanes {
            acc[l] += v * r[l];
        }
    }
    let mut out = [F::ZERO; 16];
    for l in 0..lanes {
        out[l] = (a0[l] + a1[l]) + (a2[l] + a3[l]);
    }
    out
}

/// z = h(a): sigmoid or ReLU, element-wise.
#[inline(always)]
pub fn activate<F: Float>(activation: Activation, a: &[F], z: &mut [F]) {
    let z = &mut z[..a.len()];
    match activation {
        Activation::Sigmoid => {
            for (z, &a) in z.iter_mut().zip(a) {
                *z = F::ONE / (F::ONE + (-a).exp());
            }
        }
        Activation::Relu => {
            for (z, &a) in z.iter_mut().zip(a) {
                // `a <= 0` as the book's mask, so a NaN passes through.
                *z = if a <= F::ZERO { F::ZERO } else { a };
            }
        }
    }
}

/// y = softmax(a), in place: exp(a − max a) / Σ exp(a − max a).
#[inline(always)]
pub fn softmax<F: Float>(a: &mut [F]) {
    let mut max = a[0];
    for &v in a.iter() {
        if v > max {
            max = v;
        }
    }
    let mut sum = F::ZERO;
    for v in a.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in a.iter_mut() {
        *v = *v / sum;
    }
}

/// −log(y_t + 1e-7): one sample's share of the cross-entropy.
#[inline(always)]
pub fn cross_entropy<F: Float>(y: &[F], t: usize) -> F {
    -(y[t] + F::from_f64(DELTA)).ln()
}

/// Index of the largest value (the first on ties).
#[inline(always)]
pub fn argmax<F: Float>(a: &[F]) -> usize {
    let mut best = 0;
    for (i, &v) in a.iter().enumerate() {
        if v > a[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_round_trips() {
        let net = TwoLayerNet::new(7, 19, 3, 1.0);
        let fast = FastNet::<f64>::from_net(&net);
        assert_eq!((fast.hp, fast.blocks()), (32, 4));
        assert_eq!(fast.to_net(), net);
        // Padding units have zero weights in and out.
        for i in 0..7 {
            for j in 19..32 {
                assert_eq!(fast.w1[fast.w1_index(i, j)], 0.0);
            }
        }
        assert!(fast.w2[19 * 3..].iter().all(|&w| w == 0.0));
        // Parameter p of the book's order is found where locate says.
        let mut fast = fast;
        let p = 5 * 19 + 4; // W1[5, 4]
        assert_eq!(*fast.at(fast.locate(p)), net.params.w1[[5, 4]]);
        assert_eq!(*fast.at(fast.locate(7 * 19 + 2)), net.params.b1[2]);
        assert_eq!(
            *fast.at(fast.locate(7 * 19 + 19 + 3 * 3 + 1)),
            net.params.w2[[3, 1]]
        );
    }
}
