//! Panels: which pixels of a few images are lit, block by block.
//!
//! a1 = x·W1 + b1 adds, for every image, pixel i times row i of W1. A pixel
//! that is zero adds nothing, and most are zero (81 % of MNIST, 50 % of
//! Fashion-MNIST). The forward kernel works on [`GROUP`] images at once —
//! their running sums fill the vector registers, and each row of W1 it loads
//! serves all of them — so it needs, for each group, the pixels lit in at
//! least one of its images: a panel lists them in pixel order.
//!
//! Which images share a group is free to choose — each image's sums are its
//! own, a group only shares the walk over the pixels — and the fewer pixels
//! a group lights, the less work: images of one class light much the same
//! pixels (a shoe's, a shirt's), so the groups are made of images sorted by
//! class, then by how many pixels they light. On Fashion-MNIST batches of
//! 100 that lists 70 % of a group's pixels instead of 82 %.
//!
//! The list is cut into *blocks* of pixels whose rows of W1 fit the
//! processor's L1 cache together. The kernel runs block by block, every
//! group through one block before the next, so each row of W1 comes from L1
//! rather than from the slower caches behind it; the running sums wait in a1
//! between blocks, which changes nothing in them.
//!
//! ```
//! use manabi::engine::fast::panel::Panels;
//! // Three images of four pixels; pixel 1 is dark in all three.
//! let x = [0, 0, 9, 4, /**/ 5, 0, 0, 0, /**/ 0, 0, 0, 0];
//! let mut p = Panels::default();
//! p.build(&x, &[7u8, 7, 3], 3, 4, 2); // labels 7, 7, 3; blocks of 2 pixels
//! // Class 3 first; in class 7, image 1 (one lit pixel) before image 0 (two).
//! assert_eq!(p.group(0), &[2, 1, 0]);
//! assert_eq!(p.lit(0, 0), &[0]); // block 0 (pixels 0, 1): pixel 0 is lit
//! assert_eq!(p.lit(0, 1), &[2, 3]); // block 1 (pixels 2, 3): both
//! ```

/// Images per group: 5 images × 4 vector registers of hidden units are 20
/// running sums; with a row of W1 (4 registers) and the 5 pixels' values
/// that is 29 of AVX-512's 32 registers. (6 images measured slower: the
/// compiler then spills sums to memory.)
pub const GROUP: usize = 5;

/// The lit pixels of a set of images, group by group, block by block.
#[derive(Debug, Clone, Default)]
pub struct Panels {
    n: usize,
    d: usize,
    block: usize,
    blocks: usize,
    /// Where each (group, block)'s pixels start in `pixels`; one more entry
    /// per group closes its last block.
    starts: Vec<u32>,
    /// Lit pixel indices, each below `d`.
    pixels: Vec<u32>,
    /// The images in group order: group g is `order[g·GROUP..]`.
    order: Vec<u32>,
    /// Scratch: each image's class, lit pixels and position, in one number
    /// that sorts as they do.
    keys: Vec<u128>,
    /// Scratch: the same keys in 64 bits, when they fit.
    keys64: Vec<u64>,
    /// Scratch: the OR of a group's images (with AVX-512, one bit per
    /// pixel).
    any: Vec<u8>,
    /// Scratch of x·W1 on AMX, which lists no pixels.
    pub amx: super::amx::Scratch,
}

impl Panels {
    /// Lists the lit pixels of the `n` images in `x` (rows of `d` bytes), in
    /// groups of [`GROUP`] images (the last group may be smaller) and blocks
    /// of `block` pixels. The groups take the images sorted by their label
    /// in `labels` (all one class if it is empty), then by how many pixels
    /// they light, then by position. Reuses its buffers.
    ///
    /// Inlined into the kernels that call it, so its loops get their
    /// vector instructions; with AVX-512, 16 pixels at a time.
    #[inline(always)]
    pub fn build<L: Copy + Into<usize>>(
        &mut self,
        x: &[u8],
        labels: &[L],
        n: usize,
        d: usize,
        block: usize,
    ) {
        assert!(x.len() >= n * d, "panels: {n} images of {d} pixels");
        assert!(
            labels.is_empty() || labels.len() >= n,
            "panels: {n} images' labels"
        );
        assert!(n <= u32::MAX as usize);
        // Plain loops, no closures: a closure is compiled apart from the
        // kernel inlining this, without its vector instructions.
        self.keys.clear();
        self.order.clear();
        #[cfg(target_arch = "x86_64")]
        let avx512 = super::simd::level() == super::simd::Level::Avx512;
        #[cfg(not(target_arch = "x86_64"))]
        let avx512 = false;
        for s in 0..n {
            let class = if labels.is_empty() {
                0
            } else {
                labels[s].into()
            };
            let lit = lit_pixels(&x[s * d..][..d], avx512);
            // The position breaks ties: one order, however the sort runs.
            self.keys
                .push((class as u128) << 64 | (lit as u128) << 32 | s as u128);
        }
        // The same order from 64-bit keys when the numbers fit (class
        // below 2¹⁶, lit pixels and positions below 2²⁴): a shorter sort.
        let narrow = n < 1 << 24 && d < 1 << 24;
        if narrow && self.keys.iter().all(|&key| key >> 64 < 1 << 16) {
            self.keys64.clear();
            for &key in &self.keys {
                let (class, lit) = ((key >> 64) as u64, (key >> 32) as u32 as u64);
                self.keys64
                    .push(class << 48 | lit << 24 | key as u32 as u64);
            }
            self.keys64.sort_unstable();
            for &key in &self.keys64 {
                self.order.push((key & 0xFF_FFFF) as u32);
            }
        } else {
            self.keys.sort_unstable();
            for &key in &self.keys {
                self.order.push(key as u32);
            }
        }
        assert!(block > 0 && d <= u32::MAX as usize - 64);
        self.n = n;
        self.d = d;
        self.block = block;
        self.blocks = d.div_ceil(block);
        self.starts.clear();
        // Room for every pixel of every group, and for one whole register
        // written past the last.
        let room = n.div_ceil(GROUP) * d + 16;
        if self.pixels.len() < room {
            self.pixels.resize(room, 0);
        }
        #[cfg(target_arch = "x86_64")]
        if super::simd::level() == super::simd::Level::Avx512 {
            // SAFETY: the level says the processor has AVX-512; x holds n
            // rows of d bytes (asserted), and `pixels` has room for every
            // pixel of every group plus 16.
            unsafe { self.list_avx512(x) };
            return;
        }
        self.list(x);
    }

    /// [`Self::build`]'s lists, one pixel at a time.
    #[inline(always)]
    fn list(&mut self, x: &[u8]) {
        let (d, block) = (self.d, self.block);
        self.any.clear();
        self.any.resize(d, 0);
        let mut len = 0;
        for images in self.order.chunks(GROUP) {
            self.any.fill(0);
            for &s in images {
                for (a, &p) in self.any.iter_mut().zip(&x[s as usize * d..][..d]) {
                    *a |= p;
                }
            }
            for b in 0..self.blocks {
                self.starts.push(len as u32);
                let end = ((b + 1) * block).min(d);
                // Without a branch (whether a pixel is lit follows no
                // pattern a processor could predict): write every pixel,
                // keep the lit ones.
                for i in b * block..end {
                    self.pixels[len] = i as u32;
                    len += (self.any[i] != 0) as usize;
                }
            }
            self.starts.push(len as u32);
        }
    }

    /// [`Self::build`]'s lists with AVX-512: a group's images ORed 64
    /// pixels at a time into a bit per pixel, then each block's lit pixels
    /// written 16 at a time (`vpcompressd` keeps the lanes whose bit is
    /// set, in order).
    ///
    /// # Safety
    /// The processor must have AVX-512 F and BW; `x` must hold n rows of d
    /// bytes and `pixels` room for n.div_ceil(GROUP)·d + 16 numbers.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn list_avx512(&mut self, x: &[u8]) {
        use std::arch::x86_64::*;
        let (n, d, block) = (self.n, self.d, self.block);
        let words = d.div_ceil(64);
        // One bit per pixel, and a zero word after the last.
        self.any.clear();
        self.any.resize((words + 1) * 8, 0);
        let bits = self.any.as_mut_ptr() as *mut u64;
        let out = self.pixels.as_mut_ptr() as *mut i32;
        let mut len = 0usize;
        // SAFETY (whole body): the caller's; every read is of pixels below
        // d of rows below n, every bit word below words + 1, and every
        // write of 16 numbers starts at len ≤ (lit so far) ≤ room − 16.
        unsafe {
            let step = _mm512_set1_epi32(16);
            for s0 in (0..n).step_by(GROUP) {
                let images = &self.order[s0..(s0 + GROUP).min(n)];
                for w in 0..words {
                    let count = (d - w * 64).min(64);
                    let keep: u64 = if count == 64 { !0 } else { (1u64 << count) - 1 };
                    let mut or = _mm512_setzero_si512();
                    for &s in images {
                        let p = x.as_ptr().add(s as usize * d + w * 64);
                        or = _mm512_or_si512(or, _mm512_maskz_loadu_epi8(keep, p as *const i8));
                    }
                    bits.add(w).write_unaligned(_mm512_test_epi8_mask(or, or));
                }
                for b in 0..self.blocks {
                    self.starts.push(len as u32);
                    let end = ((b + 1) * block).min(d);
                    let mut i = b * block;
                    let mut index = _mm512_add_epi32(
                        _mm512_set1_epi32(i as i32),
                        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                    );
                    while i < end {
                        // The 16 bits from pixel i, those past the block cut.
                        let (word, shift) = (i / 64, i % 64);
                        let two = bits.add(word).read_unaligned() as u128
                            | (bits.add(word + 1).read_unaligned() as u128) << 64;
                        let mut lit = (two >> shift) as u16;
                        if end - i < 16 {
                            lit &= ((1u32 << (end - i)) - 1) as u16;
                        }
                        let listed = _mm512_maskz_compress_epi32(lit, index);
                        _mm512_storeu_si512(out.add(len) as *mut _, listed);
                        len += lit.count_ones() as usize;
                        index = _mm512_add_epi32(index, step);
                        i += 16;
                    }
                }
                self.starts.push(len as u32);
            }
        }
    }

    /// Images listed.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Pixels per image.
    pub fn d(&self) -> usize {
        self.d
    }

    /// The images of group `group`, as rows of the `x` listed: [`GROUP`]
    /// of them, or fewer in the last group.
    #[inline(always)]
    pub fn group(&self, group: usize) -> &[u32] {
        &self.order[group * GROUP..((group + 1) * GROUP).min(self.n)]
    }

    /// The images in group order: group g is `order()[g·GROUP..]`.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Blocks per image.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// The pixels of block `block` lit in group `group` (the images
    /// [`Panels::group`]), ascending; each is below [`Panels::d`].
    #[inline(always)]
    pub fn lit(&self, group: usize, block: usize) -> &[u32] {
        let at = group * (self.blocks + 1) + block;
        &self.pixels[self.starts[at] as usize..self.starts[at + 1] as usize]
    }

    /// Pixels per block whose rows of a W1 `hp` units wide, in `bytes`-byte
    /// numbers, fill about 24 KiB: half the L1 data cache of current x86
    /// cores, leaving the rest for the images and the sums.
    pub fn block_for(hp: usize, bytes: usize) -> usize {
        (24 * 1024 / (hp * bytes).max(1)).max(8)
    }
}

/// How many pixels of `row` are not zero; with `avx512` (the level in
/// use), 64 at a time.
#[inline(always)]
fn lit_pixels(row: &[u8], avx512: bool) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if avx512 {
        // SAFETY: the AVX-512 level requires AVX-512 BW and POPCNT.
        return unsafe { lit_avx512(row) };
    }
    let _ = avx512;
    let mut lit = 0u32;
    for &p in row {
        lit += (p != 0) as u32;
    }
    lit
}

/// How many pixels of `row` are not zero, 64 at a time: a bit per pixel,
/// counted.
///
/// # Safety
/// The processor must have AVX-512 BW and POPCNT.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn lit_avx512(row: &[u8]) -> u32 {
    use std::arch::x86_64::*;
    let mut lit = 0;
    let mut at = 0;
    // SAFETY: every load is of bytes of `row` (the last masked to them);
    // the caller's for the instructions.
    unsafe {
        while at < row.len() {
            let count = (row.len() - at).min(64);
            let keep: u64 = if count == 64 { !0 } else { (1u64 << count) - 1 };
            let v = _mm512_maskz_loadu_epi8(keep, row.as_ptr().add(at) as *const i8);
            lit += _mm512_test_epi8_mask(v, v).count_ones();
            at += 64;
        }
    }
    lit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pixel_is_listed_when_any_image_of_its_group_lights_it() {
        // GROUP + 2 images (a whole group and one of 2) of 5 pixels, blocks
        // of 2.
        let n = GROUP + 2;
        let mut x = vec![0u8; n * 5];
        x[3] = 1; // image 0, pixel 3
        x[(GROUP - 1) * 5 + 3] = 7; // the group's last image, pixel 3
        x[(GROUP - 2) * 5] = 2; // another of the group, pixel 0
        x[(n - 1) * 5 + 4] = 255; // the last image (second group), pixel 4
        // The first GROUP images are of one class: one group (in order of
        // lit pixels, then position), the other two another.
        let mut labels = vec![4u8; n];
        labels[GROUP..].fill(9);
        let mut p = Panels::default();
        p.build(&x, &labels, n, 5, 2);
        let mut first: Vec<u32> = (0..GROUP as u32)
            .filter(|&s| s != 0 && s < GROUP as u32 - 2)
            .collect();
        first.extend([0, GROUP as u32 - 2, GROUP as u32 - 1]);
        assert_eq!(p.group(0), &first[..]);
        assert_eq!(p.group(1), &[GROUP as u32, GROUP as u32 + 1]);
        assert_eq!(p.blocks(), 3);
        assert_eq!(p.lit(0, 0), &[0]);
        assert_eq!(p.lit(0, 1), &[3]);
        assert!(p.lit(0, 2).is_empty());
        assert!(p.lit(1, 0).is_empty() && p.lit(1, 1).is_empty());
        assert_eq!(p.lit(1, 2), &[4]);
        // Without labels, the images go by lit pixels, then position.
        let mut q = Panels::default();
        q.build(&x, &[] as &[u8], n, 5, 2);
        let dark =
            (0..n as u32).filter(|&s| ![0, GROUP - 2, GROUP - 1, n - 1].contains(&(s as usize)));
        let order: Vec<u32> = dark
            .chain([0, GROUP as u32 - 2, GROUP as u32 - 1, n as u32 - 1])
            .collect();
        assert_eq!([q.group(0), q.group(1)].concat(), order);
        // Rebuilt for other images, nothing of the old list remains.
        p.build(&[0, 0, 3], &[] as &[u8], 1, 3, 8);
        assert_eq!((p.n(), p.d(), p.blocks()), (1, 3, 1));
        assert_eq!(p.lit(0, 0), &[2]);
    }

    /// Both ways of listing give the same lists, over image counts, widths
    /// and blocks that leave every kind of remainder.
    #[test]
    fn the_vector_lists_equal_the_plain_ones() {
        if crate::engine::fast::simd::level() != crate::engine::fast::simd::Level::Avx512 {
            eprintln!("no AVX-512 here: only the plain lists are in use, nothing to compare");
            return;
        }
        let mut rng = crate::random::Rng::new(7);
        for &d in &[1, 17, 63, 64, 65, 130, 784] {
            for &n in &[1, 4, 5, 7, 23] {
                for &block in &[1, 5, 16, 54, 96, 1000] {
                    // Sparse, dense and empty images alike.
                    let x: Vec<u8> = (0..n * d)
                        .map(|i| {
                            let lit = match (i / d) % 3 {
                                0 => rng.uniform() < 0.1,
                                1 => rng.uniform() < 0.7,
                                _ => false,
                            };
                            if lit {
                                1 + (rng.uniform() * 254.0) as u8
                            } else {
                                0
                            }
                        })
                        .collect();
                    // Images in a shuffled order, as sorting makes them.
                    let order = rng.permutation(n).into_iter().map(|s| s as u32).collect();
                    let mut plain = Panels {
                        n,
                        d,
                        block,
                        order,
                        blocks: d.div_ceil(block),
                        ..Default::default()
                    };
                    plain.pixels.resize(n.div_ceil(GROUP) * d + 16, 0);
                    let mut vector = plain.clone();
                    plain.list(&x);
                    // SAFETY: AVX-512 was detected; x and pixels are sized
                    // as it needs.
                    unsafe { vector.list_avx512(&x) };
                    assert_eq!(plain.starts, vector.starts, "d {d} n {n} block {block}");
                    for g in 0..n.div_ceil(GROUP) {
                        for b in 0..plain.blocks {
                            assert_eq!(
                                plain.lit(g, b),
                                vector.lit(g, b),
                                "d {d} n {n} block {block}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_count_of_lit_pixels_equals_the_plain_one() {
        if crate::engine::fast::simd::level() != crate::engine::fast::simd::Level::Avx512 {
            eprintln!("no AVX-512 here: only the plain count is in use, nothing to compare");
            return;
        }
        let mut rng = crate::random::Rng::new(9);
        for len in (0..200).chain([784, 1000]) {
            let row: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.uniform() < 0.5 {
                        0
                    } else {
                        1 + (rng.uniform() * 254.0) as u8
                    }
                })
                .collect();
            let plain = row.iter().filter(|&&p| p != 0).count() as u32;
            // SAFETY: AVX-512 (with POPCNT) was detected.
            assert_eq!(unsafe { lit_avx512(&row) }, plain, "{len} pixels");
        }
    }

    /// Classes too large for the 64-bit keys sort the same way in 128.
    #[test]
    fn large_classes_sort_as_small_ones() {
        let mut rng = crate::random::Rng::new(4);
        let (n, d) = (23, 9);
        let x: Vec<u8> = (0..n * d).map(|_| (rng.uniform() < 0.4) as u8).collect();
        let small: Vec<usize> = (0..n).map(|_| (rng.uniform() * 3.0) as usize).collect();
        let large: Vec<usize> = small.iter().map(|&c| c + (1 << 20)).collect();
        let (mut a, mut b) = (Panels::default(), Panels::default());
        a.build(&x, &small, n, d, 4);
        b.build(&x, &large, n, d, 4);
        assert_eq!(a.order(), b.order());
        // Sorted by class, then lit pixels, then position.
        let lit = |s: u32| x[s as usize * d..][..d].iter().filter(|&&p| p != 0).count();
        for pair in a.order().windows(2) {
            let key = |s: u32| (small[s as usize], lit(s), s);
            assert!(key(pair[0]) < key(pair[1]));
        }
    }

    #[test]
    fn blocks_fit_the_cache() {
        assert_eq!(Panels::block_for(64, 4), 96);
        assert_eq!(Panels::block_for(64, 8), 48);
        assert_eq!(Panels::block_for(100_000, 8), 8);
    }
}
