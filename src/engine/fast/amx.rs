//! x·W1 in f32 on the AMX tile unit: exact integer sums.
//!
//! a1[n, j] = fl32(fl64(S[n, j] · c_j) + b1[j]),   c_j = fl64(s_j / 255),
//! S[n, j] = Σ_p x[n, p] · q[p, j],   q[p, j] = round(W1[p, j] / s_j),
//!
//! where x[n, p] is the pixel byte (0–255) and s_j = 2^(e_j − 23) is
//! column j's step: W1's column j in 24-bit fixed point, with 2^e_j the
//! smallest power of two above its largest |weight| (e_j at least −100). The
//! sum S is exact (an integer: no rounding, in any order; images of at most
//! [`MAX_D`] pixels) and meets one product in f64 before the rounding to
//! f32 — against f32's own x·W1, whose 784 terms each round, the loss is the
//! step: weights in the top binade of a column keep 23 bits of their 24,
//! smaller ones less (an error of at most s_j / 2 each).
//!
//! Processors with AMX (Intel Xeon since Sapphire Rapids) multiply tiles of
//! bytes: one `tdpbuud` adds a 16 × 64 by 64 × 16 product of bytes into 16 ×
//! 16 running sums of 32 bits, 16 384 multiply-adds in one instruction.
//! The three bytes of q are three planes of W1 — low, middle and high, the
//! high one stored plus 128 so that all three are unsigned — so S = 2¹⁶·(S₂
//! − 128·Σx) + 2⁸·S₁ + S₀, each plane's sum a tile product. It is dense
//! (zero pixels are multiplied too), and still about twice as fast as the
//! sparse f32 tiles of [`super::net`] on Fashion-MNIST.
//!
//! Used for f32 when the processor has AMX and Linux grants it (see
//! [`available`]); `MANABI_SIMD=avx512` (or any narrower level) turns it
//! off. The result differs from the FMA kernels' in the last bits, as
//! theirs differs from SSE2's: each run's report names the kernels.
//!
//! ```
//! use manabi::engine::fast::amx::W1Planes;
//!
//! // W1 of 64 pixels × 16 units, every weight 0.25: a column's step is 2⁻²⁴.
//! let planes = W1Planes::new(&vec![0.25_f32; 64 * 16], 64, 16, 16);
//! assert_eq!(planes.q(3, 5), 1 << 22);
//! ```

use std::sync::OnceLock;

/// Bytes of pixels one tile row holds (its K).
const KB: usize = 64;
/// Rows (images) and columns (units) of one tile of sums.
const T: usize = 16;
/// The most pixels an image may have here: each plane's sum, up to
/// d · 255 · 255, must fit the tiles' 32-bit sums.
pub const MAX_D: usize = 33_025;
/// The smallest step exponent a column may have: the scale 2^(23 − e) must
/// stay a normal f32.
const E_MIN: i32 = -100;

/// Whether x·W1 in f32 runs on AMX here: the processor has the tile and
/// int8 instructions (and AVX-512 VBMI, which all of those have), the
/// AVX-512 kernels are in use (`MANABI_SIMD` does not ask for less, nor
/// `avx512`, which keeps the FMA kernels), and Linux granted this process
/// the tile state.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        super::simd::level() == super::simd::Level::Avx512
            && std::env::var("MANABI_SIMD").as_deref() != Ok("avx512")
            && detect()
    })
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    // CPUID.(EAX=7, ECX=0):EDX bit 24 AMX-TILE, bit 25 AMX-INT8.
    let leaf = std::arch::x86_64::__cpuid_count(7, 0);
    if leaf.edx & (1 << 24) == 0
        || leaf.edx & (1 << 25) == 0
        || !std::arch::is_x86_feature_detected!("avx512vbmi")
    {
        return false;
    }
    // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): Linux 5.16 and
    // later hand the 8 KiB of tile state to processes that ask.
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: this request only changes which state the kernel saves for us.
    unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        ) == 0
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// `v` as f32, when F is f32.
pub fn as_f32<F: 'static>(v: &[F]) -> Option<&[f32]> {
    // SAFETY: F is f32: the same slice.
    (std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>())
        .then(|| unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<f32>(), v.len()) })
}

/// `v` as f32, to write, when F is f32.
pub fn as_f32_mut<F: 'static>(v: &mut [F]) -> Option<&mut [f32]> {
    // SAFETY: F is f32: the same slice.
    (std::any::TypeId::of::<F>() == std::any::TypeId::of::<f32>())
        .then(|| unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<f32>(), v.len()) })
}

/// W1 in 24-bit fixed point, column by column, as the three byte planes the
/// tile products read.
///
/// Each q is stored as three unsigned bytes: bits 0–7, bits 8–15, and bits
/// 16–23 plus 128 (q's top byte is signed; the tile instruction that takes
/// unsigned bytes on both sides then serves all three, and the 128 comes
/// back out as 128 · Σ x, summed by a column of ones).
///
/// Layout: columns of 16 units, the three planes of units 0–15, then of
/// 16–31, … ; the units left over (h mod 16: 50 → 2) of all three planes and
/// the column of ones share the last tiles. Tiles of 16 columns hold all of
/// W1's pixels, 64 at a time (a tile of 16 rows of 64 bytes), in the order
/// AMX wants: row r of pixel block t holds, for each of the 16 columns, the
/// 4 bytes of pixels 64t + 4r .. 64t + 4r + 3. Pixels past d are zeros.
#[derive(Debug, Clone)]
pub struct W1Planes {
    d: usize,
    /// Units with planes (the network's h).
    h: usize,
    /// Units per row of W1 and of a1 (h padded).
    hp: usize,
    /// Pixel blocks of 64 (d rounded up).
    kt: usize,
    /// Columns in all: a multiple of two tiles.
    cols: usize,
    /// s_j / 255 for each unit (NaN for a column with a weight not finite).
    step: Vec<f64>,
    /// 1 / s_j for each unit (0 for a column not finite).
    scale: Vec<f32>,
    /// Scratch: each column's largest |weight|, as bits.
    top: Vec<u32>,
    /// The planes, 64-byte aligned: tile after tile.
    bytes: Vec<Line>,
}

/// 64 bytes, aligned as a cache line (a tile row).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

impl W1Planes {
    /// The planes of the first h units of `w1`, d rows of hp f32 (hp a
    /// multiple of 16, at least h).
    pub fn new(w1: &[f32], d: usize, h: usize, hp: usize) -> Self {
        assert!(hp.is_multiple_of(T) && h <= hp && d <= MAX_D);
        let kt = d.div_ceil(KB);
        let (g, rem) = (h / T, h % T);
        let cols = (3 * T * g + 3 * rem + 1).next_multiple_of(2 * T);
        let mut planes = W1Planes {
            d,
            h,
            hp,
            kt,
            cols,
            step: vec![0.0; hp],
            scale: vec![0.0; hp],
            top: vec![0; hp],
            bytes: vec![Line([0; 64]); cols * kt],
        };
        // The column of ones: a 1 for each pixel below d.
        let ones = planes.ones();
        for p in 0..d {
            let (t, r, i) = (p / KB, p % KB / 4, p % 4);
            let at = planes.tile(ones / T, t) + r;
            planes.bytes[at].0[4 * (ones % T) + i] = 1;
        }
        planes.refill(w1);
        planes
    }

    /// The column of unit j's plane (0, 1 or 2).
    fn col(&self, plane: usize, j: usize) -> usize {
        let g = self.h / T;
        if j < T * g {
            (3 * (j / T) + plane) * T + j % T
        } else {
            3 * T * g + plane * (self.h % T) + j - T * g
        }
    }

    /// The column of ones, after every unit's three.
    fn ones(&self) -> usize {
        3 * self.h
    }

    /// The planes of a new `w1` of the same shape, in place.
    pub fn refill(&mut self, w1: &[f32]) {
        assert!(w1.len() >= self.d * self.hp);
        #[cfg(target_arch = "x86_64")]
        if super::simd::level() == super::simd::Level::Avx512
            && std::arch::is_x86_feature_detected!("avx512vbmi")
        {
            // SAFETY: the processor has AVX-512 (the level says so) and VBMI.
            return unsafe { self.refill_avx512(w1) };
        }
        self.tops(w1);
        self.steps_from_tops();
        self.fill(w1);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx512vbmi,avx2,fma")]
    unsafe fn refill_avx512(&mut self, w1: &[f32]) {
        // SAFETY: this function's target features.
        unsafe {
            self.tops_avx512(w1);
            self.steps_from_tops();
            self.fill_avx512(w1);
        }
    }

    /// [`Self::tops`] with 64 columns' maxima in four registers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
    unsafe fn tops_avx512(&mut self, w1: &[f32]) {
        use std::arch::x86_64::*;
        let (d, hp) = (self.d, self.hp);
        assert!(w1.len() >= d * hp && self.top.len() >= hp);
        let abs = _mm512_set1_epi32(0x7fff_ffff);
        let mut first = 0;
        while first < hp {
            let r = ((hp - first) / T).min(4);
            let mut m = [_mm512_setzero_si512(); 4];
            for p in 0..d {
                for (k, m) in m.iter_mut().enumerate().take(r) {
                    // SAFETY: row p < d, columns first + 16k + 16 ≤ hp.
                    let w = unsafe {
                        _mm512_loadu_si512(w1.as_ptr().add(p * hp + first + k * T).cast())
                    };
                    *m = _mm512_max_epu32(*m, _mm512_and_si512(w, abs));
                }
            }
            for (k, m) in m.iter().enumerate().take(r) {
                // SAFETY: columns first + 16k + 16 ≤ hp of `top`.
                unsafe { _mm512_storeu_si512(self.top.as_mut_ptr().add(first + k * T).cast(), *m) };
            }
            first += r * T;
        }
    }

    /// [`Self::fill`] in AVX-512 registers: 16 units of 4 pixels, quantized
    /// (rounded to nearest, ties to even), then each plane's
    /// bytes shifted into their place in the words of a tile row.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx512vbmi,avx2,fma")]
    unsafe fn fill_avx512(&mut self, w1: &[f32]) {
        use std::arch::x86_64::*;
        let (d, h, hp, kt) = (self.d, self.h, self.hp, self.kt);
        let g = h / T;
        assert!(w1.len() >= d * hp && self.scale.len() >= h.div_ceil(T) * T);
        let top = _mm512_set1_epi32((1 << 23) - 1);
        // Byte k of the first vector is k, of the second 64 + k.
        let pick = |b: [i32; 4]| {
            let mut idx = [0i8; 64];
            for c in 0..T {
                for (i, &b) in b.iter().enumerate() {
                    idx[4 * c + i] = (4 * c as i32 + b) as i8;
                }
            }
            // SAFETY: 64 bytes.
            unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
        };
        let (lo, hi) = (pick([0, 64, 1, 65]), pick([2, 66, 3, 67]));
        // Four rows of W1 at a time (in order, for the caches), each group
        // of 16 units of them in turn.
        for t in 0..kt {
            for r in 0..KB / 4 {
                let p0 = t * KB + 4 * r;
                // 128 on the high plane's bytes of pixels below d.
                let flip = _mm512_set1_epi32(match d.saturating_sub(p0) {
                    0 => 0,
                    1 => 0x80,
                    2 => 0x8080,
                    3 => 0x80_8080,
                    _ => 0x8080_8080_u32 as i32,
                });
                for u in 0..h.div_ceil(T) {
                    // SAFETY: units u·16 .. u·16 + 16 ≤ hp of `scale`.
                    let s = unsafe { _mm512_loadu_ps(self.scale.as_ptr().add(u * T)) };
                    let mut q = [_mm512_setzero_si512(); 4];
                    for (i, q) in q.iter_mut().enumerate() {
                        if p0 + i < d {
                            // SAFETY: pixel p < d, units inside hp: in w1.
                            let w =
                                unsafe { _mm512_loadu_ps(w1.as_ptr().add((p0 + i) * hp + u * T)) };
                            let scaled = _mm512_mul_ps(w, s);
                            let nearest = _mm512_cvt_roundps_epi32::<
                                { _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC },
                            >(scaled);
                            *q = _mm512_min_epi32(nearest, top);
                        }
                    }
                    // Each unit's bytes b of the four pixels side by side:
                    // lo01 = [q0.b0, q1.b0, q0.b1, q1.b1], hi01 = [q0.b2,
                    // q1.b2, q0.b3, q1.b3], and so for pixels 2 and 3; then
                    // a plane's word takes 16 bits from each.
                    let lo01 = _mm512_permutex2var_epi8(q[0], lo, q[1]);
                    let lo23 = _mm512_permutex2var_epi8(q[2], lo, q[3]);
                    let hi01 = _mm512_permutex2var_epi8(q[0], hi, q[1]);
                    let hi23 = _mm512_permutex2var_epi8(q[2], hi, q[3]);
                    let odd = 0xaaaa_aaaa;
                    let words = [
                        _mm512_mask_blend_epi16(odd, lo01, _mm512_slli_epi32::<16>(lo23)),
                        _mm512_mask_blend_epi16(odd, _mm512_srli_epi32::<16>(lo01), lo23),
                        _mm512_xor_si512(
                            _mm512_mask_blend_epi16(odd, hi01, _mm512_slli_epi32::<16>(hi23)),
                            flip,
                        ),
                    ];
                    for (plane, &words) in words.iter().enumerate() {
                        if u < g {
                            let at = self.tile(3 * u + plane, t) + r;
                            // SAFETY: `at` is a line of the planes, 64 aligned bytes.
                            unsafe {
                                _mm512_store_si512(self.bytes[at].0.as_mut_ptr().cast(), words)
                            };
                        } else {
                            let mut each = [0u32; T];
                            // SAFETY: 64 bytes into a [u32; 16].
                            unsafe { _mm512_storeu_si512(each.as_mut_ptr().cast(), words) };
                            for (c, word) in each.iter().enumerate().take(h - T * g) {
                                let col = self.col(plane, T * g + c);
                                let at = self.tile(col / T, t) + r;
                                self.bytes[at].0[4 * (col % T)..4 * (col % T) + 4]
                                    .copy_from_slice(&word.to_le_bytes());
                            }
                        }
                    }
                }
            }
        }
    }

    /// Each column's largest |weight|, as bits (|w| as bits orders as |w|
    /// does, and puts ∞ and NaN above all).
    #[inline(always)]
    fn tops(&mut self, w1: &[f32]) {
        let hp = self.hp;
        self.top.fill(0);
        for row in w1[..self.d * hp].chunks_exact(hp) {
            for (m, &w) in self.top.iter_mut().zip(row) {
                *m = (*m).max(w.to_bits() & 0x7fff_ffff);
            }
        }
    }

    /// Each column's step: e_j, the smallest power of two above its largest
    /// |weight|, gives the scale 2^(23 − e_j) and the step 2^(e_j − 23)/255.
    fn steps_from_tops(&mut self) {
        for j in 0..self.hp {
            let m = f32::from_bits(self.top[j]);
            if !m.is_finite() {
                self.scale[j] = 0.0;
                self.step[j] = f64::NAN;
                continue;
            }
            // 2^e is the power of two above m's binade: e = m's biased
            // exponent − 126. Zero and subnormal tops (biased exponent 0)
            // fall below E_MIN with everything small, and take it.
            let e = ((self.top[j] >> 23) as i32 - 126).max(E_MIN);
            // Powers of two written as bits (both exponents are normal:
            // 23 − e in −105..=124, e − 23 in −124..=105).
            self.scale[j] = f32::from_bits(((127 + 23 - e) as u32) << 23);
            self.step[j] = f64::from_bits(((1023 + e - 23) as u64) << 52) / 255.0;
        }
    }

    /// Four pixels × 16 units at a time: each unit's four bytes of a plane
    /// are one 32-bit word of a tile row, written whole for a full group of
    /// 16 units, one by one for the units left over.
    #[inline(always)]
    fn fill(&mut self, w1: &[f32]) {
        let (d, h, hp, kt) = (self.d, self.h, self.hp, self.kt);
        let g = h / T;
        for u in 0..h.div_ceil(T) {
            let s: [f32; T] = self.scale[u * T..][..T].try_into().expect("16 units");
            for t in 0..kt {
                for r in 0..KB / 4 {
                    let mut q = [[0i32; T]; 4];
                    // 128 on the high plane's bytes of pixels below d.
                    let mut flip = 0u32;
                    for (i, q) in q.iter_mut().enumerate() {
                        let p = t * KB + 4 * r + i;
                        if p < d {
                            let w: &[f32; T] =
                                w1[p * hp + u * T..][..T].try_into().expect("16 units");
                            for c in 0..T {
                                q[c] = quantize(w[c], s[c]);
                            }
                            flip |= 0x80 << (8 * i);
                        }
                    }
                    for plane in 0..3 {
                        let shift = 8 * plane;
                        let mut words = [0u32; T];
                        for c in 0..T {
                            words[c] = (q[0][c] >> shift & 0xff) as u32
                                | ((q[1][c] >> shift & 0xff) as u32) << 8
                                | ((q[2][c] >> shift & 0xff) as u32) << 16
                                | ((q[3][c] >> shift & 0xff) as u32) << 24;
                            if plane == 2 {
                                words[c] ^= flip;
                            }
                        }
                        if u < g {
                            let at = self.tile(3 * u + plane, t) + r;
                            for c in 0..T {
                                self.bytes[at].0[4 * c..4 * c + 4]
                                    .copy_from_slice(&words[c].to_le_bytes());
                            }
                        } else {
                            for (c, word) in words.iter().enumerate().take(h - T * g) {
                                let col = self.col(plane, T * g + c);
                                let at = self.tile(col / T, t) + r;
                                self.bytes[at].0[4 * (col % T)..4 * (col % T) + 4]
                                    .copy_from_slice(&word.to_le_bytes());
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first line of tile (column tile `u`, pixel block `t`).
    fn tile(&self, u: usize, t: usize) -> usize {
        (u * self.kt + t) * T
    }

    /// The byte of column `col` for pixel p.
    fn byte(&self, col: usize, p: usize) -> u8 {
        let (t, r, i) = (p / KB, p % KB / 4, p % 4);
        self.bytes[self.tile(col / T, t) + r].0[4 * (col % T) + i]
    }

    /// q[p, j], read back from the planes.
    pub fn q(&self, p: usize, j: usize) -> i32 {
        let byte = |plane| self.byte(self.col(plane, j), p);
        let high = if p < self.d { byte(2) ^ 0x80 } else { byte(2) };
        i32::from(high as i8) << 16 | i32::from(byte(1)) << 8 | i32::from(byte(0))
    }

    /// s_j / 255: what S[n, j] is multiplied by.
    pub fn step(&self, j: usize) -> f64 {
        self.step[j]
    }
}

/// round(w · scale), to nearest, ties to even, in 24 bits.
#[inline(always)]
fn quantize(w: f32, scale: f32) -> i32 {
    ((w * scale).round_ties_even() as i32).clamp(-(1 << 23), (1 << 23) - 1)
}

/// [`W1Planes`] made when first needed, and emptied when W1 changes. Two
/// networks are equal whatever their caches hold.
#[derive(Debug, Clone, Default)]
pub struct Cache(OnceLock<W1Planes>);

impl Cache {
    /// Forgets the planes (W1 is about to change).
    pub fn clear(&mut self) {
        self.0 = OnceLock::new();
    }

    /// The planes of `w1` now, made in place if there are some.
    pub fn refill(&mut self, w1: &[f32], d: usize, h: usize, hp: usize) {
        match self.0.get_mut() {
            Some(planes) if (planes.d, planes.h, planes.hp) == (d, h, hp) => planes.refill(w1),
            _ => self.0 = OnceLock::from(W1Planes::new(w1, d, h, hp)),
        }
    }

    /// The planes, made by `make` if there are none.
    pub fn get_or_make(&self, make: impl FnOnce() -> W1Planes) -> &W1Planes {
        self.0.get_or_init(make)
    }
}

impl PartialEq for Cache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The tile configuration: palette 1, eight tiles of 16 rows × 64 bytes.
#[repr(C, align(64))]
struct Config([u8; 64]);

impl Config {
    fn new() -> Self {
        let mut c = [0u8; 64];
        c[0] = 1;
        for t in 0..8 {
            c[16 + 2 * t] = 64;
            c[48 + t] = 16;
        }
        Config(c)
    }

    /// For the last images, `rows` < 32 of them: the row tile they end in
    /// (and its two tiles of sums) only that many rows tall, so that its
    /// loads and products do no more than they need.
    fn tail(rows: usize) -> Self {
        let mut c = Config::new();
        // Tiles 0, 1 and 4 are the first row tile's, 2, 3 and 5 the second's.
        let (tiles, tall) = if rows > T {
            ([2, 3, 5], rows - T)
        } else {
            ([0, 1, 4], rows)
        };
        for t in tiles {
            c.0[48 + t] = tall as u8;
        }
        c
    }
}

/// Scratch for [`hidden_pre`]: the sums of a pair of row tiles, and room to
/// copy the images of a tile that would read past the end of x.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    sums: Vec<i32>,
    rows: Vec<u8>,
}

/// a1 = x·W1 + b1 for the `n` images in `x` (rows of d bytes); `a1` gets n
/// rows of hp. See the module's formula.
pub fn hidden_pre(
    planes: &W1Planes,
    x: &[u8],
    n: usize,
    b1: &[f32],
    a1: &mut [f32],
    scratch: &mut Scratch,
) {
    assert!(x.len() >= n * planes.d && a1.len() >= n * planes.hp && b1.len() >= planes.hp);
    assert!(available() && planes.kt > 0);
    // SAFETY: `available()` said the processor has AVX-512 and AMX, and
    // Linux gave the tile state to this process.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        hidden_pre_amx(planes, x, n, b1, a1, scratch)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = scratch;
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
unsafe fn hidden_pre_amx(
    planes: &W1Planes,
    x: &[u8],
    n: usize,
    b1: &[f32],
    a1: &mut [f32],
    scratch: &mut Scratch,
) {
    let (d, hp, kt, cols) = (planes.d, planes.hp, planes.kt, planes.cols);
    scratch.sums.resize(2 * T * cols, 0);
    // A tile reads kt·64 bytes of each row from its start: past its d into
    // the next row (times zero rows of the planes), and past x at its end.
    let over = kt * KB - d;
    scratch.rows.resize(2 * T * d + over, 0);
    let config = Config::new();
    // SAFETY: the caller's.
    unsafe { std::arch::asm!("ldtilecfg [{}]", in(reg) config.0.as_ptr(), options(nostack)) };
    let mut first = 0;
    while first < n {
        let rows = (n - first).min(2 * T);
        // A tile reads its 16 rows from x in place if the reads stay inside
        // x; else the images left are copied, once for the pair (rows past
        // them are read, and their sums dropped).
        let fits = |tile: usize| (first + tile * T + T) * d + over <= x.len();
        let copy = |rows_: &mut Vec<u8>, from: usize| {
            let left = first + rows - from;
            rows_[..left * d].copy_from_slice(&x[from * d..(first + rows) * d]);
            rows_.as_ptr()
        };
        let (a0, a1p) = if !fits(0) {
            let a0 = copy(&mut scratch.rows, first);
            // SAFETY: the copy holds 32 rows of d bytes and `over` more.
            (a0, (rows > T).then(|| unsafe { a0.add(T * d) }))
        } else if rows > T && !fits(1) {
            (
                x[first * d..].as_ptr(),
                Some(copy(&mut scratch.rows, first + T)),
            )
        } else {
            (
                x[first * d..].as_ptr(),
                (rows > T).then(|| x[(first + T) * d..].as_ptr()),
            )
        };
        if rows < 2 * T && !rows.is_multiple_of(T) {
            // The last pair (the loop ends with it): its short tile.
            let tail = Config::tail(rows);
            // SAFETY: as for the first configuration.
            unsafe { std::arch::asm!("ldtilecfg [{}]", in(reg) tail.0.as_ptr(), options(nostack)) };
        }
        for u in (0..cols / T).step_by(2) {
            let b = planes.bytes[planes.tile(u, 0)..].as_ptr() as *const u8;
            // SAFETY: each row tile's 16 rows of kt·64 bytes are inside x or
            // the copy (see `fits`); tiles u and u + 1 of the planes hold
            // kt blocks of 1024 bytes each; the sums hold 32 rows of `cols`.
            unsafe {
                let sums = scratch.sums.as_mut_ptr().add(u * T);
                match a1p {
                    Some(a1p) => pair(a0, a1p, d, b, kt, sums, cols * 4),
                    None => single(a0, d, b, kt, sums, cols * 4),
                }
            }
        }
        combine(
            planes,
            &scratch.sums,
            rows,
            b1,
            &mut a1[first * hp..(first + rows) * hp],
        );
        first += rows;
    }
    // SAFETY: as for ldtilecfg; no tile is used after this.
    unsafe { std::arch::asm!("tilerelease", options(nostack)) };
}

/// S = 2¹⁶·(S₂ − 128·Σx) + 2⁸·S₁ + S₀ for `rows` rows of sums, and
/// a1 = fl32(S·step) + b1 (b1 alone for the padding units).
#[inline(always)]
fn combine(planes: &W1Planes, sums: &[i32], rows: usize, b1: &[f32], a1: &mut [f32]) {
    let (h, hp, cols) = (planes.h, planes.hp, planes.cols);
    let g = h / T;
    let sum = |s0: i32, s1: i32, s2: i32, ones: i32| {
        ((i64::from(s2) - 128 * i64::from(ones)) << 16) + (i64::from(s1) << 8) + i64::from(s0)
    };
    for (row, a) in sums
        .chunks_exact(cols)
        .zip(a1.chunks_exact_mut(hp))
        .take(rows)
    {
        let ones = row[planes.ones()];
        // Whole groups of 16 units: three tiles' columns side by side.
        let groups = row.chunks_exact(3 * T).zip(a.chunks_exact_mut(T));
        let steps = planes.step.chunks_exact(T).zip(b1.chunks_exact(T));
        for ((c, a), (step, b1)) in groups.zip(steps).take(g) {
            let c: &[i32; 3 * T] = c.try_into().expect("3 tiles");
            let (a, step, b1): (&mut [f32; T], &[f64; T], &[f32; T]) = (
                a.try_into().expect("16 units"),
                step.try_into().expect("16 units"),
                b1.try_into().expect("16 units"),
            );
            for j in 0..T {
                let s = sum(c[j], c[T + j], c[2 * T + j], ones);
                a[j] = (s as f64 * step[j]) as f32 + b1[j];
            }
        }
        for j in T * g..h {
            let s = sum(
                row[planes.col(0, j)],
                row[planes.col(1, j)],
                row[planes.col(2, j)],
                ones,
            );
            a[j] = (s as f64 * planes.step[j]) as f32 + b1[j];
        }
        a[h..hp].copy_from_slice(&b1[h..hp]);
    }
}

/// Two row tiles (16 images from `a0`, 16 from `a1`, rows `sa` bytes
/// apart) times two column tiles (`b`, then `b` + kt·1024) over kt pixel
/// blocks: four tiles of sums stored at `c` (rows `sc` bytes apart), those
/// of `a1` 16 rows below.
///
/// # Safety
/// The tile configuration must be loaded; the reads and the stores must be
/// in bounds as described.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn pair(
    a0: *const u8,
    a1: *const u8,
    sa: usize,
    b: *const u8,
    kt: usize,
    c: *mut i32,
    sc: usize,
) {
    // SAFETY: the caller's.
    unsafe {
        std::arch::asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            "2:",
            "tileloadd tmm4, [{a0} + {sa}*1]",
            "tileloadd tmm6, [{b0} + {sb}*1]",
            "tdpbuud tmm0, tmm4, tmm6",
            "tileloadd tmm5, [{a1} + {sa}*1]",
            "tdpbuud tmm2, tmm5, tmm6",
            "tileloadd tmm7, [{b1} + {sb}*1]",
            "tdpbuud tmm1, tmm4, tmm7",
            "tdpbuud tmm3, tmm5, tmm7",
            "add {a0}, 64",
            "add {a1}, 64",
            "add {b0}, 1024",
            "add {b1}, 1024",
            "dec {k}",
            "jnz 2b",
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c0} + {sc}*1 + 64], tmm1",
            "tilestored [{c1} + {sc}*1], tmm2",
            "tilestored [{c1} + {sc}*1 + 64], tmm3",
            a0 = inout(reg) a0 => _,
            a1 = inout(reg) a1 => _,
            b0 = inout(reg) b => _,
            b1 = inout(reg) b.add(kt * 1024) => _,
            k = inout(reg) kt => _,
            sa = in(reg) sa,
            sb = in(reg) 64usize,
            c0 = in(reg) c,
            c1 = in(reg) (c as *mut u8).add(T * sc),
            sc = in(reg) sc,
            options(nostack),
        )
    }
}

/// [`pair`] for one row tile (16 images from `a0`): two tiles of sums.
///
/// # Safety
/// As for [`pair`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn single(a0: *const u8, sa: usize, b: *const u8, kt: usize, c: *mut i32, sc: usize) {
    // SAFETY: the caller's.
    unsafe {
        std::arch::asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "2:",
            "tileloadd tmm4, [{a0} + {sa}*1]",
            "tileloadd tmm6, [{b0} + {sb}*1]",
            "tdpbuud tmm0, tmm4, tmm6",
            "tileloadd tmm7, [{b1} + {sb}*1]",
            "tdpbuud tmm1, tmm4, tmm7",
            "add {a0}, 64",
            "add {b0}, 1024",
            "add {b1}, 1024",
            "dec {k}",
            "jnz 2b",
            "tilestored [{c0} + {sc}*1], tmm0",
            "tilestored [{c0} + {sc}*1 + 64], tmm1",
            a0 = inout(reg) a0 => _,
            b0 = inout(reg) b => _,
            b1 = inout(reg) b.add(kt * 1024) => _,
            k = inout(reg) kt => _,
            sa = in(reg) sa,
            sb = in(reg) 64usize,
            c0 = in(reg) c,
            sc = in(reg) sc,
            options(nostack),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers in [0, 1) from a seed, the same on every machine.
    fn uniform(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// W1 of d × hp (h units, padded) whose columns span many sizes: column
    /// j's weights are up to 2^(j mod 9 − 6), some columns are zero, one
    /// holds a weight exactly at a power of two.
    fn weights(d: usize, h: usize, hp: usize, seed: &mut u64) -> Vec<f32> {
        let mut w = vec![0.0f32; d * hp];
        for p in 0..d {
            for j in 0..h {
                if j % 7 == 6 {
                    continue;
                }
                let size = 2f64.powi(j as i32 % 9 - 6);
                w[p * hp + j] = ((2.0 * uniform(seed) - 1.0) * size) as f32;
            }
        }
        w[3 * hp + 1] = 0.5;
        w
    }

    #[test]
    fn the_planes_hold_w1_in_24_bits() {
        let mut seed = 1;
        for (d, h, hp) in [(784, 50, 64), (100, 16, 16), (64, 48, 48), (70, 11, 16)] {
            let w = weights(d, h, hp, &mut seed);
            let planes = W1Planes::new(&w, d, h, hp);
            for j in 0..h {
                let s = planes.step(j) * 255.0;
                let top = (0..d).map(|p| w[p * hp + j].abs()).fold(0.0f32, f32::max);
                // The step is the smallest power of two that keeps every
                // weight of the column within 24 bits.
                if top > 0.0 {
                    assert!(f64::from(top) < s * 8_388_608.0 && f64::from(top) >= s * 4_194_304.0);
                }
                for p in 0..d {
                    let back = f64::from(planes.q(p, j)) * s;
                    let err = (back - f64::from(w[p * hp + j])).abs();
                    assert!(
                        err <= s / 2.0,
                        "W1[{p}, {j}] = {} came back as {back}",
                        w[p * hp + j]
                    );
                }
                // Pixels past d, up to the last block of 64, are zeros.
                for p in d..d.next_multiple_of(KB) {
                    assert_eq!(planes.q(p, j), 0);
                }
            }
            let mut moved = w.clone();
            moved.iter_mut().for_each(|w| *w *= -3.0);
            let mut again = planes.clone();
            again.refill(&moved);
            let fresh = W1Planes::new(&moved, d, h, hp);
            for p in 0..d {
                for j in 0..h {
                    assert_eq!(again.q(p, j), fresh.q(p, j));
                    assert_eq!(again.step(j), fresh.step(j));
                }
            }
        }
    }

    /// A weight whose scaled value rounds up to 2²³ stays in 24 bits (it
    /// moves by half a step); its negative is −2²³ exactly.
    #[test]
    fn a_weight_just_below_a_power_of_two_keeps_24_bits() {
        let mut w = vec![0.0f32; 64 * 16];
        w[0] = 1.0 - f32::EPSILON / 2.0;
        w[16] = -(1.0 - f32::EPSILON / 2.0);
        w[32] = 0.5;
        let planes = W1Planes::new(&w, 64, 16, 16);
        assert_eq!(planes.step(0), 2f64.powi(-23) / 255.0);
        assert_eq!(
            (planes.q(0, 0), planes.q(1, 0), planes.q(2, 0)),
            ((1 << 23) - 1, -(1 << 23), 1 << 22)
        );
        if available() {
            let x: Vec<u8> = (0..64).map(|p| [255, 255, 3][p % 3]).collect();
            let (mut a1, b1) = (vec![0.0f32; 16], vec![0.0f32; 16]);
            hidden_pre(&planes, &x, 1, &b1, &mut a1, &mut Scratch::default());
            let s = 255 * i64::from((1 << 23) - 1) - 255 * (1 << 23) + 3 * (1 << 22);
            assert_eq!(a1[0], (s as f64 * planes.step(0)) as f32);
        }
    }

    /// The AVX-512 fill and the plain one write the same bytes, for weights
    /// not finite too.
    #[test]
    fn both_fills_agree() {
        let mut seed = 3;
        for (d, h, hp) in [(784, 50, 64), (70, 11, 16)] {
            let mut w = weights(d, h, hp, &mut seed);
            w[5 * hp + 2] = f32::NAN;
            w[9 * hp + 7] = f32::INFINITY;
            let planes = W1Planes::new(&w, d, h, hp);
            let mut plain = planes.clone();
            plain.bytes.iter_mut().for_each(|line| line.0 = [0; 64]);
            plain.tops(&w);
            plain.steps_from_tops();
            plain.fill(&w);
            // The column of ones is written once, by `new`.
            let ones = planes.ones();
            for p in 0..d {
                assert_eq!(planes.byte(ones, p), 1);
                for col in 0..ones {
                    assert_eq!(
                        planes.byte(col, p),
                        plain.byte(col, p),
                        "pixel {p}, column {col}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_column_with_a_weight_not_finite_gives_nan() {
        let mut w = vec![0.25f32; 64 * 16];
        w[5 * 16 + 2] = f32::INFINITY;
        w[9 * 16 + 7] = f32::NAN;
        let planes = W1Planes::new(&w, 64, 16, 16);
        assert!(planes.step(2).is_nan() && planes.step(7).is_nan());
        assert_eq!(planes.step(3), 2f64.powi(-24) / 255.0);
    }

    /// The tile products give the exact integer sums, rounded as the
    /// module says, bit for bit: images in whole tiles and in a tail, read
    /// in place and from the copy, for several d and hp.
    #[test]
    fn the_tile_products_are_the_exact_sums() {
        if !available() {
            // Nothing here can run the tile instructions: the f32 kernels
            // are the FMA ones, which other tests check.
            let net = crate::two_layer_net::TwoLayerNet::new(784, 50, 10, 0.01);
            let fast = crate::engine::fast::net::FastNet::<f32>::from_net(&net);
            assert!(fast.amx_planes().is_none());
            eprintln!("no AMX on this processor: the tile products were not run");
            return;
        }
        let mut seed = 7;
        for (d, h, hp, n) in [
            // Images so small that both row tiles of a pair are copied.
            (8, 1, 16, 17),
            (10, 3, 16, 20),
            (31, 5, 16, 17),
            (784, 50, 64, 50),
            (784, 50, 64, 100),
            (784, 64, 64, 80),
            (100, 16, 16, 37),
            (64, 48, 48, 33),
            (70, 11, 16, 17),
            (784, 50, 64, 1),
        ] {
            let w = weights(d, h, hp, &mut seed);
            let b1: Vec<f32> = (0..hp).map(|j| j as f32 * 0.01 - 0.2).collect();
            // Half the pixels zero, the rest any byte.
            let x: Vec<u8> = (0..n * d)
                .map(|_| {
                    if uniform(&mut seed) < 0.5 {
                        0
                    } else {
                        (uniform(&mut seed) * 256.0) as u8
                    }
                })
                .collect();
            let planes = W1Planes::new(&w, d, h, hp);
            let mut a1 = vec![f32::NAN; n * hp];
            hidden_pre(&planes, &x, n, &b1, &mut a1, &mut Scratch::default());
            for i in 0..n {
                for j in 0..hp {
                    // The padding units past h: b1 alone.
                    let want = if j < h {
                        let s: i64 = (0..d)
                            .map(|p| i64::from(x[i * d + p]) * i64::from(planes.q(p, j)))
                            .sum();
                        (s as f64 * planes.step(j)) as f32 + b1[j]
                    } else {
                        b1[j]
                    };
                    assert_eq!(
                        a1[i * hp + j].to_bits(),
                        want.to_bits(),
                        "d {d} h {h} hp {hp}: image {i}, unit {j}"
                    );
                }
            }
        }
    }
}
