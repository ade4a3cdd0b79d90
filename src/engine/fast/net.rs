//! The network as flat arrays, and the kernels of its two big products.
//!
//! Same parameters and formulas as [`TwoLayerNet`], same
//! row-major layout as the book's arrays (W1: (d, hp), W2: (hp, k)). The
//! hidden layer is padded to `hp` units, a multiple of one 64-byte register
//! (16 f32 or 8 f64), so every inner loop runs whole vectors; the padding
//! units have zero weights in and out and change nothing.
//!
//! The two products that cost anything are x·W1 (forward) and xᵀ·δ
//! (∂L/∂W1). Both are computed in *tiles*: a few samples (or pixels) times a
//! few vector registers of hidden units ([`super::vector`]), whose running
//! sums stay in registers while the other dimension streams past — 5 images
//! × 64 hidden units of f32 in 20 AVX-512 registers for x·W1. A pixel that
//! is zero in every sample of a tile is skipped outright — exact, since it
//! would only add zeros — and most pixels are zero (81 % of MNIST, 50 % of
//! Fashion-MNIST): x·W1 walks lists of lit pixels made beforehand, block by
//! block so that W1's rows come from the L1 cache ([`super::panel`]).
//! Every sum adds its terms in pixel (or sample) order, as the book's
//! products would, so neither the tile shape nor the vector width ever
//! changes a result; with AVX2 or AVX-512 each term is fused into the sum
//! (one rounding), on plain SSE2 it is multiplied, then added.

use ndarray::{Array1, Array2};

use crate::params::Params;
use crate::two_layer_net::{Activation, TwoLayerNet};

use super::amx;
use super::float::Float;
use super::panel::{GROUP, Panels};
use super::simd::{Level, level};
#[cfg(target_arch = "x86_64")]
use super::vector::Vector;

/// The hidden layer is padded to a multiple of this many units for f32
/// (one 64-byte register of them), and of half as many for f64.
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
    /// Stored hidden units, h rounded up to a multiple of a 64-byte register
    /// of F (50 is stored as 64 f32 or 56 f64).
    pub hp: usize,
    /// Classes (10).
    pub k: usize,
    /// W1: (d, hp). Read it with [`Self::w1`], write it with
    /// [`Self::w1_mut`] (which keeps the AMX planes in step).
    pub(super) w1: Vec<F>,
    /// b1: (hp,).
    pub b1: Vec<F>,
    /// W2: (hp, k), row j for hidden unit j.
    pub w2: Vec<F>,
    /// b2: (k,).
    pub b2: Vec<F>,
    /// The hidden activation.
    pub activation: Activation,
    /// W1 as the byte planes of the AMX kernel, made when first needed;
    /// every method that changes W1 empties it or makes it again.
    pub(super) amx: amx::Cache,
}

/// W1, b1, W2, b2 laid out (and padded) like `net`'s, as the book's f64
/// arrays (padding dropped), row by row.
pub fn params_of<F: Float>(net: &FastNet<F>, w1: &[F], b1: &[F], w2: &[F], b2: &[F]) -> Params {
    let (d, h, hp, k) = (net.d, net.h, net.hp, net.k);
    let f64s = |v: &[F]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
    let rows: Vec<f64> = if h == 0 {
        Vec::new()
    } else {
        w1.chunks_exact(hp)
            .take(d)
            .flat_map(|row| row[..h].iter().map(|x| x.to_f64()))
            .collect()
    };
    Params {
        w1: Array2::from_shape_vec((d, h), rows).expect("d rows of h"),
        b1: Array1::from(f64s(&b1[..h])),
        w2: Array2::from_shape_vec((h, k), f64s(&w2[..h * k])).expect("h rows of k"),
        b2: Array1::from(f64s(&b2[..k])),
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

    /// The parameters of `net`, converted to `F` (and padded).
    pub fn from_net(net: &TwoLayerNet) -> Self {
        let (d, h, k) = net.params.sizes();
        // 64 bytes of F: 16 f32 or 8 f64 (50 units: 64 f32, 56 f64).
        let pad = PAD * 4 / std::mem::size_of::<F>();
        let hp = h.div_ceil(pad) * pad;
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
            amx: amx::Cache::default(),
        };
        fast.set_params(&net.params);
        fast
    }

    /// Overwrites the parameters with `params` (same sizes).
    pub fn set_params(&mut self, params: &Params) {
        self.amx.clear();
        let (h, hp, k) = (self.h, self.hp, self.k);
        let convert = |to: &mut [F], from: &[f64]| {
            for (t, &f) in to.iter_mut().zip(from) {
                *t = F::from_f64(f);
            }
        };
        // Row by row: W1's rows are padded from h to hp units here.
        let w1 = params.w1.as_slice().expect("standard layout");
        if h > 0 {
            for (row, from) in self.w1.chunks_exact_mut(hp).zip(w1.chunks_exact(h)) {
                convert(&mut row[..h], from);
            }
        }
        convert(
            &mut self.b1[..h],
            params.b1.as_slice().expect("standard layout"),
        );
        convert(
            &mut self.w2[..h * k],
            params.w2.as_slice().expect("standard layout"),
        );
        convert(&mut self.b2, params.b2.as_slice().expect("standard layout"));
    }

    /// Back to the book's f64 network.
    pub fn to_net(&self) -> TwoLayerNet {
        TwoLayerNet::from_params(self.to_params(), self.activation)
    }

    /// The parameters as the book's f64 arrays (padding dropped).
    pub fn to_params(&self) -> Params {
        params_of(self, &self.w1, &self.b1, &self.w2, &self.b2)
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

    /// W1's planes for the AMX kernel, when x·W1 runs there: in f32, on a
    /// processor with AMX ([`amx::available`]). Made at the first call after
    /// W1 changed.
    pub fn amx_planes(&self) -> Option<&amx::W1Planes> {
        let w1 = amx::as_f32(&self.w1)?;
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
    pub fn w1_changed(&mut self) {
        let fits = self.fits_amx();
        match amx::as_f32(&self.w1) {
            Some(w1) if fits => self.amx.refill(w1, self.d, self.h, self.hp),
            _ => self.amx.clear(),
        }
    }

    /// a1 = x·W1 + b1 for the `n` images in `x` (rows of `d` bytes), on AMX
    /// with `planes` (from [`Self::amx_planes`]); `a1` gets `n` rows of `hp`.
    pub fn hidden_pre_amx(
        &self,
        planes: &amx::W1Planes,
        x: &[u8],
        n: usize,
        scratch: &mut amx::Scratch,
        a1: &mut [F],
    ) {
        let b1 = amx::as_f32(&self.b1).expect("AMX planes are made for f32 only");
        let a1 = amx::as_f32_mut(a1).expect("AMX planes are made for f32 only");
        amx::hidden_pre(planes, x, n, b1, a1, scratch);
    }

    /// a1 = x·W1 + b1 for the `n` images in `x` (rows of `d` bytes), whose
    /// lit pixels `panels` lists; `a1` gets `n` rows of `hp`.
    ///
    /// Block by block, every group of images through each block of pixels
    /// (see [`Panels`]); within a group, tiles of hidden units as wide as
    /// the registers allow.
    #[inline(always)]
    pub fn hidden_pre(&self, x: &[u8], panels: &Panels, scale: &[F; 256], a1: &mut [F]) {
        let (n, d, hp) = (panels.n(), self.d, self.hp);
        assert!(panels.d() == d && x.len() >= n * d && a1.len() >= n * hp);
        // The running sums wait in a1 between blocks: they start at zero,
        // and b1 is added once every pixel is in (the book's x·W1 + b1).
        a1[..n * hp].fill(F::ZERO);
        let level = level();
        for b in 0..panels.blocks() {
            for g in 0..n.div_ceil(GROUP) {
                let (lit, images) = (panels.lit(g, b), panels.group(g));
                match level {
                    // GROUP × 4 registers of sums on AVX-512 (32 registers),
                    // × 2 on AVX2 and SSE2 (16).
                    #[cfg(target_arch = "x86_64")]
                    Level::Avx512 => self.hidden_group::<F::Zmm, 4>(x, images, lit, scale, a1),
                    #[cfg(target_arch = "x86_64")]
                    Level::Avx2 => self.hidden_group::<F::Ymm, 2>(x, images, lit, scale, a1),
                    _ if std::mem::size_of::<F>() == 4 => {
                        self.hidden_group_scalar::<8>(x, images, lit, scale, a1)
                    }
                    _ => self.hidden_group_scalar::<4>(x, images, lit, scale, a1),
                }
            }
        }
        for row in a1[..n * hp].chunks_exact_mut(hp) {
            for (a, &b) in row.iter_mut().zip(&self.b1) {
                *a += b;
            }
        }
    }

    /// Every hidden unit of the `images` (rows of x and of a1) over the
    /// pixels `lit`: tiles of R registers while they fit, then of one. A
    /// group smaller than [`GROUP`] (the last) goes one image at a time.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn hidden_group<V: Vector<F>, const R: usize>(
        &self,
        x: &[u8],
        images: &[u32],
        lit: &[u32],
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        let (d, hp) = (self.d, self.hp);
        // Checked once here so the tiles, whose loops run once per lit
        // pixel, read without a bounds check; every index in `lit` is below
        // d (`Panels` lists only pixels of its images, and `hidden_pre`
        // checked that those have d pixels). Lanes come in whole registers:
        // hp is a multiple of one 64-byte register of F, so of every V::N.
        let rows = x.len() / d.max(1);
        assert!(images.iter().all(|&s| (s as usize) < rows) && a1.len() >= rows * hp);
        assert!(self.w1.len() >= d * hp && hp.is_multiple_of(V::N) && images.len() <= GROUP);
        let mut lane = 0;
        while lane < hp {
            // R registers while they fit, then what is left (1 to R − 1).
            let r = ((hp - lane) / V::N).min(R);
            macro_rules! tile {
                ($r:tt) => {
                    // SAFETY: the tiles read the rows `images` of x, pixels
                    // below d, and units lane..lane + r·V::N ≤ hp of W1 and
                    // of a1's rows `images`, all inside the slices (asserted
                    // above); the level says the processor has V's
                    // instructions.
                    unsafe {
                        if let Ok(group) = <&[u32; GROUP]>::try_from(images) {
                            if hp == 64 {
                                self.hidden_tile::<V, GROUP, $r, 64>(x, group, lit, scale, lane, a1)
                            } else {
                                self.hidden_tile::<V, GROUP, $r, 0>(x, group, lit, scale, lane, a1)
                            }
                        } else {
                            for s in images {
                                self.hidden_tile::<V, 1, $r, 0>(x, &[*s], lit, scale, lane, a1)
                            }
                        }
                    }
                };
            }
            match r {
                _ if r == R => tile!(R),
                3 => tile!(3),
                2 => tile!(2),
                _ => tile!(1),
            }
            lane += r * V::N;
        }
    }

    /// Units `lane..lane + R·V::N` of a1 for the G `images`, over the
    /// pixels `lit` of one block: G × R registers of running sums, taken
    /// from a1 and put back, one row of W1 loaded per pixel and used G times.
    ///
    /// # Safety
    /// Rows `images` of x and of a1, units up to `lane + R·V::N` and the
    /// rows `lit` of W1 must be in bounds (see `hidden_group`), and the
    /// processor must have V's instructions. `HP`, when not 0, is hp
    /// (64: the book's 50 units in f32), known when compiling: a row of W1
    /// is then found by a shift instead of a multiply.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn hidden_tile<V: Vector<F>, const G: usize, const R: usize, const HP: usize>(
        &self,
        x: &[u8],
        images: &[u32; G],
        lit: &[u32],
        scale: &[F; 256],
        lane: usize,
        a1: &mut [F],
    ) {
        let (d, hp) = (self.d, if HP != 0 { HP } else { self.hp });
        let (xp, wp, ap) = (x.as_ptr(), self.w1.as_ptr(), a1.as_mut_ptr());
        // SAFETY (whole body): the caller's; each index below stays in the
        // bounds it promises.
        unsafe {
            // Plain loops, no closures: a closure is a function of its own,
            // compiled without the kernel's instruction set, and an
            // instruction of that set inside it would become a call.
            let mut rows = [xp; G];
            let zero = V::splat(F::ZERO);
            let mut acc = [[zero; R]; G];
            for q in 0..G {
                rows[q] = xp.add(images[q] as usize * d);
                for r in 0..R {
                    acc[q][r] = V::load(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
            }
            for &i in lit {
                let i = i as usize;
                // A group lists a pixel lit in any of its images; one image
                // alone skips its own zeros, as the plain sum does.
                if G == 1 && *rows[0].add(i) == 0 {
                    continue;
                }
                let mut w = [zero; R];
                for r in 0..R {
                    w[r] = V::load(wp.add(i * hp + lane + r * V::N));
                }
                for q in 0..G {
                    let v = V::splat(scale[*rows[q].add(i) as usize]);
                    for r in 0..R {
                        acc[q][r] = V::fmadd(v, w[r], acc[q][r]);
                    }
                }
            }
            for q in 0..G {
                for r in 0..R {
                    acc[q][r].store(ap.add(images[q] as usize * hp + lane + r * V::N));
                }
            }
        }
    }

    /// [`Self::hidden_group`] in plain arithmetic, T units per tile, for
    /// processors without AVX2 (two SSE2 registers wide).
    #[inline(always)]
    fn hidden_group_scalar<const T: usize>(
        &self,
        x: &[u8],
        images: &[u32],
        lit: &[u32],
        scale: &[F; 256],
        a1: &mut [F],
    ) {
        let (d, hp) = (self.d, self.hp);
        assert!(hp.is_multiple_of(T));
        for lane in (0..hp).step_by(T) {
            for &s in images {
                let s = s as usize;
                let mut acc: [F; T] = a1[s * hp + lane..][..T].try_into().unwrap();
                let row = &x[s * d..][..d];
                for &i in lit {
                    let byte = row[i as usize];
                    if byte == 0 {
                        continue;
                    }
                    let (v, w) = (
                        scale[byte as usize],
                        &self.w1[i as usize * hp + lane..][..T],
                    );
                    for l in 0..T {
                        acc[l] += v * w[l];
                    }
                }
                a1[s * hp + lane..][..T].copy_from_slice(&acc);
            }
        }
    }

    /// a2 = z1·W2 + b2 for the `n` samples of `z1` (rows of hp), into `a2`
    /// (rows of k): as [`Self::output`] does, number for number, with the
    /// classes in vector registers (up to 16 of them) and a few samples at
    /// a time, so their sums run side by side.
    #[inline(always)]
    pub fn output_rows(&self, z1: &[F], n: usize, a2: &mut [F]) {
        let (hp, k) = (self.hp, self.k);
        assert!(z1.len() >= n * hp && a2.len() >= n * k);
        let f32 = std::mem::size_of::<F>() == 4;
        // SAFETY: rows in bounds (asserted), k ≤ 16 = R·V::N lanes
        // (checked), and the level says the processor has the instructions.
        match level() {
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 if k <= 16 && f32 => unsafe {
                self.output_group::<F::Zmm, 4, 1>(z1, n, a2)
            },
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 if k <= 16 => unsafe { self.output_group::<F::Zmm, 4, 2>(z1, n, a2) },
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 if k <= 16 && f32 => unsafe {
                self.output_group::<F::Ymm, 2, 2>(z1, n, a2)
            },
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 if k <= 16 => unsafe { self.output_group::<F::Ymm, 2, 4>(z1, n, a2) },
            _ => {
                for s in 0..n {
                    self.output(&z1[s * hp..][..hp], &mut a2[s * k..][..k]);
                }
            }
        }
    }

    /// [`Self::output_rows`] with registers: Q samples at a time, R
    /// registers of classes each (R·V::N ≥ k).
    ///
    /// # Safety
    /// `z1` must hold n rows of hp and `a2` n rows of k, k ≤ R·V::N, and the
    /// processor must have V's instructions.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn output_group<V: Vector<F>, const Q: usize, const R: usize>(
        &self,
        z1: &[F],
        n: usize,
        a2: &mut [F],
    ) {
        let (h, hp, k) = (self.h, self.hp, self.k);
        let (zp, wp, bp, ap) = (
            z1.as_ptr(),
            self.w2.as_ptr(),
            self.b2.as_ptr(),
            a2.as_mut_ptr(),
        );
        // Lanes of register `i`: those of the k classes it holds.
        let lanes = |i: usize| k.saturating_sub(i * V::N).min(V::N);
        // SAFETY (whole body): the caller's; rows s < n, units j < h ≤ hp,
        // classes below k through `lanes`.
        unsafe {
            let zero = V::splat(F::ZERO);
            let mut s0 = 0;
            while s0 < n {
                let q_n = Q.min(n - s0);
                let mut acc = [[zero; R]; Q];
                for j in 0..h {
                    let mut w = [zero; R];
                    for i in 0..R {
                        // Registers past the k classes stay zero (and their
                        // addresses, which may lie past W2, are not formed).
                        if i * V::N < k {
                            w[i] = V::load_first(wp.add(j * k + i * V::N), lanes(i));
                        }
                    }
                    for q in 0..Q {
                        // Rows past n are read as row s0 (never stored).
                        let z = V::splat(*zp.add((s0 + q.min(q_n - 1)) * hp + j));
                        for i in 0..R {
                            acc[q][i] = V::add(acc[q][i], V::mul(z, w[i]));
                        }
                    }
                }
                for q in 0..q_n {
                    for i in 0..R {
                        if i * V::N < k {
                            let b = V::load_first(bp.add(i * V::N), lanes(i));
                            let out = ap.add((s0 + q) * k + i * V::N);
                            V::add(acc[q][i], b).store_first(out, lanes(i));
                        }
                    }
                }
                s0 += Q;
            }
        }
    }

    /// a2 = z1·W2 + b2 for one sample (`z1`: hp wide).
    #[inline(always)]
    pub fn output(&self, z1: &[F], a2: &mut [F]) {
        let k = self.k;
        let a2 = &mut a2[..k];
        a2.fill(F::ZERO);
        for (j, &z) in z1[..self.h].iter().enumerate() {
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

/// Rows `first..first + rows.len() / hp` of ∂L/∂W1 = xᵀ·da1: for each pixel
/// the sum over samples, in sample order, of its value times the sample's
/// da1. `x` holds `n` images of `d` bytes; `da1` their `n` rows of `hp`.
#[inline(always)]
pub fn weight_gradient<F: Float>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    first: usize,
    rows: &mut [F],
) {
    match level() {
        // 4 pixels × 4 registers of sums on AVX-512, × 2 on AVX2.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => weight_tiles_v::<F, F::Zmm, 4>(x, n, d, da1, scale, first, rows),
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => weight_tiles_v::<F, F::Ymm, 2>(x, n, d, da1, scale, first, rows),
        _ if std::mem::size_of::<F>() == 4 => {
            weight_tiles_scalar::<F, 3, 8>(x, n, d, da1, scale, first, rows)
        }
        _ => weight_tiles_scalar::<F, 3, 4>(x, n, d, da1, scale, first, rows),
    }
}

/// Pixels per tile of ∂L/∂W1 with vector registers.
const PIXELS: usize = 4;

/// ∂L/∂W1 rows with vector registers: tiles of [`PIXELS`] pixels × R
/// registers while they fit, then narrower ones.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn weight_tiles_v<F: Float, V: Vector<F>, const R: usize>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    first: usize,
    rows: &mut [F],
) {
    let hp = da1.len() / n.max(1);
    let pixels = rows.len() / hp.max(1);
    // Checked once here so the tiles, whose loops run once per sample, read
    // without a bounds check.
    assert!(x.len() >= n * d && first + pixels <= d && da1.len() >= n * hp);
    assert!(rows.len() >= pixels * hp && hp.is_multiple_of(V::N) && n <= u32::MAX as usize);
    // For each group of PIXELS pixels, the samples that light any of them,
    // in order (a count, then the samples): the tiles then run without a
    // test whose outcome the processor could not predict. Written without a
    // branch either: every sample is written, the lit ones kept.
    let groups = pixels / PIXELS;
    let mut lists = SAMPLE_LISTS.take();
    lists.clear();
    // Room for 16 numbers written past the last list.
    lists.resize(groups * (n + 1) + 16, 0);
    if level() == Level::Avx512 {
        // SAFETY: the level says the processor has AVX-512; the pixels
        // first..first + groups·PIXELS ≤ d of n images are in x, and lists
        // has room for groups lists of n + 1 and 16 more (above).
        unsafe { sample_lists_avx512(x, n, d, first, groups, &mut lists) };
    } else {
        sample_lists(x, n, d, first, groups, &mut lists);
    }
    let mut lane = 0;
    while lane < hp {
        // R registers while they fit, then what is left (1 to R − 1).
        let r = ((hp - lane) / V::N).min(R);
        let mut p = 0;
        while p < pixels {
            let group = p + PIXELS <= pixels;
            let (i0, out) = (first + p, &mut rows[p * hp..]);
            macro_rules! tile {
                ($r:tt) => {
                    // SAFETY: pixels i0.. (PIXELS of them, or 1) are below
                    // first + pixels ≤ d, rows p.. of `rows` hold them,
                    // units up to lane + r·V::N ≤ hp (asserted above); the
                    // level says the processor has V's instructions.
                    unsafe {
                        if group {
                            let list = &lists[p / PIXELS * (n + 1)..];
                            let lit = &list[1..][..list[0] as usize];
                            weight_tile::<F, V, PIXELS, $r, true>(
                                x, n, d, da1, scale, i0, lane, out, lit,
                            )
                        } else {
                            weight_tile::<F, V, 1, $r, false>(
                                x,
                                n,
                                d,
                                da1,
                                scale,
                                i0,
                                lane,
                                out,
                                &[],
                            )
                        }
                    }
                };
            }
            match r {
                _ if r == R => tile!(R),
                3 => tile!(3),
                2 => tile!(2),
                _ => tile!(1),
            }
            p += if group { PIXELS } else { 1 };
        }
        lane += r * V::N;
    }
    SAMPLE_LISTS.set(lists);
}

/// For each of `groups` groups of [`PIXELS`] pixels from pixel `first`, the
/// samples among the `n` images of `x` that light any of them, in order: in
/// `lists`, n + 1 numbers per group, a count, then the samples.
///
/// Written without a branch (whether a sample is lit follows no pattern a
/// processor could predict): every sample is written, the lit ones kept.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sample_lists(x: &[u8], n: usize, d: usize, first: usize, groups: usize, lists: &mut [u32]) {
    for (g, list) in lists.chunks_exact_mut(n + 1).take(groups).enumerate() {
        let i0 = first + g * PIXELS;
        let mut len = 0;
        for s in 0..n {
            let bytes: [u8; PIXELS] = x[s * d + i0..][..PIXELS].try_into().unwrap();
            list[1 + len] = s as u32;
            len += (bytes != [0; PIXELS]) as usize;
        }
        list[0] = len as u32;
    }
}

/// [`sample_lists`] with AVX-512, 32 groups (128 pixels) at a time: a mask
/// per sample of the groups it lights (one test per 4 bytes), then, for each
/// group, 16 samples' masks tested for its bit at once and the lit samples'
/// numbers kept by `vpcompressd`.
///
/// # Safety
/// The processor must have AVX-512 F and BW; x must hold pixels
/// `first..first + groups·PIXELS` (≤ d) of n images of d, and `lists` room
/// for groups·(n + 1) + 16 numbers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sample_lists_avx512(
    x: &[u8],
    n: usize,
    d: usize,
    first: usize,
    groups: usize,
    lists: &mut [u32],
) {
    use std::arch::x86_64::*;
    const _: () = assert!(PIXELS == 4, "one 32-bit lane per group");
    let mut masks = SAMPLE_MASKS.take();
    masks.clear();
    masks.resize(n.next_multiple_of(16), 0);
    let (xp, out) = (x.as_ptr(), lists.as_mut_ptr() as *mut i32);
    // SAFETY (whole body): the caller's; reads stay within the pixels it
    // names (masked to whole groups), writes within lists and masks.
    unsafe {
        let step = _mm512_set1_epi32(16);
        let iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for g0 in (0..groups).step_by(32) {
            // Bytes of whole groups in this pass, in two registers of 64.
            let bytes = (groups - g0).min(32) * PIXELS;
            let keep = |from: usize| -> u64 {
                let count = bytes.saturating_sub(from).min(64);
                if count == 64 { !0 } else { (1u64 << count) - 1 }
            };
            let (k0, k1) = (keep(0), keep(64));
            for s in 0..n {
                let p = xp.add(s * d + first + g0 * PIXELS) as *const i8;
                let lo = _mm512_maskz_loadu_epi8(k0, p);
                let hi = _mm512_maskz_loadu_epi8(k1, p.add(64));
                let m = _mm512_test_epi32_mask(lo, lo) as u32
                    | (_mm512_test_epi32_mask(hi, hi) as u32) << 16;
                masks[s] = m;
            }
            for g in g0..(g0 + 32).min(groups) {
                let bit = _mm512_set1_epi32(1 << (g - g0));
                let list = out.add(g * (n + 1));
                let mut len = 0usize;
                let mut index = iota;
                for c in (0..n).step_by(16) {
                    let m = _mm512_loadu_si512(masks.as_ptr().add(c) as *const _);
                    // Samples past n have a zero mask.
                    let lit = _mm512_test_epi32_mask(m, bit);
                    let listed = _mm512_maskz_compress_epi32(lit, index);
                    _mm512_storeu_si512(list.add(1 + len) as *mut _, listed);
                    len += lit.count_ones() as usize;
                    index = _mm512_add_epi32(index, step);
                }
                *list = len as i32;
            }
        }
    }
    SAMPLE_MASKS.set(masks);
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// For each sample, the pixel groups it lights (`sample_lists_avx512`).
    static SAMPLE_MASKS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
    /// The sample lists of `weight_tiles_v`, kept from call to call.
    static SAMPLE_LISTS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Units `lane..lane + R·V::N` of the ∂L/∂W1 rows of pixels `i0..i0 + P`:
/// P × R registers of running sums, one row of da1 loaded per sample and
/// used P times. LISTED: over the samples `lit` (those lighting one of the
/// pixels); otherwise over all n, skipping those that light none.
///
/// # Safety
/// Pixels `i0..i0 + P` of the `n` images, units up to `lane + R·V::N` of
/// `da1`'s n rows and of `out`'s P rows must be in bounds, every sample in
/// `lit` below n (see `weight_tiles_v`), and the processor must have V's
/// instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn weight_tile<
    F: Float,
    V: Vector<F>,
    const P: usize,
    const R: usize,
    const LISTED: bool,
>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    i0: usize,
    lane: usize,
    out: &mut [F],
    lit: &[u32],
) {
    let hp = da1.len() / n.max(1);
    let (xp, gp, op) = (x.as_ptr(), da1.as_ptr(), out.as_mut_ptr());
    // SAFETY (whole body): the caller's; each index below stays in the
    // bounds it promises.
    unsafe {
        let zero = V::splat(F::ZERO);
        let mut acc = [[zero; R]; P];
        // One sample's terms (a macro, not a closure: a closure would be
        // compiled without the kernel's instructions).
        macro_rules! add_sample {
            ($s:expr, $bytes:expr) => {
                let (s, bytes): (usize, [u8; P]) = ($s, $bytes);
                let mut g = [zero; R];
                for r in 0..R {
                    g[r] = V::load(gp.add(s * hp + lane + r * V::N));
                }
                for p in 0..P {
                    let v = V::splat(scale[bytes[p] as usize]);
                    for r in 0..R {
                        acc[p][r] = V::fmadd(v, g[r], acc[p][r]);
                    }
                }
            };
        }
        if LISTED {
            for &s in lit {
                let s = s as usize;
                add_sample!(s, *(xp.add(s * d + i0) as *const [u8; P]));
            }
        } else {
            for s in 0..n {
                let bytes: [u8; P] = *(xp.add(s * d + i0) as *const [u8; P]);
                if bytes != [0; P] {
                    add_sample!(s, bytes);
                }
            }
        }
        for p in 0..P {
            for r in 0..R {
                acc[p][r].store(op.add(p * hp + lane + r * V::N));
            }
        }
    }
}

/// [`weight_tiles_v`] in plain arithmetic, for processors without AVX2:
/// tiles of P pixels × T units (T divides hp: a 64-byte register of F does).
#[inline(always)]
fn weight_tiles_scalar<F: Float, const P: usize, const T: usize>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    first: usize,
    rows: &mut [F],
) {
    let hp = da1.len() / n.max(1);
    let pixels = rows.len() / hp.max(1);
    assert!(hp.is_multiple_of(T));
    for lane in (0..hp).step_by(T) {
        let mut p = 0;
        while p < pixels {
            let (i0, out) = (first + p, &mut rows[p * hp..]);
            if p + P <= pixels {
                weight_group::<F, P, T>(x, n, d, da1, scale, i0, lane, out);
                p += P;
            } else {
                weight_group::<F, 1, T>(x, n, d, da1, scale, i0, lane, out);
                p += 1;
            }
        }
    }
}

/// Lanes `lane..lane + T` of the ∂L/∂W1 rows of pixels `i0..i0 + P`: P × T
/// running sums, one row of da1 loaded per sample and used P times; each
/// term multiplied, then added (SSE2 has no fused multiply-add).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn weight_group<F: Float, const P: usize, const T: usize>(
    x: &[u8],
    n: usize,
    d: usize,
    da1: &[F],
    scale: &[F; 256],
    i0: usize,
    lane: usize,
    out: &mut [F],
) {
    let hp = da1.len() / n.max(1);
    // Checked once here so the loop below reads without a bounds check.
    assert!(x.len() >= n * d && i0 + P <= d && da1.len() >= n * hp && lane + T <= hp);
    let (xp, gp) = (x.as_ptr(), da1.as_ptr());
    let mut acc = [[F::ZERO; T]; P];
    for s in 0..n {
        // SAFETY: s < n and i0 + P ≤ d, inside x (asserted above).
        let bytes: [u8; P] = unsafe { *(xp.add(s * d + i0) as *const [u8; P]) };
        if bytes.iter().all(|&b| b == 0) {
            continue;
        }
        // SAFETY: s·hp + lane + T ≤ n·hp, inside da1 (asserted above).
        let g: &[F; T] = unsafe { &*(gp.add(s * hp + lane) as *const [F; T]) };
        for p in 0..P {
            let v = scale[bytes[p] as usize];
            for l in 0..T {
                acc[p][l] += v * g[l];
            }
        }
    }
    for p in 0..P {
        out[p * hp + lane..][..T].copy_from_slice(&acc[p]);
    }
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

/// Samples side by side in [`softmax_rows`]: one AVX-512 register of f32.
const LANES: usize = 16;

/// Classes [`softmax_rows`] takes side by side; rows wider than this go
/// one at a time.
const MAX_CLASSES: usize = 16;

/// How many of `n` rows of `k` numbers go side by side, [`LANES`] at a
/// time (the rest, and rows wider than [`MAX_CLASSES`], go one by one).
#[inline(always)]
fn side_by_side(n: usize, k: usize) -> usize {
    if (1..=MAX_CLASSES).contains(&k) {
        n / LANES * LANES
    } else {
        0
    }
}

/// [`softmax`] of each of the `n` rows of `k` scores in `y`, in place,
/// number for number as row by row — for [`LANES`] rows at a time, each
/// row in a lane of its own: the same steps in the same order for every
/// row, so they run side by side in vector registers instead of one
/// class at a time (a row of 10 fills a register badly, and its running
/// sum chains every step to the one before).
///
/// ```
/// use manabi::engine::fast::net::{softmax, softmax_rows};
/// let mut y: Vec<f32> = (0..40).map(|i| (i % 7) as f32 - 3.0).collect();
/// let mut one = y.clone();
/// softmax_rows(&mut y, 4, 10);
/// for row in one.chunks_exact_mut(10) {
///     softmax(row);
/// }
/// assert_eq!(y, one);
/// ```
#[inline(always)]
pub fn softmax_rows<F: Float>(y: &mut [F], n: usize, k: usize) {
    let y = &mut y[..n * k];
    let (block, rest) = y.split_at_mut(side_by_side(n, k) * k);
    for rows in block.chunks_exact_mut(LANES * k) {
        // Class c of row j at t[c][j].
        let mut t = [[F::ZERO; LANES]; MAX_CLASSES];
        for j in 0..LANES {
            for c in 0..k {
                t[c][j] = rows[j * k + c];
            }
        }
        let mut max = t[0];
        for c in 0..k {
            for j in 0..LANES {
                if t[c][j] > max[j] {
                    max[j] = t[c][j];
                }
            }
        }
        let mut sum = [F::ZERO; LANES];
        for c in 0..k {
            for j in 0..LANES {
                t[c][j] = (t[c][j] - max[j]).exp();
                sum[j] += t[c][j];
            }
        }
        for j in 0..LANES {
            for c in 0..k {
                rows[j * k + c] = t[c][j] / sum[j];
            }
        }
    }
    for row in rest.chunks_exact_mut(k.max(1)) {
        softmax(row);
    }
}

/// −log(y_t + 1e-7): one sample's share of the cross-entropy.
#[inline(always)]
pub fn cross_entropy<F: Float>(y: &[F], t: usize) -> F {
    -(y[t] + F::from_f64(DELTA)).ln()
}

/// How many of the rows of `k` scores in `a` have their [`argmax`] at
/// their label (one per row in `labels`): [`LANES`] rows side by side, each
/// compared class by class in a lane of its own, as [`argmax`] compares.
///
/// ```
/// use manabi::engine::fast::net::correct_rows;
/// let a = [0.1f32, 0.7, 0.2, /**/ 0.5, 0.5, 0.0]; // ties go to the first
/// assert_eq!(correct_rows(&a, 3, &[1, 1]), 1);
/// assert_eq!(correct_rows(&a, 3, &[1, 0]), 2);
/// ```
#[inline(always)]
pub fn correct_rows<F: Float>(a: &[F], k: usize, labels: &[u8]) -> usize {
    let n = labels.len();
    assert!(a.len() >= n * k);
    let side_by_side = side_by_side(n, k);
    let mut correct = 0;
    for (rows, labels) in a[..side_by_side * k]
        .chunks_exact(LANES * k)
        .zip(labels.chunks_exact(LANES))
    {
        let mut best = [F::ZERO; LANES];
        let mut at = [0u32; LANES];
        for j in 0..LANES {
            best[j] = rows[j * k];
        }
        for c in 1..k {
            for j in 0..LANES {
                let v = rows[j * k + c];
                if v > best[j] {
                    best[j] = v;
                    at[j] = c as u32;
                }
            }
        }
        for j in 0..LANES {
            correct += (at[j] == labels[j] as u32) as usize;
        }
    }
    let rest = a[side_by_side * k..n * k].chunks_exact(k.max(1));
    correct
        + rest
            .zip(&labels[side_by_side..])
            .filter(|(a, l)| argmax(a) == **l as usize)
            .count()
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
        assert_eq!(FastNet::<f32>::from_net(&net).hp, 32);
        let fast = FastNet::<f64>::from_net(&net);
        assert_eq!(fast.hp, 24);
        assert_eq!(fast.to_net(), net);
        // Padding units have zero weights in and out.
        for i in 0..7 {
            for j in 19..24 {
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

    fn tiled_products_match<F: Float>(h: usize) {
        // 10 images of 37 pixels, mostly zero, through a 37-h-3 net: every
        // tile shape and every leftover row and pixel is exercised.
        let mut rng = crate::random::Rng::new(4);
        let net = TwoLayerNet::with_rng(37, h, 3, 1.0, &mut rng);
        let fast = FastNet::<F>::from_net(&net);
        let (n, d, hp) = (10, 37, fast.hp);
        let x: Vec<u8> = (0..n * d)
            .map(|_| {
                if rng.below(3) == 0 {
                    rng.below(256) as u8
                } else {
                    0
                }
            })
            .collect();
        let scale = super::super::batch::scale_table::<F>();
        // The same sum, term by term, fused where the kernels fuse.
        let fused = level() != Level::Baseline;
        let madd = |acc: F, v: F, w: F| {
            if fused {
                v.mul_add(w, acc)
            } else {
                acc + v * w
            }
        };
        let w1 = |i: usize, j: usize| F::from_f64(net.params.w1[[i, j]]);
        let mut a1 = vec![F::ZERO; n * hp];
        // Blocks of 5 pixels: partial sums cross blocks, and the 10 images
        // are whole groups and images alone.
        let mut panels = Panels::default();
        panels.build(&x, &[] as &[u8], n, d, 5);
        fast.hidden_pre(&x, &panels, &scale, &mut a1);
        for s in 0..n {
            for j in 0..h {
                let mut want = F::ZERO;
                for i in 0..d {
                    if x[s * d + i] != 0 {
                        want = madd(want, scale[x[s * d + i] as usize], w1(i, j));
                    }
                }
                want += F::from_f64(net.params.b1[j]);
                assert_eq!(
                    a1[s * hp + j],
                    want,
                    "{} h {h} sample {s} unit {j}",
                    F::NAME
                );
            }
        }
        let da1: Vec<F> = (0..n * hp)
            .map(|_| F::from_f64(rng.standard_normal()))
            .collect();
        let mut dw1 = vec![F::ZERO; d * hp];
        weight_gradient(&x, n, d, &da1, &scale, 0, &mut dw1);
        for i in 0..d {
            for j in 0..hp {
                let mut want = F::ZERO;
                for s in 0..n {
                    if x[s * d + i] != 0 {
                        want = madd(want, scale[x[s * d + i] as usize], da1[s * hp + j]);
                    }
                }
                assert_eq!(
                    dw1[i * hp + j],
                    want,
                    "{} h {h} pixel {i} unit {j}",
                    F::NAME
                );
            }
        }
    }

    #[test]
    fn the_tiled_products_equal_plain_sums() {
        // Hidden layers whose padded width leaves every tail of 1, 2 or 3
        // registers after the wide tiles, in both precisions.
        for h in [5, 16, 40, 50, 63, 80, 100] {
            tiled_products_match::<f32>(h);
            tiled_products_match::<f64>(h);
        }
    }

    fn outputs_match<F: Float>() {
        // Every class count up to past the 16 lanes, sample counts around
        // the 2 and 4 samples at a time: each row as output() gives it.
        let mut rng = crate::random::Rng::new(9);
        for k in [1, 3, 8, 10, 16, 17] {
            let net = TwoLayerNet::with_rng(5, 21, k, 1.0, &mut rng);
            let fast = FastNet::<F>::from_net(&net);
            for n in 0..8 {
                let z1: Vec<F> = (0..n * fast.hp)
                    .map(|_| F::from_f64(rng.standard_normal()))
                    .collect();
                let mut rows = vec![F::ZERO; n * k + 3];
                fast.output_rows(&z1, n, &mut rows);
                for s in 0..n {
                    let mut one = vec![F::ZERO; k];
                    fast.output(&z1[s * fast.hp..][..fast.hp], &mut one);
                    assert_eq!(
                        &rows[s * k..][..k],
                        &one[..],
                        "{} k {k} n {n} sample {s}",
                        F::NAME
                    );
                }
                // Nothing written past the n rows.
                assert!(rows[n * k..].iter().all(|&v| v == F::ZERO));
            }
        }
    }

    #[test]
    fn output_rows_equal_output_per_sample() {
        outputs_match::<f32>();
        outputs_match::<f64>();
    }

    /// Rows side by side give the bits of one row at a time: over widths
    /// up to and past the side-by-side limit, counts that leave remainders,
    /// and scores from tiny to overflowing, with ties and a NaN.
    fn softmax_rows_match<F: Float>() {
        let mut rng = crate::random::Rng::new(5);
        for &k in &[1, 2, 10, 16, 17] {
            for &n in &[0, 1, 15, 16, 17, 50] {
                let mut y: Vec<F> = (0..n * k)
                    .map(|_| {
                        let u = rng.uniform();
                        F::from_f64((u - 0.5) * [1.0, 30.0, 2000.0][(u * 3.0) as usize])
                    })
                    .collect();
                if n * k > 3 {
                    y[1] = y[0];
                    y[n * k - 2] = F::from_f64(f64::NAN);
                }
                let mut one = y.clone();
                softmax_rows(&mut y, n, k);
                for row in one.chunks_exact_mut(k) {
                    softmax(row);
                }
                let bits = |v: &[F]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&one), "{} k {k} n {n}", F::NAME);
            }
        }
    }

    /// Rows side by side count what row-by-row argmax counts, ties and
    /// NaN included.
    fn correct_rows_match<F: Float>() {
        let mut rng = crate::random::Rng::new(6);
        for &k in &[1, 2, 10, 16, 17] {
            for &n in &[0, 1, 15, 16, 17, 50] {
                // Few distinct scores, so ties are common.
                let mut a: Vec<F> = (0..n * k)
                    .map(|_| F::from_f64((rng.uniform() * 4.0).floor()))
                    .collect();
                if n * k > 3 {
                    a[0] = F::from_f64(f64::NAN);
                    a[n * k - 2] = F::from_f64(f64::NAN);
                }
                for _ in 0..5 {
                    let labels: Vec<u8> =
                        (0..n).map(|_| (rng.uniform() * k as f64) as u8).collect();
                    let one = a.chunks_exact(k).zip(&labels);
                    let one = one.filter(|(a, l)| argmax(a) == **l as usize).count();
                    assert_eq!(correct_rows(&a, k, &labels), one, "{} k {k} n {n}", F::NAME);
                }
            }
        }
    }

    #[test]
    fn correct_rows_equal_argmax_per_row() {
        correct_rows_match::<f32>();
        correct_rows_match::<f64>();
    }

    #[test]
    fn softmax_rows_equal_softmax_per_row() {
        softmax_rows_match::<f32>();
        softmax_rows_match::<f64>();
    }

    /// The AVX-512 sample lists of ∂L/∂W1 equal the plain ones, over sample
    /// counts and pixel ranges that leave every kind of remainder.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_sample_lists_equal_the_plain_ones() {
        if level() != Level::Avx512 {
            eprintln!("no AVX-512 here: only the plain lists are in use, nothing to compare");
            return;
        }
        let mut rng = crate::random::Rng::new(11);
        let d = 300;
        for &n in &[1, 7, 16, 17, 100] {
            // Images alternately sparse, dense and dark.
            let x: Vec<u8> = (0..n * d)
                .map(|i| {
                    let p = [0.05, 0.6, 0.0][(i / d) % 3];
                    if rng.uniform() < p {
                        1 + (rng.uniform() * 254.0) as u8
                    } else {
                        0
                    }
                })
                .collect();
            for &(first, groups) in &[(0, 1), (3, 31), (0, 32), (17, 33), (1, 70), (0, 75)] {
                let size = groups * (n + 1) + 16;
                let (mut plain, mut vector) = (vec![u32::MAX; size], vec![u32::MAX; size]);
                sample_lists(&x, n, d, first, groups, &mut plain);
                // SAFETY: AVX-512 was detected; first + 4·groups ≤ d, and
                // the lists have the room it needs.
                unsafe { sample_lists_avx512(&x, n, d, first, groups, &mut vector) };
                for g in 0..groups {
                    let at = g * (n + 1);
                    let len = plain[at] as usize;
                    assert_eq!(
                        &plain[at..=at + len],
                        &vector[at..=at + len],
                        "n {n}, first {first}, group {g} of {groups}"
                    );
                }
            }
        }
    }
}
