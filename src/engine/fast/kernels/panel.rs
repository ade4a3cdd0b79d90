//! Panels: which pixels of a few images are lit, block by block.
//!
//! ```text
//! lit(g, b) = { i in block b : x[s, i] ≠ 0 for some image s of group g },  ascending
//! x: (n, d) bytes  →  n / GROUP groups × d / block blocks of pixel lists
//! ```
//!
//! a1 = x·W1 + b1 adds, for every image, pixel i times row i of W1. A pixel
//! that is zero adds nothing, and most are zero (81 % of MNIST, 50 % of
//! Fashion-MNIST). With AVX-512 the forward kernel works on [`GROUP`]
//! images at once — their running sums fill the 32 vector registers, and
//! each row of W1 it loads serves all of them — so it needs, for each
//! group, the pixels lit in at least one of its images: a panel lists them
//! in pixel order. With 16 registers a group is one image ([`group_for`]),
//! which walks exactly its own lit pixels.
//!
//! Which images share a group of five is free to choose — each image's sums are its
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
//! ```text
//! x (3 images of 4 pixels), labels 7, 7, 3, blocks of 2 pixels:
//!   image 0: 0 0 9 4     group 0: images 2, 1, 0 (class 3 first; in class 7
//!   image 1: 5 0 0 0              the image lighting fewer pixels first)
//!   image 2: 0 0 0 0     lit(group 0, block 0) = [0]     (pixels 0, 1)
//!                        lit(group 0, block 1) = [2, 3]  (pixels 2, 3)
//! ```

use super::Level;
use super::amx;
use super::cache;
#[cfg(target_arch = "x86_64")]
use super::lit::lit_at_avx2;
use super::lit::{append_lit, lit_pixels};

/// Images per group: 5 images × 4 vector registers of hidden units are 20
/// running sums; with a row of W1 (4 registers) and the 5 pixels' values
/// that is 29 of AVX-512's 32 registers. (6 images measured slower: the
/// compiler then spills sums to memory.)
pub(crate) const GROUP: usize = 5;

/// Images per group at kernel level `level`: [`GROUP`] with AVX-512's 32
/// registers; one image with 16 registers or 128-bit ones, where a group's
/// sums would leave room for only two registers of hidden units — there
/// each image walks its own lit pixels (half the pixels of a group's list
/// on Fashion-MNIST), all its units at once.
pub(crate) fn group_for(level: Level) -> usize {
    match level {
        Level::Avx512 => GROUP,
        Level::Avx2 | Level::Baseline => 1,
    }
}

/// The lit pixels of a set of images, group by group, block by block.
#[derive(Debug, Clone, Default)]
pub struct Panels {
    n: usize,
    d: usize,
    block: usize,
    blocks: usize,
    /// Images per group: [`GROUP`] or 1 ([`group_for`]).
    group: usize,
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
    pub(crate) amx: amx::Scratch,
}

impl Panels {
    /// Lists the lit pixels of the `n` images in `x` (rows of `d` bytes), at
    /// kernel level `level`, in
    /// groups of [`group_for`] images (the last group may be smaller) and
    /// blocks of `block` pixels. Groups of [`GROUP`] take the images sorted
    /// by their label in `labels` (all one class if it is empty), then by
    /// how many pixels they light, then by position; groups of one take
    /// them in order. Reuses its buffers.
    ///
    /// Inlined into the kernels that call it, so its loops get their
    /// vector instructions; with AVX-512, 16 pixels at a time.
    #[inline(always)]
    pub(crate) fn build<L: Copy + Into<usize>>(
        &mut self,
        level: Level,
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
        assert!(
            level.supported(),
            "{level:?} kernels on a processor without them"
        );
        let avx512 = level == Level::Avx512;
        self.group = group_for(level);
        if self.group == 1 {
            self.order.extend(0..n as u32);
        } else {
            self.sort_into_groups(x, labels, n, d, avx512);
        }
        assert!(block > 0 && d <= u32::MAX as usize - 64);
        self.n = n;
        self.d = d;
        self.block = block;
        self.blocks = d.div_ceil(block);
        self.starts.clear();
        // Room for every pixel of every group, and for one whole register
        // written past the last.
        let room = n.div_ceil(self.group) * d + 16;
        if self.pixels.len() < room {
            self.pixels.resize(room, 0);
        }
        #[cfg(target_arch = "x86_64")]
        if avx512 {
            // SAFETY: the level is supported (asserted above): the processor
            // has AVX-512; x holds n
            // rows of d bytes (asserted), and `pixels` has room for every
            // pixel of every group plus 16.
            unsafe { self.list_avx512(x) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if level == Level::Avx2 && self.group == 1 {
            // SAFETY: the level is supported (asserted above): the processor
            // has AVX2; x holds n rows of d bytes (asserted), and `pixels`
            // has room for every pixel of every image plus 16.
            unsafe { self.list_avx2(x) };
            return;
        }
        self.list(x);
    }

    /// The images in group order for groups of [`GROUP`]: sorted by class
    /// (from `labels`, all one if it is empty), then by how many pixels they
    /// light, then by position.
    #[inline(always)]
    fn sort_into_groups<L: Copy + Into<usize>>(
        &mut self,
        x: &[u8],
        labels: &[L],
        n: usize,
        d: usize,
        avx512: bool,
    ) {
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
    }

    /// [`Self::build`]'s lists, eight pixels at a time ([`append_lit`]).
    #[inline(always)]
    fn list(&mut self, x: &[u8]) {
        let (d, block) = (self.d, self.block);
        self.any.clear();
        self.any.resize(d, 0);
        let mut len = 0;
        for images in self.order.chunks(self.group) {
            // A group of one lists its image's own pixels; a bigger one,
            // those of its images ORed together.
            let row = if let [s] = images {
                &x[*s as usize * d..][..d]
            } else {
                self.any.fill(0);
                for &s in images {
                    for (a, &p) in self.any.iter_mut().zip(&x[s as usize * d..][..d]) {
                        *a |= p;
                    }
                }
                &self.any[..]
            };
            for b in 0..self.blocks {
                self.starts.push(len as u32);
                let end = ((b + 1) * block).min(d);
                len = append_lit(row, b * block, end, &mut self.pixels, len);
            }
            self.starts.push(len as u32);
        }
    }

    /// [`Self::build`]'s lists with AVX2, for groups of one image: 32
    /// pixels tested at once, a bit per pixel, then each 8 pixels' lit ones
    /// written in one go (their positions widened to 8 numbers, `lit_at_avx2`);
    /// a block's last pixels as [`append_lit`] does.
    ///
    /// # Safety
    /// The processor must have AVX2; `x` must hold n rows of d bytes and
    /// `pixels` room for n·d + 16 numbers; the groups are of one image.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn list_avx2(&mut self, x: &[u8]) {
        use std::arch::x86_64::*;
        let (d, block) = (self.d, self.block);
        let mut len = 0;
        for &s in &self.order {
            let row = &x[s as usize * d..][..d];
            for b in 0..self.blocks {
                self.starts.push(len as u32);
                let (mut i, to) = (b * block, ((b + 1) * block).min(d));
                let out = self.pixels.as_mut_ptr();
                // SAFETY: bytes i..i + 32 ≤ to ≤ d of the row; 8 numbers
                // from len, which is at most the pixels listed so far, below
                // n·d, and `pixels` holds n·d + 16 (the caller's).
                unsafe {
                    let zero = _mm256_setzero_si256();
                    while i + 32 <= to {
                        let v = _mm256_loadu_si256(row.as_ptr().add(i) as *const __m256i);
                        let lit = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) as u32);
                        for k in 0..4 {
                            let (at, lit) = lit_at_avx2((lit >> (8 * k)) as usize, i + 8 * k);
                            _mm256_storeu_si256(out.add(len) as *mut __m256i, at);
                            len += lit;
                        }
                        i += 32;
                    }
                }
                len = append_lit(row, i, to, &mut self.pixels, len);
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
    /// bytes and `pixels` room for n.div_ceil(GROUP)·d + 16 numbers; the
    /// groups are of [`GROUP`].
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
        // SAFETY: (the whole body) the caller's; every read is of pixels below
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
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    /// Pixels per image.
    pub(crate) fn d(&self) -> usize {
        self.d
    }

    /// The images of group `group`, as rows of the `x` listed:
    /// [`Self::group_size`] of them, or fewer in the last group.
    #[inline(always)]
    pub(crate) fn group(&self, group: usize) -> &[u32] {
        let size = self.group;
        &self.order[group * size..((group + 1) * size).min(self.n)]
    }

    /// Images per group: [`GROUP`], or 1 (see [`group_for`]).
    pub(crate) fn group_size(&self) -> usize {
        self.group
    }

    /// The images in group order: group g is `order()[g·GROUP..]`.
    #[cfg(test)]
    pub(crate) fn order(&self) -> &[u32] {
        &self.order
    }

    /// Blocks per image.
    pub(crate) fn blocks(&self) -> usize {
        self.blocks
    }

    /// The pixels of block `block` lit in group `group` (the images
    /// [`Panels::group`]), ascending; each is below [`Panels::d`].
    #[inline(always)]
    pub(crate) fn lit(&self, group: usize, block: usize) -> &[u32] {
        let at = group * (self.blocks + 1) + block;
        &self.pixels[self.starts[at] as usize..self.starts[at + 1] as usize]
    }

    /// Pixels per block whose rows of a W1 `hp` units wide, in `bytes`-byte
    /// numbers, fill about `budget` bytes ([`Self::block_bytes`]), and at
    /// least 8.
    pub(crate) fn block_for(hp: usize, bytes: usize, budget: usize) -> usize {
        (budget / (hp * bytes).max(1)).max(8)
    }

    /// Bytes of W1's rows per block at kernel level `level`: 40 KiB, most
    /// of the 48 KiB L1 data cache of current Intel cores; for groups of
    /// one image (AVX2 and 128-bit levels, [`group_for`]) on a core with a
    /// smaller L1 ([`cache::l1_data_bytes`]), 8 KiB less than it.
    ///
    /// Measured on a Xeon (48 KiB L1, 2 MiB L2) with W1 aligned to cache
    /// lines, 40 KiB against 24: x·W1 5–6 % faster at every level in both
    /// precisions (fewer trips of each group's sums between registers and
    /// a1); blocks larger still, up to whole images, gained f64 2 % more
    /// and f32 nothing. On a Zen 4 (32 KiB L1), 24 KiB against 40 (kernel
    /// benchmark, 3 interleaved runs): x·W1 with AVX2 83 → 80 µs in f32,
    /// 146 → 134 µs in f64; at 128 bits 178 → 176 and 325 → 310 µs. There
    /// AVX-512's groups of five, whose rows of W1 each serve five images
    /// from registers, keep 40 KiB, as they measured faster with it.
    pub(crate) fn block_bytes(level: Level) -> usize {
        const MOST: usize = 40 * 1024;
        match cache::l1_data_bytes() {
            Some(l1) if group_for(level) == 1 => l1.saturating_sub(8 * 1024).clamp(8 * 1024, MOST),
            _ => MOST,
        }
    }
}

#[cfg(test)]
#[path = "tests/panel.rs"]
mod tests;
