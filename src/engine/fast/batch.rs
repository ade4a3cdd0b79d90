//! A mini-batch as its non-zero pixels only.
//!
//! A zero pixel adds nothing to x·W1 and nothing to xᵀ·δ, so skipping it is
//! exact, not an approximation — and most pixels are zero (81 % of MNIST,
//! 50 % of Fashion-MNIST). The chosen samples' non-zero pixels are copied
//! out of the [`SparseSplit`] into one contiguous batch, which every pass
//! over the batch then reads front to back.

use super::float::Float;
use super::sparse::SparseSplit;

/// The non-zero pixels of a batch, sample by sample.
#[derive(Debug, Clone)]
pub struct SparseBatch<F> {
    /// Samples in the batch.
    pub n: usize,
    /// Correct class of each sample.
    pub labels: Vec<usize>,
    /// Sample `s` owns entries `start[s]..start[s + 1]`.
    pub start: Vec<usize>,
    /// Pixel number of each entry.
    pub pixel: Vec<u16>,
    /// Scaled value `byte / 255` of each entry.
    pub value: Vec<F>,
    /// Pixel byte of each entry (never 0).
    pub byte: Vec<u8>,
    /// `byte / 255` for every byte.
    scale: [F; 256],
}

impl<F: Float> Default for SparseBatch<F> {
    fn default() -> Self {
        SparseBatch {
            n: 0,
            labels: Vec::new(),
            start: vec![0],
            pixel: Vec::new(),
            value: Vec::new(),
            byte: Vec::new(),
            scale: std::array::from_fn(|b| F::from_pixel(b as u8)),
        }
    }
}

impl<F: Float> SparseBatch<F> {
    /// Fills the batch with the samples `indices` of `split`.
    pub fn fill_from(&mut self, split: &SparseSplit, indices: &[usize]) {
        self.n = indices.len();
        self.labels.clear();
        self.start.clear();
        self.pixel.clear();
        self.value.clear();
        self.byte.clear();
        self.start.push(0);
        for &s in indices {
            let (pixels, bytes) = split.row(s);
            self.pixel.extend_from_slice(pixels);
            self.byte.extend_from_slice(bytes);
            self.value
                .extend(bytes.iter().map(|&b| self.scale[b as usize]));
            self.start.push(self.pixel.len());
            self.labels.push(split.label(s));
        }
    }

    /// The non-zero pixels of sample `s`: numbers and values.
    #[inline(always)]
    pub fn row(&self, s: usize) -> (&[u16], &[F]) {
        let r = self.start[s]..self.start[s + 1];
        (&self.pixel[r.clone()], &self.value[r])
    }

    /// The pixel bytes of sample `s`'s entries.
    #[inline(always)]
    pub fn bytes(&self, s: usize) -> &[u8] {
        &self.byte[self.start[s]..self.start[s + 1]]
    }

    /// Number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.pixel.len()
    }
}

/// Appends the index and byte of every non-zero pixel of `image`.
///
/// Looks at eight bytes at a time: an all-zero word (most of a digit's
/// border) costs one comparison, and in the others the non-zero bytes are
/// found with bit arithmetic instead of eight tests.
#[inline]
pub fn push_nonzeros(image: &[u8], pixels: &mut Vec<u16>, bytes: &mut Vec<u8>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let start = pixels.len();
    // Write into pre-sized buffers, then cut them to what was found.
    pixels.resize(start + image.len(), 0);
    bytes.resize(start + image.len(), 0);
    let mut len = start;
    let mut chunks = image.chunks_exact(8);
    let mut base = 0u16;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if word != 0 {
            // The high bit of each byte of `nonzero` is set iff that byte ≠ 0.
            let mut nonzero = (((word & LOW7) + LOW7) | word) & HIGH;
            while nonzero != 0 {
                let k = nonzero.trailing_zeros() / 8;
                pixels[len] = base + k as u16;
                bytes[len] = chunk[k as usize];
                len += 1;
                nonzero &= nonzero - 1;
            }
        }
        base = base.wrapping_add(8);
    }
    for (k, &b) in chunks.remainder().iter().enumerate() {
        if b != 0 {
            pixels[len] = base + k as u16;
            bytes[len] = b;
            len += 1;
        }
    }
    pixels.truncate(len);
    bytes.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Split;

    #[test]
    fn a_batch_holds_its_samples_nonzero_pixels() {
        let images: Vec<u8> = [
            vec![0, 5, 0, 0, 0, 0, 0, 0, 0, 255, 0],
            vec![0; 11],
            vec![7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
        ]
        .concat();
        let split = Split::new(images, vec![4, 5, 6], 1, 11).unwrap();
        let sparse = SparseSplit::new(&split);
        let mut b = SparseBatch::<f64>::default();
        b.fill_from(&sparse, &[2, 1, 0, 2]);
        assert_eq!(b.n, 4);
        assert_eq!(b.labels, vec![6, 5, 4, 6]);
        assert_eq!(
            b.row(0),
            (
                &[0u16, 9, 10][..],
                &[7.0 / 255.0, 1.0 / 255.0, 2.0 / 255.0][..]
            )
        );
        assert_eq!(b.row(1).0, &[] as &[u16]);
        assert_eq!(b.row(2), (&[1u16, 9][..], &[5.0 / 255.0, 1.0][..]));
        assert_eq!(b.nnz(), 8);
    }

    #[test]
    fn push_nonzeros_finds_every_nonzero_byte() {
        let mut rng = crate::random::Rng::new(9);
        for len in [0, 1, 7, 8, 9, 784, 785] {
            let image: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(3) == 0 {
                        rng.below(256) as u8
                    } else {
                        0
                    }
                })
                .collect();
            let (mut pixels, mut bytes) = (vec![99], vec![99]);
            push_nonzeros(&image, &mut pixels, &mut bytes);
            let want: Vec<(u16, u8)> = image
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != 0)
                .map(|(i, &b)| (i as u16, b))
                .collect();
            let got: Vec<(u16, u8)> = pixels[1..]
                .iter()
                .copied()
                .zip(bytes[1..].iter().copied())
                .collect();
            assert_eq!(got, want, "length {len}");
            assert_eq!((pixels[0], bytes[0]), (99, 99), "earlier entries kept");
        }
    }
}
