//! Panels: which pixels of a few images are lit, block by block.
//!
//! a1 = x·W1 + b1 adds, for every image, pixel i times row i of W1. A pixel
//! that is zero adds nothing, and most are zero (81 % of MNIST, 50 % of
//! Fashion-MNIST). The forward kernel works on [`GROUP`] images at once —
//! their running sums fill the vector registers, and each row of W1 it loads
//! serves all of them — so it needs, for each group, the pixels lit in at
//! least one of its images: a panel lists them in pixel order.
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
//! let x = [0, 0, 9, 0, /**/ 5, 0, 0, 0, /**/ 0, 0, 0, 0];
//! let mut p = Panels::default();
//! p.build(&x, 3, 4, 2); // blocks of 2 pixels
//! assert_eq!(p.lit(0, 0), &[0]); // block 0 (pixels 0, 1): pixel 0 is lit
//! assert_eq!(p.lit(0, 1), &[2]); // block 1 (pixels 2, 3): pixel 2
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
    /// Scratch: the OR of a group's images.
    any: Vec<u8>,
}

impl Panels {
    /// Lists the lit pixels of the `n` images in `x` (rows of `d` bytes), in
    /// groups of [`GROUP`] images (the last group may be smaller) and blocks
    /// of `block` pixels. Reuses its buffers.
    ///
    /// Inlined into the kernels that call it, so its loops get their
    /// vector instructions.
    #[inline(always)]
    pub fn build(&mut self, x: &[u8], n: usize, d: usize, block: usize) {
        assert!(x.len() >= n * d, "panels: {n} images of {d} pixels");
        assert!(block > 0 && d <= u32::MAX as usize);
        self.n = n;
        self.d = d;
        self.block = block;
        self.blocks = d.div_ceil(block);
        self.starts.clear();
        self.any.resize(d, 0);
        // Room for every pixel of every group; cut to what was written.
        self.pixels.resize(n.div_ceil(GROUP) * d, 0);
        let mut len = 0;
        for s0 in (0..n).step_by(GROUP) {
            let images = &x[s0 * d..(s0 + GROUP).min(n) * d];
            self.any.fill(0);
            for row in images.chunks_exact(d) {
                for (a, &p) in self.any.iter_mut().zip(row) {
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
        self.pixels.truncate(len);
    }

    /// Images listed.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Pixels per image.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Blocks per image.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// The pixels of block `block` lit in group `group` (images
    /// `group·GROUP..`), ascending; each is below [`Panels::d`].
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
        let mut p = Panels::default();
        p.build(&x, n, 5, 2);
        assert_eq!(p.blocks(), 3);
        assert_eq!(p.lit(0, 0), &[0]);
        assert_eq!(p.lit(0, 1), &[3]);
        assert!(p.lit(0, 2).is_empty());
        assert!(p.lit(1, 0).is_empty() && p.lit(1, 1).is_empty());
        assert_eq!(p.lit(1, 2), &[4]);
        // Rebuilt for other images, nothing of the old list remains.
        p.build(&[0, 0, 3], 1, 3, 8);
        assert_eq!((p.n(), p.d(), p.blocks()), (1, 3, 1));
        assert_eq!(p.lit(0, 0), &[2]);
    }

    #[test]
    fn blocks_fit_the_cache() {
        assert_eq!(Panels::block_for(64, 4), 96);
        assert_eq!(Panels::block_for(64, 8), 48);
        assert_eq!(Panels::block_for(100_000, 8), 8);
    }
}
